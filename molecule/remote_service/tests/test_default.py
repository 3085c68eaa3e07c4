"""Verify the remote_service role on the lab (molecule verifier, pytest-testinfra).

Runs on the lab inventory's ``prismadirect`` hosts after converge (``molecule verify``, or ``pytest
--ansible-inventory inventories/lab/hosts.yml molecule/remote_service/tests`` against a converged lab).
Every lab host is a stand-in on this machine (local connection, DESIGN section 3):

- Print ORS Service = the supervisord program ``<host>_print_ors_service``, running as the ORS user;
- the settings store = ``<lab root>/ProgramData/PRISMAdirect/remote-service.json``, mode 0640, owner
  root, group = the ORS user's group.

The light tests change the lab's verification code through a playbook (``light.yml``) and restore it
in ``finally``; the check-mode test runs converge.yml with ``--check``. Both run ``ansible-playbook``
with the repository's ansible.cfg and the lab's vault password file.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # molecule/
from lab_playbook import ansible_playbook, task_results

SCENARIO = Path(__file__).resolve().parents[1]
REPO = SCENARIO.parents[1]
LAB_HOME = Path(os.environ.get("PRINTOPS_LAB_HOME", "/srv/printops-lab"))
ORGANIZATION_ID = "PRS-LAB-ORG"  # inventories/lab/group_vars/all/backoffice.yml
REMOTE_ASSISTANCE = {"prisma1": True, "prisma2": False}  # converge.yml
LICENSE_FOLDER = {"prisma1": "fls1", "prisma2": "fls1"}  # prismadirect_fls_host, converge.yml

testinfra_hosts = ["ansible://prismadirect"]


# --------------------------------------------------------------------------------------------------
# Helpers


def hostname(host) -> str:
    return host.ansible.get_variables()["inventory_hostname"]


def ors_user(host) -> str:
    return host.ansible.get_variables()["remote_service_ors_account"]


def settings_path(host) -> Path:
    return LAB_HOME / "hosts" / hostname(host) / "ProgramData" / "PRISMAdirect" / "remote-service.json"


def supervisorctl(host, *args: str):
    conf = LAB_HOME / "supervisor" / "supervisord.conf"
    return host.run("supervisorctl -c %s " + " ".join(["%s"] * len(args)), str(conf), *args)


# --------------------------------------------------------------------------------------------------
# Print ORS Service


def test_print_ors_service_runs_as_the_ors_account(host):
    program = f"{hostname(host)}_print_ors_service"
    status = supervisorctl(host, "status", program)
    assert status.rc == 0, status.stdout + status.stderr
    assert "RUNNING" in status.stdout, status.stdout
    pid = int(status.stdout.split("pid ", 1)[1].split(",", 1)[0])
    owner = host.run("ps -o user= -p %s", str(pid))
    assert owner.rc == 0, owner.stderr
    assert owner.stdout.strip() == ors_user(host)
    assert host.process.get(pid=pid).user == ors_user(host)


def test_ors_account_is_a_system_user_without_login_shell(host):
    user = host.user(ors_user(host))
    assert user.exists
    assert user.shell in ("/usr/sbin/nologin", "/sbin/nologin", "/bin/false")
    assert user.uid < 1000


# --------------------------------------------------------------------------------------------------
# Settings store


def test_settings_document_is_root_owned_group_ors_mode_0640(host):
    document = host.file(str(settings_path(host)))
    assert document.is_file
    assert document.user == "root"
    assert document.group == host.user(ors_user(host)).group
    assert document.mode == 0o640


def test_settings_document_holds_the_configured_settings(host):
    data = json.loads(host.file(str(settings_path(host))).content_string)
    name = hostname(host)
    general = data["general"]
    assert general["enabled"] is True
    assert general["organization_id"] == ORGANIZATION_ID
    assert general["license_server"] == "local"
    assert general["license_path"] == str(LAB_HOME / "hosts" / LICENSE_FOLDER[name] / "licenses")
    assert general["verification_code"]  # set (its value is the vault's; never printed here)
    assert data["proxy"]["mode"] == "none"
    assert data["proxy"]["url"] is None and data["proxy"]["password"] is None
    assert data["remote_assistance"]["enabled"] is REMOTE_ASSISTANCE[name]


def test_secrets_are_not_readable_by_others(host):
    path = str(settings_path(host))
    as_nobody = host.run("runuser -u nobody -- cat %s", path)
    assert as_nobody.rc != 0
    assert "verification_code" not in as_nobody.stdout
    as_ors = host.run("runuser -u %s -- cat %s", ors_user(host), path)
    assert as_ors.rc == 0, as_ors.stderr  # the ORS account reads its settings
    assert not host.file(path).mode & 0o007


# --------------------------------------------------------------------------------------------------
# Status light (procedure A step 6), and check mode


def test_light_is_green_with_the_lab_code_and_orange_with_a_wrong_one(host):
    name = hostname(host)
    try:
        wrong = ansible_playbook(
            SCENARIO / "light.yml",
            extra_vars={"light_hosts": name, "light_verification_code": "not-the-lab-code-0000"},
        )
        assert wrong["returncode"] == 0, wrong["stderr"]
        info = task_results(wrong, "Read the status light")[name]
        assert info["light"] == "orange", info
        assert "connection test failed" in info["light_reason"]
    finally:
        restored = ansible_playbook(SCENARIO / "light.yml", extra_vars={"light_hosts": name})
    assert restored["returncode"] == 0, restored["stderr"]
    info = task_results(restored, "Read the status light")[name]
    assert info["light"] == "green", info
    assert info["service"]["state"] == "running"


def test_check_mode_run_changes_nothing():
    converged = ansible_playbook(SCENARIO / "converge.yml", "--check", "--diff")
    assert converged["returncode"] == 0, converged["stderr"]
    stats = converged["stats"]
    assert set(stats) == {"prisma1", "prisma2"}
    would_change = [
        f"{host}: {task['task']['name']}"
        for play in converged["plays"]
        for task in play["tasks"]
        for host, result in task["hosts"].items()
        if result.get("changed")
    ]
    assert not would_change, f"a --check run after converge would change: {would_change}"
    for name, counts in stats.items():
        assert counts["changed"] == 0, f"{name}: {counts}"
        assert counts["failures"] == 0 and counts["unreachable"] == 0, f"{name}: {counts}"


def test_check_mode_reports_a_change_without_making_it():
    documents = {
        name: LAB_HOME / "hosts" / name / "ProgramData" / "PRISMAdirect" / "remote-service.json"
        for name in ("prisma1", "prisma2")
    }
    before = {name: path.read_bytes() for name, path in documents.items()}
    report = ansible_playbook(
        SCENARIO / "converge.yml",
        "--check",
        "--diff",
        extra_vars={"remote_service_organization_id": "PRS-OTHER-ORG"},
    )
    assert report["returncode"] == 0, report["stderr"]
    settings = task_results(report, "Configure the Remote Service general settings")
    assert all(result["changed"] for result in settings.values()), settings
    assert {name: path.read_bytes() for name, path in documents.items()} == before
