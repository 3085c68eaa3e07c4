"""Unit tests of the printops.prismadirect.latest_license lookup, loaded through lookup_loader.

The lookup talks to a small in-process HTTPS back office (the lab PKI, `pki` fixture); the
run identifier is patched to simulate several ansible-playbook runs, except in the fork test, which
checks the real one across worker processes.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import ssl
import stat
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from ansible.errors import AnsibleError, AnsibleLookupError
from ansible.plugins.loader import lookup_loader
from ansible_collections.printops.prismadirect.plugins.module_utils.backoffice import BackOfficeClient
from ansible_collections.printops.prismadirect.plugins.plugin_utils import _run

from ..module_utils.backoffice_samples import license_text, payload

if TYPE_CHECKING:
    from conftest import Pki

CODE = "s3cr3t-Verif1cation-Code"
PROXY_PASSWORD = "pr0xy-Pa55w0rd"
ORG = "PRS-TEST-ORG"
SERIAL = "PDS-100001"
OTHER = "PDS-100002"
REFUSED = "PDS-100007"
LOOKUP = "printops.prismadirect.latest_license"
ITEM_KEYS = {
    "ok",
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
    "not_modified",
    "source",
}


# --------------------------------------------------------------------------------------------------
# A small HTTPS back office speaking the contract


@dataclass
class BackOffice:
    """Licenses by serial; `refuse` maps a serial to (status, body); `requests` records every request,
    `connections` every TLS connection."""

    url: str = ""
    licenses: dict[str, dict[str, Any]] = field(default_factory=dict)
    refuse: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)
    connections: list[Any] = field(default_factory=list)
    delay: float = 0.0

    def answer(self, path: str, headers: Any) -> tuple[int, dict[str, str], dict[str, Any] | None]:
        serial = path.split("/")[-2]
        if serial in self.refuse:
            status, body = self.refuse[serial]
            return status, {}, body
        if serial not in self.licenses:
            return 404, {}, {"error": "unknown_serial", "message": f"no {serial}"}
        body = self.licenses[serial]
        etag = f'"{body["sha256"]}"'
        if headers.get("If-None-Match") == etag:
            return 304, {"ETag": etag}, None
        return 200, {"ETag": etag}, body


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like the lab simulator
    disable_nagle_algorithm = True  # headers and body are two writes: send each at once
    timeout = 5  # idle kept-alive connections end after this

    def log_message(self, *args: Any) -> None:
        pass

    def setup(self) -> None:
        super().setup()
        self.server.office.connections.append(self.client_address)  # type: ignore[attr-defined]

    def do_GET(self) -> None:
        office: BackOffice = self.server.office  # type: ignore[attr-defined]
        office.requests.append({"path": self.path, "headers": dict(self.headers.items())})
        time.sleep(office.delay)
        status, headers, body = office.answer(self.path, self.headers)
        data = json.dumps(body).encode() if body is not None else b""
        self.send_response(status)
        self.send_header("Content-Length", str(len(data)))
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def office(pki: Pki) -> Iterator[BackOffice]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(pki.cert_file, pki.key_file)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    server.socket = context.wrap_socket(server.socket, server_side=True)
    office = BackOffice(url=f"https://127.0.0.1:{server.server_address[1]}/rs")
    office.licenses = {SERIAL: payload(SERIAL), OTHER: payload(OTHER)}
    office.refuse = {
        REFUSED: (
            403,
            {"error": "not_entitled", "message": "Maintenance ended.", "maintenance_end": "2025-06-30"},
        )
    }
    server.office = office  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield office
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("PRISMADIRECT_") or name.lower() in ("https_proxy", "http_proxy", "no_proxy"):
            monkeypatch.delenv(name)


@pytest.fixture
def run_id(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The simulated ansible-playbook run: change `run_id[0]` to start a new run."""
    current = ["run-1"]
    monkeypatch.setattr(_run, "current_run_id", lambda: current[0])
    return current


@pytest.fixture
def options(office: BackOffice, pki: Pki, tmp_path: Path) -> dict[str, Any]:
    return {
        "url": office.url,
        "organization_id": ORG,
        "verification_code": CODE,
        "ca_path": pki.ca_file,
        "cache_dir": str(tmp_path / "cache"),
        "retries": 0,
        "timeout": 5,
    }


