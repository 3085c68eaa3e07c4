"""The Windows reader's output -> host state (plugins/module_utils/windows_state.py), against recorded
outputs of win_host_state.ps1 (fixtures/windows/*.json: Windows Server 2022, one of them German), and the
planners fed with the result: the shape must fit them as the lab reader's does."""

from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path

import pytest
from ansible_collections.printops.prismadirect.plugins.module_utils import flexlm, planning
from ansible_collections.printops.prismadirect.plugins.module_utils.acl_model import (
    AccessRule,
    is_administrator,
    is_broad,
)
from ansible_collections.printops.prismadirect.plugins.module_utils.planning_share import (
    license_share_desired,
    plan_license_share,
)
from ansible_collections.printops.prismadirect.plugins.module_utils.settings import fingerprint
from ansible_collections.printops.prismadirect.plugins.module_utils.windows_state import (
    WindowsStateError,
    file_rights,
    file_rule,
    host_state,
    mac_address,
    mac_addresses,
    rights_names,
    share_rule,
    store_protection,
)

FIXTURES = Path(__file__).parent / "fixtures" / "windows"
CORP = "S-1-5-21-2847541382-1553938017-1963203551"
P1, P2, OLD = f"{CORP}-1107", f"{CORP}-1108", f"{CORP}-1142"
ADM, SYS, USERS = "S-1-5-32-544", "S-1-5-18", "S-1-5-32-545"
STORE = "C:\\ProgramData\\PRISMAdirect\\remote-service.json"
# What the fixtures' stores hold (the reader returned only their fingerprints).
VERIFICATION_CODE, PROXY_PASSWORD = "VC-83KD-2M9Q-XT4P", "Pr0xy-Passw0rd!"
ORS_PASSWORD = "0rs-Acc0unt-Pw!"


