"""The flexlm_license and flexlm_validate filters (plugins/filter/flexlm.py): conversions and errors."""

from __future__ import annotations

import json
from datetime import date, datetime

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.printops.prismadirect.plugins.filter import flexlm as flexlm_filter

LAB = """\
SERVER this_host 025044000001 27000
VENDOR prismad PORT=27010
FEATURE PRISMAdirect prismad 2026.1 31-dec-2027 1 SN=PDS-100001 ISSUED=01-nov-2026 \\
        VENDOR_STRING="MAINTENANCE=2027-12-31" SIGN="AAAA"
FEATURE PD_USERS prismad 2026.1 31-dec-2027 25 SN=PDS-100001 ISSUED=01-nov-2026 \\
        VENDOR_STRING="MAINTENANCE=2027-12-31" SIGN="BBBB"
"""


def test_filters_are_registered():
    filters = flexlm_filter.FilterModule().filters()
    assert filters == {
        "flexlm_license": flexlm_filter.flexlm_license,
        "flexlm_validate": flexlm_filter.flexlm_validate,
    }


def test_flexlm_license():
    data = flexlm_filter.flexlm_license(LAB)
    assert json.loads(json.dumps(data)) == data
    assert (data["serials"], data["users"], data["earliest_expiry"]) == (["PDS-100001"], 25, "2027-12-31")
    assert data["maintenance_end"] == "2027-12-31"
    assert data["servers"][0]["port"] == 27000


# (id, keyword arguments, ok, error substrings, warning substrings)
VALIDATE_TEST_CASES = [
    (
        "good",
        {"mac_addresses": ["02:50:44:00:00:01"], "today": "2026-12-01", "expected_serial": "PDS-100001"},
        True,
        [],
        [],
    ),
    (
        "mac-string",
        {"mac_addresses": "00:11:22:33:44:55, 02-50-44-00-00-01", "today": "2026-12-01"},
        True,
        [],
        [],
    ),
    (
        "mac-list-with-none",
        {"mac_addresses": [None, "", "025044000001"], "today": "2026-12-01"},
        True,
        [],
        [],
    ),
    (
        "mac-mismatch",
        {"mac_addresses": ["025044000009"], "today": "2026-12-01"},
        False,
        ["license is bound to host id 025044000001, not to this server (MAC addresses: 025044000009)"],
        [],
    ),
    (
        "today-date",
        {"today": date(2028, 1, 1)},
        False,
        ["feature PRISMAdirect expired on 2027-12-31"] * 1 + ["feature PD_USERS expired on 2027-12-31"],
        ["maintenance ended on 2027-12-31"],
    ),
    (
        "today-datetime",
        {"today": datetime(2027, 12, 20, 8, 30)},
        True,
        [],
        [
            "expires on 2027-12-31 (in 11 days)",
            "expires on 2027-12-31 (in 11 days)",
            "maintenance ends on 2027-12-31",
        ],
    ),
    ("warn-days-string", {"today": "2027-12-20", "warn_days": "5"}, True, [], []),
    (
        "serial-mismatch",
        {"today": "2026-12-01", "expected_serial": "PDS-100002"},
        False,
        ["license is for serial PDS-100001, expected PDS-100002"],
        [],
    ),
    ("serial-empty-skips", {"today": "2026-12-01", "expected_serial": ""}, True, [], []),
]


@pytest.mark.parametrize(
    ("kwargs", "ok", "errors", "warnings"), [pytest.param(*c[1:], id=c[0]) for c in VALIDATE_TEST_CASES]
)
def test_flexlm_validate(kwargs, ok, errors, warnings):
    result = flexlm_filter.flexlm_validate(LAB, **kwargs)
    assert result["ok"] is ok
    assert len(result["errors"]) == len(errors), result["errors"]
    assert len(result["warnings"]) == len(warnings), result["warnings"]
    for expected, actual in zip(errors + warnings, result["errors"] + result["warnings"], strict=True):
        assert expected in actual
    assert json.loads(json.dumps(result)) == result


# (id, filter, input, keyword arguments, message substring)
ERROR_TEST_CASES = [
    (
        "html",
        "flexlm_license",
        "<html><body>Service unavailable</body></html>",
        {},
        "flexlm_license: not a valid FlexNet license: line 1: no SERVER, VENDOR or FEATURE line found",
    ),
    (
        "bad-expiry",
        "flexlm_license",
        "SERVER h ANY\nFEATURE f v 1.0 31-12-2027 1\n",
        {},
        "line 2: expiry '31-12-2027' is not dd-mmm-yyyy",
    ),
    (
        "not-text",
        "flexlm_license",
        {"content": "x"},
        {},
        "expected the text of a FlexNet license file, got dict",
    ),
    ("validate-bad-text", "flexlm_validate", "", {}, "flexlm_validate: not a valid FlexNet license: line 1"),
    ("bad-today", "flexlm_validate", LAB, {"today": "31-dec-2027"}, "today '31-dec-2027' is not an ISO date"),
    (
        "bad-warn-days",
        "flexlm_validate",
        LAB,
        {"warn_days": "soon"},
        "warn_days 'soon' is not a whole number",
    ),
    ("negative-warn-days", "flexlm_validate", LAB, {"warn_days": -1}, "warn_days -1 must be 0 or more"),
    (
        "bad-macs",
        "flexlm_validate",
        LAB,
        {"mac_addresses": 42},
        "mac_addresses must be a list of MAC addresses",
    ),
]


@pytest.mark.parametrize(
    ("name", "value", "kwargs", "message"), [pytest.param(*c[1:], id=c[0]) for c in ERROR_TEST_CASES]
)
def test_filter_errors(name, value, kwargs, message):
    with pytest.raises(AnsibleFilterError) as caught:
        getattr(flexlm_filter, name)(value, **kwargs)
    assert message in str(caught.value)
