# Copyright: (c) 2026, printops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""When the back-office client tries again, and how long it waits first.

Domain core: standard library only, pure functions. The client retries the statuses in
``RETRYABLE_STATUSES`` (and transport failures it marks retryable), waiting ``backoff_delay`` seconds:
exponential backoff, or the server's ``Retry-After`` (``parse_retry_after``) when it gave one.
"""

from __future__ import annotations

import email.utils
import re
from datetime import UTC

#: Longest wait a ``Retry-After`` header can impose (seconds).
MAX_RETRY_AFTER = 300.0

#: HTTP statuses worth asking again for: rate limited, overloaded, gateway trouble.
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})


def parse_retry_after(value: object, now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (seconds or an HTTP date); ``None`` if absent or bad."""
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now)


def backoff_delay(
    attempt: int,
    *,
    base: float = 1.0,
    cap: float = 30.0,
    retry_after: float | None = None,
    max_retry_after: float = MAX_RETRY_AFTER,
) -> float:
    """Delay before retry number ``attempt + 1``: ``base * 2**attempt`` capped at ``cap``.

    A server's ``Retry-After`` wins when given, capped at ``max_retry_after``.
    """
    if retry_after is not None:
        return min(max(float(retry_after), 0.0), max_retry_after)
    return min(base * 2 ** min(max(attempt, 0), 62), cap)
