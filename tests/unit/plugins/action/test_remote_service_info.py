"""printops.prismadirect.remote_service_info through its action plugin and the lab adapter, on recorded
host states (see action_harness.py)."""

from __future__ import annotations

from action_harness import PROBE_OK, leaks, load_state, modules, run

PROBE = "printops.prismadirect.backoffice_probe"


def test_report_without_a_connection_test():
    result, calls = run("remote_service_info", {})
    assert result["changed"] is False and modules(calls) == ["host_state"]
    assert result["settings"]["general"]["verification_code_set"] is True
    assert "verification_code" not in result["settings"]["general"]
    assert result["service"]["account"] == "svc_ors_p1" and result["service"]["state"] == "running"
    assert result["serials"] == ["PDS-100001", "PDS-100009"]
    expired = next(lic for lic in result["licenses"] if lic["serial"] == "PDS-100009")
    assert expired["maintenance_end"] == "2025-06-30" and expired["maintenance_days_left"] < 0
    assert expired["warnings"] and any(w.startswith("PDS-100009.lic: ") for w in result["warnings"])
    assert result["light"] == "orange" and "no connection test" in result["light_reason"]
    assert "connection_test" not in result
    assert leaks(result, "54a896564787303ab8b49ee11dec804ea3bde995e1163be49c049dc9dadb5c5c") == []


def test_green_light_after_a_successful_test_as_the_services_account():
    result, calls = run("remote_service_info", {"test_connection": True}, answers={PROBE: PROBE_OK})
    assert (
        result["light"] == "green"
        and result["light_reason"] == "connected to the back office (HTTP 200 in 12 ms)"
    )
    assert calls[-1][1]["user"] == "svc_ors_p1" and result["changed"] is False


def test_orange_light_with_the_reason_of_a_failed_test():
    answer = {**PROBE_OK, "ok": False, "error": "the back office did not accept the organization ID"}
    result, _ = run("remote_service_info", {"test_connection": True}, answers={PROBE: answer})
    assert result["light"] == "orange" and not result.get("failed")
    assert (
        result["light_reason"]
        == "the connection test failed (HTTP 200): the back office did not accept the organization ID"
    )


def test_the_test_runs_in_check_mode_too():
    result, calls = run(
        "remote_service_info", {"test_connection": True}, check=True, answers={PROBE: PROBE_OK}
    )
    assert result["light"] == "green" and modules(calls) == ["host_state", "backoffice_probe"]


def test_a_host_without_the_service_has_no_account_to_test_as():
    result, calls = run("remote_service_info", {"test_connection": True}, state="fresh")
    assert modules(calls) == ["host_state"] and result["connection_test"]["ok"] is False
    assert result["light"] == "orange" and "not installed" in result["light_reason"]
    assert result["settings_present"] is False


def test_a_probe_that_cannot_run_is_a_failed_test():
    answer = {"failed": True, "msg": "user: no user 'svc_ors_p1' on this host: create the ORS account first"}
    result, _ = run("remote_service_info", {"test_connection": True}, answers={PROBE: answer})
    assert result["connection_test"]["ok"] is False and "no user" in result["connection_test"]["error"]
    assert result["light"] == "orange"


def test_bad_options_fail_before_any_host_call():
    result, calls = run("remote_service_info", {"test_connection": True, "backoffice_url": "ftp://x"})
    assert result["msg"].startswith("backoffice_url: ") and calls == []
    result, calls = run("remote_service_info", {"service": "a\\b"})
    assert result["msg"].startswith("service: ") and calls == []


def test_the_remote_assistance_window_is_reported():
    result, _ = run("remote_service_info", {})
    assert result["remote_assistance"] == {
        "enabled": True,
        "until": None,
        "window": "none",
        "minutes_left": None,
    }
    state = load_state("converged")
    state["settings"]["document"]["remote_assistance"]["until"] = "2000-01-01T00:00:00Z"
    result, _ = run("remote_service_info", {}, state=state)
    assert (
        result["remote_assistance"]["window"] == "overdue" and result["remote_assistance"]["minutes_left"] < 0
    )
    assert any("window ended at 2000-01-01T00:00:00Z" in w for w in result["warnings"])
