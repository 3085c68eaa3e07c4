#!/usr/bin/env python3
"""Benchmark of the ``remote_service`` role converging a fleet of lab PRISMAdirect hosts.

    python benchmarks/converge.py [--hosts 10,50] [--forks 20] [--keep]

Run it from the repository root, as root, with the project's virtualenv (``./run shell -c 'python
benchmarks/converge.py'``). It brings up a throwaway lab of its own (``lab/ctl.py up`` with its own lab
home under /tmp, group names and Samba port, ``--no-backoffice``): one smbd and one supervisord shared
by every host, and ``sum(--hosts)`` lab PRISMAdirect hosts, each with its own lab root and its own ORS
account (a system user) whose Print ORS Service stand-in is a supervisord program. It starts its own
back-office simulator (free port, random verification code). For each fleet size N it then runs the role
on a fresh group of N hosts (local connection, ``--forks``) twice:

1. **first converge**: every host from nothing (account created, service set up and started, settings
   written, status light green after a live connection test as the ORS account);
2. **no-change converge**: the same again; every host must report ``changed=0``.

For each run it prints the wall time of ``ansible-playbook``, the hosts changed, and the **target round
trips per host**: module executions on the host (mean, min, max), counted by giving every host its own
``ansible_python_interpreter``, a two-line wrapper that appends a line to that host's counter file and
then execs the real interpreter. Every module run on a target (a custom module's reader, the standard
modules that apply a change, the connection probe) starts that interpreter exactly once, pipelined or
not; the controller-side work of the action plugins starts none. See benchmarks/README.md.

The simulator is stopped, the lab taken down (``lab/ctl.py down``: programs, smbd, supervisord, the
users and groups it made, the lab home) and the temporary folder removed (unless ``--keep``) also when
a run fails or the benchmark is interrupted. Figures depend on the machine; nothing asserts them.
"""

from __future__ import annotations

import argparse
import contextlib
import grp
import hashlib
import json
import os
import pwd
import re
import secrets
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import yaml
from figures import print_table  # beside this script

REPO = Path(__file__).resolve().parents[1]
LAB_CTL = REPO / "lab" / "ctl.py"
BACKOFFICE_CTL = REPO / "lab" / "backoffice" / "ctl.py"
LAB_VARS = REPO / "inventories" / "lab" / "group_vars" / "all" / "lab.yml"
ORGANIZATION = "BENCH-ORG"
_NOT_INHERITED = re.compile(
    r"ANSIBLE_.*|PRISMADIRECT_.*|PRINTOPS_LAB_.*|(https?|no|all)_proxy", re.IGNORECASE
)
# -vvv lines of the connection plugin: one per command run on the target and per file sent to it.
_CONNECTION_OP_RE = re.compile(r"^<([^>]+)> (EXEC|PUT|FETCH) ", re.MULTILINE)
_RECAP_RE = re.compile(r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)", re.MULTILINE)

PLAYBOOK = """\
- name: Benchmark the remote_service role
  hosts: "{{ bench_group }}"
  gather_facts: false
  roles:
    - role: printops.prismadirect.remote_service
"""

INTERPRETER = """\
#!/bin/sh
# {host}: count one module execution, then run the real interpreter
echo >>{counter}
exec {python} "$@"
"""


@dataclass
class Run:
    fleet: int
    name: str
    wall: float
    changed_hosts: int
    round_trips: dict[str, int]
    connection_ops: dict[str, int] | None = None

    def row(self) -> dict[str, str]:
        return {
            "hosts": str(self.fleet),
            "run": self.name,
            "wall s": f"{self.wall:.1f}",
            "s/host": f"{self.wall / self.fleet:.2f}",
            "changed hosts": str(self.changed_hosts),
            "round trips/host": spread(self.round_trips),
            "connection ops/host": spread(self.connection_ops) if self.connection_ops else "-",
        }


def spread(per_host: dict[str, int]) -> str:
    """``mean (min-max)`` of per-host counts."""
    values = list(per_host.values())
    if not values:
        return "-"
    low, high = min(values), max(values)
    mean = f"{sum(values) / len(values):.1f}"
    return mean if low == high else f"{mean} ({low}-{high})"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_private(path: Path, text: str) -> Path:
    path.touch(mode=0o600)
    path.write_text(text)
    return path


