# Copyright: (c) 2026, printops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The client of the Remote Service back office (the contract is ``docs/backoffice-api.md``).

``BackOfficeClient`` is the one class of the back-office code that does I/O: it checks its options, opens
HTTPS connections (directly or through a ``CONNECT`` proxy), sends requests, retries what may be retried,
and redacts everything it emits. What it checks, what an answer means and how long it waits live in the
pure modules next to it:

- ``backoffice_errors``: ``BackOfficeError`` (the one exception type) and the ``Redactor``;
- ``backoffice_inputs``: serial, URL, credentials and proxy checks, safe license file names;
- ``backoffice_answers``: an HTTP answer turned into a result or the ``BackOfficeError`` it means;
- ``backoffice_payload``: ``verify_license_payload`` and its ``LicenseResult``;
- ``backoffice_retry``: ``backoff_delay`` and ``Retry-After``.

Standard library only, no Ansible runtime objects.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import os
import re
import selectors
import socket
import ssl
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any, TypeVar

from ansible_collections.printops.prismadirect.plugins.module_utils.backoffice_answers import (
    Answer,
    Endpoint,
    license_answer,
    ping_answer,
    unquote_etag,
)
from ansible_collections.printops.prismadirect.plugins.module_utils.backoffice_errors import (
    REDACTED,
    BackOfficeError,
    Redactor,
    shown,
)
from ansible_collections.printops.prismadirect.plugins.module_utils.backoffice_inputs import (
    ProxySpec,
    validate_base_url,
    validate_organization_id,
    validate_serial,
    validate_verification_code,
)
from ansible_collections.printops.prismadirect.plugins.module_utils.backoffice_payload import (
    LicenseResult,
    NotModified,
)
from ansible_collections.printops.prismadirect.plugins.module_utils.backoffice_retry import backoff_delay

VERSION = "0.1.0"
USER_AGENT = f"printops-prismadirect/{VERSION}"

#: How a kept-alive connection shows that the other end closed it while it was idle, seen when a request
#: is sent on it again. On such a connection they mean "open a new one", not a failure.
_IDLE_CLOSE_ERRORS = (
    http.client.RemoteDisconnected,
    BrokenPipeError,
    ConnectionResetError,
    ConnectionAbortedError,
    ssl.SSLEOFError,
)

T = TypeVar("T")


def _tls_context(validate_certs: bool, ca_path: str | None) -> ssl.SSLContext:
    if validate_certs:
        if ca_path is not None and not os.path.isfile(ca_path):
            raise BackOfficeError(
                "invalid_input",
                f"ca_path {shown(ca_path)} is not a file: give the path of a PEM bundle with the CA "
                "certificate(s) that signed the back office's certificate",
            )
        try:
            context = ssl.create_default_context(cafile=ca_path)
        except (OSError, ssl.SSLError) as exc:
            raise BackOfficeError(
                "invalid_input",
                f"ca_path {shown(ca_path)} cannot be read as a PEM CA bundle ({exc}): give the path of the "
                "CA certificate(s) that signed the back office's certificate",
            ) from None
    else:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def _closed_by_peer(connection: http.client.HTTPSConnection) -> bool:
    """Whether an idle kept-alive connection was closed by the other end (or is unusable).

    Between two answers nothing is expected from the server, so anything to read (end of stream, a
    reset, a TLS close) means the server or the proxy dropped the connection.
    """
    sock = connection.sock
    if sock is None:
        return True
    try:
        with selectors.DefaultSelector() as selector:
            selector.register(sock, selectors.EVENT_READ)
            return bool(selector.select(timeout=0))
    except (OSError, ValueError):
        return True


