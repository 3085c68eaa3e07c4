# Copyright: (c) 2026, printops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one exception type of the back-office client, and the one redaction step.

Domain core: standard library only. Every failure of the back-office modules (``backoffice_*`` and
``backoffice``) is a ``BackOfficeError`` with a ``kind`` (see ``ERROR_KINDS``) and a ``message`` that says
the cause and the fix. The verification code and proxy passwords never appear in a message, a log line,
a ``repr`` or returned data: the client passes everything it emits through one ``Redactor``.
"""

from __future__ import annotations

import base64
import urllib.parse
from collections.abc import Iterable, Mapping
from typing import Any

REDACTED = "********"

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


def protocol_error(message: str) -> BackOfficeError:
    """A ``protocol`` error: ``message`` says what broke the contract; the fix is appended."""
    return BackOfficeError(
        "protocol",
        f"{message}; the back office does not follow the contract (docs/backoffice-api.md): check that url "
        "is the back office's root, and report it to the back-office operator if it is",
    )


def shown(value: object, limit: int = 80) -> str:
    """``repr`` of a user-supplied value, cut to ``limit`` characters (for error messages)."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


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
