"""Tables of cases for the planners (plugins/module_utils/planning*.py): desired + host state -> Plan."""

from __future__ import annotations

import copy
import json
from datetime import UTC, date, datetime

import pytest
from ansible_collections.printops.prismadirect.plugins.module_utils import planning
from ansible_collections.printops.prismadirect.plugins.module_utils.planning import (
    Change,
    Plan,
    ValidationError,
    info_from_state,
    light,
    ors_account_desired,
    plan_ors_account,
    plan_remote_assistance,
    plan_remote_service,
    plan_remote_service_proxy,
    remote_assistance_desired,
    remote_service_desired,
    remote_service_proxy_desired,
)
from ansible_collections.printops.prismadirect.plugins.module_utils.settings import (
    fingerprint,
    new_document,
    view_of,
)

NOW = datetime(2026, 11, 29, 13, 0, tzinfo=UTC)
SALT = "5a" * 16
PASSWORD = "0rs-Pa55word!"
CODE = "V3rif-Code-0001"
PROXY_PASSWORD = "Pr0xy-Pa55!"
SECRETS = (PASSWORD, CODE, PROXY_PASSWORD, fingerprint(SALT, CODE), fingerprint(SALT, PROXY_PASSWORD))


def license_text(serial="PDS-100001", expiry="31-dec-2029", maintenance="2029-12-31", users="25") -> str:
    return (
        "SERVER this_host 025044000001 27000\n"
        "VENDOR prismad PORT=27010\n"
        f"FEATURE PRISMAdirect prismad 2025.1 {expiry} 1 SN={serial} ISSUED=01-dec-2025 \\\n"
        f'    VENDOR_STRING="MAINTENANCE={maintenance}" SIGN="0000 1111"\n'
        f"FEATURE PD_USERS prismad 2025.1 {expiry} {users} SN={serial} ISSUED=01-dec-2025 \\\n"
        f'    VENDOR_STRING="MAINTENANCE={maintenance}" SIGN="0000 1111"\n'
    )


def settings_view(**flat) -> dict:
    doc = new_document(SALT)
    for key, value in flat.items():
        section, name = key.split("__")
        doc[section][name] = value
    return view_of(doc)


READY = {
    "general__enabled": True,
    "general__organization_id": "ORG-1",
    "general__verification_code": CODE,
    "general__license_path": "/licenses",
    "proxy__mode": "manual",
    "proxy__url": "proxy.example.com:8080",
}


SETTINGS_PATH = "/srv/printops-lab/hosts/prisma1/ProgramData/PRISMAdirect/remote-service.json"


def store_section(view: dict | None, error: str | None = None) -> dict:
    """The reader's ``settings`` section around a view (``None``: no document on the host)."""
    return {
        "path": SETTINGS_PATH,
        "exists": view is not None,
        "owner": "root" if view is not None else None,
        "group": "svc_ors" if view is not None else None,
        "mode": "0640" if view is not None else None,
        "document": view,
        "error": error,
    }


def host_state(
    *,
    service: dict | None = None,
    account: dict | None = None,
    settings: dict | None = None,
    licenses: list | None = None,
) -> dict:
    """A converged lab host (ORS account svc_ors, service running as it), with overrides.

    ``settings`` is a view; ``{}`` stands for a host without a settings document.
    """
    view = settings if settings is not None else settings_view(**READY)
    return {
        "platform": "lab",
        "service": {
            "name": "Print ORS Service",
            "exists": True,
            "account": "svc_ors",
            "start_mode": "auto",
            "state": "running",
            **(service or {}),
        },
        "accounts": {
            "svc_ors": {
                "exists": True,
                "id": "uid:1001",
                "group": "svc_ors",
                "groups": ["printops-lab-logon", "svc_ors"],
                "service_logon": True,
                "password_matches": True,
                **(account or {}),
            }
        },
        "settings": store_section(view or None),
        "licenses": licenses
        if licenses is not None
        else [{"name": "PDS-100001.lic", "text": license_text()}],
        "mac_addresses": ["025044000001"],
        "teamviewer": {"present": True},
    }


def verbs(plan: Plan) -> list[str]:
    return [c.verb + ("?" if c.requires_change else "") for c in plan.changes]


