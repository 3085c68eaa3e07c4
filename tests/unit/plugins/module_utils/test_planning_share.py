"""Tables of cases for the license share planner (plugins/module_utils/planning_share.py) and its access
rule model (plugins/module_utils/acl_model.py): desired + host state -> Plan."""

from __future__ import annotations

import copy
import json

import pytest
from ansible_collections.printops.prismadirect.plugins.module_utils.acl_model import (
    AccessRule,
    broad_name,
    is_administrator,
    normalised_name,
    same_identity,
)
from ansible_collections.printops.prismadirect.plugins.module_utils.planning_core import Plan
from ansible_collections.printops.prismadirect.plugins.module_utils.planning_share import (
    license_share_desired,
    parse_share_name,
    plan_license_share,
    same_path,
)
from ansible_collections.printops.prismadirect.plugins.module_utils.validation import ValidationError

PASSWORD_1 = "Sh4re-Pa55-one!"
PASSWORD_2 = "Sh4re-Pa55-two!"
SECRETS = (PASSWORD_1, PASSWORD_2)

ROOT = {"identity": "root", "id": "uid:0"}


def rule(identity: str, id_: str | None, rights: str = "modify", **fields) -> dict:
    """A reader's rule dict; folder rules are inherited by files and folders unless told otherwise."""
    base = {"identity": identity, "id": id_, "rights": rights, "type": "allow"}
    base.update(inherit_files=True, inherit_folders=True, inherited=False)
    base.update(fields)
    return base


def share_rule(identity: str, id_: str | None, rights: str = "modify", **fields) -> dict:
    return {"identity": identity, "id": id_, "rights": rights, "type": "allow", **fields}


ADMIN_FULL = rule("root", "uid:0", "full")
P1 = rule("svc_ors_p1", "uid:1001")
P2 = rule("svc_ors_p2", "uid:1002")


def host_state(
    *,
    rules: list | None = None,
    folder_exists: bool = True,
    share: dict | None = None,
    share_access: list | None = None,
    users: dict | str | None = "default",
    accounts: dict | None = None,
) -> dict:
    """A converged lab FLS (folder /licenses shared as 'licenses' for svc_ors_p1 and svc_ors_p2)."""
    state = {
        "platform": "lab",
        "accounts": accounts
        if accounts is not None
        else {
            "svc_ors_p1": {"exists": True, "id": "uid:1001"},
            "svc_ors_p2": {"exists": True, "id": "uid:1002"},
        },
        "folder": {
            "path": "/licenses",
            "exists": folder_exists,
            "administrators": ROOT,
            "rules": rules if rules is not None else [ADMIN_FULL, P1, P2],
        },
        "share": {
            "name": "licenses",
            "exists": True,
            "path": "/licenses",
            "description": "PRISMAdirect licenses",
            "access": share_access
            if share_access is not None
            else [share_rule("svc_ors_p1", "uid:1001"), share_rule("svc_ors_p2", "uid:1002"), share_rule(
                "root", "uid:0", "full")],
            "users": {
                "svc_ors_p1": {"exists": True, "password_matches": True},
                "svc_ors_p2": {"exists": True, "password_matches": True},
            }
            if users == "default"
            else users,
            **(share or {}),
        },
    }  # fmt: skip
    return state


def args(**overrides) -> dict:
    base = {
        "path": "/licenses",
        "name": "licenses",
        "accounts": [
            {"name": "svc_ors_p1", "password": PASSWORD_1},
            {"name": "svc_ors_p2", "password": PASSWORD_2},
        ],
        "exclusive": None,
        "description": None,
        "fls_host": "fls1",
    }
    base.update(overrides)
    return base


def plan_for(task: dict, state: dict) -> Plan:
    return plan_license_share(license_share_desired(task), state)


def verbs(plan: Plan) -> list[str]:
    return [c.verb for c in plan.changes]


def change(plan: Plan, verb: str):
    return next(c for c in plan.changes if c.verb == verb)


def identities(rules: list[dict]) -> list[str]:
    return [f"{r['identity']}:{r['rights']}" for r in rules]


