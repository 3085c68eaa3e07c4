"""Unit tests of plugins/module_utils/backoffice.py: the client against an in-process HTTPS server (with
the lab PKI, `pki` fixture) and a CONNECT proxy. The server keeps connections alive (HTTP/1.1)
like the lab simulator does, and counts the TLS connections it accepted.

No real sleeping: the client gets a fake `sleep` that records the delays it was asked to wait.
"""

from __future__ import annotations

import base64
import contextlib
import email.utils
import json
import select
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from ansible_collections.printops.prismadirect.plugins.module_utils.backoffice import (
    USER_AGENT,
    BackOfficeClient,
)
from ansible_collections.printops.prismadirect.plugins.module_utils.backoffice_errors import (
    ERROR_KINDS,
    REDACTED,
    BackOfficeError,
)
from ansible_collections.printops.prismadirect.plugins.module_utils.backoffice_inputs import (
    ProxySpec,
    validate_proxy,
)
from ansible_collections.printops.prismadirect.plugins.module_utils.backoffice_payload import (
    LicenseResult,
    NotModified,
)

from .backoffice_samples import CODE, NOW, ORG, PROXY_PASSWORD, SERIAL, license_text, payload

if TYPE_CHECKING:
    from conftest import Pki

# --------------------------------------------------------------------------------------------------
# In-process HTTPS back office and CONNECT proxy


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # dict/list -> JSON; bytes/str as they are
    headers: dict[str, str] = field(default_factory=dict)
    truncate: bool = False  # announce the full Content-Length, send half, close
    no_length: bool = False  # no Content-Length (body ends when the connection closes)
    hang_up: bool = False  # read the request, then close the connection without answering
    delay: float = 0.0  # seconds to wait before answering


