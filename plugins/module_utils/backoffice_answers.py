# Copyright: (c) 2026, printops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What an HTTP answer of the back office means (the contract is ``docs/backoffice-api.md``).

Domain core: standard library only, pure functions. Given an ``Answer`` (status, headers, body as
received), ``ping_answer`` and ``license_answer`` return the result of the call or raise the
``BackOfficeError`` the contract gives it: a refusal (``refusal``: 400, 401, 403, 404, 429, 5xx...), a
body cut off on the way (``truncated``, retryable) or an answer outside the contract (``protocol``).
The messages are not redacted here: the client redacts everything it emits.
"""

from __future__ import annotations

import dataclasses
import json
import re
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ansible_collections.printops.prismadirect.plugins.module_utils.backoffice_errors import (
    BackOfficeError,
    protocol_error,
)
from ansible_collections.printops.prismadirect.plugins.module_utils.backoffice_inputs import SERIAL_FORM
from ansible_collections.printops.prismadirect.plugins.module_utils.backoffice_payload import (
    ISO_DATE_RE,
    LicenseResult,
    NotModified,
    verify_license_payload,
)
from ansible_collections.printops.prismadirect.plugins.module_utils.backoffice_retry import (
    RETRYABLE_STATUSES,
    parse_retry_after,
)

_ETAG_RE = re.compile(r"[\x21\x23-\x7e]{1,256}")


@dataclass(frozen=True)
class Endpoint:
    """The back office being asked: its root ``url`` (validated) and the ``organization_id`` asking."""

    url: str
    organization_id: str

    @property
    def authority(self) -> str:
        """``host:port`` of the back office (``[v6]:port`` for IPv6 literals; port 443 when not given)."""
        parts = urllib.parse.urlsplit(self.url)
        host = parts.hostname or ""
        host = f"[{host}]" if ":" in host else host
        return f"{host}:{parts.port or 443}"


@dataclass(frozen=True)
class Answer:
    """One HTTP answer as received; ``headers`` is anything with ``get`` (``http.client.HTTPMessage``)."""

    status: int
    headers: Mapping[str, str]
    body: bytes


def unquote_etag(value: str | None) -> str | None:
    """The entity tag of an ``ETag`` header without quotes or ``W/``; ``None`` if absent or malformed."""
    if not value:
        return None
    text = value.strip()
    if text.startswith("W/"):
        text = text[2:]
    text = text.strip('"')
    return text if _ETAG_RE.fullmatch(text) else None


def ping_answer(endpoint: Endpoint, answer: Answer, *, now: float) -> dict[str, Any]:
    """The body of a ``GET /v1/ping`` answer (``{"status": "ok", ...}``), or the error it means."""
    if answer.status != 200:
        raise refusal(endpoint, answer, serial=None, now=now)
    data = json_body(endpoint, answer)
    if not isinstance(data, dict) or data.get("status") != "ok":
        raise protocol_error('the ping answer is not {"status": "ok", ...}')
    return data


def license_answer(
    endpoint: Endpoint, answer: Answer, *, serial: str, etag: str | None, now: float
) -> LicenseResult | NotModified:
    """The verified license of a ``GET /v1/licenses/{serial}/latest`` answer, ``NotModified`` for a 304
    to a request with ``If-None-Match: "etag"``, or the error the answer means."""
    if answer.status == 304:
        if etag is None:
            raise protocol_error("HTTP 304 came for a request without If-None-Match")
        return NotModified(etag)
    if answer.status != 200:
        raise refusal(endpoint, answer, serial=serial, now=now)
    result = verify_license_payload(json_body(endpoint, answer), serial)
    return dataclasses.replace(result, etag=unquote_etag(answer.headers.get("ETag")) or result.sha256)


def json_body(endpoint: Endpoint, answer: Answer) -> Any:
    """The decoded JSON body; ``truncated`` (retryable) when it was cut off, else ``protocol``."""
    status, body = answer.status, answer.body
    declared = answer.headers.get("Content-Length")
    if declared is not None and declared.strip().isdigit() and len(body) < int(declared):
        raise BackOfficeError(
            "truncated",
            f"the answer from {endpoint.authority} has {len(body)} of the {int(declared)} bytes announced: "
            "the connection dropped; try again",
            status=status,
            retryable=True,
        )
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.reason == "unexpected end of data":
            raise _truncated(endpoint, status) from None
        raise protocol_error(f"the answer (HTTP {status}) is not UTF-8") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        stripped = text.strip()
        if stripped[:1] in ("{", "[") and (
            exc.pos >= len(text.rstrip()) or not stripped.endswith(("}", "]"))
        ):
            raise _truncated(endpoint, status) from None
        raise protocol_error(f"the answer (HTTP {status}) is not JSON") from None


def _truncated(endpoint: Endpoint, status: int) -> BackOfficeError:
    return BackOfficeError(
        "truncated",
        f"the answer from {endpoint.authority} ends in the middle of its JSON body: the connection dropped; "
        "try again",
        status=status,
        retryable=True,
    )


def refusal(endpoint: Endpoint, answer: Answer, *, serial: str | None, now: float) -> BackOfficeError:
    """The error a non-success status means (``serial`` is ``None`` for the ping).

    The back office's own ``message`` is quoted; ``Retry-After`` (seconds or an HTTP date, relative to
    ``now``) is kept as the error's ``retry_after``.
    """
    status = answer.status
    info: dict[str, Any] = {}
    try:
        decoded = json.loads(answer.body.decode("utf-8")) if answer.body else {}
        if isinstance(decoded, dict):
            info = decoded
    except ValueError:
        pass
    said = info.get("message")
    detail = f"; back office says: {said.strip()[:300]}" if isinstance(said, str) and said.strip() else ""
    retry_after = parse_retry_after(answer.headers.get("Retry-After"), now)
    subject = serial if serial is not None else "the ping"
    if status == 400:
        return BackOfficeError(
            "bad_request",
            f"the back office refused the request for {subject} as malformed (HTTP 400{detail}): check "
            f"the serial number ({SERIAL_FORM})",
            status=status,
        )
    if status == 401:
        return BackOfficeError(
            "unauthorized",
            f"the back office refused the credentials (HTTP 401{detail}): check organization_id "
            f"({endpoint.organization_id}) and verification_code; they are the Service organization ID and "
            "Verification code of the Remote Service settings",
            status=status,
        )
    if status == 403:
        end = info.get("maintenance_end")
        end = end if isinstance(end, str) and ISO_DATE_RE.fullmatch(end) else None
        ended = f"its maintenance ended on {end}" if end else "it has no valid maintenance contract"
        return BackOfficeError(
            "not_entitled",
            f"{subject} is not entitled to license updates: {ended} (HTTP 403{detail}). The maintenance "
            "contract must be extended before the back office delivers a new license.",
            status=status,
            maintenance_end=end,
        )
    if status == 404:
        if serial is None:
            message = (
                f"{endpoint.url}/v1/ping does not exist (HTTP 404): check that url is the back office's root"
            )
        else:
            message = (
                f"the back office knows no installation with serial {serial} in organization "
                f"{endpoint.organization_id} (HTTP 404{detail}): check that the serial number (the SN= of "
                "the installed license) belongs to this organization_id"
            )
        return BackOfficeError("unknown_serial", message, status=status)
    if status in (429, 503):
        why = "rate limited the request" if status == 429 else "is temporarily unavailable"
        return BackOfficeError(
            "unavailable",
            f"the back office {why} (HTTP {status}{detail}): try again later",
            status=status,
            retryable=True,
            retry_after=retry_after,
        )
    if 500 <= status <= 599:
        return BackOfficeError(
            "server_error",
            f"the back office failed (HTTP {status}{detail}): try again later; report it to the "
            "back-office operator if it persists",
            status=status,
            retryable=status in RETRYABLE_STATUSES,
            retry_after=retry_after,
        )
    error = protocol_error(f"unexpected HTTP {status} for {subject}{detail}")
    error.status = status
    return error
