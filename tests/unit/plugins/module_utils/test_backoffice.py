"""Unit tests of plugins/module_utils/backoffice.py: tables for the pure helpers, and the client
against an in-process HTTPS server (a throwaway CA made with `cryptography`) and CONNECT proxy.

No real sleeping: the client gets a fake `sleep` that records the delays it was asked to wait.
"""

from __future__ import annotations

import base64
import datetime as dt
import email.utils
import hashlib
import json
import select
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from ansible_collections.printops.prismadirect.plugins.module_utils.backoffice import (
    ERROR_KINDS,
    REDACTED,
    USER_AGENT,
    BackOfficeClient,
    BackOfficeError,
    LicenseResult,
    NotModified,
    ProxySpec,
    Redactor,
    backoff_delay,
    parse_retry_after,
    safe_license_file_name,
    validate_base_url,
    validate_proxy,
    validate_serial,
    verify_license_payload,
)
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

CODE = "s3cr3t-Verif1cation-Code"
PROXY_PASSWORD = "pr0xy-Pa55w0rd"
ORG = "PRS-TEST-ORG"
SERIAL = "PDS-100001"


def license_text(serial: str = SERIAL, users: int = 25, issued: str = "01-nov-2026") -> str:
    tail = 'VENDOR_STRING="MAINTENANCE=2027-12-31" SIGN="0000 1111"'
    return (
        "SERVER this_host 025044000001 27000\n"
        "VENDOR prismad PORT=27010\n"
        f"FEATURE PRISMAdirect prismad 2026.1 31-dec-2027 1 SN={serial} ISSUED={issued} \\\n"
        f"        {tail}\n"
        f"FEATURE PD_USERS prismad 2026.1 31-dec-2027 {users} SN={serial} ISSUED={issued} \\\n"
        f"        {tail}\n"
    )


def payload(serial: str = SERIAL, content: str | None = None, **changes: Any) -> dict[str, Any]:
    content = license_text(serial) if content is None else content
    body = {
        "serial": serial,
        "issued": "2026-11-01",
        "license_expiry": "2027-12-31",
        "maintenance_end": "2027-12-31",
        "features": [
            {"name": "PRISMAdirect", "version": "2026.1", "count": 1, "expiry": "2027-12-31"},
            {"name": "PD_USERS", "version": "2026.1", "count": 25, "expiry": "2027-12-31"},
        ],
        "users": 25,
        "file_name": f"{serial}.lic",
        "sha256": hashlib.sha256(content.encode("utf-8")).hexdigest(),
        "content": content,
    }
    body.update(changes)
    return body


# --------------------------------------------------------------------------------------------------
# Pure helpers

SERIALS_OK = ["PDS-100001", "A", "a" * 64, "x.y_z-1", "9"]
SERIALS_BAD = [
    "",
    "-abc",
    ".abc",
    "a" * 65,
    "PDS 1",
    "PDS/1",
    "PDS%2F1",
    "äbc",
    "abc\n",
    None,
    123,
    ["PDS-1"],
]


@pytest.mark.parametrize("serial", SERIALS_OK)
def test_validate_serial_accepts(serial: str) -> None:
    assert validate_serial(serial) == serial


@pytest.mark.parametrize("serial", SERIALS_BAD)
def test_validate_serial_refuses_with_expected_form(serial: object) -> None:
    with pytest.raises(BackOfficeError) as info:
        validate_serial(serial)
    assert info.value.kind == "invalid_input"
    assert "PDS-100001" in info.value.message  # the example of the expected form
    assert "1 to 64" in info.value.message


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://backoffice.example.com/rs", "https://backoffice.example.com/rs"),
        ("https://backoffice.example.com/rs/", "https://backoffice.example.com/rs"),
        ("  https://127.0.0.1:8443  ", "https://127.0.0.1:8443"),
        ("HTTPS://[::1]:8443/x", "https://[::1]:8443/x"),
    ],
)
def test_validate_base_url_accepts(url: str, expected: str) -> None:
    assert validate_base_url(url) == expected


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("http://backoffice.example.com/rs", "https://"),
        ("ftp://backoffice.example.com", "https://"),
        ("backoffice.example.com/rs", "https://"),
        ("", "empty"),
        (None, "empty"),
        ("https:///rs", "no host"),
        ("https://h/rs?x=1", "without query"),
        ("https://h:99999/rs", "not a valid URL"),
        ("https://user:pw-in-url@h/rs", "organization_id and verification_code"),
    ],
)
def test_validate_base_url_refuses(url: object, fragment: str) -> None:
    with pytest.raises(BackOfficeError) as info:
        validate_base_url(url)
    assert info.value.kind == "invalid_input"
    assert fragment in info.value.message
    assert "pw-in-url" not in info.value.message