class _TLSServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, handler: type[BaseHTTPRequestHandler], context: ssl.SSLContext, app: FakeBackOffice):
        super().__init__(("127.0.0.1", 0), handler)
        self.context = context
        self.app = app

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that went away (timeout tests): nothing to report

    def finish_request(self, request: socket.socket, client_address: Any) -> None:  # type: ignore[override]
        request.settimeout(5)  # also how long an idle kept-alive connection stays open
        # headers and body go out in two writes: without this, Nagle's algorithm holds the body back
        # until the client's delayed ACK (40 ms) on a kept-alive connection (the lab simulator does it too)
        request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            tls = self.context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return  # the client refused our certificate: nothing to serve
        self.app.connections.append(client_address)
        self.app.open_sockets.append(tls)
        try:
            self.RequestHandlerClass(tls, client_address, self)
        finally:
            self.app.open_sockets.remove(tls)
            tls.close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like the lab simulator
    server: _TLSServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        app = self.server.app
        app.requests.append({"path": self.path, "headers": dict(self.headers.items())})
        reply = app.next_reply(self.path, self.headers)
        if reply.delay:
            time.sleep(reply.delay)
        if reply.hang_up:
            self.close_connection = True
            return
        body = reply.body
        if isinstance(body, dict | list):
            body = json.dumps(body).encode()
        elif isinstance(body, str):
            body = body.encode()
        body = body or b""
        self.send_response(reply.status)
        if body:
            self.send_header("Content-Type", "application/json")
        if reply.no_length:
            self.send_header("Connection", "close")
        else:
            self.send_header("Content-Length", str(len(body)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body[: len(body) // 2] if reply.truncate else body)
        self.wfile.flush()
        if reply.truncate:
            self.close_connection = True


class FakeBackOffice:
    """Scripted back office: `replies` are served in order, then `default` (a Reply or a callable).

    `connections` records each TLS connection accepted; `open_sockets` holds those still open.
    """

    def __init__(self, pki: Pki) -> None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(pki.cert_file, pki.key_file)
        self.replies: list[Reply] = []
        self.default: Reply | Callable[[str, Any], Reply] = self.licenses
        self.requests: list[dict[str, Any]] = []
        self.connections: list[Any] = []
        self.open_sockets: list[ssl.SSLSocket] = []
        self.catalogue: dict[str, dict[str, Any]] = {SERIAL: payload()}
        self._server = _TLSServer(_Handler, context, self)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self._server.server_address[1]}/rs"

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def next_reply(self, path: str, headers: Any) -> Reply:
        if self.replies:
            return self.replies.pop(0)
        return self.default(path, headers) if callable(self.default) else self.default

    def licenses(self, path: str, headers: Any) -> Reply:
        """The contract's happy path: 200 with ETag, or 304 when If-None-Match matches."""
        if path == "/rs/v1/ping":
            return Reply(body={"status": "ok", "api": "v1", "authenticated": True})
        serial = path.split("/")[-2] if path.startswith("/rs/v1/licenses/") else None
        if serial not in self.catalogue:
            return Reply(404, {"error": "unknown_serial", "message": "no such serial"})
        body = self.catalogue[serial]
        etag = f'"{body["sha256"]}"'
        if headers.get("If-None-Match") == etag:
            return Reply(304, headers={"ETag": etag})
        return Reply(200, body, headers={"ETag": etag, "Cache-Control": "no-cache"})

    def close_idle_connections(self) -> None:
        """Close the kept-alive connections, as a server does when its idle timeout expires."""
        for sock in list(self.open_sockets):
            with contextlib.suppress(OSError):
                socket.socket.shutdown(sock, socket.SHUT_RDWR)  # the TCP socket, under the TLS layer

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class ConnectProxy:
    """A tiny CONNECT-only HTTP proxy; with `credentials`, it demands Proxy-Authorization: Basic."""

    def __init__(self, credentials: tuple[str, str] | None = None) -> None:
        self.credentials = credentials
        self.connects: list[dict[str, str]] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._stop = False
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def authority(self) -> str:
        return f"127.0.0.1:{self._listener.getsockname()[1]}"

    def _serve(self) -> None:
        while not self._stop:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._tunnel, args=(client,), daemon=True).start()

    def _tunnel(self, client: socket.socket) -> None:
        with client:
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = client.recv(4096)
                if not chunk:
                    return
                data += chunk
            head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
            _method, target, _ = head[0].split(" ", 2)
            headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in head[1:])}
            self.connects.append({"target": target, "auth": headers.get("proxy-authorization", "")})
            if self.credentials is not None:
                token = base64.b64encode(":".join(self.credentials).encode()).decode()
                if headers.get("proxy-authorization") != f"Basic {token}":
                    client.sendall(b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n")
                    return
            host, port = target.rsplit(":", 1)
            try:
                upstream = socket.create_connection((host, int(port)), timeout=5)
            except OSError:
                client.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
                return
            with upstream:
                for sock in (client, upstream):  # relay each chunk at once (see _TLSServer)
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                sockets = [client, upstream]
                while True:
                    readable, _, _ = select.select(sockets, [], [], 5)
                    if not readable:
                        return
                    for sock in readable:
                        try:
                            chunk = sock.recv(65536)
                            if chunk:
                                (upstream if sock is client else client).sendall(chunk)
                        except OSError:
                            chunk = b""
                        if not chunk:
                            return

    def close(self) -> None:
        self._stop = True
        self._listener.close()


@pytest.fixture(autouse=True)
def _no_environment_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)


@pytest.fixture
def backoffice(pki: Pki) -> Iterator[FakeBackOffice]:
    server = FakeBackOffice(pki)
    yield server
    server.close()


@dataclass
class Recorder:
    sleeps: list[float] = field(default_factory=list)
    logs: list[str] = field(default_factory=list)


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


def make_client(
    backoffice: FakeBackOffice | str, pki: Pki, recorder: Recorder, **kwargs: Any
) -> BackOfficeClient:
    url = backoffice if isinstance(backoffice, str) else backoffice.url
    options: dict[str, Any] = {
        "ca_path": pki.ca_file,
        "retries": 3,
        "timeout": 5.0,
        "sleep": recorder.sleeps.append,
        "clock": lambda: NOW,
        "log": recorder.logs.append,
    }
    options.update(kwargs)
    return BackOfficeClient(url, ORG, CODE, **options)


# --------------------------------------------------------------------------------------------------
# Client: happy paths


def test_latest_license_ok(backoffice: FakeBackOffice, pki: Pki, recorder: Recorder) -> None:
    client = make_client(backoffice, pki, recorder)
    result = client.latest_license(SERIAL)
    assert isinstance(result, LicenseResult)
    assert result.content == license_text()
    assert result.etag == result.sha256
    (request,) = backoffice.requests
    assert request["path"] == "/rs/v1/licenses/PDS-100001/latest"
    token = base64.b64encode(f"{ORG}:{CODE}".encode()).decode()
    assert request["headers"]["Authorization"] == f"Basic {token}"
    assert request["headers"]["User-Agent"] == USER_AGENT
    assert "If-None-Match" not in request["headers"]
    assert recorder.sleeps == []
    assert any("HTTP 200" in line for line in recorder.logs)


