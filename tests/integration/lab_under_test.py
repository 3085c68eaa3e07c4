"""A throwaway lab platform for integration tests: ``lab_platform()`` brings nothing up by itself; it
gives a ``LabUnderTest`` with its own lab home under /tmp, its own group names (``PRINTOPS_LAB_GROUP``)
and a free Samba port, whose ``ctl("up")`` runs lab/ctl.py without the back-office simulator. On exit
the lab is torn down with ``lab/ctl.py down``, and whatever that leaves (it should leave nothing) is
killed and removed, also when the test failed. It never touches a lab that is already up.

``play(lab, tasks, ...)`` runs tasks with ``ansible-playbook`` and the lab inventory pointed at that lab
(``playbook_command`` gives the command line, for tests that run it themselves).
"""

from __future__ import annotations

import contextlib
import grp
import json
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
from typing import Any

REPO = Path(__file__).resolve().parents[2]
CTL = REPO / "lab" / "ctl.py"
BIN = Path(sys.executable).parent
INVENTORY = REPO / "inventories" / "lab"
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


@dataclass
class PlayRun:
    """A finished ``ansible-playbook`` run; with the JSON callback, each task's result per host."""

    proc: subprocess.CompletedProcess[str]

    @property
    def output(self) -> str:
        return self.proc.stdout + self.proc.stderr

    def results(self, host: str) -> list[dict[str, Any]]:
        data = json.loads(self.proc.stdout)
        return [task["hosts"][host] for task in data["plays"][0]["tasks"] if host in task["hosts"]]

    def changed(self, host: str) -> list[bool]:
        return [bool(r.get("changed")) for r in self.results(host)]


def playbook_command(
    lab: LabUnderTest, book: Path, *args: str, vars_file: Path | None = None, json_out: bool = True
) -> tuple[list[str], dict[str, str]]:
    """(argv, environment) of ``ansible-playbook`` with the lab inventory, pointed at ``lab``."""
    environ = {**lab.env, "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1"}
    if json_out:
        environ["ANSIBLE_STDOUT_CALLBACK"] = "ansible.posix.json"
    argv = [
        *(str(BIN / "ansible-playbook"), "-i", str(INVENTORY / "hosts.yml")),
        *("--vault-password-file", str(INVENTORY / "vault-password.lab-only")),
        *(("-e", f"@{vars_file}") if vars_file else ()),
        *args,
        str(book),
    ]
    return argv, environ


def write_play(directory: Path, tasks: list[dict[str, Any]], host: str) -> Path:
    book = directory / f"play-{time.monotonic_ns()}.yml"
    book.write_text(json.dumps([{"hosts": host, "gather_facts": False, "tasks": tasks}]))
    return book


def play(
    lab: LabUnderTest,
    tasks: list[dict[str, Any]],
    *args: str,
    host: str,
    vars_file: Path | None = None,
    json_out: bool = True,
) -> PlayRun:
    """Run ``tasks`` on ``host`` of the lab inventory against ``lab`` (the play file goes beside the
    lab home)."""
    book = write_play(lab.home.parent, tasks, host)
    argv, environ = playbook_command(lab, book, *args, vars_file=vars_file, json_out=json_out)
    return PlayRun(subprocess.run(argv, cwd=REPO, env=environ, capture_output=True, text=True, timeout=300))


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
