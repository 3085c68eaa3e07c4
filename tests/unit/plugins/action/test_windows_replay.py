"""Replay tests of the Windows adapter: each action plugin runs on a PowerShell-shell connection, the
reader's raw output (win_host_state.ps1, fixtures/windows/host_state_*.json) and the modules' results
(fixtures/windows/module_results.json: win_user, win_user_right, win_service, win_acl, win_share,
win_copy, win_powershell, win_command, win_uri...) are recorded; the tests assert the exact module calls
of a first run, a second run (nothing to do), check mode and failures (the task fails with the change's
reason, no secret in the result)."""

from __future__ import annotations

import copy
import json
import ntpath
from pathlib import Path
from typing import Any

import pytest
from action_harness import leaks, make_action

FIXTURES = Path(__file__).parent / "fixtures" / "windows"
REPO = Path(__file__).resolve().parents[4]
RESULTS = json.loads((FIXTURES / "module_results.json").read_text())
HOST_STATE = "printops.prismadirect.win_host_state"
STORE = "printops.prismadirect.win_settings_store"
PASSWORD = "Sm0ke-Passw0rd"
CODE = "test-code-123"  # the converged store's verification code
NEW = (REPO / "lab" / "licenses" / "backoffice" / "PDS-100001_20261101.lic").read_text()
SID_P1 = "S-1-5-21-3623811015-3361044348-30300820-1013"
SID_F1 = "S-1-5-21-1004336348-1177238915-682003330-1107"
VARS = {"inventory_hostname": "prisma1", "prismadirect_backoffice_url": "https://backoffice.example.com/rs"}
FLS_VARS = {"inventory_hostname": "fls1"}


def raw(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"host_state_{name}.json").read_text())


def recorded(name: str) -> dict[str, Any]:
    return copy.deepcopy(RESULTS[name])


