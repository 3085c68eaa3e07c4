#!/usr/bin/env python3
"""Benchmark of the fleet playbooks (``playbooks/site.yml``, ``playbooks/license_refresh.yml``) on lab fleets.

    python benchmarks/fleet.py [--hosts 10,50,100] [--forks 20] [--hosts-per-fls 25] [--batch-size N]
                               [--keep]

Run it from the repository root, as root, with the project's virtualenv (``./run shell -c 'python
benchmarks/fleet.py'``). For each fleet size N it generates a lab fleet of N PRISMAdirect hosts sharing
ceil(N / --hosts-per-fls) Floating License Servers (FLS): every host has its own serial, and its FLS holds
that serial's license (an old issue at first), bound to the FLS's host id. The back office (its own
simulator) holds an old and a new issue of every serial. All fleets live in one throwaway lab of the
benchmark's own (lab home under /tmp, own group names, Samba port and simulator port; never the default
lab) and one inventory (group ``fleetN`` per size; each run is ``--limit fleetN``). Per size it runs:

1. ``site.yml`` (its batches: ``prismadirect_batch_size``, the playbook's default unless ``--batch-size``),
   **first converge**: ORS accounts, shares and ACLs, the new license of every serial
   installed on the FLS, the Remote Service of every host configured, status lights;
2. ``site.yml``, **no-change converge**: the same again;
3. ``license_refresh.yml`` after the back office got a newer issue of every serial (**refresh, newer**),
   then once more with nothing newer (**refresh, none newer**). Skipped, with a note, while
   ``playbooks/license_refresh.yml`` does not exist.

Printed per run: wall time; the hosts that report a change; target round trips per host (module
executions, counted by an interpreter wrapper per host, as in converge.py), for the PRISMAdirect hosts and
for the FLS; back-office license requests per serial (the simulator's ``/_sim/stats``); CPU time; and
peak controller memory, two ways: the peak of the summed PSS (proportional set size, which splits the
pages forked workers share) of ``ansible-playbook`` and its forked workers, sampled from /proc; and the
largest peak RSS of any one process of the run (``os.wait4``'s ``ru_maxrss``, what
``getrusage(RUSAGE_CHILDREN)`` gives, for this run only). See benchmarks/README.md.

The simulator is stopped, the lab taken down (``lab/ctl.py down``) and the temporary folder removed
(unless ``--keep``) also when a run fails or the benchmark is interrupted. Figures depend on the machine;
nothing asserts them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from datetime import timedelta
from importlib.metadata import version
from pathlib import Path
from typing import Any

import yaml
from benchlab import (  # beside this script
    REPO,
    PlaybookRun,
    RoundTrips,
    Simulator,
    ThrowawayLab,
    lab_fleet_sizes,
    load_make_license,
    run_benchmark,
    run_playbook,
    spread,
    write_private,
)

SITE = REPO / "playbooks" / "site.yml"
REFRESH = REPO / "playbooks" / "license_refresh.yml"
LAB_GROUP_VARS = REPO / "inventories" / "lab" / "group_vars"
# The lab inventory's group variables that the generated inventory takes as they are: where the lab
# platform lives, the FLS's license folder and share, the PRISMAdirect hosts' license path on the share.
# (Not all/backoffice.yml and all/vault.yml: the benchmark has its own back office and credentials.)
LAB_VARS_TAKEN = ("all/lab.yml", "floating_license_servers", "prismadirect")

make_license = load_make_license()
# The issue the back office gets before the refresh run: newer than make_license.NEW.
NEWER = replace(
    make_license.NEW,
    issued=make_license.NEW.issued + timedelta(days=14),
    expiry=make_license.NEW.expiry.replace(year=make_license.NEW.expiry.year + 1),
    maintenance_end=make_license.NEW.maintenance_end.replace(year=make_license.NEW.maintenance_end.year + 1),
)

LEGEND = (
    "changed hosts: hosts whose recap says changed > 0 (the fleet report's files are not a change).\n"
    "round trips/host,\n"
    "/FLS: module executions on each PRISMAdirect host / FLS (one interpreter start each); mean\n"
    "(min-max). req/serial (max): license requests the back office received / serials, and the most for\n"
    "one serial. CPU s: ansible-playbook and every process it reaped (with the lab's local connection,\n"
    "the module processes too). controller MiB: peak of the summed PSS of ansible-playbook and its forked\n"
    "workers (/proc, every 0.25 s). max process MiB: the largest peak RSS of any one process of the run,\n"
    "a module process included (os.wait4 ru_maxrss = getrusage(RUSAGE_CHILDREN) for this run)."
)


@dataclass(frozen=True)
class Installation:
    host: str
    serial: str
    fls: str


@dataclass
class Fleet:
    """N PRISMAdirect hosts and their FLS hosts (FLS name -> its MAC address)."""

    size: int
    installations: list[Installation]
    fls: dict[str, str]

    @property
    def group(self) -> str:
        return f"fleet{self.size}"

    @property
    def hosts(self) -> list[str]:
        return [i.host for i in self.installations]

    @property
    def serials(self) -> list[str]:
        return [i.serial for i in self.installations]


def make_fleets(sizes: list[int], per_fls: int) -> list[Fleet]:
    fleets, fls_count = [], 0
    for size in sizes:
        width = len(str(size))
        fls: dict[str, str] = {}
        installations = []
        for number in range(1, size + 1):
            name = f"f{size}l{(number - 1) // per_fls + 1}"
            if name not in fls:
                fls_count += 1
                fls[name] = f"02:50:46:00:{fls_count >> 8:02x}:{fls_count & 0xFF:02x}"
            host = f"f{size}p{number:0{width}d}"
            installations.append(Installation(host, f"PFB-{size:03d}-{number:0{width}d}", name))
        fleets.append(Fleet(size, installations, fls))
    return fleets


@dataclass
class Figures:
    fleet: Fleet
    name: str
    run: PlaybookRun
    changed_hosts: int
    trips_prismadirect: dict[str, int]
    trips_fls: dict[str, int]
    stats: dict[str, Any]

    def row(self) -> dict[str, str]:
        by_serial = self.stats["by_serial"]
        asked, most = sum(by_serial.values()), max(by_serial.values(), default=0)
        statuses = ", ".join(f"{status}: {n}" for status, n in sorted(self.stats["by_status"].items()))
        return {
            "hosts": str(self.fleet.size),
            "FLS": str(len(self.fleet.fls)),
            "run": self.name,
            "wall s": f"{self.run.wall:.1f}",
            "changed hosts": str(self.changed_hosts),
            "round trips/host": spread(self.trips_prismadirect),
            "round trips/FLS": spread(self.trips_fls),
            "req/serial (max)": f"{asked / len(self.fleet.serials):.2f} ({most})",
            "HTTP statuses": statuses or "-",
            "CPU s": f"{self.run.cpu:.1f}",
            "controller MiB": f"{self.run.controller_pss_kib / 1024:.0f}",
            "max process MiB": f"{self.run.max_rss_kib / 1024:.0f}",
        }


class FleetBench:
    """The benchmark's lab, simulator, licenses and inventory, in one temporary folder."""

    def __init__(self, workdir: Path, fleets: list[Fleet], forks: int, batch_size: str | None) -> None:
        self.workdir = workdir
        self.fleets = fleets
        self.forks = forks
        self.batch_size = batch_size
        self.lab = ThrowawayLab(workdir / "lab", prefix="pfb")
        self.sim = Simulator(workdir / "simulator", workdir / "backoffice-licenses")
        self.trips = RoundTrips(workdir)
        self.inventory = workdir / "inventory"
        self.ors_password = os.urandom(18).hex()

    @property
    def accounts(self) -> list[str]:
        return [self.lab.account(host) for fleet in self.fleets for host in fleet.hosts]

    # --- setting up -----------------------------------------------------------------------------------

    def setup(self) -> None:
        self.workdir.chmod(0o755)  # the ORS accounts traverse it to their settings documents
        for fleet in self.fleets:
            self._publish(fleet, (make_license.OLD, make_license.NEW))
        self.sim.start()
        self._write_inventory()
        self.lab.up(self.inventory / "hosts.yml")
        for fleet in self.fleets:
            self._install_first_licenses(fleet)

    def _license(self, installation: Installation, fleet: Fleet, issue: Any) -> str:
        return make_license.make_license(
            installation.serial,
            fleet.fls[installation.fls].replace(":", ""),
            issued=issue.issued,
            expiry=issue.expiry,
            maintenance_end=issue.maintenance_end,
            users=10,
        )

    def _publish(self, fleet: Fleet, issues: tuple[Any, ...]) -> None:
        """Give the back office these issues of every serial of the fleet (a new file changes the
        folder, and the simulator indexes it again)."""
        self.sim.licenses.mkdir(exist_ok=True)
        for installation in fleet.installations:
            for issue in issues:
                path = self.sim.licenses / f"{installation.serial}_{issue.issued:%Y%m%d}.lic"
                path.write_text(self._license(installation, fleet, issue))

    def _install_first_licenses(self, fleet: Fleet) -> None:
        """What each FLS holds before the first run: the old issue of each of its serials; then the
        license server reads its folder again (lmutil lmreread), as after a manual install."""
        for installation in fleet.installations:
            folder = self.lab.home / "hosts" / installation.fls / "licenses"
            path = folder / f"{installation.serial}.lic"
            path.write_text(self._license(installation, fleet, make_license.OLD))
            path.chmod(0o644)
        for name in fleet.fls:
            folder = self.lab.home / "hosts" / name / "licenses"
            proc = subprocess.run(
                [str(self.lab.home / "bin" / "lmutil"), "lmreread", "-c", str(folder)],
                capture_output=True,
                text=True,
                timeout=60,
            )
            if proc.returncode != 0:
                raise RuntimeError(f"lmutil lmreread -c {folder}: {proc.stdout}{proc.stderr}")

    def _write_inventory(self) -> None:
        group_vars = self.inventory / "group_vars"
        for taken in LAB_VARS_TAKEN:
            source, target = LAB_GROUP_VARS / taken, group_vars / taken
            target.parent.mkdir(parents=True, exist_ok=True)
            if source.is_dir():
                shutil.copytree(source, target)
            else:
                shutil.copyfile(source, target)
        prismadirect, fls, groups = {}, {}, {}
        for fleet in self.fleets:
            for i in fleet.installations:
                prismadirect[i.host] = {
                    "prismadirect_serial": i.serial,
                    "prismadirect_fls_host": i.fls,
                    "remote_service_ors_account": self.lab.account(i.host),
                    "ansible_python_interpreter": self.trips.interpreter(i.host),
                }
            for name, mac in fleet.fls.items():
                fls[name] = {
                    "prismadirect_lab_mac_addresses": [mac],
                    "ansible_python_interpreter": self.trips.interpreter(name),
                }
            groups[fleet.group] = {"hosts": dict.fromkeys([*fleet.fls, *fleet.hosts])}
        inventory = {
            "all": {
                "children": {
                    "prismadirect": {"hosts": prismadirect},
                    "floating_license_servers": {"hosts": fls},
                    **groups,
                },
                "vars": {"ansible_connection": "local", **self.sim.connection_vars()},
            }
        }
        write_private(self.inventory / "hosts.yml", yaml.safe_dump(inventory, sort_keys=False))
        run_vars = {
            "prismadirect_verification_code": self.sim.verification_code,
            "remote_service_ors_password": self.ors_password,
            # The fleet report (site.yml's last play) goes here, not into the checkout's reports/.
            "fleet_report_dir": str(self.workdir / "reports"),
        }
        if self.batch_size is not None:
            run_vars["prismadirect_batch_size"] = self.batch_size
        write_private(self.workdir / "vars.json", json.dumps(run_vars))

    # --- running --------------------------------------------------------------------------------------

    def run(self, fleet: Fleet, playbook: Path, name: str) -> Figures:
        fls = list(fleet.fls)
        self.trips.reset([*fleet.hosts, *fls])
        self.sim.reset()
        log = self.workdir / f"ansible-{fleet.size}-{name.replace(' ', '-').replace(',', '')}.log"
        env = dict(
            self.lab.env,
            ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
            ANSIBLE_NOCOLOR="1",
            PRISMADIRECT_BACKOFFICE_CACHE_DIR=str(self.workdir / "cache"),
        )
        argv = [
            *("--inventory", str(self.inventory / "hosts.yml")),
            *("--extra-vars", f"@{self.workdir / 'vars.json'}"),
            *("--limit", fleet.group, "--forks", str(self.forks)),
            str(playbook),
        ]
        try:
            run = run_playbook(argv, env=env, log=log)
        except RuntimeError as exc:
            raise RuntimeError(f"{playbook.name} ({fleet.size} hosts, {name}): {exc}") from None
        recap = run.recap()
        missing = set(fleet.hosts) - set(recap)
        if playbook == SITE and missing:
            raise RuntimeError(f"the recap of {log} does not list {len(missing)} of the {fleet.size} hosts")
        changed = sum(1 for host in [*fleet.hosts, *fls] if recap.get(host, (0, 0, 0, 0))[1])
        return Figures(
            fleet,
            name,
            run,
            changed,
            self.trips.counts(fleet.hosts),
            self.trips.counts(fls),
            self.sim.stats(),
        )

    def runs(self, fleet: Fleet) -> list[Figures]:
        done = [self.run(fleet, SITE, name) for name in ("first converge", "no-change converge")]
        if not REFRESH.exists():
            print(f"  note: {REFRESH.relative_to(REPO)} does not exist yet: the refresh runs are skipped")
            return done
        self._publish(fleet, (NEWER,))
        done.append(self.run(fleet, REFRESH, "refresh, newer"))
        done.append(self.run(fleet, REFRESH, "refresh, none newer"))
        return done

    def teardown(self) -> None:
        self.lab.teardown(self.accounts)
        self.sim.stop()