def raw(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def state_of(name: str) -> tuple[dict, list[str]]:
    return host_state(raw(name))


def described(rules: list[dict]) -> list[str]:
    return [AccessRule.from_state(r).describe() for r in rules]


# ---------------------------------------------------------------------------------------------------
# (a) a converged PRISMAdirect host
# ---------------------------------------------------------------------------------------------------


def test_prisma_converged_state():
    state, warnings = state_of("prisma_converged_en")
    assert warnings == []
    assert set(state) == {
        "platform",
        "service",
        "accounts",
        "settings",
        "licenses",
        "mac_addresses",
        "teamviewer",
    }
    assert state["platform"] == "windows"
    assert state["service"] == {
        "name": "Print ORS Service",
        "exists": True,
        "account": "CORP\\svc_ors_p1",
        "account_id": P1,
        "start_mode": "auto",
        "state": "running",
    }
    assert state["accounts"] == {
        "CORP\\svc_ors_p1": {
            "exists": True,
            "id": P1,
            "group": None,
            "groups": None,
            "service_logon": True,
            "password_matches": None,
        }
    }
    settings = state["settings"]
    assert {k: v for k, v in settings.items() if k != "document"} == {
        "path": STORE,
        "exists": True,
        "owner": None,
        "group": None,
        "mode": None,
        "error": None,
        "protection": None,
    }
    document = settings["document"]
    assert document == raw("prisma_converged_en")["settings"]["document"]
    assert document["general"]["verification_code"] == {
        "set": True,
        "fingerprint": fingerprint(document["salt"], VERIFICATION_CODE),
    }
    assert document["proxy"]["password"] == {"set": False, "fingerprint": None}
    (lic,) = state["licenses"]
    assert (lic["name"], lic["size"], lic["sha256"]) == (
        "PDS-204711.lic",
        len(lic["text"].encode("utf-8")),
        raw("prisma_converged_en")["licenses"][0]["sha256"],
    )
    assert "\r\n" in lic["text"]  # as Windows keeps it
    assert state["mac_addresses"] == ["005056a13c7e"]
    assert state["teamviewer"] == {"present": False}


def test_prisma_converged_plans_nothing():
    state, _ = state_of("prisma_converged_en")
    desired = planning.ors_account_desired(
        {"account": "CORP\\svc_ors_p1", "password": ORS_PASSWORD, "update_password": "on_create"}
    )
    plan = planning.plan_ors_account(desired, state)
    assert plan.changes == ()
    assert plan.result["service_restarted"] is False
    settings = planning.remote_service_desired(
        {
            "enabled": True,
            "organization_id": "ORG-4711-CORP",
            "verification_code": VERIFICATION_CODE,
            "license_server": "local",
            "license_path": "C:\\ProgramData\\FlexNet\\licenses",
        }
    )
    assert planning.plan_remote_service(settings, state).changes == ()


def test_windows_cannot_compare_passwords_so_the_service_waits_for_the_account():
    state, _ = state_of("prisma_converged_en")
    desired = planning.ors_account_desired({"account": "CORP\\svc_ors_p1", "password": ORS_PASSWORD})
    plan = planning.plan_ors_account(desired, state)
    assert [(c.verb, c.requires_change) for c in plan.changes] == [
        ("account.ensure", None),
        ("service.configure", "account.ensure"),
        ("service.restart", "account.ensure"),
    ]
    assert plan.result["password_changed"] is None


def test_a_changed_verification_code_is_seen_through_the_fingerprint():
    state, _ = state_of("prisma_converged_en")
    desired = planning.remote_service_desired({"verification_code": "VC-NEW0-0000-0000"})
    (change,) = planning.plan_remote_service(desired, state).changes
    assert change.verb == "settings.write"
    assert change.args["path"] == STORE
    assert "general.verification_code" in change.reason


# ---------------------------------------------------------------------------------------------------
# (b) a fresh PRISMAdirect host
# ---------------------------------------------------------------------------------------------------


def test_prisma_fresh_state_and_plan():
    state, warnings = state_of("prisma_fresh_en")
    assert warnings == []
    assert state["service"] == {
        "name": "Print ORS Service",
        "exists": True,
        "account": "LocalSystem",
        "account_id": SYS,
        "start_mode": "manual",
        "state": "stopped",
    }
    assert state["accounts"] == {
        ".\\svc_ors_p2": {
            "exists": False,
            "id": None,
            "group": None,
            "groups": None,
            "service_logon": False,
            "password_matches": None,
        }
    }
    assert state["settings"]["exists"] is False
    assert state["settings"]["document"] is None
    assert state["settings"]["protection"] is None
    assert (state["licenses"], state["mac_addresses"], state["teamviewer"]) == (
        [],
        ["00155d0a1b2c"],
        {"present": True},
    )

    desired = planning.ors_account_desired({"account": ".\\svc_ors_p2", "password": ORS_PASSWORD})
    plan = planning.plan_ors_account(desired, state)
    assert [c.verb for c in plan.changes] == [
        "account.ensure",
        "account.grant_service_logon",
        "service.configure",
        "service.start",
    ]
    configure = plan.changes[2]
    assert "runs as 'LocalSystem'" in configure.reason and "'manual', not auto" in configure.reason
    assert ORS_PASSWORD not in json.dumps(plan.diff) + repr(plan.changes)


# ---------------------------------------------------------------------------------------------------
# (c) a converged FLS, German Windows
# ---------------------------------------------------------------------------------------------------

GERMAN_RULES = [
    # identity, id, rights, files, folders, inherited, raw
    (
        "CORP\\svc_ors_p1",
        P1,
        "modify",
        True,
        True,
        False,
        "Modify, Synchronize; ContainerInherit, ObjectInherit; None",
    ),
    (
        "CORP\\svc_ors_p2",
        P2,
        "modify",
        True,
        True,
        False,
        "Modify, Synchronize; ContainerInherit, ObjectInherit; None",
    ),
    (
        "NT-AUTORITÄT\\Authentifizierte Benutzer",
        "S-1-5-11",
        "read",
        True,
        True,
        False,
        "ReadAndExecute, Synchronize; ContainerInherit, ObjectInherit; None",
    ),
    (
        "ERSTELLER-BESITZER",
        "S-1-3-0",
        "other",
        True,
        True,
        True,
        "268435456; ContainerInherit, ObjectInherit; InheritOnly",
    ),
    (
        "NT-AUTORITÄT\\SYSTEM",
        SYS,
        "full",
        True,
        True,
        True,
        "FullControl; ContainerInherit, ObjectInherit; None",
    ),
    (
        "VORDEFINIERT\\Administratoren",
        ADM,
        "full",
        True,
        True,
        True,
        "FullControl; ContainerInherit, ObjectInherit; None",
    ),
    (
        "VORDEFINIERT\\Benutzer",
        USERS,
        "read",
        True,
        True,
        True,
        "ReadAndExecute, Synchronize; ContainerInherit, ObjectInherit; None",
    ),
    ("VORDEFINIERT\\Benutzer", USERS, "other", False, True, True, "AppendData; ContainerInherit; None"),
    (
        "VORDEFINIERT\\Benutzer",
        USERS,
        "other",
        False,
        True,
        True,
        "CreateFiles; ContainerInherit; InheritOnly",
    ),
]


def test_fls_german_folder_rules():
    state, warnings = state_of("fls_converged_de")
    assert warnings == []
    folder = state["folder"]
    assert {k: folder[k] for k in ("path", "exists", "owner", "owner_id", "group", "protected")} == {
        "path": "C:\\Lizenzen",
        "exists": True,
        "owner": "VORDEFINIERT\\Administratoren",
        "owner_id": ADM,
        "group": None,
        "protected": False,
    }
    # the administrators are recognised by their SID, whatever Windows calls them
    assert folder["administrators"] == {"identity": "VORDEFINIERT\\Administratoren", "id": ADM}
    got = [
        (
            r["identity"],
            r["id"],
            r["rights"],
            r["inherit_files"],
            r["inherit_folders"],
            r["inherited"],
            r["raw"],
        )
        for r in folder["rules"]
    ]
    assert got == GERMAN_RULES
    assert all(r["type"] == "allow" for r in folder["rules"])


def test_fls_german_identities_are_told_by_sid():
    state, _ = state_of("fls_converged_de")
    by_name = {r["identity"]: r for r in state["folder"]["rules"]}
    assert is_administrator("VORDEFINIERT\\Administratoren", by_name["VORDEFINIERT\\Administratoren"]["id"])
    assert is_administrator("NT-AUTORITÄT\\SYSTEM", by_name["NT-AUTORITÄT\\SYSTEM"]["id"])
    assert not is_administrator("VORDEFINIERT\\Administratoren", None)  # the name alone is not enough
    for broad in ("NT-AUTORITÄT\\Authentifizierte Benutzer", "VORDEFINIERT\\Benutzer"):
        assert is_broad(broad, by_name[broad]["id"])
        assert not is_broad(broad, None)
    assert not is_broad("ERSTELLER-BESITZER", "S-1-3-0")
    assert is_broad("Jeder", "S-1-1-0")


def test_fls_german_share_and_the_rest():
    state, _ = state_of("fls_converged_de")
    share = state["share"]
    assert {k: share[k] for k in ("name", "exists", "path", "description", "users")} == {
        "name": "Lizenzen",
        "exists": True,
        "path": "C:\\Lizenzen",
        "description": "PRISMAdirect-Lizenzen",
        "users": None,
    }
    assert described(share["access"]) == [
        "allow VORDEFINIERT\\Administratoren full",
        "allow CORP\\svc_ors_p1 modify",
        "allow CORP\\svc_ors_p2 modify",
    ]
    assert [r["id"] for r in share["access"]] == [ADM, P1, P2]
    assert [r["raw"] for r in share["access"]] == ["Full", "Change", "Change"]
    assert [entry["service_logon"] for entry in state["accounts"].values()] == [False, False]
    assert [lic["name"] for lic in state["licenses"]] == ["PDS-204711.lic", "PDS-204712.lic"]
    assert state["license_backups"] == ["PDS-204711.lic.20261129T101500Z.bak"]
    assert state["license_server"] == {
        "lmutil": {"path": "C:\\Program Files\\Flexera\\lmutil.exe", "exists": True},
        "service": {"name": "FLEXlm Service 1", "exists": True, "state": "running"},
    }
    assert state["mac_addresses"] == ["3cecef128a40"]


def share_desired(path: str, name: str, *accounts: str, exclusive: bool = False):
    return license_share_desired(
        {"path": path, "name": name, "accounts": list(accounts), "fls_host": "fls1", "exclusive": exclusive}
    )


def test_fls_german_converged_plans_nothing():
    state, _ = state_of("fls_converged_de")
    plan = plan_license_share(
        share_desired("C:\\Lizenzen", "Lizenzen", "CORP\\svc_ors_p1", "CORP\\svc_ors_p2"), state
    )
    assert plan.changes == ()
    # the broad rules are kept (exclusive is false) and said
    assert any("Authentifizierte Benutzer" in w and "explicit" in w for w in plan.warnings)
    assert any("VORDEFINIERT\\Benutzer" in w and "inherited" in w for w in plan.warnings)


def test_fls_german_exclusive_revokes_the_broad_rule_exactly_as_read():
    state, _ = state_of("fls_converged_de")
    desired = share_desired(
        "C:\\Lizenzen", "Lizenzen", "CORP\\svc_ors_p1", "CORP\\svc_ors_p2", exclusive=True
    )
    (change,) = plan_license_share(desired, state).changes
    assert change.verb == "acl.ensure"
    assert change.args["grant"] == []
    (revoked,) = change.args["revoke"]
    assert (revoked["id"], revoked["raw"]) == (
        "S-1-5-11",
        "ReadAndExecute, Synchronize; ContainerInherit, ObjectInherit; None",
    )


def test_fls_german_everyone_on_the_share_is_removed():
    data = raw("fls_converged_de")
    data["share"]["access"].append(
        {"identity": "Jeder", "sid": "S-1-1-0", "access_right": "Read", "type": "Allow"}
    )
    state, _ = host_state(data)
    (change,) = plan_license_share(
        share_desired("C:\\Lizenzen", "Lizenzen", "CORP\\svc_ors_p1", "CORP\\svc_ors_p2"), state
    ).changes
    assert change.verb == "share.ensure"
    assert "S-1-1-0" not in [r["id"] for r in change.args["access"]]
    assert "never shared with everybody" in change.reason


# ---------------------------------------------------------------------------------------------------
# (d) an FLS with several adapters and a deleted account's SID
# ---------------------------------------------------------------------------------------------------


def test_fls_several_adapters():
    state, _ = state_of("fls_multi_adapter_en")
    # physical first (by name), then virtual; the team shares its first member's MAC; no MAC, no entry
    assert state["mac_addresses"] == ["f403435a1120", "f403435a1121", "000af73b92c4", "00155d7a0300"]
    (lic,) = state["licenses"]
    check = flexlm.validate_license(
        flexlm.parse_license(lic["text"]), mac_addresses=state["mac_addresses"], today=date(2026, 11, 29)
    )
    assert check.ok, check.errors
    other_host = flexlm.validate_license(
        flexlm.parse_license(lic["text"]), mac_addresses=state["mac_addresses"][2:], today=date(2026, 11, 29)
    )
    assert not other_host.ok


def test_fls_unresolved_sid():
    state, warnings = state_of("fls_multi_adapter_en")
    orphan = next(r for r in state["folder"]["rules"] if r["id"] == OLD)
    assert (orphan["identity"], orphan["rights"], orphan["inherited"]) == (OLD, "modify", False)
    assert warnings == [
        f"the license folder D:\\FlexNet\\licenses has a rule for {OLD}, which Windows cannot resolve "
        "(a deleted account?): it is kept unless exclusive"
    ]
    assert state["folder"]["protected"] is True
    assert state["folder"]["administrators"] == {"identity": "BUILTIN\\Administrators", "id": ADM}


def test_fls_several_adapters_plan():
    state, _ = state_of("fls_multi_adapter_en")
    plan = plan_license_share(share_desired("D:\\FlexNet\\licenses", "licenses", "CORP\\svc_ors_p1"), state)
    acl, share = plan.changes
    assert acl.verb == "acl.ensure"
    (revoked,) = acl.args["revoke"]  # its read rule, exactly as read, for win_acl to remove
    assert (revoked["id"], revoked["rights"], revoked["raw"]) == (
        P1,
        "read",
        "ReadAndExecute, Synchronize; ContainerInherit, ObjectInherit; None",
    )
    assert [(r["id"], r["rights"]) for r in acl.args["grant"]] == [(P1, "modify")]
    assert OLD in [r["id"] for r in acl.args["rules"]]  # kept: exclusive is false
    assert share.verb == "share.ensure"
    assert [(r["id"], r["rights"]) for r in share.args["access"]] == [(P1, "modify"), (ADM, "full")]
    exclusive = plan_license_share(
        share_desired("D:\\FlexNet\\licenses", "licenses", "CORP\\svc_ors_p1", exclusive=True), state
    )
    revoked_ids = {r["id"] for r in exclusive.changes[0].args["revoke"]}
    assert {OLD, USERS, P1} <= revoked_ids
    assert not revoked_ids & {ADM, SYS}


# ---------------------------------------------------------------------------------------------------
# (e) a store Users can read
# ---------------------------------------------------------------------------------------------------


def test_store_unprotected():
    state, warnings = state_of("prisma_store_unprotected_en")
    assert warnings == [
        "the license folder C:\\ProgramData\\FlexNet\\licenses does not exist or cannot be reached"
    ]
    protection = state["settings"]["protection"]
    assert protection == (
        "the settings store's access rules: it inherits access rules from its folder; "
        "BUILTIN\\Users has read access"
    )
    proxy = state["settings"]["document"]["proxy"]
    salt = state["settings"]["document"]["salt"]
    assert proxy["password"] == {"set": True, "fingerprint": fingerprint(salt, PROXY_PASSWORD)}
    assert PROXY_PASSWORD not in json.dumps(state) and VERIFICATION_CODE not in json.dumps(state)


def test_a_delayed_start_is_not_auto():
    state, _ = state_of("prisma_store_unprotected_en")
    assert state["service"]["start_mode"] == "delayed"
    desired = planning.ors_account_desired(
        {"account": "CORP\\svc_ors_p1", "password": ORS_PASSWORD, "update_password": "on_create"}
    )
    (configure,) = planning.plan_ors_account(desired, state).changes
    assert configure.verb == "service.configure"
    assert configure.reason == "the service starts 'delayed', not auto"


# ---------------------------------------------------------------------------------------------------
# Tables: rights, flags, share rights, MAC addresses, store protection
# ---------------------------------------------------------------------------------------------------

RIGHTS = [
    # FileSystemRights mask, rights, .NET's text
    (2032127, "full", "FullControl"),
    (1245631, "modify", "Modify, Synchronize"),
    (197055, "modify", "Modify"),
    (1179817, "read", "ReadAndExecute, Synchronize"),
    (131241, "read", "ReadAndExecute"),
    (1179785, "read", "Read, Synchronize"),
    (131209, "read", "Read"),
    (1180063, "other", "Write, Read, Synchronize"),  # ascending, as .NET prints
    (1180095, "other", "Write, ReadAndExecute, Synchronize"),
    (278, "other", "Write"),
    (65536, "other", "Delete"),
    (2032127 & ~0x100000, "full", "DeleteSubdirectoriesAndFiles, Modify, ChangePermissions, TakeOwnership"),
    (268435456, "full", "268435456"),  # GENERIC_ALL (CREATOR OWNER)
    (-536805376, "modify", "-536805376"),  # GENERIC_READ|WRITE|EXECUTE|DELETE, signed as [int] gives it
    (0xE0010000, "modify", "-536805376"),  # the same, unsigned
    (-1610612736, "read", "-1610612736"),  # GENERIC_READ|GENERIC_EXECUTE
    (0x01000000 | 2032127, "other", "18809343"),  # ACCESS_SYSTEM_SECURITY is not a file right
    (0, "other", "0"),
]


@pytest.mark.parametrize(("mask", "rights", "names"), RIGHTS, ids=[str(c[0]) for c in RIGHTS])
def test_rights(mask, rights, names):
    assert file_rights(mask) == rights
    assert rights_names(mask) == names


def folder_rule(**fields) -> dict:
    base = {
        "identity": "CORP\\svc_ors_p1",
        "sid": P1,
        "rights_mask": 1245631,
        "type": "allow",
        "inherited": False,
    }
    base.update(inheritance_flags="ContainerInherit, ObjectInherit", propagation_flags="None")
    return {**base, **fields}


FLAGS = [
    # inheritance, propagation, rights, files, folders, raw tail
    (
        "ContainerInherit, ObjectInherit",
        "None",
        "modify",
        True,
        True,
        "ContainerInherit, ObjectInherit; None",
    ),
    (
        "ObjectInherit, ContainerInherit",
        "None",
        "modify",
        True,
        True,
        "ContainerInherit, ObjectInherit; None",
    ),
    ("None", "None", "modify", False, False, "None; None"),
    ("ContainerInherit", "None", "modify", False, True, "ContainerInherit; None"),
    ("ObjectInherit", "None", "modify", True, False, "ObjectInherit; None"),
    (
        "ContainerInherit, ObjectInherit",
        "InheritOnly",
        "other",
        True,
        True,
        "ContainerInherit, ObjectInherit; InheritOnly",
    ),
    (
        "ContainerInherit, ObjectInherit",
        "NoPropagateInherit",
        "other",
        True,
        True,
        "ContainerInherit, ObjectInherit; NoPropagateInherit",
    ),
    (
        "ContainerInherit",
        "NoPropagateInherit, InheritOnly",
        "other",
        False,
        True,
        "ContainerInherit; NoPropagateInherit, InheritOnly",
    ),
    (
        3,
        0,
        "modify",
        True,
        True,
        "ContainerInherit, ObjectInherit; None",
    ),  # numbers, as ConvertTo-Json gives enums
    (1, 2, "other", False, True, "ContainerInherit; InheritOnly"),
]


@pytest.mark.parametrize(("inherit", "propagate", "rights", "files", "folders", "tail"), FLAGS)
def test_inheritance_flags(inherit, propagate, rights, files, folders, tail):
    rule = file_rule(folder_rule(inheritance_flags=inherit, propagation_flags=propagate))
    assert (rule["rights"], rule["inherit_files"], rule["inherit_folders"]) == (rights, files, folders)
    assert rule["raw"] == f"Modify, Synchronize; {tail}"


@pytest.mark.parametrize(
    ("kind", "expected"), [("allow", "allow"), ("Deny", "deny"), (0, "allow"), (1, "deny")]
)
def test_rule_types(kind, expected):
    assert file_rule(folder_rule(type=kind))["type"] == expected


SHARE_RIGHTS = [
    ("Full", "full", "Full"),
    ("Change", "modify", "Change"),
    ("Read", "read", "Read"),
    ("Custom", "other", "Custom"),
    ("0", "full", "Full"),
    (1, "modify", "Change"),
    ("2", "read", "Read"),
    (3, "other", "Custom"),
]


@pytest.mark.parametrize(("right", "rights", "raw_text"), SHARE_RIGHTS)
def test_share_rights(right, rights, raw_text):
    rule = share_rule({"identity": "CORP\\svc", "sid": P1, "access_right": right, "type": "Allow"})
    assert (rule["rights"], rule["raw"], rule["type"], rule["id"]) == (rights, raw_text, "allow", P1)
    assert not (rule["inherit_files"] or rule["inherit_folders"] or rule["inherited"])
    assert (
        share_rule({"identity": "Jeder", "sid": "S-1-1-0", "access_right": right, "type": "1"})["type"]
        == "deny"
    )


MACS = [
    ("00-15-5D-01-02-03", "00155d010203"),
    ("00:15:5d:01:02:03", "00155d010203"),
    ("0015.5D01.0203", "00155d010203"),
    ("00155D010203", "00155d010203"),
    ("", None),
    (None, None),
    ("00-00-00-00-00-00", None),
    ("00-00-00-00-00-00-00-E0", None),  # the 8-byte address of a tunnel adapter
    ("not a mac", None),
]


@pytest.mark.parametrize(("text", "mac"), MACS)
def test_mac_address(text, mac):
    assert mac_address(text) == mac


def adapter(name, mac, virtual=False, status="Up"):
    return {"name": name, "description": name, "mac": mac, "status": status, "virtual": virtual}


def test_mac_addresses_order_and_duplicates():
    adapters = [
        adapter("vEthernet (nat)", "00-15-5D-00-00-01", virtual=True),
        adapter("NIC2", "AA-BB-CC-00-00-02", status="Disconnected"),
        adapter("nic1", "AA-BB-CC-00-00-01"),
        adapter("Team", "AA-BB-CC-00-00-01", virtual=True),
        adapter("Loopback", None, virtual=True),
    ]
    assert mac_addresses(adapters) == ["aabbcc000001", "aabbcc000002", "00155d000001"]
    assert mac_addresses(list(reversed(adapters))) == mac_addresses(adapters)  # whatever order Windows lists
    assert mac_addresses([]) == []


def acl(*rules: tuple) -> list[dict]:
    """Store rules from (identity, sid, mask[, type])."""
    return [
        file_rule(
            {"identity": r[0], "sid": r[1], "rights_mask": r[2], "type": r[3] if len(r) > 3 else "allow"},
        )
        for r in rules
    ]


ADMIN_FULL = ("BUILTIN\\Administrators", ADM, 2032127)
SYSTEM_FULL = ("NT AUTHORITY\\SYSTEM", SYS, 2032127)
P1_READ = ("CORP\\svc_ors_p1", P1, 1179817)
PROTECTION = [
    # id, rules, protected, owner, the service's account, expected problems (None: protected)
    ("exact", (ADMIN_FULL, SYSTEM_FULL, P1_READ), True, ADM, P1, None),
    (
        "owned by SYSTEM, Read only",
        (ADMIN_FULL, SYSTEM_FULL, ("CORP\\svc_ors_p1", P1, 131209)),
        True,
        SYS,
        P1,
        None,
    ),
    ("service as LocalSystem", (ADMIN_FULL, SYSTEM_FULL), True, ADM, SYS, None),
    (
        "inheritance on",
        (ADMIN_FULL, SYSTEM_FULL, P1_READ),
        False,
        ADM,
        P1,
        ["it inherits access rules from its folder"],
    ),
    (
        "no SYSTEM",
        (ADMIN_FULL, P1_READ),
        True,
        ADM,
        P1,
        ["NT AUTHORITY\\SYSTEM (S-1-5-18) has no full control"],
    ),
    (
        "administrators modify",
        (("BUILTIN\\Administrators", ADM, 1245631), SYSTEM_FULL, P1_READ),
        True,
        ADM,
        P1,
        ["BUILTIN\\Administrators (S-1-5-32-544) has no full control"],
    ),
    (
        "account missing",
        (ADMIN_FULL, SYSTEM_FULL),
        True,
        ADM,
        P1,
        [f"the service's account ({P1}) cannot read it"],
    ),
    (
        "account may change it",
        (ADMIN_FULL, SYSTEM_FULL, ("CORP\\svc_ors_p1", P1, 1245631)),
        True,
        ADM,
        P1,
        [
            f"the service's account ({P1}) cannot read it",
            "the service's account CORP\\svc_ors_p1 has modify access, not read",
        ],
    ),
    (
        "someone else",
        (ADMIN_FULL, SYSTEM_FULL, P1_READ, ("CORP\\svc_ors_p2", P2, 1179817)),
        True,
        ADM,
        P1,
        ["CORP\\svc_ors_p2 has read access"],
    ),
    (
        "Everyone, localized",
        (ADMIN_FULL, SYSTEM_FULL, P1_READ, ("Jeder", "S-1-1-0", 1179817)),
        True,
        ADM,
        P1,
        ["Jeder has read access"],
    ),
    (
        "account denied",
        (ADMIN_FULL, SYSTEM_FULL, P1_READ, ("CORP\\svc_ors_p1", P1, 1179817, "deny")),
        True,
        ADM,
        P1,
        ["CORP\\svc_ors_p1 is denied read access"],
    ),
    (
        "someone denied is fine",
        (ADMIN_FULL, SYSTEM_FULL, P1_READ, ("CORP\\svc_ors_p2", P2, 2032127, "deny")),
        True,
        ADM,
        P1,
        None,
    ),
    (
        "owned by the account",
        (ADMIN_FULL, SYSTEM_FULL, P1_READ),
        True,
        P1,
        P1,
        [f"it is owned by {P1}, who may change its access rules"],
    ),
    (
        "no service account known",
        (ADMIN_FULL, SYSTEM_FULL, P1_READ),
        True,
        ADM,
        None,
        ["CORP\\svc_ors_p1 has read access"],
    ),
]


@pytest.mark.parametrize(
    ("rules", "protected", "owner", "account", "problems"),
    [c[1:] for c in PROTECTION],
    ids=[c[0] for c in PROTECTION],
)
def test_store_protection(rules, protected, owner, account, problems):
    drift = store_protection(acl(*rules), protected, owner, account)
    expected = None if problems is None else "the settings store's access rules: " + "; ".join(problems)
    assert drift == expected


def test_store_protection_uses_the_services_sid():
    data = raw("prisma_converged_en")
    data["service"]["start_name_sid"] = P2  # the service now runs as another account
    state, _ = host_state(data)
    assert state["settings"]["protection"] == (
        f"the settings store's access rules: the service's account ({P2}) cannot read it; "
        "CORP\\svc_ors_p1 has read access"
    )


def test_store_acl_not_read_is_a_warning_not_a_drift():
    data = raw("prisma_converged_en")
    data["settings"].update(access=None, protected=None, owner_sid=None)
    state, warnings = host_state(data)
    assert state["settings"]["protection"] is None
    assert warnings == ["the settings store's access rules could not be read: its protection is not checked"]


def test_a_secret_the_reader_let_through_is_dropped():
    data = raw("prisma_converged_en")
    data["settings"]["document"]["general"]["verification_code"] = VERIFICATION_CODE
    data["settings"]["document"]["proxy"]["password"] = ""
    state, warnings = host_state(data)
    general, proxy = state["settings"]["document"]["general"], state["settings"]["document"]["proxy"]
    assert general["verification_code"] == {"set": True, "fingerprint": None}
    assert proxy["password"] == {"set": False, "fingerprint": None}
    assert VERIFICATION_CODE not in json.dumps([state, warnings])
    assert len(warnings) == 2 and "general.verification_code" in warnings[0]


# ---------------------------------------------------------------------------------------------------
# Bad output of the reader: a clear error naming the field, never a KeyError
# ---------------------------------------------------------------------------------------------------


def without(path: str):
    def change(data):
        *parents, last = path.split(".")
        target = data
        for key in parents:
            target = target[int(key)] if key.isdigit() else target[key]
        del target[int(last) if last.isdigit() else last]

    return change


def setting(path: str, value):
    def change(data):
        *parents, last = path.split(".")
        target = data
        for key in parents:
            target = target[int(key)] if key.isdigit() else target[key]
        target[int(last) if last.isdigit() else last] = value

    return change


BAD = [
    # fixture, change, words the message must hold
    ("prisma_converged_en", setting("platform", "lab"), "platform is 'lab'"),
    ("prisma_converged_en", without("platform"), "platform is None"),
    ("prisma_converged_en", without("service.exists"), "service.exists is missing"),
    (
        "prisma_converged_en",
        setting("service.start_name_sid", "CORP\\svc"),
        "service.start_name_sid: 'CORP\\\\svc' is not a SID",
    ),
    ("prisma_converged_en", setting("service", []), "service: expected an object, got list"),
    (
        "prisma_converged_en",
        setting("accounts.CORP\\svc_ors_p1", True),
        "accounts['CORP\\\\svc_ors_p1']: expected an object",
    ),
    (
        "prisma_converged_en",
        setting("service_logon_sids", "S-1-5-80-0"),
        "service_logon_sids: expected a list",
    ),
    (
        "prisma_converged_en",
        without("settings.access.0.rights_mask"),
        "settings.access[0].rights_mask is missing",
    ),
    (
        "prisma_converged_en",
        setting("settings.access.0.rights_mask", "FullControl"),
        "settings.access[0].rights_mask: expected an integer, got str",
    ),
    (
        "prisma_converged_en",
        setting("settings.access.0.rights_mask", True),
        "rights_mask: expected an integer, got bool",
    ),
    (
        "prisma_converged_en",
        setting("settings.access.0.type", "audit"),
        "settings.access[0].type: 'audit' is not Allow or Deny",
    ),
    (
        "prisma_converged_en",
        setting("settings.access", {"sid": ADM}),
        "settings.access: expected a list, got dict",
    ),
    (
        "prisma_converged_en",
        setting("settings.document", "{}"),
        "settings.document: expected an object, got str",
    ),
    ("prisma_converged_en", setting("licenses.0.sha256", "abc"), "licenses[0].sha256 is not 64 hex digits"),
    ("prisma_converged_en", setting("licenses", {"name": "x"}), "licenses: expected a list, got dict"),
    (
        "prisma_converged_en",
        setting("mac_addresses_raw.0", "00-50-56-A1-3C-7E"),
        "mac_addresses_raw[0]: expected an object",
    ),
    (
        "prisma_converged_en",
        setting("teamviewer", {"present": "yes"}),
        "teamviewer.present: expected true or false",
    ),
    (
        "fls_converged_de",
        setting("folder.rules.3.propagation_flags", "InheritOnly, Sideways"),
        "folder.rules[3].propagation_flags: unknown flags sideways",
    ),
    (
        "fls_converged_de",
        setting("folder.rules.0.inheritance_flags", None),
        "folder.rules[0].inheritance_flags: expected flag names",
    ),
    (
        "fls_converged_de",
        setting("folder.rules.0", {"rights_mask": 2032127, "type": "allow"}),
        "folder.rules[0] has neither",
    ),
    (
        "fls_converged_de",
        setting("share.access.0.access_right", None),
        "share.access[0].access_right is null",
    ),
    ("fls_converged_de", setting("license_backups", [1]), "license_backups: expected a list of file names"),
    ("fls_converged_de", without("license_server.lmutil"), "license_server.lmutil is missing"),
    ("fls_converged_de", setting("folder", None), "the folder section could not be read"),
    ("prisma_converged_en", setting("settings", None), "the settings section could not be read"),
]


@pytest.mark.parametrize(("fixture", "change", "words"), [c for c in BAD], ids=[c[2][:50] for c in BAD])
def test_bad_output_is_named(fixture, change, words):
    data = raw(fixture)
    change(data)
    with pytest.raises(WindowsStateError) as caught:
        host_state(data)
    assert words in str(caught.value)
    assert str(caught.value).startswith(
        "the Windows reader (win_host_state.ps1) returned an unexpected result: "
    )


def test_a_section_not_read_names_the_readers_reason():
    data = raw("fls_converged_de")
    data.update(share=None, warnings=["cannot read the share section: The service has not been started."])
    with pytest.raises(
        ValueError, match=r"share section could not be read \(cannot read the share section: The service"
    ):
        host_state(data)


def test_informational_sections_may_be_null():
    data = raw("fls_converged_de")
    data.update(
        licenses=None, mac_addresses_raw=None, license_backups=None, license_server=None, warnings=["why"]
    )
    data["service_logon_sids"] = None
    state, warnings = host_state(data)
    assert [state[k] for k in ("licenses", "mac_addresses", "license_backups", "license_server")] == [
        None
    ] * 4
    assert {entry["service_logon"] for entry in state["accounts"].values()} == {None}
    assert warnings == ["why"]


def test_not_an_object():
    for value in (None, [], "windows"):
        with pytest.raises(WindowsStateError, match="expected an object"):
            host_state(value)


def test_the_fixture_is_not_changed():
    data = raw("fls_converged_de")
    before = copy.deepcopy(data)
    host_state(data)
    assert data == before
