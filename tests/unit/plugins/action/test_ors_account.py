"""printops.prismadirect.ors_account through its action plugin and the lab adapter, on recorded host
states (see action_harness.py)."""

from __future__ import annotations

import pytest
from action_harness import PROBE_OK, leaks, load_state, make_action, modules, run
from ansible_collections.printops.prismadirect.plugins.plugin_utils._platform_lab import lab_password_hash

PASSWORD = "Sm0ke-Passw0rd"  # the recorded converged host's password
NEW_PASSWORD = "N3w-Passw0rd!"
P1 = {"account": ".\\svc_ors_p1", "password": PASSWORD}
P2 = {"account": ".\\svc_ors_p2", "password": PASSWORD}
PROBE = "printops.prismadirect.backoffice_probe"


def secrets_of(password: str, user: str = "svc_ors_p1") -> tuple[str, str]:
    return password, lab_password_hash(user, password)


def test_first_run_creates_the_account_and_the_running_service():
    result, calls = run("ors_account", P2, state="fresh")
    assert result["changed"] is True and not result.get("failed"), result
    assert modules(calls) == [
        "host_state",
        "user",  # account.ensure
        "user",  # account.grant_service_logon
        "_transfer_data",
        "copy",
        "supervisorctl:present",
        "supervisorctl:present",
        "supervisorctl:started",
    ]
    ensure = calls[1][1]
    assert ensure["name"] == "svc_ors_p2" and ensure["system"] is True
    assert ensure["shell"] == "/usr/sbin/nologin" and ensure["create_home"] is False
    assert ensure["groups"] == ["printops-lab"] and ensure["append"] is True
    assert ensure["password"] == lab_password_hash("svc_ors_p2", PASSWORD)
    assert ensure["update_password"] == "always" and ensure["_ansible_no_log"] is True
    assert calls[2][1] == {"name": "svc_ors_p2", "groups": ["printops-lab-logon"], "append": True}
    program = calls[3][1]["data"]
    assert "[program:prisma1_print_ors_service]\n" in program
    assert "user = svc_ors_p2\n" in program and "autostart = true\n" in program
    assert (
        "command = /usr/bin/python3 -u /srv/printops-lab/bin/print_ors_service.py --host prisma1 "
        "--root /srv/printops-lab/hosts/prisma1\n" in program
    )
    assert calls[4][1]["dest"] == "/srv/printops-lab/supervisor/conf.d/prisma1_print_ors_service.conf"
    assert calls[5][1]["config"] == "/srv/printops-lab/supervisor/supervisord.conf"
    assert result["account_created"] is True and result["service_started"] is True
    assert leaks(result, *secrets_of(PASSWORD, "svc_ors_p2")) == []


def test_the_reader_gets_the_candidate_hash_without_logging():
    _, calls = run("ors_account", P1)
    name, args = calls[0]
    assert name == "printops.prismadirect.host_state" and args["_ansible_no_log"] is True
    assert args["accounts"] == [
        {"name": "svc_ors_p1", "password_hash": lab_password_hash("svc_ors_p1", PASSWORD)}
    ]
    assert args["sections"] == ["service", "accounts"] and args["lab_host"] == "prisma1"
    assert (
        args["settings_path"]
        == "/srv/printops-lab/hosts/prisma1/ProgramData/PRISMAdirect/remote-service.json"
    )


def test_second_run_changes_nothing():
    result, calls = run("ors_account", P1)
    assert result["changed"] is False and modules(calls) == ["host_state"]
    assert result["password_changed"] is False and result["service_restarted"] is False


def test_a_new_password_restarts_the_service():
    state = load_state("converged")
    state["accounts"]["svc_ors_p1"]["password_matches"] = False
    result, calls = run("ors_account", {**P1, "password": NEW_PASSWORD}, state=state, diff=True)
    assert modules(calls) == [
        "host_state",
        "user",
        "_transfer_data",
        "copy",
        "supervisorctl:present",
        "supervisorctl:restarted",
    ]
    assert result["password_changed"] is True and result["service_restarted"] is True
    assert result["diff"]["after"]["password"] == "(secret changed)"
    assert leaks(result, *secrets_of(NEW_PASSWORD)) == []


def test_on_create_keeps_an_existing_password_without_a_change():
    state = load_state("converged")
    state["accounts"]["svc_ors_p1"]["password_matches"] = False
    result, calls = run("ors_account", {**P1, "update_password": "on_create"}, state=state)
    assert result["changed"] is False and modules(calls) == ["host_state"]


def test_a_changed_program_file_is_applied_by_the_start():
    state = load_state("converged")
    state["service"].update(account="someone_else", state="stopped")
    answers = {
        "ansible.builtin.copy": {"changed": True},
        "community.general.supervisorctl": {"changed": False},
    }
    _, calls = run("ors_account", P1, state=state, answers=answers)
    # supervisord had the old program loaded: the start runs `update` first (state restarted)
    assert modules(calls)[-2:] == ["supervisorctl:present", "supervisorctl:restarted"]