def assert_no_secret(plan: Plan) -> None:
    shown = json.dumps(plan.diff) + json.dumps(plan.result) + repr(plan) + " ".join(plan.warnings)
    shown += json.dumps([c.public_args() for c in plan.changes]) + " ".join(c.reason for c in plan.changes)
    for secret in SECRETS:
        assert secret not in shown


# ---------------------------------------------------------------------------------------------------
# The access rule model
# ---------------------------------------------------------------------------------------------------


def test_access_rule_from_state_keeps_unknown_rights_raw():
    parsed = AccessRule.from_state({"identity": "X", "rights": "Write, Synchronize", "type": "Allow"})
    assert (parsed.rights, parsed.raw, parsed.type, parsed.id) == (
        "other",
        "Write, Synchronize",
        "allow",
        None,
    )
    assert AccessRule.from_state({"identity": "X", "rights": "read", "type": "weird"}).type == "deny"
    assert AccessRule.from_state(P1).to_dict() == {**P1, "raw": None}


@pytest.mark.parametrize(
    ("fields", "message"), [({"rights": "write"}, "unknown rights"), ({"type": "audit"}, "unknown rule type")]
)
def test_access_rule_refuses_unknown_values(fields, message):
    with pytest.raises(ValueError, match=message):
        AccessRule(identity="x", **fields)


DESCRIBE_CASES = [
    (AccessRule.from_state(P1), "allow svc_ors_p1 modify (files, folders)"),
    (AccessRule("Everyone", "S-1-1-0", "read", inherited=True), "allow Everyone read [inherited]"),
    (AccessRule("CORP\\x", None, "other", "deny", raw="Write"), "deny CORP\\x other (Write)"),
]


@pytest.mark.parametrize(("value", "text"), DESCRIBE_CASES)
def test_access_rule_describe(value, text):
    assert value.describe() == text


IDENTITY_CASES = [
    # a name, a id, b name, b id, same
    ("FLS1\\svc", "S-1-5-21-1-2-3-1001", ".\\svc", "s-1-5-21-1-2-3-1001", True),
    ("svc", "uid:1001", "svc", "uid:1002", False),
    ("BUILTIN\\Administrators", None, "administrators", None, True),
    (".\\svc", None, "SVC", None, True),
    ("CORP\\svc", None, "svc", None, False),
    (None, None, "svc", None, False),
]


@pytest.mark.parametrize(("a_name", "a_id", "b_name", "b_id", "same"), IDENTITY_CASES)
def test_same_identity(a_name, a_id, b_name, b_id, same):
    assert same_identity(a_name, a_id, b_name, b_id) is same


@pytest.mark.parametrize(
    ("identity", "id_", "admin"),
    [
        ("BUILTIN\\Administrators", "S-1-5-32-544", True),
        ("x", "S-1-5-18", True),
        ("root", "uid:0", True),
        ("root", "gid:0", True),
        ("CORP\\Domain Admins", "S-1-5-21-1-2-3-512", True),
        ("Administrators", None, True),
        ("svc", "uid:1001", False),
        ("root", None, False),  # by name, root is not special (a Windows user may be called root)
    ],
)
def test_is_administrator(identity, id_, admin):
    assert is_administrator(identity, id_) is admin


@pytest.mark.parametrize(
    ("identity", "id_", "broad"),
    [
        ("Everyone", None, "Everyone"),
        (None, "S-1-1-0", "Everyone"),
        ("Everyone", "other", "Everyone"),
        ("NT AUTHORITY\\Authenticated Users", None, "NT AUTHORITY\\Authenticated Users"),
        (None, "S-1-5-11", "Authenticated Users"),
        ("BUILTIN\\Users", "S-1-5-32-545", "BUILTIN\\Users"),
        ("CORP\\Domain Users", None, "CORP\\Domain Users"),
        ("x", "S-1-5-21-1-2-3-513", "x"),
        ("svc_ors", "uid:1001", None),
    ],
)
def test_broad_name(identity, id_, broad):
    assert broad_name(identity, id_) == broad


