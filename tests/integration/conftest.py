"""Fixtures for integration tests that talk to the lab back-office simulator (``lab/backoffice/``).

The simulator is a real process speaking real HTTPS on 127.0.0.1 (see docs/backoffice-api.md):

``backoffice_sim`` (session)
    One simulator for the whole session, started with ``lab/backoffice/ctl.py`` on a free port in a
    temporary state directory, serving the shipped lab licenses (``lab/licenses/backoffice``), with its
    own credentials (organization ``TEST-ORG``, verification code ``test-code-123``) and a fixed date
    (``SIM_TODAY``) so entitlement answers never change with the calendar. Yields a ``BackofficeSim``:
    ``url``, ``ca_path``, ``organization_id``, ``verification_code``, ``today``, ``stats()``,
    ``set_faults(**faults)``, ``reset()`` and small HTTPS helpers (``request``, ``license``).
    Stopped at the end of the session, also when tests fail.

``backoffice_sim_reset`` (function)
    Resets the session simulator's counters and faults before the test (and after, so a failing test
    leaves no fault behind). Use it as ``pytestmark = pytest.mark.usefixtures("backoffice_sim_reset")``
    in every module that uses ``backoffice_sim``.

``backoffice_sim_factory`` (function)
    ``factory(licenses_dir=None, today=None, **ctl_options) -> BackofficeSim`` starts extra simulators
    (own state directory and free port, same test credentials); all are stopped after the test.

``forward_proxy_factory`` (function)
    ``factory(username=None, password=None) -> ForwardProxy`` starts real forward proxies (tinyproxy,
    see ``forward_proxy.py``) on loopback, with Basic proxy authentication when a user name is given;
    all are stopped after the test. Skips the test when tinyproxy is not installed.
"""

from __future__ import annotations

import base64
import hashlib
import json
import ssl
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from forward_proxy import SKIP_REASON, ForwardProxy, tinyproxy_binary

REPO = Path(__file__).resolve().parents[2]
CTL = REPO / "lab" / "backoffice" / "ctl.py"
LAB_LICENSES = REPO / "lab" / "licenses"
TEST_ORGANIZATION = "TEST-ORG"
TEST_VERIFICATION_CODE = "test-code-123"
SIM_TODAY = date(2026, 11, 29)


