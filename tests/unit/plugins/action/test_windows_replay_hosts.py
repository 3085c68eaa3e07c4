"""Replay tests of the Windows adapter on the normalizer's recorded hosts (issue 5 §3): a German FLS
(localized names, identities told by SID), an FLS with several network adapters, and a PRISMAdirect host
whose settings store inherits its folder's rules. The reader's outputs are the fixtures of
tests/unit/plugins/module_utils/fixtures/windows/, loaded as they are; the harness is
test_windows_replay.py's."""

from __future__ import annotations

import json
import re
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from action_harness import leaks
from test_windows_replay import (
    FLS_VARS,
    LICENSE_ANSWERS,
    LICENSE_WRITE_CALLS,
    REPO,
    STORE,
    names,
    recorded,
    run,
)

sys.path.insert(0, str(REPO / "lab" / "backoffice"))
from make_license import make_license

HOSTS = Path(__file__).parents[1] / "module_utils" / "fixtures" / "windows"
#: The reader's result keys of a section, where they are not the section's name (win_host_state.ps1).
SECTION_KEYS = {"accounts": ("accounts", "service_logon_sids"), "mac_addresses": ("mac_addresses_raw",)}
_EVERY_SECTION_KEY = {
    *("service", "settings", "licenses", "license_backups", "teamviewer", "folder", "share"),
    *("license_server", "accounts", "service_logon_sids", "mac_addresses_raw"),
}
# What the recorded stores hold (the reader returned only their fingerprints; test_windows_state.py).
VERIFICATION_CODE, PROXY_PASSWORD = "VC-83KD-2M9Q-XT4P", "Pr0xy-Passw0rd!"


def recording(name: str) -> dict[str, Any]:
    return json.loads((HOSTS / f"{name}.json").read_text(encoding="utf-8"))


def reader(host: dict[str, Any] | str):
    """The reader's answer on a recorded host: only the sections it is asked for, as win_host_state.ps1
    answers (the recordings hold every section the host has)."""
    host = recording(host) if isinstance(host, str) else host

    def answer(args: dict[str, Any]) -> dict[str, Any]:
        asked = {key for section in args["sections"] for key in SECTION_KEYS.get(section, (section,))}
        return {k: v for k, v in host.items() if k in asked or k not in _EVERY_SECTION_KEY}

    return answer


# ---------------------------------------------------------------------------------------------------
# A German FLS: license_share and floating_license_info

ADMINS, EVERYONE, AUTHENTICATED = "S-1-5-32-544", "S-1-1-0", "S-1-5-11"
P1, P2 = "S-1-5-21-2847541382-1553938017-1963203551-1107", "S-1-5-21-2847541382-1553938017-1963203551-1108"
SHARE_PASSWORD = "Sh4re-Passw0rd"  # not used on Windows (the account's own password is the share's)
LIZENZEN = {
    "path": "C:\\Lizenzen",
    "name": "Lizenzen",
    "accounts": [{"name": "CORP\\svc_ors_p1", "password": SHARE_PASSWORD}, "CORP\\svc_ors_p2"],
}


def german_fls_shared_with_everyone() -> dict[str, Any]:
    """fls_converged_de where "Jeder" (Everyone) may read the folder and the share."""
    host = recording("fls_converged_de")
    jeder = {
        "identity": "Jeder",
        "sid": EVERYONE,
        "rights_mask": 1179817,
        "type": "allow",
        "inherited": False,
    }
    host["folder"]["rules"].insert(
        3, {**jeder, "inheritance_flags": "ContainerInherit, ObjectInherit", "propagation_flags": "None"}
    )
    host["share"]["access"].append(
        {"identity": "Jeder", "sid": EVERYONE, "access_right": "Read", "type": "Allow"}
    )
    return host


def test_german_fls_converged_share_reads_only_its_localized_rules_told_by_sid():
    result, calls = run("license_share", LIZENZEN, reader("fls_converged_de"), task_vars=FLS_VARS)
    assert result["changed"] is False and not result.get("failed"), result
    assert names(calls) == ["win_host_state"]  # VORDEFINIERT\Administratoren is Administrators
    assert calls[0]["args"]["sections"] == ["accounts", "folder", "share"]
    assert [r["identity"] for r in result["inherited_rules"]][:3] == [
        "ERSTELLER-BESITZER",
        "NT-AUTORITÄT\\SYSTEM",
        "VORDEFINIERT\\Administratoren",
    ]
    assert any(
        w.startswith("the folder has the explicit rule 'allow NT-AUTORITÄT\\Authentifizierte Benutzer")
        for w in result["warnings"]
    )
    assert leaks([result, calls], SHARE_PASSWORD) == []