PROXIES_OK = [
    ("proxy.example.com:8080", "proxy.example.com", 8080, "proxy.example.com:8080"),
    ("  proxy:3128 ", "proxy", 3128, "proxy:3128"),
    ("http://proxy.example.com:8080", "proxy.example.com", 8080, "proxy.example.com:8080"),
    ("HTTP://proxy.example.com:8080/", "proxy.example.com", 8080, "proxy.example.com:8080"),
    ("10.0.0.1:1", "10.0.0.1", 1, "10.0.0.1:1"),
    ("[2001:db8::1]:8080", "2001:db8::1", 8080, "[2001:db8::1]:8080"),
    ("http://[::1]:65535", "::1", 65535, "[::1]:65535"),
]


@pytest.mark.parametrize(("text", "host", "port", "authority"), PROXIES_OK)
def test_validate_proxy_accepts(text: str, host: str, port: int, authority: str) -> None:
    spec = validate_proxy(text)
    assert (spec.host, spec.port, spec.authority) == (host, port, authority)
    assert spec.username is None and spec.authorization() is None


PROXIES_BAD = [
    "proxy",
    "proxy:",
    ":8080",
    "proxy:0",
    "proxy:65536",
    "proxy:123456",
    "proxy:80/path",
    "pro xy:80",
    "::1:80",
    "[::g]:80",
    "[2001:db8::1]",
    "https://proxy:8080",
    "socks5://proxy:1080",
    "",
    None,
]


@pytest.mark.parametrize("text", PROXIES_BAD)
def test_validate_proxy_refuses_with_expected_form(text: object) -> None:
    with pytest.raises(BackOfficeError) as info:
        validate_proxy(text)
    assert info.value.kind == "invalid_input"
    assert "proxy.example.com:8080" in info.value.message


@pytest.mark.parametrize("text", ["user:hunter2-secret@proxy:8080", "http://u:hunter2-secret@proxy:8080"])
def test_validate_proxy_refuses_credentials_inside_without_echoing(text: str) -> None:
    with pytest.raises(BackOfficeError) as info:
        validate_proxy(text)
    assert "proxy_username" in info.value.message
    assert "hunter2-secret" not in info.value.message


def test_validate_proxy_credentials() -> None:
    spec = validate_proxy("proxy:8080", "ACME\\svc", PROXY_PASSWORD)
    token = base64.b64encode(f"ACME\\svc:{PROXY_PASSWORD}".encode()).decode()
    assert spec.authorization() == f"Basic {token}"
    assert PROXY_PASSWORD not in repr(spec)
    with pytest.raises(BackOfficeError, match="proxy_username"):
        validate_proxy("proxy:8080", None, PROXY_PASSWORD)
    with pytest.raises(BackOfficeError, match="':'"):
        validate_proxy("proxy:8080", "a:b", "x")
    assert validate_proxy("proxy:8080", "", None).username is None


FILE_NAMES_OK = [
    "PDS-100001.lic",
    "x.LIC",
    "a b.lic",
    "PDS-100001_20261101.Lic",
    "n" * 251 + ".lic",
    ".x.lic",
]
FILE_NAMES_BAD = [
    ("../x.lic", "separator"),
    ("..\\x.lic", "separator"),
    ("a/b.lic", "separator"),
    ("/abs.lic", "separator"),
    ("\\\\server\\share\\x.lic", "separator"),
    ("C:x.lic", "':'"),
    ("x.lic:stream", "':'"),
    ("x..lic", "'..'"),
    ("..lic", "'..'"),
    ("x.txt", "does not end in .lic"),
    ("x.lic.txt", "does not end in .lic"),
    (".lic", "does not end in .lic"),
    ("x.lic ", "does not end in .lic"),
    ("", "empty"),
    (None, "empty"),
    (42, "empty"),
    ("x\n.lic", "control"),
    ("x\x00.lic", "control"),
    ("x\x1b.lic", "control"),
    ("x\x7f.lic", "control"),
    ("x?.lic", "Windows forbids"),
    ('x".lic', "Windows forbids"),
    ("NUL.lic", "device"),
    ("com1.lic", "device"),
    ("n" * 252 + ".lic", "255"),
]


@pytest.mark.parametrize("name", FILE_NAMES_OK)
def test_safe_license_file_name_accepts(name: str) -> None:
    assert safe_license_file_name(name) == name


@pytest.mark.parametrize(("name", "reason"), FILE_NAMES_BAD)
def test_safe_license_file_name_refuses(name: object, reason: str) -> None:
    with pytest.raises(BackOfficeError) as info:
        safe_license_file_name(name)
    assert info.value.kind == "unsafe_file_name"
    assert reason in info.value.message
    assert "PDS-100001.lic" in info.value.message  # the expected form


NOW = 1_800_000_000.0


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("5", 5.0),
        (" 10 ", 10.0),
        ("0", 0.0),
        ("1.5", 1.5),
        (7, 7.0),
        (None, None),
        ("", None),
        ("soon", None),
        ("-3", None),
        ("1e3", None),
        (email.utils.formatdate(NOW + 30, usegmt=True), 30.0),
        (email.utils.formatdate(NOW - 30, usegmt=True), 0.0),
        ("Fri, 15 Jan 2027 08:00:00", dt.datetime(2027, 1, 15, 8, tzinfo=dt.UTC).timestamp() - NOW),
    ],
)
def test_parse_retry_after(value: object, expected: float | None) -> None:
    assert parse_retry_after(value, NOW) == expected