def test_normalised_name_drops_local_and_well_known_domains_only():
    assert normalised_name(" BUILTIN\\Administrators ") == "administrators"
    assert normalised_name(".\\Svc") == "svc"
    assert normalised_name("NT AUTHORITY\\SYSTEM") == "system"
    assert normalised_name("CORP\\Svc") == "corp\\svc"


# ---------------------------------------------------------------------------------------------------
# Bad inputs: each names its option
# ---------------------------------------------------------------------------------------------------

BAD_INPUT_CASES = [
    # id, overrides, option, message part
    ("Everyone", {"accounts": ["Everyone"]}, "accounts[0]", "stands for Everyone"),
    ("Everyone's SID", {"accounts": ["S-1-1-0"]}, "accounts[0]", "SID of Everyone"),
    (
        "Authenticated Users",
        {"accounts": ["Authenticated Users"]},
        "accounts[0]",
        "never shared with everybody",
    ),
    (
        "NT AUTHORITY Authenticated Users",
        {"accounts": ["svc_ors_p1", "NT AUTHORITY\\Authenticated Users"]},
        "accounts[1]",
        "everybody",
    ),
    ("Users", {"accounts": [{"name": "BUILTIN\\Users"}]}, "accounts[0].name", "everybody"),
    ("Domain Users", {"accounts": ["CORP\\Domain Users"]}, "accounts[0]", "everybody"),
    ("Administrators", {"accounts": ["BUILTIN\\Administrators"]}, "accounts[0]", "keeps full control"),
    ("a SID", {"accounts": ["S-1-5-21-1-2-3-1001"]}, "accounts[0]", "is a SID"),
    ("built-in account", {"accounts": ["LocalSystem"]}, "accounts[0]", "built-in service account"),
    ("service account", {"accounts": ["NT AUTHORITY\\NetworkService"]}, "accounts[0]", "built-in"),
    ("no accounts", {"accounts": []}, "accounts", "is empty"),
    ("accounts missing", {"accounts": None}, "accounts", "is empty"),
    ("twice", {"accounts": ["svc_ors_p1", ".\\SVC_ORS_P1"]}, "accounts[1]", "listed twice"),
    ("unknown key", {"accounts": [{"name": "svc", "pasword": "x"}]}, "accounts[0]", "unknown keys pasword"),
    ("bad name", {"accounts": ["a\\b\\c"]}, "accounts[0]", "more than one"),
    (
        "password newline",
        {"accounts": [{"name": "svc", "password": "pw\n"}]},
        "accounts[0].password",
        "control",
    ),
    ("share name empty", {"name": ""}, "name", "is empty"),
    ("share name slash", {"name": "lic/enses"}, "name", "characters share names cannot have (/)"),
    ("share name brackets", {"name": "[global]"}, "name", "cannot have ([ ])"),
    ("share name percent", {"name": "lic%U"}, "name", "(%)"),
    ("share name too long", {"name": "x" * 81}, "name", "81 characters"),
    ("share name blank", {"name": " licenses"}, "name", "blanks"),
    ("share name admin", {"name": "ADMIN$"}, "name", "reserved"),
    ("share name drive", {"name": "c$"}, "name", "reserved"),
    ("share name samba section", {"name": "Homes"}, "name", "reserved"),
    ("share name control", {"name": "lic\tenses"}, "name", "'\\t'"),
    ("relative path", {"path": "licenses"}, "path", "not an absolute path"),
    ("dot dot path", {"path": "/srv/../etc"}, "path", "'..'"),
    ("UNC path", {"path": "\\\\fls1\\licenses"}, "path", "is a shared folder"),
    ("path missing", {"path": None}, "path", "is empty"),
    ("exclusive not bool", {"exclusive": "yes"}, "exclusive", "not a boolean"),
    ("description newline", {"description": "a\nb"}, "description", "one line"),
    ("description long", {"description": "x" * 257}, "description", "longer than 256"),
    ("fls_host missing", {"fls_host": None}, "fls_host", "not a host name"),
    ("fls_host path", {"fls_host": "fls1\\x"}, "fls_host", "not a host name"),
]


