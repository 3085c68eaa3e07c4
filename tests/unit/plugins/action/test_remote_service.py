"""printops.prismadirect.remote_service through its action plugin and the lab adapter, on recorded host
states (see action_harness.py)."""

from __future__ import annotations

import pytest
from action_harness import leaks, modules, run

CODE = "test-code-123"  # the recorded converged host's verification code
NEW_CODE = "Fresh-Code-0042"
LICENSES = "/srv/printops-lab/hosts/fls1/licenses"
CONVERGED = {
    "enabled": True,
    "organization_id": "TEST-ORG",
    "verification_code": CODE,
    "license_server": "local",
    "license_path": LICENSES,
}
STORE = "printops.prismadirect.settings_store"


def test_first_run_writes_the_settings_with_the_secret_unlogged():
    result, calls = run(
        "remote_service", {**CONVERGED, "verification_code": NEW_CODE}, state="fresh", diff=True
    )
    assert result["changed"] is True and modules(calls) == ["host_state", "settings_store"]
    store = calls[1][1]
    assert store["path"] == "/srv/printops-lab/hosts/prisma1/ProgramData/PRISMAdirect/remote-service.json"
    assert store["set"] == {
        "general.enabled": True,
        "general.organization_id": "TEST-ORG",
        "general.license_path": LICENSES,  # license_server is local already (the default)
    }
    assert store["secrets"] == {"general.verification_code": NEW_CODE} and store["_ansible_no_log"] is True
    assert result["diff"]["after"]["general"]["verification_code"] == "(secret set)"
    assert result["changed_keys"] == [
        "general.enabled",
        "general.organization_id",
        "general.verification_code",
        "general.license_path",
    ]
    assert leaks(result, NEW_CODE) == []


def test_the_reader_is_asked_for_the_licenses_at_the_desired_path():
    _, calls = run("remote_service", CONVERGED)
    args = calls[0][1]
    assert args["sections"] == ["service", "accounts", "settings", "licenses"]
    assert args["license_path"] == LICENSES and args["accounts"] == []


def test_second_run_changes_nothing_and_returns_the_serials():
    result, calls = run("remote_service", CONVERGED)
    assert result["changed"] is False and modules(calls) == ["host_state"]
    assert result["serials"] == ["PDS-100001", "PDS-100009"] and result["changed_keys"] == []


def test_a_new_code_is_written_into_the_ors_accounts_group():
    result, calls = run("remote_service", {"verification_code": NEW_CODE}, diff=True)
    assert calls[1][1]["group"] == "svc_ors_p1" and calls[1][1]["set"] == {}
    assert result["diff"]["before"]["general"]["verification_code"] == "(secret set)"
    assert result["diff"]["after"]["general"]["verification_code"] == "(secret changed)"


def test_check_mode_applies_nothing():
    result, calls = run("remote_service", {"enabled": False}, check=True)
    assert result["changed"] is True and modules(calls) == ["host_state"]


@pytest.mark.parametrize(
    ("args", "option"),
    [
        ({"license_path": "licenses"}, "license_path"),
        ({"license_server": "local", "license_path": "//fls1/licenses"}, "license_path"),
        ({"organization_id": "a:b"}, "organization_id"),
        ({"verification_code": "code\n"}, "verification_code"),
    ],
)
def test_domain_errors_fail_before_any_host_call(args, option):
    result, calls = run("remote_service", args)
    assert result["failed"] is True and result["msg"].startswith(f"{option}: ") and calls == []
    assert leaks(result, "code\n") == []


def test_a_license_server_change_that_does_not_fit_the_hosts_path_fails_after_the_read():
    result, calls = run("remote_service", {"license_server": "external"})
    assert result["msg"].startswith("license_path: license_server becomes external") and modules(calls) == [
        "host_state"
    ]


def test_a_failed_store_write_is_redacted():
    answers = {STORE: {"failed": True, "msg": f"cannot write: {NEW_CODE}"}}
    result, _ = run("remote_service", {"verification_code": NEW_CODE}, answers=answers)
    assert result["failed"] is True and result["msg"].startswith("general.verification_code differ: ")
    assert leaks(result, NEW_CODE) == []
