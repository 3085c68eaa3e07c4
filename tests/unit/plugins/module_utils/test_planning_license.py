"""Tables of cases for the floating license planner (plugins/module_utils/planning_license.py):
desired + host state -> Plan; backups; reread; every bad input names its option."""

from __future__ import annotations

import copy
import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from ansible_collections.printops.prismadirect.plugins.module_utils.planning_core import Plan
from ansible_collections.printops.prismadirect.plugins.module_utils.planning_license import (
    backup_name,
    backup_rotation,
    floating_license_desired,
    plan_floating_license,
)
from ansible_collections.printops.prismadirect.plugins.module_utils.validation import ValidationError

NOW = datetime(2026, 11, 29, 10, 15, 0, tzinfo=UTC)
HOSTID = "025044000001"
LMUTIL = "/srv/printops-lab/bin/lmutil"


def license_text(
    serial: str = "PDS-100001",
    hostid: str = HOSTID,
    expiry: str = "31-dec-2030",
    maintenance: str = "2030-12-31",
    issued: str = "01-nov-2026",
    users: int = 25,
) -> str:
    return (
        f"SERVER this_host {hostid} 27000\n"
        "VENDOR prismad PORT=27010\n"
        f"FEATURE PRISMAdirect prismad 2026.1 {expiry} 1 SN={serial} ISSUED={issued} \\\n"
        f'    VENDOR_STRING="MAINTENANCE={maintenance}" SIGN="0000 1111"\n'
        f"FEATURE PD_USERS prismad 2026.1 {expiry} {users} SN={serial} ISSUED={issued} \\\n"
        f'    VENDOR_STRING="MAINTENANCE={maintenance}" SIGN="0000 1111"\n'
    )


NEW = license_text()
OLD = license_text(expiry="31-dec-2029", maintenance="2029-12-31", issued="01-dec-2025")


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def entry(name: str, text: str) -> dict:
    return {"name": name, "size": len(text.encode()), "sha256": sha(text), "text": text}


def host_state(
    *,
    licenses: list | None = None,
    backups: list | None = None,
    macs: list | str | None = "default",
    server: dict | None = None,
) -> dict:
    """A lab FLS holding the old PDS-100001 license, with lmutil present."""
    state = {
        "platform": "lab",
        "licenses": licenses if licenses is not None else [entry("PDS-100001.lic", OLD)],
        "license_backups": backups or [],
        "license_server": server if server is not None else {"lmutil": {"path": LMUTIL, "exists": True}},
    }
    if macs == "default":
        state["mac_addresses"] = [HOSTID]
    elif macs is not None:
        state["mac_addresses"] = macs
    return state


def args(**overrides) -> dict:
    base = {
        "content": NEW,
        "src": None,
        "dest": "/licenses",
        "filename": None,
        "validate": None,
        "backup": None,
        "reread": None,
        "lmutil_path": None,
        "license_service": None,
    }
    base.update(overrides)
    return base


def plan_for(task: dict, state: dict, now: datetime = NOW, src_text: str | None = None) -> Plan:
    return plan_floating_license(floating_license_desired(task, now=now, src_text=src_text), state)


def verbs(plan: Plan) -> list[str]:
    return [c.verb for c in plan.changes]


def assert_text_not_shown(plan: Plan, text: str) -> None:
    """The diff, result and reasons name the license; they never carry its text."""
    shown = json.dumps(plan.diff) + json.dumps(plan.result) + " ".join(c.reason for c in plan.changes)
    assert 'SIGN="0000 1111"' not in shown
    assert text not in shown


# ---------------------------------------------------------------------------------------------------
# Bad inputs: each names its option, before the host is read
# ---------------------------------------------------------------------------------------------------

