"""The fleet report's rules (plugins/module_utils/fleet_report.py): info results -> rows, totals, CSV.

The licenses of the results are made by the info modules' own ``license_report`` from real FlexNet text,
so the warnings the report reads are the ones the modules return.
"""

from __future__ import annotations

import copy
import csv
import io
import json
from datetime import UTC, date, datetime, timedelta

import pytest
from ansible_collections.printops.prismadirect.plugins.module_utils import flexlm
from ansible_collections.printops.prismadirect.plugins.module_utils.fleet_report import (
    CSV_COLUMNS,
    LIGHT_RULE,
    LIGHTS,
    fleet_rows,
    fleet_totals,
    generated_at,
    parse_now,
    rows_csv,
)
from ansible_collections.printops.prismadirect.plugins.module_utils.planning_info import (
    WARN_DAYS,
    license_report,
)

TODAY = date(2026, 11, 29)
NOW = datetime(2026, 11, 29, 13, 5, tzinfo=UTC)
FLS_MAC = "025044000001"
ROW_KEYS = {
    "host",
    "role",
    "light",
    "light_reason",
    "reasons",
    "service_state",
    "fls",
    "clients",
    "serials",
    "licenses",
    "expiry",
    "days_left",
    "maintenance_end",
    "maintenance_days_left",
    "warnings",
    "assistance",
}


def flex_date(day: date) -> str:
    return day.strftime("%d-%b-%Y").lower()


def license_text(serial="PDS-100001", expiry_days=1128, maintenance_days=1128, hostid=FLS_MAC) -> str:
    expiry = "permanent" if expiry_days is None else flex_date(TODAY + timedelta(days=expiry_days))
    maintenance = (TODAY + timedelta(days=maintenance_days)).isoformat()
    return (
        f"SERVER this_host {hostid} 27000\n"
        "VENDOR prismad PORT=27010\n"
        f"FEATURE PRISMAdirect prismad 2025.1 {expiry} 1 SN={serial} ISSUED=01-dec-2025 \\\n"
        f'    VENDOR_STRING="MAINTENANCE={maintenance}" SIGN="0000 1111"\n'
    )


def lic(serial="PDS-100001", *, mac_check=False, warn_days=WARN_DAYS, **kw) -> dict:
    """One license as the info modules return it (PRISMAdirect: no host-id check; FLS: against FLS_MAC)."""
    parsed = flexlm.parse_license(license_text(serial, **kw))
    macs = [FLS_MAC] if mac_check else None
    return license_report(f"{serial}.lic", parsed, None, TODAY, warn_days=warn_days, mac_addresses=macs)


def unreadable(name="broken.lic") -> dict:
    return license_report(name, None, "line 1: expected a SERVER, VENDOR or FEATURE line", TODAY)


def pd_result(light="green", licenses=None, assistance=None, **extra) -> dict:
    result = {
        "changed": False,
        "settings": {
            "general": {"enabled": True, "license_path": "\\\\fls1\\licenses", "verification_code_set": True},
            "proxy": {"mode": "manual", "url": "proxy.example.com:8080", "password_set": True},
            "remote_assistance": {"enabled": False, "until": None},
        },
        "service": {"name": "Print ORS Service", "exists": True, "account": "svc_ors_p1", "state": "running"},
        "licenses": [lic()] if licenses is None else licenses,
        "light": light,
        "light_reason": "connected to the back office (HTTP 200 in 38 ms)"
        if light == "green"
        else "the connection test failed (HTTP 200): the back office did not accept the credentials",
        "remote_assistance": assistance
        or {"enabled": False, "until": None, "window": "none", "minutes_left": None},
    }
    result.update(extra)
    return result


