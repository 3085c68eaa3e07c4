"""The five Remote Service modules for real: ``ansible-playbook`` with the lab inventory (local
connection) against a throwaway lab platform (own home, groups and Samba port, see lab_under_test.py)
and the session's back-office simulator. Real users, a real supervisord program, a real settings store.

The tests run in file order on one lab, each leaving prisma1 converged for the next one; the ORS
account has a random name so that no real lab's user is touched. The lab is torn down afterwards.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from lab_under_test import LabUnderTest, PlayRun, lab_platform
from lab_under_test import play as lab_play

pytestmark = [
    pytest.mark.integration,
    pytest.mark.usefixtures("backoffice_sim_reset"),
    pytest.mark.skipif(os.geteuid() != 0, reason="the lab platform needs root (users, groups, daemons)"),
    pytest.mark.skipif(not shutil.which("supervisord"), reason="supervisor is not installed"),
]

PASSWORD = "It-0rs-Passw0rd-1"
NEW_PASSWORD = "It-0rs-Passw0rd-2"
WRONG_CODE = "wrong-code-4242"


@dataclass
class Env:
    lab: LabUnderTest
    sim: Any
    user: str
    vars_file: Path

    @property
    def program(self) -> str:
        return "prisma1_print_ors_service"

    @property
    def settings(self) -> Path:
        return self.lab.home / "hosts" / "prisma1" / "ProgramData" / "PRISMAdirect" / "remote-service.json"

    def pid(self) -> str:
        return self.lab.supervisorctl("pid", self.program).stdout.strip()

    def snapshot(self) -> tuple[bytes, str, str]:
        """What a --check run must leave as it is: the store's bytes, the program's status, the shadow."""
        lines = self.lab.supervisorctl("status").stdout.splitlines()
        status = "\n".join(line.split(", uptime")[0] for line in lines)  # name, state, pid
        shadow = next(
            line for line in Path("/etc/shadow").read_text().splitlines() if line.startswith(self.user)
        )
        return self.settings.read_bytes(), status, shadow


def play(
    env: Env, tasks: list[dict[str, Any]], *args: str, host: str = "prisma1", json_out: bool = True
) -> Run:
    """Run ``tasks`` on ``host`` of the lab inventory, pointed at the throwaway lab and the simulator."""
    return Run(lab_play(env.lab, tasks, *args, host=host, vars_file=env.vars_file, json_out=json_out).proc)


class Run(PlayRun):
    """A run of prisma1 unless told otherwise."""

    def results(self, host: str = "prisma1") -> list[dict[str, Any]]:
        return super().results(host)

    def changed(self, host: str = "prisma1") -> list[bool]:
        return super().changed(host)


def ors(password: str = "{{ it_password }}", **extra: Any) -> dict[str, Any]:
    return {
        "printops.prismadirect.ors_account": {"account": ".\\{{ it_user }}", "password": password, **extra}
    }


def remote_service(code: str = "{{ it_code }}") -> dict[str, Any]:
    return {
        "printops.prismadirect.remote_service": {
            "enabled": True,
            "organization_id": "{{ it_organization }}",
            "verification_code": code,
            "license_server": "local",
            "license_path": "{{ prismadirect_lab_home }}/hosts/fls1/licenses",
        }
    }


INFO = {"printops.prismadirect.remote_service_info": {"test_connection": True}}
CONVERGE = [
    ors(),
    remote_service(),
    {"printops.prismadirect.remote_service_proxy": {"mode": "none"}},
    {"printops.prismadirect.remote_assistance": {"enabled": True}},
    ors(test_connection=True),
    INFO,
]


@pytest.fixture(scope="module")
def env(backoffice_sim: Any) -> Iterator[Env]:
    with lab_platform() as lab:
        lab.ctl("up")
        user = f"it_ors_{secrets.token_hex(3)}"
        vars_file = lab.home.parent / "it-vars.json"
        vars_file.write_text(
            json.dumps(
                {
                    "it_user": user,
                    "it_password": PASSWORD,
                    "it_organization": backoffice_sim.organization_id,
                    "it_code": backoffice_sim.verification_code,
                    "prismadirect_backoffice_url": backoffice_sim.url,
                    "prismadirect_backoffice_ca_path": str(backoffice_sim.ca_path),
                }
            )
        )
        vars_file.chmod(0o600)
        # lab/ctl.py down removes the lab group's members: the ORS account goes with the lab
        yield Env(lab, backoffice_sim, user, vars_file)


@pytest.fixture(scope="module")
def first(env: Env) -> Run:
    return play(env, CONVERGE)


def test_first_converge_makes_the_account_and_runs_the_service_as_it(env: Env, first: Run):
    assert first.proc.returncode == 0, first.output
    assert first.changed() == [True, True, False, True, False, False]
    pid = env.pid()
    assert (
        subprocess.run(["ps", "-o", "user=", "-p", pid], capture_output=True, text=True).stdout.strip()
        == env.user
    )
    passwd = subprocess.run(["getent", "passwd", env.user], capture_output=True, text=True).stdout
    assert passwd.rstrip().endswith(":/usr/sbin/nologin")
    stat = env.settings.stat()
    assert (stat.st_mode & 0o777) == 0o640 and stat.st_uid == 0
    assert (
        subprocess.run(["stat", "-c", "%G", str(env.settings)], capture_output=True, text=True).stdout.strip()
        == env.user
    )
    ors_result, service, *_, ors_tested, info = first.results()
    assert ors_result["account_created"] is True and ors_result["service_started"] is True
    assert ors_tested["connection_test"]["ok"] is True and ors_tested["connection_test"]["status"] == 200
    assert service["serials"] == ["PDS-100001", "PDS-100002", "PDS-100009"]
    assert info["light"] == "green", info["light_reason"]
    assert PASSWORD not in first.output and env.sim.verification_code not in first.output


def test_second_run_changes_nothing(env: Env, first: Run):
    again = play(env, CONVERGE)
    assert again.proc.returncode == 0, again.output
    assert again.changed() == [False] * len(CONVERGE)


def test_check_mode_changes_nothing(env: Env, first: Run):
    before = env.snapshot()
    tasks = [
        ors(password=NEW_PASSWORD),
        remote_service(code=WRONG_CODE),
        {"printops.prismadirect.remote_service_proxy": {"mode": "manual", "url": "proxy.example.com:3128"}},
        {"printops.prismadirect.remote_assistance": {"enabled": False}},
    ]
    checked = play(env, tasks, "--check")
    assert checked.proc.returncode == 0, checked.output
    assert checked.changed() == [True, True, True, True]
    assert env.snapshot() == before


def test_the_service_restarts_only_when_the_password_changed(env: Env, first: Run):
    pid = env.pid()
    assert play(env, [remote_service(), ors()]).changed() == [False, False]
    assert env.pid() == pid
    changed = play(env, [ors(password=NEW_PASSWORD)])
    assert changed.changed() == [True] and changed.results()[0]["service_restarted"] is True
    restarted = env.pid()
    assert restarted != pid
    assert play(env, [ors(password=NEW_PASSWORD)]).changed() == [False] and env.pid() == restarted
    assert play(env, [ors()]).changed() == [True]  # back to the converged password


def test_a_wrong_code_shows_only_as_secret_changed_and_turns_the_light_orange(env: Env, first: Run):
    diffed = play(env, [remote_service(code=WRONG_CODE)], "--diff", json_out=False)
    assert diffed.proc.returncode == 0, diffed.output
    assert "verification_code: (secret changed)" in diffed.output
    assert WRONG_CODE not in diffed.output and env.sim.verification_code not in diffed.output
    info = play(env, [INFO]).results()[0]
    assert info["light"] == "orange" and info["connection_test"]["ok"] is False
    assert "did not accept the organization ID and verification code" in info["light_reason"]
    assert play(env, [remote_service(), INFO]).results()[1]["light"] == "green"


def test_enabling_remote_assistance_lists_every_missing_prerequisite(env: Env, first: Run):
    failed = play(env, [{"printops.prismadirect.remote_assistance": {"enabled": True}}], host="prisma2")
    result = failed.results("prisma2")[0]
    assert result["failed"] is True
    assert result["msg"].startswith(
        "enabled: remote assistance cannot be allowed: 4 prerequisites are missing"
    )
    assert not (
        env.lab.home / "hosts" / "prisma2" / "ProgramData" / "PRISMAdirect" / "remote-service.json"
    ).exists()


def test_auto_detect_warns_that_remote_assistance_cannot_use_it(env: Env, first: Run):
    proxy = play(
        env, [{"printops.prismadirect.remote_service_proxy": {"mode": "auto_detect"}}], host="prisma2"
    )
    result = proxy.results("prisma2")[0]
    assert result["changed"] is True and result["mode"] == "auto_detect"
    assert any("remote assistance cannot be allowed" in w for w in result["warnings"])


def test_a_bad_proxy_url_fails_before_the_host_is_read(env: Env, first: Run):
    bad = play(env, [{"printops.prismadirect.remote_service_proxy": {"mode": "manual", "url": "proxy:80x"}}])
    result = bad.results()[0]
    assert result["failed"] is True and result["msg"].startswith("url: 'proxy:80x' is not host:port")
