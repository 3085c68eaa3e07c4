"""What the lab benchmarks share (``converge.py``, ``fleet.py``, ``lookup.py`` beside this file): a clean
environment, their own back-office simulator, a throwaway lab, per-host round-trip counters, and
``ansible-playbook`` runs measured for wall time, CPU and memory. See benchmarks/README.md.

Every process and file these make is theirs alone: the simulator has its own state directory and a free
port, the lab its own home under /tmp, group names and Samba port. Nothing here touches the default lab.
"""

from __future__ import annotations

import argparse
import contextlib
import grp
import hashlib
import importlib.util
import json
import os
import pwd
import re
import secrets
import shlex
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from figures import print_table  # beside this file

REPO = Path(__file__).resolve().parents[1]
LAB_CTL = REPO / "lab" / "ctl.py"
BACKOFFICE_CTL = REPO / "lab" / "backoffice" / "ctl.py"
MAKE_LICENSE = REPO / "lab" / "backoffice" / "make_license.py"
ANSIBLE_PLAYBOOK = Path(sys.executable).with_name("ansible-playbook")
ORGANIZATION = "BENCH-ORG"
# What a benchmark never inherits from the shell that starts it: its runs are configured here only.
_NOT_INHERITED = re.compile(
    r"ANSIBLE_.*|PRISMADIRECT_.*|PRINTOPS_LAB_.*|(https?|no|all)_proxy", re.IGNORECASE
)
# A line of the play recap: host, ok, changed, unreachable, failed.
RECAP_RE = re.compile(
    r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.MULTILINE
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_private(path: Path, text: str) -> Path:
    path.touch(mode=0o600)
    path.write_text(text)
    return path


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without outside Ansible, back-office, lab or proxy settings."""
    env = {key: value for key, value in os.environ.items() if not _NOT_INHERITED.fullmatch(key)}
    env.update(extra)
    return env


def spread(per_host: dict[str, int]) -> str:
    """``mean (min-max)`` of per-host counts."""
    values = list(per_host.values())
    if not values:
        return "-"
    low, high = min(values), max(values)
    mean = f"{sum(values) / len(values):.1f}"
    return mean if low == high else f"{mean} ({low}-{high})"


def lab_fleet_sizes(parser: argparse.ArgumentParser, hosts: str) -> list[int]:
    """The fleet sizes of ``--hosts`` (``10,50``); a usage error for anything else, or when this process
    cannot set up a lab (not root)."""
    try:
        sizes = [int(size) for size in hosts.split(",") if size.strip()]
    except ValueError:
        sizes = []
    if not sizes or min(sizes) < 1 or len(set(sizes)) != len(sizes):
        parser.error(
            f"--hosts {hosts!r}: give distinct fleet sizes of 1 or more, separated by commas, e.g. 10,50"
        )
    if os.geteuid() != 0:
        parser.error("run as root: the lab makes users and groups and starts smbd and supervisord")
    return sizes


def load_make_license() -> ModuleType:
    """lab/backoffice/make_license.py as a module (it is a script, not a package member)."""
    spec = importlib.util.spec_from_file_location("lab_make_license", MAKE_LICENSE)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses need the module registered
    spec.loader.exec_module(module)
    return module


class Simulator:
    """A back-office simulator of the benchmark's own (lab/backoffice/ctl.py): free port, own state
    directory, a random verification code, licenses from ``licenses``."""

    def __init__(self, state_dir: Path, licenses: Path) -> None:
        self.state_dir = state_dir
        self.licenses = licenses
        self.verification_code = secrets.token_urlsafe(24)
        self.url = ""

    @property
    def ca_path(self) -> Path:
        return self.state_dir / "ca.pem"

    def connection_vars(self) -> dict[str, str]:
        """The collection's back-office variables (no secret: the verification code goes separately)."""
        return {
            "prismadirect_backoffice_url": self.url,
            "prismadirect_backoffice_ca_path": str(self.ca_path),
            "prismadirect_organization_id": ORGANIZATION,
        }

    def start(self) -> None:
        self._ctl(
            "start",
            *("--port", "0", "--licenses", str(self.licenses), "--organization", ORGANIZATION),
            *("--verification-code-sha256", hashlib.sha256(self.verification_code.encode()).hexdigest()),
        )
        self.url = (self.state_dir / "url").read_text().strip()

    def stop(self) -> None:
        self._ctl("stop", check=False)

    def _ctl(self, action: str, *args: str, check: bool = True) -> None:
        proc = subprocess.run(
            [sys.executable, str(BACKOFFICE_CTL), action, "--state-dir", str(self.state_dir), *args],
            capture_output=True,
            text=True,
            timeout=60,
        )
        if check and proc.returncode != 0:
            raise RuntimeError(
                f"lab/backoffice/ctl.py {action} exited {proc.returncode}:\n{proc.stdout}{proc.stderr}"
            )

    def _sim(self, path: str, method: str = "GET") -> Any:
        context = ssl.create_default_context(cafile=str(self.ca_path))
        request = urllib.request.Request(self.url + path, method=method)
        with urllib.request.urlopen(request, context=context, timeout=30) as response:
            return json.loads(response.read())

    def reset(self) -> None:
        """Counters (and faults) back to zero."""
        self._sim("/_sim/reset", method="POST")

    def stats(self) -> dict[str, Any]:
        """``{"requests", "by_serial", "by_status"}`` since the last reset."""
        return self._sim("/_sim/stats")


class ThrowawayLab:
    """``lab/ctl.py`` (without its simulator) with a lab home, group names and Samba port of its own.

    ``teardown()`` takes it down and removes whatever ``down`` left of its users and groups."""

    def __init__(self, home: Path, prefix: str) -> None:
        self.home = home
        self.group = f"{prefix}{secrets.token_hex(3)}"
        self.port = free_port()

    @property
    def env(self) -> dict[str, str]:
        return clean_env(
            PRINTOPS_LAB_HOME=str(self.home),
            PRINTOPS_LAB_GROUP=self.group,
            PRINTOPS_LAB_SMB_PORT=str(self.port),
        )

    def account(self, host: str) -> str:
        """A lab host's ORS account: a system user whose name says which lab it belongs to."""
        return f"{self.group}{host}"

    def up(self, inventory: Path) -> None:
        self._ctl("up", "--inventory", str(inventory))

    def teardown(self, accounts: Iterable[str] = ()) -> None:
        with contextlib.suppress(Exception):
            self._ctl("down", check=False)
        # Belt and braces: whatever down left (it should leave nothing).
        for account in accounts:
            with contextlib.suppress(KeyError):
                pwd.getpwnam(account)
                subprocess.run(["userdel", account], capture_output=True, check=False)
        for name in (f"{self.group}-logon", self.group):
            with contextlib.suppress(KeyError):
                grp.getgrnam(name)
                subprocess.run(["groupdel", name], capture_output=True, check=False)

    def _ctl(self, action: str, *args: str, check: bool = True) -> None:
        proc = subprocess.run(
            [sys.executable, str(LAB_CTL), action, "--no-backoffice", *args],
            capture_output=True,
            text=True,
            env=self.env,
            timeout=900,
        )
        if check and proc.returncode != 0:
            raise RuntimeError(f"lab/ctl.py {action} exited {proc.returncode}:\n{proc.stdout}{proc.stderr}")


INTERPRETER = """\
#!/bin/sh
# {host}: count one module execution, then run the real interpreter
echo >>{counter}
exec {python} "$@"
"""


class RoundTrips:
    """Module executions per host. Each host's ``ansible_python_interpreter`` is a wrapper that appends a
    line to the host's counter file and execs the real interpreter: every module run on a target starts
    that interpreter exactly once, pipelined or not; controller-side work starts none."""

    def __init__(self, workdir: Path) -> None:
        self.counters = workdir / "counters"
        self.interpreters = workdir / "interpreters"
        self.counters.mkdir()
        self.interpreters.mkdir()

    def interpreter(self, host: str) -> str:
        """The path to give as the host's ``ansible_python_interpreter``."""
        wrapper = self.interpreters / host
        wrapper.write_text(
            INTERPRETER.format(
                host=host,
                counter=shlex.quote(str(self.counters / host)),
                python=shlex.quote(sys.executable),
            )
        )
        wrapper.chmod(0o755)
        return str(wrapper)

    def reset(self, hosts: Iterable[str]) -> None:
        for host in hosts:
            (self.counters / host).unlink(missing_ok=True)

    def counts(self, hosts: Iterable[str]) -> dict[str, int]:
        found = {}
        for host in hosts:
            counter = self.counters / host
            found[host] = len(counter.read_text().splitlines()) if counter.exists() else 0
        return found


@dataclass
class PlaybookRun:
    """A finished ``ansible-playbook`` run."""

    wall: float
    cpu: float  # user + system seconds of ansible-playbook and every process it reaped
    max_rss_kib: int  # largest peak RSS of one process of the run (os.wait4's ru_maxrss)
    controller_pss_kib: int  # peak of the summed PSS of ansible-playbook and its forked workers
    log: Path

    @property
    def text(self) -> str:
        return self.log.read_text()

    def recap(self) -> dict[str, tuple[int, int, int, int]]:
        """Host -> (ok, changed, unreachable, failed) from the play recap."""
        return {m[1]: (int(m[2]), int(m[3]), int(m[4]), int(m[5])) for m in RECAP_RE.finditer(self.text)}


def _parent(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def _pss_kib(pid: int) -> int:
    """Proportional set size: the process's resident memory, each page shared with other processes (a
    forked worker's copy-on-write pages) divided among them, so that a sum over processes adds up."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except (OSError, IndexError, ValueError):
        pass
    return 0


def controller_pss_kib(root: int) -> int:
    """Memory of ``root`` (ansible-playbook) and its descendants that run the same command line, its
    forked workers: their summed PSS. Other descendants (a local connection's module processes, shells)
    stand for the targets and are left out."""
    try:
        command = Path(f"/proc/{root}/cmdline").read_bytes()
    except OSError:
        return 0
    parents = {int(e.name): _parent(int(e.name)) for e in Path("/proc").iterdir() if e.name.isdigit()}
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent and pid not in tree]
        tree.update(children)
        frontier.extend(children)
    total = 0
    for pid in tree:
        with contextlib.suppress(OSError):
            if Path(f"/proc/{pid}/cmdline").read_bytes() == command:
                total += _pss_kib(pid)
    return total


def run_playbook(
    argv: list[str], *, env: dict[str, str], log: Path, cwd: Path = REPO, sample_every: float = 0.25
) -> PlaybookRun:
    """Run ``ansible-playbook`` (``argv`` without the program), output to ``log``. RuntimeError with the
    log's last lines when it fails. Memory: ``os.wait4``'s rusage, and the controller's PSS sampled from
    /proc every ``sample_every`` seconds."""
    peak = 0
    done = threading.Event()
    with log.open("w") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(
            [str(ANSIBLE_PLAYBOOK), *argv], stdout=out, stderr=subprocess.STDOUT, env=env, cwd=cwd
        )

        def sample() -> None:
            nonlocal peak
            while not done.wait(sample_every):
                peak = max(peak, controller_pss_kib(proc.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        try:
            # wait4 (not proc.wait): the rusage of this child and of the workers it reaped
            _, status, usage = os.wait4(proc.pid, 0)
        except BaseException:  # interrupted: the run stops too, before the lab is taken down
            proc.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired, ChildProcessError):
                proc.wait(timeout=60)
            raise
        finally:
            done.set()
            sampler.join()
        wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        tail = "\n".join(log.read_text().splitlines()[-40:])
        raise RuntimeError(f"ansible-playbook exited {proc.returncode} (log {log}); last lines:\n{tail}")
    return PlaybookRun(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, peak, log)


def run_benchmark(
    workdir: Path,
    keep: bool,
    work: Callable[[], list[dict[str, str]]],
    teardown: Callable[[], object],
    legend: str,
) -> int:
    """Run ``work()``, which returns the rows of the figures table; whatever happens, then ``teardown()``
    and remove ``workdir`` (unless ``keep``); print the table and its ``legend`` when it finished.
    The exit code: 0 when it finished, 1 when it failed (the reason printed), 130 when interrupted
    (Ctrl-C, or SIGTERM: a ``kill`` cleans up too)."""

    def terminated(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminated)
    try:
        rows = work()
    except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        teardown()
        if keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    report(rows, legend)
    return 0


def report(rows: list[dict[str, str]], legend: str) -> None:
    """The figures as a table, then what its columns mean."""
    print()
    print_table(rows)
    print()
    print(legend)
