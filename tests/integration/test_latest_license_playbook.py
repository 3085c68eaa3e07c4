"""The latest_license lookup in real ``ansible-playbook`` runs against the simulator, over real HTTPS.

Every test goes through ``run_playbook`` (bound to the test as the ``play`` fixture). It writes an
inventory and an extra-vars file into a fresh directory. The extra-vars file holds the connection,
secrets included, so that they are never on a command line. It then runs ``playbooks/latest_license.yml``
(every host calls the lookup, then one file gets what each host got, as JSON) and returns the finished
process. Tests assert on that JSON, on the failure message Ansible prints on stdout, and on the
simulator's ``/_sim/stats``, which count the requests that really reached it. Each test has its own
cache directory (``tmp_path/cache``), shared only by the runs of that test.
"""

from __future__ import annotations

import ast
import base64
import functools
import hashlib
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml

if TYPE_CHECKING:
    from conftest import BackofficeSim
    from forward_proxy import ForwardProxy

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("backoffice_sim_reset")]

REPO = Path(__file__).resolve().parents[2]
PLAYBOOK = Path(__file__).resolve().parent / "playbooks" / "latest_license.yml"
LOOKUP_SOURCE = REPO / "plugins" / "lookup" / "latest_license.py"
FIRST_HOST = "host01"

# lab/licenses/README.md: users of the newest license of each serial, and the dates of that issue
LAB_USERS = {"PDS-100001": 25, "PDS-100002": 10}
NEWEST_ISSUE = {"issued": "2026-11-01", "license_expiry": "2030-12-31", "maintenance_end": "2030-12-31"}

PROXY_USER = "svc-ors"
PROXY_PASSWORD = "proxy-password-" + secrets.token_hex(12)
WRONG_PROXY_PASSWORD = "wrong-proxy-password-" + secrets.token_hex(12)
WRONG_CODE = "wrong-verification-code-" + secrets.token_hex(16)

# Outside settings that must not leak into a run: the runs get a clean environment plus what a test sets.
_NOT_INHERITED = re.compile(r"ANSIBLE_.*|PRISMADIRECT_.*|(https?|no|all)_proxy", re.IGNORECASE)
_FATAL = re.compile(r"fatal: \[[^\]]+\]: FAILED! => (?P<result>\{.*\})")


# --------------------------------------------------------------------------------------------------
# The helper every test uses


class PlaybookRun(subprocess.CompletedProcess):
    """A finished ``ansible-playbook`` run, and what its playbook wrote."""

    def __init__(self, proc: subprocess.CompletedProcess[str], result_file: Path) -> None:
        super().__init__(proc.args, proc.returncode, proc.stdout, proc.stderr)
        self.result_file = result_file

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def results(self) -> dict[str, list[dict[str, Any]]]:
        """``{host: [items]}``: what the lookup returned on every host (the run must have succeeded)."""
        assert self.returncode == 0, f"ansible-playbook exited {self.returncode}:\n{self.output}"
        return json.loads(self.result_file.read_text())

    def items(self) -> list[dict[str, Any]]:
        """What the lookup returned on the first host."""
        return self.results()[FIRST_HOST]

    def failure(self) -> str:
        """The message of the first failed host, from ``fatal: [host]: FAILED! => {...}`` on stdout."""
        assert self.returncode != 0, f"ansible-playbook should have failed:\n{self.output}"
        for line in self.stdout.splitlines():
            if match := _FATAL.fullmatch(line):
                return json.loads(match["result"])["msg"]
        raise AssertionError(f"no 'fatal: [...]: FAILED! => {{...}}' line on stdout:\n{self.output}")


def connection_vars(sim: BackofficeSim) -> dict[str, Any]:
    """The lookup's connection variables for the simulator ``sim``."""
    return {
        "prismadirect_backoffice_url": sim.url,
        "prismadirect_backoffice_ca_path": str(sim.ca_path),
        "prismadirect_organization_id": sim.organization_id,
        "prismadirect_verification_code": sim.verification_code,
    }


