"""printops.prismadirect.remote_service_proxy through its action plugin and the lab adapter, on recorded
host states (see action_harness.py)."""

from __future__ import annotations

import pytest
from action_harness import leaks, load_state, modules, run

PROXY_PASSWORD = "Pr0xy-Secret-77"
MANUAL = {
    "mode": "manual",
    "url": "http://proxy.example.com:8080",
    "authentication": {"domain": "CORP", "username": "svc_proxy", "password": PROXY_PASSWORD},
}


def test_manual_proxy_with_credentials():
    result, calls = run("remote_service_proxy", MANUAL, diff=True)
    assert result["changed"] is True and modules(calls) == ["host_state", "settings_store"]
    store = calls[1][1]
    assert store["set"] == {
        "proxy.mode": "manual",
        "proxy.url": "proxy.example.com:8080",
        "proxy.domain": "CORP",
        "proxy.username": "svc_proxy",
    }
    assert store["secrets"] == {"proxy.password": PROXY_PASSWORD} and store["_ansible_no_log"] is True
    assert result["authentication"] == {"domain": "CORP", "username": "svc_proxy", "password_set": True}
    assert result["diff"]["after"]["proxy"]["password"] == "(secret set)"
    assert leaks(result, PROXY_PASSWORD) == []


def test_second_run_changes_nothing():
    result, calls = run("remote_service_proxy", {"mode": "none"})
    assert result["changed"] is False and modules(calls) == ["host_state"]


def test_auto_detect_warns_about_remote_assistance():
    state = load_state("converged")
    state["settings"]["document"]["remote_assistance"]["enabled"] = False
    result, _ = run("remote_service_proxy", {"mode": "auto_detect"}, state=state)
    assert result["changed"] is True
    assert any("remote assistance cannot be allowed" in w for w in result["warnings"])


def test_auto_detect_is_refused_while_remote_assistance_is_allowed():
    result, calls = run("remote_service_proxy", {"mode": "auto_detect"})
    assert result["msg"].startswith("mode: auto_detect cannot be used while remote assistance is allowed")
    assert modules(calls) == ["host_state"]


def test_check_mode_applies_nothing():
    result, calls = run("remote_service_proxy", MANUAL, check=True)
    assert result["changed"] is True and modules(calls) == ["host_state"]


@pytest.mark.parametrize(
    ("args", "option"),
    [
        ({"mode": "manual", "url": "proxy:80x"}, "url"),
        ({"mode": "manual"}, "url"),
        ({"mode": "none", "url": "proxy:8080"}, "url"),
        ({"mode": "manual", "url": "user:pw@proxy:8080"}, "url"),
        ({"mode": "none", "authentication": {"username": "u"}}, "authentication"),
        ({"mode": "manual", "url": "p:1", "authentication": {"password": "x"}}, "authentication.username"),
    ],
)
def test_domain_errors_fail_before_any_host_call(args, option):
    result, calls = run("remote_service_proxy", args)
    assert result["failed"] is True and result["msg"].startswith(f"{option}: ") and calls == []
    assert "pw" not in result["msg"]


def test_argument_spec_errors_name_the_option():
    result, calls = run("remote_service_proxy", {"mode": "sometimes"})
    assert "mode" in result["msg"] and calls == []
    result, calls = run(
        "remote_service_proxy", {"mode": "manual", "url": "p:1", "authentication": {"pass": "x"}}
    )
    assert "pass" in result["msg"] and calls == []
