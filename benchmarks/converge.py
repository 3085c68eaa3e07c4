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
import json
import re
import secrets
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import yaml
from benchlab import (  # beside this script
    REPO,
    RoundTrips,
    Simulator,
    ThrowawayLab,
    lab_fleet_sizes,
    run_benchmark,
    run_playbook,
    spread,
    write_private,
)

LAB_VARS = REPO / "inventories" / "lab" / "group_vars" / "all" / "lab.yml"
# -vvv lines of the connection plugin: one per command run on the target and per file sent to it.
_CONNECTION_OP_RE = re.compile(r"^<([^>]+)> (EXEC|PUT|FETCH) ", re.MULTILINE)

PLAYBOOK = """\
- name: Benchmark the remote_service role
  hosts: "{{ bench_group }}"
  gather_facts: false
  roles:
    - role: printops.prismadirect.remote_service
"""

LEGEND = (
    "wall s: ansible-playbook start to exit. changed hosts: hosts whose recap says changed > 0.\n"
    "round trips/host: module executions on each host (one interpreter start each: a custom\n"
    "module's reader, a standard module applying a change, the connection probe); mean (min-max).\n"
    "connection ops/host: commands run on and files sent to each host by the connection plugin\n"
    "(EXEC/PUT/FETCH at -vvv, counted in an extra, untimed no-change run); mean (min-max)."
)


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


class Bench:
    """The benchmark's lab, simulator and files, in one temporary folder."""

    def __init__(self, workdir: Path, sizes: list[int], forks: int) -> None:
        self.workdir = workdir
        self.sizes = sizes
        self.forks = forks
        self.lab = ThrowawayLab(workdir / "lab", prefix="pcb")
        self.sim = Simulator(workdir / "backoffice", REPO / "lab" / "licenses" / "backoffice")
        self.trips = RoundTrips(workdir)
        self.fleets: dict[int, list[str]] = {
            size: [f"b{size}p{number:03d}" for number in range(1, size + 1)] for size in sizes
        }

    @property
    def hosts(self) -> list[str]:
        return [host for fleet in self.fleets.values() for host in fleet]

    # --- setting up ---------------------------------------------------------------------------------

    def setup(self) -> None:
        self.workdir.chmod(0o755)  # the ORS accounts traverse it to their settings documents
        self.sim.start()
        hosts = {
            host: {
                "remote_service_ors_account": self.lab.account(host),
                "ansible_python_interpreter": self.trips.interpreter(host),
            }
            for host in self.hosts
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
                "vars": {**lab_vars, "ansible_connection": "local", **self.sim.connection_vars()},
            }
        }
        write_private(self.workdir / "inventory.yml", yaml.safe_dump(inventory, sort_keys=False))
        secrets_vars = {
            "prismadirect_verification_code": self.sim.verification_code,
            "remote_service_ors_password": secrets.token_urlsafe(18),
        }
        write_private(self.workdir / "secrets.json", json.dumps(secrets_vars))
        write_private(self.workdir / "playbook.yml", PLAYBOOK)
        self.lab.up(self.workdir / "inventory.yml")

    # --- running --------------------------------------------------------------------------------------

    def converge(self, size: int, name: str, *, trace: bool = False) -> Run:
        """One run of the role on the fleet of ``size`` hosts. ``trace``: at -vvv, to count the
        connection operations per host from the connection plugin's lines (slower: not for timing)."""
        fleet = self.fleets[size]
        self.trips.reset(fleet)
        log = self.workdir / f"ansible-{size}-{name.replace(' ', '-')}.log"
        env = dict(self.lab.env, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
        argv = [
            *("--inventory", str(self.workdir / "inventory.yml")),
            *("--extra-vars", f"@{self.workdir / 'secrets.json'}"),
            *("--extra-vars", f"bench_group=bench{size}"),
            *("--forks", str(self.forks)),
            *(["-vvv"] if trace else []),
            str(self.workdir / "playbook.yml"),
        ]
        try:
            run = run_playbook(argv, env=env, log=log)
        except RuntimeError as exc:
            raise RuntimeError(f"{size} hosts, {name}: {exc}") from None
        recap = run.recap()
        if set(recap) != set(fleet):
            raise RuntimeError(f"the recap of {log} does not list the {size} hosts")
        ops = None
        if trace:
            ops = dict.fromkeys(fleet, 0)
            for match in _CONNECTION_OP_RE.finditer(run.text):
                if match[1] in ops:
                    ops[match[1]] += 1
        changed = sum(1 for counts in recap.values() if counts[1])
        return Run(size, name, run.wall, changed, self.trips.counts(fleet), ops)

    # --- cleaning up ----------------------------------------------------------------------------------

    def teardown(self) -> None:
        self.lab.teardown(self.lab.account(host) for host in self.hosts)
        self.sim.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hosts", default="10,50", help="fleet sizes, comma separated (default %(default)s)")
    parser.add_argument("--forks", type=int, default=20, help="ansible-playbook forks (default %(default)s)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs, inventory)")
    args = parser.parse_args(argv)
    sizes = lab_fleet_sizes(parser, args.hosts)
    if args.forks < 1:
        parser.error("--forks must be 1 or more")

    workdir = Path(tempfile.mkdtemp(prefix="pcb-", dir="/tmp"))  # short: supervisord's socket path
    bench = Bench(workdir, sizes, args.forks)

    def work() -> list[dict[str, str]]:
        runs: list[Run] = []
        print(
            f"remote_service converge benchmark: fleets of {', '.join(map(str, sizes))} lab hosts "
            f"(forks {args.forks}), lab home {bench.lab.home}",
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
        return [run.row() for run in runs]

    return run_benchmark(workdir, args.keep, work, bench.teardown, LEGEND)


if __name__ == "__main__":
    sys.exit(main())
