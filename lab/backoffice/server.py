#!/usr/bin/env python3
"""Lab simulator of the Remote Service back office (the contract in docs/backoffice-api.md).

Real HTTPS on 127.0.0.1 with a CA and server certificate made at start, licenses served from a folder of
FlexNet ``.lic`` files, switchable faults under ``/_sim/``. A test and demo tool: start it with
``lab/backoffice/ctl.py``; run this file directly only to keep it in the foreground::

    python lab/backoffice/server.py --state-dir /tmp/bo --port 0

Standard library + ``cryptography`` (certificates) + the project's FlexNet parser
(``plugins/module_utils/flexlm.py``, imported by path).
"""

from __future__ import annotations

import argparse
import base64
import dataclasses
import hashlib
import hmac
import json
import os
import re
import signal
import socket
import ssl
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

REPO = Path(__file__).resolve().parents[2]
_MODULE_UTILS = str(REPO / "plugins" / "module_utils")
if _MODULE_UTILS not in sys.path:
    sys.path.append(_MODULE_UTILS)

import flexlm  # the project's FlexNet parser (plugins/module_utils/flexlm.py)
from pki import make_certificates, write_atomic  # beside this script, which runs as __main__

DEFAULT_LICENSES = REPO / "lab" / "licenses" / "backoffice"
DEFAULT_CREDENTIALS = Path(__file__).resolve().parent / "credentials.json"
SERVICE = "remote-service-backoffice"
SERIAL_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
LICENSES_PREFIX, LICENSES_SUFFIX = "/v1/licenses/", "/latest"
MAX_BODY = 64 * 1024


_log_lock = threading.Lock()


def log(message: str) -> None:
    """One line to stderr (server.log when started by ctl.py); whole lines even from many threads."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    with _log_lock:
        sys.stderr.write(f"{stamp} {message}\n")
        sys.stderr.flush()


# --- credentials ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Credentials:
    """The one organization this simulator knows; the verification code only as its SHA-256."""

    organization_id: str
    verification_code_sha256: str

    def __post_init__(self) -> None:
        if not self.organization_id or ":" in self.organization_id:
            raise ValueError("organization ID must be non-empty and may not contain ':'")
        if not re.fullmatch(r"[0-9a-f]{64}", self.verification_code_sha256):
            raise ValueError("verification code SHA-256 must be 64 lowercase hex digits")

    def check(self, organization_id: str, verification_code: str) -> bool:
        digest = hashlib.sha256(verification_code.encode("utf-8")).hexdigest()
        org_ok = hmac.compare_digest(organization_id.encode("utf-8"), self.organization_id.encode("utf-8"))
        code_ok = hmac.compare_digest(digest.encode("ascii"), self.verification_code_sha256.encode("ascii"))
        return org_ok & code_ok  # both compared, no short cut


def load_credentials(path: Path | None, organization: str | None, code_sha256: str | None) -> Credentials:
    """Command-line values win; the JSON file (if needed) gives the rest."""
    data: dict[str, Any] = {}
    if organization is None or code_sha256 is None:
        path = path or DEFAULT_CREDENTIALS
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    return Credentials(
        organization_id=organization if organization is not None else str(data["organization_id"]),
        verification_code_sha256=(code_sha256 or str(data["verification_code_sha256"])).lower(),
    )


# --- licenses -------------------------------------------------------------------------------------------


def _iso(day: date | None) -> str:
    return "permanent" if day is None else day.isoformat()


@dataclass(frozen=True)
class LicenseRecord:
    """One license file the back office holds."""

    path: Path
    text: str
    license: Any  # flexlm.License
    issued: date
    maintenance_end: date

    def metadata(self, serial: str) -> dict[str, Any]:
        lic = self.license
        return {
            "serial": serial,
            "issued": self.issued.isoformat(),
            "license_expiry": _iso(lic.earliest_expiry),
            "maintenance_end": self.maintenance_end.isoformat(),
            "features": [
                {
                    "name": f.name,
                    "version": str(f.version),
                    "count": "uncounted" if f.count is None else f.count,
                    "expiry": _iso(f.expiry),
                }
                for f in lic.features
            ],
            "users": "uncounted" if lic.users is None else lic.users,
            "file_name": f"{serial}.lic",
        }


class LicenseStore:
    """Index of a folder of ``.lic`` files by serial; re-indexed when the folder's mtime changes.

    Only adding, removing or renaming files changes a folder's mtime: replace a file by writing a new
    one and renaming it over the old (what editors and ``make_license.py`` do).
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._lock = threading.Lock()
        self._stamp: int | None = -1
        self._by_serial: dict[str, LicenseRecord] = {}

    def _folder_stamp(self) -> int | None:
        try:
            return self.folder.stat().st_mtime_ns
        except OSError:
            return None

    def refresh(self) -> None:
        stamp = self._folder_stamp()
        if stamp == self._stamp:
            return
        with self._lock:
            if stamp == self._stamp:
                return
            self._by_serial = self._index()
            self._stamp = stamp

    def _index(self) -> dict[str, LicenseRecord]:
        latest: dict[str, LicenseRecord] = {}
        if not self.folder.is_dir():
            log(f"licenses: folder {self.folder} does not exist; no licenses")
            return latest
        files = sorted(self.folder.glob("*.lic"))
        for path in files:
            try:
                text = path.read_bytes().decode("utf-8")
                lic = flexlm.parse_license(text)
            except (OSError, UnicodeDecodeError, flexlm.LicenseParseError) as exc:
                log(f"licenses: skipping {path.name}: {exc}")
                continue
            if lic.issued is None or lic.maintenance_end is None or not lic.serials:
                log(f"licenses: skipping {path.name}: no SN=, ISSUED= or VENDOR_STRING MAINTENANCE=")
                continue
            record = LicenseRecord(path, text, lic, lic.issued, lic.maintenance_end)
            for serial in lic.serials:
                old = latest.get(serial)
                if old is None or (record.issued, path.name) > (old.issued, old.path.name):
                    latest[serial] = record
        log(f"licenses: indexed {len(files)} files, {len(latest)} serials from {self.folder}")
        return latest

    def latest(self, serial: str) -> LicenseRecord | None:
        self.refresh()
        return self._by_serial.get(serial)

    def other_than(self, serial: str) -> tuple[str, LicenseRecord] | None:
        """Another serial's latest license (the next serial in sorted order), for the wrong_serial fault."""
        self.refresh()
        others = sorted(s for s in self._by_serial if s != serial)
        if not others:
            return None
        chosen = next((s for s in others if s > serial), others[0])
        return chosen, self._by_serial[chosen]


