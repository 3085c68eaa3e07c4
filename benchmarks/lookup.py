#!/usr/bin/env python3
"""Benchmark of the ``printops.prismadirect.latest_license`` lookup in real ``ansible-playbook`` runs.

    python benchmarks/lookup.py [--serials 200] [--hosts 10] [--forks 10] [--keep]

Run it from the repository root with the project's virtualenv (``./run shell -c 'python
benchmarks/lookup.py'``). It makes ``--serials`` lab licenses (an old and a new issue each) in a temporary
folder, starts its own back-office simulator on a free port (own state directory, random credentials),
and runs a playbook in which each of ``--hosts`` local hosts asks the lookup for every serial (forks
``--forks``). It does this twice with one cache directory: first cold (empty cache, every serial answered
200), then warm (every serial revalidated with its ETag, answered 304). For each run it prints:

- wall time of ``ansible-playbook``, and the lookups it answered per second (hosts x serials / wall time);
- back-office requests per serial (from the simulator's ``/_sim/stats``): the mean (license requests /
  serials) and the maximum for any serial; the lookup promises at most 1 per serial per run;
- the HTTP statuses the simulator answered;
- what the hosts got: items, ``ok`` items and ``not_modified`` items, summed over the hosts;
- CPU time (user + system) of ``ansible-playbook`` and its worker processes;
- peak memory: the largest maximum resident set size of any single process of the run (the
  ``ansible-playbook`` controller or one of its forked workers; not the sum over processes). It is the
  ``ru_maxrss`` that ``os.wait4`` reports for the ``ansible-playbook`` child, i.e. what
  ``resource.getrusage(RUSAGE_CHILDREN)`` would report, but for this one run only.

The simulator is stopped and the temporary folder removed (unless ``--keep``) also when a run fails or
the benchmark is interrupted. Figures depend on the machine; nothing asserts them.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchlab import (  # beside this script
    ANSIBLE_PLAYBOOK,
    REPO,
    Simulator,
    clean_env,
    load_make_license,
    run_benchmark,
    run_playbook,
    write_private,
)

PLAYBOOK = """\
- name: Benchmark the latest_license lookup
  hosts: all
  gather_facts: false
  tasks:
    - name: Pull the latest license of every serial
      ansible.builtin.set_fact:
        bench_licenses: "{{ query('printops.prismadirect.latest_license', bench_serials) }}"

    - name: Count what this host got
      ansible.builtin.set_fact:
        bench_summary:
          items: "{{ bench_licenses | length }}"
          ok: "{{ bench_licenses | selectattr('ok') | list | length }}"
          not_modified: "{{ bench_licenses | selectattr('not_modified', 'defined')
                            | selectattr('not_modified') | list | length }}"

    - name: Write every host's counts as JSON
      ansible.builtin.copy:
        content: "{{ dict(ansible_play_hosts | zip(ansible_play_hosts
                     | map('extract', hostvars, 'bench_summary'))) | to_json }}"
        dest: "{{ bench_summary_file }}"
        mode: "0600"
      run_once: true
