# Copyright: (c) 2026, printops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to this collection: the ``ansible-playbook`` run a plugin is part of.

Lookups and action plugins run in worker processes forked from the controller process, so the run is
that process (a worker's parent, or this process when called in the controller itself). Its identity
keys the lookup's cache (decision 7); its start time tells an adapter what an earlier run left behind.
Both come from ``/proc`` (Linux controllers); elsewhere the identity is the pid and the start unknown.
"""

from __future__ import annotations

import multiprocessing
import os

__all__ = ["current_run_id", "run_started"]


def _controller_pid() -> int:
    parent = multiprocessing.parent_process()
    return parent.pid if parent is not None and parent.pid is not None else os.getpid()


def _start_ticks(pid: int) -> str | None:
    """Field 22 of ``/proc/<pid>/stat`` (start time in clock ticks since boot), if available."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            text = handle.read()
    except OSError:
        return None
    fields = text.rpartition(")")[2].split()  # the command name may contain blanks and ')'
    # fields[0] is field 3 (state), so field 22 is fields[19]
    return fields[19] if len(fields) > 19 else None


def current_run_id() -> str:
    """``<pid>@<start ticks>`` of the controller process: the start time guards against PID reuse."""
    pid = _controller_pid()
    started = _start_ticks(pid)
    return f"{pid}@{started}" if started else str(pid)


def run_started() -> float | None:
    """When the controller process started (seconds since the epoch), or ``None`` when unknown."""
    ticks = _start_ticks(_controller_pid())
    try:
        with open("/proc/stat", encoding="ascii", errors="replace") as handle:
            boot = next(int(line.split()[1]) for line in handle if line.startswith("btime "))
        return boot + int(ticks) / os.sysconf("SC_CLK_TCK") if ticks else None
    except (OSError, StopIteration, ValueError):
        return None
