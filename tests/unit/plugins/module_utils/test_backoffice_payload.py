"""Unit tests of plugins/module_utils/backoffice_payload.py: verify_license_payload, case by case."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

import pytest
from ansible_collections.printops.prismadirect.plugins.module_utils.backoffice_errors import BackOfficeError
from ansible_collections.printops.prismadirect.plugins.module_utils.backoffice_payload import (
    LicenseResult,
    verify_license_payload,
)

from .backoffice_samples import SERIAL, license_text, payload


def test_verify_license_payload_ok() -> None:
    result = verify_license_payload(payload(), SERIAL)
    assert isinstance(result, LicenseResult)
    assert result.serial == SERIAL
    assert result.file_name == "PDS-100001.lic"
    assert result.content == license_text()
    assert result.sha256 == hashlib.sha256(license_text().encode()).hexdigest()
    assert (result.issued, result.license_expiry, result.maintenance_end) == (
        "2026-11-01",
        "2027-12-31",
        "2027-12-31",
    )
    assert result.users == 25
    assert [f["name"] for f in result.features] == ["PRISMAdirect", "PD_USERS"]
    assert result.flexlm["serials"] == [SERIAL]
    assert result.flexlm["users"] == 25
    as_dict = result.to_dict()
    assert json.loads(json.dumps(as_dict)) == as_dict
    assert set(as_dict) == {
        "serial",
        "file_name",
        "content",
        "sha256",
        "issued",
        "license_expiry",
        "maintenance_end",
        "features",
        "users",
        "flexlm",
    }
    assert verify_license_payload(as_dict, SERIAL) == result  # the cache re-verifies stored copies
    assert "SERVER" not in repr(result)


def test_verify_license_payload_uppercase_sha_permanent_and_uncounted() -> None:
    body = payload(license_expiry="permanent", users="uncounted", issued=None)
    body["sha256"] = body["sha256"].upper()
    result = verify_license_payload(body, SERIAL)
    assert (result.license_expiry, result.users, result.issued) == ("permanent", "uncounted", None)
    assert result.sha256 == body["sha256"].lower()


def _other_license() -> str:
    return license_text("PDS-999999")


VERIFY_FAILURES = [
    ("missing field", lambda: {k: v for k, v in payload().items() if k != "sha256"}, "protocol", "sha256"),
    ("not an object", lambda: ["x"], "protocol", "not a JSON object"),
    ("sha not hex", lambda: payload(sha256="xyz"), "protocol", "64 hex"),
    ("content not str", lambda: payload(content=None) | {"content": 5}, "protocol", "content"),
    ("checksum", lambda: payload(sha256="0" * 64), "checksum", "integrity check"),
    ("unsafe name", lambda: payload(file_name="../../PDS-100001.lic"), "unsafe_file_name", "separator"),
    ("html", lambda: payload(content="<html><body>Maintenance</body></html>"), "not_a_license", "line 1"),
    ("wrong SN", lambda: payload(content=_other_license()), "serial_mismatch", "PDS-999999"),
    ("wrong serial field", lambda: payload(serial="PDS-999999"), "serial_mismatch", "PDS-999999"),
    ("bad date", lambda: payload(maintenance_end="31-dec-2027"), "protocol", "maintenance_end"),
    ("bad expiry", lambda: payload(license_expiry="never"), "protocol", "license_expiry"),
    ("bad users", lambda: payload(users=-1), "protocol", "users"),
    ("bool users", lambda: payload(users=True), "protocol", "users"),
    ("bad features", lambda: payload(features=[{"version": "1"}]), "protocol", "features"),
]


@pytest.mark.parametrize(
    ("case", "make", "kind", "fragment"), VERIFY_FAILURES, ids=[c[0] for c in VERIFY_FAILURES]
)
def test_verify_license_payload_failures(
    case: str, make: Callable[[], Any], kind: str, fragment: str
) -> None:
    with pytest.raises(BackOfficeError) as info:
        verify_license_payload(make(), SERIAL)
    assert info.value.kind == kind
    assert fragment in info.value.message
    assert info.value.retryable is False


def test_not_a_license_message_has_parser_line_and_reason() -> None:
    text = license_text() + "FEATURE broken\n"
    with pytest.raises(BackOfficeError) as info:
        verify_license_payload(payload(content=text), SERIAL)
    assert info.value.kind == "not_a_license"
    assert "line 7" in info.value.message and "FEATURE needs" in info.value.message
