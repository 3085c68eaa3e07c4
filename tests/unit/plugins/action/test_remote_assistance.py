"""printops.prismadirect.remote_assistance through its action plugin and the lab adapter, on recorded
host states (see action_harness.py)."""

from __future__ import annotations

from action_harness import load_state, modules, run


def test_enabling_on_a_fresh_host_lists_every_missing_prerequisite():
    result, calls = run("remote_assistance", {"enabled": True}, state="fresh")
    assert result["failed"] is True and modules(calls) == ["host_state"]
    msg = result["msg"]
    assert msg.startswith("enabled: remote assistance cannot be allowed: 4 prerequisites are missing: (1) ")
    for fragment in (
        "not enabled",
        "organization ID",
        "Verification code",
        "Print ORS Service is not installed",
    ):
        assert fragment in msg


def test_automatic_proxy_detection_is_a_missing_prerequisite():
    state = load_state("converged")
    state["settings"]["document"]["proxy"]["mode"] = "auto_detect"
    result, _ = run("remote_assistance", {"enabled": True}, state=state)
    assert "1 prerequisite is missing: (1) the proxy is set to automatic detection" in result["msg"]


def test_already_enabled_with_every_prerequisite_changes_nothing_and_warns_about_teamviewer():
    result, calls = run("remote_assistance", {"enabled": True})
    assert result["changed"] is False and modules(calls) == ["host_state"]
    assert result["warnings"] == [
        "TeamViewer was not found on this host: the help desk's remote-desktop session needs it"
    ]
    assert calls[0][1]["sections"] == ["service", "accounts", "settings", "teamviewer"]


def test_disabling_always_works():
    result, calls = run("remote_assistance", {"enabled": False}, diff=True)
    assert result["changed"] is True and modules(calls) == ["host_state", "settings_store"]
    assert calls[1][1]["set"] == {"remote_assistance.enabled": False}
    assert result["diff"] == {
        "before": {"remote_assistance": {"enabled": True, "until": None}},
        "after": {"remote_assistance": {"enabled": False, "until": None}},
    }
    result, calls = run("remote_assistance", {"enabled": False}, state="fresh")
    assert result["changed"] is False and modules(calls) == ["host_state"]


def test_check_mode_applies_nothing():
    result, calls = run("remote_assistance", {"enabled": False}, check=True)
    assert result["changed"] is True and modules(calls) == ["host_state"]


def test_enabled_is_required():
    result, calls = run("remote_assistance", {})
    assert result["failed"] is True and "enabled" in result["msg"] and calls == []