def assert_no_secret(plan: Plan) -> None:
    shown = json.dumps(plan.diff) + json.dumps(plan.result) + repr(plan) + " ".join(plan.warnings)
    shown += json.dumps([c.public_args() for c in plan.changes]) + " ".join(c.reason for c in plan.changes)
    for secret in SECRETS:
        assert secret not in shown


# ---------------------------------------------------------------------------------------------------
# Change and Plan
# ---------------------------------------------------------------------------------------------------


def test_change_hides_secret_args():
    change = Change(
        "account.ensure", {"account": ".\\svc", "password": PASSWORD}, "new", secret_args=("password",)
    )
    assert PASSWORD not in repr(change)
    assert change.public_args() == {"account": ".\\svc", "password": "(secret)"}
    assert change.args["password"] == PASSWORD  # the adapter still gets it


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"verb": "account.delete"}, "unknown change verb"),
        ({"secret_args": ("nope",)}, "not args"),
        ({"requires_change": "reboot"}, "unknown change verb"),
    ],
)
def test_change_refuses_bad_definitions(kwargs, message):
    base = {"verb": "service.start", "args": {"name": "x"}, "reason": "r"}
    with pytest.raises(ValueError, match=message):
        Change(**{**base, **kwargs})


def test_plan_changed():
    assert Plan().changed is False
    assert Plan(changes=(Change("service.start", {"name": "x"}, "stopped"),)).changed is True


# ---------------------------------------------------------------------------------------------------
# ors_account
# ---------------------------------------------------------------------------------------------------

ORS_CASES = [
    # id, task args (besides password), host-state overrides, expected verbs
    ("existing and correct", {"account": ".\\svc_ors"}, {}, []),
    ("domain form of the lab user", {"account": "CORP\\svc_ors"}, {}, []),
    ("upper case", {"account": ".\\SVC_ORS"}, {}, []),
    (
        "new account",
        {"account": ".\\svc_new"},
        {},
        ["account.ensure", "account.grant_service_logon", "service.configure", "service.restart"],
    ),
    (
        "on_create, password differs: no change",
        {"account": ".\\svc_ors", "update_password": "on_create"},
        {"account": {"password_matches": False}},
        [],
    ),
    (
        "on_create, unknown password: no change",
        {"account": ".\\svc_ors", "update_password": "on_create"},
        {"account": {"password_matches": None}},
        [],
    ),
    (
        "always, password differs",
        {"account": ".\\svc_ors", "update_password": "always"},
        {"account": {"password_matches": False}},
        ["account.ensure", "service.configure", "service.restart"],
    ),
    (
        "always, password differs, service stopped",
        {"account": ".\\svc_ors"},
        {"account": {"password_matches": False}, "service": {"state": "stopped"}},
        ["account.ensure", "service.configure", "service.start"],
    ),
    (
        "always, password cannot be compared (Windows)",
        {"account": ".\\svc_ors"},
        {"account": {"password_matches": None}},
        ["account.ensure", "service.configure?", "service.restart?"],
    ),
    (
        "service runs as another account",
        {"account": ".\\svc_ors"},
        {"service": {"account": "LocalSystem"}},
        ["service.configure", "service.restart"],
    ),
    (
        "service runs as another account and is stopped",
        {"account": ".\\svc_ors"},
        {"service": {"account": "other", "state": "stopped"}},
        ["service.configure", "service.start"],
    ),
    ("service stopped", {"account": ".\\svc_ors"}, {"service": {"state": "stopped"}}, ["service.start"]),
    (
        "service start mode manual",
        {"account": ".\\svc_ors"},
        {"service": {"start_mode": "manual"}},
        ["service.configure"],
    ),
    (
        "service disabled and stopped",
        {"account": ".\\svc_ors"},
        {"service": {"start_mode": "disabled", "state": "stopped"}},
        ["service.configure", "service.start"],
    ),
    (
        "service not set up (lab program missing)",
        {"account": ".\\svc_ors"},
        {"service": {"exists": False, "account": None, "state": None, "start_mode": None}},
        ["service.configure", "service.start"],
    ),
    (
        "may not log on as a service",
        {"account": ".\\svc_ors"},
        {"account": {"service_logon": False}},
        ["account.grant_service_logon"],
    ),
    (
        "same name, different account id",
        {"account": ".\\svc_ors"},
        {"service": {"account_id": "uid:2002"}},
        ["service.configure", "service.restart"],
    ),
    (
        "same account id, other spelling",
        {"account": ".\\svc_ors"},
        {"service": {"account": "PRISMA1\\svc_ors", "account_id": "UID:1001"}},
        [],
    ),
]


