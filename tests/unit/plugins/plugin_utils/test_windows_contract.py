"""Contract tests of the Windows adapter (plugins/plugin_utils/_platform_windows*.py): every module call it
makes, for every verb and option combination it can produce, is checked against the REAL argument spec
of the target module as shipped (``ansible.windows`` in .venv, this collection's ``.ps1`` modules), read
by ps_argspec.py: option names, types, choices, required, mutually exclusive, required_by.
No Windows host: a fake action records the calls and answers with recorded results."""

from __future__ import annotations

import copy
import ntpath
import re
from typing import Any
from unittest.mock import MagicMock

import ps_argspec
import pytest
from ansible_collections.printops.prismadirect.plugins.module_utils.acl_model import AccessRule
from ansible_collections.printops.prismadirect.plugins.module_utils.planning_core import Change
from ansible_collections.printops.prismadirect.plugins.module_utils.settings import (
    DEFAULT_DOCUMENT,
    SECRET_KEYS,
    SETTING_KINDS,
)
from ansible_collections.printops.prismadirect.plugins.module_utils.validation import parse_account
from ansible_collections.printops.prismadirect.plugins.module_utils.windows_state import rights_names
from ansible_collections.printops.prismadirect.plugins.plugin_utils._platform import PlatformError
from ansible_collections.printops.prismadirect.plugins.plugin_utils._platform_windows import WindowsPlatform
from ansible_collections.printops.prismadirect.plugins.plugin_utils._platform_windows_fls import (
    REMOVE_RULE_SCRIPT,
    acl_args,
    rights_mask,
)

SID_SVC = "S-1-5-21-1004336348-1177238915-682003330-1107"
SID_F2 = "S-1-5-21-1004336348-1177238915-682003330-1108"
SHA_OLD = "a" * 64
SHA_NEW = "b" * 64
PROXY_DOC = {"mode": "manual", "url": "proxy.example.com:8080", "domain": None, "username": None}


class FakeConnection:
    def __init__(self) -> None:
        self.become = None
        self._shell = MagicMock(
            tmpdir="C:\\Users\\admin\\AppData\\Local\\Temp\\ansible-tmp-1", SHELL_FAMILY="powershell"
        )
        self._shell.join_path = ntpath.join

    def set_become_plugin(self, plugin: Any) -> None:
        self.become = plugin


class FakeAction:
    """What WindowsPlatform uses of an action plugin; module calls answered from ``answers``."""

    def __init__(
        self, answers: dict[str, Any] | None = None, task_vars: dict[str, Any] | None = None
    ) -> None:
        self.task_vars = {"inventory_hostname": "prisma1", **(task_vars or {})}
        self._connection = FakeConnection()
        self._warnings: list[str] = []
        self.answers = answers or {}
        self.calls: list[dict[str, Any]] = []

    def var(self, name: str, default: Any = None) -> Any:
        return self.task_vars.get(name, default)

    def _execute_module(self, module_name: str, module_args: dict[str, Any], task_vars: Any = None) -> Any:
        become = self._connection.become
        self.calls.append(
            {
                "module": module_name,
                "args": copy.deepcopy(module_args),
                "become_user": become.get_option("become_user") if become else None,
                "become_pass": become.get_option("become_pass") if become else None,
            }
        )
        answer = self.answers.get(module_name, {"changed": True})
        return copy.deepcopy(answer(module_args) if callable(answer) else answer)

    def _transfer_data(self, path: str, data: str) -> None:
        self.calls.append({"module": "_transfer_data", "args": {"path": path, "data": data}})

    def _make_tmp_path(self) -> str:
        return self._connection._shell.tmpdir

    def _fixup_perms2(self, remote_paths: Any, *_: Any, **__: Any) -> Any:
        return remote_paths  # what ansible does for a Windows shell


def stat_answer(checksum: str | None) -> dict[str, Any]:
    stat = {"exists": checksum is not None}
    if checksum:
        stat.update(checksum=checksum, isdir=False, size=793)
    return {"changed": False, "stat": stat}


def store_answer(proxy: dict[str, Any] = PROXY_DOC) -> dict[str, Any]:
    document = {
        **copy.deepcopy(DEFAULT_DOCUMENT),
        "salt": "0" * 32,
        "proxy": {**proxy, "password": {"set": False, "fingerprint": None}},
    }
    return {
        "changed": True,
        "path": "C:\\x",
        "created": False,
        "changed_keys": [],
        "view": {"document": document},
    }


def platform(answers: dict[str, Any] | None = None, state: dict[str, Any] | None = None, **task_vars: Any):
    action = FakeAction(answers, task_vars)
    adapter = WindowsPlatform(action, lambda value: value)
    adapter._state = state or {}
    return adapter, action


def rule(
    identity: str, sid: str | None, rights: str, kind: str = "allow", files=True, folders=True, raw=None
):
    return {
        "identity": identity,
        "id": sid,
        "rights": rights,
        "type": kind,
        "inherit_files": files,
        "inherit_folders": folders,
        "inherited": False,
        "raw": raw,
    }