def test_check_mode_reads_and_applies_nothing():
    result, calls = run("ors_account", P2, state="fresh", check=True, diff=True)
    assert result["changed"] is True and modules(calls) == ["host_state"]
    assert result["diff"]["after"]["password"] == "(secret set)"


def test_diff_only_when_asked():
    result, _ = run("ors_account", P2, state="fresh")
    assert "diff" not in result


@pytest.mark.parametrize(
    ("args", "option"),
    [
        ({**P1, "account": "NT AUTHORITY\\NetworkService"}, "account"),
        ({**P1, "account": "CORP\\Svc Ors"}, "account"),  # valid on Windows, not a lab user name
        ({**P1, "password": "line\n"}, "password"),
        ({**P1, "service": "a/b"}, "service"),
        ({**P1, "test_connection": "true", "backoffice_url": "http://plain"}, "backoffice_url"),
    ],
)
def test_domain_errors_fail_before_any_host_call(args, option):
    result, calls = run("ors_account", args)
    assert result["failed"] is True and result["msg"].startswith(f"{option}: "), result
    assert calls == [] and leaks(result, "line\n") == []


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        ({"account": "svc"}, "password"),
        ({**P1, "update_password": "sometimes"}, "update_password"),
        ({**P1, "test_connection": "maybe"}, "test_connection"),
        ({**P1, "bogus": 1}, "bogus"),
    ],
)
def test_argument_spec_errors_fail_before_any_host_call(args, fragment):
    result, calls = run("ors_account", args)
    assert result["failed"] is True and fragment in result["msg"] and calls == []


def test_a_failed_module_fails_the_task_with_the_reason_and_no_secret():
    hashed = lab_password_hash("svc_ors_p2", PASSWORD)
    answers = {"ansible.builtin.user": {"failed": True, "msg": f"usermod -p {hashed} failed for {PASSWORD}"}}
    result, calls = run("ors_account", P2, state="fresh", answers=answers)
    assert result["failed"] is True and result["changed"] is False
    assert result["msg"].startswith(
        "account .\\svc_ors_p2 does not exist: ansible.builtin.user failed: usermod"
    )
    assert leaks(result, PASSWORD, hashed) == []
    assert modules(calls) == ["host_state", "user"]  # the apply stops at the failure


def test_a_failed_reader_fails_the_task():
    result, _ = run(
        "ors_account", P1, answers={"printops.prismadirect.host_state": {"failed": True, "msg": "boom"}}
    )
    assert result["failed"] is True and result["msg"] == "printops.prismadirect.host_state failed: boom"


@pytest.mark.parametrize(("asked", "expected"), [(True, True), (None, False)])
def test_sub_modules_keep_the_no_log_they_were_given(asked, expected):
    """ActionBase resets _ansible_no_log from the task; PrismaAction keeps it for secret-carrying calls."""
    action = make_action("ors_account", P1, check=False, diff=False)
    module_args = {} if asked is None else {"_ansible_no_log": asked}
    action._update_module_args("ansible.builtin.user", module_args, {})
    assert module_args["_ansible_no_log"] is expected


def test_windows_hosts_get_the_windows_adapter():
    """A PowerShell shell picks the Windows adapter (tests/unit/plugins/action/test_windows_replay.py)."""
    result, calls = run("ors_account", P1, shell="powershell")
    assert calls[0][0] == "printops.prismadirect.win_host_state" and calls[0][1]["accounts"] == [
        {"name": ".\\svc_ors_p1"}
    ]
    assert result["failed"] is True and "unexpected result: platform is None, not 'windows'" in result["msg"]


# ---------------------------------------------------------------------------------------------------
# test_connection


def test_connection_test_as_the_ors_account():
    result, calls = run("ors_account", {**P1, "test_connection": True}, answers={PROBE: PROBE_OK})
    assert result["connection_test"] == {"ok": True, "status": 200, "elapsed_ms": 12, "error": None}
    probe = calls[-1][1]
    assert probe["user"] == "svc_ors_p1" and probe["url"] == "https://127.0.0.1:8443"
    assert probe["ca_path"] == "/srv/ca.pem" and result["changed"] is False


@pytest.mark.parametrize(("mode", "failed"), [("true", True), ("warn", False)])
def test_a_failed_connection_test(mode, failed):
    answer = {**PROBE_OK, "ok": False, "status": None, "error": "no answer from 127.0.0.1:8443"}
    result, _ = run("ors_account", {**P1, "test_connection": mode}, answers={PROBE: answer})
    assert bool(result.get("failed")) is failed
    message = (
        "test_connection: the back office cannot be reached as .\\svc_ors_p1: no answer from 127.0.0.1:8443"
    )
    assert (result["msg"] if failed else result["warnings"][-1]) == message


def test_no_connection_test_in_check_mode_while_the_account_would_change():
    result, calls = run("ors_account", {**P2, "test_connection": True}, state="fresh", check=True)
    assert "connection_test" not in result and modules(calls) == ["host_state"]


def test_a_connection_test_needs_the_back_office_url():
    result, calls = run(
        "ors_account", {**P1, "test_connection": True}, task_vars={"prismadirect_backoffice_url": None}
    )
    assert result["msg"].startswith("backoffice_url: is required") and calls == []