def fls_result(licenses=None, service_state="running") -> dict:
    return {
        "changed": False,
        "path": "C:\\ProgramData\\FlexNet\\licenses",
        "licenses": [lic(mac_check=True, warn_days=30)] if licenses is None else licenses,
        "serials": [],
        "mac_addresses": [FLS_MAC],
        "license_server": {
            "lmutil": {"path": "C:\\FlexNet\\lmutil.exe", "exists": True},
            "service": {
                "name": "License Server",
                "exists": service_state is not None,
                "state": service_state,
            },
        },
    }


def one_pd(result, **kw) -> dict:
    (row,) = fleet_rows({"prisma1": result}, {}, NOW, **kw)
    return row


def one_fls(result) -> dict:
    (row,) = fleet_rows({}, {"fls1": result}, NOW)
    return row


# (id, PRISMAdirect result, light, substring of light_reason)
PRISMADIRECT_CASES = [
    ("all-well", pd_result(), "green", "connected to the back office"),
    ("light-orange", pd_result(light="orange"), "orange", "Remote Service light orange: the connection test"),
    (
        "expires-in-30-days",
        pd_result(licenses=[lic(expiry_days=30)]),
        "orange",
        "expires on 2026-12-29 (in 30",
    ),
    ("expires-in-31-days", pd_result(licenses=[lic(expiry_days=31)]), "green", "connected"),
    ("expires-today", pd_result(licenses=[lic(expiry_days=0)]), "orange", "(in 0 days)"),
    ("expired", pd_result(licenses=[lic(expiry_days=-1)]), "red", "expired on 2026-11-28 (1 day ago)"),
    ("permanent", pd_result(licenses=[lic(expiry_days=None)]), "green", "connected"),
    (
        "maintenance-in-3-days",
        pd_result(licenses=[lic(maintenance_days=3)]),
        "orange",
        "maintenance ends on 2026-12-02 (in 3 days)",
    ),
    (
        "maintenance-ended",
        pd_result(licenses=[lic(maintenance_days=-10)]),
        "orange",
        "maintenance ended on 2026-11-19: no license updates",
    ),
    ("unreadable", pd_result(licenses=[unreadable()]), "red", "broken.lic: the license could not be read"),
    (
        "no-license",
        pd_result(licenses=[]),
        "orange",
        "no license found in the license path \\\\fls1\\licenses",
    ),
    (
        "overdue-window",
        pd_result(
            assistance={
                "enabled": True,
                "until": "2026-11-29T12:00:00Z",
                "window": "overdue",
                "minutes_left": -65,
            }
        ),
        "red",
        "still allowed after its window ended (2026-11-29T12:00:00Z, 65 min ago)",
    ),
    (
        "open-window",
        pd_result(
            assistance={
                "enabled": True,
                "until": "2026-11-29T17:00:00Z",
                "window": "open",
                "minutes_left": 235,
            }
        ),
        "green",
        "connected",
    ),
    # red beats orange, whatever comes first
    ("expired-and-orange", pd_result(light="orange", licenses=[lic(expiry_days=-3)]), "red", "expired on"),
    (
        "unreachable",
        {"unreachable": True, "msg": "ssh: connect to host p1 port 22: refused"},
        "red",
        "unreachable: ssh",
    ),
    (
        "failed",
        {"failed": True, "msg": "host_state failed: no python"},
        "red",
        "the status task failed: host_state",
    ),
    ("failed-no-msg", {"failed": True}, "red", "the status task failed: no reason given"),
    ("skipped", {"skipped": True, "skip_reason": "Conditional result was False"}, "red", "task was skipped"),
    ("nothing-collected", None, "red", "no status collected: the host failed or was unreachable earlier"),
    ("not-a-result", "oops", "red", "unexpected result str"),
]