def test_german_fls_exclusive_revokes_jeder_by_sid():
    answers = {
        "ansible.windows.win_file": recorded("win_file_present"),
        "ansible.windows.win_acl": recorded("win_acl_removed"),
        "ansible.windows.win_share": recorded("win_share_created"),
    }
    host = reader(german_fls_shared_with_everyone())
    result, calls = run("license_share", {**LIZENZEN, "exclusive": True}, host, answers, task_vars=FLS_VARS)
    assert result["changed"] is True and not result.get("failed"), result
    assert names(calls) == ["win_host_state", "win_file", "win_acl", "win_acl", "win_share"]
    revoke = {
        "path": "C:\\Lizenzen",
        "rights": "ReadAndExecute, Synchronize",
        "type": "allow",
        "state": "absent",
        "inherit": "ContainerInherit, ObjectInherit",
        "propagation": "None",
    }
    assert [c["args"] for c in calls[2:4]] == [
        {**revoke, "user": AUTHENTICATED},
        {**revoke, "user": EVERYONE},
    ]
    share = calls[4]["args"]
    assert (share["full"], share["change"], share["read"], share["deny"]) == (ADMINS, f"{P1},{P2}", "", "")
    assert share["rule_action"] == "set"
    assert result["revoked"] == [
        "allow NT-AUTORITÄT\\Authentifizierte Benutzer read (files, folders)",
        "allow Jeder read (files, folders)",
    ]
    before, after = result["diff"]["before"], result["diff"]["after"]
    assert (
        "allow Jeder read" in before["share"]["access"] and "allow Jeder read" not in after["share"]["access"]
    )
    assert "allow VORDEFINIERT\\Administratoren full" in after["share"]["access"]
    assert leaks([result, calls], SHARE_PASSWORD) == []


def test_german_fls_exclusive_check_mode_reads_only():
    host = reader(german_fls_shared_with_everyone())
    result, calls = run(
        "license_share", {**LIZENZEN, "exclusive": True}, host, check=True, task_vars=FLS_VARS
    )
    assert result["changed"] is True and names(calls) == ["win_host_state"]
    assert "allow Jeder read (files, folders)" in result["diff"]["before"]["folder"]["rules"]
    assert "allow Jeder read (files, folders)" not in result["diff"]["after"]["folder"]["rules"]


@pytest.mark.parametrize("check", [False, True])
def test_german_fls_info_reads_its_licenses(check):
    args = {"path": "C:\\Lizenzen", "license_service": "FLEXlm Service 1"}
    result, calls = run(
        "floating_license_info", args, reader("fls_converged_de"), check=check, task_vars=FLS_VARS
    )
    assert result["changed"] is False and not result.get("failed") and names(calls) == ["win_host_state"]
    assert calls[0]["args"]["folder_path"] == "C:\\Lizenzen"
    assert calls[0]["args"]["license_service"] == "FLEXlm Service 1"
    assert result["serials"] == ["PDS-204711", "PDS-204712"] and result["mac_addresses"] == ["3cecef128a40"]
    assert [lic["warnings"] for lic in result["licenses"]] == [[], []]  # bound to this host's adapter


# ---------------------------------------------------------------------------------------------------
# An FLS with several adapters: floating_license

FOLDER = "D:\\FlexNet\\licenses"
INSTALLED = recording("fls_multi_adapter_en")["licenses"][0]  # PDS-305002, bound to F403435A1121


def renewal(hostid: str) -> str:
    """PDS-305002 renewed (60 users, to the end of 2031), bound to ``hostid``."""
    end = date(2031, 12, 31)
    return make_license(
        "PDS-305002", hostid, issued=date(2026, 11, 15), expiry=end, maintenance_end=end, users=60
    )


