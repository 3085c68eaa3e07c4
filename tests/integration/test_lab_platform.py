"""The lab platform (lab/ctl.py): real smbd, supervisord, users and groups on this machine, as root.

Every lab here lives in its own lab home under /tmp, with its own group names (``PRINTOPS_LAB_GROUP``)
and a free Samba port, without the back-office simulator (``--no-backoffice``; the simulator has its own
tests): it never touches a lab that is already up on the machine. Each lab is torn down with
``lab/ctl.py down`` in a ``finally``, and whatever that leaves (it should leave nothing) is killed and
removed after it.
"""

from __future__ import annotations

import contextlib
import grp
import os
import pwd
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(os.geteuid() != 0, reason="the lab platform needs root (users, groups, daemons)"),
    pytest.mark.skipif(
        not (shutil.which("smbd") or Path("/usr/sbin/smbd").exists()) or not shutil.which("supervisord"),
        reason="samba and supervisor are not installed (./run test installs them)",
    ),
]

REPO = Path(__file__).resolve().parents[2]
CTL = REPO / "lab" / "ctl.py"
PID_RE = re.compile(r"\(pid (\d+)\)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LabUnderTest:
    home: Path
    group: str
    port: int

    @property
    def env(self) -> dict[str, str]:
        return dict(
            os.environ,
            PRINTOPS_LAB_HOME=str(self.home),
            PRINTOPS_LAB_GROUP=self.group,
            PRINTOPS_LAB_SMB_PORT=str(self.port),
        )

    @property
    def smb_conf(self) -> Path:
        return self.home / "samba" / "smb.conf"

    @property
    def supervisord_conf(self) -> Path:
        return self.home / "supervisor" / "supervisord.conf"

    def ctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [sys.executable, str(CTL), *args, "--no-backoffice"],
            capture_output=True,
            text=True,
            env=self.env,
            cwd="/",
            timeout=120,
        )
        if check:
            assert proc.returncode == 0, (
                f"lab/ctl.py {' '.join(args)}: exit {proc.returncode}\n{proc.stdout}{proc.stderr}"
            )
        return proc

    def supervisorctl(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["supervisorctl", "-c", str(self.supervisord_conf), *args],
            capture_output=True,
            text=True,
            timeout=30,
        )

    def add_user(self, name: str) -> None:
        """A system user in the lab group, as the ors_account module makes them."""
        subprocess.run(
            [
                *("useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent"),
                *("--shell", "/usr/sbin/nologin", "--groups", f"{self.group},{self.group}-logon", name),
            ],
            check=True,
            capture_output=True,
        )

    def add_ors_program(self, host: str, user: str) -> Path:
        """The Print ORS Service stand-in of ``host`` as a supervisord program running as ``user``."""
        log = self.home / "supervisor" / "log" / f"{host}_print_ors_service.log"
        (self.home / "supervisor" / "conf.d" / f"{host}_print_ors_service.conf").write_text(
            f"[program:{host}_print_ors_service]\n"
            f"command = /usr/bin/python3 -u {self.home}/bin/print_ors_service.py"
            f" --host {host} --root {self.home}/hosts/{host} --interval 0.2\n"
            f"user = {user}\nautostart = true\nautorestart = true\nstartsecs = 0\n"
            f"redirect_stderr = true\nstdout_logfile = {log}\n"
        )
        proc = self.supervisorctl("update")
        assert proc.returncode == 0, proc.stdout + proc.stderr
        return log


def processes_under(home: Path) -> list[int]:
    """Processes whose command line names something in ``home``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            args = (entry / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if str(home) in args:
            found.append(int(entry.name))
    return found


def users_in(group: str) -> list[str]:
    try:
        entry = grp.getgrnam(group)
    except KeyError:
        return []
    return sorted(set(entry.gr_mem) | {u.pw_name for u in pwd.getpwall() if u.pw_gid == entry.gr_gid})


def group_exists(name: str) -> bool:
    try:
        grp.getgrnam(name)
    except KeyError:
        return False
    return True


@contextlib.contextmanager
def lab_platform() -> Iterator[LabUnderTest]:
    """A lab of its own; torn down afterwards, also when the test fails."""
    base = Path(tempfile.mkdtemp(prefix="printops-lab-test-", dir="/tmp"))
    base.chmod(0o755)  # lab users must be able to traverse to their files
    lab = LabUnderTest(home=base / "lab", group=f"plt{secrets.token_hex(3)}", port=free_port())
    try:
        yield lab
    finally:
        try:
            lab.ctl("down", check=False)
        finally:  # belt and braces: nothing of this lab survives the test
            for pid in processes_under(lab.home):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, 9)
            for user in users_in(lab.group):
                subprocess.run(["userdel", user], capture_output=True, check=False)
            for group in (f"{lab.group}-logon", lab.group):
                subprocess.run(["groupdel", group], capture_output=True, check=False)
            shutil.rmtree(base, ignore_errors=True)


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
    assert steps == ["packages", "groups", "lab home", "hosts", "samba", "supervisord"], first.stdout
    assert f"samba: started on 127.0.0.1:{platform.port} (pid " in first.stdout
    assert "supervisord: started on unix://" in first.stdout
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
    assert (platform.home / "bin" / "print_ors_service.py").is_file()


def test_second_up_changes_nothing(lab: tuple[LabUnderTest, subprocess.CompletedProcess[str]]):
    platform, first = lab
    # A license the playbooks removed stays removed: up never rewrites a license folder.
    (platform.home / "hosts" / "fls1" / "licenses" / "PDS-100009.lic").unlink()
    again = platform.ctl("up")
    lines = again.stdout.splitlines()
    assert len(lines) == 6 and all("already" in line for line in lines), again.stdout
    assert "samba: already running" in again.stdout and "supervisord: already running" in again.stdout
    assert PID_RE.findall(again.stdout) == PID_RE.findall(first.stdout)
    assert not (platform.home / "hosts" / "fls1" / "licenses" / "PDS-100009.lic").exists()


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