class BackOfficeClient:
    """Talks to the Remote Service back office over HTTPS (see ``docs/backoffice-api.md``).

    ``proxy`` is an explicit proxy (HTTPS is tunnelled through it with ``CONNECT``). Without it and with
    ``use_proxy`` true, the environment's ``https_proxy``/``no_proxy`` apply. ``sleep``, ``clock`` and
    ``log`` are injected (tests use a fake ``sleep``; ``log`` receives redacted debug lines).
    Retryable failures (connection errors, timeouts, truncated bodies, 429, 500, 502, 503, 504) are
    retried up to ``retries`` times with ``backoff_delay``, honouring ``Retry-After``.

    One HTTPS connection (through a proxy: one ``CONNECT`` tunnel) is kept alive and reused for the
    client's requests (HTTP/1.1 keep-alive). When the other end has closed it while idle, the next request
    opens a new one, once, without counting a failed attempt. Any failure closes it. Call ``close()`` when
    done, or use the client as a context manager. Not thread-safe: one client per thread.
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
        self._connection: http.client.HTTPSConnection | None = None
        self._redact = Redactor([verification_code if isinstance(verification_code, str) else None])
        if proxy is not None:
            self._redact.add(proxy.password)
            if proxy.username is not None:
                self._redact.add_basic(proxy.username, proxy.password)
        try:
            self.url = validate_base_url(url)
            self.organization_id = validate_organization_id(organization_id)
            self._verification_code = validate_verification_code(verification_code)
            self._redact.add_basic(self.organization_id, self._verification_code)
            if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not timeout > 0:
                raise BackOfficeError(
                    "invalid_input", f"timeout {shown(timeout)} must be a number of seconds above 0, like 10"
                )
            if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
                raise BackOfficeError(
                    "invalid_input", f"retries {shown(retries)} must be a whole number, 0 or more, like 3"
                )
            self.timeout = float(timeout)
            self.retries = retries
            parts = urllib.parse.urlsplit(self.url)
            self._host: str = parts.hostname or ""
            self._port: int = parts.port or 443
            self._path = parts.path
            self._endpoint = Endpoint(self.url, self.organization_id)
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

    def __enter__(self) -> BackOfficeClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # -- public API -------------------------------------------------------------------------------

    def close(self) -> None:
        """Close the kept-alive connection, if any; a later request opens a new one."""
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(OSError):
                connection.close()

    def ping(self) -> dict[str, Any]:
        """``GET /v1/ping`` with credentials: reachability and whether the credentials are valid."""
        try:
            answer = self._call(
                "/v1/ping", {}, lambda reply: ping_answer(self._endpoint, reply, now=self._clock())
            )
        except BackOfficeError as exc:
            raise exc.with_message(self._redact(exc.message)) from None
        return self._redact_data(answer)

    def latest_license(self, serial: str, etag: str | None = None) -> LicenseResult | NotModified:
        """``GET /v1/licenses/{serial}/latest``.

        With ``etag`` (unquoted, as stored from an earlier answer) the request is conditional and a 304
        answer returns ``NotModified``.
        """
        try:
            serial = validate_serial(serial)
            headers = {}
            if etag is not None:
                if unquote_etag(etag) != etag:
                    raise BackOfficeError(
                        "invalid_input", f"etag {shown(etag)} is not an unquoted entity tag such as a sha256"
                    )
                headers["If-None-Match"] = f'"{etag}"'
            path = f"/v1/licenses/{urllib.parse.quote(serial, safe='')}/latest"
            return self._call(
                path,
                headers,
                lambda reply: license_answer(
                    self._endpoint, reply, serial=serial, etag=etag, now=self._clock()
                ),
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
        return self._endpoint.authority

    def _environment_proxy(self) -> ProxySpec | None:
        raw = urllib.request.getproxies().get("https")
        if not raw or urllib.request.proxy_bypass(self._host):
            return None
        masked = re.sub(r"//[^@/]*@", "//" + REDACTED + "@", raw)
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
                f"the https_proxy environment variable {shown(masked)} is not an http://host:port proxy: fix "
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
            **extra,
        }

    def _call(self, path: str, extra: Mapping[str, str], handle: Callable[[Answer], T]) -> T:
        attempts = self.retries + 1
        via = f" via proxy {self.proxy.authority}" if self.proxy else ""
        for attempt in range(attempts):
            self._log(f"GET {self.url}{path}{via} (attempt {attempt + 1}/{attempts})")
            try:
                answer = self._exchange(path, self._headers(extra))
                self._log(f"GET {path}: HTTP {answer.status}, {len(answer.body)} bytes")
                return handle(answer)
            except BackOfficeError as exc:
                if not exc.retryable or attempt + 1 >= attempts:
                    if exc.retryable and attempts > 1:
                        raise exc.with_message(f"{exc.message} (gave up after {attempts} attempts)") from None
                    raise
                delay = backoff_delay(attempt, retry_after=exc.retry_after)
                self._log(f"{exc.kind}: {exc.message}; retrying in {delay:.1f} s")
                self._sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _open(self) -> http.client.HTTPSConnection:
        """A new connection (it connects, and opens the proxy tunnel, on its first request)."""
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

    def _round_trip(self, path: str, headers: Mapping[str, str]) -> Answer:
        """Send the request on the kept-alive connection, or on a new one; any failure closes it.

        A kept-alive connection that the other end closed while idle (seen before sending, or as a
        connection closed or reset without an answer) is replaced by a new one, once: that is how
        keep-alive ends, not a failure. A failure on a new connection is one.
        """
        try:
            if self._connection is not None:
                if _closed_by_peer(self._connection):
                    self._log("the kept-alive connection was closed by the other end; opening a new one")
                    self.close()
                else:
                    try:
                        return self._send(self._connection, path, headers)
                    except _IDLE_CLOSE_ERRORS as exc:
                        self._log(
                            f"the kept-alive connection was closed by the other end ({type(exc).__name__}) "
                            "before answering; opening a new one"
                        )
                        self.close()
            self._connection = self._open()
            return self._send(self._connection, path, headers)
        except BaseException:
            self.close()
            raise

    def _send(self, connection: http.client.HTTPSConnection, path: str, headers: Mapping[str, str]) -> Answer:
        connection.request("GET", self._path + path, headers=dict(headers))
        response = connection.getresponse()
        body = response.read()
        if response.will_close:  # "Connection: close", HTTP/1.0, or a body that ends with the connection
            self.close()
        return Answer(response.status, response.headers, body)

    def _exchange(self, path: str, headers: Mapping[str, str]) -> Answer:
        """One request; transport failures become ``BackOfficeError``s (no chained exceptions)."""
        target = self._authority
        hop = f"the proxy {self.proxy.authority} (for {target})" if self.proxy else target
        proxy_hint = (
            f"check the proxy option (host:port) and that the proxy allows CONNECT to port {self._port}"
            if self.proxy
            else "if the back office is only reachable through a proxy, set proxy (host:port), or keep "
            "use_proxy true and set https_proxy"
        )
        try:
            return self._round_trip(path, headers)
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

    def _connect_error(self, exc: OSError, hop: str, proxy_hint: str) -> BackOfficeError:
        tunnel = re.match(r"Tunnel connection failed: (\d{3})\s*(.*)", str(exc))
        if tunnel and self.proxy is not None:
            code = int(tunnel.group(1))
            # An answer to CONNECT comes from the proxy itself: 401 (tinyproxy < 1.11.2) means 407.
            if code in (401, 407):
                return BackOfficeError(
                    "unreachable",
                    f"the proxy {self.proxy.authority} requires authentication or refused the credentials "
                    f"(HTTP {code}): check proxy_username and proxy_password",
                    status=code,
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
