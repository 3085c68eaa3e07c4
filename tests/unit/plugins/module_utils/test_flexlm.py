"""Tables of cases for the FlexNet license model (plugins/module_utils/flexlm.py)."""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import pickle
import sys
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import pytest
from ansible_collections.printops.prismadirect.plugins.module_utils import flexlm
from ansible_collections.printops.prismadirect.plugins.module_utils.flexlm import HostId

# ---------------------------------------------------------------------------------------------------
# Shared real-world samples (../shared/testdata/flexlm beside the checkout)
# ---------------------------------------------------------------------------------------------------


def _find_testdata() -> Path | None:
    candidates = []
    if os.environ.get("PRINTOPS_FLEXLM_TESTDATA"):
        candidates.append(Path(os.environ["PRINTOPS_FLEXLM_TESTDATA"]))
    repo = Path(__file__).resolve().parents[4]
    candidates += [repo.parent / "shared" / "testdata" / "flexlm", Path("/work/shared/testdata/flexlm")]
    return next((c for c in candidates if any(c.glob("sample_*.json"))), None)


SAMPLE_DIR = _find_testdata()
NO_SAMPLES = pytest.param(
    None,
    marks=pytest.mark.skip(
        reason="FlexNet sample licenses not found: set PRINTOPS_FLEXLM_TESTDATA or put them in "
        "../shared/testdata/flexlm beside the checkout"
    ),
    id="no-samples",
)
SAMPLE_NAMES = sorted(p.stem for p in SAMPLE_DIR.glob("sample_*.json")) if SAMPLE_DIR else []

# Samples whose `expected` block we believe is wrong: name -> reason. None so far.
SAMPLE_XFAIL: dict[str, str] = {}

SAMPLE_PARAMS = [
    pytest.param(name, id=name, marks=[pytest.mark.xfail(reason=SAMPLE_XFAIL[name], strict=True)])
    if name in SAMPLE_XFAIL
    else pytest.param(name, id=name)
    for name in SAMPLE_NAMES
] or [NO_SAMPLES]

# The `conventions` block of the samples: which attributes are compared, and how.
KEPT_ATTRIBUTES = ("SN", "HOSTID", "ISSUED", "START", "VENDOR_STRING", "ck")


def _blanks(value: str) -> str:
    return " ".join(value.split())


def _read_sample(name: str) -> tuple[str, dict]:
    text = (SAMPLE_DIR / f"{name}.lic").read_bytes().decode("utf-8")  # keeps CRLF as written
    return text, json.loads((SAMPLE_DIR / f"{name}.json").read_text(encoding="utf-8"))


def _normalise(parsed: dict, expected: dict) -> dict:
    """Reduce License.to_dict() to the shape of a sample's `expected` block."""
    out = {
        "servers": [{"host": s["host"], "hostid": s["hostid"], "port": s["port"]} for s in parsed["servers"]],
        "vendors": [],
        "use_server": parsed["use_server"],
        "features": [
            {
                "keyword": f["keyword"],
                "feature": f["name"],
                "vendor": f["vendor"],
                "version": f["version"],
                "expiry_raw": f["expiry_raw"],
                "expiry": f["expiry"],
                "count_raw": f["count_raw"],
                "count": f["count"],
                "license_key": f["license_key"],
                "attributes": [(k, _blanks(v)) for k, v in f["attributes"].items() if k in KEPT_ATTRIBUTES],
            }
            for f in parsed["features"]
        ],
    }
    for index, vendor in enumerate(parsed["vendors"]):
        wanted = expected["vendors"][index] if index < len(expected["vendors"]) else {}
        keys = ["keyword", "name", "path", "port"] + (["options"] if "options" in wanted else [])
        out["vendors"].append({k: vendor[k] for k in keys})
    if "packages" in expected:
        out["packages"] = [
            {
                "package": p["name"],
                "vendor": p["vendor"],
                "version": p["version"],
                "license_key": p["license_key"],
                "components": _blanks(p["components"]),
            }
            for p in parsed["packages"]
        ]
    return out


def _expected_shape(expected: dict) -> dict:
    out = dict(expected)
    out["features"] = [
        {**f, "attributes": [(k, _blanks(v)) for k, v in f["attributes"].items()]}
        for f in expected["features"]
    ]
    return out


@pytest.mark.parametrize("name", SAMPLE_PARAMS)
def test_sample_matches_expected(name):
    text, sample = _read_sample(name)
    parsed = flexlm.parse_license(text).to_dict()
    assert _normalise(parsed, sample["expected"]) == _expected_shape(sample["expected"])
    json.dumps(parsed)


