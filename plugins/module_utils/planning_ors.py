# Copyright: (c) 2026, printops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``ors_account`` module's domain: its desired state and its planner.

Domain core: standard library only, no I/O, no Ansible imports. The Remote Service's Windows service
("Print ORS Service") runs as the Remote Service credentials account, which needs a password and
internet access; this planner makes the account exist, lets it log on as a service, makes the service
run as it (automatic start) and restarts the service only when its identity changed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ansible_collections.printops.prismadirect.plugins.module_utils.planning_core import (
    DEFAULT_SERVICE,
    Change,
    Plan,
    find_account,
    given,
    service_entry,
)
from ansible_collections.printops.prismadirect.plugins.module_utils.settings import (
    NOT_SET,
    SECRET_CHANGED,
    SECRET_MAY_CHANGE,
    SECRET_SET,
    SECRET_UNCHANGED,
)
from ansible_collections.printops.prismadirect.plugins.module_utils.validation import (
    Account,
    ValidationError,
    parse_account,
    parse_choice,
    parse_password,
    parse_service_name,
    quoted,
)

__all__ = [
    "TEST_CONNECTION",
    "UPDATE_PASSWORD",
    "OrsAccountDesired",
    "account_matches",
    "ors_account_desired",
    "plan_ors_account",
    "split_reported_account",
]

UPDATE_PASSWORD = ("always", "on_create")
TEST_CONNECTION = ("false", "true", "warn")


@dataclass(frozen=True)
class OrsAccountDesired:
    """What the task asks for. ``test_connection`` is ``"false"``, ``"true"`` or ``"warn"``."""

    account: Account
    password: str = field(repr=False)
    update_password: str = "always"
    service: str = DEFAULT_SERVICE
    test_connection: str = "false"