def test_conditional_request_not_modified(backoffice: FakeBackOffice, pki: Pki, recorder: Recorder) -> None:
    client = make_client(backoffice, pki, recorder)
    first = client.latest_license(SERIAL)
    assert isinstance(first, LicenseResult)
    again = client.latest_license(SERIAL, etag=first.etag)
    assert again == NotModified(first.sha256)
    assert backoffice.requests[1]["headers"]["If-None-Match"] == f'"{first.sha256}"'
    backoffice.catalogue[SERIAL] = payload(content=license_text(users=50))
    changed = client.latest_license(SERIAL, etag=first.etag)
    assert isinstance(changed, LicenseResult) and changed.sha256 != first.sha256
    with pytest.raises(BackOfficeError, match="entity tag"):
        client.latest_license(SERIAL, etag='"quoted"')


def test_ping(backoffice: FakeBackOffice, pki: Pki, recorder: Recorder) -> None:
    assert make_client(backoffice, pki, recorder).ping()["authenticated"] is True
    assert backoffice.requests[0]["path"] == "/rs/v1/ping"


def test_validate_certs_false_accepts_unknown_ca(
    backoffice: FakeBackOffice, pki: Pki, recorder: Recorder
) -> None:
    client = make_client(backoffice, pki, recorder, ca_path=None, validate_certs=False)
    assert isinstance(client.latest_license(SERIAL), LicenseResult)


# --------------------------------------------------------------------------------------------------
# Client: one kept-alive connection


def _wait_until(condition: Callable[[], bool], seconds: float = 5.0) -> bool:
    """Poll `condition` (the server's threads see a closed connection a moment after the client)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def _reconnect_lines(recorder: Recorder) -> list[str]:
    return [line for line in recorder.logs if "kept-alive connection was closed" in line]


def test_requests_share_one_connection(backoffice: FakeBackOffice, pki: Pki, recorder: Recorder) -> None:
    client = make_client(backoffice, pki, recorder)
    first = client.latest_license(SERIAL)
    assert isinstance(first, LicenseResult)
    assert client.latest_license(SERIAL, etag=first.etag) == NotModified(first.sha256)
    assert client.ping()["status"] == "ok"
    with pytest.raises(BackOfficeError) as info:
        client.latest_license("PDS-404")  # a refusal is an answer: the connection stays usable
    assert info.value.kind == "unknown_serial"
    assert isinstance(client.latest_license(SERIAL), LicenseResult)
    assert len(backoffice.requests) == 5
    assert len(backoffice.connections) == 1
    assert "Connection" not in backoffice.requests[0]["headers"]  # HTTP/1.1: keep-alive by default
    assert recorder.sleeps == [] and _reconnect_lines(recorder) == []


def test_close_and_context_manager(backoffice: FakeBackOffice, pki: Pki, recorder: Recorder) -> None:
    with make_client(backoffice, pki, recorder) as client:
        client.latest_license(SERIAL)
        client.latest_license(SERIAL)
        assert len(backoffice.open_sockets) == 1
    assert _wait_until(lambda: not backoffice.open_sockets), "the client did not close its connection"
    assert isinstance(client.latest_license(SERIAL), LicenseResult)  # a closed client connects again
    assert len(backoffice.connections) == 2
    client.close()
    client.close()  # closing twice is harmless
    assert _wait_until(lambda: not backoffice.open_sockets)


def test_idle_connection_closed_by_the_server_is_replaced_without_a_retry(
    backoffice: FakeBackOffice, pki: Pki, recorder: Recorder
) -> None:
    client = make_client(backoffice, pki, recorder, retries=0)  # no retry to spend
    assert isinstance(client.latest_license(SERIAL), LicenseResult)
    backoffice.close_idle_connections()
    assert _wait_until(lambda: not backoffice.open_sockets)
    assert isinstance(client.latest_license(SERIAL), LicenseResult)
    assert len(backoffice.connections) == 2 and len(backoffice.requests) == 2
    assert recorder.sleeps == []
    (line,) = _reconnect_lines(recorder)
    assert "before answering" not in line  # seen before sending anything
    assert not any("retrying" in line for line in recorder.logs)


def test_connection_dropped_before_answering_when_reused_is_replaced_without_a_retry(
    backoffice: FakeBackOffice, pki: Pki, recorder: Recorder
) -> None:
    """The server's idle timer fired just as the request arrived: it read it and closed, no answer."""
    client = make_client(backoffice, pki, recorder, retries=0)
    assert isinstance(client.latest_license(SERIAL), LicenseResult)
    backoffice.replies = [Reply(hang_up=True)]
    assert isinstance(client.latest_license(SERIAL), LicenseResult)
    assert len(backoffice.connections) == 2 and len(backoffice.requests) == 3
    assert recorder.sleeps == []
    (line,) = _reconnect_lines(recorder)
    assert "before answering" in line