# Facts beyond the `expected` blocks: name, function of the License, value.
SAMPLE_FACTS = [
    ("sample_01", lambda lic: lic.features[6].expiry_raw, "01-jan-0"),
    ("sample_01", lambda lic: [f.line for f in lic.features[:3]], [20, 21, 22]),
    ("sample_01", lambda lic: lic.servers[0].hostids, (HostId("other", "12345678"),)),
    ("sample_01", lambda lic: lic.users, 0),
    ("sample_01", lambda lic: lic.earliest_expiry, None),
    (
        "sample_02",
        lambda lic: lic.features[0].attribute("sign"),
        "003D B062 54D1 47E3 1FF6 145F 59CE 0200 8002 FE69 0FBC F4FF AA10 FFB3 6EB3",
    ),
    ("sample_03", lambda lic: lic.features[0].uncounted, True),
    ("sample_03", lambda lic: lic.hostids, (HostId("any", "ANY"),)),
    ("sample_07", lambda lic: lic.features[0].flags, ("TS_OK",)),
    ("sample_07", lambda lic: lic.features[0].attribute("SUITE_DUP_GROUP"), "UH"),
    ("sample_07", lambda lic: len(lic.packages[0].component_list), 45),
    ("sample_07", lambda lic: lic.packages[0].attribute("OPTIONS"), "SUITE"),
    ("sample_08", lambda lic: lic.features[0].attribute("PLATFORMS").split()[-1], "cdk"),
    ("sample_08", lambda lic: lic.features[0].flags, ("TS_OK",)),
    ("sample_09", lambda lic: lic.features[4].attribute("NOTICE"), "Kiesling Perforex BC Interface"),
    ("sample_09", lambda lic: lic.features[0].attribute("BORROW"), "5000"),
    ("sample_09", lambda lic: lic.server_hostids, (HostId("mac", "00215af29c7e"),)),
    ("sample_09", lambda lic: lic.earliest_expiry, date(2043, 2, 15)),
    ("sample_10", lambda lic: lic.features[0].attribute("NOTICE"), "FulfillmentId=1203"),
    ("sample_10", lambda lic: lic.issued, date(2006, 7, 6)),
    ("sample_10", lambda lic: replace(lic.features[0], line=0) == replace(lic.features[3], line=0), True),
    ("sample_11", lambda lic: [f.flags for f in lic.features if f.flags], [("USER_BASED",)]),
    ("sample_11", lambda lic: lic.features[2].attribute("OVERDRAFT"), "123"),
    ("sample_11", lambda lic: lic.features[2].attribute("NOTICE"), "A small notice"),
    ("sample_11", lambda lic: lic.features[7].attribute("ISSUER"), "FID_5c67d866_1367dfeb21a__716b"),
    ("sample_11", lambda lic: lic.issued, date(2014, 9, 17)),
    ("sample_11", lambda lic: lic.earliest_expiry, date(2012, 12, 1)),
    ("sample_14", lambda lic: lic.serials, ("GA",)),
    ("sample_14", lambda lic: [f.line for f in lic.features], [6, 33]),
    ("sample_14", lambda lic: [p.line for p in lic.packages], [14, 17, 20, 23, 26, 29]),
    ("sample_14", lambda lic: lic.packages[2].components, "ASE_XFS:12.5:1"),
]


@pytest.mark.parametrize(
    ("name", "fact", "value"),
    [pytest.param(*case, id=f"{case[0]}-{i}") for i, case in enumerate(SAMPLE_FACTS)]
    if SAMPLE_DIR
    else [pytest.param(None, None, None, marks=NO_SAMPLES.marks, id="no-samples")],
)
def test_sample_facts(name, fact, value):
    text, _ = _read_sample(name)
    assert fact(flexlm.parse_license(text)) == value


# ---------------------------------------------------------------------------------------------------
# Syntax: text -> facts
# ---------------------------------------------------------------------------------------------------

LAB = """\
SERVER this_host 025044000001 27000
VENDOR prismad PORT=27010
FEATURE PRISMAdirect prismad 2026.1 31-dec-2027 1 SN=PDS-100001 ISSUED=01-nov-2026 \\
        VENDOR_STRING="MAINTENANCE=2027-12-31" SIGN="AAAA BBBB"
FEATURE PD_USERS prismad 2026.1 31-dec-2027 25 SN=PDS-100001 ISSUED=01-nov-2026 \\
        VENDOR_STRING="MAINTENANCE=2027-12-31" SIGN="CCCC DDDD"
"""


def _lic(*lines: str) -> str:
    return "\n".join(lines) + "\n"


def _feature(text: str) -> flexlm.Feature:
    return flexlm.parse_license(text).features[0]


