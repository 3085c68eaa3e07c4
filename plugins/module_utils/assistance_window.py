# Copyright: (c) 2026, printops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The remote-assistance window: how its end is written, read and judged against the time.

Domain core: standard library only, no I/O, no Ansible imports, and no clock: every caller passes
``now`` (an aware ``datetime``), so the planners that use it stay pure and testable. Shared by the
``remote_assistance`` planner (which writes ``remote_assistance.until``) and ``remote_service_info``
(which reports the window).

The end is stored in the settings as ISO 8601 in UTC with whole seconds and a ``Z``
(``2026-11-29T17:00:00Z``), or ``null`` for remote assistance allowed without an end.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from ansible_collections.printops.prismadirect.plugins.module_utils.validation import (
    ValidationError,
    quoted,
)

__all__ = ["UNTIL_FORM", "format_until", "parse_until", "window_state"]

UNTIL_FORM = (
    "an ISO 8601 date and time with its time zone, in UTC preferably, for example 2026-11-29T17:00:00Z"
)
# Date, time to the minute or second (fractions allowed), and a zone: Z or +hh:mm / -hh:mm.
_UNTIL_RE = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})", re.IGNORECASE
)


def parse_until(value: object, option: str = "until") -> datetime:
    """An aware UTC ``datetime`` (whole seconds, a fraction dropped) from the text of ``option``.

    A time without a zone is refused: "17:00" on the controller and on a host in another zone are two
    different moments, and the window would end at the wrong one.
    """
    if isinstance(value, datetime):  # a YAML timestamp given unquoted
        text = value.isoformat()
    elif isinstance(value, str):
        text = value.strip()
    else:
        raise ValidationError(option, f"{quoted(value)} is not a date and time: give {UNTIL_FORM}")
    if not _UNTIL_RE.fullmatch(text):
        zone = "" if re.search(r"(Z|[+-]\d{2}:\d{2})$", text, re.IGNORECASE) else " with its time zone"
        raise ValidationError(option, f"{quoted(value)} is not a date and time{zone}: give {UNTIL_FORM}")
    try:
        moment = datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValidationError(
            option, f"{quoted(value)} is not a valid date and time ({exc}): give {UNTIL_FORM}"
        ) from None
    return moment.astimezone(UTC).replace(microsecond=0)


def format_until(moment: datetime) -> str:
    """The stored form: ``2026-11-29T17:00:00Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _minutes(delta_seconds: float) -> int:
    """Whole minutes, rounded towards the past: 30 s left is 0, 30 s overdue is -1."""
    return math.floor(delta_seconds / 60)


def window_state(values: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """``{"enabled", "until", "window", "minutes_left", "error"}`` from the flat settings
    (``remote_assistance.enabled``, ``remote_assistance.until``) at ``now``.

    ``window``: ``none`` (disabled, or allowed without an end), ``open`` (allowed, the end is in the
    future) or ``overdue`` (allowed and the end has passed: a run should have disabled it). An end that
    cannot be read while remote assistance is allowed counts as ``overdue`` (a run disables it: a
    window whose end nobody can tell is not an open one), with ``error`` saying why; otherwise ``error``
    is ``None``.
    """
    enabled = values.get("remote_assistance.enabled") is True
    raw = values.get("remote_assistance.until")
    state: dict[str, Any] = {
        "enabled": enabled,
        "until": raw,
        "window": "none",
        "minutes_left": None,
        "error": None,
    }
    if not enabled or raw is None:
        return state
    try:
        until = parse_until(raw, "remote_assistance.until")
    except ValidationError as exc:
        state.update(window="overdue", error=f"the stored end of the window cannot be read: {exc.message}")
        return state
    left = (until - now).total_seconds()
    state.update(
        until=format_until(until), window="open" if left > 0 else "overdue", minutes_left=_minutes(left)
    )
    return state
