# Copyright: (c) 2026, printops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Client for the Remote Service back office (the contract is ``docs/backoffice-api.md``).

Domain core: standard library only, no Ansible runtime objects. The pure helpers (``validate_*``,
``safe_license_file_name``, ``parse_retry_after``, ``backoff_delay``, ``verify_license_payload``) take
data and return data; ``BackOfficeClient`` is the one class that does I/O.

Every failure is a ``BackOfficeError`` with a ``kind`` (see ``ERROR_KINDS``) and a ``message`` that says
the cause and the fix. The verification code and proxy passwords never appear in a message, a log line,
a ``repr`` or returned data: the client passes everything it emits through one ``Redactor``.
"""

from __future__ import annotations

import base64
import dataclasses
import email.utils
import hashlib
import http.client
import ipaddress
import json
import os
import re
import socket
import ssl
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date
from typing import Any, TypeVar

from ansible_collections.printops.prismadirect.plugins.module_utils.flexlm import (
    LicenseParseError,
    parse_license,
)

VERSION = "0.1.0"
USER_AGENT = f"printops-prismadirect/{VERSION}"
REDACTED = "********"

#: Longest wait a ``Retry-After`` header can impose (seconds).
MAX_RETRY_AFTER = 300.0

ERROR_KINDS = frozenset(
    {
        "invalid_input",  # our own arguments are wrong; nothing was sent
        "unreachable",  # DNS, refused connection, proxy refused the tunnel
        "tls",  # certificate verification or handshake failed
        "timeout",  # no answer within ``timeout`` seconds
        "unauthorized",  # 401: organization ID / verification code
        "not_entitled",  # 403: no valid maintenance contract
        "unknown_serial",  # 404: serial not in this organization
        "bad_request",  # 400: malformed serial or request
        "unavailable",  # 429 / 503: rate limited, maintenance window, overload
        "server_error",  # 500 / 502 / 504 and other 5xx
        "checksum",  # sha256 of content differs from the announced sha256
        "truncated",  # body shorter than announced / cut-off JSON
        "not_a_license",  # content is not a FlexNet license file
        "serial_mismatch",  # the license is for another serial
        "unsafe_file_name",  # file_name is not a plain *.lic base name
        "protocol",  # anything else that does not follow the contract
    }
)

_SERIAL_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_SERIAL_FORM = (
    "1 to 64 characters: letters, digits, '.', '_' or '-', starting with a letter or digit "
    "(the SN= of the installed license, for example PDS-100001)"
)
_HOSTNAME_RE = re.compile(
    r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?"
)
_PROXY_FORM = (
    "expected host:port, for example proxy.example.com:8080 ([2001:db8::1]:8080 for IPv6; "
    "http://proxy.example.com:8080 is accepted too)"
)
_SHA256_RE = re.compile(r"[0-9a-fA-F]{64}")
_ETAG_RE = re.compile(r"[\x21\x23-\x7e]{1,256}")
_ISO_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_WINDOWS_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL"} | {f"COM{i}" for i in range(1, 10)} | {f"LPT{i}" for i in range(1, 10)}
)
_RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
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

T = TypeVar("T")


def _show(value: object, limit: int = 80) -> str:
    """``repr`` of a user-supplied value, cut to ``limit`` characters (for error messages)."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


# --------------------------------------------------------------------------------------------------
# Errors and redaction