@pytest.mark.parametrize(
    ("result", "light", "reason"),
    [case[1:] for case in PRISMADIRECT_CASES],
    ids=[case[0] for case in PRISMADIRECT_CASES],
)
def test_prismadirect_light(result, light, reason):
    row = one_pd(result, fls_of={"prisma1": "fls1"})

    assert (row["light"], row["role"], row["host"]) == (light, "PRISMAdirect", "prisma1")
    assert reason in row["light_reason"]
    assert row["light_reason"] == (row["reasons"][0] if row["reasons"] else row["light_reason"])
    assert (row["reasons"] == []) == (light == "green")
    assert set(row) == ROW_KEYS


# (id, FLS result, light, substring of light_reason)
FLS_CASES = [
    ("all-well", fls_result(), "green", "1 license, all valid"),
    (
        "two-licenses",
        fls_result([lic(mac_check=True), lic("PDS-100002", mac_check=True)]),
        "green",
        "2 licenses, all valid",
    ),
    (
        "other-host-id",
        fls_result([lic(mac_check=True, hostid="025044000009")]),
        "red",
        "PDS-100001.lic: not valid here: license is bound to host id 025044000009, not to this server",
    ),
    (
        "any-host-id",
        fls_result([lic(mac_check=True, hostid="ANY")]),
        "green",
        "1 license, all valid",
    ),
    (
        "expired",
        fls_result([lic(mac_check=True, expiry_days=-400)]),
        "red",
        "expired on 2025-10-25 (400 days ago)",
    ),
    (
        "expiring",
        fls_result([lic(mac_check=True, expiry_days=12)]),
        "orange",
        "expires on 2026-12-11 (in 12 days)",
    ),
    ("unreadable", fls_result([unreadable("x.lic")]), "red", "x.lic: the license could not be read"),
    (
        "empty-folder",
        fls_result([]),
        "orange",
        "no license in the license folder C:\\ProgramData\\FlexNet\\licenses",
    ),
    (
        "service-stopped",
        fls_result(service_state="stopped"),
        "orange",
        "the license service License Server is stopped",
    ),
    ("service-unknown", fls_result(service_state=None), "green", "1 license, all valid"),
    ("unreachable", {"unreachable": True, "msg": "winrm: timed out"}, "red", "unreachable: winrm: timed out"),
    (
        "no-path",
        {"failed": True, "msg": "floating_license_path is not set: set it"},
        "red",
        "the status task failed: floating_license_path is not set",
    ),
]


@pytest.mark.parametrize(
    ("result", "light", "reason"), [case[1:] for case in FLS_CASES], ids=[case[0] for case in FLS_CASES]
)
def test_fls_light(result, light, reason):
    row = one_fls(result)

    assert (row["light"], row["role"], row["host"]) == (light, "FLS", "fls1")
    assert reason in row["light_reason"]
    assert row["assistance"] is None
    assert set(row) == ROW_KEYS


def test_an_untested_host_id_warning_is_orange_not_red():
    """A license that names no host id cannot be checked: a warning to look at, not an invalid license."""
    text = 'VENDOR prismad\nFEATURE PRISMAdirect prismad 2025.1 31-dec-2029 1 SN=PDS-1 SIGN="00"\n'
    entry = license_report("PDS-1.lic", flexlm.parse_license(text), None, TODAY, mac_addresses=[FLS_MAC])

    row = one_fls(fls_result([entry]))

    assert row["light"] == "orange"
    assert "PDS-1.lic: license names no host id" in row["light_reason"]
    assert row["warnings"] == [{"text": row["light_reason"], "soon": False}]


def test_row_fields_of_a_host_with_licenses():
    licenses = [lic("PDS-100001", expiry_days=20, maintenance_days=20), lic("PDS-100009", expiry_days=None)]
    row = one_pd(pd_result(licenses=licenses), fls_of={"prisma1": "fls2"})

    assert row["serials"] == ["PDS-100001", "PDS-100009"]
    assert (row["expiry"], row["days_left"]) == ("2026-12-19", 20)
    assert (row["maintenance_end"], row["maintenance_days_left"]) == ("2026-12-19", 20)
    assert row["service_state"] == "running"
    assert row["fls"] == "fls2"  # prismadirect_fls_host wins over the license path
    assert [w["soon"] for w in row["warnings"]] == [True, True]
    assert all(w["text"].startswith("PDS-100001.lic: ") for w in row["warnings"])
    assert [lic_["serial"] for lic_ in row["licenses"]] == ["PDS-100001", "PDS-100009"]
    assert row["licenses"][1]["expiry"] == "permanent"


