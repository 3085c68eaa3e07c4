"""The remote-assistance window (plugins/module_utils/assistance_window.py) and its two users: the
``remote_assistance`` planner (``until``, ``keep_open_window``) and ``remote_service_info``'s report.
The time is data: every case gives ``now``."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from ansible_collections.printops.prismadirect.plugins.module_utils.assistance_window import (
    format_until,
    parse_until,
    window_state,
)
from ansible_collections.printops.prismadirect.plugins.module_utils.planning import (
    ValidationError,
    info_from_state,
    plan_remote_assistance,
    remote_assistance_desired,
)

from .test_planning import READY, host_state, settings_view

NOW = datetime(2026, 11, 29, 13, 0, 0, tzinfo=UTC)
TODAY = date(2026, 11, 29)
END = "2026-11-29T17:00:00Z"  # four hours after NOW
PAST = "2026-11-29T12:30:00Z"  # half an hour before NOW


def state_with(enabled: bool, until: str | None) -> dict:
    return host_state(
        settings=settings_view(**READY, remote_assistance__enabled=enabled, remote_assistance__until=until)
    )


def plan(args: dict, state: dict, now: datetime = NOW):
    return plan_remote_assistance(remote_assistance_desired(args), state, now)


# ---------------------------------------------------------------------------------------------------
# The end's text
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("2026-11-29T17:00:00Z", "2026-11-29T17:00:00Z"),
        ("2026-11-29t17:00z", "2026-11-29T17:00:00Z"),
        ("2026-11-29T18:00:00+01:00", "2026-11-29T17:00:00Z"),
        ("2026-11-29 17:00:00.999+00:00", "2026-11-29T17:00:00Z"),  # str() of a YAML timestamp
        (datetime(2026, 11, 29, 12, 0, tzinfo=UTC) + timedelta(hours=5), "2026-11-29T17:00:00Z"),
    ],
)
def test_the_end_is_stored_in_utc_to_the_second(text, stored):
    assert format_until(parse_until(text)) == stored


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("2026-11-29T17:00:00", "is not a date and time with its time zone"),
        ("tomorrow 17:00", "is not a date and time with its time zone"),
        ("2026-02-30T17:00:00Z", "is not a valid date and time"),
        ("2026-11-29T25:00:00Z", "is not a valid date and time"),
        (1764435600, "is not a date and time"),
        ("", "is not a date and time"),
    ],
)
def test_an_end_that_is_not_a_moment_is_refused_naming_the_option(text, fragment):
    with pytest.raises(ValidationError) as info:
        parse_until(text)
    assert info.value.option == "until" and fragment in info.value.message
    assert "2026-11-29T17:00:00Z" in info.value.message  # the form to give


# ---------------------------------------------------------------------------------------------------
# The window at a moment
# ---------------------------------------------------------------------------------------------------

WINDOW_CASES = [
    # id, enabled, until, window, minutes_left
    ("not allowed", False, None, "none", None),
    ("not allowed, a stale end", False, END, "none", None),
    ("allowed without an end", True, None, "none", None),
    ("open", True, END, "open", 240),
    ("open, 30 s left", True, "2026-11-29T13:00:30Z", "open", 0),
    ("ends now", True, "2026-11-29T13:00:00Z", "overdue", 0),
    ("overdue by 30 s", True, "2026-11-29T12:59:30Z", "overdue", -1),
    ("overdue by 30 min", True, PAST, "overdue", -30),
]


@pytest.mark.parametrize(
    ("enabled", "until", "window", "minutes"), [c[1:] for c in WINDOW_CASES], ids=[c[0] for c in WINDOW_CASES]
)
def test_window_state(enabled, until, window, minutes):
    state = window_state({"remote_assistance.enabled": enabled, "remote_assistance.until": until}, NOW)
    assert (state["window"], state["minutes_left"], state["error"]) == (window, minutes, None)
    assert state["enabled"] is enabled


def test_an_unreadable_end_of_an_allowed_window_is_overdue():
    state = window_state({"remote_assistance.enabled": True, "remote_assistance.until": "soon"}, NOW)
    assert state["window"] == "overdue" and state["minutes_left"] is None
    assert state["error"].startswith("the stored end of the window cannot be read: ")


# ---------------------------------------------------------------------------------------------------
# Opening a window
# ---------------------------------------------------------------------------------------------------


def test_opening_a_window_stores_its_end():
    result = plan({"enabled": True, "until": "2026-11-29T18:00:00+01:00"}, state_with(False, None))
    (change,) = result.changes
    assert change.args["set"] == {"remote_assistance.enabled": True, "remote_assistance.until": END}
    assert result.diff["after"] == {"remote_assistance": {"enabled": True, "until": END}}
    assert result.result["window"] == "open" and result.result["minutes_left"] == 240
    assert result.result["reason"] == f"remote assistance is allowed until {END}"
    assert result.result["changed_keys"] == ["remote_assistance.enabled", "remote_assistance.until"]


def test_the_same_window_again_changes_nothing_and_a_new_end_moves_it():
    assert plan({"enabled": True, "until": END}, state_with(True, END)).changed is False
    moved = plan({"enabled": True, "until": "2026-11-29T19:00:00Z"}, state_with(True, END))
    assert moved.changes[0].args["set"] == {"remote_assistance.until": "2026-11-29T19:00:00Z"}


def test_allowing_without_an_end_clears_the_end():
    result = plan({"enabled": True}, state_with(True, END))
    assert result.changes[0].args["set"] == {"remote_assistance.until": None}
    assert result.result["window"] == "none" and result.result["until"] is None


@pytest.mark.parametrize("until", [PAST, "2026-11-29T13:00:00Z"])
def test_an_end_that_is_not_in_the_future_is_refused(until):
    with pytest.raises(ValidationError) as info:
        plan({"enabled": True, "until": until}, state_with(False, None))
    assert info.value.option == "until"
    assert info.value.message == (
        f"{until} is not in the future (it is 2026-11-29T13:00:00Z now): give a later end, or leave until "
        "out to allow remote assistance without an end"
    )


def test_a_window_needs_the_prerequisites_too():
    with pytest.raises(ValidationError) as info:
        plan({"enabled": True, "until": END}, host_state(service={"state": "stopped"}))
    assert info.value.option == "enabled" and "1 prerequisite is missing" in info.value.message


@pytest.mark.parametrize(
    ("args", "option"),
    [
        ({"enabled": False, "until": END}, "until"),
        ({"enabled": True, "keep_open_window": True}, "keep_open_window"),
        ({"enabled": True, "keep_open_window": "maybe"}, "keep_open_window"),
        ({"enabled": True, "until": "17:00"}, "until"),
    ],
)
def test_options_that_do_not_go_together_are_refused_before_the_host_is_read(args, option):
    with pytest.raises(ValidationError) as info:
        remote_assistance_desired(args)
    assert info.value.option == option


# ---------------------------------------------------------------------------------------------------
# Closing: enabled false, with and without keep_open_window
# ---------------------------------------------------------------------------------------------------

CLOSE_CASES = [
    # id, enabled, until, keep, changed, window after, reason fragment, window_ended
    ("open window kept", True, END, True, False, "open", f"the window is open until {END}: kept", None),
    (
        "overdue window closed",
        True,
        PAST,
        True,
        True,
        "none",
        f"the window ended at {PAST}: remote assistance is no longer allowed",
        PAST,
    ),
    ("allowed without an end", True, None, True, True, "none", "was allowed without an end", None),
    (
        "open window closed at once",
        True,
        END,
        False,
        True,
        "none",
        "no longer allowed (enabled: false)",
        None,
    ),
    ("already off", False, None, True, False, "none", "remote assistance is not allowed", None),
    (
        "off with a stale end: cleared",
        False,
        END,
        True,
        True,
        "none",
        "remote assistance is not allowed",
        None,
    ),
]


@pytest.mark.parametrize(
    ("enabled", "until", "keep", "changed", "window", "fragment", "ended"),
    [c[1:] for c in CLOSE_CASES],
    ids=[c[0] for c in CLOSE_CASES],
)
def test_closing(enabled, until, keep, changed, window, fragment, ended):
    result = plan({"enabled": False, "keep_open_window": keep}, state_with(enabled, until))
    assert result.changed is changed
    assert result.result["window"] == window and result.result["window_ended"] == ended
    assert fragment in result.result["reason"]
    if changed:
        assert result.changes[0].args["set"].get("remote_assistance.until", None) is None
        assert result.diff["after"]["remote_assistance"] == {"enabled": False, "until": None}


def test_the_same_window_is_kept_before_its_end_and_closed_after_it():
    state = state_with(True, END)
    args = {"enabled": False, "keep_open_window": True}
    assert plan(args, state, now=datetime(2026, 11, 29, 16, 59, 59, tzinfo=UTC)).changed is False
    assert plan(args, state, now=datetime(2026, 11, 29, 17, 0, 0, tzinfo=UTC)).changed is True


def test_an_unreadable_end_is_closed_with_the_reason():
    result = plan({"enabled": False, "keep_open_window": True}, state_with(True, "next friday"))
    assert result.changed and result.result["window_ended"] == "next friday"
    assert result.result["reason"].startswith("the stored end of the window cannot be read: ")


# ---------------------------------------------------------------------------------------------------
# remote_service_info
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("enabled", "until", "expected", "warned"),
    [
        (False, None, {"enabled": False, "until": None, "window": "none", "minutes_left": None}, False),
        (True, None, {"enabled": True, "until": None, "window": "none", "minutes_left": None}, False),
        (True, END, {"enabled": True, "until": END, "window": "open", "minutes_left": 240}, False),
        (True, PAST, {"enabled": True, "until": PAST, "window": "overdue", "minutes_left": -30}, True),
    ],
    ids=["off", "no end", "open", "overdue"],
)
def test_info_reports_the_window(enabled, until, expected, warned):
    info = info_from_state(state_with(enabled, until), TODAY, NOW)
    assert info["remote_assistance"] == expected
    assert info["settings"]["remote_assistance"] == {"enabled": enabled, "until": until}
    overdue = [w for w in info["warnings"] if "window ended at" in w]
    assert bool(overdue) is warned
    if warned:
        assert overdue == [
            f"remote assistance is still allowed although its window ended at {PAST}: run "
            "playbooks/remote_assistance.yml (or site.yml) to disable it"
        ]


def test_info_without_a_moment_judges_the_window_at_the_start_of_today_utc():
    info = info_from_state(state_with(True, "2026-11-29T00:30:00Z"), TODAY)
    assert info["remote_assistance"]["window"] == "open" and info["remote_assistance"]["minutes_left"] == 30


def test_info_on_an_unreadable_end():
    info = info_from_state(state_with(True, "soon"), TODAY, NOW)
    assert info["remote_assistance"] == {
        "enabled": True,
        "until": "soon",
        "window": "overdue",
        "minutes_left": None,
    }
    assert any(w.startswith("remote assistance is allowed but the stored end") for w in info["warnings"])
