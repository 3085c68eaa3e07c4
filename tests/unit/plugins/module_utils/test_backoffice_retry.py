"""Unit tests of plugins/module_utils/backoffice_retry.py: Retry-After values and backoff delays."""

from __future__ import annotations

import datetime as dt
import email.utils
from typing import Any

import pytest
from ansible_collections.printops.prismadirect.plugins.module_utils.backoffice_retry import (
    backoff_delay,
    parse_retry_after,
)

from .backoffice_samples import NOW


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("5", 5.0),
        (" 10 ", 10.0),
        ("0", 0.0),
        ("1.5", 1.5),
        (7, 7.0),
        (None, None),
        ("", None),
        ("soon", None),
        ("-3", None),
        ("1e3", None),
        (email.utils.formatdate(NOW + 30, usegmt=True), 30.0),
        (email.utils.formatdate(NOW - 30, usegmt=True), 0.0),
        ("Fri, 15 Jan 2027 08:00:00", dt.datetime(2027, 1, 15, 8, tzinfo=dt.UTC).timestamp() - NOW),
    ],
)
def test_parse_retry_after(value: object, expected: float | None) -> None:
    assert parse_retry_after(value, NOW) == expected


@pytest.mark.parametrize(
    ("attempt", "kwargs", "expected"),
    [
        (0, {}, 1.0),
        (1, {}, 2.0),
        (2, {}, 4.0),
        (4, {}, 16.0),
        (5, {}, 30.0),
        (10_000, {}, 30.0),
        (-1, {}, 1.0),
        (2, {"base": 0.5}, 2.0),
        (3, {"cap": 5.0}, 5.0),
        (0, {"retry_after": 7.0}, 7.0),
        (6, {"retry_after": 2.0}, 2.0),
        (0, {"retry_after": 0.0}, 0.0),
        (0, {"retry_after": 1000.0}, 300.0),
        (0, {"retry_after": -5.0}, 0.0),
        (0, {"retry_after": 100.0, "max_retry_after": 60.0}, 60.0),
    ],
)
def test_backoff_delay(attempt: int, kwargs: dict[str, Any], expected: float) -> None:
    assert backoff_delay(attempt, **kwargs) == expected