def _write_private(path: Path, data: Any) -> Path:
    path.touch(mode=0o600)
    path.write_text(json.dumps(data, indent=2))
    return path


def run_playbook(
    workdir: Path,
    sim: BackofficeSim,
    serials: list[str],
    *,
    options: Mapping[str, Any] | None = None,
    variables: Mapping[str, Any] | None = None,
    hosts: int = 1,
    forks: int = 1,
    env: Mapping[str, str] | None = None,
    verbosity: int = 0,
) -> PlaybookRun:
    """Run the test playbook: each of ``hosts`` hosts calls ``query(latest_license, serials, **options)``.

    ``variables`` are added to the connection variables of ``sim`` (a ``None`` value removes one). They
    and the inventory are written to files in a new directory under ``workdir``. Every run of one test
    shares the cache directory ``workdir/cache``. ``env`` adds to a clean environment (no ``ANSIBLE_*``,
    ``PRISMADIRECT_*`` or proxy variables from outside).
    """
    rundir = Path(tempfile.mkdtemp(prefix="run-", dir=workdir))
    result_file = rundir / "result.json"
    extra_vars = {
        name: value
        for name, value in {**connection_vars(sim), **(variables or {})}.items()
        if value is not None
    }
    extra_vars.update(
        test_serials=list(serials), test_lookup_options=dict(options or {}), test_result_file=str(result_file)
    )
    inventory = {
        "all": {
            "hosts": {f"host{number:02d}": None for number in range(1, hosts + 1)},
            "vars": {
                "ansible_connection": "local",
                "ansible_python_interpreter": "{{ ansible_playbook_python }}",
            },
        }
    }
    command = [
        str(Path(sys.executable).with_name("ansible-playbook")),
        "--inventory",
        str(_write_private(rundir / "inventory.json", inventory)),
        "--extra-vars",
        f"@{_write_private(rundir / 'vars.json', extra_vars)}",
        "--forks",
        str(forks),
        *([f"-{'v' * verbosity}"] if verbosity else []),
        str(PLAYBOOK),
    ]
    environment = {name: value for name, value in os.environ.items() if not _NOT_INHERITED.fullmatch(name)}
    environment.update(
        ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
        ANSIBLE_FORCE_COLOR="0",
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_CALLBACK_RESULT_FORMAT="json",  # one "fatal: [host]: FAILED! => {...}" line per failure
        PRISMADIRECT_BACKOFFICE_CACHE_DIR=str(workdir / "cache"),
        **(env or {}),
    )
    proc = subprocess.run(command, capture_output=True, text=True, env=environment, cwd=rundir, timeout=300)
    return PlaybookRun(proc, result_file)


@pytest.fixture
def play(tmp_path: Path, backoffice_sim: BackofficeSim) -> Callable[..., PlaybookRun]:
    """``run_playbook`` for this test's directory and the session's simulator."""
    return functools.partial(run_playbook, tmp_path, backoffice_sim)


# --------------------------------------------------------------------------------------------------
# Small helpers


def documented_fields(outcome: str) -> set[str]:
    """Item fields that the lookup's RETURN documentation says are returned on ``outcome`` (or always)."""
    module = ast.parse(LOOKUP_SOURCE.read_text())
    text = next(
        node.value.value
        for node in module.body
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "RETURN" for t in node.targets)
    )
    contains = yaml.safe_load(text)["_raw"]["contains"]
    return {
        name for name, doc in contains.items() if doc["returned"] == "always" or outcome in doc["returned"]
    }


def assert_failure(run: PlaybookRun, serial: str, *fragments: str) -> str:
    """The run failed on the lookup with a message that starts with ``serial`` and has every fragment."""
    message = run.failure()
    assert f"The lookup plugin 'printops.prismadirect.latest_license' failed: {serial}: " in message, message
    missing = [fragment for fragment in fragments if fragment not in message]
    assert not missing, f"{missing} not in the message: {message}"
    return message


