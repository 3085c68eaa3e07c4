"""printops.prismadirect.floating_license_info through its action plugin and the lab adapter, on recorded
host states of the lab FLS fls1 (see action_harness.py): PDS-100001.lic and PDS-100002.lic (issued
2025-12-01, expiry and maintenance 2029-12-31) and PDS-100009.lic (maintenance ended 2025-06-30), all
for host id 025044000001."""

from __future__ import annotations

import hashlib
import sys
from datetime import date
from pathlib import Path

import pytest
from action_harness import FLS_VARS, load_state, modules, run

REPO = Path(__file__).resolve().parents[4]
sys.path.insert(0, str(REPO / "lab" / "backoffice"))
from make_license import make_license

LMUTIL = "/srv/printops-lab/bin/lmutil"


def info(args=None, state="fls_fresh", **kw):
    return run("floating_license_info", {"path": "/licenses", **(args or {})}, state=state,
               task_vars=FLS_VARS, **kw)  # fmt: skip


def with_license(name: str, text: str) -> dict:
    state = load_state("fls_fresh")
    entry = {
        "name": name,
        "size": len(text),
        "sha256": hashlib.sha256(text.encode()).hexdigest(),
        "text": text,
    }
    state["licenses"] = sorted([*state["licenses"], entry], key=lambda e: e["name"])
    return state


def test_one_read_reports_every_license_and_changes_nothing():
    result, calls = info()
    assert result["changed"] is False and modules(calls) == ["host_state"]
    args = calls[0][1]
    assert args["sections"] == ["licenses", "mac_addresses", "license_server"]
    assert args["folder_path"] == "/licenses" and args["mac_addresses_file"].endswith(
        "/hosts/fls1/mac_addresses"
    )
    assert (args["lmutil_path"], args["license_service"]) == (LMUTIL, "License Server")
    assert [entry["name"] for entry in result["licenses"]] == [
        "PDS-100001.lic",
        "PDS-100002.lic",
        "PDS-100009.lic",
    ]
    first = result["licenses"][0]
    assert {k: first[k] for k in ("serial", "serials", "issued", "expiry", "maintenance_end", "users")} == {
        "serial": "PDS-100001",
        "serials": ["PDS-100001"],
        "issued": "2025-12-01",
        "expiry": "2029-12-31",
        "maintenance_end": "2029-12-31",
        "users": 25,
    }
    assert first["sha256"] == load_state("fls_fresh")["licenses"][0]["sha256"]
    assert isinstance(first["days_left"], int) and first["warnings"] == []
    assert result["serials"] == ["PDS-100001", "PDS-100002", "PDS-100009"]
    assert result["mac_addresses"] == ["025044000001"] and result["path"] == "/licenses"
    assert result["license_server"] == {
        "lmutil": {"exists": True, "path": LMUTIL},
        "service": {"exists": True, "name": "License Server", "state": "running"},
    }


def test_ended_maintenance_is_a_warning_of_its_file():
    result, _ = info()
    lapsed = result["licenses"][2]
    assert lapsed["maintenance_end"] == "2025-06-30" and lapsed["maintenance_days_left"] < 0
    assert lapsed["warnings"] and all(w.startswith("PDS-100009.lic: ") for w in result["warnings"])


def test_check_mode_reads_the_same():
    result, calls = info(check=True)
    assert result["changed"] is False and result["serials"] and modules(calls) == ["host_state"]


def test_a_license_for_another_host_id_is_a_warning_unless_not_validated():
    other = make_license("PDS-100003", "025044000002", issued=date(2026, 11, 1), expiry=date(2030, 12, 31),
                         maintenance_end=date(2030, 12, 31), users=10)  # fmt: skip
    state = with_license("PDS-100003.lic", other)
    result, _ = info(state=state)
    (entry,) = [e for e in result["licenses"] if e["name"] == "PDS-100003.lic"]
    assert any("bound to host id 025044000002, not to this server" in w for w in entry["warnings"])
    assert "PDS-100003" in result["serials"]
    result, _ = info({"validate_hostid": False}, state=state)
    (entry,) = [e for e in result["licenses"] if e["name"] == "PDS-100003.lic"]
    assert entry["warnings"] == []


def test_warn_days_decides_what_is_ending_soon():
    quiet, _ = info({"warn_days": 31})
    soon, _ = info({"warn_days": 3650})  # 2029-12-31 is within ten years
    assert quiet["licenses"][0]["warnings"] == []
    assert any("expires" in w or "ends" in w for w in soon["licenses"][0]["warnings"]), soon["licenses"][0]


def test_a_file_that_is_not_a_license_is_reported_not_failed():
    result, _ = info(state=with_license("broken.lic", "<html>502 Bad Gateway</html>"))
    assert not result.get("failed")
    (broken,) = [e for e in result["licenses"] if e["name"] == "broken.lic"]
    assert broken["readable"] is False and broken["error"] and broken["serials"] == []
    assert result["serials"] == ["PDS-100001", "PDS-100002", "PDS-100009"]


def test_a_missing_folder_has_no_licenses_and_the_readers_warning():
    state = {**load_state("fls_fresh"), "licenses": [], "warnings": ["the license folder /x does not exist"]}
    result, _ = info(state=state)
    assert result["licenses"] == [] and result["serials"] == []
    assert result["warnings"] == ["the license folder /x does not exist"]


@pytest.mark.parametrize(
    ("args", "option"),
    [
        ({"path": "\\\\fls1\\licenses"}, "path"),
        ({"path": "licenses"}, "path"),
        ({"warn_days": -1}, "warn_days"),
        ({"license_service": "a\\b"}, "license_service"),
    ],
)
def test_bad_options_fail_before_any_host_call(args, option):
    result, calls = info(args)
    assert result["failed"] is True and result["msg"].startswith(f"{option}:"), result["msg"]
    assert calls == []
