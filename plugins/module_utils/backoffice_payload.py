# Copyright: (c) 2026, printops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The license a back office sends, verified: ``verify_license_payload`` turns the JSON body of
``GET /v1/licenses/{serial}/latest`` into a ``LicenseResult`` or refuses it with a ``BackOfficeError``.

Domain core: standard library and ``flexlm`` only, pure functions. The lookup's cache stores
``LicenseResult.to_dict()`` and verifies it again with the same function before trusting it.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ansible_collections.printops.prismadirect.plugins.module_utils.backoffice_errors import (
    BackOfficeError,
    protocol_error,
    shown,
)
from ansible_collections.printops.prismadirect.plugins.module_utils.backoffice_inputs import (
    safe_license_file_name,
)
from ansible_collections.printops.prismadirect.plugins.module_utils.flexlm import (
    LicenseParseError,
    parse_license,
)

#: An ISO calendar date as the contract writes it (``YYYY-MM-DD``).
ISO_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_SHA256_RE = re.compile(r"[0-9a-fA-F]{64}")
_LICENSE_FIELDS = (
    "serial",
    "issued",
    "license_expiry",
    "maintenance_end",
    "features",
    "users",
    "file_name",
    "sha256",
    "content",
)


@dataclass(frozen=True)
class LicenseResult:
    """A verified license from the back office.

    Dates are ISO strings; ``license_expiry`` may be ``"permanent"``; ``users`` is an int, ``"uncounted"``
    or ``None``; ``flexlm`` holds the facts parsed from ``content``; ``etag`` is the HTTP ETag (unquoted),
    kept for conditional requests and not part of ``to_dict()``.
    """

    serial: str
    file_name: str
    content: str = field(repr=False)
    sha256: str
    issued: str | None
    license_expiry: str | None
    maintenance_end: str | None
    features: tuple[dict[str, Any], ...] = field(repr=False)
    users: int | str | None
    flexlm: dict[str, Any] = field(repr=False, compare=False)
    etag: str | None = field(default=None, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly dict; also a valid payload for ``verify_license_payload``."""
        return {
            "serial": self.serial,
            "file_name": self.file_name,
            "content": self.content,
            "sha256": self.sha256,
            "issued": self.issued,
            "license_expiry": self.license_expiry,
            "maintenance_end": self.maintenance_end,
            "features": [dict(feature) for feature in self.features],
            "users": self.users,
            "flexlm": json.loads(json.dumps(self.flexlm)),
        }


@dataclass(frozen=True)
class NotModified:
    """A 304 answer: the copy with this ``etag`` is still the latest."""

    etag: str


def _iso_date(payload: Mapping[str, Any], key: str, *, permanent: bool = False) -> str | None:
    value = payload[key]
    if value is None or (permanent and value == "permanent"):
        return value
    if isinstance(value, str) and ISO_DATE_RE.fullmatch(value):
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError:
            pass
    raise protocol_error(f"field {key} is {shown(value)}, not an ISO date (YYYY-MM-DD)")


def _features(value: object) -> tuple[dict[str, Any], ...]:
    if not isinstance(value, list) or not all(
        isinstance(item, dict) and isinstance(item.get("name"), str) for item in value
    ):
        raise protocol_error("field features is not a list of objects with a name")
    return tuple(json.loads(json.dumps(item)) for item in value)


def _users(value: object) -> int | str | None:
    if value is None or value == "uncounted" or (type(value) is int and value >= 0):
        return value  # type: ignore[return-value]
    raise protocol_error(f"field users is {shown(value)}, not a count or 'uncounted'")


def _json_friendly(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def verify_license_payload(payload: object, serial: str) -> LicenseResult:
    """Check a ``GET /v1/licenses/{serial}/latest`` body and return the verified ``LicenseResult``.

    Checks, in order: the fields of the contract are present and well formed; the SHA-256 of the UTF-8
    ``content`` equals ``sha256`` (``checksum``); ``file_name`` is safe (``unsafe_file_name``);
    ``content`` parses as a FlexNet license (``not_a_license``); the license's ``SN=`` values and the
    body's ``serial`` include ``serial`` (``serial_mismatch``).
    """
    if not isinstance(payload, Mapping):
        raise protocol_error("the license answer is not a JSON object")
    missing = [key for key in _LICENSE_FIELDS if key not in payload]
    if missing:
        raise protocol_error(f"the license answer for {serial} lacks the field(s) {', '.join(missing)}")
    content = payload["content"]
    announced = payload["sha256"]
    if not isinstance(content, str):
        raise protocol_error("field content is not a string")
    if not isinstance(announced, str) or not _SHA256_RE.fullmatch(announced):
        raise protocol_error(f"field sha256 is {shown(announced)}, not 64 hex digits")
    actual = hashlib.sha256(content.encode("utf-8")).hexdigest()
    if actual != announced.lower():
        raise BackOfficeError(
            "checksum",
            f"the license for {serial} failed its integrity check: the SHA-256 of its content is {actual}, "
            f"the back office announced {announced.lower()}. The download was corrupted or altered and was "
            "not used; try again, and report it to the back-office operator if it persists.",
        )
    file_name = safe_license_file_name(payload["file_name"])
    try:
        parsed = parse_license(content)
        flexlm = _json_friendly(parsed.to_dict())
    except (LicenseParseError, ValueError) as exc:
        raise BackOfficeError(
            "not_a_license",
            f"the content the back office sent for {serial} is not a FlexNet license ({exc}); it was not "
            "used. Check that url points at the Remote Service back office; report it to the back-office "
            "operator if it does.",
        ) from None
    found = tuple(parsed.serials)
    if serial not in found or payload["serial"] != serial:
        where = ", ".join(found) if found else "none (no SN= in the file)"
        raise BackOfficeError(
            "serial_mismatch",
            f"the license the back office sent for {serial} is for serial(s) {where} (answer's serial field: "
            f"{shown(payload['serial'])}); it was not used. Check the serial number, and report the mismatch "
            "to the back-office operator.",
        )
    return LicenseResult(
        serial=serial,
        file_name=file_name,
        content=content,
        sha256=actual,
        issued=_iso_date(payload, "issued"),
        license_expiry=_iso_date(payload, "license_expiry", permanent=True),
        maintenance_end=_iso_date(payload, "maintenance_end"),
        features=_features(payload["features"]),
        users=_users(payload["users"]),
        flexlm=flexlm,
    )