def run(
    name: str,
    args: dict[str, Any],
    state: dict[str, Any] | str,
    answers: dict[str, Any] | None = None,
    *,
    check: bool = False,
    task_vars: dict[str, Any] | None = None,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The action plugin ``name`` on a Windows host; every call: module, args, and the runas user and
    password it ran with (``None``: the connection's own user)."""
    state = raw(state) if isinstance(state, str) else state
    answers = {HOST_STATE: state, **(answers or {})}
    calls: list[dict[str, Any]] = []
    action = make_action(name, args, check=check, diff=True, shell="powershell")
    connection = action._connection
    connection.become = None
    connection.set_become_plugin = lambda plugin: setattr(connection, "become", plugin)
    connection._shell.join_path = ntpath.join
    connection._shell.tmpdir = "C:\\Windows\\TEMP\\ansible-tmp-1764411111.12-4242"

    def execute_module(module_name: str, module_args: dict[str, Any], task_vars: Any = None, **_: Any):
        become = connection.become
        calls.append(
            {
                "module": module_name,
                "args": copy.deepcopy(module_args),
                "runas": become.get_option("become_user") if become else None,
                "runas_pass": become.get_option("become_pass") if become else None,
            }
        )
        answer = answers.get(module_name)
        if answer is None:
            raise AssertionError(f"no recorded result for {module_name}")
        if isinstance(answer, list):  # one recorded result per call, in order
            answer = answer.pop(0)
        return copy.deepcopy(answer(module_args) if callable(answer) else answer)

    action._execute_module = execute_module
    action._transfer_data = lambda path, data: calls.append(
        {"module": "_transfer_data", "args": {"path": path, "data": data}}
    )
    result = action.run(task_vars={**VARS, **(task_vars or {})})
    return result, calls


def names(calls: list[dict[str, Any]]) -> list[str]:
    """Short module names, win_service with its state (``win_service:started``)."""
    out = []
    for call in calls:
        short = call["module"].rsplit(".", 1)[-1]
        if short == "win_service" and "state" in call["args"]:
            short += f":{call['args']['state']}"
        out.append(short)
    return out


# ---------------------------------------------------------------------------------------------------
# ors_account

P1 = {"account": ".\\svc_ors_p1", "password": PASSWORD}
ORS_ANSWERS = {
    "ansible.windows.win_user": recorded("win_user_created"),
    "ansible.windows.win_user_right": recorded("win_user_right_added"),
    "ansible.windows.win_service": [recorded("win_service_configured"), recorded("win_service_started")],
}


def test_ors_account_first_run_makes_the_account_and_runs_the_service_as_it():
    result, calls = run("ors_account", P1, "prisma_fresh", ORS_ANSWERS)
    assert not result.get("failed") and result["changed"] is True, result
    assert names(calls) == [
        "win_host_state",
        "win_user",
        "win_user_right",
        "win_service",
        "win_service:started",
    ]
    reader, user, right, configure, start = (c["args"] for c in calls)
    assert reader["accounts"] == [{"name": ".\\svc_ors_p1"}] and reader["sections"] == ["service", "accounts"]
    assert user["name"] == "svc_ors_p1" and user["_ansible_no_log"] is True
    assert right == {"name": "SeServiceLogonRight", "users": [".\\svc_ors_p1"], "action": "add"}
    assert configure["username"] == ".\\svc_ors_p1" and configure["start_mode"] == "auto"
    assert configure["update_password"] == "always" and configure["_ansible_no_log"] is True
    assert start == {"name": "Print ORS Service", "state": "started"}
    assert result["account_created"] is True and result["service_started"] is True
    assert leaks(result, PASSWORD) == []


def test_ors_account_second_run_lets_win_user_compare_the_password_and_changes_nothing():
    answers = {"ansible.windows.win_user": recorded("win_user_unchanged")}
    result, calls = run("ors_account", P1, "prisma_converged", answers)
    assert result["changed"] is False and not result.get("failed"), result
    # Windows cannot compare before applying: win_user does (by a logon) and finds nothing to change, so
    # the service is neither reconfigured nor restarted (requires_change: account.ensure).
    assert names(calls) == ["win_host_state", "win_user"]
    assert result["password_changed"] is None and result["service_restarted"] is None


def test_ors_account_on_create_reads_only():
    result, calls = run("ors_account", {**P1, "update_password": "on_create"}, "prisma_converged")
    assert result["changed"] is False and names(calls) == ["win_host_state"]


def test_ors_account_check_mode_reads_only():
    result, calls = run("ors_account", P1, "prisma_fresh", check=True)
    assert result["changed"] is True and names(calls) == ["win_host_state"]
    assert leaks(result, PASSWORD) == []


def test_ors_account_a_failed_module_fails_the_task_with_the_change_reason():
    answers = {**ORS_ANSWERS, "ansible.windows.win_service": recorded("win_service_failed")}
    result, calls = run("ors_account", P1, "prisma_fresh", answers)
    assert result["failed"] is True and result["changed"] is True  # the account was made
    assert result["msg"].startswith("service Print ORS Service") or "the service runs as" in result["msg"]
    assert (
        "ansible.windows.win_service failed: Service 'Print ORS Service' account change failed"
        in result["msg"]
    )
    assert names(calls) == ["win_host_state", "win_user", "win_user_right", "win_service"]
    assert leaks(result, PASSWORD) == []


def test_ors_account_never_creates_a_domain_account():
    state = raw("prisma_fresh")
    state["accounts"] = {"CORP\\svc_ors": {"exists": False, "sid": None, "resolved": None}}
    result, calls = run("ors_account", {**P1, "account": "CORP\\svc_ors"}, state)
    assert result["failed"] is True and names(calls) == ["win_host_state"]
    assert result["msg"] == (
        "account CORP\\svc_ors does not exist: CORP\\svc_ors is a domain account and this host does not find "
        "it: create it in the domain first (ors_account creates local accounts only, .\\user or a bare user "
        "name), or check the name"
    )


def test_ors_account_connection_test_runs_win_uri_as_the_account_with_its_password():
    answers = {
        "ansible.windows.win_user": recorded("win_user_unchanged"),
        "ansible.windows.win_uri": recorded("win_uri_ok"),
    }
    result, calls = run("ors_account", {**P1, "test_connection": True}, "prisma_converged", answers)
    assert result["connection_test"] == {"ok": True, "status": 200, "elapsed_ms": 153, "error": None}
    probe = calls[-1]
    assert (
        probe["module"] == "ansible.windows.win_uri"
        and probe["args"]["url"] == "https://backoffice.example.com/rs/v1/ping"
    )
    assert (probe["runas"], probe["runas_pass"]) == ("svc_ors_p1", PASSWORD)
    assert "warnings" not in result and leaks(result, PASSWORD) == []


# ---------------------------------------------------------------------------------------------------
# remote_service, remote_service_proxy, remote_assistance, remote_service_info


def test_remote_service_writes_the_patch_and_grants_the_service_account_read():
    answers = {STORE: recorded("settings_store_written")}
    result, calls = run("remote_service", {"organization_id": "NEW-ORG"}, "prisma_converged", answers)
    assert result["changed"] is True and names(calls) == ["win_host_state", "win_settings_store"]
    store = calls[1]["args"]
    assert store == {
        "path": "C:\\ProgramData\\PRISMAdirect\\remote-service.json",
        "account": ".\\svc_ors_p1",
        "set": {"general.organization_id": "NEW-ORG"},
        "secrets": {},
        "_ansible_no_log": True,
    }


def test_remote_service_second_run_reads_only():
    args = {"organization_id": "TEST-ORG", "verification_code": CODE, "enabled": True}
    result, calls = run("remote_service", args, "prisma_converged")
    assert result["changed"] is False and names(calls) == ["win_host_state"], result
    assert leaks(result, CODE) == []


def test_remote_service_check_mode_reads_only():
    result, calls = run(
        "remote_service", {"verification_code": "other-code-456"}, "prisma_converged", check=True
    )
    assert result["changed"] is True and names(calls) == ["win_host_state"]
    assert leaks(result, "other-code-456") == []


def test_a_store_readable_by_users_is_protected_again():
    state = raw("prisma_converged")
    state["settings"]["access"].append(
        {
            "sid": "S-1-5-32-545",
            "identity": "BUILTIN\\Users",
            "rights_mask": 1179817,
            "type": "Allow",
            "inherited": True,
            "inheritance_flags": "None",
            "propagation_flags": "None",
        }
    )
    state["settings"]["protected"] = False
    result, calls = run(
        "remote_service", {"organization_id": "TEST-ORG"}, state, {STORE: recorded("settings_store_written")}
    )
    assert names(calls) == ["win_host_state", "win_settings_store"]
    assert calls[1]["args"]["set"] == {} and calls[1]["args"]["account"] == ".\\svc_ors_p1"
    assert "BUILTIN\\Users has read access" in result["diff"]["before"]["store"]


def test_remote_service_a_failed_store_write_fails_with_the_reason_and_no_secret():
    answers = {
        STORE: {
            "failed": True,
            "msg": "cannot write C:\\ProgramData\\PRISMAdirect\\remote-service.json: Access is denied",
        }
    }
    result, _ = run("remote_service", {"verification_code": "other-code-456"}, "prisma_converged", answers)
    assert result["failed"] is True
    assert result["msg"] == (
        "general.verification_code differ: printops.prismadirect.win_settings_store failed: cannot write "
        "C:\\ProgramData\\PRISMAdirect\\remote-service.json: Access is denied"
    )
    assert leaks(result, "other-code-456") == []


def test_remote_service_proxy_sets_the_ors_accounts_own_proxy_as_that_account():
    answers = {
        STORE: recorded("settings_store_proxy"),
        "ansible.windows.win_inet_proxy": recorded("win_inet_proxy_set"),
    }
    result, calls = run(
        "remote_service_proxy",
        {"mode": "manual", "url": "proxy.example.com:8080"},
        "prisma_converged",
        answers,
    )
    assert result["changed"] is True and names(calls) == [
        "win_host_state",
        "win_settings_store",
        "win_inet_proxy",
    ]
    inet = calls[2]
    assert inet["args"] == {"auto_detect": False, "proxy": "proxy.example.com:8080"}
    assert (inet["runas"], inet["runas_pass"]) == ("svc_ors_p1", None)  # S4U: no password known here


def test_remote_service_proxy_second_run_reads_only():
    result, calls = run("remote_service_proxy", {"mode": "none"}, "prisma_converged")
    assert result["changed"] is False and names(calls) == ["win_host_state"]


def test_remote_service_proxy_check_mode_reads_only():
    result, calls = run("remote_service_proxy", {"mode": "auto_detect"}, "prisma_converged", check=True)
    assert result["changed"] is True and names(calls) == ["win_host_state"]


def test_remote_service_proxy_a_failed_proxy_fails_the_task():
    answers = {
        STORE: recorded("settings_store_proxy"),
        "ansible.windows.win_inet_proxy": {"failed": True, "msg": "Failed to become user svc_ors_p1"},
    }
    result, _ = run(
        "remote_service_proxy",
        {"mode": "manual", "url": "proxy.example.com:8080"},
        "prisma_converged",
        answers,
    )
    assert result["failed"] is True and result["changed"] is False
    assert result["msg"].endswith("ansible.windows.win_inet_proxy failed: Failed to become user svc_ors_p1")


def test_remote_assistance_disabled_already_reads_only():
    result, calls = run("remote_assistance", {"enabled": False}, "prisma_converged")
    assert result["changed"] is False and names(calls) == ["win_host_state"], result


def test_remote_assistance_disabling_writes_the_store():
    state = raw("prisma_converged")
    state["settings"]["document"]["remote_assistance"]["enabled"] = True
    answers = {STORE: recorded("settings_store_written")}
    result, calls = run("remote_assistance", {"enabled": False}, state, answers)
    assert result["changed"] is True and names(calls) == ["win_host_state", "win_settings_store"]
    assert calls[1]["args"]["set"]["remote_assistance.enabled"] is False


def test_remote_service_info_reads_and_tests_the_connection_as_the_service_account():
    result, calls = run(
        "remote_service_info",
        {"test_connection": True},
        "prisma_converged",
        {"ansible.windows.win_uri": recorded("win_uri_ok")},
    )
    assert result["changed"] is False and not result.get("failed"), result
    assert names(calls) == ["win_host_state", "win_uri"]
    assert (calls[1]["runas"], calls[1]["runas_pass"]) == (".\\svc_ors_p1"[2:], None)
    assert result["connection_test"]["ok"] is True


def test_remote_service_info_check_mode_still_reads():
    result, calls = run("remote_service_info", {}, "prisma_converged", check=True)
    assert result["changed"] is False and names(calls) == ["win_host_state"]


def test_a_ca_path_is_a_warning_on_windows():
    answers = {"ansible.windows.win_uri": recorded("win_uri_ok")}
    result, _ = run(
        "remote_service_info",
        {"test_connection": True, "backoffice_ca_path": "/etc/ca.pem"},
        "prisma_converged",
        answers,
    )
    assert any("backoffice_ca_path (/etc/ca.pem) is not used on Windows" in w for w in result["warnings"])


# ---------------------------------------------------------------------------------------------------
# license_share, floating_license, floating_license_info

SHARE = {"path": "C:\\licenses", "name": "licenses", "accounts": ["CORP\\svc_ors_f1"]}
SHARE_ANSWERS = {
    "ansible.windows.win_file": recorded("win_file_created"),
    "ansible.windows.win_acl": recorded("win_acl_added"),
    "ansible.windows.win_share": recorded("win_share_created"),
}


def test_license_share_first_run_makes_the_folder_its_rules_and_the_share():
    result, calls = run("license_share", SHARE, "fls_fresh", SHARE_ANSWERS, task_vars=FLS_VARS)
    assert result["changed"] is True and not result.get("failed"), result
    assert names(calls) == ["win_host_state", "win_file", "win_acl", "win_acl", "win_share"]
    assert calls[1]["args"] == {"path": "C:\\licenses", "state": "directory"}
    grants = [c["args"] for c in calls[2:4]]
    assert {(g["user"], g["rights"], g["inherit"]) for g in grants} == {
        (SID_F1, "Modify", "ContainerInherit, ObjectInherit"),
        ("S-1-5-32-544", "FullControl", "ContainerInherit, ObjectInherit"),
    }
    share = calls[4]["args"]
    assert (share["change"], share["full"], share["read"], share["deny"]) == (SID_F1, "S-1-5-32-544", "", "")
    assert share["rule_action"] == "set" and result["smb_path"] == "\\\\fls1\\licenses"


def test_license_share_second_run_reads_only():
    result, calls = run("license_share", SHARE, "fls_converged", task_vars=FLS_VARS)
    assert result["changed"] is False and names(calls) == ["win_host_state"], result
    assert "warnings" not in result


def test_license_share_check_mode_reads_only():
    result, calls = run("license_share", SHARE, "fls_fresh", check=True, task_vars=FLS_VARS)
    assert result["changed"] is True and names(calls) == ["win_host_state"]


def test_license_share_a_failed_share_fails_with_the_reason():
    answers = {**SHARE_ANSWERS, "ansible.windows.win_share": recorded("win_share_failed")}
    result, _ = run("license_share", SHARE, "fls_fresh", answers, task_vars=FLS_VARS)
    assert result["failed"] is True and result["changed"] is True  # the folder and its rules were made
    assert result["msg"].startswith("share licenses does not exist")
    assert result["msg"].endswith(
        "ansible.windows.win_share failed: Share path 'C:\\licenses' does not exist"
    )


def test_license_share_exclusive_removes_an_exotic_rule_exactly_and_never_an_inherited_one():
    """The folder inherits CREATOR OWNER's generic rule (GENERIC_ALL, inherit only) and has an explicit
    generic rule win_acl cannot build: win_powershell removes that one, win_acl the standard one."""
    state = raw("fls_converged")
    backup = "S-1-5-21-1004336348-1177238915-682003330-1201"
    exotic = {
        "sid": backup,
        "identity": "CORP\\backup",
        "rights_mask": -1610612736,  # GENERIC_READ | GENERIC_EXECUTE
        "type": "Allow",
        "inherited": False,
        "inheritance_flags": "ContainerInherit, ObjectInherit",
        "propagation_flags": "NoPropagateInherit, InheritOnly",
    }
    everyone = {
        "sid": "S-1-1-0",
        "identity": "Everyone",
        "rights_mask": 1179817,  # ReadAndExecute, Synchronize
        "type": "Allow",
        "inherited": False,
        "inheritance_flags": "ContainerInherit, ObjectInherit",
        "propagation_flags": "None",
    }
    state["folder"]["rules"][2:2] = [exotic, everyone]
    assert any(r["sid"] == "S-1-3-0" and r["inherited"] for r in state["folder"]["rules"])
    answers = {
        "ansible.windows.win_file": recorded("win_file_present"),
        "ansible.windows.win_acl": recorded("win_acl_removed"),
        "ansible.windows.win_powershell": recorded("win_powershell_rule_removed"),
    }
    result, calls = run("license_share", {**SHARE, "exclusive": True}, state, answers, task_vars=FLS_VARS)
    assert result["changed"] is True and not result.get("failed"), result
    assert names(calls) == ["win_host_state", "win_file", "win_powershell", "win_acl"]
    remove, acl = calls[2]["args"], calls[3]["args"]
    assert remove["parameters"] == {
        "Path": "C:\\licenses",
        "Sid": backup,
        "Mask": -1610612736,
        "Type": "Allow",
        "Inheritance": "ContainerInherit, ObjectInherit",
        "Propagation": "NoPropagateInherit, InheritOnly",
    }
    assert "RemoveAccessRuleSpecific" in remove["script"] and backup not in remove["script"]
    assert acl == {
        "path": "C:\\licenses",
        "user": "S-1-1-0",
        "rights": "ReadAndExecute, Synchronize",
        "type": "allow",
        "state": "absent",
        "inherit": "ContainerInherit, ObjectInherit",
        "propagation": "None",
    }
    assert "S-1-3-0" not in repr(calls[1:])  # the inherited CREATOR OWNER rule is left alone
    revoked = [r.split(" (")[0] for r in result["revoked"]]
    assert revoked == ["allow CORP\\backup other", "allow Everyone read"]


LICENSE = {"content": NEW, "dest": "C:\\licenses"}
LICENSE_ANSWERS = {
    "ansible.windows.win_file": recorded("win_file_present"),
    "ansible.windows.win_stat": recorded("win_stat_absent"),
    "ansible.windows.win_copy": recorded("win_copy_single"),
    "ansible.windows.win_powershell": recorded("win_powershell_replaced"),
    "ansible.windows.win_command": recorded("win_command_lmreread"),
}
#: The module calls of a license written and reread (a first run).
LICENSE_WRITE_CALLS = [
    "win_host_state",
    "win_file",
    "win_stat",
    "_transfer_data",
    "win_copy",
    "win_powershell",
    "win_command",
]


def test_floating_license_first_run_copies_beside_replaces_and_rereads():
    result, calls = run("floating_license", LICENSE, "fls_fresh", LICENSE_ANSWERS, task_vars=FLS_VARS)
    assert result["changed"] is True and not result.get("failed"), result
    assert names(calls) == LICENSE_WRITE_CALLS
    reader = calls[0]["args"]
    assert (
        reader["folder_path"] == "C:\\licenses"
        and reader["lmutil_path"] == "C:\\Program Files\\Flexera\\lmutil.exe"
    )
    assert calls[3]["args"]["data"] == NEW
    replace = calls[5]["args"]["parameters"]
    assert (
        replace["Target"] == "C:\\licenses\\PDS-100001.lic"
        and replace["Replaces"] == ""
        and replace["Backup"] == ""
    )
    assert calls[6]["args"] == {
        "argv": ["C:\\Program Files\\Flexera\\lmutil.exe", "lmreread", "-c", "C:\\licenses"]
    }
    assert result["reread"] == "lmreread" and result["path"] == "C:\\licenses\\PDS-100001.lic"


def test_floating_license_second_run_reads_only():
    result, calls = run("floating_license", LICENSE, "fls_converged", task_vars=FLS_VARS)
    assert result["changed"] is False and names(calls) == ["win_host_state"], result


def test_floating_license_check_mode_reads_only():
    result, calls = run("floating_license", LICENSE, "fls_fresh", check=True, task_vars=FLS_VARS)
    assert result["changed"] is True and names(calls) == ["win_host_state"]


def test_floating_license_a_failed_replace_leaves_the_license_and_does_not_reread():
    answers = {**LICENSE_ANSWERS, "ansible.windows.win_powershell": recorded("win_powershell_race")}
    result, calls = run("floating_license", LICENSE, "fls_fresh", answers, task_vars=FLS_VARS)
    assert result["failed"] is True
    assert result["msg"] == (
        "PDS-100001.lic does not exist: ansible.windows.win_powershell failed: C:\\licenses\\PDS-100001.lic "
        "changed since the host was read: another process writes the license folder"
    )
    assert names(calls)[-1] == "win_powershell"


def test_floating_license_info_reads_only():
    result, calls = run(
        "floating_license_info", {"path": "C:\\licenses"}, "fls_converged", task_vars=FLS_VARS
    )
    assert result["changed"] is False and not result.get("failed") and names(calls) == ["win_host_state"], (
        result
    )
    reader = calls[0]["args"]
    assert reader["sections"] == ["licenses", "mac_addresses", "license_server"]


@pytest.mark.parametrize("state", ["prisma_fresh", "prisma_converged", "fls_fresh", "fls_converged"])
def test_the_recorded_reader_outputs_follow_the_contract(state):
    from ansible_collections.printops.prismadirect.plugins.module_utils.windows_state import host_state

    normalized, warnings = host_state(raw(state))
    assert normalized["platform"] == "windows" and warnings == []