# (id, text, function of the License, expected value)
SUCCESS_TEST_CASES = [
    ("lab-server", LAB, lambda lic: lic.servers[0], flexlm.Server("this_host", "025044000001", 27000, (), 1)),
    (
        "lab-vendor",
        LAB,
        lambda lic: lic.vendors[0],
        flexlm.Vendor("VENDOR", "prismad", None, None, 27010, (), 2),
    ),
    ("lab-serials", LAB, lambda lic: lic.serials, ("PDS-100001",)),
    ("lab-users", LAB, lambda lic: lic.users, 25),
    ("lab-issued", LAB, lambda lic: lic.issued, date(2026, 11, 1)),
    ("lab-maintenance", LAB, lambda lic: lic.maintenance_end, date(2027, 12, 31)),
    ("lab-expiry", LAB, lambda lic: lic.earliest_expiry, date(2027, 12, 31)),
    ("lab-line-numbers", LAB, lambda lic: [f.line for f in lic.features], [3, 5]),
    ("lab-sign-joined", LAB, lambda lic: lic.features[0].attribute("SIGN"), "AAAA BBBB"),
    # SERVER
    ("server-port-keyword", "SERVER h ANY PORT=27001\n", lambda lic: lic.servers[0].port, 27001),
    ("server-port-lower", "SERVER h ANY port=27001\n", lambda lic: lic.servers[0].port, 27001),
    (
        "server-extras",
        "SERVER h 025044000001 27000 PRIMARY_IS_MASTER HEARTBEAT_INTERVAL=10\n",
        lambda lic: (lic.servers[0].port, lic.servers[0].extras),
        (27000, ("PRIMARY_IS_MASTER", "HEARTBEAT_INTERVAL=10")),
    ),
    (
        "server-flag-no-port",
        "SERVER h ANY PRIMARY_IS_MASTER\n",
        lambda lic: (lic.servers[0].port, lic.servers[0].extras),
        (None, ("PRIMARY_IS_MASTER",)),
    ),
    ("server-id-hostid", "SERVER h ID=1234 27000\n", lambda lic: lic.server_hostids, (HostId("id", "1234"),)),
    (
        "three-servers",
        _lic("SERVER a 0250440000a1 27000", "SERVER b 0250440000b1 27000", "SERVER c 0250440000c1 27000"),
        lambda lic: [s.host for s in lic.servers],
        ["a", "b", "c"],
    ),
    # VENDOR / DAEMON
    (
        "vendor-positional",
        "VENDOR prismad /opt/flexlm/prismad /opt/flexlm/prismad.opt 27010\n",
        lambda lic: lic.vendors[0],
        flexlm.Vendor("VENDOR", "prismad", "/opt/flexlm/prismad", "/opt/flexlm/prismad.opt", 27010, (), 1),
    ),
    (
        "vendor-keywords-any-case",
        'DAEMON prismad "C:\\Program Files\\prismad.exe" options="C:\\a b\\p.opt" Port=27011\n',
        lambda lic: lic.vendors[0],
        flexlm.Vendor("DAEMON", "prismad", "C:\\Program Files\\prismad.exe", "C:\\a b\\p.opt", 27011, (), 1),
    ),
    (
        "vendor-port-only",
        "VENDOR prismad 27010\n",
        lambda lic: (lic.vendors[0].path, lic.vendors[0].port),
        (None, 27010),
    ),
    ("vendor-extras", "VENDOR prismad TIMEOUT=30\n", lambda lic: lic.vendors[0].extras, ("TIMEOUT=30",)),
    ("use-server", "SERVER h ANY\nVENDOR v\nUSE_SERVER\n", lambda lic: lic.use_server, True),
    ("no-use-server", "SERVER h ANY\n#USE_SERVER\n", lambda lic: lic.use_server, False),
    (
        "keywords-any-case",
        "server h ANY\nvendor v\nfeature f v 1.0 permanent 1\n",
        lambda lic: lic.features[0].keyword,
        "FEATURE",
    ),
    # Layout
    (
        "crlf",
        "SERVER h ANY\r\nVENDOR v\r\n\r\nFEATURE f v 1.0 permanent 1\r\n",
        lambda lic: lic.features[0].line,
        4,
    ),
    ("tabs", "FEATURE\tf\tv\t1.0\tpermanent\t1\tSN=A\n", lambda lic: lic.serials, ("A",)),
    ("bom", "\ufeffSERVER h ANY\n", lambda lic: lic.servers[0].host, "h"),
    ("indented-comment", "  \t# comment\nSERVER h ANY\n", lambda lic: lic.servers[0].line, 2),
    ("trailing-backslash-at-eof", "FEATURE f v 1.0 permanent 1 \\", lambda lic: lic.features[0].count, 1),
    (
        "continuation-not-indented",
        "FEATURE f v 1.0 permanent 1 \\\nSN=A \\\nHOSTID=ANY\n",
        lambda lic: dict(lic.features[0].attributes),
        {"SN": "A", "HOSTID": "ANY"},
    ),
    (
        "quoted-value-on-next-line",
        'FEATURE f v 1.0 permanent 1 NOTICE=\\\n    "a b" SN=A\n',
        lambda lic: dict(lic.features[0].attributes),
        {"NOTICE": "a b", "SN": "A"},
    ),
    (
        "quoted-value-continued",
        'FEATURE f v 1.0 permanent 1 NOTICE="a \\\n\tb" SN=A\n',
        lambda lic: lic.features[0].attribute("notice"),
        "a b",
    ),
    (
        "quoted-with-semicolons",
        'FEATURE f v 1.0 permanent 1 VENDOR_STRING="a;b=c; MAINTENANCE=2027-01-31"\n',
        lambda lic: (lic.features[0].attribute("VENDOR_STRING"), lic.maintenance_end),
        ("a;b=c; MAINTENANCE=2027-01-31", date(2027, 1, 31)),
    ),
    (
        "maintenance-key-any-case",
        "FEATURE f v 1.0 permanent 1 VENDOR_STRING=maintenance=2027-01-31\n",
        lambda lic: lic.maintenance_end,
        date(2027, 1, 31),
    ),
    # FEATURE fields
    (
        "expiry-upper",
        "FEATURE f v 1.0 31-DEC-2027 1\n",
        lambda lic: lic.features[0].expiry,
        date(2027, 12, 31),
    ),
    ("expiry-mixed", "FEATURE f v 1.0 1-Dec-2027 1\n", lambda lic: lic.features[0].expiry, date(2027, 12, 1)),
    ("permanent-upper", "FEATURE f v 1.0 PERMANENT 1\n", lambda lic: lic.features[0].expiry, None),
    ("year-00", "FEATURE f v 1.0 1-jan-00 1\n", lambda lic: lic.features[0].expiry, None),
    (
        "year-0000",
        "FEATURE f v 1.0 01-JAN-0000 1\n",
        lambda lic: (lic.features[0].expiry, lic.features[0].expiry_raw),
        (None, "01-JAN-0000"),
    ),
    (
        "count-uncounted",
        "FEATURE f v 1.0 permanent UNCOUNTED\n",
        lambda lic: (lic.features[0].count, lic.features[0].count_raw),
        (None, "UNCOUNTED"),
    ),
    (
        "count-zero-is-uncounted",
        "FEATURE f v 1.0 permanent 0\n",
        lambda lic: (lic.features[0].count, lic.features[0].uncounted),
        (0, True),
    ),
    (
        "license-key",
        "FEATURE f v 1.0 permanent 4 1234567890AB HOSTID=ANY\n",
        lambda lic: lic.features[0].license_key,
        "1234567890AB",
    ),
    (
        "license-key-20",
        "FEATURE f v 1.0 permanent 4 ABCDEF1234567890ABCD\n",
        lambda lic: lic.features[0].license_key,
        "ABCDEF1234567890ABCD",
    ),
    (
        "flag-is-not-key",
        "FEATURE f v 1.0 permanent 4 TS_OK SN=A\n",
        lambda lic: (lic.features[0].license_key, lic.features[0].flags),
        (None, ("TS_OK",)),
    ),
    (
        "short-hex-is-flag",
        "FEATURE f v 1.0 permanent 4 ABCDEF\n",
        lambda lic: (lic.features[0].license_key, lic.features[0].flags),
        (None, ("ABCDEF",)),
    ),
    (
        "flags-anywhere",
        "FEATURE f v 1.0 permanent 4 SN=A SUPERSEDE USER_BASED ck=12\n",
        lambda lic: (lic.features[0].flags, dict(lic.features[0].attributes)),
        (("SUPERSEDE", "USER_BASED"), {"SN": "A", "ck": "12"}),
    ),
    (
        "duplicate-last-wins",
        "FEATURE f v 1.0 permanent 4 SN=A sort=1 SN=B\n",
        lambda lic: list(lic.features[0].attributes.items()),
        [("SN", "B"), ("sort", "1")],
    ),
    (
        "case-kept",
        "FEATURE f v 1.0 permanent 4 sn=lower\n",
        lambda lic: (list(lic.features[0].attributes), lic.features[0].serial),
        (["sn"], "lower"),
    ),
    (
        "exact-case-wins",
        "FEATURE f v 1.0 permanent 4 sn=lower SN=upper\n",
        lambda lic: lic.serials,
        ("upper",),
    ),
    (
        "upgrade",
        "UPGRADE f v 1.0 2.0 permanent 5 SN=A\n",
        lambda lic: (lic.features[0].keyword, lic.features[0].from_version, lic.features[0].version),
        ("UPGRADE", "1.0", "2.0"),
    ),
    ("numeric-name", "FEATURE 1000 AUCOTEC 1.0 15-feb-2043 7\n", lambda lic: lic.features[0].name, "1000"),
    (
        "start",
        "FEATURE f v 1.0 permanent 4 START=1-jan-2026\n",
        lambda lic: lic.features[0].start,
        date(2026, 1, 1),
    ),
    # PACKAGE
    (
        "package-no-version",
        'PACKAGE p v COMPONENTS="a b"\n',
        lambda lic: (lic.packages[0].version, lic.packages[0].license_key, lic.packages[0].component_list),
        (None, None, ("a", "b")),
    ),
    (
        "package-key-only",
        "PACKAGE p v 1234567890AB COMPONENTS=a\n",
        lambda lic: (lic.packages[0].version, lic.packages[0].license_key),
        (None, "1234567890AB"),
    ),
    (
        "package-version-only",
        "PACKAGE p v 2.0 COMPONENTS=a SUPERSEDE\n",
        lambda lic: (lic.packages[0].version, lic.packages[0].flags),
        ("2.0", ("SUPERSEDE",)),
    ),
    # Aggregates
    (
        "serials-sorted-unique",
        _lic(
            "FEATURE a v 1.0 permanent 1 SN=B",
            "FEATURE b v 1.0 permanent 1 SN=A",
            "INCREMENT a v 1.0 permanent 1 SN=B",
            "FEATURE c v 1.0 permanent 1",
        ),
        lambda lic: lic.serials,
        ("A", "B"),
    ),
    (
        "earliest-expiry",
        _lic("FEATURE a v 1.0 31-dec-2027 1", "FEATURE b v 1.0 permanent 1", "FEATURE c v 1.0 1-mar-2027 1"),
        lambda lic: lic.earliest_expiry,
        date(2027, 3, 1),
    ),
    (
        "earliest-expiry-permanent",
        _lic("FEATURE a v 1.0 permanent 1", "FEATURE b v 1.0 1-jan-0 1"),
        lambda lic: lic.earliest_expiry,
        None,
    ),
    (
        "issued-newest",
        _lic(
            "FEATURE a v 1.0 permanent 1 ISSUED=01-nov-2026",
            "INCREMENT a v 1.0 permanent 1 ISSUED=2-JAN-2027",
            "FEATURE b v 1.0 permanent 1",
        ),
        lambda lic: lic.issued,
        date(2027, 1, 2),
    ),
    ("issued-none", "FEATURE a v 1.0 permanent 1\n", lambda lic: lic.issued, None),
    (
        "maintenance-earliest",
        _lic(
            'FEATURE a v 1.0 permanent 1 VENDOR_STRING="MAINTENANCE=2028-01-31"',
            'FEATURE b v 1.0 permanent 1 VENDOR_STRING="X=1;MAINTENANCE=2027-06-30;Y=2"',
        ),
        lambda lic: lic.maintenance_end,
        date(2027, 6, 30),
    ),
    (
        "maintenance-none",
        'FEATURE a v 1.0 permanent 1 VENDOR_STRING="X=1"\n',
        lambda lic: lic.maintenance_end,
        None,
    ),
    (
        "hostids-all",
        _lic(
            "SERVER h 02:50:44:00:00:01 27000",
            'FEATURE a v 1.0 permanent 1 HOSTID="ID=7 025044000001"',
            "FEATURE b v 1.0 permanent 1 HOSTID=HOSTNAME=fls1",
        ),
        lambda lic: lic.hostids,
        (HostId("mac", "025044000001"), HostId("id", "7"), HostId("hostname", "fls1")),
    ),
    (
        "server-hostids-only",
        _lic("SERVER h ANY", "FEATURE b v 1.0 permanent 1 HOSTID=025044000002"),
        lambda lic: lic.server_hostids,
        (HostId("any", "ANY"),),
    ),
]