def _ors_state(overrides: dict) -> dict:
    return host_state(service=overrides.get("service"), account=overrides.get("account"))


@pytest.mark.parametrize(
    ("args", "overrides", "expected"), [c[1:] for c in ORS_CASES], ids=[c[0] for c in ORS_CASES]
)
def test_plan_ors_account(args, overrides, expected):
    plan = plan_ors_account(ors_account_desired({**args, "password": PASSWORD}), _ors_state(overrides))
    assert verbs(plan) == expected
    assert plan.changed is bool(expected)
    assert_no_secret(plan)
    for change in plan.changes:
        if "password" in change.args:
            assert change.args["password"] == PASSWORD
            assert "password" in change.secret_args


def test_ors_account_change_arguments():
    plan = plan_ors_account(
        ors_account_desired({"account": "CORP\\svc_new", "password": PASSWORD}), host_state()
    )
    ensure, grant, configure, restart = plan.changes
    assert ensure.args == {"account": "CORP\\svc_new", "password": PASSWORD, "update_password": "always"}
    assert grant.args == {"account": "CORP\\svc_new"}
    assert configure.args == {
        "name": "Print ORS Service",
        "account": "CORP\\svc_new",
        "password": PASSWORD,
        "start_mode": "auto",
        "create": False,
    }
    assert restart.args == {"name": "Print ORS Service"}
    assert "does not exist" in ensure.reason
    assert "runs as 'svc_ors', not CORP\\svc_new" in configure.reason


ORS_DIFF_CASES = [
    # overrides, account, password markers (before, after), result subset
    (
        {},
        ".\\svc_ors",
        ("(secret unchanged)", "(secret unchanged)"),
        {"password_changed": False, "service_restarted": False},
    ),
    (
        {"account": {"password_matches": False}},
        ".\\svc_ors",
        ("(secret set)", "(secret changed)"),
        {"password_changed": True, "service_restarted": True},
    ),
    (
        {"account": {"password_matches": None}},
        ".\\svc_ors",
        ("(secret set)", "(secret may change)"),
        {"password_changed": None, "service_restarted": None},
    ),
    ({}, ".\\svc_new", ("(not set)", "(secret set)"), {"account_created": True, "password_changed": True}),
    (
        {"service": {"state": "stopped"}},
        ".\\svc_ors",
        ("(secret unchanged)", "(secret unchanged)"),
        {"service_started": True, "service_restarted": False},
    ),
]


@pytest.mark.parametrize(("overrides", "account", "markers", "result"), ORS_DIFF_CASES)
def test_ors_account_diff_and_result(overrides, account, markers, result):
    plan = plan_ors_account(
        ors_account_desired({"account": account, "password": PASSWORD}), _ors_state(overrides)
    )
    assert (plan.diff["before"]["password"], plan.diff["after"]["password"]) == markers
    assert plan.diff["after"]["state"] == "running"
    assert plan.diff["after"]["start_mode"] == "auto"
    assert {k: plan.result[k] for k in result} == result
    assert_no_secret(plan)


def test_ors_account_diff_shows_the_new_account():
    plan = plan_ors_account(
        ors_account_desired({"account": ".\\svc_ors", "password": PASSWORD}),
        host_state(service={"account": "LocalSystem", "state": "stopped", "start_mode": "manual"}),
    )
    assert plan.diff["before"] | {"password": None} == {
        "account": "LocalSystem",
        "account_exists": True,
        "password": None,
        "service_logon": True,
        "start_mode": "manual",
        "state": "stopped",
    }
    assert plan.diff["after"]["account"] == ".\\svc_ors"


def test_ors_account_finds_the_windows_account_entry():
    state = host_state()
    state["accounts"] = {"CORP\\svc_ors": state["accounts"].pop("svc_ors")}
    state["service"]["account"] = "CORP\\svc_ors"
    plan = plan_ors_account(ors_account_desired({"account": "corp\\SVC_ORS", "password": PASSWORD}), state)
    assert verbs(plan) == []