def test_a_warning_about_a_date_far_away_is_not_soon():
    """floating_license_info's own warn_days may be larger: the report marks soon only below 31 days."""
    row = one_fls(fls_result([lic(mac_check=True, expiry_days=45, warn_days=60)]))

    assert row["light"] == "green"
    assert row["warnings"] == [
        {"text": "PDS-100001.lic: feature PRISMAdirect expires on 2027-01-13 (in 45 days)", "soon": False}
    ]


def test_only_permanent_licenses_have_no_days_left():
    row = one_pd(pd_result(licenses=[lic(expiry_days=None)]))

    assert (row["expiry"], row["days_left"]) == ("permanent", None)


def test_service_not_installed():
    result = pd_result(light="orange")
    result["service"] = {"name": "Print ORS Service", "exists": False, "account": None, "state": None}

    assert one_pd(result)["service_state"] == "not installed"


def test_fls_of_a_prismadirect_host_defaults_to_the_server_of_its_license_path():
    assert one_pd(pd_result())["fls"] == "fls1"
    result = pd_result()
    result["settings"]["general"]["license_path"] = "C:\\ProgramData\\FlexNet\\licenses"
    assert one_pd(result)["fls"] is None


@pytest.mark.parametrize(
    ("settings", "window", "minutes", "light"),
    [
        ({"enabled": False, "until": None}, "none", None, "green"),
        ({"enabled": True, "until": None}, "none", None, "green"),
        ({"enabled": True, "until": "2026-11-29T17:00:00Z"}, "open", 235, "green"),
        ({"enabled": True, "until": "2026-11-29T13:00:00Z"}, "overdue", -5, "red"),
        ({"enabled": False, "until": "2026-11-29T13:00:00Z"}, "none", None, "green"),
        ({"enabled": True, "until": "tomorrow"}, "overdue", None, "red"),
    ],
    ids=["off", "no-end", "open", "overdue", "disabled-with-old-end", "unreadable-end"],
)
def test_assistance_from_the_settings_when_the_module_has_no_window(settings, window, minutes, light):
    """Results without ``remote_assistance`` (older modules): judged by the module's own rule."""
    result = pd_result()
    del result["remote_assistance"]
    result["settings"]["remote_assistance"] = settings

    row = one_pd(result)

    assert (row["assistance"]["window"], row["assistance"]["minutes_left"], row["light"]) == (
        window,
        minutes,
        light,
    )
    assert row["assistance"]["enabled"] is settings["enabled"]


def test_the_modules_window_is_taken_as_it_is():
    given = {"enabled": True, "until": "2026-11-29T17:00:00Z", "window": "open", "minutes_left": 7}

    assert one_pd(pd_result(assistance=given))["assistance"] == given


def test_rows_are_red_then_orange_then_green_each_by_host():
    rows = fleet_rows(
        {
            "p-green": pd_result(),
            "p-red": None,
            "a-orange": pd_result(light="orange"),
            "b-green": pd_result(),
        },
        {"fls9": fls_result(), "fls1": {"unreachable": True, "msg": "down"}},
        NOW,
    )

    assert [(r["light"], r["host"]) for r in rows] == [
        ("red", "fls1"),
        ("red", "p-red"),
        ("orange", "a-orange"),
        ("green", "b-green"),
        ("green", "fls9"),
        ("green", "p-green"),
    ]