USERS_TEST_CASES = [
    ("lab", LAB, 25),
    (
        "feature-plus-increment",
        _lic("FEATURE PD_USERS v 1.0 permanent 25", "INCREMENT PD_USERS v 1.0 permanent 10"),
        35,
    ),
    (
        "case-insensitive-suffix",
        _lic("FEATURE pd_users v 1.0 permanent 5", "FEATURE Extra_Users v 1.0 permanent 3"),
        8,
    ),
    (
        "uncounted-is-unlimited",
        _lic(
            "FEATURE PD_USERS v 1.0 permanent 25", "INCREMENT PD_USERS v 1.0 permanent uncounted HOSTID=ANY"
        ),
        None,
    ),
    ("zero-is-unlimited", "FEATURE PD_USERS v 1.0 permanent 0 HOSTID=ANY\n", None),
    ("no-user-feature", "FEATURE PRISMAdirect v 1.0 permanent 1\n", 0),
    ("suffix-only-at-end", "FEATURE PD_USERS_EXTRA v 1.0 permanent 9\n", 0),
    (
        "upgrade-not-added",
        _lic("FEATURE PD_USERS v 1.0 permanent 5", "UPGRADE PD_USERS v 1.0 2.0 permanent 5"),
        5,
    ),
]

HOSTID_TEST_CASES = [
    ("025044000001", (HostId("mac", "025044000001"),)),
    ("02:50:44:AA:BB:CC", (HostId("mac", "025044aabbcc"),)),
    ("02-50-44-aa-bb-cc", (HostId("mac", "025044aabbcc"),)),
    ("ETHER=02:50:44:aa:bb:cc", (HostId("mac", "025044aabbcc"),)),
    ("02:50-44:aa:bb:cc", (HostId("other", "02:50-44:aa:bb:cc"),)),
    ("any", (HostId("any", "ANY"),)),
    ("DEMO", (HostId("demo", "DEMO"),)),
    ("ID=1234", (HostId("id", "1234"),)),
    ("HOSTNAME=fls1", (HostId("hostname", "fls1"),)),
    ("INTERNET=10.0.*.*", (HostId("internet", "10.0.*.*"),)),
    ("DISPLAY=:0", (HostId("display", ":0"),)),
    ("USER=ops", (HostId("user", "ops"),)),
    ("FLEXID=9-1234abcd", (HostId("flexid", "9-1234abcd"),)),
    ("COMPOSITE=1A2B3C4D5E6F", (HostId("composite", "1A2B3C4D5E6F"),)),
    ("VSN=1234", (HostId("other", "VSN=1234"),)),
    ("12345678", (HostId("other", "12345678"),)),
    ('"aabbccddeeff 112233445566"', (HostId("mac", "aabbccddeeff"), HostId("mac", "112233445566"))),
    ("aabbccddeeff ID=9", (HostId("mac", "aabbccddeeff"), HostId("id", "9"))),
]