class Bench:
    """The benchmark's lab, simulator and files, in one temporary folder."""

    def __init__(self, workdir: Path, sizes: list[int], forks: int) -> None:
        self.workdir = workdir
        self.sizes = sizes
        self.forks = forks
        self.group = f"pcb{secrets.token_hex(3)}"
        self.home = workdir / "lab"
        self.port = free_port()
        self.backoffice = workdir / "backoffice"
        self.code = secrets.token_urlsafe(24)
        self.counters = workdir / "counters"
        self.fleets: dict[int, list[str]] = {
            size: [f"b{size}p{number:03d}" for number in range(1, size + 1)] for size in sizes
        }

    @property
    def lab_env(self) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if not _NOT_INHERITED.fullmatch(key)}
        env.update(
            PRINTOPS_LAB_HOME=str(self.home),
            PRINTOPS_LAB_GROUP=self.group,
            PRINTOPS_LAB_SMB_PORT=str(self.port),
        )
        return env

    def account(self, host: str) -> str:
        return f"{self.group}{host}"

    # --- setting up ---------------------------------------------------------------------------------

    def setup(self) -> None:
        self.workdir.chmod(0o755)  # the ORS accounts traverse it to their settings documents
        self.counters.mkdir()
        interpreters = self.workdir / "interpreters"
        interpreters.mkdir()
        self._start_backoffice()
        hosts: dict[str, dict[str, str]] = {}
        for host in (h for fleet in self.fleets.values() for h in fleet):
            wrapper = interpreters / host
            wrapper.write_text(
                INTERPRETER.format(
                    host=host,
                    counter=shlex.quote(str(self.counters / host)),
                    python=shlex.quote(sys.executable),
                )
            )
            wrapper.chmod(0o755)
            hosts[host] = {
                "remote_service_ors_account": self.account(host),
                "ansible_python_interpreter": str(wrapper),
            }
        lab_vars = yaml.safe_load(LAB_VARS.read_text())
        inventory = {
            "all": {
                "children": {
                    "prismadirect": {
                        "children": {
                            f"bench{size}": {"hosts": {h: hosts[h] for h in fleet}}
                            for size, fleet in self.fleets.items()
                        }
                    }
                },
                "vars": {
                    **lab_vars,
                    "ansible_connection": "local",
                    "prismadirect_backoffice_url": (self.backoffice / "url").read_text().strip(),
                    "prismadirect_backoffice_ca_path": str(self.backoffice / "ca.pem"),
                    "prismadirect_organization_id": ORGANIZATION,
                },
            }
        }
        write_private(self.workdir / "inventory.yml", yaml.safe_dump(inventory, sort_keys=False))
        secrets_vars = {
            "prismadirect_verification_code": self.code,
            "remote_service_ors_password": secrets.token_urlsafe(18),
        }
        write_private(self.workdir / "secrets.json", json.dumps(secrets_vars))
        write_private(self.workdir / "playbook.yml", PLAYBOOK)
        self._lab("up", "--inventory", str(self.workdir / "inventory.yml"))

    def _start_backoffice(self) -> None:
        proc = subprocess.run(
            [
                sys.executable,
                str(BACKOFFICE_CTL),
                "start",
                *("--state-dir", str(self.backoffice), "--port", "0"),
                *("--licenses", str(REPO / "lab" / "licenses" / "backoffice")),
                *("--organization", ORGANIZATION),
                "--verification-code-sha256",
                hashlib.sha256(self.code.encode()).hexdigest(),
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"the back-office simulator did not start:\n{proc.stdout}{proc.stderr}")

    def _lab(self, action: str, *args: str, check: bool = True) -> None:
        proc = subprocess.run(
            [sys.executable, str(LAB_CTL), action, "--no-backoffice", *args],
            capture_output=True,
            text=True,
            env=self.lab_env,
            timeout=600,
        )
        if check and proc.returncode != 0:
            raise RuntimeError(f"lab/ctl.py {action} exited {proc.returncode}:\n{proc.stdout}{proc.stderr}")

    # --- running --------------------------------------------------------------------------------------

    def converge(self, size: int, name: str, *, trace: bool = False) -> Run:
        """One run of the role on the fleet of ``size`` hosts. ``trace``: at -vvv, to count the
        connection operations per host from the connection plugin's lines (slower: not for timing)."""
        fleet = self.fleets[size]
        for host in fleet:
            (self.counters / host).unlink(missing_ok=True)
        log = self.workdir / f"ansible-{size}-{name.replace(' ', '-')}.log"
        env = dict(self.lab_env, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
        command = [
            str(Path(sys.executable).with_name("ansible-playbook")),
            *("--inventory", str(self.workdir / "inventory.yml")),
            *("--extra-vars", f"@{self.workdir / 'secrets.json'}"),
            *("--extra-vars", f"bench_group=bench{size}"),
            *("--forks", str(self.forks)),
            *(["-vvv"] if trace else []),
            str(self.workdir / "playbook.yml"),
        ]
        with log.open("w") as out:
            started = time.perf_counter()
            proc = subprocess.run(
                command, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=REPO, check=False
            )
            wall = time.perf_counter() - started
        text = log.read_text()
        if proc.returncode != 0:
            tail = "\n".join(text.splitlines()[-40:])
            raise RuntimeError(f"ansible-playbook ({size} hosts, {name}) exited {proc.returncode}:\n{tail}")
        recap = {m[1]: int(m[3]) for m in _RECAP_RE.finditer(text)}
        if set(recap) != set(fleet):
            raise RuntimeError(f"the recap of {log} does not list the {size} hosts")
        trips = {}
        for host in fleet:
            counter = self.counters / host
            trips[host] = len(counter.read_text().splitlines()) if counter.exists() else 0
        ops = None
        if trace:
            ops = dict.fromkeys(fleet, 0)
            for match in _CONNECTION_OP_RE.finditer(text):
                if match[1] in ops:
                    ops[match[1]] += 1
        return Run(size, name, wall, sum(1 for n in recap.values() if n), trips, ops)

    # --- cleaning up ----------------------------------------------------------------------------------

    def teardown(self) -> None:
        with contextlib.suppress(Exception):
            self._lab("down", check=False)
        subprocess.run(
            [sys.executable, str(BACKOFFICE_CTL), "stop", "--state-dir", str(self.backoffice)],
            capture_output=True,
            timeout=60,
            check=False,
        )
        # Belt and braces: whatever down left (it should leave nothing).
        for host in (h for fleet in self.fleets.values() for h in fleet):
            with contextlib.suppress(KeyError):
                pwd.getpwnam(self.account(host))
                subprocess.run(["userdel", self.account(host)], capture_output=True, check=False)
        for name in (f"{self.group}-logon", self.group):
            with contextlib.suppress(KeyError):
                grp.getgrnam(name)
                subprocess.run(["groupdel", name], capture_output=True, check=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hosts", default="10,50", help="fleet sizes, comma separated (default %(default)s)")
    parser.add_argument("--forks", type=int, default=20, help="ansible-playbook forks (default %(default)s)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs, inventory)")
    args = parser.parse_args(argv)
    try:
        sizes = [int(size) for size in args.hosts.split(",") if size.strip()]
    except ValueError:
        parser.error("--hosts takes numbers separated by commas, e.g. 10,50")
    if not sizes or min(sizes) < 1 or len(set(sizes)) != len(sizes) or args.forks < 1:
        parser.error("--hosts needs distinct sizes of 1 or more; --forks 1 or more")
    if os.geteuid() != 0:
        parser.error("run as root: the lab makes users and groups and starts smbd and supervisord")

    workdir = Path(tempfile.mkdtemp(prefix="pcb-", dir="/tmp"))  # short: supervisord's socket path
    bench = Bench(workdir, sizes, args.forks)
    runs: list[Run] = []
    try:
        print(
            f"remote_service converge benchmark: fleets of {', '.join(map(str, sizes))} lab hosts "
            f"(forks {args.forks}), lab home {bench.home}",
            flush=True,
        )
        started = time.perf_counter()
        bench.setup()
        print(f"lab up with {sum(sizes)} hosts in {time.perf_counter() - started:.1f} s", flush=True)
        for size in sizes:
            for name in ("first converge", "no-change converge"):
                runs.append(bench.converge(size, name))
                print(f"  {size} hosts, {name}: {runs[-1].wall:.1f} s", flush=True)
            traced = bench.converge(size, "no-change, -vvv", trace=True)
            runs[-1].connection_ops = traced.connection_ops
    except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        bench.teardown()
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print()
    print_table([run.row() for run in runs])
    print()
    print(
        "wall s: ansible-playbook start to exit. changed hosts: hosts whose recap says changed > 0.\n"
        "round trips/host: module executions on each host (one interpreter start each: a custom\n"
        "module's reader, a standard module applying a change, the connection probe); mean (min-max).\n"
        "connection ops/host: commands run on and files sent to each host by the connection plugin\n"
        "(EXEC/PUT/FETCH at -vvv, counted in an extra, untimed no-change run); mean (min-max)."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