@pytest.mark.parametrize(
    ("overrides", "option", "message"), [c[1:] for c in BAD_INPUT_CASES], ids=[c[0] for c in BAD_INPUT_CASES]
)
def test_bad_inputs_name_the_option(overrides, option, message):
    with pytest.raises(ValidationError) as caught:
        license_share_desired(args(**overrides))
    assert caught.value.option == option
    assert message in caught.value.message
    for secret in SECRETS:
        assert secret not in str(caught.value)


@pytest.mark.parametrize(
    "name", ["licenses", "Licenses$", "PRISMAdirect licenses", "lic-enses_1.x", "x" * 80]
)
def test_good_share_names(name):
    assert parse_share_name(name) == name


def test_desired_normalises():
    desired = license_share_desired(
        args(path="C:\\ProgramData\\FlexNet\\", accounts="CORP\\svc_ors", exclusive=True, description="d")
    )
    assert desired.path == "C:\\ProgramData\\FlexNet"
    assert [a.account.qualified for a in desired.accounts] == ["CORP\\svc_ors"]
    assert desired.accounts[0].password is None
    assert (desired.exclusive, desired.description, desired.fls_host) == (True, "d", "fls1")
    assert PASSWORD_1 not in repr(license_share_desired(args()))


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("C:\\Lic", "c:/lic/", True),
        ("/licenses", "/licenses/", True),
        ("/licenses", "/Licenses", False),
        (None, "/licenses", False),
    ],
)
def test_same_path(a, b, same):
    assert same_path(a, b) is same


# ---------------------------------------------------------------------------------------------------
# Plans
# ---------------------------------------------------------------------------------------------------

OTHER = rule("backup_op", "uid:1500", "read", inherit_files=False, inherit_folders=False)
EVERYONE = rule("Everyone", "other", "read", inherit_files=False, inherit_folders=False)
S1, S2 = share_rule("svc_ors_p1", "uid:1001"), share_rule("svc_ors_p2", "uid:1002")
S_ROOT = share_rule("root", "uid:0", "full")
S_OTHER = share_rule("backup_op", "uid:1500", "read")
S_EVERYONE = share_rule("Everyone", "S-1-1-0", "read")
NO_ADMIN_INHERIT = {**ADMIN_FULL, "inherit_files": False, "inherit_folders": False}
P1_DENY = {**P1, "type": "deny", "rights": "read"}
P1_WRONG = {"p1 read": {**P1, "rights": "read"}, "p1 full": {**P1, "rights": "full"}}
MATCH, DIFFER = {"exists": True, "password_matches": True}, {"exists": True, "password_matches": False}
CORP = {"accounts": ["CORP\\svc_a"]}