@pytest.mark.parametrize(
    ("text", "fact", "value"), [pytest.param(*c[1:], id=c[0]) for c in SUCCESS_TEST_CASES]
)
def test_parse_success(text, fact, value):
    assert fact(flexlm.parse_license(text)) == value


@pytest.mark.parametrize(("text", "users"), [pytest.param(*c[1:], id=c[0]) for c in USERS_TEST_CASES])
def test_users(text, users):
    lic = flexlm.parse_license(text)
    assert lic.users == users
    assert lic.to_dict()["users"] == ("uncounted" if users is None else users)


@pytest.mark.parametrize(("text", "hostids"), HOSTID_TEST_CASES)
def test_parse_hostids(text, hostids):
    assert flexlm.parse_hostids(text) == hostids


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (date(2027, 12, 31), "31-dec-2027"),
        (date(2026, 11, 1), "01-nov-2026"),
        (date(2028, 2, 29), "29-feb-2028"),
    ],
)
def test_format_flexlm_date_round_trips(value, text):
    assert flexlm.format_flexlm_date(value) == text
    assert flexlm.parse_flexlm_date(text) == value


def test_to_dict_is_json():
    lic = flexlm.parse_license(LAB + 'PACKAGE p prismad 2026.1 COMPONENTS="PRISMAdirect PD_USERS"\n')
    data = json.loads(json.dumps(lic.to_dict()))
    assert data["earliest_expiry"] == "2027-12-31"
    assert data["issued"] == "2026-11-01"
    assert data["maintenance_end"] == "2027-12-31"
    assert data["users"] == 25
    assert data["serials"] == ["PDS-100001"]
    assert data["hostids"] == [{"kind": "mac", "value": "025044000001"}]
    assert data["features"][1]["name"] == "PD_USERS"
    assert data["features"][1]["expiry"] == "2027-12-31"
    assert data["packages"][0]["components"] == "PRISMAdirect PD_USERS"


def test_to_dict_permanent_and_uncounted():
    data = flexlm.parse_license("FEATURE PD_USERS v 1.0 permanent uncounted HOSTID=ANY\n").to_dict()
    assert (data["earliest_expiry"], data["users"]) == ("permanent", "uncounted")
    assert (data["features"][0]["expiry"], data["features"][0]["count"]) == ("permanent", "uncounted")
    assert flexlm.parse_license("SERVER h ANY\n").to_dict()["earliest_expiry"] is None


def test_model_is_frozen_and_hashable():
    lic = flexlm.parse_license(LAB)
    with pytest.raises(AttributeError):
        lic.features[0].name = "other"  # type: ignore[misc]
    assert len({lic.features[0], lic.features[0]}) == 1


# ---------------------------------------------------------------------------------------------------
# Malformed input: (id, text, line, words the reason must contain)
# ---------------------------------------------------------------------------------------------------

