"""Verify the floating_license role on the lab (molecule verifier, pytest-testinfra).

Runs after converge (``molecule verify``, or ``pytest --ansible-inventory inventories/lab/hosts.yml
molecule/floating_license/tests`` against a converged lab). Every lab host is a stand-in on this machine
(local connection, DESIGN section 3):

- the share ``\\\\fls1\\licenses`` is the section ``[fls1-licenses]`` of the one lab smbd on
  ``127.0.0.1:<lab smb port>``; the ORS accounts' Samba passwords are their ORS passwords;
- fls1's license folder is ``<lab home>/hosts/fls1/licenses``, read by the license server stand-in
  ``fls1_license_server``, which writes what it read to ``<lab home>/hosts/fls1/license_server.status.json``.

The ORS accounts' passwords come from the lab inventory's vault through ``ansible`` (so the test reads
them exactly as the role does); they reach ``smbclient`` in its environment (``PASSWD``), never on a
command line or in a message. The check-mode test runs converge.yml with ``--check``.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import uuid
from functools import cache
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # molecule/
from lab_playbook import ansible_env, ansible_playbook, task_results

SCENARIO = Path(__file__).resolve().parents[1]
REPO = SCENARIO.parents[1]
LAB_HOME = Path(os.environ.get("PRINTOPS_LAB_HOME", "/srv/printops-lab"))
SMB_PORT = os.environ.get("PRINTOPS_LAB_SMB_PORT", "1445")
LAB_LICENSES = REPO / "lab" / "licenses"
FLS = "fls1"
SHARE = f"//127.0.0.1/{FLS}-licenses"  # \\fls1\licenses: one smbd serves every lab host
FOLDER = LAB_HOME / "hosts" / FLS / "licenses"
STATUS_FILE = LAB_HOME / "hosts" / FLS / "license_server.status.json"
CLIENTS = ("prisma1", "prisma2")  # prismadirect_fls_host: fls1 (inventories/lab/hosts.yml)
REFRESHED = ("PDS-100001", "PDS-100002")  # the back office has a license issued 2026-11-01
LAPSED = "PDS-100009"  # maintenance ended 2025-06-30: the back office refuses it
OTHER_ACCOUNT, OTHER_PASSWORD = "svc_not_ors", "not-an-ors-account-2026"  # prepare.yml, lab-only

testinfra_hosts = [f"ansible://{FLS}"]


# --------------------------------------------------------------------------------------------------
# Helpers


@cache
def ors_accounts() -> dict[str, tuple[str, str]]:
    """``{host: (ORS account, password)}`` of the PRISMAdirect hosts fls1 licenses, from the inventory."""
    template = '{{ {"account": remote_service_ors_account, "password": remote_service_ors_password} }}'
    proc = subprocess.run(
        [
            *(str(Path(sys.executable).parent / "ansible"), ",".join(CLIENTS)),
            *("-i", "inventories/lab/hosts.yml", "-m", "ansible.builtin.debug", "-a", f"msg={template}"),
        ],
        cwd=REPO,
        env=ansible_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, f"ansible could not read the ORS accounts (exit {proc.returncode})"
    results = json.loads(proc.stdout)["plays"][0]["tasks"][0]["hosts"]
    return {host: (results[host]["msg"]["account"], results[host]["msg"]["password"]) for host in CLIENTS}


def smbclient(user: str, password: str, *commands: str) -> subprocess.CompletedProcess[str]:
    """``smbclient -p <port> //127.0.0.1/fls1-licenses -U <user>`` with the password in ``PASSWD``."""
    return subprocess.run(
        ["smbclient", "-p", SMB_PORT, SHARE, "-U", user, "-c", "; ".join(commands)],
        env={**os.environ, "PASSWD": password},
        capture_output=True,
        text=True,
        timeout=60,
    )


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def newest(serial: str) -> bytes:
    return (LAB_LICENSES / "backoffice" / f"{serial}_20261101.lic").read_bytes()


def first_installed(serial: str) -> bytes:
    return (LAB_LICENSES / "installed" / f"{serial}.lic").read_bytes()