def test_connection_dropped_before_answering_when_new_is_a_failed_attempt(
    backoffice: FakeBackOffice, pki: Pki, recorder: Recorder
) -> None:
    backoffice.replies = [Reply(hang_up=True)]
    assert isinstance(make_client(backoffice, pki, recorder).latest_license(SERIAL), LicenseResult)
    assert recorder.sleeps == [1.0] and _reconnect_lines(recorder) == []

    backoffice.replies = [Reply(hang_up=True)]
    with pytest.raises(BackOfficeError) as info:
        make_client(backoffice, pki, recorder, retries=0).latest_license(SERIAL)
    assert (
        info.value.kind == "unreachable" and "closed the connection without answering" in info.value.message
    )


def test_dropped_twice_in_a_row_counts_once_as_a_failed_attempt(
    backoffice: FakeBackOffice, pki: Pki, recorder: Recorder
) -> None:
    client = make_client(backoffice, pki, recorder)
    assert isinstance(client.latest_license(SERIAL), LicenseResult)
    backoffice.replies = [Reply(hang_up=True), Reply(hang_up=True)]
    assert isinstance(client.latest_license(SERIAL), LicenseResult)
    assert recorder.sleeps == [1.0]  # the reused connection is replaced free once; the new one failed
    assert len(backoffice.connections) == 3


def test_a_failure_closes_the_connection(backoffice: FakeBackOffice, pki: Pki, recorder: Recorder) -> None:
    client = make_client(backoffice, pki, recorder, timeout=0.2)
    assert isinstance(client.latest_license(SERIAL), LicenseResult)
    backoffice.replies = [Reply(delay=0.5)]  # the answer comes too late: timeout, then a new connection
    assert isinstance(client.latest_license(SERIAL), LicenseResult)
    assert recorder.sleeps == [1.0]
    assert len(backoffice.connections) == 2
    assert any(line.startswith("timeout:") for line in recorder.logs)


# --------------------------------------------------------------------------------------------------
# Client: retries


def test_retries_honour_retry_after(backoffice: FakeBackOffice, pki: Pki, recorder: Recorder) -> None:
    busy = Reply(503, {"error": "unavailable", "message": "maintenance window"}, {"Retry-After": "7"})
    backoffice.replies = [busy, busy]
    result = make_client(backoffice, pki, recorder).latest_license(SERIAL)
    assert isinstance(result, LicenseResult)
    assert recorder.sleeps == [7.0, 7.0]
    assert len(backoffice.requests) == 3
    assert any("retrying in 7.0 s" in line for line in recorder.logs)


def test_retry_after_http_date_and_429(backoffice: FakeBackOffice, pki: Pki, recorder: Recorder) -> None:
    when = email.utils.formatdate(NOW + 12, usegmt=True)
    backoffice.replies = [Reply(429, {"error": "too_many_requests"}, {"Retry-After": when})]
    assert isinstance(make_client(backoffice, pki, recorder).latest_license(SERIAL), LicenseResult)
    assert recorder.sleeps == [12.0]


def test_exponential_backoff_without_retry_after(
    backoffice: FakeBackOffice, pki: Pki, recorder: Recorder
) -> None:
    backoffice.replies = [
        Reply(500, {"error": "server_error"}),
        Reply(502),
        Reply(504, b"<html>gateway</html>"),
    ]
    assert isinstance(make_client(backoffice, pki, recorder).latest_license(SERIAL), LicenseResult)
    assert recorder.sleeps == [1.0, 2.0, 4.0]