PLAN_CASES = [
    # id, task overrides, host state, expected verbs
    ("converged", {}, host_state(), []),
    ("converged, description given and equal", {"description": "PRISMAdirect licenses"}, host_state(), []),
    ("folder and share missing", {}, host_state(rules=[], folder_exists=False, share={"exists": False}),
     ["acl.ensure", "share.ensure"]),
    ("share missing", {}, host_state(share={"exists": False, "access": []}), ["share.ensure"]),
    ("account has read only", {}, host_state(rules=[ADMIN_FULL, P1_WRONG["p1 read"], P2]), ["acl.ensure"]),
    ("account has full control", {}, host_state(rules=[ADMIN_FULL, P1_WRONG["p1 full"], P2]), ["acl.ensure"]),
    ("account rule not inherited", {}, host_state(rules=[ADMIN_FULL, {**P1, "inherit_files": False}, P2]),
     ["acl.ensure"]),
    ("account rule missing", {}, host_state(rules=[ADMIN_FULL, P2]), ["acl.ensure"]),
    ("account also denied", {}, host_state(rules=[ADMIN_FULL, P1, P2, P1_DENY]), ["acl.ensure"]),
    ("administrators missing", {}, host_state(rules=[P1, P2]), ["acl.ensure"]),
    ("administrators full, not inherited", {}, host_state(rules=[NO_ADMIN_INHERIT, P1, P2]), ["acl.ensure"]),
    ("administrators full through inheritance", {},
     host_state(rules=[{**ADMIN_FULL, "inherited": True}, P1, P2]), []),
    ("other grant kept", {}, host_state(rules=[ADMIN_FULL, P1, P2, OTHER]), []),
    ("other grant revoked with exclusive", {"exclusive": True}, host_state(rules=[ADMIN_FULL, P1, P2, OTHER]),
     ["acl.ensure"]),
    ("other deny kept with exclusive", {"exclusive": True},
     host_state(rules=[ADMIN_FULL, P1, P2, {**OTHER, "type": "deny"}]), []),
    ("Everyone kept without exclusive", {}, host_state(rules=[ADMIN_FULL, P1, P2, EVERYONE]), []),
    ("Everyone revoked with exclusive", {"exclusive": True}, host_state(rules=[ADMIN_FULL, P1, P2, EVERYONE]),
     ["acl.ensure"]),
    ("inherited rules untouched, also with exclusive", {"exclusive": True},
     host_state(rules=[ADMIN_FULL, P1, P2, {**OTHER, "inherited": True}, {**EVERYONE, "inherited": True}]),
     []),
    ("share points elsewhere", {}, host_state(share={"path": "/old"}), ["share.ensure"]),
    ("description differs", {"description": "new"}, host_state(), ["share.ensure"]),
    ("description not managed", {}, host_state(share={"description": "anything"}), []),
    ("share password differs", {}, host_state(users={"svc_ors_p1": DIFFER, "svc_ors_p2": MATCH}),
     ["share.ensure"]),
    ("share password unknown", {}, host_state(users={"svc_ors_p1": {"exists": True}, "svc_ors_p2": MATCH}),
     ["share.ensure"]),
    ("share user missing", {}, host_state(users={"svc_ors_p1": MATCH}), ["share.ensure"]),
    ("no share passwords kept on this host (Windows)", {}, host_state(users=None), []),
    ("share access missing an account", {}, host_state(share_access=[S1, S_ROOT]), ["share.ensure"]),
    ("share access full for an account", {}, host_state(share_access=[{**S1, "rights": "full"}, S2, S_ROOT]),
     ["share.ensure"]),
    ("share administrators missing", {}, host_state(share_access=[S1, S2]), ["share.ensure"]),
    ("share Everyone removed without exclusive", {}, host_state(share_access=[S1, S2, S_ROOT, S_EVERYONE]),
     ["share.ensure"]),
    ("share other grant kept", {}, host_state(share_access=[S1, S2, S_ROOT, S_OTHER]), []),
    ("share other administrators kept with exclusive", {"exclusive": True},
     host_state(share_access=[S1, S2, S_ROOT, share_rule("SYSTEM", "S-1-5-18", "full")]), []),
    ("share other grant removed with exclusive", {"exclusive": True},
     host_state(share_access=[S1, S2, S_ROOT, S_OTHER]), ["share.ensure"]),
    ("ids win over names", {},
     host_state(rules=[ADMIN_FULL, {**P1, "identity": "FLS1\\svc_ors_p1"}, {**P2, "identity": "S-1-5-21-9"}]),
     []),
    ("same name, other id", {}, host_state(rules=[ADMIN_FULL, {**P1, "id": "uid:2001"}, P2]), ["acl.ensure"]),
    ("names when ids unknown", CORP,
     host_state(rules=[ADMIN_FULL, rule("CORP\\svc_a", None)], users=None,
                accounts={"CORP\\svc_a": {"exists": True, "id": None}},
                share_access=[share_rule("CORP\\svc_a", None), S_ROOT]), []),
]  # fmt: skip


@pytest.mark.parametrize(
    ("overrides", "state", "expected"), [c[1:] for c in PLAN_CASES], ids=[c[0] for c in PLAN_CASES]
)
def test_plan_license_share(overrides, state, expected):
    before = copy.deepcopy(state)
    plan = plan_for(args(**overrides), state)
    assert verbs(plan) == expected, [c.reason for c in plan.changes]
    assert plan.changed is bool(expected)
    assert state == before  # the planner never changes the host state it is given
    assert_no_secret(plan)
    for c in plan.changes:
        assert c.reason


