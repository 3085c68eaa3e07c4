"""printops.prismadirect.floating_license through its action plugin and the lab adapter, on recorded host
states of the lab FLS fls1 (see action_harness.py). Variants of the license are made with the lab's
lab/backoffice/make_license.py."""

from __future__ import annotations

import hashlib
import json
import re
import sys
from datetime import date
from pathlib import Path

import pytest
from action_harness import FLS_VARS, load_state, modules, run
from ansible_collections.printops.prismadirect.plugins.plugin_utils import _platform_lab_license, _run
from ansible_collections.printops.prismadirect.plugins.plugin_utils._platform_lab_license import (
    copy_temp_patterns,
)

REPO = Path(__file__).resolve().parents[4]
sys.path.insert(0, str(REPO / "lab" / "backoffice"))
from make_license import make_license

NEW = (REPO / "lab" / "licenses" / "backoffice" / "PDS-100001_20261101.lic").read_text()
FOLDER = "/srv/printops-lab/hosts/fls1/licenses"
LMUTIL = "/srv/printops-lab/bin/lmutil"
BACKUP = re.compile(r"PDS-100001\.lic\.\d{8}T\d{6}Z\.bak")


def variant(**changes) -> str:
    fields = {
        "serial": "PDS-100001",
        "hostid": "025044000001",
        "issued": date(2026, 11, 15),
        "expiry": date(2031, 12, 31),
        "maintenance_end": date(2031, 12, 31),
        "users": 30,
    }
    fields.update(changes)
    return make_license(fields.pop("serial"), fields.pop("hostid"), **fields)


def folder_exists(args):
    """``ansible.builtin.file``: the license folder is there already; anything else changes."""
    return {"changed": args.get("state") != "directory"}


def as_read(state):
    """``ansible.builtin.stat``: each license file is as the reader found it in ``state``."""
    sha = {f"{FOLDER}/{entry['name']}": entry["sha256"] for entry in state["licenses"]}
    return lambda args: {"stat": {"exists": args["path"] in sha, "checksum": sha.get(args["path"])}}


def install(args=None, state="fls_fresh", answers=None, **kw):
    state = load_state(state) if isinstance(state, str) else state
    answers = {
        "ansible.builtin.file": folder_exists,
        "ansible.builtin.find": {"files": []},  # no leftovers of killed writes
        "ansible.builtin.stat": as_read(state),
        **(answers or {}),
    }
    return run("floating_license", {"content": NEW, "dest": "/licenses", **(args or {})}, state=state,
               task_vars=FLS_VARS, answers=answers, **kw)  # fmt: skip


def test_first_run_backs_up_writes_atomically_and_rereads():
    result, calls = install(diff=True)
    assert result["changed"] is True and not result.get("failed"), result
    # the folder, leftovers of killed writes, the race check, the upload, the backup, the write, reread
    expected = ["host_state", "file", "find", "stat", "_transfer_data", "copy", "copy", "command"]
    assert modules(calls) == expected
    assert calls[1][1] == {"path": FOLDER, "state": "directory"}
    assert calls[3][1] == {"path": f"{FOLDER}/PDS-100001.lic", "get_checksum": True,
                           "checksum_algorithm": "sha256"}  # fmt: skip
    upload = calls[4][1]
    assert upload["data"] == NEW and upload["path"] == "/tmp/ansible-tmp-test/PDS-100001.lic"
    backup, write = calls[5][1], calls[6][1]
    assert backup["src"] == f"{FOLDER}/PDS-100001.lic" and backup["remote_src"] is True
    assert BACKUP.fullmatch(Path(backup["dest"]).name)
    assert (backup["mode"], backup["owner"], backup["group"]) == ("0660", "root", "root")  # as licenses
    assert write == {
        "src": upload["path"],
        "dest": f"{FOLDER}/PDS-100001.lic",
        "remote_src": True,  # the copy module makes its temp file in the folder, then renames it
        "checksum": hashlib.sha1(NEW.encode()).hexdigest(),  # and refuses a sent file that differs
        "mode": "0660",
        "owner": "root",
        "group": "root",
    }
    assert calls[7][1] == {"argv": [LMUTIL, "lmreread", "-c", FOLDER]}
    assert (result["serial"], result["expiry"], result["maintenance_end"]) == (
        "PDS-100001",
        "2030-12-31",
        "2030-12-31",
    )
    assert result["path"] == "/licenses/PDS-100001.lic" and result["reread"] == "lmreread"
    assert BACKUP.fullmatch(Path(result["backup_file"]).name)
    assert result["diff"]["before"]["expiry"] == "2029-12-31"
    assert "SIGN=" not in json.dumps(result)  # the license is never shown whole