ERROR_TEST_CASES = [
    (
        "empty",
        "",
        1,
        "no SERVER, VENDOR or FEATURE line found: this is not a FlexNet license (the text is empty",
    ),
    ("blank", "\n \n\t\n", 1, "the text is empty or only comments"),
    ("comments-only", "# a\n  # b\n", 1, "the text is empty or only comments"),
    (
        "html",
        "<!DOCTYPE html>\n<html><body>Maintenance</body></html>\n",
        1,
        "this is not a FlexNet license (it starts with '<!DOCTYPE html>')",
    ),
    ("html-after-blank-lines", "\n\n<html>\n", 3, "this is not a FlexNet license"),
    ("json", '{"error": "forbidden"}', 1, "this is not a FlexNet license"),
    (
        "unknown-keyword",
        "SERVER h ANY\nFEATUER f v 1.0 permanent 1\n",
        2,
        "unknown keyword 'FEATUER': expected one of SERVER, VENDOR, DAEMON, USE_SERVER, FEATURE, INCREMENT, "
        "UPGRADE, PACKAGE",
    ),
    (
        "feature-3-fields",
        "#1\n#2\nSERVER h ANY\n\nVENDOR v\n# 6\nFEATURE f1 demo 1.0\n",
        7,
        "FEATURE needs 'feature vendor version expiry count', got 3 fields",
    ),
    (
        "feature-attribute-too-early",
        "FEATURE f1 demo 1.0 permanent HOSTID=ANY\n",
        1,
        "FEATURE needs 'feature vendor version expiry count', got 4 fields before 'HOSTID=ANY'",
    ),
    (
        "increment-no-fields",
        "INCREMENT\n",
        1,
        "INCREMENT needs 'feature vendor version expiry count', got 0 fields",
    ),
    (
        "upgrade-5-fields",
        "UPGRADE f v 1.0 permanent 5\n",
        1,
        "UPGRADE needs 'feature vendor from_version version expiry count', got 5 fields",
    ),
    (
        "expiry-words",
        "SERVER h ANY\nVENDOR v\nINCREMENT f v 1.0 foo-bar 1\n",
        3,
        "expiry 'foo-bar' is not dd-mmm-yyyy, 'permanent' or a year 0 date",
    ),
    ("expiry-bad-month", "FEATURE f v 1.0 31-xyz-2027 1\n", 1, "expiry '31-xyz-2027' is not dd-mmm-yyyy"),
    ("expiry-two-digit-year", "FEATURE f v 1.0 31-dec-27 1\n", 1, "expiry '31-dec-27' is not dd-mmm-yyyy"),
    ("expiry-iso", "FEATURE f v 1.0 2027-12-31 1\n", 1, "expiry '2027-12-31' is not dd-mmm-yyyy"),
    ("expiry-not-real", "FEATURE f v 1.0 31-feb-2027 1\n", 1, "expiry '31-feb-2027' is not a real date"),
    ("count-word", "FEATURE f v 1.0 permanent four\n", 1, "count 'four' is not a number or 'uncounted'"),
    ("count-negative", "FEATURE f v 1.0 permanent -1\n", 1, "count '-1' is not a number or 'uncounted'"),
    ("version-word", "FEATURE f v v1 permanent 1\n", 1, "version 'v1' is not a number like 1.0"),
    (
        "upgrade-from-version",
        "UPGRADE f v x 2.0 permanent 1\n",
        1,
        "from_version 'x' is not a number like 1.0",
    ),
    (
        "unclosed-quote",
        'SERVER h ANY\nFEATURE f v 1.0 permanent 1 SIGN="00AB\n',
        2,
        "a quoted value is not closed: expected a closing '\"'",
    ),
    (
        "unclosed-quote-continued",
        'SERVER h ANY\nFEATURE f v 1.0 permanent 1 \\\n  NOTICE="a \\\n  b\nVENDOR v\n',
        2,
        "a quoted value is not closed",
    ),
    (
        "empty-value",
        "FEATURE f v 1.0 permanent 1 HOSTID= ANY\n",
        1,
        "attribute 'HOSTID=' has no value (write HOSTID=value)",
    ),
    ("no-name", "FEATURE f v 1.0 permanent 1 SN=A =x\n", 1, "attribute '=x' has no valid name before '='"),
    (
        "stray-number",
        "FEATURE f v 1.0 permanent 1 SN=A 1234\n",
        1,
        "unexpected '1234': expected NAME=value or a flag such as TS_OK",
    ),
    (
        "stray-quoted",
        'FEATURE f v 1.0 permanent 1 SN=A "hello world"\n',
        1,
        "unexpected '\"hello world\"': expected NAME=value or a flag",
    ),
    (
        "trailing-comment",
        "FEATURE f v 1.0 permanent 1 SN=A # note\n",
        1,
        "unexpected '#': expected NAME=value",
    ),
    ("server-one-field", "SERVER h\n", 1, "SERVER needs 'host hostid [port]', got 1 field"),
    (
        "server-no-hostid",
        "SERVER h PORT=27000\n",
        1,
        "SERVER needs 'host hostid [port]': 'PORT=27000' is not a host id",
    ),
    ("server-port-typo", "SERVER h ANY 27OOO\n", 1, "SERVER port '27OOO' is not a number from 1 to 65535"),
    (
        "server-port-keyword",
        "SERVER h ANY PORT=abc\n",
        1,
        "SERVER port 'abc' is not a number from 1 to 65535",
    ),
    ("server-port-range", "SERVER h ANY 70000\n", 1, "SERVER port '70000' is not a number from 1 to 65535"),
    ("server-empty-hostid", 'SERVER h ""\n', 1, "SERVER needs 'host hostid [port]': '' is not a host id"),
    ("count-unicode-digit", "FEATURE f v 1.0 permanent \u00b2\n", 1, "count '\u00b2' is not a number"),
    (
        "vendor-no-name",
        "SERVER h ANY\nVENDOR\n",
        2,
        "VENDOR needs 'name [path] [[OPTIONS=]options] [[PORT=]port]', got no name",
    ),
    ("daemon-port-word", "DAEMON d PORT=x\n", 1, "DAEMON port 'x' is not a number from 1 to 65535"),
    (
        "vendor-too-many",
        "VENDOR d /p /o extra\n",
        1,
        "VENDOR needs 'name [path] [[OPTIONS=]options] [[PORT=]port]', got too many",
    ),
    ("use-server-argument", "SERVER h ANY\nUSE_SERVER yes\n", 2, "USE_SERVER takes no arguments, got 'yes'"),
    (
        "issued-iso",
        "FEATURE f v 1.0 permanent 1 ISSUED=2026-11-01\n",
        1,
        "ISSUED '2026-11-01' is not a dd-mmm-yyyy date",
    ),
    (
        "start-permanent",
        "FEATURE f v 1.0 permanent 1 START=permanent\n",
        1,
        "START 'permanent' is not a dd-mmm-yyyy date",
    ),
    (
        "maintenance-not-iso",
        'FEATURE f v 1.0 permanent 1 VENDOR_STRING="MAINTENANCE=31-dec-2027"\n',
        1,
        "VENDOR_STRING MAINTENANCE '31-dec-2027' is not a YYYY-MM-DD date",
    ),
    (
        "package-no-components",
        "PACKAGE p v 1.0 SIGN=x\n",
        1,
        'PACKAGE needs COMPONENTS="feature[:version[:count]] ..."',
    ),
    (
        "package-one-field",
        "PACKAGE p\n",
        1,
        "PACKAGE needs 'package vendor [version] [key]' before its attributes, got 1 field",
    ),
    (
        "package-bad-version",
        "PACKAGE p v x.y COMPONENTS=a\n",
        1,
        "PACKAGE version 'x.y' is not a number like 1.0",
    ),
    ("crlf-line-number", "SERVER h ANY\r\nVENDOR v\r\n\r\nFEATURE f v 1.0 permanent\r\n", 4, "got 4 fields"),
    (
        "line-after-continuations",
        "FEATURE f v 1.0 permanent 1 \\\n  SN=A \\\n  HOSTID=ANY\n\nFEATURE g v 1.0\n",
        5,
        "got 3 fields",
    ),
]