"""

LEGEND = (
    "req/serial: license requests the simulator received / serials; max/serial: most requests for one\n"
    "serial. items (ok) and not_modified: summed over the hosts. CPU s: user + system time of\n"
    "ansible-playbook and its workers. peak RSS: largest max RSS of any single process of the run\n"
    "(controller or one forked worker), from os.wait4 rusage (getrusage(RUSAGE_CHILDREN) for this run)."
)


@dataclass
class RunFigures:
    name: str
    wall: float
    cpu: float
    max_rss_kib: int
    lookups: int
    serials: int
    stats: dict[str, Any]
    summary: dict[str, dict[str, int]]

    @property
    def license_requests(self) -> int:
        return sum(self.stats["by_serial"].values())

    def row(self) -> dict[str, str]:
        by_serial = self.stats["by_serial"]
        totals = {key: sum(int(host[key]) for host in self.summary.values()) for key in ("items", "ok")}
        not_modified = sum(int(host["not_modified"]) for host in self.summary.values())
        by_status = sorted(self.stats["by_status"].items())
        statuses = ", ".join(f"{status}: {count}" for status, count in by_status)
        return {
            "run": self.name,
            "wall s": f"{self.wall:.2f}",
            "lookups/s": f"{self.lookups / self.wall:.0f}",
            "requests": str(self.stats["requests"]),
            "req/serial": f"{self.license_requests / self.serials:.2f}",
            "max/serial": str(max(by_serial.values(), default=0)),
            "HTTP statuses": statuses or "-",
            "items (ok)": f"{totals['items']} ({totals['ok']})",
            "not_modified": str(not_modified),
            "CPU s": f"{self.cpu:.2f}",
            "peak RSS MiB": f"{self.max_rss_kib / 1024:.1f}",
        }


def measure(
    workdir: Path, name: str, *, lookups: int, serials: int, forks: int, sim: Simulator
) -> RunFigures:
    """One ``ansible-playbook`` run; the simulator's counters are reset first."""
    sim.reset()
    summary_file = workdir / "summary.json"  # named in vars.json
    summary_file.unlink(missing_ok=True)
    env = clean_env(
        ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
        ANSIBLE_FORCE_COLOR="0",
        ANSIBLE_NOCOLOR="1",
        PRISMADIRECT_BACKOFFICE_CACHE_DIR=str(workdir / "cache"),
    )
    argv = [
        *("--inventory", str(workdir / "inventory.json")),
        *("--extra-vars", f"@{workdir / 'vars.json'}"),
        *("--forks", str(forks)),
        str(workdir / "playbook.yml"),
    ]
    log = workdir / f"ansible-{name.replace(' ', '-')}.log"
    try:
        run = run_playbook(argv, env=env, log=log, cwd=workdir)
    except RuntimeError as exc:
        raise RuntimeError(f"{name} run: {exc}") from None
    return RunFigures(
        name=name,
        wall=run.wall,
        cpu=run.cpu,
        max_rss_kib=run.max_rss_kib,
        lookups=lookups,
        serials=serials,
        stats=sim.stats(),
        summary=json.loads(summary_file.read_text()),
    )


def benchmark(workdir: Path, sim: Simulator, serial_count: int, hosts: int, forks: int) -> list[RunFigures]:
    sim.licenses.mkdir()
    serials = load_make_license().write_fleet(sim.licenses, serial_count)
    sim.start()
    connection = {
        **sim.connection_vars(),
        "prismadirect_verification_code": sim.verification_code,
        "bench_serials": serials,
        "bench_summary_file": str(workdir / "summary.json"),
    }
    write_private(workdir / "vars.json", json.dumps(connection))
    inventory = {
        "all": {
            "hosts": {f"bench{number:02d}": None for number in range(1, hosts + 1)},
            "vars": {
                "ansible_connection": "local",
                "ansible_python_interpreter": "{{ ansible_playbook_python }}",
            },
        }
    }
    write_private(workdir / "inventory.json", json.dumps(inventory))
    write_private(workdir / "playbook.yml", PLAYBOOK)
    print(
        f"latest_license benchmark: {len(serials)} serials x {hosts} hosts (forks {forks}), "
        f"simulator {sim.url}, ansible-playbook {ANSIBLE_PLAYBOOK}",
        flush=True,
    )
    common = {"lookups": hosts * len(serials), "serials": len(serials), "forks": forks, "sim": sim}
    return [measure(workdir, name, **common) for name in ("cold cache", "warm cache")]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--serials", type=int, default=200, help="serials (default %(default)s)")
    parser.add_argument("--hosts", type=int, default=10, help="hosts asking for them (default %(default)s)")
    parser.add_argument("--forks", type=int, default=10, help="ansible-playbook forks (default %(default)s)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs, cache)")
    args = parser.parse_args(argv)
    if args.serials < 1 or args.hosts < 1 or args.forks < 1:
        parser.error("--serials, --hosts and --forks must be 1 or more")

    workdir = Path(tempfile.mkdtemp(prefix="latest-license-bench-"))
    sim = Simulator(workdir / "simulator", workdir / "licenses")

    def work() -> list[dict[str, str]]:
        return [run.row() for run in benchmark(workdir, sim, args.serials, args.hosts, args.forks)]

    return run_benchmark(workdir, args.keep, work, sim.stop, LEGEND)


if __name__ == "__main__":
    sys.exit(main())