BAD_INPUT_CASES = [
    # id, overrides, option, message part
    ("content and src", {"src": "/tmp/x.lic"}, "content", "mutually exclusive"),
    ("neither", {"content": None}, "content", "or src is required"),
    ("empty content", {"content": "  \n"}, "content", "is empty"),
    ("not a license", {"content": "<html>502</html>"}, "content", "not a valid FlexNet license"),
    ("broken feature", {"content": "FEATURE x prismad 1.0 31-feb-2030 1\n"}, "content", "not a real date"),
    ("NUL", {"content": NEW + "\x00"}, "content", "NUL"),
    ("too large", {"content": NEW + "#" * 300_000}, "content", "larger than 256 KiB"),
    ("relative dest", {"dest": "licenses"}, "dest", "not an absolute path"),
    ("dest with ..", {"dest": "C:\\a\\..\\b"}, "dest", "'..'"),
    ("dest shared", {"dest": "\\\\fls1\\licenses"}, "dest", "is a shared folder"),
    ("dest missing", {"dest": None}, "dest", "is empty"),
    ("filename with ..", {"filename": "../PDS-100001.lic"}, "filename", "not safe"),
    ("filename path", {"filename": "sub/PDS-100001.lic"}, "filename", "not safe"),
    ("filename backslash", {"filename": "sub\\PDS-100001.lic"}, "filename", "not safe"),
    ("filename not .lic", {"filename": "PDS-100001.txt"}, "filename", "ending in .lic"),
    ("filename device", {"filename": "NUL.lic"}, "filename", "not safe"),
    ("filename stream", {"filename": "a.lic:x.lic"}, "filename", "not safe"),
    ("validate not a dict", {"validate": True}, "validate", "must be a dictionary"),
    ("validate unknown key", {"validate": {"host_id": False}}, "validate", "unknown keys host_id"),
    ("validate.hostid not bool", {"validate": {"hostid": "no"}}, "validate.hostid", "not a boolean"),
    ("validate.serial bad", {"validate": {"serial": "../x"}}, "validate.serial", "not a serial number"),
    ("validate.warn_days bool", {"validate": {"warn_days": True}}, "validate.warn_days", "whole number"),
    ("validate.warn_days negative", {"validate": {"warn_days": -1}}, "validate.warn_days", "whole number"),
    ("backup negative", {"backup": -1}, "backup", "whole number from 0"),
    ("backup text", {"backup": "3"}, "backup", "whole number"),
    ("reread unknown", {"reread": "reload"}, "reread", "not one of: auto, lmreread, restart, none"),
    ("service bad", {"license_service": "a/b"}, "license_service", "not a service name"),
    ("lmutil_path empty", {"lmutil_path": " "}, "lmutil_path", "not a path"),
]


@pytest.mark.parametrize(
    ("overrides", "option", "message"), [c[1:] for c in BAD_INPUT_CASES], ids=[c[0] for c in BAD_INPUT_CASES]
)
def test_bad_inputs_name_the_option(overrides, option, message):
    with pytest.raises(ValidationError) as caught:
        floating_license_desired(args(**overrides), now=NOW, src_text=NEW)
    assert caught.value.option == option
    assert message in caught.value.message


def test_src_is_read_by_the_action_plugin():
    desired = floating_license_desired(args(content=None, src="/tmp/new.lic"), now=NOW, src_text=NEW)
    assert (desired.source, desired.content) == ("src", NEW)
    with pytest.raises(ValidationError, match=r"src: '/tmp/new\.lic' was not read"):
        floating_license_desired(args(content=None, src="/tmp/new.lic"), now=NOW)
    with pytest.raises(ValidationError) as caught:
        floating_license_desired(args(content=None, src="/tmp/x.lic"), now=NOW, src_text="garbage")
    assert caught.value.option == "src"


def test_desired_defaults():
    desired = floating_license_desired(args(), now=datetime(2026, 11, 29, 10, 15))  # naive: UTC
    assert desired.now == NOW
    assert (desired.filename, desired.backup, desired.reread) == (None, 3, "auto")
    assert (desired.checks.hostid, desired.checks.expiry, desired.checks.serial) == (True, True, None)
    assert desired.checks.warn_days == 31
    assert desired.sha256 == sha(NEW)
    assert NEW not in repr(desired)
    other_zone = floating_license_desired(
        args(), now=datetime(2026, 11, 29, 11, 15, tzinfo=timezone(timedelta(hours=1)))
    )
    assert other_zone.now == NOW


# ---------------------------------------------------------------------------------------------------
# Validation against the host: every reason at once, before anything is written
# ---------------------------------------------------------------------------------------------------