class BackOfficeError(Exception):
    """The one exception type of the back-office client.

    ``kind`` is one of ``ERROR_KINDS``; ``message`` says the cause and the fix; ``status`` is the HTTP
    status (``None`` when there was no HTTP answer); ``maintenance_end`` is set for ``not_entitled``;
    ``retryable`` says whether the client retries this failure; ``retry_after`` is the server's hint in
    seconds, if any.
    """

    def __init__(
        self,
        kind: str,
        message: str,
        *,
        status: int | None = None,
        maintenance_end: str | None = None,
        retryable: bool = False,
        retry_after: float | None = None,
    ) -> None:
        if kind not in ERROR_KINDS:
            raise ValueError(f"unknown BackOfficeError kind {kind!r}")
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.status = status
        self.maintenance_end = maintenance_end
        self.retryable = retryable
        self.retry_after = retry_after

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"BackOfficeError(kind={self.kind!r}, status={self.status!r}, message={self.message!r})"

    def with_message(self, message: str) -> BackOfficeError:
        """A copy of this error with another message (same kind, status, hints)."""
        return BackOfficeError(
            self.kind,
            message,
            status=self.status,
            maintenance_end=self.maintenance_end,
            retryable=self.retryable,
            retry_after=self.retry_after,
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form (``from_dict`` reverses it)."""
        return {
            "kind": self.kind,
            "message": self.message,
            "status": self.status,
            "maintenance_end": self.maintenance_end,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BackOfficeError:
        return cls(
            str(data["kind"]),
            str(data["message"]),
            status=data.get("status"),
            maintenance_end=data.get("maintenance_end"),
        )


class Redactor:
    """Replaces every known secret in a text by ``********``.

    The single redaction step: the client builds one from the verification code and the proxy
    passwords and applies it to every error message, log line and ping answer it emits. Besides each
    secret itself it also hides the forms a secret takes on the wire (URL-quoted, inside a Basic
    ``Authorization`` token).
    """

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        self._secrets: list[str] = []
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str | None) -> None:
        if not secret:
            return
        forms = {secret, urllib.parse.quote(secret, safe=""), urllib.parse.quote_plus(secret)}
        self._secrets = sorted(set(self._secrets) | forms, key=len, reverse=True)

    def add_basic(self, user: str, password: str | None) -> None:
        """Also hide the ``Basic`` token made from ``user:password``."""
        if password:
            self.add(base64.b64encode(f"{user}:{password}".encode()).decode("ascii"))

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return text

    def __repr__(self) -> str:
        return f"Redactor(<{len(self._secrets)} secret forms>)"


# --------------------------------------------------------------------------------------------------
# Pure validation helpers


def validate_serial(serial: object) -> str:
    """Return ``serial`` if it matches the contract's serial form, else raise ``invalid_input``."""
    if isinstance(serial, str) and _SERIAL_RE.fullmatch(serial):
        return serial
    raise BackOfficeError("invalid_input", f"invalid serial number {_show(serial)}: expected {_SERIAL_FORM}")


def validate_base_url(url: object) -> str:
    """Return the back office's root URL normalised (no trailing ``/``); https only.

    The back office is reached over TLS only: ``http://`` is refused and there is no switch to allow it
    (for a lab with a self-signed certificate use ``ca_path``, or ``validate_certs: false``).
    """
    example = "for example https://backoffice.example.com/rs"
    if not isinstance(url, str) or not url.strip():
        raise BackOfficeError("invalid_input", f"url is empty: give the back office's root URL, {example}")
    text = url.strip()
    try:
        parts = urllib.parse.urlsplit(text)
        port = parts.port
    except ValueError:
        raise BackOfficeError(
            "invalid_input", f"url is not a valid URL: give the back office's root URL, {example}"
        ) from None
    if parts.username is not None or parts.password is not None:
        # never echo it: the user info may hold a password
        raise BackOfficeError(
            "invalid_input",
            "url must not contain a user name or password: give organization_id and verification_code "
            f"instead, and url as the back office's root, {example}",
        )
    if parts.scheme.lower() != "https":
        raise BackOfficeError(
            "invalid_input",
            f"url {_show(text)} must use https:// (the back office is reached over TLS only; plain http is "
            f"not supported): {example}",
        )
    if not parts.hostname:
        raise BackOfficeError("invalid_input", f"url {_show(text)} has no host name: {example}")
    if parts.query or parts.fragment or any(ord(c) < 33 or ord(c) == 127 for c in text):
        raise BackOfficeError(
            "invalid_input",
            f"url {_show(text)} must be the back office's root without query, fragment or spaces: {example}",
        )
    if port == 0:
        raise BackOfficeError("invalid_input", f"url {_show(text)} has port 0: {example}")
    return urllib.parse.urlunsplit(("https", parts.netloc, parts.path.rstrip("/"), "", ""))


def validate_organization_id(organization_id: object) -> str:
    """Return the Service organization ID if usable as HTTP Basic user name, else raise."""
    if not isinstance(organization_id, str) or not organization_id.strip():
        raise BackOfficeError(
            "invalid_input",
            "organization_id is empty: give the Service organization ID of the Remote Service settings",
        )
    if ":" in organization_id or any(ord(c) < 32 or ord(c) == 127 for c in organization_id):
        raise BackOfficeError(
            "invalid_input",
            f"organization_id {_show(organization_id)} must not contain ':' or control characters: give the "
            "Service organization ID exactly as the vendor issued it",
        )
    return organization_id


def _check_verification_code(verification_code: object) -> str:
    # never echo the value, not even in part
    if not isinstance(verification_code, str) or not verification_code:
        raise BackOfficeError(
            "invalid_input",
            "verification_code is empty: give the Verification code of the Remote Service settings "
            "(a secret: keep it in Ansible Vault)",
        )
    if any(ord(c) < 32 or ord(c) == 127 for c in verification_code):
        raise BackOfficeError(
            "invalid_input",
            "verification_code contains control characters (a stray newline from a file?): give the "
            "Verification code exactly as the vendor issued it",
        )
    return verification_code


@dataclass(frozen=True)
class ProxySpec:
    """An explicit HTTP proxy reached with ``CONNECT`` (the credentials are optional)."""

    host: str
    port: int
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    @property
    def authority(self) -> str:
        """``host:port`` (``[v6]:port`` for IPv6 literals)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    def authorization(self) -> str | None:
        """Value of ``Proxy-Authorization`` (``Basic ...``), or ``None`` without a user name."""
        if self.username is None:
            return None
        token = base64.b64encode(f"{self.username}:{self.password or ''}".encode()).decode("ascii")
        return f"Basic {token}"


def validate_proxy(proxy: object, username: str | None = None, password: str | None = None) -> ProxySpec:
    """Parse ``host:port``, ``[ipv6]:port`` or ``http://host:port`` into a ``ProxySpec``.

    Credentials are given separately (``username``/``password``); a user name or password inside the
    proxy string is refused without echoing it.
    """
    if not isinstance(proxy, str) or not proxy.strip():
        raise BackOfficeError("invalid_input", f"proxy is empty: {_PROXY_FORM}")
    text = proxy.strip()
    match = re.fullmatch(r"(?:(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://)?(?P<rest>[^/?#]*)/?", text)
    if match is None:
        raise BackOfficeError("invalid_input", f"invalid proxy {_show(text)}: {_PROXY_FORM}")
    rest = match.group("rest")
    if "@" in rest:
        raise BackOfficeError(
            "invalid_input",
            "proxy must not contain a user name or password: give them as proxy_username and "
            f"proxy_password, and proxy as host:port ({_PROXY_FORM})",
        )
    scheme = match.group("scheme")
    if scheme is not None and scheme.lower() != "http":
        raise BackOfficeError(
            "invalid_input",
            f"invalid proxy {_show(text)}: only http:// proxies (HTTPS tunnelled with CONNECT) are "
            f"supported; {_PROXY_FORM}",
        )
    host_port = re.fullmatch(
        r"\[(?P<v6>[^\]]+)\]:(?P<port>\d{1,5})|(?P<host>[^:\[\]]+):(?P<port2>\d{1,5})", rest
    )
    host = None
    port_text = None
    if host_port is not None:
        if host_port.group("v6") is not None:
            try:
                host = str(ipaddress.IPv6Address(host_port.group("v6")))
            except ValueError:
                host = None
            port_text = host_port.group("port")
        else:
            candidate = host_port.group("host")
            host = candidate if _HOSTNAME_RE.fullmatch(candidate) else None
            port_text = host_port.group("port2")
    if host is None or port_text is None:
        raise BackOfficeError("invalid_input", f"invalid proxy {_show(text)}: {_PROXY_FORM}")
    port = int(port_text)
    if not 1 <= port <= 65535:
        raise BackOfficeError(
            "invalid_input", f"invalid proxy {_show(text)}: the port must be 1 to 65535; {_PROXY_FORM}"
        )
    if username is not None and not isinstance(username, str):
        raise BackOfficeError("invalid_input", "proxy_username must be a string")
    if username == "":
        username = None
    if password and username is None:
        raise BackOfficeError(
            "invalid_input", "proxy_password is set but proxy_username is not: give both, or neither"
        )
    for label, value in (("proxy_username", username), ("proxy_password", password)):
        if value is not None and any(ord(c) < 32 or ord(c) == 127 for c in value):
            raise BackOfficeError("invalid_input", f"{label} contains control characters: remove them")
    if username is not None and ":" in username:
        raise BackOfficeError("invalid_input", "proxy_username must not contain ':' (HTTP Basic user name)")
    return ProxySpec(host=host, port=port, username=username, password=password)


def safe_license_file_name(name: object) -> str:
    """Return ``name`` if it is a plain base name ending in ``.lic``, else raise ``unsafe_file_name``.

    Refused: empty, longer than 255 characters, ``/``, ``\\``, ``..``, ``:`` (drive letters, streams),
    control characters, characters Windows forbids (``<>"|?*``), Windows device names (``NUL.lic``).
    """
    reason = None
    if not isinstance(name, str) or not name:
        reason = "it is empty"
    elif len(name) > 255:
        reason = "it is longer than 255 characters"
    elif any(ord(c) < 32 or ord(c) == 127 for c in name):
        reason = "it contains control characters"
    elif "/" in name or "\\" in name:
        reason = "it contains a path separator"
    elif ".." in name:
        reason = "it contains '..'"
    elif ":" in name:
        reason = "it contains ':' (drive letter or stream)"
    elif any(c in '<>"|?*' for c in name):
        reason = "it contains a character Windows forbids in file names"
    elif not name.lower().endswith(".lic") or len(name) == 4:
        reason = "it does not end in .lic"
    elif name.split(".")[0].upper() in _WINDOWS_RESERVED:
        reason = "it is a Windows device name"
    if reason is None:
        return name  # type: ignore[return-value]
    raise BackOfficeError(
        "unsafe_file_name",
        f"the back office sent the license file name {_show(name)}, which is not safe ({reason}): a plain "
        "base name ending in .lic is expected, for example PDS-100001.lic. The license was not used; "
        "report this to the back-office operator.",
    )


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


# --------------------------------------------------------------------------------------------------
# License payload verification


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


def _protocol(message: str) -> BackOfficeError:
    return BackOfficeError(
        "protocol",
        f"{message}; the back office does not follow the contract (docs/backoffice-api.md): check that url "
        "is the back office's root, and report it to the back-office operator if it is",
    )


def _iso_date(payload: Mapping[str, Any], key: str, *, permanent: bool = False) -> str | None:
    value = payload[key]
    if value is None or (permanent and value == "permanent"):
        return value
    if isinstance(value, str) and _ISO_DATE_RE.fullmatch(value):
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError:
            pass
    raise _protocol(f"field {key} is {_show(value)}, not an ISO date (YYYY-MM-DD)")


def _features(value: object) -> tuple[dict[str, Any], ...]:
    if not isinstance(value, list) or not all(
        isinstance(item, dict) and isinstance(item.get("name"), str) for item in value
    ):
        raise _protocol("field features is not a list of objects with a name")
    return tuple(json.loads(json.dumps(item)) for item in value)


def _users(value: object) -> int | str | None:
    if value is None or value == "uncounted" or (type(value) is int and value >= 0):
        return value  # type: ignore[return-value]
    raise _protocol(f"field users is {_show(value)}, not a count or 'uncounted'")


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
        raise _protocol("the license answer is not a JSON object")
    missing = [key for key in _LICENSE_FIELDS if key not in payload]
    if missing:
        raise _protocol(f"the license answer for {serial} lacks the field(s) {', '.join(missing)}")
    content = payload["content"]
    announced = payload["sha256"]
    if not isinstance(content, str):
        raise _protocol("field content is not a string")
    if not isinstance(announced, str) or not _SHA256_RE.fullmatch(announced):
        raise _protocol(f"field sha256 is {_show(announced)}, not 64 hex digits")
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
            f"{_show(payload['serial'])}); it was not used. Check the serial number, and report the mismatch "
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


# --------------------------------------------------------------------------------------------------
# The client


def _unquote_etag(value: str | None) -> str | None:
    if not value:
        return None
    text = value.strip()
    if text.startswith("W/"):
        text = text[2:]
    text = text.strip('"')
    return text if _ETAG_RE.fullmatch(text) else None


def _tls_context(validate_certs: bool, ca_path: str | None) -> ssl.SSLContext:
    if validate_certs:
        if ca_path is not None and not os.path.isfile(ca_path):
            raise BackOfficeError(
                "invalid_input",
                f"ca_path {_show(ca_path)} is not a file: give the path of a PEM bundle with the CA "
                "certificate(s) that signed the back office's certificate",
            )
        try:
            context = ssl.create_default_context(cafile=ca_path)
        except (OSError, ssl.SSLError) as exc:
            raise BackOfficeError(
                "invalid_input",
                f"ca_path {_show(ca_path)} cannot be read as a PEM CA bundle ({exc}): give the path of the "
                "CA certificate(s) that signed the back office's certificate",
            ) from None
    else:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


class BackOfficeClient:
    """Talks to the Remote Service back office over HTTPS (see ``docs/backoffice-api.md``).

    ``proxy`` is an explicit proxy (HTTPS is tunnelled through it with ``CONNECT``). Without it and with
    ``use_proxy`` true, the environment's ``https_proxy``/``no_proxy`` apply. ``sleep``, ``clock`` and
    ``log`` are injected (tests use a fake ``sleep``; ``log`` receives redacted debug lines).
    Retryable failures (connection errors, timeouts, truncated bodies, 429, 500, 502, 503, 504) are
    retried up to ``retries`` times with ``backoff_delay``, honouring ``Retry-After``.
    """

    def __init__(
        self,
        url: str,
        organization_id: str,
        verification_code: str,
        *,
        validate_certs: bool = True,
        ca_path: str | None = None,
        proxy: ProxySpec | None = None,
        use_proxy: bool = True,
        timeout: float = 10.0,
        retries: int = 3,
        sleep: Callable[[float], object] = time.sleep,
        clock: Callable[[], float] = time.time,
        log: Callable[[str], object] | None = None,
    ) -> None:
        self._redact = Redactor([verification_code if isinstance(verification_code, str) else None])
        if proxy is not None:
            self._redact.add(proxy.password)
            if proxy.username is not None:
                self._redact.add_basic(proxy.username, proxy.password)
        try:
            self.url = validate_base_url(url)
            self.organization_id = validate_organization_id(organization_id)
            self._verification_code = _check_verification_code(verification_code)
            self._redact.add_basic(self.organization_id, self._verification_code)
            if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not timeout > 0:
                raise BackOfficeError(
                    "invalid_input", f"timeout {_show(timeout)} must be a number of seconds above 0, like 10"
                )
            if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
                raise BackOfficeError(
                    "invalid_input", f"retries {_show(retries)} must be a whole number, 0 or more, like 3"
                )
            self.timeout = float(timeout)
            self.retries = retries
            parts = urllib.parse.urlsplit(self.url)
            self._host: str = parts.hostname or ""
            self._port: int = parts.port or 443
            self._path = parts.path
            self._context = _tls_context(validate_certs, ca_path)
            self.proxy = proxy if proxy is not None else (self._environment_proxy() if use_proxy else None)
        except BackOfficeError as exc:
            raise exc.with_message(self._redact(exc.message)) from None
        self._sleep = sleep
        self._clock = clock
        self._log_callback = log

    def __repr__(self) -> str:
        via = f", proxy={self.proxy.authority!r}" if self.proxy else ""
        return f"BackOfficeClient(url={self.url!r}, organization_id={self.organization_id!r}{via})"

    # -- public API -------------------------------------------------------------------------------

    def ping(self) -> dict[str, Any]:
        """``GET /v1/ping`` with credentials: reachability and whether the credentials are valid."""
        try:
            answer = self._call("/v1/ping", {}, self._handle_ping)
        except BackOfficeError as exc:
            raise exc.with_message(self._redact(exc.message)) from None
        return self._redact_data(_json_friendly(answer))

    def latest_license(self, serial: str, etag: str | None = None) -> LicenseResult | NotModified:
        """``GET /v1/licenses/{serial}/latest``.

        With ``etag`` (unquoted, as stored from an earlier answer) the request is conditional and a 304
        answer returns ``NotModified``.
        """
        try:
            serial = validate_serial(serial)
            headers = {}
            if etag is not None:
                if _unquote_etag(etag) != etag:
                    raise BackOfficeError(
                        "invalid_input", f"etag {_show(etag)} is not an unquoted entity tag such as a sha256"
                    )
                headers["If-None-Match"] = f'"{etag}"'
            path = f"/v1/licenses/{urllib.parse.quote(serial, safe='')}/latest"
            return self._call(
                path,
                headers,
                lambda status, head, body: self._handle_license(serial, etag, status, head, body),
            )
        except BackOfficeError as exc:
            raise exc.with_message(self._redact(exc.message)) from None

    # -- internals --------------------------------------------------------------------------------

    def _redact_data(self, value: Any) -> Any:
        if isinstance(value, str):
            return self._redact(value)
        if isinstance(value, list):
            return [self._redact_data(item) for item in value]
        if isinstance(value, dict):
            return {self._redact(str(key)): self._redact_data(item) for key, item in value.items()}
        return value

    def _log(self, line: str) -> None:
        if self._log_callback is not None:
            self._log_callback(self._redact(line))

    @property
    def _authority(self) -> str:
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"{host}:{self._port}"

    def _environment_proxy(self) -> ProxySpec | None:
        raw = urllib.request.getproxies().get("https")
        if not raw or urllib.request.proxy_bypass(self._host):
            return None
        shown = re.sub(r"//[^@/]*@", "//" + REDACTED + "@", raw)
        parts = urllib.parse.urlsplit(raw if "://" in raw else f"http://{raw}")
        try:
            port = parts.port or 80
        except ValueError:
            port = 0
        if parts.password:
            self._redact.add(parts.password)
            self._redact.add(urllib.parse.unquote(parts.password))
        if parts.scheme.lower() != "http" or not parts.hostname or not 1 <= port <= 65535:
            raise BackOfficeError(
                "invalid_input",
                f"the https_proxy environment variable {_show(shown)} is not an http://host:port proxy: fix "
                "it, set the proxy option (host:port), or set use_proxy to false to ignore it",
            )
        username = urllib.parse.unquote(parts.username) if parts.username is not None else None
        password = urllib.parse.unquote(parts.password) if parts.password is not None else None
        self._redact.add(password)
        if username is not None:
            self._redact.add_basic(username, password)
        return ProxySpec(host=parts.hostname, port=port, username=username, password=password)

    def _headers(self, extra: Mapping[str, str]) -> dict[str, str]:
        token = base64.b64encode(f"{self.organization_id}:{self._verification_code}".encode()).decode("ascii")
        return {
            "User-Agent": USER_AGENT,
            "Accept": "application/json",
            "Authorization": f"Basic {token}",
            "Connection": "close",
            **extra,
        }

    def _call(self, path: str, extra: Mapping[str, str], handle: Callable[[int, Any, bytes], T]) -> T:
        attempts = self.retries + 1
        via = f" via proxy {self.proxy.authority}" if self.proxy else ""
        for attempt in range(attempts):
            self._log(f"GET {self.url}{path}{via} (attempt {attempt + 1}/{attempts})")
            try:
                status, headers, body = self._exchange(path, self._headers(extra))
                self._log(f"GET {path}: HTTP {status}, {len(body)} bytes")
                return handle(status, headers, body)
            except BackOfficeError as exc:
                if not exc.retryable or attempt + 1 >= attempts:
                    if exc.retryable and attempts > 1:
                        raise exc.with_message(f"{exc.message} (gave up after {attempts} attempts)") from None
                    raise
                delay = backoff_delay(attempt, retry_after=exc.retry_after)
                self._log(f"{exc.kind}: {exc.message}; retrying in {delay:.1f} s")
                self._sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _connection(self) -> http.client.HTTPSConnection:
        if self.proxy is None:
            return http.client.HTTPSConnection(
                self._host, self._port, timeout=self.timeout, context=self._context
            )
        conn = http.client.HTTPSConnection(
            self.proxy.host, self.proxy.port, timeout=self.timeout, context=self._context
        )
        tunnel_headers = {"User-Agent": USER_AGENT}
        authorization = self.proxy.authorization()
        if authorization is not None:
            tunnel_headers["Proxy-Authorization"] = authorization
        conn.set_tunnel(self._host, self._port, headers=tunnel_headers)
        return conn

    def _exchange(self, path: str, headers: Mapping[str, str]) -> tuple[int, Any, bytes]:
        """One request; transport failures become ``BackOfficeError``s (no chained exceptions)."""
        target = self._authority
        hop = f"the proxy {self.proxy.authority} (for {target})" if self.proxy else target
        proxy_hint = (
            f"check the proxy option (host:port) and that the proxy allows CONNECT to port {self._port}"
            if self.proxy
            else "if the back office is only reachable through a proxy, set proxy (host:port), or keep "
            "use_proxy true and set https_proxy"
        )
        conn = self._connection()
        try:
            conn.request("GET", self._path + path, headers=dict(headers))
            response = conn.getresponse()
            body = response.read()
            return response.status, response.headers, body
        except http.client.IncompleteRead as exc:
            raise BackOfficeError(
                "truncated",
                f"the answer from {target} was cut off after {len(exc.partial)} bytes "
                f"({exc.expected} more were announced): the connection dropped; try again",
                retryable=True,
            ) from None
        except ssl.SSLCertVerificationError as exc:
            raise BackOfficeError(
                "tls",
                f"the TLS certificate of {target} could not be verified ({exc.verify_message}): give the CA "
                "bundle that signed the back office's certificate as ca_path (a proxy that inspects TLS "
                "needs its own CA there), or, in a lab only, set validate_certs to false",
            ) from None
        except ssl.SSLError as exc:
            raise BackOfficeError(
                "tls",
                f"the TLS handshake with {target} failed ({exc.reason or exc}): the back office needs "
                "TLS 1.2 or newer; check url, ca_path and any proxy that intercepts TLS",
            ) from None
        except TimeoutError:
            raise BackOfficeError(
                "timeout",
                f"no answer from {hop} within {self.timeout:g} seconds: raise timeout if the back office is "
                f"slow; {proxy_hint}",
                retryable=True,
            ) from None
        except socket.gaierror as exc:
            name = self.proxy.host if self.proxy else self._host
            raise BackOfficeError(
                "unreachable",
                f"cannot resolve the host name {name!r} ({exc.strerror or exc}) to reach {hop}: check url "
                f"and DNS; {proxy_hint}",
                retryable=True,
            ) from None
        except http.client.RemoteDisconnected:
            raise BackOfficeError(
                "unreachable",
                f"{hop} closed the connection without answering: try again; {proxy_hint}",
                retryable=True,
            ) from None
        except http.client.HTTPException as exc:
            raise BackOfficeError(
                "protocol",
                f"{hop} did not answer with HTTP ({type(exc).__name__}): check that url is the back "
                "office's https root and its port",
            ) from None
        except OSError as exc:
            raise self._connect_error(exc, hop, proxy_hint) from None
        finally:
            conn.close()

    def _connect_error(self, exc: OSError, hop: str, proxy_hint: str) -> BackOfficeError:
        tunnel = re.match(r"Tunnel connection failed: (\d{3})\s*(.*)", str(exc))
        if tunnel and self.proxy is not None:
            code = int(tunnel.group(1))
            if code == 407:
                return BackOfficeError(
                    "unreachable",
                    f"the proxy {self.proxy.authority} requires authentication or refused the credentials "
                    "(HTTP 407): check proxy_username and proxy_password",
                    status=407,
                )
            return BackOfficeError(
                "unreachable",
                f"the proxy {self.proxy.authority} refused to open a tunnel to {self._authority} "
                f"(HTTP {code} {tunnel.group(2).strip()}): check that the proxy allows CONNECT to port "
                f"{self._port}, and url",
                status=code,
                retryable=code in (502, 503, 504),
            )
        reason = exc.strerror or str(exc) or type(exc).__name__
        return BackOfficeError(
            "unreachable",
            f"cannot connect to {hop} ({reason}): check url and that the back office is reachable from the "
            f"Ansible controller; {proxy_hint}",
            retryable=True,
        )

    def _json(self, status: int, headers: Any, body: bytes) -> Any:
        declared = headers.get("Content-Length")
        if declared is not None and declared.strip().isdigit() and len(body) < int(declared):
            raise BackOfficeError(
                "truncated",
                f"the answer from {self._authority} has {len(body)} of the {int(declared)} bytes announced: "
                "the connection dropped; try again",
                status=status,
                retryable=True,
            )
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            if exc.reason == "unexpected end of data":
                raise self._truncated(status) from None
            raise _protocol(f"the answer (HTTP {status}) is not UTF-8") from None
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            stripped = text.strip()
            if stripped[:1] in ("{", "[") and (
                exc.pos >= len(text.rstrip()) or not stripped.endswith(("}", "]"))
            ):
                raise self._truncated(status) from None
            raise _protocol(f"the answer (HTTP {status}) is not JSON") from None

    def _truncated(self, status: int) -> BackOfficeError:
        return BackOfficeError(
            "truncated",
            f"the answer from {self._authority} ends in the middle of its JSON body: the connection dropped; "
            "try again",
            status=status,
            retryable=True,
        )

    def _handle_ping(self, status: int, headers: Any, body: bytes) -> dict[str, Any]:
        if status != 200:
            raise self._status_error(status, headers, body, None)
        answer = self._json(status, headers, body)
        if not isinstance(answer, dict) or answer.get("status") != "ok":
            raise _protocol('the ping answer is not {"status": "ok", ...}')
        return answer

    def _handle_license(
        self, serial: str, etag: str | None, status: int, headers: Any, body: bytes
    ) -> LicenseResult | NotModified:
        if status == 304:
            if etag is None:
                raise _protocol("HTTP 304 came for a request without If-None-Match")
            return NotModified(etag)
        if status != 200:
            raise self._status_error(status, headers, body, serial)
        result = verify_license_payload(self._json(status, headers, body), serial)
        return dataclasses.replace(result, etag=_unquote_etag(headers.get("ETag")) or result.sha256)

    def _status_error(self, status: int, headers: Any, body: bytes, serial: str | None) -> BackOfficeError:
        info: dict[str, Any] = {}
        try:
            decoded = json.loads(body.decode("utf-8")) if body else {}
            if isinstance(decoded, dict):
                info = decoded
        except ValueError:
            pass
        said = info.get("message")
        detail = f"; back office says: {said.strip()[:300]}" if isinstance(said, str) and said.strip() else ""
        retry_after = parse_retry_after(headers.get("Retry-After"), self._clock())
        subject = serial if serial is not None else "the ping"
        if status == 400:
            return BackOfficeError(
                "bad_request",
                f"the back office refused the request for {subject} as malformed (HTTP 400{detail}): check "
                f"the serial number ({_SERIAL_FORM})",
                status=status,
            )
        if status == 401:
            return BackOfficeError(
                "unauthorized",
                f"the back office refused the credentials (HTTP 401{detail}): check organization_id "
                f"({self.organization_id}) and verification_code; they are the Service organization ID and "
                "Verification code of the Remote Service settings",
                status=status,
            )
        if status == 403:
            end = info.get("maintenance_end")
            end = end if isinstance(end, str) and _ISO_DATE_RE.fullmatch(end) else None
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
                    f"{self.url}/v1/ping does not exist (HTTP 404): check that url is the back office's root"
                )
            else:
                message = (
                    f"the back office knows no installation with serial {serial} in organization "
                    f"{self.organization_id} (HTTP 404{detail}): check that the serial number (the SN= of "
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
                retryable=status in _RETRYABLE_STATUSES,
                retry_after=retry_after,
            )
        error = _protocol(f"unexpected HTTP {status} for {subject}{detail}")
        error.status = status
        return error