# ---------------------------------------------------------------------------------------------------
# remote_service
# ---------------------------------------------------------------------------------------------------

RS_CASES = [
    # id, args, settings view, expected patch set, expected secret keys
    (
        "converged",
        {"enabled": True, "organization_id": "ORG-1", "verification_code": CODE},
        settings_view(**READY),
        {},
        [],
    ),
    ("nothing asked", {}, settings_view(), {}, []),
    (
        "fresh host",
        {"enabled": True, "organization_id": "ORG-1", "verification_code": CODE, "license_path": "/licenses"},
        {},
        {"general.enabled": True, "general.organization_id": "ORG-1", "general.license_path": "/licenses"},
        ["general.verification_code"],
    ),
    (
        "new code only",
        {"verification_code": "new-code"},
        settings_view(**READY),
        {},
        ["general.verification_code"],
    ),
    ("disable", {"enabled": False}, settings_view(**READY), {"general.enabled": False}, []),
    (
        "to an external FLS",
        {"license_server": "external", "license_path": "\\\\fls1\\licenses\\"},
        settings_view(**READY),
        {"general.license_server": "external", "general.license_path": "\\\\fls1\\licenses"},
        [],
    ),
    ("same path with a trailing slash", {"license_path": "/licenses/"}, settings_view(**READY), {}, []),
]


@pytest.mark.parametrize(
    ("args", "view", "expected_set", "expected_secrets"),
    [c[1:] for c in RS_CASES],
    ids=[c[0] for c in RS_CASES],
)
def test_plan_remote_service(args, view, expected_set, expected_secrets):
    plan = plan_remote_service(remote_service_desired(args), host_state(settings=view))
    if not expected_set and not expected_secrets:
        assert plan.changes == ()
    else:
        (change,) = plan.changes
        assert change.verb == "settings.write"
        assert change.args["set"] == expected_set
        assert sorted(change.args["secrets"]) == expected_secrets
        assert change.secret_args == ("secrets",)
    assert set(plan.diff["before"]) == {"general"}
    assert plan.result["serials"] == ["PDS-100001"]
    assert_no_secret(plan)


def test_settings_write_arguments():
    plan = plan_remote_service(remote_service_desired({"enabled": False}), host_state())
    (change,) = plan.changes
    assert change.args == {
        "path": SETTINGS_PATH,
        "group": "svc_ors",
        "account": "svc_ors",
        "set": {"general.enabled": False},
        "secrets": {},
    }
    assert change.reason == "general.enabled differ"


@pytest.mark.parametrize(
    ("drift", "words"),
    [
        ({"mode": "0644"}, "mode is 0644, not 0640"),
        ({"group": "root"}, "group is root, not svc_ors"),
        ({"owner": "svc_ors", "mode": "0666"}, "owner is svc_ors, not root, mode is 0666, not 0640"),
    ],
)
def test_a_badly_protected_store_is_rewritten_with_nothing_else_changed(drift, words):
    state = host_state()
    state["settings"].update(drift)
    plan = plan_remote_service(remote_service_desired({"enabled": True}), state)
    (change,) = plan.changes
    assert (change.args["set"], change.args["secrets"], change.args["group"]) == ({}, {}, "svc_ors")
    assert change.reason == f"the settings store's {words}"
    assert plan.diff["before"]["store"] == f"the settings store's {words}"


def test_protection_fields_a_platform_does_not_report_are_not_compared():
    state = host_state()
    state["settings"].update(owner=None, group=None, mode=None)
    assert plan_remote_service(remote_service_desired({"enabled": True}), state).changes == ()


@pytest.mark.parametrize(
    "section",
    [
        settings_view(**READY),  # the bare view of docs/internals.md
        store_section(settings_view(**READY)),
    ],
)
def test_both_settings_shapes_are_understood(section):
    state = host_state()
    state["settings"] = section
    plan = plan_remote_service(remote_service_desired({"enabled": True, "verification_code": CODE}), state)
    assert plan.changes == ()


def test_unreadable_store_is_a_warning():
    state = host_state()
    state["settings"] = store_section(None, error="not valid JSON")
    plan = plan_remote_service(remote_service_desired({"enabled": True}), state)
    assert plan.warnings[0].startswith("the settings store could not be read (not valid JSON)")
    assert plan.changes[0].args["set"] == {"general.enabled": True}
    assert info_from_state(state, TODAY)["warnings"][0].startswith("the settings store could not be read")