@pytest.fixture
def debug_lines(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    lines: list[str] = []
    module = lookup_loader.get(LOOKUP).__class__.__module__
    monkeypatch.setattr(sys.modules[module].display, "vvv", lambda msg, host=None: lines.append(msg))
    return lines


def run(terms: list[Any], variables: dict[str, Any] | None = None, **kwargs: Any) -> list[dict[str, Any]]:
    lookup = lookup_loader.get(LOOKUP)
    assert lookup is not None, "the collection does not resolve: is collections/ on the collection path?"
    return lookup.run(terms, variables=variables or {}, **kwargs)


# --------------------------------------------------------------------------------------------------
# Results and option sources


def test_returns_verified_items(office: BackOffice, options: dict[str, Any], run_id: list[str]) -> None:
    (item,) = run([SERIAL], **options)
    assert set(item) == ITEM_KEYS
    assert item["ok"] is True and item["serial"] == SERIAL
    assert item["content"] == license_text(SERIAL)
    assert item["sha256"] == office.licenses[SERIAL]["sha256"]
    assert (item["source"], item["not_modified"]) == ("backoffice", False)
    assert item["flexlm"]["serials"] == [SERIAL]
    assert json.loads(json.dumps(item)) == item


def test_terms_are_flattened_and_duplicates_asked_once(
    office: BackOffice, options: dict[str, Any], run_id: list[str]
) -> None:
    items = run(
        [[SERIAL, [OTHER]], SERIAL], cache=False, **{k: v for k, v in options.items() if k != "cache_dir"}
    )
    assert [item["serial"] for item in items] == [SERIAL, OTHER, SERIAL]
    assert len(office.requests) == 2


def test_one_connection_per_call_closed_at_the_end(
    office: BackOffice, options: dict[str, Any], run_id: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    closed: list[object] = []
    original_close = BackOfficeClient.close

    def close(client: BackOfficeClient) -> None:
        closed.append(client)
        original_close(client)

    monkeypatch.setattr(BackOfficeClient, "close", close)
    items = run([SERIAL, OTHER, REFUSED, "PDS-404"], on_error="report", **options)
    assert [item["ok"] for item in items] == [True, True, False, False]
    assert len(office.requests) == 4 and len(office.connections) == 1
    assert len(closed) == 1

    with pytest.raises(AnsibleLookupError):
        run([REFUSED, SERIAL], cache=False, **options)  # fails on the first serial: closed all the same
    assert len(closed) == 2 and len(office.connections) == 2


def test_options_from_variables(office: BackOffice, options: dict[str, Any], run_id: list[str]) -> None:
    variables = {
        "prismadirect_backoffice_url": office.url,
        "prismadirect_organization_id": ORG,
        "prismadirect_verification_code": CODE,
        "prismadirect_backoffice_ca_path": options["ca_path"],
        "prismadirect_backoffice_cache_dir": options["cache_dir"],
        "prismadirect_backoffice_retries": 0,
        "prismadirect_backoffice_on_error": "report",
    }
    items = run([SERIAL, REFUSED], variables)
    assert [item["ok"] for item in items] == [True, False]


def test_options_from_environment(
    office: BackOffice, options: dict[str, Any], run_id: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PRISMADIRECT_BACKOFFICE_URL", office.url)
    monkeypatch.setenv("PRISMADIRECT_ORGANIZATION_ID", ORG)
    monkeypatch.setenv("PRISMADIRECT_VERIFICATION_CODE", CODE)
    monkeypatch.setenv("PRISMADIRECT_BACKOFFICE_CA_PATH", options["ca_path"])
    monkeypatch.setenv("PRISMADIRECT_BACKOFFICE_CACHE", "false")
    (item,) = run([SERIAL])
    assert item["ok"] is True
    run([SERIAL])
    assert len(office.requests) == 2  # cache off: asked every time


BAD_OPTIONS = [
    ({"url": None}, ["option url is required", "prismadirect_backoffice_url", "PRISMADIRECT_BACKOFFICE_URL"]),
    ({"url": "http://backoffice.example.com/rs"}, ["url", "https://"]),
    ({"organization_id": ""}, ["organization_id", "prismadirect_organization_id"]),
    ({"organization_id": "a:b"}, ["organization_id", "':'"]),
    ({"verification_code": None}, ["verification_code", "PRISMADIRECT_VERIFICATION_CODE"]),
    ({"proxy": "proxy.example.com"}, ["proxy", "proxy.example.com:8080"]),
    ({"proxy_username": "svc"}, ["proxy_username", "option proxy"]),
    ({"proxy": "p:8080", "proxy_password": PROXY_PASSWORD}, ["proxy_password", "proxy_username"]),
    ({"timeout": 0}, ["timeout", "above 0"]),
    ({"retries": -1}, ["retries", "0 to 10"]),
    ({"retries": 11}, ["retries", "0 to 10"]),
    ({"ca_path": "/nonexistent/ca.pem"}, ["ca_path", "PEM"]),
    ({"cache_dir": "/proc/forbidden"}, ["cache_dir", "cache to false"]),
]


@pytest.mark.parametrize(("change", "fragments"), BAD_OPTIONS)
def test_invalid_options_name_the_option_and_send_nothing(
    office: BackOffice,
    options: dict[str, Any],
    run_id: list[str],
    change: dict[str, Any],
    fragments: list[str],
) -> None:
    arguments = {**options, **change}
    arguments = {key: value for key, value in arguments.items() if value is not None}
    with pytest.raises(AnsibleLookupError) as info:
        run([SERIAL], **arguments)
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message
    assert CODE not in message and PROXY_PASSWORD not in message
    assert office.requests == []


@pytest.mark.parametrize(
    ("change", "name"), [({"retries": "many"}, "retries"), ({"on_error": "ignore"}, "on_error")]
)
def test_invalid_option_types_name_the_option(
    office: BackOffice, options: dict[str, Any], run_id: list[str], change: dict[str, Any], name: str
) -> None:
    with pytest.raises(AnsibleError) as info:
        run([SERIAL], **{**options, **change})
    assert name in str(info.value)
    assert office.requests == []


@pytest.mark.parametrize("term", ["PDS 1", "../etc/passwd", "", None, True, {"serial": "x"}])
def test_invalid_serials_fail_before_any_request(
    office: BackOffice, options: dict[str, Any], run_id: list[str], term: Any
) -> None:
    with pytest.raises(AnsibleLookupError) as info:
        run([SERIAL, term], on_error="report", **options)
    assert "serial number" in str(info.value) and "PDS-100001" in str(info.value)
    assert office.requests == []


def test_integer_serial_is_accepted(office: BackOffice, options: dict[str, Any], run_id: list[str]) -> None:
    office.licenses["100001"] = payload("100001")
    (item,) = run([100001], **options)
    assert item["serial"] == "100001"


# --------------------------------------------------------------------------------------------------
# Cache: once per run, conditional across runs, failures for the run only


def test_once_per_run(office: BackOffice, options: dict[str, Any], run_id: list[str]) -> None:
    first = run([SERIAL], **options)
    second = run([SERIAL], **options)
    assert first == second
    assert len(office.requests) == 1


def test_new_run_makes_a_conditional_request(
    office: BackOffice, options: dict[str, Any], run_id: list[str]
) -> None:
    (first,) = run([SERIAL], **options)
    run_id[0] = "run-2"
    (second,) = run([SERIAL], **options)
    assert len(office.requests) == 2
    assert office.requests[1]["headers"]["If-None-Match"] == f'"{first["sha256"]}"'
    assert (second["source"], second["not_modified"]) == ("cache", True)
    assert {k: v for k, v in second.items() if k not in ("source", "not_modified")} == {
        k: v for k, v in first.items() if k not in ("source", "not_modified")
    }
    run([SERIAL], **options)  # same run again: no request
    assert len(office.requests) == 2

    office.licenses[SERIAL] = payload(SERIAL, content=license_text(SERIAL, users=50), users=50)
    run_id[0] = "run-3"
    (third,) = run([SERIAL], **options)
    assert (third["source"], third["not_modified"], third["users"]) == ("backoffice", False, 50)
    assert third["flexlm"]["users"] == 50


def test_damaged_cache_copy_is_not_trusted(
    office: BackOffice, options: dict[str, Any], run_id: list[str], tmp_path: Path
) -> None:
    run([SERIAL], **options)
    (entry_file,) = (tmp_path / "cache").glob("*.json")
    entry = json.loads(entry_file.read_text())
    entry["license"]["content"] = entry["license"]["content"].replace("25", "99")
    entry_file.write_text(json.dumps(entry))
    run_id[0] = "run-2"
    (item,) = run([SERIAL], **options)
    assert "If-None-Match" not in office.requests[1]["headers"]
    assert item["source"] == "backoffice" and item["content"] == license_text(SERIAL)


def test_unreadable_entry_is_replaced(
    office: BackOffice, options: dict[str, Any], run_id: list[str], tmp_path: Path
) -> None:
    run([SERIAL], **options)
    (entry_file,) = (tmp_path / "cache").glob("*.json")
    entry_file.write_text("{not json")
    (item,) = run([SERIAL], **options)
    assert item["ok"] and len(office.requests) == 2


def test_failure_is_cached_for_the_run_only(
    office: BackOffice, options: dict[str, Any], run_id: list[str]
) -> None:
    with pytest.raises(AnsibleLookupError) as first:
        run([REFUSED], **options)
    message = str(first.value)
    assert message.startswith(f"{REFUSED}: ")
    assert "2025-06-30" in message and "maintenance contract must be extended" in message
    with pytest.raises(AnsibleLookupError) as second:
        run([REFUSED], **options)
    assert str(second.value) == message
    (reported,) = run([REFUSED], on_error="report", **options)
    assert reported["error"] == message
    assert len(office.requests) == 1

    run_id[0] = "run-2"
    office.refuse.clear()
    office.licenses[REFUSED] = payload(REFUSED)
    (item,) = run([REFUSED], **options)
    assert item["ok"] and len(office.requests) == 2


def test_on_error_report_item_shape(office: BackOffice, options: dict[str, Any], run_id: list[str]) -> None:
    items = run([SERIAL, REFUSED, "PDS-404"], on_error="report", **options)
    assert [item["ok"] for item in items] == [True, False, False]
    refused = items[1]
    assert set(refused) == {"ok", "serial", "error_kind", "error", "status", "maintenance_end"}
    assert refused["serial"] == REFUSED and refused["error_kind"] == "not_entitled"
    assert refused["status"] == 403 and refused["maintenance_end"] == "2025-06-30"
    assert refused["error"].startswith(f"{REFUSED}: ")
    assert items[2]["error_kind"] == "unknown_serial" and ORG in items[2]["error"]


def test_cache_off(office: BackOffice, options: dict[str, Any], run_id: list[str], tmp_path: Path) -> None:
    run([SERIAL], cache=False, **options)
    run([SERIAL], cache=False, **options)
    assert len(office.requests) == 2
    assert not (tmp_path / "cache").exists()


def test_cache_directory_holds_no_secret(
    office: BackOffice, options: dict[str, Any], run_id: list[str], tmp_path: Path
) -> None:
    run([SERIAL, REFUSED], on_error="report", **options)
    cache = tmp_path / "cache"
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    key = hashlib.sha256(f"{office.url}\0{ORG}\0{SERIAL}".encode()).hexdigest()
    assert (cache / f"{key}.json").is_file()
    for path in cache.iterdir():
        assert CODE not in path.read_text() and CODE not in path.name
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0


def test_loose_cache_directory_mode_is_fixed(
    options: dict[str, Any], run_id: list[str], tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o755)
    cache.chmod(0o755)
    run([SERIAL], **options)
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700


def _child(options: dict[str, Any], queue: Any) -> None:
    try:
        (item,) = run([SERIAL], **options)
        queue.put(("ok", item["sha256"], _run.current_run_id()))
    except BaseException as exc:  # report anything to the parent
        queue.put(("error", repr(exc), ""))


def test_forked_workers_share_one_request_per_run(office: BackOffice, options: dict[str, Any]) -> None:
    """Like ansible-playbook's forked workers: same run id (the parent), one request for all."""
    office.delay = 0.2  # the first worker holds the lock while the others queue behind it
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    workers = [context.Process(target=_child, args=(options, queue)) for _ in range(5)]
    for worker in workers:
        worker.start()
    answers = [queue.get(timeout=30) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
    assert all(answer[0] == "ok" for answer in answers), answers
    assert {answer[2] for answer in answers} == {_run.current_run_id()}
    assert len(office.requests) == 1


def test_current_run_id_has_pid_and_start_time() -> None:
    run_id = _run.current_run_id()
    pid, _, started = run_id.partition("@")
    assert int(pid) == os.getpid()
    if Path(f"/proc/{os.getpid()}/stat").exists():
        assert started.isdigit()


def test_run_started_is_this_process_start() -> None:
    started = _run.run_started()
    if Path("/proc/stat").exists():
        assert started is not None and time.time() - 3600 < started <= time.time()


# --------------------------------------------------------------------------------------------------
# Secrets


def test_secrets_never_in_errors_or_debug_output(
    office: BackOffice, options: dict[str, Any], run_id: list[str], debug_lines: list[str]
) -> None:
    office.refuse["PDS-401"] = (401, {"error": "unauthorized", "message": f"wrong code {CODE}"})
    with pytest.raises(AnsibleLookupError) as info:
        run(["PDS-401"], **options)
    assert CODE not in str(info.value) and "verification_code" in str(info.value)

    with pytest.raises(AnsibleLookupError) as info:
        run([SERIAL], **{**options, "url": f"{office.url}?code={CODE}"})
    assert CODE not in str(info.value)

    with pytest.raises(AnsibleLookupError) as info:
        run([SERIAL], **{**options, "proxy": f"svc:{PROXY_PASSWORD}@proxy:8080"})
    assert PROXY_PASSWORD not in str(info.value)

    items = run(
        [SERIAL, "PDS-401"],
        on_error="report",
        proxy="127.0.0.1:1",
        proxy_username="svc",
        proxy_password=PROXY_PASSWORD,
        **options,
    )
    assert [item["error_kind"] for item in items] == ["unreachable", "unauthorized"]
    text = json.dumps(items)
    assert CODE not in text
    assert debug_lines, "expected -vvv debug lines"
    assert all(CODE not in line and PROXY_PASSWORD not in line for line in debug_lines)