@pytest.mark.parametrize(
    ("attempt", "kwargs", "expected"),
    [
        (0, {}, 1.0),
        (1, {}, 2.0),
        (2, {}, 4.0),
        (4, {}, 16.0),
        (5, {}, 30.0),
        (10_000, {}, 30.0),
        (-1, {}, 1.0),
        (2, {"base": 0.5}, 2.0),
        (3, {"cap": 5.0}, 5.0),
        (0, {"retry_after": 7.0}, 7.0),
        (6, {"retry_after": 2.0}, 2.0),
        (0, {"retry_after": 0.0}, 0.0),
        (0, {"retry_after": 1000.0}, 300.0),
        (0, {"retry_after": -5.0}, 0.0),
        (0, {"retry_after": 100.0, "max_retry_after": 60.0}, 60.0),
    ],
)
def test_backoff_delay(attempt: int, kwargs: dict[str, Any], expected: float) -> None:
    assert backoff_delay(attempt, **kwargs) == expected


# --------------------------------------------------------------------------------------------------
# verify_license_payload


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


# --------------------------------------------------------------------------------------------------
# Errors and redaction


def test_error_kinds_and_round_trip() -> None:
    with pytest.raises(ValueError):
        BackOfficeError("nope", "x")
    error = BackOfficeError("not_entitled", "m", status=403, maintenance_end="2025-06-30")
    again = BackOfficeError.from_dict(error.to_dict())
    assert (again.kind, again.message, again.status, again.maintenance_end) == (
        "not_entitled",
        "m",
        403,
        "2025-06-30",
    )
    assert str(error) == "m" and "not_entitled" in repr(error)


def test_redactor_hides_every_form() -> None:
    redact = Redactor([CODE, None, "", "a b/c"])
    redact.add_basic(ORG, CODE)
    token = base64.b64encode(f"{ORG}:{CODE}".encode()).decode()
    text = f"x {CODE} y a%20b%2Fc z a+b%2Fc w a b/c {token}"
    assert redact(text) == f"x {REDACTED} y {REDACTED} z {REDACTED} w {REDACTED} {REDACTED}"
    assert CODE not in repr(redact)


# --------------------------------------------------------------------------------------------------
# In-process HTTPS back office and CONNECT proxy


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # dict/list -> JSON; bytes/str as they are
    headers: dict[str, str] = field(default_factory=dict)
    truncate: bool = False  # announce the full Content-Length, send half, close
    no_length: bool = False  # no Content-Length (body ends when the connection closes)


@dataclass
class Pki:
    ca_file: str
    cert_file: str
    key_file: str
    other_ca_file: str


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _ca(common_name: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(_name(common_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    import ipaddress

    folder = tmp_path_factory.mktemp("pki")
    ca_key, ca_cert = _ca("printops test CA")
    _, other_ca = _ca("some other CA")
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("localhost"))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    paths = {name: folder / f"{name}.pem" for name in ("ca", "cert", "key", "other")}
    paths["ca"].write_bytes(ca_cert.public_bytes(pem))
    paths["other"].write_bytes(other_ca.public_bytes(pem))
    paths["cert"].write_bytes(cert.public_bytes(pem))
    paths["key"].write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return Pki(str(paths["ca"]), str(paths["cert"]), str(paths["key"]), str(paths["other"]))


class _TLSServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, handler: type[BaseHTTPRequestHandler], context: ssl.SSLContext, app: FakeBackOffice):
        super().__init__(("127.0.0.1", 0), handler)
        self.context = context
        self.app = app

    def finish_request(self, request: socket.socket, client_address: Any) -> None:  # type: ignore[override]
        request.settimeout(5)
        try:
            tls = self.context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return  # the client refused our certificate: nothing to serve
        self.RequestHandlerClass(tls, client_address, self)


class _Handler(BaseHTTPRequestHandler):
    server: _TLSServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        app = self.server.app
        app.requests.append({"path": self.path, "headers": dict(self.headers.items())})
        reply = app.next_reply(self.path, self.headers)
        body = reply.body
        if isinstance(body, dict | list):
            body = json.dumps(body).encode()
        elif isinstance(body, str):
            body = body.encode()
        body = body or b""
        self.send_response(reply.status)
        if body:
            self.send_header("Content-Type", "application/json")
        if not reply.no_length:
            self.send_header("Content-Length", str(len(body)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body[: len(body) // 2] if reply.truncate else body)
        self.wfile.flush()
        self.close_connection = True


class FakeBackOffice:
    """Scripted back office: `replies` are served in order, then `default` (a Reply or a callable)."""

    def __init__(self, pki: Pki) -> None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(pki.cert_file, pki.key_file)
        self.replies: list[Reply] = []
        self.default: Reply | Callable[[str, Any], Reply] = self.licenses
        self.requests: list[dict[str, Any]] = []
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