def test_status_reports_a_store_others_may_read():
    """The store holds the verification code: a loose store is a finding of the status, on any platform."""
    lab = host_state()
    lab["settings"] = {**store_section(settings_view(**READY)), "mode": "0644"}
    windows = host_state()
    windows["settings"] = {
        **store_section(settings_view(**READY)),
        "protection": "BUILTIN\\Users may read it",
    }
    for state, why in ((lab, "mode is 0644, not 0640"), (windows, "Users may read it")):
        (warning,) = [w for w in info_from_state(state, TODAY)["warnings"] if "settings store" in w]
        assert warning.startswith("the settings store is not protected as it must be") and why in warning
    assert not [w for w in info_from_state(host_state(), TODAY)["warnings"] if "settings store" in w]


def test_remote_service_reports_every_serial_and_unreadable_licenses():
    licenses = [
        {"name": "b.lic", "text": license_text("PDS-100002")},
        {"name": "a.lic", "text": license_text("PDS-100001")},
        {"name": "broken.lic", "text": "this is not a license"},
        {"name": "bad-date.lic", "text": license_text(maintenance="2029-13-45")},
    ]
    plan = plan_remote_service(remote_service_desired({}), host_state(licenses=licenses))
    assert plan.result["serials"] == ["PDS-100001", "PDS-100002"]
    assert [entry["name"] for entry in plan.result["licenses"]] == [
        "b.lic",
        "a.lic",
        "broken.lic",
        "bad-date.lic",
    ]
    assert len(plan.warnings) == 2
    assert "broken.lic could not be read" in plan.warnings[0]
    assert "bad-date.lic could not be read" in plan.warnings[1]


def test_remote_service_warns_when_no_license_is_found():
    plan = plan_remote_service(remote_service_desired({}), host_state(licenses=[]))
    assert plan.result["serials"] == []
    assert any("no license file (*.lic) found in /licenses" in w for w in plan.warnings)


def test_remote_service_warns_when_enabled_without_credentials():
    plan = plan_remote_service(remote_service_desired({"enabled": True}), host_state(settings={}))
    assert any("without a Service organization ID and Verification code" in w for w in plan.warnings)


@pytest.mark.parametrize(
    ("args", "view", "words"),
    [
        ({"license_path": "\\\\fls1\\lic"}, settings_view(**READY), "license_server is local"),
        (
            {"license_path": "/licenses"},
            settings_view(general__license_server="external"),
            "license_server is external",
        ),
        ({"license_server": "external"}, settings_view(**READY), "give license_path too"),
        (
            {"license_server": "local"},
            settings_view(general__license_server="external", general__license_path="//fls1/l"),
            "give license_path too",
        ),
    ],
)
def test_remote_service_checks_path_against_the_hosts_license_server(args, view, words):
    with pytest.raises(ValidationError) as info:
        plan_remote_service(remote_service_desired(args), host_state(settings=view))
    assert info.value.option == "license_path"
    assert words in info.value.message


# ---------------------------------------------------------------------------------------------------
# remote_service_proxy
# ---------------------------------------------------------------------------------------------------