ADMINS = rule("BUILTIN\\Administrators", "S-1-5-32-544", "full")
# Explicit rules win_acl cannot remove exactly, one per reason (PowerShell review).
EXOTIC_REVOKES = [
    # 1. generic rights (GENERIC_ALL; GENERIC_READ|GENERIC_EXECUTE): FileSystemAccessRule throws for them
    rule("CREATOR OWNER", "S-1-3-0", "other", raw="268435456; ContainerInherit, ObjectInherit; InheritOnly"),
    rule("CORP\\svc_ors", SID_SVC, "other", raw="-536805376; ObjectInherit; InheritOnly"),
    # 2. a propagation that is not one of win_acl's choices
    rule("f2", SID_F2, "other", raw="Modify, Synchronize; ContainerInherit; NoPropagateInherit, InheritOnly"),
    # 3. a deny rule with Synchronize (win_acl builds deny rules without it), an allow rule without it
    rule("f2", SID_F2, "other", kind="deny", raw="Write, Synchronize; ContainerInherit, ObjectInherit; None"),
    rule("f2", SID_F2, "modify", raw="Modify; ContainerInherit, ObjectInherit; None"),
]
EXISTS = {"accounts": {"CORP\\svc_ors": {"exists": True}, "svc_ors@corp.example.com": {"exists": True}}}


def ensure_account(account: str, update_password: str = "always") -> Change:
    args = {"account": account, "password": "Pw-1", "update_password": update_password}
    return Change("account.ensure", args, "r", ("password",))


def configure_service(account: str, create: bool = False) -> Change:
    args = {"name": "Print ORS Service", "account": account, "password": "Pw-1", "start_mode": "auto"}
    return Change("service.configure", {**args, "create": create}, "r", ("password",))


def write_settings(account: str | None, values: dict, secrets: dict, path: str | None = None) -> Change:
    args = {"path": path, "group": None, "account": account, "set": values, "secrets": secrets}
    return Change("settings.write", args, "r", ("secrets",))