def machine() -> str:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{os.cpu_count()} CPUs, {memory:.0f} GiB, {platform.platform(terse=True)}, "
        f"Python {platform.python_version()}, ansible-core {version('ansible-core')}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--hosts", default="10,50,100", help="fleet sizes, comma separated (default %(default)s)"
    )
    parser.add_argument("--forks", type=int, default=20, help="ansible-playbook forks (default %(default)s)")
    parser.add_argument(
        "--hosts-per-fls", type=int, default=25, help="PRISMAdirect hosts per FLS (default %(default)s)"
    )
    parser.add_argument(
        "--batch-size",
        help="site.yml's prismadirect_batch_size, e.g. 100%% for one batch (default: the playbook's)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs, inventory)")
    args = parser.parse_args(argv)
    sizes = lab_fleet_sizes(parser, args.hosts)
    if args.forks < 1 or args.hosts_per_fls < 1:
        parser.error("--forks and --hosts-per-fls must be 1 or more")

    workdir = Path(tempfile.mkdtemp(prefix="pfb-", dir="/tmp"))  # short: supervisord's socket path
    bench = FleetBench(workdir, make_fleets(sizes, args.hosts_per_fls), args.forks, args.batch_size)

    def work() -> list[dict[str, str]]:
        figures: list[Figures] = []
        print(f"fleet benchmark on {machine()}", flush=True)
        print(
            f"fleets of {', '.join(map(str, sizes))} PRISMAdirect hosts, one FLS per {args.hosts_per_fls} "
            f"(forks {args.forks}, batch size {args.batch_size or 'the playbook default'}); "
            f"lab home {bench.lab.home}",
            flush=True,
        )
        started = time.perf_counter()
        bench.setup()
        print(f"lab and simulator up in {time.perf_counter() - started:.1f} s", flush=True)
        for fleet in bench.fleets:
            for done in bench.runs(fleet):
                figures.append(done)
                print(f"  {fleet.size} hosts, {done.name}: {done.run.wall:.1f} s", flush=True)
        return [done.row() for done in figures]

    return run_benchmark(workdir, args.keep, work, bench.teardown, LEGEND)


if __name__ == "__main__":
    sys.exit(main())