def test_converged_host_is_idempotent_and_reports_the_smb_path():
    plan = plan_for(args(), host_state())
    assert plan.changes == ()
    assert plan.result["smb_path"] == "\\\\fls1\\licenses"
    assert plan.result["share"] == "licenses"
    assert plan.result["path"] == "/licenses"
    assert plan.result["accounts"] == [".\\svc_ors_p1", ".\\svc_ors_p2"]
    assert plan.diff["before"] == plan.diff["after"]
    assert plan.warnings == ()


def test_new_folder_and_share_arguments():
    plan = plan_for(args(description="PRISMAdirect licenses"), host_state(rules=[], folder_exists=False,
                    share={"exists": False}, users={}))  # fmt: skip
    acl, share = plan.changes
    assert acl.args["path"] == "/licenses" and acl.args["create"] is True
    assert acl.args["revoke"] == []
    assert identities(acl.args["grant"]) == [".\\svc_ors_p1:modify", ".\\svc_ors_p2:modify", "root:full"]
    assert all(
        r["inherit_files"] and r["inherit_folders"] and r["type"] == "allow" for r in acl.args["grant"]
    )
    assert [r["id"] for r in acl.args["grant"]] == ["uid:1001", "uid:1002", "uid:0"]
    assert acl.args["rules"] == acl.args["grant"]
    assert share.args["name"] == "licenses" and share.args["create"] is True
    assert share.args["description"] == "PRISMAdirect licenses"
    assert identities(share.args["access"]) == [".\\svc_ors_p1:modify", ".\\svc_ors_p2:modify", "root:full"]
    assert share.args["passwords"] == {".\\svc_ors_p1": PASSWORD_1, ".\\svc_ors_p2": PASSWORD_2}
    assert share.secret_args == ("passwords",)
    assert share.public_args()["passwords"] == "(secret)"
    assert "does not exist" in acl.reason and "does not exist" in share.reason
    assert plan.diff["before"]["share"] == {"exists": False}
    assert plan.diff["before"]["share_passwords"] == {
        ".\\svc_ors_p1": "(not set)",
        ".\\svc_ors_p2": "(not set)",
    }
    assert plan.diff["after"]["share_passwords"] == {
        ".\\svc_ors_p1": "(secret set)",
        ".\\svc_ors_p2": "(secret set)",
    }
    assert_no_secret(plan)


def test_a_weaker_rule_is_replaced_by_exactly_modify():
    weak = {**P1, "rights": "other", "raw": "Write, Synchronize", "inherit_folders": False}
    plan = plan_for(args(), host_state(rules=[ADMIN_FULL, weak, P2]))
    (acl,) = plan.changes
    assert acl.args["revoke"] == [{**weak, "raw": "Write, Synchronize"}]
    assert identities(acl.args["grant"]) == [".\\svc_ors_p1:modify"]
    assert identities(acl.args["rules"]) == ["root:full", "svc_ors_p2:modify", ".\\svc_ors_p1:modify"]
    assert "other (Write, Synchronize)" in acl.reason
    assert plan.result["revoked"] == ["allow svc_ors_p1 other (Write, Synchronize) (files)"]
    assert plan.diff["after"]["folder"]["rules"][-1] == "allow .\\svc_ors_p1 modify (files, folders)"


def test_a_deny_rule_of_an_account_is_revoked_and_its_exact_rule_kept():
    deny = {**P1, "type": "deny", "rights": "read"}
    (acl,) = plan_for(args(), host_state(rules=[ADMIN_FULL, P1, P2, deny])).changes
    assert acl.args["revoke"] == [{**deny, "raw": None}]
    assert acl.args["grant"] == []