# (id, change, reader state, module answers, expected module names or the PlatformError text)
CASES: list[tuple[str, Change, dict, dict, list[str] | str]] = [
    # account.ensure: local accounts through win_user, domain accounts must exist
    (
        "local account, update always",
        ensure_account(".\\svc_ors"),
        {},
        {},
        ["ansible.windows.win_user"],
    ),
    (
        "bare local account, update on_create",
        ensure_account("svc_ors", "on_create"),
        {},
        {},
        ["ansible.windows.win_user"],
    ),
    (
        "existing domain account",
        ensure_account("CORP\\svc_ors"),
        EXISTS,
        {},
        [],
    ),
    (
        "existing UPN account",
        ensure_account("svc_ors@corp.example.com"),
        EXISTS,
        {},
        [],
    ),
    (
        "missing domain account",
        ensure_account("CORP\\svc_new"),
        EXISTS,
        {},
        "is a domain account and this host does not find it",
    ),
    # account.grant_service_logon
    (
        "logon right, local",
        Change("account.grant_service_logon", {"account": ".\\svc_ors"}, "r"),
        {},
        {},
        ["ansible.windows.win_user_right"],
    ),
    (
        "logon right, domain",
        Change("account.grant_service_logon", {"account": "CORP\\svc_ors"}, "r"),
        {},
        {},
        ["ansible.windows.win_user_right"],
    ),
    # service.*
    (
        "service configure, local",
        configure_service(".\\svc_ors"),
        {},
        {},
        ["ansible.windows.win_service"],
    ),
    (
        "service configure, domain",
        configure_service("CORP\\svc_ors"),
        {},
        {},
        ["ansible.windows.win_service"],
    ),
    (
        "service configure, not installed",
        configure_service(".\\svc_ors", create=True),
        {},
        {},
        "is installed with PRISMAdirect",
    ),
    (
        "service start",
        Change("service.start", {"name": "Print ORS Service"}, "r"),
        {},
        {},
        ["ansible.windows.win_service"],
    ),
    (
        "service restart",
        Change("service.restart", {"name": "Print ORS Service"}, "r"),
        {},
        {},
        ["ansible.windows.win_service"],
    ),
    # settings.write
    (
        "settings, general only",
        write_settings(
            ".\\svc_ors",
            {"general.enabled": True},
            {"general.verification_code": "code"},
            path="C:\\ProgramData\\PRISMAdirect\\remote-service.json",
        ),
        {},
        {"printops.prismadirect.win_settings_store": store_answer()},
        ["printops.prismadirect.win_settings_store"],
    ),
    (
        "settings, store path default, no service account",
        write_settings(None, {"proxy.mode": "none"}, {}),
        {},
        {
            "printops.prismadirect.win_settings_store": store_answer(
                {**PROXY_DOC, "mode": "none", "url": None}
            )
        },
        ["printops.prismadirect.win_settings_store"],
    ),
    (
        "settings, manual proxy",
        write_settings(
            "CORP\\svc_ors",
            {"proxy.mode": "manual", "proxy.url": "proxy.example.com:8080"},
            {"proxy.password": None},
        ),
        {},
        {"printops.prismadirect.win_settings_store": store_answer()},
        ["printops.prismadirect.win_settings_store", "ansible.windows.win_inet_proxy"],
    ),
    (
        "settings, proxy cleared",
        write_settings(
            ".\\svc_ors",
            {"proxy.mode": "none", "proxy.url": None, "proxy.username": None},
            {"proxy.password": None},
        ),
        {},
        {
            "printops.prismadirect.win_settings_store": store_answer(
                {**PROXY_DOC, "mode": "none", "url": None}
            )
        },
        ["printops.prismadirect.win_settings_store", "ansible.windows.win_inet_proxy"],
    ),
    (
        "settings, proxy auto detect, service as LocalSystem",
        write_settings("LocalSystem", {"proxy.mode": "auto_detect"}, {}),
        {},
        {
            "printops.prismadirect.win_settings_store": store_answer(
                {**PROXY_DOC, "mode": "auto_detect", "url": None}
            )
        },
        ["printops.prismadirect.win_settings_store", "ansible.windows.win_inet_proxy"],
    ),
    (
        "settings, proxy password only",
        write_settings(".\\svc_ors", {}, {"proxy.password": "pp"}),
        {},
        {"printops.prismadirect.win_settings_store": store_answer()},
        ["printops.prismadirect.win_settings_store", "ansible.windows.win_inet_proxy"],
    ),
    # acl.ensure
    (
        "acl, new folder",
        Change(
            "acl.ensure",
            {
                "path": "C:\\licenses",
                "create": True,
                "grant": [rule(".\\svc_ors", SID_SVC, "modify"), ADMINS],
                "revoke": [],
                "rules": [],
            },
            "r",
        ),
        {},
        {},
        ["ansible.windows.win_file", "ansible.windows.win_acl", "ansible.windows.win_acl"],
    ),
    (
        "acl, revokes exactly as read, then a grant",
        Change(
            "acl.ensure",
            {
                "path": "D:\\FlexNet\\licenses",
                "create": False,
                "grant": [rule("CORP\\svc_ors", SID_SVC, "modify")],
                "revoke": [
                    rule(
                        "CORP\\svc_ors",
                        SID_SVC,
                        "read",
                        raw="ReadAndExecute, Synchronize; ContainerInherit, ObjectInherit; None",
                    ),
                    rule("CORP\\svc_ors", SID_SVC, "other", raw="-536805376; ObjectInherit; InheritOnly"),
                    rule("CORP\\f2", SID_F2, "modify", kind="deny", files=False, folders=False),
                    rule("Jeder", "S-1-1-0", "read", files=False, folders=True),
                    rule("Authentifizierte Benutzer", "S-1-5-11", "full", files=True, folders=False),
                ],
                "rules": [],
            },
            "r",
        ),
        {},
        {},
        ["ansible.windows.win_file", "ansible.windows.win_acl", "ansible.windows.win_powershell"]
        + ["ansible.windows.win_acl"] * 4,
    ),
    (
        "acl, revokes win_acl cannot build",
        Change(
            "acl.ensure",
            {
                "path": "C:\\licenses",
                "create": False,
                "grant": [],
                "revoke": EXOTIC_REVOKES,
                "rules": [],
            },
            "r",
        ),
        {},
        {},
        ["ansible.windows.win_file"] + ["ansible.windows.win_powershell"] * len(EXOTIC_REVOKES),
    ),
    (
        "acl, an exotic revoke without a SID",
        Change(
            "acl.ensure",
            {
                "path": "C:\\licenses",
                "create": False,
                "grant": [],
                "revoke": [rule("CORP\\old", None, "other", raw="268435456; ContainerInherit; InheritOnly")],
                "rules": [],
            },
            "r",
        ),
        {},
        {},
        "cannot be removed exactly",
    ),
    (
        "acl, a grant of other rights",
        Change(
            "acl.ensure",
            {
                "path": "C:\\licenses",
                "create": False,
                "grant": [rule(".\\svc_ors", SID_SVC, "other")],
                "revoke": [],
                "rules": [],
            },
            "r",
        ),
        {},
        {},
        "cannot name for win_acl",
    ),
    # share.ensure
    (
        "share, new",
        Change(
            "share.ensure",
            {
                "name": "licenses",
                "path": "C:\\licenses",
                "description": "FlexNet licenses",
                "create": True,
                "access": [
                    rule(".\\svc_ors", SID_SVC, "modify", files=False, folders=False),
                    rule("BUILTIN\\Administrators", "S-1-5-32-544", "full", files=False, folders=False),
                ],
                "passwords": {},
            },
            "r",
            ("passwords",),
        ),
        {},
        {},
        ["ansible.windows.win_share"],
    ),
    (
        "share, kept read and deny entries, no description",
        Change(
            "share.ensure",
            {
                "name": "licenses$",
                "path": "C:\\licenses",
                "description": None,
                "create": False,
                "access": [
                    rule("CORP\\svc_ors", SID_SVC, "modify"),
                    rule("CORP\\audit", None, "read"),
                    rule("CORP\\f2", SID_F2, "full", kind="deny"),
                    ADMINS,
                ],
                "passwords": {},
            },
            "r",
            ("passwords",),
        ),
        {},
        {},
        ["ansible.windows.win_share"],
    ),
    (
        "share, custom rights",
        Change(
            "share.ensure",
            {
                "name": "licenses",
                "path": "C:\\licenses",
                "description": None,
                "create": False,
                "access": [
                    rule("CORP\\svc_ors", SID_SVC, "modify"),
                    rule("CORP\\x", None, "other", raw="Custom"),
                ],
                "passwords": {},
            },
            "r",
            ("passwords",),
        ),
        {},
        {},
        "custom rights win_share cannot keep",
    ),
    # license.write
    (
        "license, new file",
        Change(
            "license.write",
            {
                "dest": "C:\\licenses",
                "filename": "PDS-100001.lic",
                "content": "LICENSE\n",
                "sha256": SHA_NEW,
                "replaces_sha256": None,
                "backup": {"keep": 3, "file": None, "delete": []},
            },
            "r",
        ),
        {},
        {"ansible.windows.win_stat": stat_answer(None)},
        [
            "ansible.windows.win_file",
            "ansible.windows.win_stat",
            "_transfer_data",
            "ansible.windows.win_copy",
            "ansible.windows.win_powershell",
        ],
    ),
    (
        "license, replaced with a backup, old backups deleted",
        Change(
            "license.write",
            {
                "dest": "\\\\fls1\\licenses",
                "filename": "PDS-100001.lic",
                "content": "LICENSE\n",
                "sha256": SHA_NEW,
                "replaces_sha256": SHA_OLD,
                "backup": {
                    "keep": 1,
                    "file": "PDS-100001.lic.20261129T101500Z.bak",
                    "delete": ["PDS-100001.lic.20261001T000000Z.bak", "PDS-100001.lic.20261101T000000Z.bak"],
                },
            },
            "r",
        ),
        {},
        {"ansible.windows.win_stat": stat_answer(SHA_OLD.upper())},
        [
            "ansible.windows.win_file",
            "ansible.windows.win_stat",
            "_transfer_data",
            "ansible.windows.win_copy",
            "ansible.windows.win_powershell",
            "ansible.windows.win_file",
            "ansible.windows.win_file",
        ],
    ),
    (
        "license, changed since read",
        Change(
            "license.write",
            {
                "dest": "C:\\licenses",
                "filename": "PDS-100001.lic",
                "content": "LICENSE\n",
                "sha256": SHA_NEW,
                "replaces_sha256": SHA_OLD,
                "backup": {"keep": 3, "file": None, "delete": []},
            },
            "r",
        ),
        {},
        {"ansible.windows.win_stat": stat_answer("c" * 64)},
        "changed (sha256 aaaaaaaaaaaa... when read",
    ),
    # license.reread
    (
        "reread, lmreread",
        Change(
            "license.reread",
            {
                "method": "lmreread",
                "lmutil_path": "C:\\Program Files\\Flexera\\lmutil.exe",
                "service": None,
                "license_path": "C:\\licenses",
            },
            "r",
        ),
        {},
        {},
        ["ansible.windows.win_command"],
    ),
    (
        "reread, restart",
        Change(
            "license.reread",
            {
                "method": "restart",
                "lmutil_path": None,
                "service": "FlexNet License Server - printops",
                "license_path": "C:\\licenses",
            },
            "r",
        ),
        {},
        {},
        ["ansible.windows.win_service"],
    ),
]