def _test_connection(value: Any) -> str:
    """``test_connection`` takes a boolean or ``warn``; kept as text so the three cases read alike."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value.lower() in TEST_CONNECTION:
        return value.lower()
    raise ValidationError("test_connection", f"{quoted(value)} is not one of: false, true, warn")


def ors_account_desired(args: Mapping[str, Any]) -> OrsAccountDesired:
    return OrsAccountDesired(
        account=parse_account(args.get("account"), "account"),
        password=parse_password(args.get("password"), "password"),
        update_password=parse_choice(
            given(args, "update_password", "always"), UPDATE_PASSWORD, "update_password"
        ),
        service=parse_service_name(given(args, "service", DEFAULT_SERVICE), "service"),
        test_connection=_test_connection(given(args, "test_connection", False)),
    )


# ---------------------------------------------------------------------------------------------------
# Comparing the account the host reports with the desired one
# ---------------------------------------------------------------------------------------------------


def split_reported_account(reported: str | None) -> tuple[str | None, str] | None:
    """A host's account string (any form, built-ins too) -> (domain or None for local/unknown, user).

    ``"."`` becomes ``"."`` (explicitly local); a bare name keeps domain None (domain unknown: the lab
    reports its system user that way).
    """
    if not reported:
        return None
    if "\\" in reported:
        domain, _, user = reported.rpartition("\\")
        return domain, user
    if "@" in reported:
        user, _, domain = reported.partition("@")
        return domain, user
    return None, reported


def _same_domain(a: str, b: str) -> bool:
    """Windows reports ``CORP\\user`` for an account configured as ``user@corp.example.com``; the
    NetBIOS name cannot be looked up here, so the DNS name's first label stands for it (the usual
    setup). Where it differs the accounts compare unequal, which costs a service reconfiguration on
    each run, never a wrong account left in place."""
    a, b = a.casefold(), b.casefold()
    if a == b:
        return True
    return ("." in a) != ("." in b) and a.split(".")[0] == b.split(".")[0]


def account_matches(desired: Account, reported: str | None) -> bool:
    """Whether the host's account string names ``desired``.

    Case-insensitive. A bare reported name (the lab's system user) matches on the user part alone;
    ``.\\user`` matches only a local desired account; a domain matches by name, NetBIOS and DNS forms
    by the DNS name's first label.
    """
    parts = split_reported_account(reported)
    if parts is None:
        return False
    domain, user = parts
    if user.casefold() != desired.user.casefold():
        return False
    if domain is None:
        return True
    if domain == ".":
        return desired.is_local
    return desired.domain is not None and _same_domain(domain, desired.domain)


# ---------------------------------------------------------------------------------------------------
# The plan
# ---------------------------------------------------------------------------------------------------


def _password_outcome(desired: OrsAccountDesired, entry: Mapping[str, Any]) -> str:
    """``create``, ``change``, ``keep`` or ``unknown``.

    ``on_create`` never touches an existing account's password, so a run with another password is no
    change. ``unknown``: the platform cannot compare passwords before applying (Windows); the account
    module then sets the password only if it differs, and what depends on it waits for its answer.
    """
    if not entry.get("exists"):
        return "create"
    if desired.update_password == "on_create":
        return "keep"
    matches = entry.get("password_matches")
    if matches is None:
        return "unknown"
    return "keep" if matches else "change"


def _runs_as(service: Mapping[str, Any], entry: Mapping[str, Any], account: Account) -> bool:
    """Compare ids (SIDs, uids) when the reader gives both; names otherwise."""
    service_id, account_id = service.get("account_id"), entry.get("id")
    if service_id and account_id:
        return str(service_id).casefold() == str(account_id).casefold()
    return account_matches(account, service.get("account"))


_PASSWORD_REASONS = {
    "create": "account {a} does not exist",
    "change": "the password of {a} differs and update_password is always",
    "unknown": (
        "the password of {a} cannot be compared before applying on this platform (update_password is "
        "always): the account module sets it only if it differs"
    ),
}


def _account_changes(desired: OrsAccountDesired, entry: Mapping[str, Any], outcome: str) -> list[Change]:
    qualified = desired.account.qualified
    changes = []
    if outcome != "keep":
        args = {
            "account": qualified,
            "password": desired.password,
            "update_password": desired.update_password,
        }
        reason = _PASSWORD_REASONS[outcome].format(a=qualified)
        changes.append(Change("account.ensure", args, reason, secret_args=("password",)))
    if entry.get("service_logon") is not True:
        reason = f"{qualified} may not log on as a service"
        changes.append(Change("account.grant_service_logon", {"account": qualified}, reason))
    return changes


def _service_changes(
    desired: OrsAccountDesired, service: Mapping[str, Any], runs_as: bool, outcome: str
) -> list[Change]:
    """Configure when the service's account, start mode or stored password is wrong; then restart only
    if its identity changed while it ran, or start it if it is not running."""
    exists = bool(service.get("exists"))
    password_new = outcome in ("create", "change")
    reasons = []
    if not exists:
        reasons.append(f"service {desired.service} is not set up")
    else:
        if not runs_as:
            reasons.append(
                f"the service runs as {quoted(service.get('account'))}, not {desired.account.qualified}"
            )
        if service.get("start_mode") != "auto":
            reasons.append(f"the service starts {quoted(service.get('start_mode'))}, not auto")
    if password_new:
        reasons.append("the service must log on with the new password")
    args = {
        "name": desired.service,
        "account": desired.account.qualified,
        "password": desired.password,
        "start_mode": "auto",
        "create": not exists,
    }
    changes = []
    if reasons:
        changes.append(Change("service.configure", args, "; ".join(reasons), secret_args=("password",)))
    elif outcome == "unknown":
        reason = "the service must log on with the new password if the account's password changed"
        changes.append(
            Change("service.configure", args, reason, ("password",), requires_change="account.ensure")
        )
    name = {"name": desired.service}
    if not exists or service.get("state") != "running":
        state = service.get("state") if exists else "not set up"
        changes.append(Change("service.start", name, f"the service is {state}, not running"))
    elif not runs_as or password_new:
        changes.append(Change("service.restart", name, "the service's account or password changed"))
    elif outcome == "unknown":
        reason = "the service runs with the old password if the account's password changed"
        changes.append(Change("service.restart", name, reason, requires_change="account.ensure"))
    return changes


_PASSWORD_MARKERS = {
    "create": (NOT_SET, SECRET_SET),
    "change": (SECRET_SET, SECRET_CHANGED),
    "unknown": (SECRET_SET, SECRET_MAY_CHANGE),
    "keep": (SECRET_UNCHANGED, SECRET_UNCHANGED),
}


def _diff(desired, service, entry, runs_as, outcome) -> dict[str, dict[str, Any]]:
    exists = bool(service.get("exists"))
    before = {
        "account": service.get("account") if exists else None,
        "account_exists": bool(entry.get("exists")),
        "password": _PASSWORD_MARKERS[outcome][0],
        "service_logon": entry.get("service_logon") is True,
        "start_mode": service.get("start_mode") if exists else None,
        "state": service.get("state") if exists else "absent",
    }
    after = {
        "account": before["account"] if runs_as and exists else desired.account.qualified,
        "account_exists": True,
        "password": _PASSWORD_MARKERS[outcome][1],
        "service_logon": True,
        "start_mode": "auto",
        "state": "running",
    }
    return {"before": before, "after": after}


def plan_ors_account(desired: OrsAccountDesired, state: Mapping[str, Any]) -> Plan:
    """Account, service logon right, service account/start mode, then (re)start: in that order, because
    the service cannot be configured for an account that does not exist or may not log on."""
    entry = find_account(state, desired.account)
    service = service_entry(state)
    outcome = _password_outcome(desired, entry)
    runs_as = bool(service.get("exists")) and _runs_as(service, entry, desired.account)
    changes = _account_changes(desired, entry, outcome) + _service_changes(desired, service, runs_as, outcome)
    verbs = {c.verb: c for c in changes}
    restart = verbs.get("service.restart")
    result = {
        "account": desired.account.qualified,
        "service": desired.service,
        "account_created": outcome == "create",
        "password_changed": {"create": True, "change": True, "keep": False, "unknown": None}[outcome],
        "service_restarted": None if restart and restart.requires_change else restart is not None,
        "service_started": "service.start" in verbs,
    }
    return Plan(
        changes=tuple(changes),
        diff=_diff(desired, service, entry, runs_as, outcome),
        result=result,
    )
