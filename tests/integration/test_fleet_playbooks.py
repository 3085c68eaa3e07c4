"""The fleet playbooks for real: ``site.yml`` (dry run, converge, no-change converge),
``license_refresh.yml`` and ``remote_assistance.yml`` with the lab inventory against a throwaway lab
platform (own home, groups and Samba port, see lab_under_test.py) and the session's back-office
simulator.

The tests run in file order on one lab: the dry run needs the fresh lab, the others the converged one.
The ORS accounts get random names (an extra variable templated per host), so that no real lab's users
are touched; the fleet report goes to a temporary folder. The lab is torn down afterwards.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from lab_under_test import LabUnderTest, lab_platform, playbook_command, users_in

pytestmark = [
    pytest.mark.integration,
    pytest.mark.usefixtures("backoffice_sim_reset"),
    pytest.mark.skipif(os.geteuid() != 0, reason="the lab platform needs root (users, groups, daemons)"),
    pytest.mark.skipif(not shutil.which("supervisord"), reason="supervisor is not installed"),
]

REPO = Path(__file__).resolve().parents[2]
PLAYBOOKS = REPO / "playbooks"
LAB_LICENSES = REPO / "lab" / "licenses"
STORE = Path("ProgramData") / "PRISMAdirect" / "remote-service.json"

sys.path.insert(0, str(REPO / "lab" / "backoffice"))
from make_license import make_license


@dataclass
class Fleet:
    lab: LabUnderTest
    sim: Any
    vars_file: Path
    reports: Path

    def run(self, book: str, *args: str) -> Run:
        argv, environ = playbook_command(self.lab, PLAYBOOKS / book, *args, vars_file=self.vars_file)
        proc = subprocess.run(argv, cwd=REPO, env=environ, capture_output=True, text=True, timeout=600)
        return Run(proc)

    def store(self, host: str = "prisma1") -> Path:
        return self.lab.home / "hosts" / host / STORE

    def assistance(self, host: str = "prisma1") -> dict[str, Any]:
        return json.loads(self.store(host).read_text())["remote_assistance"]

    def set_window_end(self, until: str, host: str = "prisma1") -> None:
        """Move the stored end of the window, as time passing would (the modules refuse a past end)."""
        path = self.store(host)
        document = json.loads(path.read_text())
        document["remote_assistance"]["until"] = until
        before = path.stat()
        path.write_text(json.dumps(document))
        os.chown(path, before.st_uid, before.st_gid)
        path.chmod(stat.S_IMODE(before.st_mode))

    def snapshot(self) -> dict[str, tuple[int, int, int, bytes]]:
        """Every regular file of the lab home (mode, owner, group, content), logs left out, and the
        lab's users: what a dry run must leave as it found it."""
        files = {}
        for path in sorted(self.lab.home.rglob("*")):
            if path.is_symlink() or not path.is_file() or "log" in path.relative_to(self.lab.home).parts:
                continue
            if path.suffix == ".log":
                continue
            info = path.stat()
            files[str(path)] = (info.st_mode, info.st_uid, info.st_gid, path.read_bytes())
        files["users"] = (0, 0, 0, " ".join(users_in(self.lab.group)).encode())
        return files


@dataclass
class Run:
    """A finished ``ansible-playbook`` run with the JSON callback."""

    proc: subprocess.CompletedProcess[str]

    @property
    def output(self) -> str:
        return self.proc.stdout + self.proc.stderr

    @property
    def data(self) -> dict[str, Any]:
        return json.loads(self.proc.stdout)

    def stats(self) -> dict[str, dict[str, int]]:
        return self.data["stats"]

    def changed_tasks(self) -> list[str]:
        """``host: task`` (without its role) of every result that changed something, in every play."""
        return [
            f"{host}: {task['task']['name'].split(' : ')[-1]}"
            for play in self.data["plays"]
            for task in play["tasks"]
            for host, result in task["hosts"].items()
            if result.get("changed")
        ]

    def messages(self, task_name: str) -> list[str]:
        """The ``msg`` lines of the debug task ``task_name`` (each host's, in order)."""
        lines: list[str] = []
        for play in self.data["plays"]:
            for task in play["tasks"]:
                if task["task"]["name"].split(" : ")[-1] == task_name:
                    for result in task["hosts"].values():
                        msg = result.get("msg", [])
                        lines += msg if isinstance(msg, list) else [msg]
        return lines


@pytest.fixture(scope="module")
def fleet(backoffice_sim: Any) -> Iterator[Fleet]:
    with lab_platform() as lab:
        lab.ctl("up")
        token = secrets.token_hex(3)
        reports = lab.home.parent / "reports"
        vars_file = lab.home.parent / "fleet-vars.json"
        vars_file.write_text(
            json.dumps(
                {
                    # one account per host, named for this test only (templated in each host's context)
                    "remote_service_ors_account": f"fp{token}_{{{{ inventory_hostname }}}}",
                    "prismadirect_backoffice_url": backoffice_sim.url,
                    "prismadirect_backoffice_ca_path": str(backoffice_sim.ca_path),
                    "prismadirect_organization_id": backoffice_sim.organization_id,
                    "prismadirect_verification_code": backoffice_sim.verification_code,
                    "prismadirect_backoffice_cache_dir": str(lab.home.parent / "cache"),
                    "fleet_report_dir": str(reports),
                }
            )
        )
        vars_file.chmod(0o600)
        yield Fleet(lab, backoffice_sim, vars_file, reports)