def test_fls_rows_list_their_clients_and_a_local_fls_has_two_rows():
    rows = fleet_rows(
        {"prisma1": pd_result(), "prisma2": pd_result(), "both": pd_result()},
        {"fls1": fls_result(), "both": fls_result()},
        NOW,
        fls_of={"prisma1": "fls1", "prisma2": "fls1", "both": "both"},
    )
    by_key = {(r["host"], r["role"]): r for r in rows}

    assert by_key[("fls1", "FLS")]["clients"] == ["prisma1", "prisma2"]
    assert by_key[("both", "FLS")]["clients"] == ["both"]
    assert by_key[("both", "PRISMAdirect")]["fls"] == "both"
    assert len(rows) == 5


def test_rows_hold_no_secret_and_are_json():
    """Only named fields are copied: whatever else a result holds never reaches a report."""
    result = pd_result()
    result["settings"]["general"]["verification_code"] = "V3rif-Code-0001"
    result["connection_test"] = {"ok": True, "status": 200, "error": None, "password": "0rs-Pa55word!"}
    result["invocation"] = {"module_args": {"proxy_password": "Pr0xy-Pa55!"}}

    text = json.dumps(fleet_rows({"prisma1": result}, {"fls1": fls_result()}, NOW))

    for secret in ("V3rif-Code-0001", "0rs-Pa55word!", "Pr0xy-Pa55!", "svc_ors_p1"):
        assert secret not in text


def test_rows_do_not_change_the_results():
    result = pd_result(licenses=[lic(expiry_days=3)])
    before = copy.deepcopy(result)

    fleet_rows({"prisma1": result}, {}, NOW)

    assert result == before


def test_a_long_failure_message_is_shortened():
    row = one_pd({"failed": True, "msg": "x" * 5000 + "\n\n  tail"})

    assert len(row["light_reason"]) < 600
    assert row["light_reason"].endswith("…")


def test_totals():
    expiring = lic("PDS-100005", expiry_days=10)
    rows = fleet_rows(
        {
            "prisma1": pd_result(licenses=[expiring, lic("PDS-100001")]),
            "prisma2": pd_result(
                licenses=[lic("PDS-100007", expiry_days=-2)],
                assistance={
                    "enabled": True,
                    "until": "2026-11-29T17:00:00Z",
                    "window": "open",
                    "minutes_left": 5,
                },
            ),
            "prisma3": pd_result(
                assistance={
                    "enabled": True,
                    "until": "2026-11-29T12:00:00Z",
                    "window": "overdue",
                    "minutes_left": -5,
                }
            ),
            "prisma4": None,
        },
        # the FLS shows the same expiring serial again: counted once
        {"fls1": fls_result([lic("PDS-100005", mac_check=True, expiry_days=10)])},
        NOW,
    )

    assert fleet_totals(rows) == {
        "hosts": 5,
        "red": 3,
        "orange": 2,
        "green": 0,
        "prismadirect": 4,
        "fls": 1,
        "licenses_expiring": 1,
        "licenses_expired": 1,
        "windows_open": 1,
        "windows_overdue": 1,
    }


def test_totals_of_no_rows():
    assert fleet_totals([]) == {
        "hosts": 0,
        "red": 0,
        "orange": 0,
        "green": 0,
        "prismadirect": 0,
        "fls": 0,
        "licenses_expiring": 0,
        "licenses_expired": 0,
        "windows_open": 0,
        "windows_overdue": 0,
    }