def spec_of(module: str) -> dict[str, Any]:
    return ps_argspec.windows_module(module)


def assert_valid(calls: list[dict[str, Any]]) -> None:
    for call in calls:
        if call["module"] == "_transfer_data":
            continue
        problems = ps_argspec.validate(spec_of(call["module"]), call["args"])
        assert problems == [], f"{call['module']} {call['args']}: {problems}"


@pytest.mark.parametrize(
    ("change", "state", "answers", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_every_call_fits_the_real_argument_spec(change, state, answers, expected):
    adapter, action = platform(answers, state)
    if isinstance(expected, str):
        with pytest.raises(PlatformError, match=expected.replace("(", r"\(").replace(".", r"\.")):
            adapter.apply(change)
    else:
        adapter.apply(change)
        assert [c["module"] for c in action.calls] == expected
    assert_valid(action.calls)
    for call in action.calls:  # a secret reaches a module only with no_log
        text = repr(call["args"])
        for name in change.secret_args:
            for secret in _secrets(change.args[name]):
                assert secret not in text or call["args"].get("_ansible_no_log") is True, call


def _secrets(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [v for v in value.values() if isinstance(v, str) and v]
    return [value] if isinstance(value, str) and value else []


def test_the_account_and_service_arguments():
    adapter, action = platform()
    adapter.apply(CASES[0][1])
    adapter.apply(CASES[7][1])
    adapter.apply(CASES[5][1])
    user, service, right = (c["args"] for c in action.calls)
    assert user == {
        "name": "svc_ors",
        "password": "Pw-1",
        "update_password": "always",
        "password_never_expires": True,
        "user_cannot_change_password": True,
        "state": "present",
        "_ansible_no_log": True,
    }
    assert service == {
        "name": "Print ORS Service",
        "username": ".\\svc_ors",
        "password": "Pw-1",
        "update_password": "always",
        "start_mode": "auto",
        "_ansible_no_log": True,
    }
    assert right == {"name": "SeServiceLogonRight", "users": [".\\svc_ors"], "action": "add"}


@pytest.mark.parametrize(
    ("case", "user", "proxy"),
    [
        (
            "settings, manual proxy",
            "CORP\\svc_ors",
            {"auto_detect": False, "proxy": "proxy.example.com:8080"},
        ),
        ("settings, proxy cleared", "svc_ors", {"auto_detect": False}),
        ("settings, proxy auto detect, service as LocalSystem", "SYSTEM", {"auto_detect": True}),
    ],
)
def test_the_proxy_is_set_as_the_ors_account_without_a_password(case, user, proxy):
    change, state, answers, _ = next(c[1:] for c in CASES if c[0] == case)
    adapter, action = platform(answers, state)
    adapter.apply(change)
    store, inet = action.calls
    assert store["args"]["_ansible_no_log"] is True and store["become_user"] is None
    assert store["args"]["account"] == change.args["account"]
    assert (inet["args"], inet["become_user"], inet["become_pass"]) == (proxy, user, None)
    assert action._connection.become is None  # the connection's own become is back


def test_acl_arguments_name_rules_by_sid_and_revoke_them_exactly_as_read():
    change = next(c[1] for c in CASES if c[0] == "acl, revokes exactly as read, then a grant")
    adapter, action = platform()
    adapter.apply(change)
    acls = [c["args"] for c in action.calls[1:]]
    base = {"path": "D:\\FlexNet\\licenses"}
    assert acls == [
        {
            **base,
            "user": SID_SVC,
            "rights": "ReadAndExecute, Synchronize",
            "type": "allow",
            "state": "absent",
            "inherit": "ContainerInherit, ObjectInherit",
            "propagation": "None",
        },
        {
            "script": REMOVE_RULE_SCRIPT,
            "parameters": {
                "Path": "D:\\FlexNet\\licenses",
                "Sid": SID_SVC,
                "Mask": -536805376,
                "Type": "Allow",
                "Inheritance": "ObjectInherit",
                "Propagation": "InheritOnly",
            },
        },
        {
            **base,
            "user": SID_F2,
            "rights": "Modify",
            "type": "deny",
            "state": "absent",
            "inherit": "None",
            "propagation": "None",
        },
        {
            **base,
            "user": "S-1-1-0",
            "rights": "ReadAndExecute",
            "type": "allow",
            "state": "absent",
            "inherit": "ContainerInherit",
            "propagation": "None",
        },
        {
            **base,
            "user": "S-1-5-11",
            "rights": "FullControl",
            "type": "allow",
            "state": "absent",
            "inherit": "ObjectInherit",
            "propagation": "None",
        },
        {
            **base,
            "user": SID_SVC,
            "rights": "Modify",
            "type": "allow",
            "state": "present",
            "inherit": "ContainerInherit, ObjectInherit",
            "propagation": "None",
        },
    ]


# What win_acl builds of its arguments, as .NET's FileSystemAccessRule(identity, rights, inheritance,
# propagation, type) does (AccessMaskFromRights): it throws for rights outside 0..FullControl (generic
# rights), adds Synchronize to allow rules and drops it from deny rules but (almost) full control.
FULL_CONTROL, SYNCHRONIZE, DELETE_CHILD = 0x1F01FF, 0x100000, 0x40


def win_acl_builds(args: dict[str, Any]) -> tuple[int, frozenset[str], frozenset[str]]:
    mask = rights_mask(args["rights"])
    if mask is None or not 0 <= mask <= FULL_CONTROL:
        raise ValueError(f"FileSystemAccessRule throws for rights {args['rights']!r}")
    if args["type"] == "allow":
        mask |= SYNCHRONIZE
    elif mask not in (FULL_CONTROL, FULL_CONTROL & ~DELETE_CHILD):
        mask &= ~SYNCHRONIZE
    return mask, flags(args["inherit"]), flags(args["propagation"])


def flags(text: str) -> frozenset[str]:
    return frozenset(part.strip() for part in text.split(",")) - {"None"}


def as_read(entry: dict[str, Any]) -> tuple[int, frozenset[str], frozenset[str]]:
    rights, inherit, propagation = (part.strip() for part in entry["raw"].split(";"))
    return rights_mask(rights), flags(inherit), flags(propagation)


SCRIPT_PARAMETERS = re.findall(r"\]\$(\w+)", REMOVE_RULE_SCRIPT.split(")\n", 1)[0])


@pytest.mark.parametrize(
    "case", ["acl, revokes exactly as read, then a grant", "acl, revokes win_acl cannot build"]
)
def test_each_revoke_removes_exactly_the_rule_as_read(case):
    change = next(c[1] for c in CASES if c[0] == case)
    adapter, action = platform()
    adapter.apply(change)
    revokes = [r for r in change.args["revoke"] if r["raw"]]
    calls = [c for c in action.calls[1:] if c["args"].get("state") != "present"]
    for entry, call in zip(revokes, calls[: len(revokes)], strict=True):
        args = call["args"]
        if call["module"] == "ansible.windows.win_acl":
            assert ps_argspec.validate(spec_of("ansible.windows.win_acl"), args) == []
            assert (args["user"], win_acl_builds(args)) == (entry["id"], as_read(entry)), entry
            continue
        assert call["module"] == "ansible.windows.win_powershell"
        assert args["script"] is REMOVE_RULE_SCRIPT  # one fixed script: values only as parameters
        parameters = args["parameters"]
        assert list(parameters) == SCRIPT_PARAMETERS
        mask, inherit, propagation = as_read(entry)
        assert (parameters["Sid"], parameters["Type"].lower()) == (entry["id"], entry["type"])
        assert (parameters["Mask"], flags(parameters["Inheritance"]), flags(parameters["Propagation"])) == (
            mask,
            inherit,
            propagation,
        )


@pytest.mark.parametrize("entry", EXOTIC_REVOKES, ids=lambda e: e["raw"])
def test_win_acl_cannot_remove_the_exotic_rules(entry):
    """Why they go to win_powershell: win_acl would refuse, throw, or remove nothing."""
    args = acl_args("C:\\licenses", AccessRule.from_state(entry), "absent")
    problems = ps_argspec.validate(spec_of("ansible.windows.win_acl"), args)
    try:
        built = win_acl_builds(args)
    except ValueError as exc:
        problems.append(str(exc))
    else:
        if built != as_read(entry):
            problems.append(f"win_acl removes {built}, the rule is {as_read(entry)}")
    assert problems, args


def test_rights_masks_are_read_back_as_the_reader_prints_them():
    for mask in (FULL_CONTROL, 0x1301BF, 0x301BF, 0x120116, 0x10000000, -536805376, -1610612736, 0x200):
        assert rights_mask(rights_names(mask)) == mask, rights_names(mask)
    assert rights_mask("Modify, Frobnicate") is None and rights_mask("4294967296") is None


def test_the_remove_script_changes_only_what_it_found_and_honours_check_mode():
    script = REMOVE_RULE_SCRIPT
    assert script.startswith("[CmdletBinding(SupportsShouldProcess)]")  # win_powershell runs it in check mode
    assert "GetAccessRules($true, $false," in script  # explicit rules only: inherited ones are never removed
    assert "$acl.RemoveAccessRuleSpecific($rule)" in script
    assert "if ($removed.Count -gt 0 -and -not $Ansible.CheckMode) {" in script
    assert "$Ansible.Changed = $removed.Count -gt 0" in script


def test_share_arguments_give_the_complete_access_list():
    change = next(c[1] for c in CASES if c[0] == "share, kept read and deny entries, no description")
    adapter, action = platform()
    adapter.apply(change)
    assert action.calls[0]["args"] == {
        "name": "licenses$",
        "path": "C:\\licenses",
        "description": "",
        "list": False,
        "rule_action": "set",
        "state": "present",
        "full": "S-1-5-32-544",
        "change": SID_SVC,
        "read": "CORP\\audit",
        "deny": SID_F2,
    }


def test_license_write_copies_beside_the_license_then_replaces_it_with_the_backup():
    change = next(c[1] for c in CASES if c[0] == "license, replaced with a backup, old backups deleted")
    adapter, action = platform({"ansible.windows.win_stat": stat_answer(SHA_OLD)})
    assert adapter.apply(change) is True
    folder, stat, sent, copy_, replace, *deleted = (c["args"] for c in action.calls)
    assert folder == {"path": "\\\\fls1\\licenses", "state": "directory"}
    assert stat == {
        "path": "\\\\fls1\\licenses\\PDS-100001.lic",
        "get_checksum": True,
        "checksum_algorithm": "sha256",
    }
    temp = f"PDS-100001.lic.{SHA_NEW[:12]}.tmp"
    assert sent == {
        "path": f"C:\\Users\\admin\\AppData\\Local\\Temp\\ansible-tmp-1\\{temp}",
        "data": "LICENSE\n",
    }
    assert copy_ == {
        "src": sent["path"],
        "dest": f"\\\\fls1\\licenses\\{temp}",
        "_original_basename": temp,
        "_copy_mode": "single",
    }
    assert replace["parameters"] == {
        "Temp": f"\\\\fls1\\licenses\\{temp}",
        "Target": "\\\\fls1\\licenses\\PDS-100001.lic",
        "Backup": "\\\\fls1\\licenses\\PDS-100001.lic.20261129T101500Z.bak",
        "Sha256": SHA_NEW,
        "Replaces": SHA_OLD,
    }
    assert "[System.IO.File]::Replace($Temp, $Target, $keep)" in replace["script"]
    assert [d["state"] for d in deleted] == ["absent", "absent"]


def test_reread_arguments():
    adapter, action = platform()
    adapter.apply(next(c[1] for c in CASES if c[0] == "reread, lmreread"))
    adapter.apply(next(c[1] for c in CASES if c[0] == "reread, restart"))
    assert action.calls[0]["args"] == {
        "argv": ["C:\\Program Files\\Flexera\\lmutil.exe", "lmreread", "-c", "C:\\licenses"]
    }
    assert action.calls[1]["args"] == {"name": "FlexNet License Server - printops", "state": "restarted"}


# ---------------------------------------------------------------------------------------------------
# The reader call and the connection test


READ_CASES = [
    (
        "ors_account",
        ["service", "accounts"],
        {"service": "Print ORS Service", "accounts": [(".\\svc_ors", "Pw-1")]},
    ),
    (
        "remote_service",
        ["service", "accounts", "settings", "licenses"],
        {"service": "Print ORS Service", "license_path": "\\\\fls1\\licenses"},
    ),
    (
        "remote_assistance",
        ["service", "accounts", "settings", "teamviewer"],
        {"service": "Print ORS Service"},
    ),
    (
        "license_share",
        ["accounts", "folder", "share"],
        {
            "accounts": [("CORP\\svc_ors", None), ("svc_f2@corp.example.com", "Pw")],
            "folder": "C:\\licenses",
            "share": "licenses",
        },
    ),
    (
        "floating_license",
        ["licenses", "license_backups", "mac_addresses", "license_server"],
        {"folder": "C:\\licenses", "lmutil_path": None, "license_service": None},
    ),
    (
        "floating_license, given server",
        ["licenses", "license_server"],
        {"folder": "C:\\licenses", "lmutil_path": "D:\\lmutil.exe", "license_service": "FlexNet"},
    ),
]


@pytest.mark.parametrize(("sections", "kwargs"), [c[1:] for c in READ_CASES], ids=[c[0] for c in READ_CASES])
def test_the_reader_call_fits_host_state_ps1(sections, kwargs):
    kwargs = dict(kwargs)
    kwargs["accounts"] = [(parse_account(name), pw) for name, pw in kwargs.get("accounts", [])]
    raw = {"platform": "windows", "changed": False, "warnings": []}
    adapter, action = platform({"printops.prismadirect.win_host_state": raw})
    adapter.read(sections, **kwargs)
    (call,) = action.calls
    assert call["module"] == "printops.prismadirect.win_host_state"
    assert ps_argspec.validate(spec_of(call["module"]), call["args"]) == []
    assert "Pw" not in repr(call["args"])  # Windows cannot compare passwords: none is sent
    if "license_server" in sections:
        assert call["args"]["lmutil_path"] == (
            kwargs["lmutil_path"] or "C:\\Program Files\\Flexera\\lmutil.exe"
        )


@pytest.mark.parametrize(("password", "ca_path"), [("Pw-1", None), (None, None), (None, "C:\\ca.pem")])
def test_the_probe_fits_win_uri_and_runs_as_the_account(password, ca_path):
    answer = {"changed": False, "status_code": 200, "elapsed": 0.123, "url": "https://bo/v1/ping"}
    adapter, action = platform(
        {
            "ansible.windows.win_uri": answer,
            "printops.prismadirect.win_host_state": {"platform": "windows", "warnings": []},
        }
    )
    if password:
        adapter.read(["service", "accounts"], accounts=[(parse_account(".\\svc_ors"), password)])
        action.calls.clear()
    result = adapter.probe(".\\svc_ors", "https://backoffice.example.com/rs", ca_path)
    assert result == {"ok": True, "status": 200, "elapsed_ms": 123, "error": None}
    (call,) = action.calls
    assert ps_argspec.validate(spec_of("ansible.windows.win_uri"), call["args"]) == []
    assert call["args"]["url"] == "https://backoffice.example.com/rs/v1/ping"
    assert (call["become_user"], call["become_pass"]) == ("svc_ors", password)
    assert bool(action._warnings) is bool(ca_path)
    assert not ca_path or "Trusted Root Certification Authorities" in action._warnings[0]


def test_a_failed_probe_says_why():
    answer = {
        "failed": True,
        "status_code": 407,
        "elapsed": 0.2,
        "msg": "Status code of request '407' is not in list",
    }
    adapter, _ = platform({"ansible.windows.win_uri": answer})
    result = adapter.probe("CORP\\svc_ors", "https://bo.example.com", None)
    assert result == {
        "ok": False,
        "status": 407,
        "elapsed_ms": 200,
        "error": "the back office answered HTTP 407",
    }
    answer = {
        "failed": True,
        "msg": "Unhandled exception occurred when sending web request. Exception: The remote name could not "
        "be resolved",
    }
    adapter, _ = platform({"ansible.windows.win_uri": answer})
    result = adapter.probe("CORP\\svc_ors", "https://bo.example.com", None)
    assert result["ok"] is False and "could not be resolved" in result["error"] and result["status"] is None


# ---------------------------------------------------------------------------------------------------
# The validator catches what it must (so that the tests above can fail)


@pytest.mark.parametrize(
    ("module", "args", "problem"),
    [
        (
            "ansible.windows.win_acl",
            {"path": "C:\\x", "user": "S-1-1-0", "rights": "Modify", "type": "allow", "inheritance": "None"},
            "inheritance: not an option",
        ),
        (
            "ansible.windows.win_user_right",
            {"name": "SeServiceLogonRight", "users": ["x"], "action": "replace"},
            "'replace' is not one of",
        ),
        (
            "ansible.windows.win_acl",
            {"path": "C:\\x", "user": "u", "rights": "Modify", "type": "permit"},
            "'permit' is not one of",
        ),
        (
            "ansible.windows.win_service",
            {"name": "s", "start_mode": "automatic"},
            "'automatic' is not one of",
        ),
        ("ansible.windows.win_share", {"name": "s", "path": "C:\\x", "read": ["a", "b"]}, "read: list"),
        ("ansible.windows.win_user", {"password": "x"}, "name: required"),
        ("ansible.windows.win_command", {"argv": ["a"], "cmd": "a"}, "mutually exclusive"),
        ("ansible.windows.win_powershell", {"script": "x", "parameters": "Path=C:\\x"}, "parameters: str"),
        ("ansible.windows.win_powershell", {"parameters": {}}, "one of path, script is required"),
        ("ansible.windows.win_command", {"chdir": "C:\\"}, "one of _raw_params, argv, cmd is required"),
        ("ansible.windows.win_service", {"name": "s", "password": "x"}, "username: required by password"),
        ("ansible.windows.win_uri", {"url": "https://x", "status_code": ["200"]}, "status_code[0]"),
        ("ansible.windows.win_uri", {"url": "https://x", "timeout": "10"}, "url_timeout: str"),
        ("ansible.windows.win_file", {"dest": "C:\\x", "state": "folder"}, "'folder' is not one of"),
        ("printops.prismadirect.win_settings_store", {"path": "C:\\x", "group": "g"}, "group: not an option"),
        (
            "printops.prismadirect.win_host_state",
            {"sections": ["service", "printers"]},
            "'printers' is not one of",
        ),
        (
            "printops.prismadirect.win_host_state",
            {"sections": ["service"], "accounts": [{"nom": "x"}]},
            "accounts[0].nom: not an option",
        ),
    ],
)
def test_the_validator_catches_a_wrong_option_name_value_or_combination(module, args, problem):
    problems = ps_argspec.validate(spec_of(module), args)
    assert any(problem in p for p in problems), problems


def test_aliases_are_options():
    assert (
        ps_argspec.validate(
            spec_of("ansible.windows.win_uri"), {"url": "https://x", "method": "GET", "timeout": 5}
        )
        == []
    )
    assert (
        ps_argspec.validate(spec_of("ansible.windows.win_file"), {"dest": "C:\\x", "state": "absent"}) == []
    )


def test_the_parser_reads_powershell_literals():
    parse = ps_argspec.parse_literal
    assert parse("@( , @('value', 'username')\n , @('value', 'password') )") == [
        ["value", "username"],
        ["value", "password"],
    ]
    assert parse("@{ a = 'x', 'y'; b = , 'z'\n c = @(200); d = $true; e = \"q`\"\"; f = 'it''s' }") == {
        "a": ["x", "y"],
        "b": ["z"],
        "c": [200],
        "d": True,
        "e": 'q"',
        "f": "it's",
    }
    assert (
        spec_of("ansible.windows.win_service")["options"]["failure_reset_period_sec"]["type"] == "int"
    )  # $uint32Type


# ---------------------------------------------------------------------------------------------------
# win_settings_store.ps1 keeps to the settings model


def test_the_windows_store_knows_the_same_keys_kinds_and_defaults_as_the_model():
    text = (ps_argspec.COLLECTION / "modules" / "win_settings_store.ps1").read_text()

    def literal(variable: str) -> Any:
        start = text.index(f"${variable} = ")
        return ps_argspec.parse_literal(text[start + len(variable) + 4 :].split("\n\n")[0])

    kinds = {k: tuple(v) if isinstance(v, list) else v for k, v in literal("kinds").items()}
    assert kinds == dict(SETTING_KINDS)
    assert tuple(literal("secretKeys")) == SECRET_KEYS
    defaults = {k: v for k, v in DEFAULT_DOCUMENT.items() if isinstance(v, dict)}
    assert literal("defaults") == defaults