@pytest.mark.parametrize(
    ("text", "line", "reason"), [pytest.param(*c[1:], id=c[0]) for c in ERROR_TEST_CASES]
)
def test_parse_error(text, line, reason):
    with pytest.raises(flexlm.LicenseParseError) as caught:
        flexlm.parse_license(text)
    assert caught.value.line == line
    assert reason in caught.value.reason
    assert str(caught.value) == f"line {line}: {caught.value.reason}"


def test_parse_error_is_value_error_and_pickles():
    error = flexlm.LicenseParseError(3, "expiry 'x' is not dd-mmm-yyyy")
    assert isinstance(error, ValueError)
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.line, copy.reason, str(copy)) == (3, error.reason, "line 3: expiry 'x' is not dd-mmm-yyyy")


# ---------------------------------------------------------------------------------------------------
# Validation: (id, license text, keyword arguments, error substrings, warning substrings)
# ---------------------------------------------------------------------------------------------------

TODAY = date(2026, 12, 1)


def _lab(
    server_hostid="025044000001",
    expiry="31-dec-2027",
    maintenance="2027-12-31",
    serial="PDS-100001",
    extra="",
):
    return _lic(
        f"SERVER this_host {server_hostid} 27000",
        "VENDOR prismad PORT=27010",
        f"FEATURE PRISMAdirect prismad 2026.1 {expiry} 1 SN={serial} ISSUED=01-nov-2026 "
        f'VENDOR_STRING="MAINTENANCE={maintenance}" SIGN="AAAA"',
        f"FEATURE PD_USERS prismad 2026.1 {expiry} 25 SN={serial} ISSUED=01-nov-2026 "
        f'VENDOR_STRING="MAINTENANCE={maintenance}" SIGN="BBBB"',
        extra,
    )


VALIDATION_TEST_CASES = [
    ("all-good", _lab(), {"mac_addresses": ["02:50:44:00:00:01"], "expected_serial": "PDS-100001"}, [], []),
    ("no-checks", _lab(server_hostid="025044000009"), {}, [], []),
    ("mac-colons-upper", _lab(), {"mac_addresses": ["02:50:44:00:00:01".upper()]}, [], []),
    ("mac-dashes", _lab(), {"mac_addresses": ["02-50-44-00-00-01"]}, [], []),
    ("mac-bare", _lab(), {"mac_addresses": ["025044000001"]}, [], []),
    ("mac-one-of-several", _lab(), {"mac_addresses": ["00:11:22:33:44:55", "02:50:44:00:00:01"]}, [], []),
    ("mac-tuple", _lab(), {"mac_addresses": ("02:50:44:00:00:01",)}, [], []),
    (
        "mac-mismatch",
        _lab(server_hostid="025044000009"),
        {"mac_addresses": ["02:50:44:00:00:01"]},
        ["license is bound to host id 025044000009, not to this server (MAC addresses: 025044000001)"],
        [],
    ),
    (
        "mac-mismatch-several",
        _lab(server_hostid="025044000009"),
        {"mac_addresses": ["02:50:44:00:00:02", "02-50-44-00-00-01"]},
        ["(MAC addresses: 025044000001, 025044000002)"],
        [],
    ),
    (
        "mac-none-known",
        _lab(server_hostid="025044000009"),
        {"mac_addresses": []},
        ["(MAC addresses: none found)"],
        [],
    ),
    (
        "mac-ignored-entry",
        _lab(),
        {"mac_addresses": ["lo", "80:00:02:08:fe:80:00:00:00:00", "02:50:44:00:00:01"]},
        [],
        ["ignored 'lo' in mac_addresses: not a MAC address", "ignored '80:00:02:08:fe:80:00:00:00:00'"],
    ),
    ("server-any", _lab(server_hostid="ANY"), {"mac_addresses": ["02:50:44:00:00:01"]}, [], []),
    ("server-demo", _lab(server_hostid="DEMO"), {"mac_addresses": ["02:50:44:00:00:01"]}, [], []),
    (
        "hostid-list-match",
        _lab(server_hostid='"025044000009 025044000001"'),
        {"mac_addresses": ["025044000001"]},
        [],
        [],
    ),
    (
        "hostid-list-mismatch",
        _lab(server_hostid='"025044000009 025044000008"'),
        {"mac_addresses": ["025044000001"]},
        ["license is bound to host ids 025044000009, 025044000008, not to this server"],
        [],
    ),
    (
        "server-not-a-mac",
        _lab(server_hostid="ID=1234"),
        {"mac_addresses": ["025044000001"]},
        [],
        ["license is bound to host id ID=1234: ID=1234 is not a MAC address, so it cannot be checked"],
    ),
    (
        "feature-node-locked-mismatch",
        _lab(extra="INCREMENT PD_USERS prismad 2026.1 31-dec-2027 5 SN=PDS-100001 HOSTID=025044000007"),
        {"mac_addresses": ["025044000001"]},
        [
            "feature PD_USERS is node-locked to host id 025044000007, not to this server "
            "(MAC addresses: 025044000001)"
        ],
        [],
    ),
    (
        "features-node-locked-hostname",
        _lic(
            "FEATURE f1 demo 1.0 permanent 9 HOSTID=HOSTNAME=fls1",
            "FEATURE f2 demo 1.0 permanent 9 HOSTID=HOSTNAME=fls1",
        ),
        {"mac_addresses": ["025044000001"]},
        [],
        ["features f1, f2 are node-locked to host id HOSTNAME=fls1: HOSTNAME=fls1 is not a MAC address"],
    ),
    (
        "feature-hostid-any",
        "FEATURE f v 1.0 permanent uncounted HOSTID=ANY\n",
        {"mac_addresses": ["025044000001"]},
        [],
        [],
    ),
    (
        "no-host-id-at-all",
        "FEATURE f v 1.0 permanent 1\n",
        {"mac_addresses": ["025044000001"]},
        [],
        ["license names no host id (no SERVER line and no HOSTID=)"],
    ),
    (
        "expired",
        _lab(expiry="30-nov-2026", maintenance="2027-12-31"),
        {},
        ["feature PRISMAdirect expired on 2026-11-30 (1 day ago)", "feature PD_USERS expired on 2026-11-30"],
        [],
    ),
    (
        "expiring-in-30-days",
        _lab(expiry="31-dec-2026", maintenance="2027-12-31"),
        {},
        [],
        ["feature PRISMAdirect expires on 2026-12-31 (in 30 days)", "feature PD_USERS expires on 2026-12-31"],
    ),
    ("expiring-in-31-days", _lab(expiry="01-jan-2027"), {}, [], ["(in 31 days)", "(in 31 days)"]),
    ("expiring-in-32-days", _lab(expiry="02-jan-2027"), {}, [], []),
    ("expiring-today", _lab(expiry="01-dec-2026"), {}, [], ["expires on 2026-12-01 (today)", "(today)"]),
    ("warn-days-0", _lab(expiry="02-dec-2026"), {"warn_days": 0}, [], []),
    ("permanent", _lab(expiry="permanent"), {}, [], []),
    ("year-0", _lab(expiry="1-jan-0"), {}, [], []),
    (
        "maintenance-ended",
        _lab(maintenance="2026-11-30"),
        {},
        [],
        ["maintenance ended on 2026-11-30: the back office delivers no license updates"],
    ),
    (
        "maintenance-ending",
        _lab(maintenance="2026-12-15"),
        {},
        [],
        ["maintenance ends on 2026-12-15 (in 14 days)"],
    ),
    ("maintenance-far", _lab(maintenance="2027-01-02"), {}, [], []),
    (
        "start-in-future",
        "FEATURE f v 1.0 permanent 1 START=01-jan-2027\n",
        {},
        [],
        ["feature f is not valid before its START date 2027-01-01"],
    ),
    ("serial-match", _lab(), {"expected_serial": "PDS-100001"}, [], []),
    (
        "serial-mismatch",
        _lab(serial="PDS-100002"),
        {"expected_serial": "PDS-100001"},
        ["license is for serial PDS-100002, expected PDS-100001"],
        [],
    ),
    (
        "serial-missing",
        "FEATURE f v 1.0 permanent 1\n",
        {"expected_serial": "PDS-100001"},
        ["license has no serial number (SN=), expected PDS-100001"],
        [],
    ),
    (
        "no-features",
        "SERVER this_host 025044000001 27000\nVENDOR prismad\n",
        {"mac_addresses": ["025044000001"]},
        ["license has no FEATURE or INCREMENT line: it grants nothing"],
        [],
    ),
    (
        "everything-wrong",
        _lab(server_hostid="025044000009", expiry="01-jan-2026", maintenance="2025-12-31", serial="X"),
        {"mac_addresses": ["025044000001"], "expected_serial": "PDS-100001"},
        [
            "license is bound to host id 025044000009",
            "feature PRISMAdirect expired",
            "feature PD_USERS expired",
            "license is for serial X, expected PDS-100001",
        ],
        ["maintenance ended on 2025-12-31"],
    ),
]