def run_ctl(*args: str, check: bool = True, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    """Run ``python lab/backoffice/ctl.py ARGS`` with this interpreter, from an unrelated directory."""
    proc = subprocess.run(
        [sys.executable, str(CTL), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd="/",
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"ctl.py {' '.join(args)} exited {proc.returncode}:\n{proc.stdout}{proc.stderr}")
    return proc


@dataclass
class SimResponse:
    """An HTTP answer: status, headers, body bytes."""

    status: int
    headers: Message
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class BackofficeSim:
    """A running simulator and how to talk to it."""

    url: str
    ca_path: Path
    organization_id: str
    verification_code: str
    today: date
    state_dir: Path
    licenses_dir: Path

    def ssl_context(self) -> ssl.SSLContext:
        """A client context that trusts only this simulator's CA."""
        return ssl.create_default_context(cafile=str(self.ca_path))

    def basic_auth(self, organization_id: str | None = None, verification_code: str | None = None) -> str:
        org = self.organization_id if organization_id is None else organization_id
        code = self.verification_code if verification_code is None else verification_code
        return "Basic " + base64.b64encode(f"{org}:{code}".encode()).decode()

    def request(
        self,
        path: str,
        *,
        method: str = "GET",
        auth: bool | str = True,
        headers: dict[str, str] | None = None,
        json_body: Any = None,
        timeout: float = 10,
    ) -> SimResponse:
        """One HTTPS request (new connection). ``auth``: True = the fixture's credentials, False = none,
        a string = that Authorization header. Non-2xx answers are returned, not raised."""
        all_headers = dict(headers or {})
        if auth is True:
            all_headers["Authorization"] = self.basic_auth()
        elif isinstance(auth, str):
            all_headers["Authorization"] = auth
        data = None
        if json_body is not None:
            data = json.dumps(json_body).encode()
            all_headers["Content-Type"] = "application/json"
        req = urllib.request.Request(self.url + path, data=data, headers=all_headers, method=method)
        try:
            with urllib.request.urlopen(req, context=self.ssl_context(), timeout=timeout) as resp:
                return SimResponse(resp.status, resp.headers, resp.read())
        except urllib.error.HTTPError as err:
            with err:
                return SimResponse(err.code, err.headers, err.read())

    def license(self, serial: str, **kw: Any) -> SimResponse:
        """``GET /v1/licenses/{serial}/latest`` (serial sent as given: quote it yourself if needed)."""
        return self.request(f"/v1/licenses/{serial}/latest", **kw)

    def stats(self) -> dict[str, Any]:
        """``{"requests": n, "by_serial": {...}, "by_status": {"200": n, ...}}`` (``/v1`` requests only)."""
        return self.request("/_sim/stats", auth=False).json()

    def set_faults(self, **faults: Any) -> dict[str, Any]:
        """Replace all faults, e.g. ``set_faults(delay=0.5)``, ``set_faults(unavailable=2, retry_after=0)``,
        ``set_faults(expired_maintenance=["PDS-100001"])``; ``set_faults()`` clears them."""
        resp = self.request("/_sim/faults", method="PUT", auth=False, json_body=faults)
        assert resp.status == 200, resp.body
        return resp.json()

    def reset(self) -> None:
        """Clear counters and faults."""
        resp = self.request("/_sim/reset", method="POST", auth=False)
        assert resp.status == 200, resp.body


def start_simulator(
    state_dir: Path,
    *,
    licenses_dir: Path = LAB_LICENSES / "backoffice",
    today: date = SIM_TODAY,
    organization_id: str = TEST_ORGANIZATION,
    verification_code: str = TEST_VERIFICATION_CODE,
    port: int = 0,
    extra: tuple[str, ...] = (),
) -> BackofficeSim:
    """Start a simulator with ctl.py (returns when it answers); stop it with ``stop_simulator``."""
    run_ctl(
        "start",
        "--state-dir",
        str(state_dir),
        "--port",
        str(port),
        "--licenses",
        str(licenses_dir),
        "--today",
        today.isoformat(),
        "--organization",
        organization_id,
        "--verification-code-sha256",
        hashlib.sha256(verification_code.encode()).hexdigest(),
        *extra,
    )
    return BackofficeSim(
        url=(state_dir / "url").read_text().strip(),
        ca_path=state_dir / "ca.pem",
        organization_id=organization_id,
        verification_code=verification_code,
        today=today,
        state_dir=state_dir,
        licenses_dir=licenses_dir,
    )


def stop_simulator(state_dir: Path) -> None:
    run_ctl("stop", "--state-dir", str(state_dir), check=False)


@pytest.fixture(scope="session")
def backoffice_sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackofficeSim]:
    """The session's simulator (see the module docstring)."""
    state_dir = tmp_path_factory.mktemp("backoffice-sim")
    try:
        yield start_simulator(state_dir)
    finally:
        stop_simulator(state_dir)


@pytest.fixture
def backoffice_sim_reset(backoffice_sim: BackofficeSim) -> Iterator[BackofficeSim]:
    """The session's simulator with counters and faults cleared before (and after) the test."""
    backoffice_sim.reset()
    yield backoffice_sim
    backoffice_sim.reset()


@pytest.fixture
def backoffice_sim_factory(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[..., BackofficeSim]]:
    """Start extra simulators for one test; all are stopped afterwards."""
    started: list[Path] = []

    def factory(**kw: Any) -> BackofficeSim:
        state_dir = tmp_path_factory.mktemp("backoffice-sim-extra")
        started.append(state_dir)
        return start_simulator(state_dir, **kw)

    try:
        yield factory
    finally:
        for state_dir in started:
            stop_simulator(state_dir)


@pytest.fixture
def forward_proxy_factory(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[..., ForwardProxy]]:
    """Start tinyproxy forward proxies for one test; all are stopped afterwards (see the module docstring)."""
    if tinyproxy_binary() is None:
        pytest.skip(SKIP_REASON)
    started: list[ForwardProxy] = []

    def factory(username: str | None = None, password: str | None = None) -> ForwardProxy:
        proxy = ForwardProxy(tmp_path_factory.mktemp("forward-proxy"), username=username, password=password)
        started.append(proxy)
        return proxy.start()

    try:
        yield factory
    finally:
        for proxy in started:
            proxy.stop()