# --------------------------------------------------------------------------------------------------
# The share: each ORS account may create, read, modify and delete; nobody else may connect


@pytest.mark.parametrize("client", CLIENTS)
def test_ors_account_creates_reads_modifies_and_deletes_a_file_in_the_share(client, tmp_path):
    account, password = ors_accounts()[client]
    name = f"probe-{client}-{uuid.uuid4().hex[:8]}.txt"
    first, second, back = tmp_path / "first.txt", tmp_path / "second.txt", tmp_path / "back.txt"
    first.write_text(f"written by {account}\n")
    second.write_text(f"modified by {account}, a longer line than before\n")

    created = smbclient(account, password, f"put {first} {name}", f"get {name} {back}")
    assert created.returncode == 0, created.stdout + created.stderr
    assert back.read_text() == first.read_text()
    assert (FOLDER / name).read_text() == first.read_text()

    modified = smbclient(account, password, f"put {second} {name}", f"get {name} {back}")
    assert modified.returncode == 0, modified.stdout + modified.stderr
    assert back.read_text() == second.read_text()

    deleted = smbclient(account, password, f"rm {name}", "ls")
    assert deleted.returncode == 0, deleted.stdout + deleted.stderr
    assert name not in deleted.stdout
    assert not (FOLDER / name).exists()


def test_a_file_one_ors_account_writes_the_other_may_modify_and_delete(tmp_path):
    """Files made through the share inherit the folder's access (default ACL, ``inherit acls``)."""
    (writer, writer_pw), (other, other_pw) = (ors_accounts()[c] for c in CLIENTS)
    name = f"probe-shared-{uuid.uuid4().hex[:8]}.txt"
    source, back = tmp_path / "source.txt", tmp_path / "back.txt"
    source.write_text("from one ORS account to the other\n")
    try:
        put = smbclient(writer, writer_pw, f"put {source} {name}")
        assert put.returncode == 0, put.stdout + put.stderr
        source.write_text("changed by the other ORS account\n")
        changed = smbclient(other, other_pw, f"put {source} {name}", f"get {name} {back}", f"rm {name}")
        assert changed.returncode == 0, changed.stdout + changed.stderr
        assert back.read_text() == source.read_text()
        assert not (FOLDER / name).exists()
    finally:
        (FOLDER / name).unlink(missing_ok=True)


def test_another_local_account_is_refused(host):
    assert host.user(OTHER_ACCOUNT).exists  # made in prepare.yml, with a Samba password
    refused = smbclient(OTHER_ACCOUNT, OTHER_PASSWORD, "ls")
    assert refused.returncode != 0
    assert "NT_STATUS_ACCESS_DENIED" in refused.stdout + refused.stderr, refused.stdout + refused.stderr
    assert "PDS-100001.lic" not in refused.stdout


def test_an_ors_account_with_a_wrong_password_is_refused():
    account, _ = ors_accounts()[CLIENTS[0]]
    refused = smbclient(account, "not-the-password-0000", "ls")
    assert refused.returncode != 0
    assert "NT_STATUS_LOGON_FAILURE" in refused.stdout + refused.stderr, refused.stdout + refused.stderr


def test_the_share_lets_in_only_the_ors_accounts(host):
    section = host.run(
        "testparm -s --section-name %s %s", f"{FLS}-licenses", str(LAB_HOME / "samba" / "smb.conf")
    )
    assert section.rc == 0, section.stderr
    settings = dict(
        (key.strip(), value.strip())
        for key, _, value in (line.partition("=") for line in section.stdout.splitlines())
        if value
    )
    accounts = {account for account, _ in ors_accounts().values()}
    assert set(settings["valid users"].split()) == accounts
    assert settings["path"] == str(FOLDER)
    assert settings.get("read only", "Yes").lower() == "no"