# ---------------------------------------------------------------------------------------------------
# site.yml
# ---------------------------------------------------------------------------------------------------


def test_a_dry_run_of_the_whole_fleet_on_a_fresh_lab_changes_nothing(fleet: Fleet):
    before = fleet.snapshot()
    dry = fleet.run("site.yml", "--check", "--diff")
    assert dry.proc.returncode == 0, dry.output
    assert fleet.snapshot() == before
    assert not any(stats["failures"] or stats["unreachable"] for stats in dry.stats().values())
    changed = dry.changed_tasks()
    for expected in (
        "prisma1: Ensure the ORS account runs Print ORS Service",
        "fls1: Share the license folder with the ORS accounts of the PRISMAdirect hosts it licenses",
        "fls1: Install the newest licenses that differ and validate",
        "prisma2: Configure the Remote Service general settings",
    ):
        assert expected in changed, changed
    # The accounts the dry run did not make: the share step says so instead of failing.
    assert "do not exist on this host yet: check mode plans the grant" in dry.output
    assert fleet.sim.verification_code not in dry.output


def test_site_converges_the_fleet_in_batches_then_changes_nothing(fleet: Fleet):
    first = fleet.run("site.yml", "-e", "prismadirect_batch_size=1")
    assert first.proc.returncode == 0, first.output
    plays = [play["play"]["name"] for play in first.data["plays"]]
    batched = "Configure the Remote Service of the PRISMAdirect servers, in batches"
    assert plays.count(batched) == 2  # one host a batch
    assert plays.index(
        "Share the license folders and install the newest licenses on every Floating License Server"
    ) < (plays.index(batched))
    store = json.loads(fleet.store("prisma2").read_text())
    assert store["general"]["license_server"] == "external"
    assert store["general"]["license_path"] == "\\\\fls1\\licenses"
    assert {p.suffix for p in fleet.reports.glob("fleet-2*")} == {
        ".csv",
        ".html",
        ".json",
    }  # the status check

    again = fleet.run("site.yml", "--skip-tags", "report")
    assert again.proc.returncode == 0, again.output
    assert again.changed_tasks() == []
    assert all(stats["changed"] == 0 for stats in again.stats().values())


# ---------------------------------------------------------------------------------------------------
# license_refresh.yml
# ---------------------------------------------------------------------------------------------------


def put_back_the_old_license(fleet: Fleet, serial: str = "PDS-100001") -> Path:
    path = fleet.lab.home / "hosts" / "fls1" / "licenses" / f"{serial}.lic"
    shutil.copyfile(LAB_LICENSES / "installed" / f"{serial}.lic", path)
    return path


SUMMARY = "Show what changed and what was refused, and why"


def test_license_refresh_installs_the_newer_license_and_reports_the_refused_serial(fleet: Fleet):
    license_file = put_back_the_old_license(fleet)
    fleet.sim.reset()
    refresh = fleet.run("license_refresh.yml")
    assert refresh.proc.returncode == 0, refresh.output
    assert license_file.read_bytes() == (LAB_LICENSES / "backoffice" / "PDS-100001_20261101.lic").read_bytes()
    summary = refresh.messages(SUMMARY)
    assert summary[0] == (
        "license refresh of 2 license server(s), 4 serial(s): "
        "installed 1, current 2, kept 0, refused 1, error 0"
    )
    assert any(
        line.startswith("fls1: PDS-100001: installed PDS-100001.lic issued 2026-11-01") for line in summary
    )
    assert any(
        line.startswith("fls1: PDS-100009: refused by the back office (not_entitled): ")
        and "maintenance ended on 2025-06-30" in line
        for line in summary
    )
    assert refresh.changed_tasks() == ["fls1: Install the newest licenses that differ and validate"]
    # One pull for the whole run: each serial of every FLS asked for once.
    assert fleet.sim.stats()["by_serial"] == {
        "PDS-100001": 1,
        "PDS-100002": 1,
        "PDS-100003": 1,
        "PDS-100009": 1,
    }


def test_a_second_refresh_changes_nothing(fleet: Fleet):
    again = fleet.run("license_refresh.yml")
    assert again.proc.returncode == 0, again.output
    assert again.changed_tasks() == []
    assert again.messages(SUMMARY)[0].endswith("installed 0, current 3, kept 0, refused 1, error 0")


def test_a_refresh_in_check_mode_writes_nothing_and_refusals_fail_only_when_asked(fleet: Fleet):
    license_file = put_back_the_old_license(fleet)
    old = license_file.read_bytes()
    checked = fleet.run("license_refresh.yml", "--check", "--diff")
    assert checked.proc.returncode == 0, checked.output
    assert license_file.read_bytes() == old
    assert "would install 1" in checked.messages(SUMMARY)[0]
    strict = fleet.run("license_refresh.yml", "-e", "license_refresh_fail_on_refusal=true")
    assert strict.proc.returncode != 0
    assert "1 serial(s) not installed: PDS-100009" in strict.output
    assert license_file.read_bytes() != old  # the other serials were still installed