def test_exclusive_revokes_every_other_explicit_grant_and_nothing_else():
    deny = {**OTHER, "identity": "intruder", "id": "uid:1600", "type": "deny"}
    inherited = {**OTHER, "identity": "parent_grant", "id": "uid:1700", "inherited": True}
    system = rule("NT AUTHORITY\\SYSTEM", "S-1-5-18", "full")
    rules = [ADMIN_FULL, system, P1, P2, OTHER, EVERYONE, deny, inherited]
    plan = plan_for(args(exclusive=True), host_state(rules=rules))
    (acl,) = plan.changes
    assert identities(acl.args["revoke"]) == ["backup_op:read", "Everyone:read"]
    assert acl.args["grant"] == []
    assert identities(acl.args["rules"]) == [
        "root:full",
        "NT AUTHORITY\\SYSTEM:full",
        "svc_ors_p1:modify",
        "svc_ors_p2:modify",
        "intruder:read",
    ]
    assert "exclusive: revoke 'allow backup_op read'" in acl.reason
    assert plan.result["inherited_rules"] == [{**inherited, "raw": None}]
    assert plan.diff["before"]["folder"]["inherited"] == ["allow parent_grant read [inherited]"]


def test_inherited_rules_are_reported_and_warned_about_never_changed():
    inherited_everyone = {**EVERYONE, "inherited": True}
    inherited_full = {**P1, "rights": "full", "inherited": True}
    inherited_deny = {**P2, "type": "deny", "inherited": True}
    rules = [ADMIN_FULL, P1, P2, inherited_everyone, inherited_full, inherited_deny]
    plan = plan_for(args(exclusive=True), host_state(rules=rules))
    assert plan.changes == ()
    assert len(plan.result["inherited_rules"]) == 3
    text = " | ".join(plan.warnings)
    assert "inherited rule 'allow Everyone read [inherited]' gives everybody access" in text
    assert "svc_ors_p1 gets more than modify through the inherited rule" in text
    assert "may deny .\\svc_ors_p2" in text


def test_explicit_everyone_is_kept_with_a_warning_without_exclusive():
    plan = plan_for(args(), host_state(rules=[ADMIN_FULL, P1, P2, EVERYONE]))
    assert plan.changes == ()
    assert any("set exclusive: true to remove it" in w for w in plan.warnings)


def test_administrators_are_added_when_missing():
    folder_rules = [rule("staff", "uid:1400", "full"), P1, P2]
    (acl,) = plan_for(args(), host_state(rules=folder_rules)).changes
    assert acl.args["grant"] == [{**ADMIN_FULL, "raw": None}]
    assert acl.args["revoke"] == []  # staff keeps its full control: not exclusive
    assert "the administrators (root) have no full control" in acl.reason


def test_windows_state_defaults_to_builtin_administrators():
    state = host_state(rules=[P1, P2])
    del state["folder"]["administrators"]
    acl, share = plan_for(args(), state).changes
    assert identities(acl.args["grant"]) == ["BUILTIN\\Administrators:full"]
    assert "BUILTIN\\Administrators:full" in identities(share.args["access"])
    assert acl.args["grant"][0]["id"] == "S-1-5-32-544"


def test_share_access_after_the_change_is_complete():
    access = [
        share_rule("svc_ors_p1", "uid:1001", "read"),
        share_rule("root", "uid:0", "full"),
        share_rule("backup_op", "uid:1500", "read"),
        share_rule("Everyone", "S-1-1-0", "read"),
        share_rule("blocked", "uid:1600", "full", type="deny"),
    ]
    plan = plan_for(args(), host_state(share_access=access))
    (share,) = plan.changes
    assert identities(share.args["access"]) == [
        ".\\svc_ors_p1:modify",
        ".\\svc_ors_p2:modify",
        "root:full",
        "backup_op:read",
        "blocked:full",
    ]
    assert "never shared with everybody: remove share access 'allow Everyone read'" in share.reason
    assert share.args["passwords"] == {}
    assert share.args["description"] == "PRISMAdirect licenses"  # kept as it is when not given


def test_share_password_sync_sets_only_what_differs():
    users = {
        "svc_ors_p1": {"exists": True, "password_matches": False},
        "svc_ors_p2": {"exists": True, "password_matches": True},
    }
    plan = plan_for(args(), host_state(users=users))
    (share,) = plan.changes
    assert share.args["passwords"] == {".\\svc_ors_p1": PASSWORD_1}
    assert share.args["create"] is False
    assert plan.diff["before"]["share_passwords"][".\\svc_ors_p1"] == "(secret set)"
    assert plan.diff["after"]["share_passwords"] == {
        ".\\svc_ors_p1": "(secret changed)",
        ".\\svc_ors_p2": "(secret unchanged)",
    }
    assert "share password of .\\svc_ors_p1" in share.reason
    assert_no_secret(plan)