def test_gives_up_after_retries(backoffice: FakeBackOffice, pki: Pki, recorder: Recorder) -> None:
    backoffice.default = Reply(503, {"error": "unavailable", "message": "overloaded"}, {"Retry-After": "1"})
    with pytest.raises(BackOfficeError) as info:
        make_client(backoffice, pki, recorder, retries=2).latest_license(SERIAL)
    assert info.value.kind == "unavailable" and info.value.status == 503
    assert "gave up after 3 attempts" in info.value.message
    assert "overloaded" in info.value.message
    assert len(backoffice.requests) == 3 and recorder.sleeps == [1.0, 1.0]


def test_retries_zero_means_one_attempt(backoffice: FakeBackOffice, pki: Pki, recorder: Recorder) -> None:
    backoffice.default = Reply(500)
    with pytest.raises(BackOfficeError) as info:
        make_client(backoffice, pki, recorder, retries=0).latest_license(SERIAL)
    assert info.value.kind == "server_error" and "gave up" not in info.value.message
    assert len(backoffice.requests) == 1 and recorder.sleeps == []


REFUSALS = [
    (400, {"error": "bad_request", "message": "malformed serial"}, "bad_request", ["malformed serial"]),
    (401, {"error": "unauthorized"}, "unauthorized", ["organization_id", "verification_code", ORG]),
    (
        403,
        {"error": "not_entitled", "message": "Maintenance ended.", "maintenance_end": "2025-06-30"},
        "not_entitled",
        ["2025-06-30", "maintenance contract must be extended", SERIAL],
    ),
    (404, {"error": "unknown_serial"}, "unknown_serial", [SERIAL, ORG, "belongs to this organization_id"]),
    (501, {"error": "server_error"}, "server_error", ["HTTP 501"]),
    (302, b"", "protocol", ["HTTP 302", "url"]),
]


@pytest.mark.parametrize(("status", "body", "kind", "fragments"), REFUSALS, ids=[str(r[0]) for r in REFUSALS])
def test_refusals_are_not_retried(
    backoffice: FakeBackOffice,
    pki: Pki,
    recorder: Recorder,
    status: int,
    body: Any,
    kind: str,
    fragments: list[str],
) -> None:
    backoffice.default = Reply(status, body, {"WWW-Authenticate": 'Basic realm="remote-service"'})
    with pytest.raises(BackOfficeError) as info:
        make_client(backoffice, pki, recorder).latest_license(SERIAL)
    assert (info.value.kind, info.value.status, info.value.retryable) == (kind, status, False)
    for fragment in fragments:
        assert fragment in info.value.message
    assert len(backoffice.requests) == 1 and recorder.sleeps == []
    if kind == "not_entitled":
        assert info.value.maintenance_end == "2025-06-30"


def test_verification_failures_are_not_retried(
    backoffice: FakeBackOffice, pki: Pki, recorder: Recorder
) -> None:
    backoffice.catalogue[SERIAL] = payload(sha256="0" * 64)
    with pytest.raises(BackOfficeError) as info:
        make_client(backoffice, pki, recorder).latest_license(SERIAL)
    assert info.value.kind == "checksum"
    assert len(backoffice.requests) == 1 and recorder.sleeps == []


# --------------------------------------------------------------------------------------------------
# Client: truncation, transport failures


def test_truncated_body_is_retried(backoffice: FakeBackOffice, pki: Pki, recorder: Recorder) -> None:
    backoffice.replies = [Reply(200, payload(), truncate=True)]
    assert isinstance(make_client(backoffice, pki, recorder).latest_license(SERIAL), LicenseResult)
    assert recorder.sleeps == [1.0] and len(backoffice.requests) == 2
    assert any(line.startswith("truncated:") for line in recorder.logs)


def test_truncated_body_gives_up(backoffice: FakeBackOffice, pki: Pki, recorder: Recorder) -> None:
    backoffice.default = Reply(200, payload(), truncate=True)
    with pytest.raises(BackOfficeError) as info:
        make_client(backoffice, pki, recorder, retries=1).latest_license(SERIAL)
    assert info.value.kind == "truncated" and "cut off" in info.value.message