AUTH = {"domain": "CORP", "username": "proxyuser", "password": PROXY_PASSWORD}
PROXY_CASES = [
    # id, args, view, expected set, expected secrets {key: value or None}, warned
    (
        "converged manual",
        {"mode": "manual", "url": "proxy.example.com:8080"},
        settings_view(**READY),
        {},
        {},
        False,
    ),
    (
        "http:// form of the same URL",
        {"mode": "manual", "url": "http://proxy.example.com:8080"},
        settings_view(**READY),
        {},
        {},
        False,
    ),
    (
        "stored with http://",
        {"mode": "manual", "url": "proxy.example.com:8080"},
        settings_view(**{**READY, "proxy__url": "http://proxy.example.com:8080"}),
        {},
        {},
        False,
    ),
    (
        "none to manual",
        {"mode": "manual", "url": "proxy.example.com:3128"},
        settings_view(),
        {"proxy.mode": "manual", "proxy.url": "proxy.example.com:3128"},
        {},
        False,
    ),
    (
        "add authentication",
        {"mode": "manual", "url": "proxy.example.com:8080", "authentication": AUTH},
        settings_view(**READY),
        {"proxy.domain": "CORP", "proxy.username": "proxyuser"},
        {"proxy.password": PROXY_PASSWORD},
        False,
    ),
    (
        "authentication converged",
        {"mode": "manual", "url": "proxy.example.com:8080", "authentication": AUTH},
        settings_view(
            **READY, proxy__domain="CORP", proxy__username="proxyuser", proxy__password=PROXY_PASSWORD
        ),
        {},
        {},
        False,
    ),
    (
        "none clears URL and credentials",
        {"mode": "none"},
        settings_view(
            **READY, proxy__domain="CORP", proxy__username="proxyuser", proxy__password=PROXY_PASSWORD
        ),
        {"proxy.mode": "none", "proxy.url": None, "proxy.domain": None, "proxy.username": None},
        {"proxy.password": None},
        False,
    ),
    (
        "auto_detect with authentication",
        {"mode": "auto_detect", "authentication": {"username": "proxyuser", "password": PROXY_PASSWORD}},
        settings_view(**{**READY, "general__enabled": False}),
        {"proxy.mode": "auto_detect", "proxy.url": None, "proxy.username": "proxyuser"},
        {"proxy.password": PROXY_PASSWORD},
        True,
    ),
    (
        "auto_detect converged still warns",
        {"mode": "auto_detect"},
        settings_view(proxy__mode="auto_detect"),
        {},
        {},
        True,
    ),
]


@pytest.mark.parametrize(
    ("args", "view", "expected_set", "expected_secrets", "warned"),
    [c[1:] for c in PROXY_CASES],
    ids=[c[0] for c in PROXY_CASES],
)
def test_plan_remote_service_proxy(args, view, expected_set, expected_secrets, warned):
    plan = plan_remote_service_proxy(remote_service_proxy_desired(args), host_state(settings=view))
    if not expected_set and not expected_secrets:
        assert plan.changes == ()
    else:
        (change,) = plan.changes
        assert (change.args["set"], change.args["secrets"]) == (expected_set, expected_secrets)
    assert any("remote assistance cannot be allowed" in w for w in plan.warnings) is warned
    assert set(plan.diff["after"]) == {"proxy"}
    assert_no_secret(plan)


def test_proxy_result_reports_password_as_set_only():
    args = {"mode": "manual", "url": "[2001:db8::1]:8080", "authentication": AUTH}
    plan = plan_remote_service_proxy(remote_service_proxy_desired(args), host_state())
    assert plan.result["url"] == "[2001:db8::1]:8080"
    assert plan.result["authentication"] == {"domain": "CORP", "username": "proxyuser", "password_set": True}
    assert plan.diff["after"]["proxy"]["password"] == "(secret set)"


@pytest.mark.parametrize("current_mode", ["manual", "auto_detect"])
def test_auto_detect_refused_while_remote_assistance_is_allowed(current_mode):
    view = settings_view(**{**READY, "proxy__mode": current_mode, "remote_assistance__enabled": True})
    with pytest.raises(ValidationError) as info:
        plan_remote_service_proxy(
            remote_service_proxy_desired({"mode": "auto_detect"}), host_state(settings=view)
        )
    assert info.value.option == "mode"
    assert "disable remote assistance first" in info.value.message


def test_proxy_none_allowed_while_remote_assistance_is_allowed():
    view = settings_view(**{**READY, "remote_assistance__enabled": True})
    plan = plan_remote_service_proxy(
        remote_service_proxy_desired({"mode": "none"}), host_state(settings=view)
    )
    assert plan.changes[0].args["set"]["proxy.mode"] == "none"


# ---------------------------------------------------------------------------------------------------
# remote_assistance
# ---------------------------------------------------------------------------------------------------


def test_enable_remote_assistance_when_ready():
    plan = plan_remote_assistance(remote_assistance_desired({"enabled": True}), host_state(), NOW)
    (change,) = plan.changes
    assert change.args["set"] == {"remote_assistance.enabled": True}
    assert plan.diff == {
        "before": {"remote_assistance": {"enabled": False, "until": None}},
        "after": {"remote_assistance": {"enabled": True, "until": None}},
    }
    assert plan.warnings == ()


