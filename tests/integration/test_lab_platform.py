"""The lab platform (lab/ctl.py): real smbd, supervisord, users and groups on this machine, as root.

Every lab here lives in its own lab home under /tmp, with its own group names (``PRINTOPS_LAB_GROUP``)
and a free Samba port, without the back-office simulator (``--no-backoffice``; the simulator has its own
tests): it never touches a lab that is already up on the machine. Each lab is torn down with
``lab/ctl.py down`` in a ``finally``, and whatever that leaves (it should leave nothing) is killed and
removed after it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import pwd
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from lab_under_test import (
    CTL,
    PID_RE,
    REPO,
    LabUnderTest,
    group_exists,
    lab_platform,
    processes_under,
)

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(os.geteuid() != 0, reason="the lab platform needs root (users, groups, daemons)"),
    pytest.mark.skipif(
        not (shutil.which("smbd") or Path("/usr/sbin/smbd").exists()) or not shutil.which("supervisord"),
        reason="samba and supervisor are not installed (./run test installs them)",
    ),
]


@pytest.fixture(scope="module")
def lab() -> Iterator[tuple[LabUnderTest, subprocess.CompletedProcess[str]]]:
    """One lab brought up for the module, and the output of its first ``up``."""
    with lab_platform() as platform:
        yield platform, platform.ctl("up")


def test_up_brings_every_piece_up_one_line_per_step(
    lab: tuple[LabUnderTest, subprocess.CompletedProcess[str]],
):
    platform, first = lab
    steps = [line.split(":", 1)[0] for line in first.stdout.splitlines()]
    assert steps == [
        "packages",
        "groups",
        "lab home",
        "hosts",
        "samba",
        "supervisord",
        "license servers",
    ], first.stdout
    assert f"samba: started on 127.0.0.1:{platform.port} (pid " in first.stdout
    assert "supervisord: started on unix://" in first.stdout
    assert "license servers: started fls1_license_server (pid " in first.stdout
    assert ", fls2_license_server (pid " in first.stdout
    status = platform.ctl("status", check=False)
    assert status.returncode == 0, status.stdout
    assert "DOWN" not in status.stdout


def test_smbd_answers_on_loopback_only(lab: tuple[LabUnderTest, subprocess.CompletedProcess[str]]):
    platform, _ = lab
    listing = subprocess.run(
        ["smbclient", "-L", "//127.0.0.1", "-p", str(platform.port), "-N"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert listing.returncode == 0, listing.stdout + listing.stderr
    assert "IPC$" in listing.stdout

    # Every listening socket on the port is bound to 127.0.0.1 or ::1.
    listening = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for row in Path(table).read_text().splitlines()[1:]:
                fields = row.split()
                address, port = fields[1].rsplit(":", 1)
                if fields[3] == "0A" and int(port, 16) == platform.port:  # 0A = LISTEN
                    listening.append(address)
    assert listening, "nothing listens on the lab Samba port"
    loopback = {"0100007F", "00000000000000000000000001000000"}
    assert set(listening) <= loopback, f"smbd listens beyond loopback: {listening}"

    # And a non-loopback address of this machine, if it has one, refuses the connection.
    addresses = subprocess.run(["hostname", "-I"], capture_output=True, text=True, check=False).stdout.split()
    for address in [a for a in addresses if not a.startswith(("127.", "fe80:"))][:2]:
        with pytest.raises(OSError), socket.create_connection((address, platform.port), timeout=2):
            pass


def test_samba_tools_work_on_the_lab_passdb(lab: tuple[LabUnderTest, subprocess.CompletedProcess[str]]):
    platform, _ = lab
    proc = subprocess.run(
        ["pdbedit", "-s", str(platform.smb_conf), "-L"], capture_output=True, text=True, timeout=30
    )
    assert proc.returncode == 0, proc.stderr
    config = subprocess.run(
        ["testparm", "-s", str(platform.smb_conf)], capture_output=True, text=True, timeout=30
    ).stdout
    assert f"passdb backend = tdbsam:{platform.home}/samba/private/passdb.tdb" in config
    assert f"include = {platform.home}/samba/shares.conf" in config
    assert (platform.home / "samba" / "shares.conf").is_file()
    assert "/var/lib/samba" not in config and "/etc/samba" not in config


def test_supervisorctl_works_on_the_lab_socket(lab: tuple[LabUnderTest, subprocess.CompletedProcess[str]]):
    platform, first = lab
    proc = platform.supervisorctl("pid")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"(pid {proc.stdout.strip()})" in next(
        line for line in first.stdout.splitlines() if "supervisord" in line
    )
    sock = platform.home / "supervisor" / "supervisor.sock"
    assert sock.is_socket() and (sock.stat().st_mode & 0o777) == 0o700


def test_groups_exist(lab: tuple[LabUnderTest, subprocess.CompletedProcess[str]]):
    platform, _ = lab
    assert group_exists(platform.group)
    assert group_exists(f"{platform.group}-logon")


def test_hosts_get_their_roots_and_the_fls_its_licenses(
    lab: tuple[LabUnderTest, subprocess.CompletedProcess[str]],
):
    platform, _ = lab
    hosts = platform.home / "hosts"
    for name in ("prisma1", "prisma2"):
        settings_dir = hosts / name / "ProgramData" / "PRISMAdirect"
        assert settings_dir.is_dir() and (settings_dir.stat().st_mode & 0o777) == 0o755
    assert sorted(p.name for p in (hosts / "fls1" / "licenses").iterdir()) == [
        "PDS-100001.lic",
        "PDS-100002.lic",
        "PDS-100009.lic",
    ]
    assert sorted(p.name for p in (hosts / "fls2" / "licenses").iterdir()) == ["PDS-100003.lic"]
    assert (hosts / "fls1" / "mac_addresses").read_text() == "02:50:44:00:00:01\n"
    folder = (hosts / "fls1" / "licenses").stat()
    assert (folder.st_uid, folder.st_gid, folder.st_mode & 0o777) == (0, 0, 0o750)
    for name in ("print_ors_service.py", "license_server.py", "flexlm.py", "lmutil"):
        assert (platform.home / "bin" / name).is_file(), name
    assert os.access(platform.home / "bin" / "lmutil", os.X_OK)


def test_second_up_changes_nothing(lab: tuple[LabUnderTest, subprocess.CompletedProcess[str]]):
    platform, first = lab
    # A license the playbooks removed stays removed: up never rewrites a license folder.
    (platform.home / "hosts" / "fls1" / "licenses" / "PDS-100009.lic").unlink()
    again = platform.ctl("up")
    lines = again.stdout.splitlines()
    assert len(lines) == 7 and all("already" in line for line in lines), again.stdout
    assert "samba: already running" in again.stdout and "supervisord: already running" in again.stdout
    assert PID_RE.findall(again.stdout) == PID_RE.findall(first.stdout)
    assert not (platform.home / "hosts" / "fls1" / "licenses" / "PDS-100009.lic").exists()


# ---------------------------------------------------------------------------------------------------
# The license server stand-in (lmgrd) and lmutil lmreread


INSTALLED = REPO / "lab" / "licenses" / "installed"
BACKOFFICE = REPO / "lab" / "licenses" / "backoffice"


def license_status(platform: LabUnderTest, host: str) -> dict:
    return json.loads((platform.home / "hosts" / host / "license_server.status.json").read_text())


def lmutil(platform: LabUnderTest, *args: str, env: dict | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(platform.home / "bin" / "lmutil"), *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd="/",
        env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", **(env or {})},
    )


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_license_server_runs_for_each_fls_and_lists_its_licenses(
    lab: tuple[LabUnderTest, subprocess.CompletedProcess[str]],
):
    platform, _ = lab
    for host in ("fls1", "fls2"):
        status = platform.supervisorctl("status", f"{host}_license_server")
        assert "RUNNING" in status.stdout, status.stdout
        pid = int(re.search(r"pid (\d+)", status.stdout).group(1))
        assert os.stat(f"/proc/{pid}").st_uid == 0  # runs as root, the lab's administrators
        assert license_status(platform, host)["pid"] == pid
    # What up installed (an earlier test removed PDS-100009.lic since, without a reread: still listed).
    status = license_status(platform, "fls1")
    in_use = {entry["file"]: entry for entry in status["licenses"]}
    assert set(in_use) == {"PDS-100001.lic", "PDS-100002.lic", "PDS-100009.lic"}
    for name, entry in in_use.items():
        assert entry["sha256"] == sha256(INSTALLED / name)
        assert entry["serial"] == name.removesuffix(".lic")
        assert entry["features"] == ["PRISMAdirect", "PD_USERS"]
    assert status["errors"] == []
    fls2 = license_status(platform, "fls2")
    assert [(e["file"], e["serial"]) for e in fls2["licenses"]] == [("PDS-100003.lic", "PDS-100003")]
    log = (platform.home / "supervisor" / "log" / "fls1_license_server.log").read_text()
    assert "PDS-100001.lic: serial PDS-100001, features PRISMAdirect, PD_USERS, expiry 2029-12-31" in log
    status_table = platform.ctl("status", check=False)
    assert "fls1_license_server, fls2_license_server running" in status_table.stdout, status_table.stdout


def test_lmutil_lmreread_makes_the_license_server_read_again(
    lab: tuple[LabUnderTest, subprocess.CompletedProcess[str]],
):
    platform, _ = lab
    folder = platform.home / "hosts" / "fls1" / "licenses"
    new = folder / "PDS-100001-new.lic"
    foreign = folder / "PDS-100003.lic"  # fls2's license: bound to another host id
    before = license_status(platform, "fls1")
    fls2_before = license_status(platform, "fls2")
    try:
        shutil.copyfile(BACKOFFICE / "PDS-100001_20261101.lic", new)
        shutil.copyfile(INSTALLED / "PDS-100003.lic", foreign)
        time.sleep(0.2)
        assert license_status(platform, "fls1") == before  # no polling: only a reread reads new files

        proc = lmutil(platform, "lmreread", "-c", str(folder))
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert proc.stdout.splitlines()[-1] == "lmreread successful"
        after = license_status(platform, "fls1")
        assert after["pid"] == before["pid"]
        assert after["reads"] == before["reads"] + 1 and after["reason"] == "SIGHUP"
        assert after["read_at"] > before["read_at"]
        entry = next(e for e in after["licenses"] if e["file"] == "PDS-100001-new.lic")
        assert entry["sha256"] == sha256(new) and entry["expiry"] == "2030-12-31"
        assert [e["file"] for e in after["errors"]] == ["PDS-100003.lic"]
        assert "not to this server" in after["errors"][0]["error"]
        assert license_status(platform, "fls2") == fls2_before  # only fls1 was told

        # The other forms of -c, and LM_LICENSE_FILE, name the FLS too.
        assert lmutil(platform, "lmreread", "-c", "27000@fls2").returncode == 0
        assert license_status(platform, "fls2")["reads"] == fls2_before["reads"] + 1
        assert lmutil(platform, "lmreread", env={"LM_LICENSE_FILE": str(new)}).returncode == 0
        assert license_status(platform, "fls1")["reads"] == after["reads"] + 1
    finally:
        new.unlink(missing_ok=True)
        foreign.unlink(missing_ok=True)
    assert lmutil(platform, "lmreread", "-c", str(folder)).returncode == 0
    files = {e["file"] for e in license_status(platform, "fls1")["licenses"]}
    assert files == {p.name for p in folder.glob("*.lic")}


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("lmreread", "-c", "27000@nohost"), 1, "no license server for nohost"),
        (("lmreread", "-c", "/etc/licenses"), 1, "is not under"),
        (("lmreread",), 1, "which license server?"),
        (("lmstat", "-a"), 2, "lmstat is not supported"),
        (("lmreread", "-x"), 2, "unexpected argument"),
    ],
)
def test_lmutil_says_why_it_fails(
    lab: tuple[LabUnderTest, subprocess.CompletedProcess[str]], args: tuple[str, ...], code: int, message: str
):
    platform, _ = lab
    proc = lmutil(platform, *args)
    assert proc.returncode == code, proc.stdout + proc.stderr
    assert message in proc.stderr


def test_the_print_ors_service_stand_in_runs_as_its_user(
    lab: tuple[LabUnderTest, subprocess.CompletedProcess[str]],
):
    platform, _ = lab
    user = f"{platform.group}o1"
    platform.add_user(user)
    store = platform.home / "hosts" / "prisma1" / "ProgramData" / "PRISMAdirect" / "remote-service.json"
    store.write_text(
        '{"schema": 1, "general": {"enabled": true, "organization_id": "ORG-1",'
        ' "verification_code": "very-secret-code"}, "proxy": {"mode": "manual", "password": "pw-secret"}}'
    )
    shutil.chown(store, group=user)
    store.chmod(0o640)
    log = platform.add_ors_program("prisma1", user)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and "heartbeat" not in (log.read_text() if log.exists() else ""):
        time.sleep(0.1)
    text = log.read_text()
    assert f"started as {user}" in text
    assert "heartbeat: Remote Service enabled, organization ORG-1" in text
    assert "very-secret-code" not in text and "pw-secret" not in text
    status = platform.supervisorctl("status", "prisma1_print_ors_service")
    assert "RUNNING" in status.stdout, status.stdout
    pid = int(re.search(r"pid (\d+)", status.stdout).group(1))
    assert pwd.getpwuid(os.stat(f"/proc/{pid}").st_uid).pw_name == user
    stop = platform.supervisorctl("stop", "prisma1_print_ors_service")
    assert stop.returncode == 0, stop.stdout
    assert "stopping on SIGTERM" in log.read_text()


def test_up_refuses_a_directory_that_is_not_a_lab_home(tmp_path: Path):
    (tmp_path / "keep.txt").write_text("not a lab")
    group = f"plt{secrets.token_hex(3)}"
    proc = subprocess.run(
        [sys.executable, str(CTL), "up", "--home", str(tmp_path), "--group", group, "--no-backoffice"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1
    assert "not a lab home" in proc.stderr
    assert not group_exists(group)  # refused before anything changed
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt"]


def test_down_removes_users_groups_home_and_daemons():
    with lab_platform() as platform:
        platform.ctl("up")
        user = f"{platform.group}o2"
        platform.add_user(user)
        platform.add_ors_program("prisma2", user)  # down must stop it before it can delete the user
        subprocess.run(
            ["smbclient", "-L", "//127.0.0.1", "-p", str(platform.port), "-N"],
            capture_output=True,
            timeout=30,
        )  # makes smbd start its RPC helpers (samba-dcerpcd), which outlive smbd unless stopped
        assert processes_under(platform.home)

        down = platform.ctl("down")
        assert f"users: removed {user}" in down.stdout
        with pytest.raises(KeyError):
            pwd.getpwnam(user)
        assert not group_exists(platform.group) and not group_exists(f"{platform.group}-logon")
        assert not platform.home.exists()
        assert processes_under(platform.home) == []
        assert not socket_answers(platform.port)

        again = platform.ctl("down")
        assert all("already" in line for line in again.stdout.splitlines()), again.stdout


def socket_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False