def test_account_without_password_where_share_passwords_are_kept_is_warned_about():
    task = args(accounts=["svc_ors_p1", {"name": "svc_ors_p2", "password": PASSWORD_2}])
    plan = plan_for(task, host_state(users={"svc_ors_p2": {"exists": True, "password_matches": True}}))
    assert plan.changes == ()
    assert any(".\\svc_ors_p1 has no share password on this host" in w for w in plan.warnings)


def test_passwords_are_not_used_where_the_host_keeps_none():
    plan = plan_for(args(), host_state(users=None, share={"exists": False}))
    (share,) = plan.changes
    assert share.args["passwords"] == {}
    assert "share_passwords" not in plan.diff["before"]


@pytest.mark.parametrize("missing", [["svc_ors_p2"], ["svc_ors_p1", "svc_ors_p2"]])
def test_accounts_not_on_the_host_fail_the_plan_naming_each_and_the_fix(missing):
    state = host_state(rules=[ADMIN_FULL, P1])
    for name in missing:
        state["accounts"][name] = {"exists": False, "id": None}
    with pytest.raises(ValidationError) as caught:
        plan_for(args(), state)
    assert caught.value.option == "accounts"
    message = caught.value.message
    named = ", ".join(f".\\{name}" for name in missing)
    assert message.startswith(f"{named} {'does' if len(missing) == 1 else 'do'} not exist on this host")
    assert "create the account first" in message and "check the name" in message
    assert "domain account the FLS knows" in message and message.endswith("Nothing was changed")


def test_in_check_mode_a_missing_account_is_a_warning_and_the_grant_is_planned_by_name():
    state = host_state(rules=[ADMIN_FULL, P1])
    state["accounts"]["svc_ors_p2"] = {"exists": False, "id": None}
    plan = plan_license_share(license_share_desired(args()), state, check_mode=True)
    assert plan.changed and plan.warnings[0].startswith(
        ".\\svc_ors_p2 does not exist on this host yet: check mode plans the grant as if it did"
    )
    assert "a real run fails here if it is still missing then" in plan.warnings[0]
    granted = change(plan, "acl.ensure").args["grant"]
    assert [(r["identity"], r["id"]) for r in granted] == [(".\\svc_ors_p2", None)]
    assert any("svc_ors_p2" in rule for rule in plan.diff["after"]["share"]["access"])


def test_an_account_the_reader_did_not_report_counts_as_missing():
    state = host_state()
    del state["accounts"]["svc_ors_p2"]
    with pytest.raises(ValidationError, match=r"^accounts: \.\\svc_ors_p2 does not exist on this host"):
        plan_for(args(), state)


def test_an_administrators_rule_for_the_folder_only_says_so():
    (acl,) = plan_for(args(), host_state(rules=[rule("root", "uid:0", "full", inherit_files=False,
                                                     inherit_folders=False), P1, P2])).changes  # fmt: skip
    assert acl.reason == (
        "the administrators' rule 'allow root full' covers the folder only: it is replaced by full control "
        "inherited by its files and subfolders"
    )


@pytest.mark.parametrize("account_id", ["uid:0", "S-1-5-32-544", "S-1-1-0"])
def test_an_account_that_is_an_administrator_or_everybody_on_the_host_is_refused(account_id):
    state = host_state()
    state["accounts"]["svc_ors_p1"]["id"] = account_id
    with pytest.raises(ValidationError) as caught:
        plan_for(args(), state)
    assert caught.value.option == "accounts[0]"
    assert account_id in caught.value.message


def test_secrets_never_in_diff_result_or_reasons():
    state = host_state(users={}, share={"exists": False}, rules=[], folder_exists=False)
    plan = plan_for(args(), state)
    assert_no_secret(plan)
    assert PASSWORD_1 in json.dumps(change(plan, "share.ensure").args)  # the adapter still gets them