def test_a_folder_made_here_is_the_administrators_only():
    _, calls = install(answers={"ansible.builtin.file": {"changed": True}})
    assert modules(calls)[:4] == ["host_state", "file", "file", "stat"]  # nothing left over in a new folder
    assert calls[2][1] == {"path": FOLDER, "owner": "root", "group": "root", "mode": "0750"}


def test_the_reader_gets_the_folder_and_the_lab_license_server():
    _, calls = install()
    args = calls[0][1]
    assert args["sections"] == ["licenses", "license_backups", "mac_addresses", "license_server"]
    assert args["folder_path"] == "/licenses" and args["mac_addresses_file"].endswith(
        "/hosts/fls1/mac_addresses"
    )
    assert (args["lmutil_path"], args["license_service"]) == (LMUTIL, "License Server")


def test_second_run_changes_nothing():
    result, calls = install(state="fls_converged")
    assert result["changed"] is False and modules(calls) == ["host_state"]
    assert result["previous_sha256"] is None and result["backup_file"] is None


def test_check_mode_applies_nothing():
    result, calls = install(check=True)
    assert result["changed"] is True and modules(calls) == ["host_state"]


def test_src_is_read_on_the_controller(tmp_path):
    src = tmp_path / "PDS-100001.lic"
    src.write_text(NEW)
    result, calls = install(
        {"content": None, "src": "PDS-100001.lic"}, patch={"_find_needle": lambda d, n: str(src)}
    )
    assert result["changed"] is True and calls[4][1]["data"] == NEW


def test_src_that_cannot_be_read_fails_before_any_host_call(tmp_path):
    def missing(dirname, needle):
        from ansible.errors import AnsibleFileNotFound

        raise AnsibleFileNotFound(f"Could not find {needle}")

    result, calls = install({"content": None, "src": "nope.lic"}, patch={"_find_needle": missing})
    assert result["failed"] is True and result["msg"].startswith("src: 'nope.lic' cannot be read")
    assert calls == []


def test_less_is_read_without_host_id_check_and_reread():
    _, calls = install({"validate": {"hostid": False}, "reread": "none"})
    assert calls[0][1]["sections"] == ["licenses", "license_backups"]
    assert "command" not in modules(calls)


def test_restart_is_a_supervisord_restart_of_the_lab_license_server():
    result, calls = install({"reread": "restart"})
    assert modules(calls)[-1] == "supervisorctl:restarted" and calls[-1][1]["name"] == "fls1_license_server"
    assert result["reread"] == "restart"


def test_old_backups_are_deleted_after_the_write():
    state = load_state("fls_converged")
    state["licenses"][0]["sha256"] = "0" * 64  # the installed file differs from NEW
    state["license_backups"] = [f"PDS-100001.lic.2026010{n}T000000Z.bak" for n in (1, 2, 3)]
    result, calls = install({"backup": 2}, state=state)
    deleted = [a["path"] for name, a in calls if name == "ansible.builtin.file" and a["state"] == "absent"]
    assert deleted == [
        f"{FOLDER}/PDS-100001.lic.20260101T000000Z.bak",
        f"{FOLDER}/PDS-100001.lic.20260102T000000Z.bak",
    ]
    assert modules(calls)[-3:] == ["file", "file", "command"]  # the write comes first, the reread last
    assert result["backups_deleted"] == [Path(p).name for p in deleted]


INVALID = [
    # id, task overrides, message part; a license that fails on the controller is refused before the read
    ("not a license", {"content": "<html>502 Bad Gateway</html>"}, "not a valid FlexNet license", False),
    ("truncated", {"content": NEW[: NEW.index("FEATURE PD_USERS") + 40]}, "not a valid FlexNet", False),
    ("another host id", {"content": variant(hostid="025044000002")}, "025044000002", True),
    ("expired", {"content": variant(expiry=date(2020, 1, 31), issued=date(2019, 1, 1))}, "expired", True),
    ("another serial", {"content": variant(serial="PDS-100002"), "validate": {"serial": "PDS-100001"}},
     "PDS-100001", True),
    ("replaces another serial", {"content": variant(serial="PDS-100077"), "filename": "PDS-100001.lic"},
     "holds the license of serial PDS-100001", True),
]  # fmt: skip