def test_csv_is_rfc_4180_with_a_header_and_one_line_per_row():
    rows = fleet_rows(
        {
            "prisma1": pd_result(licenses=[lic(expiry_days=5), lic("PDS-100002")]),
            "prisma2": {"failed": True, "msg": 'said "no", then, twice\nand a new line'},
        },
        {"fls1": fls_result()},
        NOW,
        fls_of={"prisma1": "fls1"},
    )

    text = rows_csv(rows)
    parsed = list(csv.reader(io.StringIO(text, newline="")))

    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    assert parsed[0] == list(CSV_COLUMNS)
    assert [(r[0], r[2]) for r in parsed[1:]] == [(r["host"], r["light"]) for r in rows]
    records = {r[0]: dict(zip(CSV_COLUMNS, r, strict=True)) for r in parsed[1:]}
    assert (
        records["prisma2"]["light_reason"] == 'the status task failed: said "no", then, twice and a new line'
    )
    assert '"the status task failed: said ""no"", then, twice and a new line"' in text
    assert records["prisma1"]["serials"] == "PDS-100001 PDS-100002"
    assert (records["prisma1"]["days_left"], records["prisma1"]["expiry"]) == ("5", "2026-12-04")
    assert records["prisma1"]["assistance_enabled"] == "false"
    assert records["prisma1"]["assistance_window"] == "none"
    assert records["fls1"]["clients"] == "prisma1"
    assert records["fls1"]["assistance_window"] == ""
    assert "feature PRISMAdirect expires on 2026-12-04 (in 5 days)" in records["prisma1"]["warnings"]


def test_csv_keeps_negative_numbers_and_defuses_formulas_from_hosts():
    rows = fleet_rows({"=HYPERLINK(1)": pd_result(licenses=[lic(expiry_days=-3)])}, {}, NOW)

    (record,) = list(csv.DictReader(io.StringIO(rows_csv(rows), newline="")))

    assert record["host"] == "'=HYPERLINK(1)"
    assert record["days_left"] == "-3"


def test_csv_of_no_rows_is_the_header():
    assert rows_csv([]) == ",".join(CSV_COLUMNS) + "\r\n"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-11-29T13:05:00Z", NOW),
        ("2026-11-29T14:05:00+01:00", NOW),
        ("2026-11-29T13:05:00", NOW),
        (datetime(2026, 11, 29, 13, 5), NOW),
        (NOW, NOW),
    ],
)
def test_parse_now(value, expected):
    assert parse_now(value) == expected


@pytest.mark.parametrize(
    ("value", "message"), [("yesterday", "'yesterday' is not an ISO 8601"), (5, "got int")]
)
def test_parse_now_says_what_it_expects(value, message):
    with pytest.raises(ValueError, match=message):
        parse_now(value)


def test_generated_at():
    assert generated_at("2026-11-29T14:05:09.123+01:00") == "2026-11-29T13:05:09Z"


def test_the_light_rule_names_every_light():
    assert tuple(LIGHT_RULE) == LIGHTS == ("red", "orange", "green")


def test_a_prismadirect_host_with_a_serial_is_judged_on_its_own_license():
    """The share holds the FLS's other licenses too: a lapsed one of another host is not this host's."""
    share = [lic("PDS-100001"), lic("PDS-100009", expiry_days=None, maintenance_days=-517), unreadable()]

    row = one_pd(pd_result(licenses=share), serial_of={"prisma1": "PDS-100001"})

    assert row["light"] == "red"  # the unreadable file may be its own license
    assert [lic_["name"] for lic_ in row["licenses"]] == ["PDS-100001.lic", "broken.lic"]
    assert row["serials"] == ["PDS-100001"]
    assert not any("PDS-100009" in reason for reason in row["reasons"])

    row = one_pd(pd_result(licenses=share[:2]), serial_of={"prisma1": "PDS-100001"})

    assert (row["light"], row["light_reason"]) == (
        "green",
        "connected to the back office (HTTP 200 in 38 ms)",
    )


def test_a_prismadirect_host_without_a_license_of_its_serial_is_orange():
    row = one_pd(pd_result(licenses=[lic("PDS-100009")]), serial_of={"prisma1": "PDS-100001"})

    assert row["light"] == "orange"
    assert (
        row["light_reason"]
        == "no license of its serial PDS-100001 found in the license path \\\\fls1\\licenses"
    )
    assert (row["licenses"], row["serials"]) == ([], [])