def test_cut_json_without_content_length_is_truncated(
    backoffice: FakeBackOffice, pki: Pki, recorder: Recorder
) -> None:
    text = json.dumps(payload())
    backoffice.default = Reply(200, text[: len(text) // 2], no_length=True)
    with pytest.raises(BackOfficeError) as info:
        make_client(backoffice, pki, recorder, retries=0).latest_license(SERIAL)
    assert info.value.kind == "truncated"


def test_non_json_body_is_protocol(backoffice: FakeBackOffice, pki: Pki, recorder: Recorder) -> None:
    backoffice.default = Reply(200, b"<html>login page</html>")
    with pytest.raises(BackOfficeError) as info:
        make_client(backoffice, pki, recorder).latest_license(SERIAL)
    assert info.value.kind == "protocol" and "url" in info.value.message
    assert len(backoffice.requests) == 1


def test_tls_failure_without_ca(backoffice: FakeBackOffice, pki: Pki, recorder: Recorder) -> None:
    for ca_path in (None, pki.other_ca_file):
        with pytest.raises(BackOfficeError) as info:
            make_client(backoffice, pki, recorder, ca_path=ca_path).latest_license(SERIAL)
        assert info.value.kind == "tls" and not info.value.retryable
        assert "ca_path" in info.value.message and f"127.0.0.1:{backoffice.port}" in info.value.message
    assert recorder.sleeps == []


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_unreachable_is_retried_and_names_host_and_proxy(pki: Pki, recorder: Recorder) -> None:
    port = _closed_port()
    with pytest.raises(BackOfficeError) as info:
        make_client(f"https://127.0.0.1:{port}/rs", pki, recorder, retries=2).latest_license(SERIAL)
    assert info.value.kind == "unreachable" and info.value.status is None
    assert f"127.0.0.1:{port}" in info.value.message
    assert "proxy" in info.value.message and "use_proxy" in info.value.message
    assert recorder.sleeps == [1.0, 2.0]


def test_unresolvable_host(pki: Pki, recorder: Recorder) -> None:
    with pytest.raises(BackOfficeError) as info:
        make_client("https://backoffice.invalid/rs", pki, recorder, retries=0).latest_license(SERIAL)
    assert info.value.kind == "unreachable" and "backoffice.invalid" in info.value.message


def test_timeout(pki: Pki, recorder: Recorder) -> None:
    silent = socket.create_server(("127.0.0.1", 0))  # accepts TCP (backlog) but never answers TLS
    try:
        url = f"https://127.0.0.1:{silent.getsockname()[1]}/rs"
        with pytest.raises(BackOfficeError) as info:
            make_client(url, pki, recorder, retries=1, timeout=0.2).latest_license(SERIAL)
    finally:
        silent.close()
    assert info.value.kind == "timeout" and info.value.retryable
    assert "0.2 seconds" in info.value.message and "timeout" in info.value.message
    assert recorder.sleeps == [1.0]


# --------------------------------------------------------------------------------------------------
# Client: proxies


def test_explicit_proxy_with_credentials(backoffice: FakeBackOffice, pki: Pki, recorder: Recorder) -> None:
    proxy = ConnectProxy(("svc-ors", PROXY_PASSWORD))
    try:
        spec = validate_proxy(proxy.authority, "svc-ors", PROXY_PASSWORD)
        client = make_client(backoffice, pki, recorder, proxy=spec)
        assert isinstance(client.latest_license(SERIAL), LicenseResult)
        assert proxy.connects[0]["target"] == f"127.0.0.1:{backoffice.port}"
        assert proxy.connects[0]["auth"] == spec.authorization()
        assert any(f"via proxy {proxy.authority}" in line for line in recorder.logs)

        wrong = validate_proxy(proxy.authority, "svc-ors", "wrong-" + PROXY_PASSWORD)
        with pytest.raises(BackOfficeError) as info:
            make_client(backoffice, pki, recorder, proxy=wrong).latest_license(SERIAL)
    finally:
        proxy.close()
    assert info.value.kind == "unreachable" and info.value.status == 407 and not info.value.retryable
    assert "proxy_username" in info.value.message
    assert PROXY_PASSWORD not in info.value.message and PROXY_PASSWORD not in repr(client)
    assert len(backoffice.requests) == 1


def test_environment_proxy(
    backoffice: FakeBackOffice, pki: Pki, recorder: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy = ConnectProxy(("env-user", PROXY_PASSWORD))
    try:
        monkeypatch.setenv("https_proxy", f"http://env-user:{PROXY_PASSWORD}@{proxy.authority}")
        client = make_client(backoffice, pki, recorder)
        assert client.proxy is not None and client.proxy.authority == proxy.authority
        assert isinstance(client.latest_license(SERIAL), LicenseResult)
        assert len(proxy.connects) == 1

        direct = make_client(backoffice, pki, recorder, use_proxy=False)
        assert direct.proxy is None
        monkeypatch.setenv("no_proxy", "127.0.0.1")
        assert make_client(backoffice, pki, recorder).proxy is None

        monkeypatch.delenv("no_proxy")
        monkeypatch.setenv("https_proxy", f"https://env-user:{PROXY_PASSWORD}@{proxy.authority}")
        with pytest.raises(BackOfficeError) as info:
            make_client(backoffice, pki, recorder)
    finally:
        proxy.close()
    assert "https_proxy" in info.value.message and PROXY_PASSWORD not in info.value.message
    assert all(PROXY_PASSWORD not in line for line in recorder.logs)


def test_proxy_refusing_tunnel(pki: Pki, recorder: Recorder) -> None:
    proxy = ConnectProxy()
    try:
        spec = validate_proxy(proxy.authority)
        url = f"https://127.0.0.1:{_closed_port()}/rs"
        with pytest.raises(BackOfficeError) as info:
            make_client(url, pki, recorder, proxy=spec, retries=1).latest_license(SERIAL)
    finally:
        proxy.close()
    assert info.value.kind == "unreachable" and info.value.status == 502 and info.value.retryable
    assert "CONNECT" in info.value.message


def test_proxy_tunnel_is_kept_alive_and_reopened(
    backoffice: FakeBackOffice, pki: Pki, recorder: Recorder
) -> None:
    proxy = ConnectProxy(("svc-ors", PROXY_PASSWORD))
    try:
        client = make_client(
            backoffice,
            pki,
            recorder,
            retries=0,
            proxy=validate_proxy(proxy.authority, "svc-ors", PROXY_PASSWORD),
        )
        for _ in range(3):
            assert isinstance(client.latest_license(SERIAL), LicenseResult)
        assert len(proxy.connects) == 1 and len(backoffice.connections) == 1

        backoffice.close_idle_connections()  # the proxy then closes the tunnel too
        assert _wait_until(lambda: not backoffice.open_sockets)
        assert isinstance(client.latest_license(SERIAL), LicenseResult)
        assert len(proxy.connects) == 2 and len(backoffice.connections) == 2
        assert recorder.sleeps == [] and len(_reconnect_lines(recorder)) == 1
        client.close()
    finally:
        proxy.close()


# --------------------------------------------------------------------------------------------------
# Constructor validation


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"url": "http://h/rs"}, "https://"),
        ({"organization_id": ""}, "organization_id is empty"),
        ({"organization_id": "a:b"}, "':'"),
        ({"verification_code": ""}, "verification_code is empty"),
        ({"verification_code": CODE + "\n"}, "control characters"),
        ({"timeout": 0}, "timeout"),
        ({"timeout": "10"}, "timeout"),
        ({"retries": -1}, "retries"),
        ({"retries": 1.5}, "retries"),
        ({"ca_path": "/nonexistent/ca.pem"}, "ca_path"),
    ],
)
def test_constructor_validation(kwargs: dict[str, Any], fragment: str, tmp_path: Path) -> None:
    arguments: dict[str, Any] = {"url": "https://h/rs", "organization_id": ORG, "verification_code": CODE}
    arguments.update(kwargs)
    with pytest.raises(BackOfficeError) as info:
        BackOfficeClient(
            arguments.pop("url"),
            arguments.pop("organization_id"),
            arguments.pop("verification_code"),
            **arguments,
        )
    assert info.value.kind == "invalid_input" and fragment in info.value.message
    assert CODE not in info.value.message