@pytest.mark.parametrize(("args", "message", "read"), [c[1:] for c in INVALID], ids=[c[0] for c in INVALID])
def test_an_invalid_license_is_never_written(args, message, read):
    result, calls = install(args)
    assert result["failed"] is True and result["changed"] is False
    assert message in result["msg"], result["msg"]
    assert modules(calls) == (["host_state"] if read else [])


def test_a_failed_write_stops_before_the_reread_and_says_why():
    answers = {"ansible.builtin.copy": lambda args: {"failed": True, "msg": "No space left on device"}}
    result, calls = install(answers=answers)
    assert result["failed"] is True and "PDS-100001.lic differs" in result["msg"]
    assert "No space left on device" in result["msg"] and "command" not in modules(calls)
    assert modules(calls)[-1] == "copy"  # the backup failed: the license was not touched


def test_leftovers_of_earlier_runs_are_removed_before_the_write():
    started = _run.run_started()
    left = [
        {"path": f"{FOLDER}/tmpk2x_9q0a", "mtime": started - 60},
        {"path": f"{FOLDER}/.ansible_tmpa1b2c3d4PDS-100001.lic", "mtime": started - 0.1},
        {"path": f"{FOLDER}/tmpz7y6x5w4", "mtime": started + 0.1},  # made during this run: not ours
    ]
    result, calls = install(answers={"ansible.builtin.find": {"files": left}})
    assert not result.get("failed"), result
    assert modules(calls)[:5] == ["host_state", "file", "find", "file", "file"]
    find = calls[2][1]
    assert find["paths"] == FOLDER and find["patterns"] == copy_temp_patterns("PDS-100001.lic")
    assert (find["use_regex"], find["hidden"]) == (True, True)
    assert [calls[3][1], calls[4][1]] == [{"path": entry["path"], "state": "absent"} for entry in left[:2]]
    assert modules(calls)[5] == "stat"


def test_nothing_is_removed_when_the_runs_start_is_unknown(monkeypatch):
    monkeypatch.setattr(_platform_lab_license, "run_started", lambda: None)
    _, calls = install()
    assert modules(calls)[:3] == ["host_state", "file", "stat"]


@pytest.mark.parametrize(
    ("name", "removed"),
    [
        ("tmpk2x_9q0a", True),  # tempfile.mkstemp: "tmp" + 8 of [a-z0-9_]
        (".ansible_tmpa1b2c3d4PDS-100001.lic", True),  # the atomic move's fallback for this file
        ("tmpK2X_9Q0A", False),
        ("tmpk2x_9q0", False),
        ("tmpk2x_9q0a.lic", False),
        ("notes-tmpk2x_9q0a", False),
        (".ansible_tmpa1b2c3d4PDS-100002.lic", False),
    ],
)
def test_only_the_names_copy_makes_count_as_leftovers(name, removed):
    patterns = copy_temp_patterns("PDS-100001.lic")
    assert any(re.match(p, name) for p in patterns) is removed


@pytest.mark.parametrize(
    ("found", "says"),
    [
        ({"exists": True, "checksum": "f" * 64}, "PDS-100001.lic changed (sha256 "),
        ({"exists": False}, "PDS-100001.lic was removed since the host was read"),
    ],
)
def test_a_license_changed_since_the_read_is_not_replaced(found, says):
    result, calls = install(answers={"ansible.builtin.stat": {"stat": found}})
    assert result["failed"] is True and result["changed"] is False
    assert says in result["msg"] and "Nothing was written" in result["msg"], result["msg"]
    assert modules(calls) == ["host_state", "file", "find", "stat"]  # no upload, backup or write


def test_a_license_that_appeared_since_the_read_is_not_replaced():
    state = load_state("fls_fresh")
    state["licenses"] = [e for e in state["licenses"] if e["name"] != "PDS-100001.lic"]
    answers = {"ansible.builtin.stat": {"stat": {"exists": True, "checksum": "e" * 64}}}
    result, calls = install(state=state, answers=answers)
    assert result["failed"] is True and "PDS-100001.lic appeared since the host was read" in result["msg"]
    assert "copy" not in modules(calls)