@pytest.mark.parametrize(
    "hostid",
    [
        "F403435A1121",  # Ethernet 3, the second physical adapter
        "000AF73B92C4",  # Ethernet 4, physical and disconnected
        "00155D7A0300",  # vEthernet (Uplink), Hyper-V's virtual adapter
    ],
)
def test_several_adapters_a_license_bound_to_any_of_them_is_written(hostid):
    text = renewal(hostid)
    installed = {"changed": False, "stat": {"exists": True, "checksum": INSTALLED["sha256"]}}
    answers = {**LICENSE_ANSWERS, "ansible.windows.win_stat": installed}
    args = {"content": text, "dest": FOLDER}
    result, calls = run("floating_license", args, reader("fls_multi_adapter_en"), answers, task_vars=FLS_VARS)
    assert result["changed"] is True and not result.get("failed"), result
    assert names(calls) == LICENSE_WRITE_CALLS
    assert "mac_addresses" in calls[0]["args"]["sections"]
    assert calls[2]["args"]["path"] == f"{FOLDER}\\PDS-305002.lic" and calls[3]["args"]["data"] == text
    replace = calls[5]["args"]["parameters"]
    assert replace["Target"] == f"{FOLDER}\\PDS-305002.lic" and calls[4]["args"]["dest"] == replace["Temp"]
    assert replace["Replaces"] == INSTALLED["sha256"] and replace["Sha256"] == result["sha256"]
    assert re.fullmatch(r"D:\\FlexNet\\licenses\\PDS-305002\.lic\.\d{8}T\d{6}Z\.bak", replace["Backup"])
    assert calls[6]["args"]["argv"] == ["C:\\Program Files\\Flexera\\lmutil.exe", "lmreread", "-c", FOLDER]
    assert result["diff"]["before"]["users"] == 50 and result["diff"]["after"]["users"] == 60
    assert "warnings" not in result  # the folder, with its orphaned SID, is not read


def test_several_adapters_a_license_for_another_adapter_is_refused_before_anything_is_written():
    args = {"content": renewal("F403435A1122"), "dest": FOLDER}
    result, calls = run("floating_license", args, reader("fls_multi_adapter_en"), task_vars=FLS_VARS)
    assert result["failed"] is True and result["changed"] is False
    assert names(calls) == ["win_host_state"]
    assert result["msg"] == (
        "content: the license cannot be installed on this host, 1 problem: (1) license is bound to host id "
        "f403435a1122, not to this server (MAC addresses: 000af73b92c4, 00155d7a0300, f403435a1120, "
        "f403435a1121). Nothing was written; the installed license is unchanged"
    )


# ---------------------------------------------------------------------------------------------------
# A settings store readable by Users: remote_service protects it again

GENERAL = {"organization_id": "ORG-4711-CORP", "verification_code": VERIFICATION_CODE, "enabled": True}
WHY = (
    "the settings store's access rules: it inherits access rules from its folder; BUILTIN\\Users has read "
    "access"
)


def test_an_unprotected_store_is_protected_again_with_the_service_account():
    answers = {STORE: recorded("settings_store_written")}
    result, calls = run("remote_service", GENERAL, reader("prisma_store_unprotected_en"), answers)
    assert result["changed"] is True and not result.get("failed"), result
    assert names(calls) == ["win_host_state", "win_settings_store"]
    assert calls[1]["args"] == {
        "path": "C:\\ProgramData\\PRISMAdirect\\remote-service.json",
        "account": "CORP\\svc_ors_p1",
        "set": {},  # the values are right: only the store's security is set
        "secrets": {},
        "_ansible_no_log": True,
    }
    assert result["changed_keys"] == []
    assert result["diff"]["before"]["store"] == WHY
    assert result["diff"]["after"]["store"] == (
        "not inherited, Administrators and SYSTEM full control, the ORS account read"
    )
    assert leaks([result, calls], VERIFICATION_CODE, PROXY_PASSWORD) == []


def test_an_unprotected_store_check_mode_reads_only():
    result, calls = run("remote_service", GENERAL, reader("prisma_store_unprotected_en"), check=True)
    assert result["changed"] is True and names(calls) == ["win_host_state"]
    assert result["diff"]["before"]["store"] == WHY


def test_an_unprotected_store_that_cannot_be_protected_fails_with_why():
    denied = "cannot set the access rules: Access is denied"
    answers = {STORE: {"failed": True, "msg": denied}}
    result, _ = run("remote_service", GENERAL, reader("prisma_store_unprotected_en"), answers)
    assert result["failed"] is True
    assert result["msg"] == f"{WHY}: printops.prismadirect.win_settings_store failed: {denied}"
    assert leaks(result, VERIFICATION_CODE, PROXY_PASSWORD) == []


def test_a_protected_store_second_run_reads_only():
    result, calls = run("remote_service", GENERAL, reader("prisma_converged_en"))
    assert result["changed"] is False and names(calls) == ["win_host_state"], result
    assert "diff" not in result  # nothing to show: the values and the store's security are right
    assert leaks(result, VERIFICATION_CODE) == []
