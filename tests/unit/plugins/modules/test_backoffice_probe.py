"""Unit tests of plugins/modules/backoffice_probe.py (the lab "Test connection" as the ORS account):
its plain functions against an in-process HTTPS ping server (the lab PKI, `pki` fixture)
and CONNECT proxy; the privilege drop runs for real (as root, to ``nobody``)."""

from __future__ import annotations

import base64
import json
import os
import pwd
import select
import shutil
import socket
import ssl
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from socketserver import StreamRequestHandler, ThreadingTCPServer
from typing import TYPE_CHECKING, Any

import pytest
from ansible_collections.printops.prismadirect.plugins.modules import backoffice_probe as bp
from ansible_collections.printops.prismadirect.plugins.modules.backoffice_probe import ProbeError

if TYPE_CHECKING:
    from conftest import Pki

ORG = "ORG-UT"
CODE = "vc-Secret-4711"
PROXY_USER = "pu"
PROXY_PASSWORD = "pp-Hidden-0815"
NOBODY = pwd.getpwnam("nobody")

root_only = pytest.mark.skipif(
    os.geteuid() != 0, reason="dropping privileges needs root (the lab runs as root)"
)


@pytest.fixture(autouse=True)
def _no_environment_proxy(monkeypatch):
    for name in ("https_proxy", "HTTPS_PROXY", "no_proxy", "NO_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)


# --------------------------------------------------------------------------------------------------
# A throwaway CA, an HTTPS ping server and a CONNECT proxy, in process


class PingServer(ThreadingHTTPServer):
    """``GET /rs/v1/ping`` as the contract says; ``reply`` overrides the answer, ``delay`` slows it."""

    daemon_threads = True

    def __init__(self, pki: Pki):
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.context.load_cert_chain(pki.cert_file, pki.key_file)
        self.requests: list[dict[str, str]] = []
        self.reply: tuple[int, dict] | None = None
        self.delay = 0.0
        super().__init__(("127.0.0.1", 0), PingHandler)

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.server_address[1]}/rs"

    def finish_request(self, request, client_address):
        request.settimeout(5)
        try:
            tls = self.context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        try:
            self.RequestHandlerClass(tls, client_address, self)
        finally:
            tls.close()

    def handle_error(self, request, client_address):
        pass


