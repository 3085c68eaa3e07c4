"""Process helpers shared by the lab's control scripts (lab/ctl.py, lab/backoffice/ctl.py). Linux only.

The scripts run by path and find this file on ``sys.path`` (lab/ctl.py's own folder; lab/backoffice/ctl.py
adds lab/). Standard library only.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from pathlib import Path


def read_pid(path: Path) -> int | None:
    """The pid written in a pid file; None when there is none."""
    try:
        text = path.read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie (killed, not yet reaped) is not running
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def cmdline(pid: int) -> list[str]:
    """The process's arguments; empty when they cannot be read (gone, or no /proc)."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [arg.decode(errors="replace") for arg in raw.split(b"\0") if arg]


def our_pid(pidfile: Path, is_ours: Callable[[list[str]], bool]) -> int | None:
    """The pid in ``pidfile`` when it is alive and ``is_ours`` accepts its command line (a pid file can
    outlive its process, and the pid be recycled by another)."""
    pid = read_pid(pidfile)
    if pid is None or not alive(pid):
        return None
    return pid if is_ours(cmdline(pid)) else None


def wait_for(predicate: Callable[[], object], timeout: float, interval: float = 0.05) -> bool:
    """Whether ``predicate`` became true within ``timeout`` seconds (asked once more at the end)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())


TERMINATED: list[int] = []  # pids this run stopped, for wait_reaped()


def terminate(pid: int, wait: float = 10.0) -> bool:
    """SIGTERM, and SIGKILL when the process is still there after ``wait`` seconds; whether it is gone."""
    for sig, limit in ((signal.SIGTERM, wait), (signal.SIGKILL, 3.0)):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return True
        TERMINATED.append(pid)
        if wait_for(lambda: not alive(pid), timeout=limit):
            return True
    return False


def wait_reaped(timeout: float = 5.0) -> None:
    """Wait (a little) until the stopped daemons are gone from the process table. They are orphans:
    only PID 1 can reap them, and without systemd PID 1 may do that lazily (they stay zombies a while)."""
    wait_for(lambda: not any(Path(f"/proc/{pid}").exists() for pid in TERMINATED), timeout=timeout)