REFUSED_CASES = [
    # id, content, validate, state overrides, option, message parts
    ("license for another host id", license_text(hostid="025044000002"), None, {}, "content",
     ["025044000002, not to this server (MAC addresses: 025044000001)"]),
    ("expired", license_text(expiry="01-nov-2026"), None, {}, "content", ["expired on 2026-11-01"]),
    ("wrong serial", license_text(serial="PDS-100002"), {"serial": "PDS-100001"}, {}, "content",
     ["license is for serial PDS-100002, expected PDS-100001"]),
    ("every reason at once", license_text(hostid="aabbccddeeff", expiry="01-jan-2026", serial="PDS-9"),
     {"serial": "PDS-100001"}, {}, "content",
     ["4 problems", "(1) license is bound to", "(2) feature PRISMAdirect expired", "(4) license is for"]),
    ("no MAC addresses read", NEW, None, {"macs": None}, "validate.hostid", ["set validate.hostid: false"]),
    ("no MAC address on the host", NEW, None, {"macs": []}, "content", ["MAC addresses: none found"]),
    ("no feature", "SERVER this_host 025044000001 27000\nVENDOR prismad\n", None, {}, "content",
     ["grants nothing"]),
    ("no feature, expiry not checked", "SERVER this_host 025044000001 27000\nVENDOR prismad\n",
     {"expiry": False}, {}, "content", ["grants nothing"]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("content", "validate", "state", "option", "parts"),
    [c[1:] for c in REFUSED_CASES],
    ids=[c[0] for c in REFUSED_CASES],
)
def test_an_invalid_license_is_refused_with_every_reason(content, validate, state, option, parts):
    with pytest.raises(ValidationError) as caught:
        plan_for(args(content=content, validate=validate), host_state(**state))
    assert caught.value.option == option
    for part in parts:
        assert part in caught.value.message
    if option == "content":
        assert "Nothing was written" in caught.value.message


ACCEPTED_CASES = [
    # id, content, validate, warning part (or None)
    ("host id not checked", license_text(hostid="025044000002"), {"hostid": False}, None),
    ("ANY host id", license_text(hostid="ANY"), None, None),
    ("expired, expiry not checked", license_text(expiry="01-nov-2026"), {"expiry": False},
     "expired on 2026-11-01 (28 days ago) (validate.expiry is false)"),
    ("expires soon", license_text(expiry="15-dec-2026"), None, "expires on 2026-12-15 (in 16 days)"),
    ("expires soon, short warning window", license_text(expiry="15-dec-2026"), {"warn_days": 10}, None),
    ("maintenance ends soon", license_text(maintenance="2026-12-01"), None, "maintenance ends on 2026-12-01"),
    ("maintenance ended", license_text(maintenance="2026-01-01"), None, "maintenance ended on 2026-01-01"),
    ("expected serial", NEW, {"serial": "PDS-100001"}, None),
    ("permanent", license_text(expiry="permanent"), None, None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("content", "validate", "warning"), [c[1:] for c in ACCEPTED_CASES], ids=[c[0] for c in ACCEPTED_CASES]
)
def test_accepted_licenses_and_their_warnings(content, validate, warning):
    plan = plan_for(args(content=content, validate=validate), host_state())
    assert verbs(plan) == ["license.write", "license.reread"]
    if warning is None:
        assert plan.warnings == ()
    else:
        assert any(warning in w for w in plan.warnings), plan.warnings
        assert plan.result["warnings"] == list(plan.warnings)


# ---------------------------------------------------------------------------------------------------
# Plans
# ---------------------------------------------------------------------------------------------------

PLAN_CASES = [
    # id, task overrides, state, expected verbs
    ("differs", {}, host_state(), ["license.write", "license.reread"]),
    ("same content: no change", {"content": OLD}, host_state(), []),
    ("same content, reader gave no sha256", {"content": OLD},
     host_state(licenses=[{"name": "PDS-100001.lic", "text": OLD}]), []),
    ("new file", {}, host_state(licenses=[]), ["license.write", "license.reread"]),
    ("no reread", {"reread": "none"}, host_state(), ["license.write"]),
    ("same content, no reread either", {"content": OLD, "reread": "restart", "license_service": "FlexNet"},
     host_state(), []),
]  # fmt: skip


@pytest.mark.parametrize(
    ("overrides", "state", "expected"), [c[1:] for c in PLAN_CASES], ids=[c[0] for c in PLAN_CASES]
)
def test_plan_floating_license(overrides, state, expected):
    before = copy.deepcopy(state)
    plan = plan_for(args(**overrides), state)
    assert verbs(plan) == expected
    assert plan.changed is bool(expected)
    assert state == before
    assert_text_not_shown(plan, overrides.get("content", NEW))


def test_write_and_reread_arguments():
    backups = ["PDS-100001.lic.20261001T000000Z.bak", "other.lic.20200101T000000Z.bak"]
    plan = plan_for(args(), host_state(backups=backups))
    write, reread = plan.changes
    assert write.args == {
        "dest": "/licenses",
        "filename": "PDS-100001.lic",
        "content": NEW,
        "sha256": sha(NEW),
        "replaces_sha256": sha(OLD),
        "backup": {"keep": 3, "file": "PDS-100001.lic.20261129T101500Z.bak", "delete": []},
    }
    assert reread.args == {
        "method": "lmreread",
        "lmutil_path": LMUTIL,
        "service": None,
        "license_path": "/licenses",
    }
    assert f"PDS-100001.lic differs (sha256 {sha(OLD)[:12]}" in write.reason
    assert plan.result == {
        "serial": "PDS-100001",
        "serials": ["PDS-100001"],
        "expiry": "2030-12-31",
        "maintenance_end": "2030-12-31",
        "issued": "2026-11-01",
        "users": 25,
        "path": "/licenses/PDS-100001.lic",
        "filename": "PDS-100001.lic",
        "sha256": sha(NEW),
        "previous_sha256": sha(OLD),
        "backup_file": "/licenses/PDS-100001.lic.20261129T101500Z.bak",
        "backups_deleted": [],
        "reread": "lmreread",
        "warnings": [],
    }


def test_diff_shows_name_hashes_and_dates_not_the_text():
    plan = plan_for(args(), host_state())
    assert plan.diff["before"] == {
        "file": "/licenses/PDS-100001.lic",
        "sha256": sha(OLD),
        "serial": "PDS-100001",
        "expiry": "2029-12-31",
        "maintenance_end": "2029-12-31",
        "issued": "2025-12-01",
        "users": 25,
    }
    assert plan.diff["after"]["expiry"] == "2030-12-31"
    assert plan.diff["after"]["maintenance_end"] == "2030-12-31"
    assert plan.diff["after"]["backup_file"] == "PDS-100001.lic.20261129T101500Z.bak"
    new_file = plan_for(args(), host_state(licenses=[]))
    assert new_file.diff["before"]["file"] is None and new_file.diff["before"]["sha256"] is None
    assert_text_not_shown(plan, NEW)


def test_idempotent_result_reports_the_installed_license():
    plan = plan_for(args(content=OLD), host_state())
    assert plan.changes == ()
    assert plan.result["sha256"] == sha(OLD)
    assert plan.result["backup_file"] is None and plan.result["reread"] is None
    assert plan.result["previous_sha256"] is None
    assert plan.diff["before"] == plan.diff["after"]


def test_windows_paths():
    plan = plan_for(args(dest="C:\\ProgramData\\FlexNet"), host_state())
    assert plan.result["path"] == "C:\\ProgramData\\FlexNet\\PDS-100001.lic"
    assert plan.result["backup_file"] == "C:\\ProgramData\\FlexNet\\PDS-100001.lic.20261129T101500Z.bak"


# ---------------------------------------------------------------------------------------------------
# File name
# ---------------------------------------------------------------------------------------------------


def test_default_name_is_the_file_that_holds_the_serial():
    plan = plan_for(args(), host_state(licenses=[entry("prismadirect.lic", OLD)]))
    assert plan.changes[0].args["filename"] == "prismadirect.lic"


def test_default_name_for_a_new_serial_is_serial_dot_lic():
    plan = plan_for(args(content=license_text(serial="PDS-100002")), host_state())
    assert plan.changes[0].args["filename"] == "PDS-100002.lic"
    assert plan.changes[0].args["replaces_sha256"] is None


def test_a_second_file_with_the_same_serial_is_warned_about():
    plan = plan_for(args(filename="PDS-100001-new.lic"), host_state())
    assert any("also in PDS-100001.lic" in w and "sees this license twice" in w for w in plan.warnings)


def test_a_file_holding_another_serial_is_never_replaced():
    with pytest.raises(ValidationError) as caught:
        plan_for(args(content=license_text(serial="PDS-100002"), filename="PDS-100001.lic"), host_state())
    assert caught.value.option == "filename"
    assert "holds the license of serial PDS-100001" in caught.value.message


def test_a_license_without_a_serial_needs_a_filename():
    text = NEW.replace("SN=PDS-100001 ", "")
    with pytest.raises(ValidationError, match="filename: is required: the license has no serial number"):
        plan_for(args(content=text), host_state())
    assert (
        plan_for(args(content=text, filename="site.lic"), host_state()).changes[0].args["filename"]
        == "site.lic"
    )


def test_an_older_license_replacing_a_newer_one_is_warned_about():
    plan = plan_for(args(content=OLD), host_state(licenses=[entry("PDS-100001.lic", NEW)]))
    assert verbs(plan) == ["license.write", "license.reread"]
    assert any(
        "issued on 2026-11-01, after the license installed now (2025-12-01)" in w for w in plan.warnings
    )


def test_a_name_differing_only_in_case_is_warned_about():
    plan = plan_for(args(filename="pds-100001.lic"), host_state())
    assert any("only in case" in w for w in plan.warnings)


# ---------------------------------------------------------------------------------------------------
# Backups
# ---------------------------------------------------------------------------------------------------

B = "PDS-100001.lic"
ROTATION_CASES = [
    # id, existing backups, keep, has current file, (new backup, deleted)
    ("first backup", [], 3, True, (f"{B}.20261129T101500Z.bak", [])),
    ("room left", [f"{B}.20261001T000000Z.bak"], 3, True, (f"{B}.20261129T101500Z.bak", [])),
    ("full: oldest goes",
     [f"{B}.20260101T000000Z.bak", f"{B}.20250101T000000Z.bak", f"{B}.20261001T000000Z.bak"], 3, True,
     (f"{B}.20261129T101500Z.bak", [f"{B}.20250101T000000Z.bak"])),
    ("over full: the oldest go", [f"{B}.2026010{i}T000000Z.bak" for i in range(1, 6)], 2, True,
     (f"{B}.20261129T101500Z.bak", [f"{B}.2026010{i}T000000Z.bak" for i in range(1, 5)])),
    ("keep 1", [f"{B}.20260101T000000Z.bak"], 1, True,
     (f"{B}.20261129T101500Z.bak", [f"{B}.20260101T000000Z.bak"])),
    ("keep 0: none, old ones removed", [f"{B}.20260101T000000Z.bak"], 0, True,
     (None, [f"{B}.20260101T000000Z.bak"])),
    ("no current file: nothing to back up, extra ones trimmed",
     [f"{B}.20260101T000000Z.bak", f"{B}.20260201T000000Z.bak"], 1, False,
     (None, [f"{B}.20260101T000000Z.bak"])),
    ("other files untouched",
     ["PDS-100002.lic.20200101T000000Z.bak", f"{B}.bak", f"{B}.2026T.bak", f"x{B}.20200101T000000Z.bak"],
     1, True, (f"{B}.20261129T101500Z.bak", [])),
    ("same second: counter", [f"{B}.20261129T101500Z.bak"], 3, True, (f"{B}.20261129T101500Z-1.bak", [])),
    ("counters sort after their second",
     [f"{B}.20261129T101500Z.bak", f"{B}.20261129T101500Z-1.bak", f"{B}.20261128T000000Z.bak"], 2, True,
     (f"{B}.20261129T101500Z-2.bak", [f"{B}.20261128T000000Z.bak", f"{B}.20261129T101500Z.bak"])),
]  # fmt: skip


@pytest.mark.parametrize(
    ("existing", "keep", "has_current", "expected"),
    [c[1:] for c in ROTATION_CASES],
    ids=[c[0] for c in ROTATION_CASES],
)
def test_backup_rotation(existing, keep, has_current, expected):
    assert backup_rotation(B, existing, keep, NOW, has_current) == expected


def test_backup_names_sort_by_time_and_are_never_read_as_licenses():
    names = [backup_name(B, NOW + timedelta(seconds=s)) for s in (0, 59, 3600, 86400 * 40)]
    assert names == sorted(names)
    assert all(not n.endswith(".lic") for n in names)
    assert backup_name(B, NOW) == "PDS-100001.lic.20261129T101500Z.bak"


def test_backups_come_from_the_host_state_as_names_or_entries():
    backups = [{"name": f"{B}.20250101T000000Z.bak"}, f"{B}.20260101T000000Z.bak"]
    plan = plan_for(args(backup=1), host_state(backups=backups))
    assert plan.changes[0].args["backup"]["delete"] == [
        f"{B}.20250101T000000Z.bak",
        f"{B}.20260101T000000Z.bak",
    ]
    assert plan.result["backups_deleted"] == plan.changes[0].args["backup"]["delete"]


def test_no_rotation_without_a_write():
    backups = [f"{B}.2026010{i}T000000Z.bak" for i in range(1, 6)]
    assert plan_for(args(content=OLD, backup=1), host_state(backups=backups)).changes == ()


# ---------------------------------------------------------------------------------------------------
# Reread
# ---------------------------------------------------------------------------------------------------

NO_LMUTIL = {"lmutil": {"path": "C:\\FlexNet\\lmutil.exe", "exists": False}}
SERVICE = {"service": {"name": "FlexNet License Server", "exists": True, "state": "running"}}
REREAD_CASES = [
    # id, task overrides, license_server state, (method, lmutil_path, service) or None
    ("auto, lmutil present", {}, None, ("lmreread", LMUTIL, None)),
    ("auto, lmutil missing, service known", {}, {**NO_LMUTIL, **SERVICE},
     ("restart", None, "FlexNet License Server")),
    ("auto, options only", {"lmutil_path": "C:\\x\\lmutil.exe"}, {}, ("lmreread", "C:\\x\\lmutil.exe", None)),
    ("auto, service option only", {"license_service": "lmgrd"}, {}, ("restart", None, "lmgrd")),
    ("auto, nothing known", {}, {}, None),
    ("auto, lmutil missing, no service", {}, NO_LMUTIL, None),
    ("lmreread", {"reread": "lmreread"}, None, ("lmreread", LMUTIL, None)),
    ("restart", {"reread": "restart", "license_service": "lmgrd"}, None, ("restart", None, "lmgrd")),
    ("restart, service from the reader", {"reread": "restart"}, SERVICE,
     ("restart", None, "FlexNet License Server")),
    ("none", {"reread": "none"}, None, None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("overrides", "server", "expected"), [c[1:] for c in REREAD_CASES], ids=[c[0] for c in REREAD_CASES]
)
def test_reread_method(overrides, server, expected):
    plan = plan_for(args(**overrides), host_state(server=server))
    reread = [c for c in plan.changes if c.verb == "license.reread"]
    if expected is None:
        assert not reread
        assert plan.result["reread"] is None
        if overrides.get("reread") != "none":
            assert any("was not told to read the new license" in w for w in plan.warnings)
        return
    (change,) = reread
    assert (change.args["method"], change.args["lmutil_path"], change.args["service"]) == expected
    assert plan.result["reread"] == expected[0]


REREAD_REFUSED = [
    # id, task overrides, license_server state, option, message part
    ("lmreread without lmutil", {"reread": "lmreread"}, NO_LMUTIL, "lmutil_path", "lmutil was not found at"),
    ("lmreread, nothing known", {"reread": "lmreread"}, {}, "lmutil_path", "no lmutil_path given"),
    ("restart without a service", {"reread": "restart"}, {}, "license_service", "required with reread"),
    ("restart, service missing", {"reread": "restart", "license_service": "lmgrd"},
     {"service": {"name": "lmgrd", "exists": False}}, "license_service", "does not exist"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("overrides", "server", "option", "message"),
    [c[1:] for c in REREAD_REFUSED],
    ids=[c[0] for c in REREAD_REFUSED],
)
def test_reread_refused_before_anything_is_written(overrides, server, option, message):
    with pytest.raises(ValidationError) as caught:
        plan_for(args(**overrides), host_state(server=server))
    assert caught.value.option == option
    assert message in caught.value.message
