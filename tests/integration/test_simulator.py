"""The lab back-office simulator (lab/backoffice/) against docs/backoffice-api.md, over real HTTPS."""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import importlib.util
import json
import os
import ssl
import stat
import subprocess
import sys
import urllib.error
import urllib.request
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import BackofficeSim

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("backoffice_sim_reset")]

REPO = Path(__file__).resolve().parents[2]
CTL = REPO / "lab" / "backoffice" / "ctl.py"
LAB_LICENSES = REPO / "lab" / "licenses"

NEW = {"issued": "2026-11-01", "license_expiry": "2030-12-31", "maintenance_end": "2030-12-31"}
SERIALS = {"PDS-100001": 25, "PDS-100002": 10, "PDS-100003": 50}


def run_ctl(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [sys.executable, str(CTL), *args], capture_output=True, text=True, timeout=30, cwd="/"
    )
    assert not check or proc.returncode == 0, f"ctl.py {args} exited {proc.returncode}: {proc.stderr}"
    return proc


def stop_simulator(state: Path) -> None:
    run_ctl("stop", "--state-dir", str(state), check=False)


def _gone(pid: int) -> bool:
    """The process has exited (a zombie waiting for init to reap it counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return True


def _module(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses need the module registered
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def make_license():
    return _module("lab_make_license", REPO / "lab" / "backoffice" / "make_license.py")


@pytest.fixture(scope="module")
def flexlm():
    return _module("lab_flexlm", REPO / "plugins" / "module_utils" / "flexlm.py")


def _assert_error(resp, status: int, error: str) -> dict:
    assert resp.status == status, resp.body
    assert resp.headers["Content-Type"] == "application/json"
    body = resp.json()
    assert body["error"] == error
    assert isinstance(body["message"], str)
    assert body["message"]
    return body


# --- ping -----------------------------------------------------------------------------------------------


def test_ping_without_credentials(backoffice_sim: BackofficeSim):
    resp = backoffice_sim.request("/v1/ping", auth=False)
    assert resp.status == 200
    assert resp.headers["Content-Type"] == "application/json"
    body = resp.json()
    assert body["status"] == "ok"
    assert body["service"] == "remote-service-backoffice"
    assert body["api"] == "v1"
    assert body["authenticated"] is None
    assert body["time"].endswith("Z")


def test_ping_says_whether_credentials_are_valid(backoffice_sim: BackofficeSim):
    assert backoffice_sim.request("/v1/ping").json()["authenticated"] is True
    wrong = backoffice_sim.basic_auth(verification_code="nope")
    assert backoffice_sim.request("/v1/ping", auth=wrong).json()["authenticated"] is False
    assert backoffice_sim.request("/v1/ping", auth="Bearer abc").json()["authenticated"] is False


# --- 200 and 304 ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("serial", "users"), SERIALS.items())
def test_latest_license(backoffice_sim: BackofficeSim, serial: str, users: int):
    resp = backoffice_sim.license(serial)
    assert resp.status == 200
    assert resp.headers["Content-Type"] == "application/json"
    assert resp.headers["Cache-Control"] == "no-cache"
    assert int(resp.headers["Content-Length"]) == len(resp.body)
    body = resp.json()
    assert body["serial"] == serial
    assert {k: body[k] for k in NEW} == NEW
    assert body["users"] == users
    assert body["file_name"] == f"{serial}.lic"
    assert body["features"] == [
        {"name": "PRISMAdirect", "version": "2026.1", "count": 1, "expiry": "2030-12-31"},
        {"name": "PD_USERS", "version": "2026.1", "count": users, "expiry": "2030-12-31"},
    ]
    shipped = (LAB_LICENSES / "backoffice" / f"{serial}_20261101.lic").read_bytes()
    assert body["content"].encode() == shipped
    assert body["sha256"] == hashlib.sha256(shipped).hexdigest()
    assert resp.headers["ETag"] == f'"{body["sha256"]}"'


def test_not_modified(backoffice_sim: BackofficeSim):
    etag = backoffice_sim.license("PDS-100001").headers["ETag"]
    for header in (etag, f'"0000", {etag}', f"W/{etag}", "*"):
        resp = backoffice_sim.license("PDS-100001", headers={"If-None-Match": header})
        assert resp.status == 304, header
        assert resp.body == b""
        assert resp.headers["ETag"] == etag
    resp = backoffice_sim.license("PDS-100001", headers={"If-None-Match": '"' + "0" * 64 + '"'})
    assert resp.status == 200


def test_keep_alive(backoffice_sim: BackofficeSim):
    host, port = backoffice_sim.url.removeprefix("https://").split(":")
    conn = http.client.HTTPSConnection(host, int(port), context=backoffice_sim.ssl_context(), timeout=10)
    try:
        for serial in ("PDS-100001", "PDS-100404", "PDS-100002"):
            conn.request(
                "GET", f"/v1/licenses/{serial}/latest", headers={"Authorization": backoffice_sim.basic_auth()}
            )
            resp = conn.getresponse()
            resp.read()
            assert resp.status in (200, 404)
            assert resp.version == 11
    finally:
        conn.close()
    assert backoffice_sim.stats()["requests"] == 3


# --- refusals -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "auth",
    [
        pytest.param(False, id="no-credentials"),
        pytest.param("wrong-code", id="wrong-code"),
        pytest.param("wrong-org", id="wrong-org"),
        pytest.param("Basic !!!not-base64", id="bad-base64"),
        pytest.param("Basic " + "bm9jb2xvbg==", id="no-colon"),
        pytest.param("Bearer abc", id="not-basic"),
    ],
)
def test_unauthorized(backoffice_sim: BackofficeSim, auth):
    if auth == "wrong-code":
        auth = backoffice_sim.basic_auth(verification_code=backoffice_sim.verification_code + "x")
    elif auth == "wrong-org":
        auth = backoffice_sim.basic_auth(organization_id="OTHER-ORG")
    resp = backoffice_sim.license("PDS-100001", auth=auth)
    body = _assert_error(resp, 401, "unauthorized")
    assert resp.headers["WWW-Authenticate"] == 'Basic realm="remote-service"'
    assert backoffice_sim.verification_code not in resp.body.decode()
    assert "content" not in body


def test_not_entitled(backoffice_sim: BackofficeSim):
    body = _assert_error(backoffice_sim.license("PDS-100009"), 403, "not_entitled")
    assert body["maintenance_end"] == "2025-06-30"
    assert "2025-06-30" in body["message"]


def test_unknown_serial(backoffice_sim: BackofficeSim):
    _assert_error(backoffice_sim.license("PDS-999999"), 404, "unknown_serial")


@pytest.mark.parametrize("serial", ["bad%20serial", "-PDS", "a" * 65, "a/b", "%2E%2E", "PDS%0A1", "", "ä"])
def test_bad_serial(backoffice_sim: BackofficeSim, serial: str):
    path = f"/v1/licenses/{urllib.request.quote(serial, safe='/%')}/latest"
    _assert_error(backoffice_sim.request(path), 400, "bad_request")


def test_unknown_path_and_method(backoffice_sim: BackofficeSim):
    _assert_error(backoffice_sim.request("/v1/nothing"), 404, "not_found")
    resp = backoffice_sim.request("/v1/licenses/PDS-100001/latest", method="POST", json_body={})
    _assert_error(resp, 405, "method_not_allowed")
    assert resp.headers["Allow"] == "GET"


# --- faults ---------------------------------------------------------------------------------------------


def test_faults_default_and_replace(backoffice_sim: BackofficeSim):
    current = backoffice_sim.request("/_sim/faults", auth=False).json()
    assert current == {
        "delay": 0.0,
        "unavailable": 0,
        "retry_status": 503,
        "retry_after": 1,
        "bad_checksum": False,
        "truncate": False,
        "unsafe_file_name": False,
        "expired_maintenance": [],
        "not_a_license": False,
        "wrong_serial": False,
    }
    assert backoffice_sim.set_faults(bad_checksum=True)["bad_checksum"] is True
    replaced = backoffice_sim.set_faults(truncate=True)
    assert replaced["truncate"] is True
    assert replaced["bad_checksum"] is False  # PUT replaces, it does not merge


@pytest.mark.parametrize(
    "faults",
    [
        {"nonsense": 1},
        {"delay": -1},
        {"delay": None},
        {"delay": "1"},
        {"unavailable": "2"},
        {"unavailable": 1.5},
        {"retry_status": 500},
        {"retry_after": True},
        {"truncate": 1},
        {"expired_maintenance": "PDS-100001"},
        [1],
    ],
)
def test_faults_validation(backoffice_sim: BackofficeSim, faults):
    resp = backoffice_sim.request("/_sim/faults", method="PUT", auth=False, json_body=faults)
    _assert_error(resp, 400, "bad_request")


def test_fault_delay(backoffice_sim: BackofficeSim):
    backoffice_sim.set_faults(delay=2.0)
    with pytest.raises((TimeoutError, urllib.error.URLError)):
        backoffice_sim.request("/v1/ping", timeout=0.3)
    assert backoffice_sim.request("/_sim/stats", auth=False, timeout=1).status == 200  # /_sim not delayed
    backoffice_sim.set_faults(delay=0.1)
    assert backoffice_sim.license("PDS-100001").status == 200


@pytest.mark.parametrize(("status", "error"), [(503, "unavailable"), (429, "too_many_requests")])
def test_fault_unavailable(backoffice_sim: BackofficeSim, status: int, error: str):
    backoffice_sim.set_faults(unavailable=2, retry_status=status, retry_after=7)
    for left in (1, 0):
        resp = backoffice_sim.license("PDS-100001")
        _assert_error(resp, status, error)
        assert resp.headers["Retry-After"] == "7"
        assert backoffice_sim.request("/_sim/faults", auth=False).json()["unavailable"] == left
    assert backoffice_sim.request("/v1/ping").status == 200  # pings do not use up the burst
    assert backoffice_sim.license("PDS-100001").status == 200
    assert backoffice_sim.stats()["by_status"] == {str(status): 2, "200": 2}


def test_fault_unavailable_defaults(backoffice_sim: BackofficeSim):
    backoffice_sim.set_faults(unavailable=1)
    resp = backoffice_sim.license("PDS-100001", auth=False)  # before authentication, like a load balancer
    _assert_error(resp, 503, "unavailable")
    assert resp.headers["Retry-After"] == "1"


def test_fault_bad_checksum(backoffice_sim: BackofficeSim):
    backoffice_sim.set_faults(bad_checksum=True)
    resp = backoffice_sim.license("PDS-100001")
    body = resp.json()
    assert body["sha256"] != hashlib.sha256(body["content"].encode()).hexdigest()
    assert len(body["sha256"]) == 64
    assert resp.headers["ETag"] == f'"{body["sha256"]}"'


def test_fault_truncate(backoffice_sim: BackofficeSim):
    backoffice_sim.set_faults(truncate=True)
    req = urllib.request.Request(
        backoffice_sim.url + "/v1/licenses/PDS-100001/latest",
        headers={"Authorization": backoffice_sim.basic_auth()},
    )
    with urllib.request.urlopen(req, context=backoffice_sim.ssl_context(), timeout=10) as resp:
        length = int(resp.headers["Content-Length"])
        with pytest.raises(http.client.IncompleteRead) as info:
            resp.read()
    assert len(info.value.partial) == length // 2
    assert backoffice_sim.request("/v1/ping").status == 200  # the server carries on


def test_fault_unsafe_file_name(backoffice_sim: BackofficeSim):
    backoffice_sim.set_faults(unsafe_file_name=True)
    assert backoffice_sim.license("PDS-100002").json()["file_name"] == "../../PDS-100002.lic"


def test_fault_expired_maintenance(backoffice_sim: BackofficeSim):
    backoffice_sim.set_faults(expired_maintenance=["PDS-100001", "PDS-999999"])
    body = _assert_error(backoffice_sim.license("PDS-100001"), 403, "not_entitled")
    assert date.fromisoformat(body["maintenance_end"]) == backoffice_sim.today - timedelta(days=1)
    assert backoffice_sim.license("PDS-100002").status == 200
    assert backoffice_sim.license("PDS-999999").status == 404  # unknown serials stay unknown
    assert backoffice_sim.license("PDS-100001", auth=False).status == 401


def test_fault_not_a_license(backoffice_sim: BackofficeSim, flexlm):
    backoffice_sim.set_faults(not_a_license=True)
    resp = backoffice_sim.license("PDS-100001")
    body = resp.json()
    assert body["content"].lstrip().startswith("<!DOCTYPE html>")
    assert body["sha256"] == hashlib.sha256(body["content"].encode()).hexdigest()
    assert resp.headers["ETag"] == f'"{body["sha256"]}"'
    lic = None
    with contextlib.suppress(flexlm.LicenseParseError):
        lic = flexlm.parse_license(body["content"])
    assert lic is None or not lic.features


def test_fault_wrong_serial(backoffice_sim: BackofficeSim, flexlm):
    backoffice_sim.set_faults(wrong_serial=True)
    body = backoffice_sim.license("PDS-100001").json()
    assert body["serial"] == "PDS-100001"
    assert body["sha256"] == hashlib.sha256(body["content"].encode()).hexdigest()
    serials = flexlm.parse_license(body["content"]).serials
    assert serials
    assert "PDS-100001" not in serials


def test_reset_clears_faults_and_counters(backoffice_sim: BackofficeSim):
    backoffice_sim.set_faults(bad_checksum=True, unavailable=5)
    backoffice_sim.request("/v1/ping")
    backoffice_sim.reset()
    assert backoffice_sim.stats() == {"requests": 0, "by_serial": {}, "by_status": {}}
    body = backoffice_sim.license("PDS-100001").json()
    assert body["sha256"] == hashlib.sha256(body["content"].encode()).hexdigest()


# --- counters -------------------------------------------------------------------------------------------


def test_stats_count_per_serial_and_status(backoffice_sim: BackofficeSim):
    for serial in ("PDS-100001", "PDS-100001", "PDS-100002", "PDS-100009", "PDS-999999", "bad%20serial"):
        backoffice_sim.license(serial)
    backoffice_sim.license("PDS-100003", auth=False)
    backoffice_sim.request("/v1/ping", auth=False)
    backoffice_sim.set_faults()  # /_sim requests are not counted
    assert backoffice_sim.stats() == {
        "requests": 8,
        "by_serial": {"PDS-100001": 2, "PDS-100002": 1, "PDS-100003": 1, "PDS-100009": 1, "PDS-999999": 1},
        "by_status": {"200": 4, "400": 1, "401": 1, "403": 1, "404": 1},
    }


# --- TLS ------------------------------------------------------------------------------------------------


def test_tls_refused_without_the_ca(backoffice_sim: BackofficeSim):
    with pytest.raises(urllib.error.URLError) as info:
        urllib.request.urlopen(
            backoffice_sim.url + "/v1/ping", context=ssl.create_default_context(), timeout=5
        )
    assert isinstance(info.value.reason, ssl.SSLCertVerificationError)
    assert backoffice_sim.request("/v1/ping").status == 200  # the failed handshake did not hurt the server


def test_certificate_names_and_key_mode(backoffice_sim: BackofficeSim):
    port = backoffice_sim.url.rsplit(":", 1)[1]
    with urllib.request.urlopen(
        f"https://localhost:{port}/v1/ping", context=backoffice_sim.ssl_context(), timeout=5
    ) as resp:
        assert resp.status == 200
    key = backoffice_sim.state_dir / "server-key.pem"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert backoffice_sim.url.startswith("https://127.0.0.1:")


# --- licenses folder ------------------------------------------------------------------------------------


def test_reindex_when_the_folder_changes(tmp_path: Path, backoffice_sim_factory, make_license):
    folder = tmp_path / "licenses"
    folder.mkdir()
    common = {"expiry": date(2030, 12, 31), "users": 7}
    old = make_license.make_license(
        "PDS-200001", "025044000001", issued=date(2025, 1, 1), maintenance_end=date(2030, 1, 1), **common
    )
    (folder / "PDS-200001_20250101.lic").write_text(old)
    (folder / "broken.lic").write_text("FEATURE this is not a license\n")
    sim = backoffice_sim_factory(licenses_dir=folder)
    assert sim.license("PDS-200001").json()["issued"] == "2025-01-01"
    new = make_license.make_license(
        "PDS-200001", "025044000001", issued=date(2026, 2, 1), maintenance_end=date(2031, 1, 1), **common
    )
    (folder / "PDS-200001_20260201.lic").write_text(new)
    body = sim.license("PDS-200001").json()
    assert body["issued"] == "2026-02-01"
    assert body["content"] == new
    assert "skipping broken.lic" in (sim.state_dir / "server.log").read_text()


def test_maintenance_end_compared_with_today(backoffice_sim_factory):
    sim = backoffice_sim_factory(today=date(2031, 1, 1))
    body = _assert_error(sim.license("PDS-100001"), 403, "not_entitled")
    assert body["maintenance_end"] == "2030-12-31"
    sim = backoffice_sim_factory(today=date(2030, 12, 31))  # the last day of maintenance still counts
    assert sim.license("PDS-100001").status == 200


# --- ctl.py ---------------------------------------------------------------------------------------------


def _ctl_start(state: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return run_ctl("start", "--state-dir", str(state), "--port", "0", *extra, check=False)


def test_ctl_start_is_idempotent_and_ready(tmp_path: Path):
    state = tmp_path / "state"
    try:
        first = _ctl_start(state)
        assert first.returncode == 0, first.stderr
        assert "started at https://127.0.0.1:" in first.stdout
        url = (state / "url").read_text().strip()
        pid = (state / "pid").read_text().strip()
        # start returned: it answers at once, over TLS verified with the CA it wrote
        ctx = ssl.create_default_context(cafile=str(state / "ca.pem"))
        with urllib.request.urlopen(url + "/v1/ping", context=ctx, timeout=5) as resp:
            assert json.load(resp)["status"] == "ok"
        second = _ctl_start(state)
        assert second.returncode == 0, second.stderr
        assert f"already running at {url} (pid {pid}" in second.stdout
        assert (state / "pid").read_text().strip() == pid
        status = run_ctl("status", "--state-dir", str(state), check=False)
        assert status.returncode == 0
        assert f"running at {url}" in status.stdout
    finally:
        stop_simulator(state)


def test_ctl_stop_and_status(tmp_path: Path):
    state = tmp_path / "state"
    try:
        assert _ctl_start(state).returncode == 0
        pid = int((state / "pid").read_text())
        stopped = run_ctl("stop", "--state-dir", str(state))
        assert f"stopped (pid {pid})" in stopped.stdout
        assert not (state / "pid").exists()
        assert not (state / "url").exists()
        assert _gone(pid)
        again = run_ctl("stop", "--state-dir", str(state))
        assert "not running" in again.stdout
        status = run_ctl("status", "--state-dir", str(state), check=False)
        assert status.returncode == 3
        assert "stopped" in status.stdout
    finally:
        stop_simulator(state)


def test_ctl_replaces_a_stale_pid_file(tmp_path: Path):
    state = tmp_path / "state"
    state.mkdir()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (state / "pid").write_text(f"{dead.pid}\n")
    (state / "url").write_text("https://127.0.0.1:1\n")
    try:
        started = _ctl_start(state)
        assert started.returncode == 0, started.stderr
        assert "removing stale pid file" in started.stdout
        assert int((state / "pid").read_text()) != dead.pid
        assert run_ctl("status", "--state-dir", str(state), check=False).returncode == 0
    finally:
        stop_simulator(state)


def test_ctl_start_fails_with_the_log_tail(tmp_path: Path, backoffice_sim: BackofficeSim):
    state = tmp_path / "state"
    busy = backoffice_sim.url.rsplit(":", 1)[1]  # the session simulator holds this port
    try:
        result = run_ctl("start", "--state-dir", str(state), "--port", busy, check=False)
        assert result.returncode == 1
        assert "error: the simulator exited" in result.stderr
        assert "cannot listen on 127.0.0.1:" in result.stderr
        assert not (state / "pid").exists()
    finally:
        stop_simulator(state)


# --- lab licenses ---------------------------------------------------------------------------------------


def test_shipped_lab_licenses_are_what_the_generator_makes(tmp_path: Path, make_license):
    make_license.write_lab_set(tmp_path)
    for sub in ("backoffice", "installed"):
        made = {p.name: p.read_bytes() for p in (tmp_path / sub).glob("*.lic")}
        shipped = {p.name: p.read_bytes() for p in (LAB_LICENSES / sub).glob("*.lic")}
        assert made == shipped, sub


def test_generated_license_parses(make_license, flexlm):
    text = make_license.make_license(
        "PDS-300001",
        "025044000002",
        issued=date(2026, 11, 1),
        expiry=None,
        maintenance_end=date(2030, 12, 31),
        users=12,
        features=("PRISMAdirect", "PD_OPTION"),
    )
    lic = flexlm.parse_license(text)
    assert lic.serials == ("PDS-300001",)
    assert lic.issued == date(2026, 11, 1)
    assert lic.maintenance_end == date(2030, 12, 31)
    assert lic.earliest_expiry is None
    assert lic.users == 12
    assert [f.name for f in lic.features] == ["PRISMAdirect", "PD_OPTION", "PD_USERS"]
    assert "LAB LICENSE" in text
    assert not flexlm.validate_license(lic).errors


def test_shipped_credentials_hold_only_a_hash():
    data = json.loads((REPO / "lab" / "backoffice" / "credentials.json").read_text())
    assert data["organization_id"] == "PRS-LAB-ORG"
    assert len(data["verification_code_sha256"]) == 64
    int(data["verification_code_sha256"], 16)
    assert set(data) == {"organization_id", "verification_code_sha256"}
