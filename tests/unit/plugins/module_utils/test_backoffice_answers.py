"""Unit tests of plugins/module_utils/backoffice_answers.py: HTTP answers in, results or errors out.

The same answers also reach these functions through the client in test_backoffice.py; here they are
given directly, as tables, without a server.
"""

from __future__ import annotations

import email.utils
import json
from typing import Any

import pytest
from ansible_collections.printops.prismadirect.plugins.module_utils.backoffice_answers import (
    Answer,
    Endpoint,
    json_body,
    license_answer,
    ping_answer,
    refusal,
    unquote_etag,
)
from ansible_collections.printops.prismadirect.plugins.module_utils.backoffice_errors import BackOfficeError
from ansible_collections.printops.prismadirect.plugins.module_utils.backoffice_payload import (
    LicenseResult,
    NotModified,
)

from .backoffice_samples import NOW, ORG, SERIAL, payload

ENDPOINT = Endpoint("https://backoffice.example.com/rs", ORG)


def answer(status: int, body: Any = b"", **headers: str) -> Answer:
    data = json.dumps(body).encode() if isinstance(body, dict | list) else body
    return Answer(status, {name.replace("_", "-"): value for name, value in headers.items()}, data)


@pytest.mark.parametrize(
    ("url", "authority"),
    [
        ("https://backoffice.example.com/rs", "backoffice.example.com:443"),
        ("https://Backoffice.Example.com:8443", "backoffice.example.com:8443"),
        ("https://[::1]:8443/rs", "[::1]:8443"),
    ],
)
def test_endpoint_authority(url: str, authority: str) -> None:
    assert Endpoint(url, ORG).authority == authority


@pytest.mark.parametrize(
    ("value", "expected"),
    [('"abc"', "abc"), ('W/"abc"', "abc"), ("abc", "abc"), (None, None), ("", None), ('"a b"', None)],
)
def test_unquote_etag(value: str | None, expected: str | None) -> None:
    assert unquote_etag(value) == expected


REFUSALS = [
    (400, None, "bad_request", False, "PDS-100001"),  # the expected serial form
    (401, None, "unauthorized", False, ORG),
    (403, SERIAL, "not_entitled", False, "2025-06-30"),
    (404, SERIAL, "unknown_serial", False, ORG),
    (404, None, "unknown_serial", False, "/v1/ping does not exist"),
    (429, SERIAL, "unavailable", True, "rate limited"),
    (503, SERIAL, "unavailable", True, "temporarily unavailable"),
    (500, SERIAL, "server_error", True, "HTTP 500"),
    (501, SERIAL, "server_error", False, "HTTP 501"),
    (302, SERIAL, "protocol", False, "unexpected HTTP 302"),
]


@pytest.mark.parametrize(("status", "serial", "kind", "retryable", "fragment"), REFUSALS)
def test_refusal(status: int, serial: str | None, kind: str, retryable: bool, fragment: str) -> None:
    body = {"error": "x", "message": "said so", "maintenance_end": "2025-06-30"}
    error = refusal(ENDPOINT, answer(status, body, Retry_After="7"), serial=serial, now=NOW)
    assert (error.kind, error.status, error.retryable) == (kind, status, retryable)
    assert fragment in error.message
    assert error.retry_after == (7.0 if kind in ("unavailable", "server_error") else None)
    if kind != "unknown_serial" or serial is not None:
        assert "back office says: said so" in error.message


def test_refusal_retry_after_date_and_bad_maintenance_end() -> None:
    when = email.utils.formatdate(NOW + 12, usegmt=True)
    assert refusal(ENDPOINT, answer(503, Retry_After=when), serial=SERIAL, now=NOW).retry_after == 12.0
    error = refusal(ENDPOINT, answer(403, {"maintenance_end": "30-jun-2025"}), serial=SERIAL, now=NOW)
    assert error.maintenance_end is None and "no valid maintenance contract" in error.message


@pytest.mark.parametrize(
    ("reply", "kind", "fragment"),
    [
        (answer(200, b'{"a": 1}', Content_Length="100"), "truncated", "8 of the 100 bytes"),
        (answer(200, b'{"a": [1, 2'), "truncated", "middle of its JSON body"),
        (answer(200, '{"a": "\u00e9"}'.encode()[:-3]), "truncated", "middle of its JSON body"),
        (answer(200, b"<html>login</html>"), "protocol", "not JSON"),
        (answer(200, b"\xff\xfe{}"), "protocol", "not UTF-8"),
    ],
)
def test_json_body_failures(reply: Answer, kind: str, fragment: str) -> None:
    with pytest.raises(BackOfficeError) as info:
        json_body(ENDPOINT, reply)
    assert info.value.kind == kind and fragment in info.value.message
    assert info.value.retryable is (kind == "truncated")


def test_json_body() -> None:
    assert json_body(ENDPOINT, answer(200, {"a": [1]}, Content_Length="10")) == {"a": [1]}


def test_license_answer() -> None:
    body = payload()
    result = license_answer(ENDPOINT, answer(200, body, ETag='"tag-1"'), serial=SERIAL, etag=None, now=NOW)
    assert isinstance(result, LicenseResult) and result.etag == "tag-1"
    untagged = license_answer(ENDPOINT, answer(200, body), serial=SERIAL, etag=None, now=NOW)
    assert isinstance(untagged, LicenseResult) and untagged.etag == body["sha256"]
    assert license_answer(ENDPOINT, answer(304), serial=SERIAL, etag="tag-1", now=NOW) == NotModified("tag-1")
    with pytest.raises(BackOfficeError, match="without If-None-Match"):
        license_answer(ENDPOINT, answer(304), serial=SERIAL, etag=None, now=NOW)
    with pytest.raises(BackOfficeError) as info:
        license_answer(
            ENDPOINT, answer(403, {"maintenance_end": "2025-06-30"}), serial=SERIAL, etag=None, now=NOW
        )
    assert info.value.kind == "not_entitled" and info.value.maintenance_end == "2025-06-30"


def test_ping_answer() -> None:
    assert ping_answer(ENDPOINT, answer(200, {"status": "ok", "api": "v1"}), now=NOW)["api"] == "v1"
    with pytest.raises(BackOfficeError) as info:
        ping_answer(ENDPOINT, answer(200, {"status": "down"}), now=NOW)
    assert info.value.kind == "protocol"
    with pytest.raises(BackOfficeError) as info:
        ping_answer(ENDPOINT, answer(401), now=NOW)
    assert info.value.kind == "unauthorized"