def test_the_folder_grants_the_ors_accounts_modify_and_nobody_else(host):
    acl = host.run("getfacl -p %s", str(FOLDER))
    assert acl.rc == 0, acl.stderr
    entries = {line for line in acl.stdout.splitlines() if line and not line.startswith("#")}
    for account, _ in ors_accounts().values():
        assert f"user:{account}:rwx" in entries
        assert f"default:user:{account}:rwx" in entries
    assert "other::---" in entries and "default:other::---" in entries
    named = {e.split(":")[1] for e in entries if e.startswith("user:") and e.split(":")[1]}
    assert named == {account for account, _ in ors_accounts().values()}
    folder = host.file(str(FOLDER))
    assert folder.user == "root"


# --------------------------------------------------------------------------------------------------
# The licenses: the newest installed, a backup of the previous one, the server reread them; the
# refused serial's file untouched


@pytest.mark.parametrize("serial", REFRESHED)
def test_the_newest_license_is_installed_and_parses(host, serial):
    sys.path.insert(0, str(REPO / "collections"))
    from ansible_collections.printops.prismadirect.plugins.module_utils.flexlm import parse_license

    installed = FOLDER / f"{serial}.lic"
    assert sha256(installed.read_bytes()) == sha256(newest(serial))
    license = parse_license(installed.read_text())
    assert license.serials == (serial,)
    assert license.issued.isoformat() == "2026-11-01"
    assert license.maintenance_end.isoformat() == "2030-12-31"
    assert host.file(str(installed)).user == "root"


@pytest.mark.parametrize("serial", REFRESHED)
def test_the_previous_license_is_kept_as_a_backup(host, serial):
    backups = sorted(FOLDER.glob(f"{serial}.lic.*.bak"))
    assert len(backups) == 1, backups
    assert backups[0].read_bytes() == first_installed(serial)
    backup = host.file(str(backups[0]))
    assert (backup.user, backup.group, backup.mode) == ("root", "root", 0o660)  # as a license


def test_the_license_server_reread_the_new_licenses():
    status = json.loads(STATUS_FILE.read_text())
    in_use = {entry["file"]: entry["sha256"] for entry in status["licenses"]}
    for serial in REFRESHED:
        assert in_use[f"{serial}.lic"] == sha256(newest(serial)), status
    assert status["reads"] >= 2, status  # the start, then at least one lmreread
    assert not status["errors"], status["errors"]
    assert not any(name.endswith(".bak") for name in in_use)


def test_the_refused_serial_keeps_its_license_byte_for_byte():
    assert (FOLDER / f"{LAPSED}.lic").read_bytes() == first_installed(LAPSED)
    assert not list(FOLDER.glob(f"{LAPSED}.lic.*.bak"))


# --------------------------------------------------------------------------------------------------
# Check mode, and the report


def test_check_mode_run_changes_nothing_and_reports_every_serial():
    before = {path.name: path.read_bytes() for path in FOLDER.iterdir()}
    report = ansible_playbook(SCENARIO / "converge.yml", "--check", "--diff")
    assert report["returncode"] == 0, report["stderr"]
    would_change = [
        f"{host}: {task['task']['name']}"
        for play in report["plays"]
        for task in play["tasks"]
        for host, result in task["hosts"].items()
        if result.get("changed")
    ]
    assert not would_change, f"a --check run after converge would change: {would_change}"
    assert {path.name: path.read_bytes() for path in FOLDER.iterdir()} == before

    summary = task_results(report, "Show the licenses of this FLS")[FLS]["msg"]
    assert summary[0] == f"shared as \\\\{FLS}\\licenses with .\\svc_ors_p1, .\\svc_ors_p2"
    lines = {line.partition(":")[0]: line for line in summary[1:]}
    for serial in REFRESHED:
        assert lines[serial].startswith(f"{serial}: already current, {serial}.lic issued 2026-11-01"), lines
        assert "maintenance until 2030-12-31" in lines[serial]
    assert lines[LAPSED].startswith(f"{LAPSED}: refused by the back office (not_entitled)"), lines
    assert "maintenance ended on 2025-06-30" in lines[LAPSED]
    assert f"In use: {LAPSED}.lic issued 2024-07-01" in lines[LAPSED]