class PingHandler(BaseHTTPRequestHandler):
    server: PingServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self.server.requests.append({"path": self.path, **dict(self.headers.items())})
        if self.server.delay:
            time.sleep(self.server.delay)
        auth = self.headers.get("Authorization")
        good = "Basic " + base64.b64encode(f"{ORG}:{CODE}".encode()).decode()
        if self.server.reply is not None:
            status, body = self.server.reply
        elif self.path != "/rs/v1/ping":
            status, body = 404, {"error": "not_found", "message": "no such path"}
        else:
            status, body = (
                200,
                {"status": "ok", "api": "v1", "authenticated": None if auth is None else auth == good},
            )
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class ConnectProxy(ThreadingTCPServer):
    """A CONNECT-only forward proxy; with ``authorization`` set it wants that Proxy-Authorization."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, authorization: str | None = None):
        self.authorization = authorization
        self.tunnels: list[dict[str, str]] = []
        super().__init__(("127.0.0.1", 0), ConnectHandler)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.server_address[1]}"


class ConnectHandler(StreamRequestHandler):
    server: ConnectProxy

    def handle(self) -> None:
        request = self.rfile.readline().decode("latin-1").split()
        headers = {}
        while True:
            line = self.rfile.readline().decode("latin-1").strip()
            if not line:
                break
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        self.server.tunnels.append({"target": request[1], **headers})
        if self.server.authorization and headers.get("proxy-authorization") != self.server.authorization:
            self.wfile.write(b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n")
            return
        host, port = request[1].rsplit(":", 1)
        upstream = socket.create_connection((host, int(port)), timeout=5)
        self.wfile.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        self.wfile.flush()
        sockets = [self.connection, upstream]
        try:
            while True:
                ready, _, _ = select.select(sockets, [], [], 5)
                if not ready:
                    return
                for sock in ready:
                    data = sock.recv(65536)
                    if not data:
                        return
                    (upstream if sock is self.connection else self.connection).sendall(data)
        finally:
            upstream.close()


def _serve(server):
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    return server


@pytest.fixture
def backoffice(pki):
    server = _serve(PingServer(pki))
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def proxy_factory():
    started = []

    def factory(authorization=None):
        started.append(_serve(ConnectProxy(authorization)))
        return started[-1]

    yield factory
    for server in started:
        server.shutdown()
        server.server_close()


@pytest.fixture
def context(pki):
    return ssl.create_default_context(cafile=pki.ca_file)


@pytest.fixture
def shared_dir():
    """A folder that ``nobody`` may enter (pytest's own tmp_path is private to root)."""
    path = Path(tempfile.mkdtemp(prefix="probe-ut-", dir="/tmp"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def settings(folder: Path, *, group: int = NOBODY.pw_gid, mode: int = 0o640, **changes: Any) -> str:
    doc = {
        "schema": 1,
        "salt": "00" * 16,
        "general": {
            "enabled": True,
            "organization_id": ORG,
            "verification_code": CODE,
            "license_server": "local",
            "license_path": None,
        },
        "proxy": {"mode": "none", "url": None, "domain": None, "username": None, "password": None},
        "remote_assistance": {"enabled": False, "until": None},
    }
    for key, value in changes.items():
        section, name = key.split("__")
        doc[section][name] = value
    path = folder / "remote-service.json"
    path.write_text(json.dumps(doc))
    os.chown(path, 0, group)
    path.chmod(mode)
    return str(path)


def no_secret(result: dict) -> bool:
    text = json.dumps(result)
    tokens = [base64.b64encode(f"{ORG}:{CODE}".encode()).decode()]
    return all(secret not in text for secret in (CODE, PROXY_PASSWORD, *tokens))


# --------------------------------------------------------------------------------------------------
# Pure helpers


@pytest.mark.parametrize(
    ("url", "parsed"),
    [
        ("https://bo.example.com/rs", ("bo.example.com", 443, "/rs")),
        ("https://127.0.0.1:8443/", ("127.0.0.1", 8443, "")),
        ("https://[::1]:9000/a/b/", ("::1", 9000, "/a/b")),
    ],
)
def test_parse_url(url, parsed):
    assert bp.parse_url(url) == parsed


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("http://bo.example.com", "is not an https:// URL"),
        ("bo.example.com", "is not an https:// URL"),
        ("https://user:pw@bo.example.com", "user name or password"),
        ("https://bo.example.com:99999", "not a valid URL"),
        ("https://bo.example.com/rs?x=1", "query"),
        ("", "is not an https:// URL"),
    ],
)
def test_parse_url_refusals(url, fragment):
    with pytest.raises(ProbeError, match="url: .*" + fragment.replace("?", r"\?")):
        bp.parse_url(url)


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("proxy.example.com:8080", ("proxy.example.com", 8080)),
        ("http://proxy.example.com:3128/", ("proxy.example.com", 3128)),
        ("[2001:db8::1]:8080", ("2001:db8::1", 8080)),
        ("proxy.example.com", None),
        ("proxy:0", None),
        ("proxy:99999", None),
        ("user:pw@proxy:80", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_proxy(text, parsed):
    assert bp.parse_proxy(text) == parsed


def test_redactor_hides_every_form():
    redact = bp.Redactor()
    redact.add("p w/+", "DOM\\u")
    token = base64.b64encode(b"DOM\\u:p w/+").decode()
    assert (
        redact(f"a p w/+ b p%20w%2F%2B c p+w%2F%2B d {token}")
        == "a ******** b ******** c ******** d ********"
    )
    assert redact(None) is None


def test_proxy_from_settings_manual_with_domain():
    doc = {
        "proxy": {
            "mode": "manual",
            "url": "p:8080",
            "domain": "CORP",
            "username": "u",
            "password": PROXY_PASSWORD,
        }
    }
    redact = bp.Redactor()
    mode, proxy, problem = bp.proxy_from_settings(doc, "bo", redact)
    assert (mode, problem) == ("manual", None)
    assert proxy == {
        "host": "p",
        "port": 8080,
        "authorization": "Basic " + base64.b64encode(f"CORP\\u:{PROXY_PASSWORD}".encode()).decode(),
    }
    assert redact(proxy["authorization"]) == "Basic ********"


def test_proxy_from_settings_environment(monkeypatch):
    monkeypatch.setenv("https_proxy", "http://eu:e%20p@envproxy:3128")
    redact = bp.Redactor()
    mode, proxy, problem = bp.proxy_from_settings(
        {"proxy": {"mode": "auto_detect"}}, "bo.example.com", redact
    )
    assert (mode, proxy["host"], proxy["port"], problem) == ("auto_detect", "envproxy", 3128, None)
    assert base64.b64decode(proxy["authorization"].split()[1]) == b"eu:e p"
    assert redact("e p and e%20p") == "******** and ********"
    monkeypatch.setenv("no_proxy", "bo.example.com")
    assert bp.proxy_from_settings({"proxy": {"mode": "auto_detect"}}, "bo.example.com", redact)[1] is None


@pytest.mark.parametrize(
    ("proxy", "fragment"),
    [
        ({"mode": "manual", "url": None}, "proxy.url is not set"),
        ({"mode": "manual", "url": "nohostport"}, "is not host:port"),
        ({"mode": "pac"}, "is not none, auto_detect or manual"),
    ],
)
def test_proxy_from_settings_problems(proxy, fragment):
    assert fragment in bp.proxy_from_settings({"proxy": proxy}, "bo", bp.Redactor())[2]


# --------------------------------------------------------------------------------------------------
# probe(): the request, in this process


def test_probe_ok(backoffice, context, tmp_path):
    result = bp.probe(settings(tmp_path), backoffice.url, context, 5)
    assert result == {
        "ok": True,
        "status": 200,
        "authenticated": True,
        "elapsed_ms": result["elapsed_ms"],
        "error": None,
        "proxy_mode": "none",
        "proxy": None,
    }
    assert isinstance(result["elapsed_ms"], int) and result["elapsed_ms"] >= 0
    request = backoffice.requests[-1]
    assert request["path"] == "/rs/v1/ping" and request["User-Agent"].startswith("printops-prismadirect/")


def test_probe_wrong_code(backoffice, context, tmp_path):
    result = bp.probe(
        settings(tmp_path, general__verification_code="wrong-" + CODE), backoffice.url, context, 5
    )
    assert (result["ok"], result["status"], result["authenticated"]) == (False, 200, False)
    assert "did not accept" in result["error"]
    assert CODE not in json.dumps(result)


def test_probe_without_credentials_in_the_settings(backoffice, context, tmp_path):
    result = bp.probe(settings(tmp_path, general__verification_code=None), backoffice.url, context, 5)
    assert (result["ok"], result["status"], result["authenticated"]) == (False, 200, None)
    assert "general.verification_code" in result["error"]
    assert "Authorization" not in backoffice.requests[-1]


def test_probe_error_answer(backoffice, context, tmp_path):
    backoffice.reply = (503, {"error": "unavailable", "message": f"down for {CODE}"})
    result = bp.probe(settings(tmp_path), backoffice.url, context, 5)
    assert (result["ok"], result["status"]) == (False, 503)
    assert result["error"] == "the back office answered HTTP 503 unavailable: down for ********"


def test_probe_through_a_manual_proxy_with_domain_authentication(
    backoffice, context, tmp_path, proxy_factory
):
    token = "Basic " + base64.b64encode(f"CORP\\{PROXY_USER}:{PROXY_PASSWORD}".encode()).decode()
    proxy = proxy_factory(authorization=token)
    path = settings(
        tmp_path,
        proxy__mode="manual",
        proxy__url=proxy.address,
        proxy__domain="CORP",
        proxy__username=PROXY_USER,
        proxy__password=PROXY_PASSWORD,
    )
    result = bp.probe(path, backoffice.url, context, 5)
    assert result["ok"] is True and (result["proxy_mode"], result["proxy"]) == ("manual", proxy.address)
    assert proxy.tunnels[-1]["target"] == f"127.0.0.1:{backoffice.server_address[1]}"


def test_probe_proxy_refuses_the_credentials(backoffice, context, tmp_path, proxy_factory):
    proxy = proxy_factory(authorization="Basic nope")
    path = settings(
        tmp_path,
        proxy__mode="manual",
        proxy__url=proxy.address,
        proxy__username=PROXY_USER,
        proxy__password=PROXY_PASSWORD,
    )
    result = bp.probe(path, backoffice.url, context, 5)
    assert result["ok"] is False and result["status"] is None
    assert "407" in result["error"] and "proxy.password" in result["error"]
    assert no_secret(result)


def test_probe_auto_detect_uses_the_environment(backoffice, context, tmp_path, proxy_factory, monkeypatch):
    proxy = proxy_factory()
    monkeypatch.setenv("https_proxy", f"http://{proxy.address}")
    result = bp.probe(settings(tmp_path, proxy__mode="auto_detect"), backoffice.url, context, 5)
    assert result["ok"] is True and result["proxy"] == proxy.address and len(proxy.tunnels) == 1
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    result = bp.probe(settings(tmp_path, proxy__mode="auto_detect"), backoffice.url, context, 5)
    assert result["ok"] is True and result["proxy"] is None and len(proxy.tunnels) == 1


def test_probe_mode_none_ignores_the_environment(backoffice, context, tmp_path, monkeypatch):
    monkeypatch.setenv("https_proxy", "http://127.0.0.1:9")
    assert bp.probe(settings(tmp_path), backoffice.url, context, 5)["ok"] is True


def test_probe_manual_proxy_without_url_sends_nothing(backoffice, context, tmp_path):
    result = bp.probe(settings(tmp_path, proxy__mode="manual"), backoffice.url, context, 5)
    assert result["ok"] is False and "proxy.url is not set" in result["error"] and backoffice.requests == []


def test_probe_untrusted_certificate(backoffice, tmp_path):
    result = bp.probe(settings(tmp_path), backoffice.url, ssl.create_default_context(), 5)
    assert result["ok"] is False and "could not be verified" in result["error"]


def test_probe_nothing_listening(context, tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = bp.probe(settings(tmp_path), f"https://127.0.0.1:{port}", context, 5)
    assert result["ok"] is False and "refused the connection" in result["error"]


def test_probe_timeout(backoffice, context, tmp_path):
    backoffice.delay = 1.5
    result = bp.probe(settings(tmp_path), backoffice.url, context, 0.3)
    assert result["ok"] is False and "within 0.3 seconds" in result["error"]


@pytest.mark.parametrize(
    ("content", "fragment"),
    [(None, "does not exist"), ("{not json " + CODE, "is not valid JSON"), ('{"schema": 3}', "schema 1")],
)
def test_probe_unreadable_settings(backoffice, context, tmp_path, content, fragment):
    path = tmp_path / "remote-service.json"
    if content is not None:
        path.write_text(content)
    result = bp.probe(str(path), backoffice.url, context, 5)
    assert result["ok"] is False and fragment in result["error"] and CODE not in result["error"]
    assert backoffice.requests == []


# --------------------------------------------------------------------------------------------------
# run_as() and the whole probe as the ORS account


@root_only
def test_run_as_takes_the_users_identity():
    def whoami():
        return {"uid": os.getuid(), "euid": os.geteuid(), "gid": os.getgid(), "groups": os.getgroups()}

    result = bp.run_as("nobody", whoami, 10)
    assert result == {
        "uid": NOBODY.pw_uid,
        "euid": NOBODY.pw_uid,
        "gid": NOBODY.pw_gid,
        "groups": [NOBODY.pw_gid],
    }


@root_only
def test_run_as_reports_a_crash_and_a_hang():
    def crash():
        raise RuntimeError(CODE)

    result = bp.run_as("nobody", crash, 10)
    assert result == {"error": "the probe process as nobody failed (RuntimeError)"}
    started = time.monotonic()
    result = bp.run_as("nobody", lambda: time.sleep(30), 0.5)
    assert "did not finish within 0.5 seconds" in result["error"] and time.monotonic() - started < 10


def test_run_as_refusals(monkeypatch):
    with pytest.raises(ProbeError, match="user: no user 'no-such-user-xyz'"):
        bp.run_as("no-such-user-xyz", dict, 1)
    monkeypatch.setattr(bp.os, "geteuid", lambda: 4242)
    with pytest.raises(ProbeError, match="needs root"):
        bp.run_as("nobody", dict, 1)


@root_only
def test_backoffice_probe_as_the_ors_account(backoffice, pki, shared_dir):
    result = bp.backoffice_probe(settings(shared_dir), "nobody", backoffice.url, pki.ca_file, 5)
    assert result["ok"] is True and result["user"] == "nobody" and result["error"] is None
    assert no_secret(result)


@root_only
def test_backoffice_probe_wrong_code(backoffice, pki, shared_dir):
    path = settings(shared_dir, general__verification_code="x" + CODE)
    result = bp.backoffice_probe(path, "nobody", backoffice.url, pki.ca_file, 5)
    assert (result["ok"], result["authenticated"]) == (False, False) and no_secret(result)


@root_only
def test_backoffice_probe_settings_not_readable_by_the_account(backoffice, pki, shared_dir):
    path = settings(shared_dir, group=0)  # 0640 root:root: root could read it, the ORS account cannot
    result = bp.backoffice_probe(path, "nobody", backoffice.url, pki.ca_file, 5)
    assert result["ok"] is False and "cannot read the settings document" in result["error"]
    assert "permission denied" in result["error"] and backoffice.requests == []
    assert bp.backoffice_probe(path, "root", backoffice.url, pki.ca_file, 5)["ok"] is True


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"url": "http://127.0.0.1:1"}, "url: "),
        ({"ca_path": "/nonexistent/ca.pem"}, "ca_path: cannot load"),
        ({"timeout": 0}, "timeout: must be a positive"),
        ({"user": "no-such-user-xyz"}, "user: no user"),
    ],
)
def test_backoffice_probe_refusals(tmp_path, kwargs, fragment):
    args = {
        "settings_path": str(tmp_path / "s.json"),
        "user": "nobody",
        "url": "https://127.0.0.1:1",
        **kwargs,
    }
    with pytest.raises(ProbeError, match=fragment):
        bp.backoffice_probe(**args)
