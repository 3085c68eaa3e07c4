# Copyright: (c) 2026, printops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Checks of the values the back-office client works with: serial numbers, the back office's URL, the
credentials, an explicit proxy, and the license file names the back office sends.

Domain core: standard library only; pure functions that return the value (normalised where said) or
raise a ``BackOfficeError`` whose message names the value, the expected form and the fix. Secrets (the
verification code, a password inside a URL or proxy string) are never echoed.
"""

from __future__ import annotations

import base64
import ipaddress
import re
import urllib.parse
from dataclasses import dataclass, field

from ansible_collections.printops.prismadirect.plugins.module_utils.backoffice_errors import (
    BackOfficeError,
    shown,
)

SERIAL_FORM = (
    "1 to 64 characters: letters, digits, '.', '_' or '-', starting with a letter or digit "
    "(the SN= of the installed license, for example PDS-100001)"
)
_SERIAL_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_HOSTNAME_RE = re.compile(
    r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?"
)
_PROXY_FORM = (
    "expected host:port, for example proxy.example.com:8080 ([2001:db8::1]:8080 for IPv6; "
    "http://proxy.example.com:8080 is accepted too)"
)
_WINDOWS_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL"} | {f"COM{i}" for i in range(1, 10)} | {f"LPT{i}" for i in range(1, 10)}
)


def validate_serial(serial: object) -> str:
    """Return ``serial`` if it matches the contract's serial form, else raise ``invalid_input``."""
    if isinstance(serial, str) and _SERIAL_RE.fullmatch(serial):
        return serial
    raise BackOfficeError("invalid_input", f"invalid serial number {shown(serial)}: expected {SERIAL_FORM}")


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
            f"url {shown(text)} must use https:// (the back office is reached over TLS only; plain http is "
            f"not supported): {example}",
        )
    if not parts.hostname:
        raise BackOfficeError("invalid_input", f"url {shown(text)} has no host name: {example}")
    if parts.query or parts.fragment or any(ord(c) < 33 or ord(c) == 127 for c in text):
        raise BackOfficeError(
            "invalid_input",
            f"url {shown(text)} must be the back office's root without query, fragment or spaces: {example}",
        )
    if port == 0:
        raise BackOfficeError("invalid_input", f"url {shown(text)} has port 0: {example}")
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
            f"organization_id {shown(organization_id)} must not contain ':' or control characters: give the "
            "Service organization ID exactly as the vendor issued it",
        )
    return organization_id


def validate_verification_code(verification_code: object) -> str:
    """Return the Verification code if usable as HTTP Basic password, else raise (never echoing it)."""
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
        raise BackOfficeError("invalid_input", f"invalid proxy {shown(text)}: {_PROXY_FORM}")
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
            f"invalid proxy {shown(text)}: only http:// proxies (HTTPS tunnelled with CONNECT) are "
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
        raise BackOfficeError("invalid_input", f"invalid proxy {shown(text)}: {_PROXY_FORM}")
    port = int(port_text)
    if not 1 <= port <= 65535:
        raise BackOfficeError(
            "invalid_input", f"invalid proxy {shown(text)}: the port must be 1 to 65535; {_PROXY_FORM}"
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
        f"the back office sent the license file name {shown(name)}, which is not safe ({reason}): a plain "
        "base name ending in .lic is expected, for example PDS-100001.lic. The license was not used; "
        "report this to the back-office operator.",
    )
