"""The lab platform's target-side modules (host_state, settings_store, backoffice_probe) run through real
``ansible-playbook`` on localhost (local connection), on temporary lab layouts: a throwaway system user
as the ORS account, a throwaway supervisord running its program as that user, the back-office simulator
and tinyproxy. Users, groups and processes are removed in ``finally``. Needs root, like the lab.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(os.geteuid() != 0, reason="the lab platform runs as root"),
]

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SUPERVISORD = shutil.which("supervisord")
SUPERVISORCTL = shutil.which("supervisorctl")
SECRET_CODE = "it-Verif-93f1c2aa"
PROXY_PASSWORD = "it-ProxyPw-5e77d0"
FAKE_HASH = "$6$itsalt$4uZ2bM0Rj3m1nQ9xYk7VwS5tLp8oHcA6dE0fG2hJ4iK6lM8nO0pQ2rS4tU6vW8xY0zA2bC4dE6fG8hI0jK2lM."


# --------------------------------------------------------------------------------------------------
# Running playbooks


@dataclass
class Run:
    proc: subprocess.CompletedProcess[str]
    data: dict[str, Any] | None

    @property
    def output(self) -> str:
        return self.proc.stdout + self.proc.stderr

    def results(self) -> list[dict[str, Any]]:
        """The localhost result of every task, in order."""
        assert self.data is not None, self.output
        return [task["hosts"]["localhost"] for task in self.data["plays"][0]["tasks"]]


def playbook(
    workdir: Path,
    tasks: list[dict[str, Any]],
    *args: str,
    json_output: bool = True,
    secrets: dict | None = None,
) -> Run:
    """Run the tasks on localhost with ``ansible-playbook``; ``secrets`` go in a vars file (``-e @file``)."""
    book = workdir / f"play-{time.monotonic_ns()}.yml"
    book.write_text(json.dumps([{"hosts": "localhost", "gather_facts": False, "tasks": tasks}]))
    argv = [
        str(BIN / "ansible-playbook"),
        "-i",
        "localhost,",
        "-c",
        "local",
        "-e",
        f"ansible_python_interpreter={sys.executable}",
    ]
    if secrets:
        vars_file = workdir / f"secrets-{time.monotonic_ns()}.json"
        vars_file.write_text(json.dumps(secrets))
        vars_file.chmod(0o600)
        argv += ["-e", f"@{vars_file}"]
    env = {**os.environ, "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1"}
    if json_output:
        env["ANSIBLE_STDOUT_CALLBACK"] = "ansible.posix.json"
    proc = subprocess.run(
        [*argv, *args, str(book)], cwd=REPO, env=env, capture_output=True, text=True, timeout=300
    )
    data = json.loads(proc.stdout) if json_output and proc.stdout.strip().startswith("{") else None
    return Run(proc, data)


# --------------------------------------------------------------------------------------------------
# Throwaway users, supervisord


@dataclass
class LabUser:
    name: str
    group: str
    logon_group: str


@pytest.fixture
def lab_user() -> Iterator[LabUser]:
    """A system user (no home, no login shell) with its own group, in a throwaway logon group."""
    suffix = f"{os.getpid() % 100000}{time.monotonic_ns() % 1000}"
    user, logon = f"pit-ors-{suffix}", f"pit-logon-{suffix}"
    subprocess.run(["groupadd", "-r", logon], check=True)
    try:
        subprocess.run(
            ["useradd", "-r", "-M", "-U", "-s", "/usr/sbin/nologin", "-G", logon, user], check=True
        )
        try:
            subprocess.run(["usermod", "-p", FAKE_HASH, user], check=True)
            yield LabUser(user, user, logon)
        finally:
            subprocess.run(["userdel", user], check=False)
            subprocess.run(["groupdel", user], check=False, capture_output=True)
    finally:
        subprocess.run(["groupdel", logon], check=False)


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A short folder under /tmp that other users may enter (pytest's tmp_path is private to root)."""
    path = Path(tempfile.mkdtemp(prefix="pit-", dir="/tmp"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def supervised(shared_dir: Path, lab_user: LabUser) -> Iterator[tuple[Path, str, list[str]]]:
    """A lab home with a throwaway supervisord whose program ``it1_print_ors_service`` runs as the user."""
    if SUPERVISORD is None or SUPERVISORCTL is None:
        pytest.skip("supervisor is not installed (apt-get install supervisor)")
    home = shared_dir / "lab"
    conf_d = home / "supervisor" / "conf.d"
    conf_d.mkdir(parents=True)
    sock = home / "supervisor" / "s.sock"
    conf = home / "supervisor" / "supervisord.conf"
    conf.write_text(
        f"[unix_http_server]\nfile={sock}\nchmod=0700\n"
        f"[supervisord]\npidfile={home}/supervisor/pid\nlogfile={home}/supervisor/log\n"
        f"childlogdir={home}/supervisor\n"
        "[rpcinterface:supervisor]\n"
        "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n"
        f"[supervisorctl]\nserverurl=unix://{sock}\n[include]\nfiles={conf_d}/*.conf\n"
    )
    (conf_d / "it1_print_ors_service.conf").write_text(
        f"[program:it1_print_ors_service]\ncommand=/bin/sleep 3600\nuser={lab_user.name}\n"
        "autostart=true\nstartsecs=0\n"
    )
    proc = subprocess.Popen(
        [SUPERVISORD, "-n", "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    ctl = [SUPERVISORCTL, "-c", str(conf)]
    try:
        deadline = time.monotonic() + 20
        while "RUNNING" not in subprocess.run([*ctl, "status"], capture_output=True, text=True).stdout:
            assert time.monotonic() < deadline, "the throwaway supervisord did not start its program"
            time.sleep(0.2)
        yield home, "it1", ctl
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def settings_task(path: Path, group: str, values: dict, secrets: dict | None = None, **extra: Any) -> dict:
    args: dict[str, Any] = {"path": str(path), "group": group, "set": values}
    if secrets is not None:
        args["secrets"] = secrets
    return {"name": "settings", "printops.prismadirect.settings_store": args, **extra}


# --------------------------------------------------------------------------------------------------
# host_state


def test_host_state_reads_a_lab_host_in_one_task(supervised, lab_user, shared_dir):
    home, host, _ = supervised
    root = home / "hosts" / host
    (root / "TeamViewer").mkdir(parents=True)
    (root / "mac_addresses").write_text("02:50:44:00:00:01\n")
    licenses = shared_dir / "fls-licenses"
    licenses.mkdir()
    shutil.copy(REPO / "lab" / "licenses" / "installed" / "PDS-100001.lic", licenses)
    (home / "samba").mkdir()
    # \\fls1\licenses-it is the lab smbd's section [fls1-licenses-it]
    section = f"[fls1-licenses-it]\n   path = {licenses}\n   read only = no\n"
    (home / "samba" / "shares.conf").write_text(section)
    settings = root / "ProgramData" / "PRISMAdirect" / "remote-service.json"
    run = playbook(
        shared_dir,
        [
            settings_task(
                settings,
                lab_user.group,
                {"general.enabled": True, "general.organization_id": "ORG-IT"},
                {"general.verification_code": "{{ code }}"},
            ),
            {
                "name": "read",
                "printops.prismadirect.host_state": {
                    "lab_home": str(home),
                    "lab_host": host,
                    "logon_group": lab_user.logon_group,
                    "accounts": [
                        {"name": lab_user.name, "password_hash": FAKE_HASH},
                        {"name": "nobody", "password_hash": FAKE_HASH},
                        {"name": "pit-no-such-user"},
                    ],
                    "settings_path": str(settings),
                    "license_path": "\\\\fls1\\licenses-it",
                    "mac_addresses_file": str(root / "mac_addresses"),
                },
            },
        ],
        secrets={"code": SECRET_CODE},
    )
    assert run.proc.returncode == 0, run.output
    state = run.results()[1]
    assert state["changed"] is False and state["platform"] == "lab"
    assert state["service"] == {
        "name": "Print ORS Service",
        "exists": True,
        "account": lab_user.name,
        "start_mode": "auto",
        "state": "running",
    }
    account = state["accounts"][lab_user.name]
    assert account["exists"] is True and account["id"].startswith("uid:")
    assert (account["service_logon"], account["password_matches"]) == (True, True)
    assert sorted(account["groups"]) == sorted([lab_user.group, lab_user.logon_group])
    assert state["accounts"]["nobody"]["password_matches"] is False
    assert state["accounts"]["pit-no-such-user"]["exists"] is False
    view = state["settings"]
    assert (view["exists"], view["owner"], view["group"], view["mode"]) == (
        True,
        "root",
        lab_user.group,
        "0640",
    )
    assert view["document"]["general"]["organization_id"] == "ORG-IT"
    assert view["document"]["general"]["verification_code"]["set"] is True
    assert [(item["name"], item["size"]) for item in state["licenses"]] == [
        ("PDS-100001.lic", (licenses / "PDS-100001.lic").stat().st_size)
    ]
    assert "SN=PDS-100001" in state["licenses"][0]["text"]
    assert state["mac_addresses"] == ["025044000001"]
    assert state["teamviewer"] == {"present": True}
    assert SECRET_CODE not in run.output


def test_host_state_service_stopped_and_supervisord_down(supervised, shared_dir):
    home, host, ctl = supervised
    subprocess.run([*ctl, "stop", f"{host}_print_ors_service"], check=True, capture_output=True)
    task = {
        "name": "read",
        "printops.prismadirect.host_state": {
            "sections": ["service"],
            "lab_home": str(home),
            "lab_host": host,
        },
    }
    run = playbook(shared_dir, [task])
    assert run.proc.returncode == 0, run.output
    result = run.results()[0]
    assert set(result) >= {"platform", "service"} and "accounts" not in result
    assert result["service"]["state"] == "stopped"
    subprocess.run([*ctl, "shutdown"], check=True, capture_output=True)
    run = playbook(shared_dir, [task])
    result = run.results()[0]
    assert result["service"]["state"] == "unknown"
    assert any("did not answer" in warning for warning in result.get("warnings", [])), result


def test_host_state_needs_lab_host_for_the_service(shared_dir):
    run = playbook(shared_dir, [{"name": "read", "printops.prismadirect.host_state": {}}])
    assert run.proc.returncode != 0
    assert run.results()[0]["msg"].startswith("lab_host: required to read the service section")


# --------------------------------------------------------------------------------------------------
# settings_store


def test_settings_store_create_patch_idempotence_check_and_diff(shared_dir, lab_user):
    path = shared_dir / "host" / "ProgramData" / "PRISMAdirect" / "remote-service.json"
    secrets = {"code": SECRET_CODE, "proxy_password": PROXY_PASSWORD}
    create = settings_task(
        path,
        lab_user.group,
        {"general.enabled": True, "general.organization_id": "ORG-IT"},
        {"general.verification_code": "{{ code }}"},
    )
    first = playbook(shared_dir, [create], secrets=secrets)
    assert first.proc.returncode == 0, first.output
    assert first.results()[0]["changed"] is True and first.results()[0]["created"] is True
    st = path.stat()
    assert (st.st_uid, oct(st.st_mode & 0o7777)) == (0, "0o640")
    content = path.read_bytes()

    again = playbook(shared_dir, [create], "--diff", secrets=secrets)
    assert again.results()[0]["changed"] is False and again.data["stats"]["localhost"]["changed"] == 0
    assert path.read_bytes() == content

    patch = settings_task(
        path,
        lab_user.group,
        {"proxy.mode": "manual", "proxy.url": "proxy.example.com:8080", "proxy.username": "pu"},
        {"proxy.password": "{{ proxy_password }}"},
    )
    checked = playbook(shared_dir, [patch], "--check", "--diff", secrets=secrets)
    result = checked.results()[0]
    assert result["changed"] is True and path.read_bytes() == content
    assert result["changed_keys"] == ["proxy.mode", "proxy.password", "proxy.url", "proxy.username"]
    diff = result["diff"]
    assert diff["before"]["settings"]["proxy"]["password"] == "(not set)"
    assert diff["after"]["settings"]["proxy"]["password"] == "(secret set)"
    assert diff["after"]["settings"]["general"]["verification_code"] == "(secret unchanged)"

    applied = playbook(shared_dir, [patch], secrets=secrets)
    assert applied.results()[0]["changed"] is True
    document = json.loads(path.read_text())
    assert document["general"]["verification_code"] == SECRET_CODE  # kept by the patch
    assert document["proxy"]["password"] == PROXY_PASSWORD and document["proxy"]["mode"] == "manual"
    assert playbook(shared_dir, [patch], secrets=secrets).results()[0]["changed"] is False
    for run in (first, again, checked, applied):
        assert SECRET_CODE not in run.output and PROXY_PASSWORD not in run.output


def test_settings_store_refuses_unknown_keys(shared_dir):
    path = shared_dir / "remote-service.json"
    run = playbook(shared_dir, [settings_task(path, "root", {"general.enabeld": True})])
    assert run.proc.returncode != 0
    message = run.results()[0]["msg"]
    assert "general.enabeld" in message and "valid keys: general.enabled" in message
    assert not path.exists()


# --------------------------------------------------------------------------------------------------
# backoffice_probe (against the simulator)


def probe_task(path: Path, user: str, sim: Any, **extra: Any) -> dict:
    return {
        "name": "probe",
        "printops.prismadirect.backoffice_probe": {
            "settings_path": str(path),
            "user": user,
            "url": sim.url,
            "ca_path": str(sim.ca_path),
            "timeout": 10,
        },
        **extra,
    }


def test_backoffice_probe_as_the_ors_account(backoffice_sim_reset, lab_user, shared_dir):
    sim = backoffice_sim_reset
    path = shared_dir / "ProgramData" / "PRISMAdirect" / "remote-service.json"
    good = settings_task(
        path,
        lab_user.group,
        {"general.enabled": True, "general.organization_id": sim.organization_id},
        {"general.verification_code": "{{ code }}"},
    )
    run = playbook(
        shared_dir, [good, probe_task(path, lab_user.name, sim)], secrets={"code": sim.verification_code}
    )
    assert run.proc.returncode == 0, run.output
    probe = run.results()[1]
    assert (probe["ok"], probe["status"], probe["authenticated"], probe["error"]) == (True, 200, True, None)
    assert (probe["changed"], probe["user"], probe["proxy_mode"], probe["proxy"]) == (
        False,
        lab_user.name,
        "none",
        None,
    )
    assert isinstance(probe["elapsed_ms"], int)
    assert sim.stats()["by_status"] == {"200": 1}

    wrong = {**good, "printops.prismadirect.settings_store": {**good["printops.prismadirect.settings_store"]}}
    wrong["printops.prismadirect.settings_store"]["secrets"] = {"general.verification_code": "{{ wrong }}"}
    run = playbook(
        shared_dir,
        [wrong, probe_task(path, lab_user.name, sim)],
        "--diff",
        secrets={"wrong": SECRET_CODE},
    )
    assert run.proc.returncode == 0, run.output
    probe = run.results()[1]
    assert (probe["ok"], probe["status"], probe["authenticated"]) == (False, 200, False)
    assert "did not accept" in probe["error"] and SECRET_CODE not in run.output


def test_backoffice_probe_proves_the_account_can_read_the_settings(
    backoffice_sim_reset, lab_user, shared_dir
):
    sim = backoffice_sim_reset
    path = shared_dir / "remote-service.json"
    task = settings_task(
        path,
        "root",  # 0640 root:root: the ORS account cannot read it
        {"general.organization_id": sim.organization_id},
        {"general.verification_code": "{{ code }}"},
    )
    assert playbook(shared_dir, [task], secrets={"code": sim.verification_code}).proc.returncode == 0
    run = playbook(
        shared_dir, [probe_task(path, lab_user.name, sim), probe_task(path, "root", sim)], "--check"
    )
    assert run.proc.returncode == 0, run.output
    as_ors, as_root = run.results()
    assert as_ors["ok"] is False and "cannot read the settings document" in as_ors["error"]
    assert as_ors["status"] is None and sim.stats()["requests"] == 1  # only root's probe reached it
    assert as_root["ok"] is True  # the probe only reads: it runs in check mode too


def test_backoffice_probe_through_the_manual_proxy(
    backoffice_sim_reset, forward_proxy_factory, lab_user, shared_dir
):
    sim = backoffice_sim_reset
    proxy = forward_proxy_factory(username="pit-proxy", password=PROXY_PASSWORD)
    path = shared_dir / "remote-service.json"
    values = {
        "general.organization_id": sim.organization_id,
        "proxy.mode": "manual",
        "proxy.url": proxy.address,
        "proxy.username": "pit-proxy",
    }
    tasks = [
        settings_task(
            path,
            lab_user.group,
            values,
            {"general.verification_code": "{{ code }}", "proxy.password": "{{ pp }}"},
        ),
        probe_task(path, lab_user.name, sim),
        settings_task(path, lab_user.group, values, {"proxy.password": "{{ code }}"}),
        probe_task(path, lab_user.name, sim),
    ]
    run = playbook(shared_dir, tasks, secrets={"code": sim.verification_code, "pp": PROXY_PASSWORD})
    assert run.proc.returncode == 0, run.output
    through, refused = run.results()[1], run.results()[3]
    assert (through["ok"], through["proxy"]) == (True, proxy.address)
    host_port = sim.url.split("://", 1)[1].rstrip("/")
    assert host_port in proxy.connect_targets()
    assert (
        refused["ok"] is False and "check proxy.username, proxy.domain and proxy.password" in refused["error"]
    )
    assert PROXY_PASSWORD not in run.output and sim.verification_code not in run.output


# --------------------------------------------------------------------------------------------------
# No secret at -vvvv


def test_no_secret_in_the_output_at_vvvv(backoffice_sim_reset, lab_user, shared_dir):
    sim = backoffice_sim_reset
    path = shared_dir / "ProgramData" / "remote-service.json"
    tasks = [
        settings_task(
            path,
            lab_user.group,
            {"general.enabled": True, "general.organization_id": sim.organization_id, "proxy.username": "pu"},
            {"general.verification_code": "{{ code }}", "proxy.password": "{{ pp }}"},
        ),
        settings_task(path, lab_user.group, {"proxy.mode": "none"}, {"proxy.password": "{{ pp }}-2"}),
        {
            "name": "read",
            "printops.prismadirect.host_state": {
                "sections": ["settings", "accounts"],
                "settings_path": str(path),
                "accounts": [{"name": lab_user.name, "password_hash": FAKE_HASH}],
            },
        },
        probe_task(path, lab_user.name, sim),
    ]
    secrets = {"code": sim.verification_code, "pp": PROXY_PASSWORD}
    run = playbook(shared_dir, tasks, "-vvvv", "--diff", json_output=False, secrets=secrets)
    assert run.proc.returncode == 0, run.output
    assert "(secret changed)" in run.output and "fingerprint" in run.output
    for secret in (sim.verification_code, PROXY_PASSWORD, FAKE_HASH):
        assert secret not in run.output