def test_bad_ca_file(tmp_path: Path) -> None:
    bad = tmp_path / "ca.pem"
    bad.write_text("not a certificate")
    with pytest.raises(BackOfficeError, match="PEM") as info:
        BackOfficeClient("https://h/rs", ORG, CODE, ca_path=str(bad))
    assert info.value.kind == "invalid_input"


# --------------------------------------------------------------------------------------------------
# Secrets never leak, whatever fails


def _echo(status: int, **extra: Any) -> Reply:
    """An error answer whose message echoes the secrets (a buggy or hostile back office)."""
    return Reply(status, {"error": "x", "message": f"bad code {CODE} / {PROXY_PASSWORD}", **extra})


def _leaky(**changes: Any) -> Reply:
    return Reply(200, payload(**changes))


LEAKS: list[tuple[str, Callable[[FakeBackOffice], dict[str, Any]]]] = [
    ("bad_request", lambda b: {"reply": _echo(400)}),
    ("unauthorized", lambda b: {"reply": _echo(401)}),
    ("not_entitled", lambda b: {"reply": _echo(403, maintenance_end="2025-06-30")}),
    ("unknown_serial", lambda b: {"reply": _echo(404)}),
    ("unavailable", lambda b: {"reply": _echo(503)}),
    ("server_error", lambda b: {"reply": _echo(500)}),
    ("protocol", lambda b: {"reply": _echo(418)}),
    ("checksum", lambda b: {"reply": _leaky(sha256="0" * 64)}),
    ("unsafe_file_name", lambda b: {"reply": _leaky(file_name=f"../{CODE}.lic")}),
    ("not_a_license", lambda b: {"reply": _leaky(content=f"{CODE} {PROXY_PASSWORD} <html>")}),
    ("serial_mismatch", lambda b: {"reply": _leaky(content=license_text(CODE), serial=CODE)}),
    ("truncated", lambda b: {"reply": Reply(200, payload(), truncate=True)}),
    ("tls", lambda b: {"ca_path": None}),
    ("unreachable", lambda b: {"url": f"https://127.0.0.1:{_closed_port()}/{CODE}"}),
    ("invalid_input", lambda b: {"url": f"https://127.0.0.1/rs?code={CODE}"}),
    ("invalid_input", lambda b: {"serial": CODE + "/x"}),
]