# --- faults and counters --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Faults:
    """The fault switches of ``PUT /_sim/faults`` (docs/backoffice-api.md, simulator-only endpoints)."""

    delay: float = 0.0
    unavailable: int = 0
    retry_status: int = 503
    retry_after: int = 1
    bad_checksum: bool = False
    truncate: bool = False
    unsafe_file_name: bool = False
    expired_maintenance: tuple[str, ...] = ()
    not_a_license: bool = False
    wrong_serial: bool = False

    @classmethod
    def from_json(cls, data: Any) -> Faults:
        if not isinstance(data, dict):
            raise ValueError("faults must be a JSON object")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown fault(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        kw: dict[str, Any] = {}
        for key, value in data.items():
            number = isinstance(value, int | float) and not isinstance(value, bool)
            if key == "delay":
                ok = number and 0 <= value <= 300
            elif key in ("unavailable", "retry_after"):
                ok = number and isinstance(value, int) and 0 <= value <= 86400
            elif key == "retry_status":
                ok = number and value in (429, 503)
            elif key == "expired_maintenance":
                ok = isinstance(value, list) and all(isinstance(s, str) for s in value)
            else:
                ok = isinstance(value, bool)
            if not ok:
                raise ValueError(f"fault {key}: invalid value {value!r}")
            if key == "delay":
                value = float(value)
            elif key == "expired_maintenance":
                value = tuple(value)
            kw[key] = value
        return cls(**kw)

    def to_json(self, unavailable_left: int) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["expired_maintenance"] = list(self.expired_maintenance)
        data["unavailable"] = unavailable_left
        return data


@dataclass
class SimState:
    """Counters and faults, shared by the request threads (one lock)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    faults: Faults = field(default_factory=Faults)
    unavailable_left: int = 0
    requests: int = 0
    by_serial: Counter[str] = field(default_factory=Counter)
    by_status: Counter[str] = field(default_factory=Counter)

    def count(self, status: int, serial: str | None) -> None:
        with self.lock:
            self.requests += 1
            self.by_status[str(status)] += 1
            if serial is not None:
                self.by_serial[serial] += 1

    def take_unavailable(self) -> bool:
        with self.lock:
            if self.unavailable_left > 0:
                self.unavailable_left -= 1
                return True
            return False

    def set_faults(self, faults: Faults) -> None:
        with self.lock:
            self.faults = faults
            self.unavailable_left = faults.unavailable

    def faults_json(self) -> dict[str, Any]:
        with self.lock:
            return self.faults.to_json(self.unavailable_left)

    def reset(self) -> None:
        with self.lock:
            self.faults = Faults()
            self.unavailable_left = 0
            self.requests = 0
            self.by_serial.clear()
            self.by_status.clear()

    def stats(self) -> dict[str, Any]:
        with self.lock:
            return {
                "requests": self.requests,
                "by_serial": dict(sorted(self.by_serial.items())),
                "by_status": dict(sorted(self.by_status.items())),
            }


# --- HTTP -----------------------------------------------------------------------------------------------


@dataclass
class Response:
    status: int
    body: bytes | None = b""  # None: no body and no Content-Length (304)
    headers: dict[str, str] = field(default_factory=dict)
    truncate: bool = False
    serial: str | None = None  # counted in by_serial


def _json_bytes(obj: Any) -> bytes:
    return (json.dumps(obj, indent=2) + "\n").encode("utf-8")


def _json(status: int, obj: Any, **headers: str) -> Response:
    return Response(status, _json_bytes(obj), {"Content-Type": "application/json", **headers})


def _error(
    status: int, error: str, message: str, *, headers: dict[str, str] | None = None, **extra: Any
) -> Response:
    return Response(
        status,
        _json_bytes({"error": error, "message": message, **extra}),
        {"Content-Type": "application/json", **(headers or {})},
    )


def _etag_matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    for candidate in header.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == etag:
            return True
    return False


NOT_A_LICENSE = """<!DOCTYPE html>
<html><head><title>Remote Service</title></head>
<body><h1>Scheduled maintenance</h1><p>The Remote Service portal is being updated.</p></body></html>
"""


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive; every response has a Content-Length
    server_version = "remote-service-backoffice-sim/1"
    sys_version = ""
    timeout = 60  # idle keep-alive connections are closed after this
    server: BackofficeServer

    def version_string(self) -> str:
        return self.server_version

    def setup(self) -> None:
        self.request.settimeout(self.timeout)
        self.request.do_handshake()  # in this thread, not in the accept loop
        super().setup()

    def log_message(self, format: str, *args: Any) -> None:
        log(f"{self.client_address[0]} {format % args}")

    # every method goes through _dispatch, so unknown ones get a JSON 405 instead of an HTML 501
    def do_GET(self) -> None:
        self._dispatch()

    do_PUT = do_POST = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = do_GET

    def _read_body(self) -> bytes:
        length = self.headers.get("Content-Length")
        if not length:
            return b""
        try:
            n = int(length)
        except ValueError:
            n = -1
        if n < 0 or n > MAX_BODY:
            self.close_connection = True
            return b""
        return self.rfile.read(n)

    def _dispatch(self) -> None:
        body = self._read_body()
        path = urlsplit(self.path).path
        if path == "/_sim" or path.startswith("/_sim/"):
            self._write(self._sim(path, body))
            return
        state = self.server.state
        delay = state.faults.delay
        if delay:
            time.sleep(delay)
        if path == "/v1/ping":
            resp = self._ping() if self.command == "GET" else self._not_allowed("GET")
        elif path.startswith(LICENSES_PREFIX) and path.endswith(LICENSES_SUFFIX):
            raw = path[len(LICENSES_PREFIX) : -len(LICENSES_SUFFIX)]
            resp = self._license(unquote(raw)) if self.command == "GET" else self._not_allowed("GET")
        else:
            resp = _error(404, "not_found", f"No such resource: {path}")
        state.count(resp.status, resp.serial)
        self._write(resp)

    def _write(self, resp: Response) -> None:
        self.send_response(resp.status)
        for name, value in resp.headers.items():
            self.send_header(name, value)
        if resp.body is not None:
            self.send_header("Content-Length", str(len(resp.body)))
        self.end_headers()
        if resp.body and self.command != "HEAD":
            if resp.truncate:
                self.wfile.write(resp.body[: len(resp.body) // 2])
                self.close_connection = True  # the client sees the connection end mid-body
            else:
                self.wfile.write(resp.body)

    @staticmethod
    def _not_allowed(allow: str) -> Response:
        return _error(405, "method_not_allowed", f"Use {allow}.", headers={"Allow": allow})

    def _authenticated(self) -> bool | None:
        """None: no Authorization header; otherwise whether the Basic credentials are right."""
        header = self.headers.get("Authorization")
        if header is None:
            return None
        scheme, _, value = header.strip().partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except ValueError:  # binascii.Error and UnicodeDecodeError are ValueErrors
            return False
        organization_id, sep, code = decoded.partition(":")
        return bool(sep) and self.server.credentials.check(organization_id, code)

    def _ping(self) -> Response:
        return _json(
            200,
            {
                "status": "ok",
                "service": SERVICE,
                "api": "v1",
                "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "authenticated": self._authenticated(),
            },
            **{"Cache-Control": "no-cache"},
        )

    def _license(self, serial: str) -> Response:
        server, state = self.server, self.server.state
        valid = SERIAL_RE.fullmatch(serial) is not None
        counted = serial if valid else None
        faults = state.faults
        if state.take_unavailable():
            status = faults.retry_status
            error, what = (
                ("too_many_requests", "Too many requests")
                if status == 429
                else ("unavailable", "Service unavailable (maintenance window)")
            )
            resp = _error(
                status,
                error,
                f"{what}; retry after {faults.retry_after} s.",
                headers={"Retry-After": str(faults.retry_after)},
            )
            resp.serial = counted
            return resp
        if self._authenticated() is not True:
            resp = _error(
                401,
                "unauthorized",
                "Unknown organization ID or wrong verification code.",
                headers={"WWW-Authenticate": 'Basic realm="remote-service"'},
            )
        elif not valid:
            resp = _error(400, "bad_request", "Malformed serial number.")
        elif (record := server.licenses.latest(serial)) is None:
            resp = _error(
                404,
                "unknown_serial",
                f"No installation with serial {serial} in organization {server.credentials.organization_id}.",
            )
        else:
            today = server.today()
            maintenance_end = record.maintenance_end
            if serial in faults.expired_maintenance:
                maintenance_end = min(maintenance_end, today - timedelta(days=1))
            if maintenance_end < today:
                resp = _error(
                    403,
                    "not_entitled",
                    f"Maintenance for {serial} ended on {maintenance_end.isoformat()}.",
                    maintenance_end=maintenance_end.isoformat(),
                )
            else:
                resp = self._license_body(serial, record, faults)
        resp.serial = counted
        return resp

    def _license_body(self, serial: str, record: LicenseRecord, faults: Faults) -> Response:
        content = record.text
        if faults.not_a_license:
            content = NOT_A_LICENSE
        elif faults.wrong_serial:
            other = self.server.licenses.other_than(serial)
            if other is not None:
                content = other[1].text
            else:
                content = re.sub(rf"\bSN={re.escape(serial)}\b", f"SN=X{serial}", content)
        digest = hashlib.sha256(content.encode("utf-8")).hexdigest()
        if faults.bad_checksum:
            digest = hashlib.sha256(b"bad-checksum\n" + content.encode("utf-8")).hexdigest()
        etag = f'"{digest}"'
        headers = {"ETag": etag, "Cache-Control": "no-cache"}
        if _etag_matches(self.headers.get("If-None-Match"), etag):
            return Response(304, None, headers)
        body = record.metadata(serial)
        if faults.unsafe_file_name:
            body["file_name"] = f"../../{serial}.lic"
        body["sha256"] = digest
        body["content"] = content
        resp = _json(200, body, **headers)
        resp.truncate = faults.truncate
        return resp

    def _sim(self, path: str, body: bytes) -> Response:
        state = self.server.state
        routes = {"/_sim/stats": ("GET",), "/_sim/reset": ("POST",), "/_sim/faults": ("GET", "PUT")}
        if path not in routes:
            return _error(404, "not_found", f"No such resource: {path}")
        if self.command not in routes[path]:
            return self._not_allowed(", ".join(routes[path]))
        if path == "/_sim/stats":
            return _json(200, state.stats())
        if path == "/_sim/reset":
            state.reset()
            log("sim: counters and faults reset")
            return _json(200, {"status": "reset"})
        if self.command == "PUT":
            try:
                faults = Faults.from_json(json.loads(body or b"{}"))
            except ValueError as exc:  # json.JSONDecodeError is a ValueError
                return _error(400, "bad_request", str(exc))
            state.set_faults(faults)
            log(f"sim: faults {json.dumps(state.faults_json(), sort_keys=True)}")
        return _json(200, state.faults_json())


class BackofficeServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        address: tuple[str, int],
        *,
        ssl_context: ssl.SSLContext,
        credentials: Credentials,
        licenses: LicenseStore,
        today: date | None = None,
    ) -> None:
        self.ssl_context = ssl_context
        self.credentials = credentials
        self.licenses = licenses
        self.fixed_today = today
        self.state = SimState()
        super().__init__(address, Handler)

    def today(self) -> date:
        return self.fixed_today or date.today()

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, addr = self.socket.accept()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return self.ssl_context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), addr

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, ssl.SSLError | ConnectionError | TimeoutError):
            log(f"{client_address[0]} connection ended: {exc.__class__.__name__}: {exc}")
        else:
            super().handle_error(request, client_address)


def make_ssl_context(cert: Path, key: Path) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(cert, key)
    return ctx


# --- command line ---------------------------------------------------------------------------------------


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date YYYY-MM-DD") from None


def _sigterm(signum: int, frame: Any) -> None:
    raise SystemExit(0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Remote Service back-office simulator (lab only).")
    parser.add_argument("--state-dir", type=Path, required=True, help="where ca.pem, keys and url go")
    parser.add_argument("--port", type=int, default=8443, help="TCP port on 127.0.0.1; 0 picks a free one")
    parser.add_argument("--licenses", type=Path, default=DEFAULT_LICENSES, help="folder of .lic files")
    parser.add_argument("--today", type=_date, help="the simulator's date for entitlement (default: today)")
    parser.add_argument("--organization", help="service organization ID (overrides --credentials)")
    parser.add_argument("--verification-code-sha256", help="SHA-256 (hex) of the verification code")
    parser.add_argument(
        "--credentials", type=Path, help=f"JSON credentials file (default {DEFAULT_CREDENTIALS})"
    )
    args = parser.parse_args(argv)

    try:
        credentials = load_credentials(args.credentials, args.organization, args.verification_code_sha256)
    except (OSError, ValueError, KeyError) as exc:
        log(f"error: credentials: {exc.__class__.__name__}: {exc}")
        return 2
    state_dir = args.state_dir.resolve()
    _, cert, key = make_certificates(state_dir)
    licenses = LicenseStore(args.licenses.resolve())
    licenses.refresh()
    signal.signal(signal.SIGTERM, _sigterm)
    try:
        server = BackofficeServer(
            ("127.0.0.1", args.port),
            ssl_context=make_ssl_context(cert, key),
            credentials=credentials,
            licenses=licenses,
            today=args.today,
        )
    except OSError as exc:
        log(f"error: cannot listen on 127.0.0.1:{args.port}: {exc}")
        return 1
    url = f"https://127.0.0.1:{server.server_address[1]}"
    url_file = state_dir / "url"
    write_atomic(url_file, (url + "\n").encode())
    log(
        f"listening on {url} (organization {credentials.organization_id}, "
        f"today {server.today().isoformat()}{'' if args.today else ' (real date)'}, pid {os.getpid()})"
    )
    try:
        with server:
            server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        try:
            if url_file.read_text().strip() == url:
                url_file.unlink()
        except OSError:
            pass
        log("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