@pytest.mark.parametrize(
    ("text", "kwargs", "errors", "warnings"), [pytest.param(*c[1:], id=c[0]) for c in VALIDATION_TEST_CASES]
)
def test_validate(text, kwargs, errors, warnings):
    result = flexlm.validate_license(flexlm.parse_license(text), today=TODAY, **kwargs)
    assert len(result.errors) == len(errors), result.errors
    assert len(result.warnings) == len(warnings), result.warnings
    for expected, actual in zip(errors, result.errors, strict=True):
        assert expected in actual
    for expected, actual in zip(warnings, result.warnings, strict=True):
        assert expected in actual
    assert result.ok == (not errors)
    assert result.to_dict() == {
        "ok": not errors,
        "errors": list(result.errors),
        "warnings": list(result.warnings),
    }


def test_validate_defaults_to_today():
    lic = flexlm.parse_license("FEATURE f v 1.0 1-jan-2001 1\n")
    days = (date.today() - date(2001, 1, 1)).days
    assert flexlm.validate_license(lic).errors == (f"feature f expired on 2001-01-01 ({days} days ago)",)


def test_validate_accepts_one_mac_string_and_a_datetime():
    lic = flexlm.parse_license(_lab(expiry="31-dec-2026"))
    result = flexlm.validate_license(
        lic, mac_addresses="02:50:44:00:00:01", today=datetime(2026, 12, 30, 23, 59)
    )
    assert result.errors == ()
    assert result.warnings[0] == "feature PRISMAdirect expires on 2026-12-31 (in 1 day)"


def test_validate_several_uncheckable_host_ids():
    lic = flexlm.parse_license('FEATURE f v 1.0 permanent 1 HOSTID="ID=1 HOSTNAME=fls1"\n')
    result = flexlm.validate_license(lic, mac_addresses=["025044000001"], today=TODAY)
    assert result.warnings == (
        "feature f is node-locked to host ids ID=1, HOSTNAME=fls1: ID=1, HOSTNAME=fls1 are not MAC "
        "addresses, so it cannot be checked against this server's MAC addresses",
    )


def test_module_imports_only_the_standard_library():
    """module_utils/flexlm.py must also load by path in scripts that have no Ansible (lab simulator)."""
    source = Path(flexlm.__file__).read_text(encoding="utf-8")
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "no relative imports"
            imported.add(node.module.split(".")[0])
    assert imported <= set(sys.stdlib_module_names), imported - set(sys.stdlib_module_names)
    spec = importlib.util.spec_from_file_location("standalone_flexlm", flexlm.__file__)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look the module up while the class is built
    try:
        spec.loader.exec_module(module)
        assert module.parse_license(LAB).users == 25
    finally:
        del sys.modules[spec.name]