def test_a_license_newer_than_the_back_offices_is_kept(fleet: Fleet):
    license_file = fleet.lab.home / "hosts" / "fls1" / "licenses" / "PDS-100002.lic"
    newer = make_license(
        "PDS-100002",
        "025044000001",
        issued=date(2026, 11, 20),
        expiry=date(2030, 12, 31),
        maintenance_end=date(2030, 12, 31),
        users=10,
    )
    license_file.write_text(newer)
    refresh = fleet.run("license_refresh.yml")
    assert refresh.proc.returncode == 0, refresh.output
    assert license_file.read_text() == newer and refresh.changed_tasks() == []
    assert any(
        line.startswith("fls1: PDS-100002: kept, PDS-100002.lic issued 2026-11-20")
        and line.endswith("the back office's newest license was issued on 2026-11-01, before the one in use")
        for line in refresh.messages(SUMMARY)
    ), refresh.messages(SUMMARY)


# ---------------------------------------------------------------------------------------------------
# remote_assistance.yml
# ---------------------------------------------------------------------------------------------------

WINDOW = "Show remote assistance on every host"


def test_bad_requests_fail_before_any_host_is_touched(fleet: Fleet):
    before = fleet.store().read_bytes()
    for args, fragment in (
        (("-e", "remote_assistance_hours=100"), "at most 72 (remote_assistance_max_hours)"),
        (("-e", "remote_assistance_hours=-1"), "a number of hours above 0"),
        (("-e", "remote_assistance=maybe"), "remote_assistance must be on or off (got maybe"),
        (("-e", "remote_assistance=off", "-e", "remote_assistance_hours=2"), "takes no window"),
    ):
        run = fleet.run("remote_assistance.yml", *args)
        assert run.proc.returncode != 0 and fragment in run.output, run.output
        assert run.changed_tasks() == []
    assert fleet.store().read_bytes() == before


def test_a_window_stays_open_through_site_and_closes_once_its_end_has_passed(fleet: Fleet):
    start = datetime.now(UTC)
    opened = fleet.run("remote_assistance.yml", "-l", "prisma1", "-e", "remote_assistance_hours=4")
    assert opened.proc.returncode == 0, opened.output
    window = fleet.assistance()
    end = datetime.fromisoformat(window["until"].replace("Z", "+00:00"))
    assert window["enabled"] is True and timedelta(hours=4) - timedelta(minutes=1) < end - start <= timedelta(
        hours=4, minutes=1
    )
    assert any(
        line.startswith(f"prisma1: remote assistance allowed until {window['until']} (")
        for line in opened.messages(WINDOW)
    )
    assert fleet.assistance("prisma2") == {"enabled": False, "until": None}  # not chosen

    kept = fleet.run("site.yml", "--tags", "assistance")
    assert kept.proc.returncode == 0, kept.output
    assert fleet.assistance() == window and kept.changed_tasks() == []

    fleet.set_window_end("2026-01-01T08:00:00Z")  # the end has passed
    dry = fleet.run("remote_assistance.yml", "--check")
    assert dry.proc.returncode == 0, dry.output
    assert (
        "prisma1: the window ended at 2026-01-01T08:00:00Z: remote assistance would be no longer allowed"
        in dry.messages(WINDOW)
    )
    assert fleet.assistance()["enabled"] is True
    closed = fleet.run("remote_assistance.yml")
    assert closed.proc.returncode == 0, closed.output
    assert fleet.assistance() == {"enabled": False, "until": None}
    assert closed.messages(WINDOW) == [
        "prisma1: the window ended at 2026-01-01T08:00:00Z: remote assistance is no longer allowed",
        "prisma2: remote assistance not allowed",
    ]


def test_site_closes_an_ended_window_and_off_closes_an_open_one_at_once(fleet: Fleet):
    until = (datetime.now(UTC) + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    opened = fleet.run("remote_assistance.yml", "-e", f"remote_assistance_until={until}")
    assert opened.proc.returncode == 0, opened.output
    assert fleet.assistance() == fleet.assistance("prisma2") == {"enabled": True, "until": until}

    fleet.set_window_end("2026-01-01T08:00:00Z", host="prisma2")
    site = fleet.run("site.yml", "--tags", "assistance")
    assert site.proc.returncode == 0, site.output
    assert site.changed_tasks() == ["prisma2: Disallow remote assistance"]
    assert fleet.assistance() == {"enabled": True, "until": until}
    assert fleet.assistance("prisma2") == {"enabled": False, "until": None}

    off = fleet.run("remote_assistance.yml", "-l", "prisma1", "-e", "remote_assistance=off")
    assert off.proc.returncode == 0, off.output
    assert fleet.assistance() == {"enabled": False, "until": None}
    assert off.messages(WINDOW) == ["prisma1: remote assistance is no longer allowed"]