def test_enabled_remote_assistance_is_no_change():
    state = host_state(settings=settings_view(**READY, remote_assistance__enabled=True))
    assert plan_remote_assistance(remote_assistance_desired({"enabled": True}), state, NOW).changed is False


BLOCKED_CASES = [
    # id, settings view, service overrides, fragments that must all be listed
    (
        "fresh host, stopped service",
        {},
        {"state": "stopped"},
        ["not enabled", "organization ID", "Verification code", "Print ORS Service is stopped"],
    ),
    (
        "auto detection and no code",
        settings_view(
            **{**READY, "general__verification_code": None, "proxy__mode": "auto_detect", "proxy__url": None}
        ),
        {},
        ["Verification code", "automatic detection"],
    ),
    ("service missing", settings_view(**READY), {"exists": False}, ["not installed"]),
    (
        "already enabled but broken",
        settings_view(**{**READY, "remote_assistance__enabled": True, "general__enabled": False}),
        {"state": "stopped"},
        ["not enabled", "is stopped"],
    ),
]


@pytest.mark.parametrize(
    ("view", "service", "fragments"), [c[1:] for c in BLOCKED_CASES], ids=[c[0] for c in BLOCKED_CASES]
)
def test_enabling_remote_assistance_lists_every_missing_prerequisite(view, service, fragments):
    with pytest.raises(ValidationError) as info:
        plan_remote_assistance(
            remote_assistance_desired({"enabled": True}), host_state(settings=view, service=service), NOW
        )
    assert info.value.option == "enabled"
    assert f"{len(fragments)} prerequisite" in info.value.message
    for number, fragment in enumerate(fragments, 1):
        assert f"({number}) " in info.value.message
        assert fragment in info.value.message
    assert CODE not in str(info.value)


@pytest.mark.parametrize(
    "view",
    [settings_view(**{**READY, "remote_assistance__enabled": True, "proxy__mode": "auto_detect"}), {}],
)
def test_disabling_remote_assistance_always_works(view):
    state = host_state(settings=view, service={"state": "stopped"})
    plan = plan_remote_assistance(remote_assistance_desired({"enabled": False}), state, NOW)
    assert plan.changed is bool(view)
    if view:
        assert plan.changes[0].args["set"] == {"remote_assistance.enabled": False}


def test_enabling_warns_without_teamviewer():
    state = host_state()
    state["teamviewer"] = {"present": False}
    plan = plan_remote_assistance(remote_assistance_desired({"enabled": True}), state, NOW)
    assert plan.changed and "TeamViewer" in plan.warnings[0]


# ---------------------------------------------------------------------------------------------------
# remote_service_info and the light
# ---------------------------------------------------------------------------------------------------

TODAY = date(2029, 12, 1)
INFO_CASES = [
    # id, license text, days_left, maintenance days left, warning fragments
    ("current", license_text(expiry="31-dec-2031", maintenance="2031-12-31"), 760, 760, []),
    (
        "expires in 30 days",
        license_text(expiry="31-dec-2029", maintenance="2031-12-31"),
        30,
        760,
        ["expires on 2029-12-31"],
    ),
    (
        "expires in 31 days: no warning",
        license_text(expiry="01-jan-2030", maintenance="2031-12-31"),
        31,
        760,
        [],
    ),
    (
        "maintenance ends in 10 days",
        license_text(expiry="permanent", maintenance="2029-12-11"),
        None,
        10,
        ["maintenance ends"],
    ),
    (
        "expired",
        license_text(expiry="30-nov-2029", maintenance="2029-11-30"),
        -1,
        -1,
        ["expired on 2029-11-30", "maintenance ended"],
    ),
]


@pytest.mark.parametrize(
    ("text", "days", "maintenance_days", "fragments"),
    [c[1:] for c in INFO_CASES],
    ids=[c[0] for c in INFO_CASES],
)
def test_info_license_report(text, days, maintenance_days, fragments):
    info = info_from_state(host_state(licenses=[{"name": "PDS-100001.lic", "text": text}]), TODAY)
    (entry,) = info["licenses"]
    assert entry["serial"] == "PDS-100001"
    assert entry["days_left"] == days
    assert entry["maintenance_days_left"] == maintenance_days
    assert entry["users"] == 25
    assert [f["name"] for f in entry["features"]] == ["PRISMAdirect", "PD_USERS"]
    for fragment in fragments:
        assert any(fragment in w for w in entry["warnings"])
        assert any(fragment in w and w.startswith("PDS-100001.lic: ") for w in info["warnings"])
    assert bool(entry["warnings"]) is bool(fragments)


