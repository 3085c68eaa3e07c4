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


def test_a_window_is_stored_with_its_end_in_utc():
    result, calls = run(
        "remote_assistance", {"enabled": True, "until": "2099-01-01T18:00:00+01:00"}, diff=True
    )
    assert result["changed"] is True and modules(calls) == ["host_state", "settings_store"]
    assert calls[1][1]["set"] == {"remote_assistance.until": "2099-01-01T17:00:00Z"}
    assert result["until"] == "2099-01-01T17:00:00Z" and result["window"] == "open"
    assert result["minutes_left"] > 0


def test_an_end_in_the_past_fails_before_any_write():
    result, calls = run("remote_assistance", {"enabled": True, "until": "2000-01-01T00:00:00Z"})
    assert result["failed"] is True and modules(calls) == ["host_state"]
    assert result["msg"].startswith("until: 2000-01-01T00:00:00Z is not in the future (it is ")


def test_keep_open_window_keeps_an_open_window_and_closes_an_ended_one():
    state = load_state("converged")
    state["settings"]["document"]["remote_assistance"]["until"] = "2099-01-01T00:00:00Z"
    result, calls = run("remote_assistance", {"enabled": False, "keep_open_window": True}, state=state)
    assert result["changed"] is False and modules(calls) == ["host_state"]
    assert result["reason"] == "the window is open until 2099-01-01T00:00:00Z: kept (keep_open_window)"
    state["settings"]["document"]["remote_assistance"]["until"] = "2000-01-01T00:00:00Z"
    result, calls = run("remote_assistance", {"enabled": False, "keep_open_window": True}, state=state)
    assert result["changed"] is True and result["window_ended"] == "2000-01-01T00:00:00Z"
    assert calls[1][1]["set"] == {"remote_assistance.enabled": False, "remote_assistance.until": None}


def test_until_and_keep_open_window_go_with_one_value_of_enabled_each():
    result, calls = run("remote_assistance", {"enabled": False, "until": "2099-01-01T00:00:00Z"})
    assert result["msg"].startswith("until: is the end of a window") and calls == []
    result, calls = run("remote_assistance", {"enabled": True, "keep_open_window": True})
    assert result["msg"].startswith("keep_open_window: is used with enabled: false only") and calls == []