def authority(sim: BackofficeSim) -> str:
    """``host:port`` of the simulator, as a proxy's CONNECT names it."""
    return urllib.parse.urlsplit(sim.url).netloc


def closed_port() -> int:
    """A loopback port nothing listens on (it was free a moment ago)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def proxy_vars(proxy: ForwardProxy, password: str | None = None) -> dict[str, Any]:
    """Variables that send the lookup through ``proxy`` (with its credentials, or ``password``)."""
    return {
        "prismadirect_backoffice_proxy": proxy.address,
        "prismadirect_backoffice_proxy_username": proxy.username,
        "prismadirect_backoffice_proxy_password": password or proxy.password,
    }


# --------------------------------------------------------------------------------------------------
# Success


def test_two_serials_come_back_verified_with_every_documented_field(play):
    items = play(list(LAB_USERS)).items()

    assert [item["serial"] for item in items] == list(LAB_USERS)
    for item in items:
        serial = item["serial"]
        assert documented_fields("success") <= item.keys()
        assert (item["ok"], item["not_modified"], item["source"]) == (True, False, "backoffice")
        assert item["sha256"] == hashlib.sha256(item["content"].encode()).hexdigest()
        assert item["file_name"] == f"{serial}.lic"
        assert serial in item["flexlm"]["serials"]
        assert item["users"] == item["flexlm"]["users"] == LAB_USERS[serial]
        assert {key: item[key] for key in NEWEST_ISSUE} == NEWEST_ISSUE
        assert [feature["name"] for feature in item["features"]] == ["PRISMAdirect", "PD_USERS"]


# --------------------------------------------------------------------------------------------------
# Failures: the message starts with the serial and names the cause and the fix


@dataclass(frozen=True)
class Refusal:
    """A serial the back office refuses, or whose license the lookup refuses to return."""

    serial: str
    fragments: tuple[str, ...]  # the cause, then the fix
    faults: dict[str, Any] = field(default_factory=dict)
    variables: dict[str, Any] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)


REFUSALS = {
    "401 wrong verification code": Refusal(
        "PDS-100001",
        (
            "the back office refused the credentials (HTTP 401",
            "check organization_id (TEST-ORG) and verification_code",
        ),
        variables={"prismadirect_verification_code": "not-the-code"},
    ),
    "403 maintenance ended": Refusal(
        "PDS-100009",
        (
            "not entitled to license updates: its maintenance ended on 2025-06-30 (HTTP 403",
            "must be extended",
        ),
    ),
    "404 unknown serial": Refusal(
        "PDS-999999",
        (
            "knows no installation with serial PDS-999999 in organization TEST-ORG (HTTP 404",
            "check that the serial",
        ),
    ),
    "checksum mismatch": Refusal(
        "PDS-100001",
        ("failed its integrity check", "was not used; try again"),
        faults={"bad_checksum": True},
    ),
    "not a FlexNet license": Refusal(
        "PDS-100001",
        ("is not a FlexNet license", "Check that url points at the Remote Service back office"),
        faults={"not_a_license": True},
    ),
    "license of another serial": Refusal(
        "PDS-100001",
        ("is for serial(s) PDS-100002", "it was not used. Check the serial number"),
        faults={"wrong_serial": True},
    ),
    "truncated body": Refusal(
        "PDS-100001",
        ("was cut off after", "the connection dropped; try again"),
        faults={"truncate": True},
        options={"retries": 0},  # retryable: without this the lookup would retry 3 times, waiting 7 s
    ),
    "unsafe file name": Refusal(
        "PDS-100001",
        ("'../../PDS-100001.lic', which is not safe", "a plain base name ending in .lic is expected"),
        faults={"unsafe_file_name": True},
    ),
}


@pytest.mark.parametrize("case", REFUSALS.values(), ids=REFUSALS.keys())
def test_refusal_fails_naming_cause_and_fix(play, backoffice_sim, case):
    backoffice_sim.set_faults(**case.faults)

    run = play([case.serial], variables=case.variables, options=case.options)

    assert_failure(run, case.serial, *case.fragments)
    # asked once: refusals and licenses that fail verification are never retried
    assert backoffice_sim.stats()["by_serial"] == {case.serial: 1}


def test_unreachable_back_office_fails_naming_cause_and_fix(play):
    port = closed_port()

    run = play(
        ["PDS-100001"],
        variables={"prismadirect_backoffice_url": f"https://127.0.0.1:{port}"},
        options={"retries": 0},
    )

    assert_failure(
        run,
        "PDS-100001",
        f"cannot connect to 127.0.0.1:{port} (Connection refused)",
        "check url and that the back office is reachable from the Ansible controller",
    )


def test_tls_failure_without_ca_path_says_to_give_ca_path(play, backoffice_sim):
    run = play(["PDS-100001"], variables={"prismadirect_backoffice_ca_path": None})

    assert_failure(
        run,
        "PDS-100001",
        f"the TLS certificate of {authority(backoffice_sim)} could not be verified",
        "give the CA bundle that signed the back office's certificate as ca_path",
    )
    assert backoffice_sim.stats()["requests"] == 0


def test_timeout_fails_naming_cause_and_fix(play, backoffice_sim):
    backoffice_sim.set_faults(delay=1.0)

    run = play(["PDS-100001"], options={"timeout": 0.3, "retries": 0})

    assert_failure(
        run,
        "PDS-100001",
        f"no answer from {authority(backoffice_sim)} within 0.3 seconds",
        "raise timeout if the back office is slow",
    )
    # the simulator counts the request when its delay is over: wait for it, so that the count cannot
    # land in the next test's statistics
    deadline = time.monotonic() + 5
    while backoffice_sim.stats()["requests"] == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert backoffice_sim.stats()["by_serial"] == {"PDS-100001": 1}


BAD_INPUT = {
    "bad serial among good ones": (
        ["PDS-100001", "../PDS-100002"],
        {},
        ("invalid serial number '../PDS-100002'", "fix the serial numbers given to the lookup"),
    ),
    "http url": (
        ["PDS-100001"],
        {"prismadirect_backoffice_url": "http://backoffice.example.com/rs"},
        ("must use https://", "plain http is not supported"),
    ),
    "proxy without port": (
        ["PDS-100001"],
        {"prismadirect_backoffice_proxy": "proxy.example.com"},
        ("invalid proxy 'proxy.example.com'", "expected host:port"),
    ),
    "credentials inside proxy": (
        ["PDS-100001"],
        {"prismadirect_backoffice_proxy": f"http://{PROXY_USER}:{PROXY_PASSWORD}@proxy.example.com:8080"},
        ("proxy must not contain a user name or password", "give them as proxy_username and proxy_password"),
    ),
}


@pytest.mark.parametrize(("serials", "variables", "fragments"), BAD_INPUT.values(), ids=BAD_INPUT.keys())
def test_bad_input_fails_before_any_request(play, backoffice_sim, serials, variables, fragments):
    # on_error=report does not soften invalid input
    run = play(serials, variables=variables, options={"on_error": "report"})

    message = run.failure()
    # the option check's prefix, not a serial's: nothing was asked yet
    assert "failed: printops.prismadirect.latest_license: " in message, message
    assert all(fragment in message for fragment in fragments), message
    assert PROXY_PASSWORD not in run.output
    assert backoffice_sim.stats()["requests"] == 0


def test_on_error_report_returns_a_failure_item_and_the_other_licenses(play):
    serials = ["PDS-100001", "PDS-100009", "PDS-999999", "PDS-100002"]

    items = play(serials, options={"on_error": "report"}).items()

    assert [item["serial"] for item in items] == serials
    assert [item["ok"] for item in items] == [True, False, False, True]
    lapsed, unknown = items[1], items[2]
    assert documented_fields("failure") <= lapsed.keys()
    assert (lapsed["error_kind"], lapsed["status"], lapsed["maintenance_end"]) == (
        "not_entitled",
        403,
        "2025-06-30",
    )
    assert lapsed["error"].startswith("PDS-100009: ") and "must be extended" in lapsed["error"]
    assert (unknown["error_kind"], unknown["status"]) == ("unknown_serial", 404)
    assert "content" not in lapsed
    assert items[3]["users"] == LAB_USERS["PDS-100002"]


# --------------------------------------------------------------------------------------------------
# Retries


def test_retries_through_a_503_burst(play, backoffice_sim):
    backoffice_sim.set_faults(unavailable=2, retry_after=0)

    assert play(["PDS-100001"], options={"retries": 3}).items()[0]["ok"]

    stats = backoffice_sim.stats()
    assert stats["by_serial"] == {"PDS-100001": 3}
    assert stats["by_status"] == {"503": 2, "200": 1}


def test_gives_up_when_the_503_burst_outlasts_the_retries(play, backoffice_sim):
    backoffice_sim.set_faults(unavailable=10, retry_after=0)

    run = play(["PDS-100001"], options={"retries": 2})

    assert_failure(
        run,
        "PDS-100001",
        "temporarily unavailable (HTTP 503",
        "try again later",
        "(gave up after 3 attempts)",
    )
    assert backoffice_sim.stats()["by_serial"] == {"PDS-100001": 3}


def test_429_retry_after_is_honoured(play, backoffice_sim):
    # Retry-After 2, not 1: without a hint the first wait is 1 s, so only another value shows the hint won
    backoffice_sim.set_faults(unavailable=1, retry_status=429, retry_after=2)

    run = play(["PDS-100001"], options={"retries": 1}, verbosity=3)

    assert run.items()[0]["ok"]
    assert "the back office rate limited the request (HTTP 429" in run.stdout
    assert "retrying in 2.0 s" in run.stdout
    assert backoffice_sim.stats()["by_status"] == {"429": 1, "200": 1}


# --------------------------------------------------------------------------------------------------
# Cache: ETag revalidation between runs, one request per serial within a run


def test_a_later_run_revalidates_with_the_etag_and_gets_304(play, backoffice_sim):
    serials = list(LAB_USERS)

    first = play(serials).items()
    second = play(serials).items()

    assert [(item["not_modified"], item["source"]) for item in first] == [(False, "backoffice")] * 2
    assert [(item["not_modified"], item["source"]) for item in second] == [(True, "cache")] * 2
    assert [item["sha256"] for item in second] == [item["sha256"] for item in first]
    assert [item["content"] for item in second] == [item["content"] for item in first]
    assert backoffice_sim.stats()["by_status"] == {"200": 2, "304": 2}


def test_twenty_hosts_cost_one_request_per_serial(play, backoffice_sim):
    serials = [*LAB_USERS, "PDS-100009"]  # a refusal is asked for once per run as well

    results = play(serials, options={"on_error": "report"}, hosts=20, forks=10).results()

    assert len(results) == 20
    assert all(items == results[FIRST_HOST] for items in results.values())
    assert [item["ok"] for item in results[FIRST_HOST]] == [True, True, False]
    assert backoffice_sim.stats()["by_serial"] == dict.fromkeys(serials, 1)


# --------------------------------------------------------------------------------------------------
# Through a real forward proxy (tinyproxy)


@pytest.mark.parametrize(
    ("route", "authenticated", "tunnelled"),
    [
        pytest.param("proxy option", False, True, id="proxy-option"),
        pytest.param("proxy option", True, True, id="proxy-option-with-credentials"),
        pytest.param("https_proxy", False, True, id="https_proxy-env"),
        pytest.param("https_proxy", True, True, id="https_proxy-env-with-credentials"),
        pytest.param("https_proxy, use_proxy false", False, False, id="use_proxy-false-ignores-https_proxy"),
    ],
)
def test_proxy_routes(play, backoffice_sim, forward_proxy_factory, route, authenticated, tunnelled):
    proxy = forward_proxy_factory(PROXY_USER, PROXY_PASSWORD) if authenticated else forward_proxy_factory()
    variables: dict[str, Any] = {}
    env: dict[str, str] = {}
    if route == "proxy option":
        variables = proxy_vars(proxy)
    else:
        env = {"https_proxy": proxy.url}
        if route.endswith("use_proxy false"):
            variables = {"prismadirect_backoffice_use_proxy": False}

    items = play(list(LAB_USERS), variables=variables, env=env).items()

    assert [item["ok"] for item in items] == [True, True]
    # one tunnel or more (the client keeps its connection alive), every one to the simulator
    assert set(proxy.connect_targets()) == ({authority(backoffice_sim)} if tunnelled else set())


# tinyproxy 1.11.1 (Debian 12) answers a CONNECT with wrong credentials with 401, not 407 (tinyproxy
# issue #532); the client names the proxy credentials for both.
@pytest.mark.parametrize(
    "password",
    [
        pytest.param(None, id="no-credentials-407"),
        pytest.param(WRONG_PROXY_PASSWORD, id="wrong-password-401"),
    ],
)
def test_proxy_refusing_credentials_fails_naming_them(play, backoffice_sim, forward_proxy_factory, password):
    proxy = forward_proxy_factory(PROXY_USER, PROXY_PASSWORD)
    variables = proxy_vars(proxy, password) if password else {"prismadirect_backoffice_proxy": proxy.address}

    run = play(["PDS-100001"], variables=variables)

    assert_failure(
        run,
        "PDS-100001",
        f"the proxy {proxy.address} requires authentication or refused the credentials",
        "check proxy_username and proxy_password",
    )
    assert set(proxy.connect_targets()) == {authority(backoffice_sim)}
    assert backoffice_sim.stats()["requests"] == 0


# --------------------------------------------------------------------------------------------------
# Secrets: never in the output at -vvvv, never in the cache


def secret_forms(organization_id: str, code: str, proxy_user: str, proxy_password: str) -> list[str]:
    """The secrets, and their Basic tokens as sent on the wire."""
    return [
        code,
        proxy_password,
        base64.b64encode(f"{organization_id}:{code}".encode()).decode(),
        base64.b64encode(f"{proxy_user}:{proxy_password}".encode()).decode(),
    ]


@pytest.mark.parametrize(
    ("wrong", "expected"),
    [
        pytest.param("verification code", "(HTTP 401", id="401-wrong-code"),
        pytest.param("proxy password", "the proxy 127.0.0.1:", id="proxy-wrong-password"),
        pytest.param(None, '"not_modified": false', id="success"),
    ],
)
def test_secrets_never_appear_at_vvvv(play, tmp_path, backoffice_sim, forward_proxy_factory, wrong, expected):
    proxy = forward_proxy_factory(PROXY_USER, PROXY_PASSWORD)
    code = WRONG_CODE if wrong == "verification code" else backoffice_sim.verification_code
    password = WRONG_PROXY_PASSWORD if wrong == "proxy password" else PROXY_PASSWORD

    run = play(
        list(LAB_USERS),
        variables={"prismadirect_verification_code": code, **proxy_vars(proxy, password=password)},
        verbosity=4,
    )

    assert (run.returncode == 0) == (wrong is None), run.output
    assert expected in run.stdout
    cache_files = [path for path in (tmp_path / "cache").rglob("*") if path.is_file()]
    assert cache_files or wrong is not None
    for secret in secret_forms(backoffice_sim.organization_id, code, PROXY_USER, password):
        assert secret not in run.output
        assert not [path.name for path in cache_files if secret.encode() in path.read_bytes()]