@pytest.mark.parametrize(("kind", "setup"), LEAKS, ids=[f"{kind}-{n}" for n, (kind, _) in enumerate(LEAKS)])
def test_secrets_never_leak(
    backoffice: FakeBackOffice,
    pki: Pki,
    recorder: Recorder,
    kind: str,
    setup: Callable[[FakeBackOffice], Any],
) -> None:
    plan = setup(backoffice)
    if "reply" in plan:
        backoffice.default = plan["reply"]
    proxy = ConnectProxy(("svc", PROXY_PASSWORD))
    try:
        options: dict[str, Any] = {"retries": 1}
        if "ca_path" in plan:
            options["ca_path"] = plan["ca_path"]
        if "url" not in plan:  # through an authenticating proxy, so the proxy password is in play too
            options["proxy"] = validate_proxy(proxy.authority, "svc", PROXY_PASSWORD)
        with pytest.raises(BackOfficeError) as info:
            client = make_client(plan.get("url", backoffice), pki, recorder, **options)
            client.latest_license(plan.get("serial", SERIAL))
    finally:
        proxy.close()
    error = info.value
    assert error.kind == kind
    for secret in (CODE, PROXY_PASSWORD):
        assert secret not in str(error)
        assert secret not in repr(error)
        assert secret not in repr(error.to_dict())
        assert all(secret not in line for line in recorder.logs)
    assert error.__cause__ is None and error.__suppress_context__
    if kind in ("bad_request", "unauthorized", "unknown_serial", "not_a_license"):
        assert REDACTED in error.message


def test_every_error_kind_is_covered_by_the_leak_test() -> None:
    covered = {kind for kind, _ in LEAKS} | {"timeout"}  # timeout: see test_timeout_does_not_leak
    assert covered == ERROR_KINDS


def test_timeout_does_not_leak(pki: Pki, recorder: Recorder) -> None:
    silent = socket.create_server(("127.0.0.1", 0))
    try:
        url = f"https://127.0.0.1:{silent.getsockname()[1]}/{CODE}"
        with pytest.raises(BackOfficeError) as info:
            make_client(url, pki, recorder, retries=1, timeout=0.1).latest_license(SERIAL)
    finally:
        silent.close()
    assert info.value.kind == "timeout"
    assert CODE not in str(info.value) and CODE not in repr(info.value)
    assert all(CODE not in line for line in recorder.logs)


def test_client_repr_and_ping_hide_secrets(backoffice: FakeBackOffice, pki: Pki, recorder: Recorder) -> None:
    backoffice.default = Reply(200, {"status": "ok", "echo": CODE, CODE: [CODE]})
    client = make_client(backoffice, pki, recorder)
    assert CODE not in repr(client)
    assert CODE not in json.dumps(client.ping())
    assert isinstance(ProxySpec("h", 1, "u", PROXY_PASSWORD), ProxySpec)
    assert PROXY_PASSWORD not in repr(ProxySpec("h", 1, "u", PROXY_PASSWORD))