def test_info_reports_settings_and_service_without_secrets():
    view = settings_view(**READY, proxy__username="u", proxy__password=PROXY_PASSWORD)
    info = info_from_state(host_state(settings=view), TODAY)
    assert info["settings"]["general"]["verification_code_set"] is True
    assert info["settings"]["proxy"]["password_set"] is True
    assert "verification_code" not in info["settings"]["general"]
    assert "password" not in info["settings"]["proxy"]
    assert info["service"] == {
        "name": "Print ORS Service",
        "exists": True,
        "account": "svc_ors",
        "start_mode": "auto",
        "state": "running",
    }
    assert info["serials"] == ["PDS-100001"]
    text = json.dumps(info)
    for secret in SECRETS:
        assert secret not in text


def test_info_on_a_fresh_host():
    info = info_from_state({"service": {"exists": False}, "licenses": [{"name": "x.lic", "text": ""}]}, TODAY)
    assert info["settings_present"] is False
    assert info["settings"]["general"]["enabled"] is False
    assert info["settings"]["general"]["verification_code_set"] is False
    assert info["licenses"][0]["readable"] is False
    assert info["warnings"][0].startswith("x.lic: could not be read")
    assert info["serials"] == []


OK = {"ok": True, "status": 200, "elapsed_ms": 41, "error": None}
LIGHT_CASES = [
    # id, service, settings, test, light, reason fragment
    (
        "green",
        {"name": "Print ORS Service", "exists": True, "state": "running"},
        settings_view(**READY),
        OK,
        "green",
        "HTTP 200 in 41 ms",
    ),
    (
        "stopped",
        {"name": "Print ORS Service", "exists": True, "state": "stopped"},
        settings_view(**READY),
        OK,
        "orange",
        "Print ORS Service is stopped",
    ),
    ("not installed", {"exists": False}, settings_view(**READY), OK, "orange", "not installed"),
    ("disabled", "running", settings_view(), OK, "orange", "disabled"),
    ("no store", "running", None, OK, "orange", "disabled"),
    ("reader section", "running", store_section(settings_view(**READY)), OK, "green", "connected"),
    ("reader section, no document", "running", store_section(None), OK, "orange", "disabled"),
    ("not tested", "running", settings_view(**READY), None, "orange", "test_connection: true"),
    (
        "wrong code",
        "running",
        settings_view(**READY),
        {"ok": False, "status": 401, "error": "unauthorized: check the code"},
        "orange",
        "HTTP 401",
    ),
    (
        "unreachable",
        "running",
        settings_view(**READY),
        {"ok": False, "status": None, "error": "connection refused"},
        "orange",
        "connection refused",
    ),
]


@pytest.mark.parametrize(
    ("service", "view", "test", "colour", "fragment"),
    [c[1:] for c in LIGHT_CASES],
    ids=[c[0] for c in LIGHT_CASES],
)
def test_light(service, view, test, colour, fragment):
    result = light(service, view, test)
    assert result["light"] == colour
    assert fragment in result["reason"]


# ---------------------------------------------------------------------------------------------------
# Across planners
# ---------------------------------------------------------------------------------------------------


def test_planners_do_not_modify_the_host_state():
    state = host_state()
    frozen = copy.deepcopy(state)
    plan_ors_account(ors_account_desired({"account": ".\\svc_x", "password": PASSWORD}), state)
    plan_remote_service(remote_service_desired({"verification_code": "x", "enabled": False}), state)
    plan_remote_service_proxy(
        remote_service_proxy_desired({"mode": "manual", "url": "p:1", "authentication": AUTH}), state
    )
    plan_remote_assistance(remote_assistance_desired({"enabled": True}), state, NOW)
    info_from_state(state, TODAY)
    assert state == frozen


def test_public_api():
    for name in planning.__all__:
        assert getattr(planning, name) is not None
