# Copyright: (c) 2026, printops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``license_share`` module's domain: its desired state and its planner.

Domain core: standard library only, no I/O, no Ansible imports. Procedure A step 4 (external FLS): the
license folder on the FLS is shared, and the Remote Service credentials account(s) get Modify (read,
write, create, delete; no permission or ownership change) on it, inherited by files and subfolders.
Administrators keep full control; Everyone is never granted; inherited rules are never changed, only
reported. The rights vocabulary and the platform mappings are in ``acl_model``.

Host state read (docs/internals.md), besides ``accounts`` (one entry per account, asked by name)::

    "folder": {"path": "/licenses", "exists": true,
               "administrators": {"identity": "root", "id": "uid:0"},
               "rules": [AccessRule dicts, explicit and inherited]}
    "share":  {"name": "licenses", "exists": true, "path": "/licenses", "description": "...",
               "access": [AccessRule dicts: identity, id, rights, type],
               "users": {"svc_ors_p1": {"exists": true, "password_matches": true}} or null}

``folder.path`` and ``share.path`` are in the form of the ``path`` option (lab: relative to the host
root). ``folder.administrators`` is who must keep full control (default ``BUILTIN\\Administrators``).
``share.access`` includes the administrators' entry as the platform has it (the lab reports ``root``
full: root administers the lab smbd). ``share.users`` is reported only where the host keeps its own
share passwords (the lab's Samba passdb, compared on the host from a candidate hash); on Windows it is
``null`` and the accounts' passwords are not used.

Changes, in this order (the folder and its ACL exist before the folder is shared):

``acl.ensure`` ``{"path", "create", "grant": [rule], "revoke": [rule], "rules": [rule]}``
    ``grant``: rules to add; ``revoke``: explicit rules to remove, exactly as read (``raw`` included);
    ``rules``: every explicit rule after the change (for adapters that set the whole list).
``share.ensure`` ``{"name", "path", "description", "create", "access": [rule], "passwords": {...}}``
    ``access``: the complete share-level access after the change; ``passwords`` (secret): account
    (qualified name) -> password, only for the accounts whose share password must be set.

Rule identities in changes are the accounts' qualified names (``CORP\\svc``, ``.\\svc``; the lab
adapter takes their lab user name) with the host's id when it reported one.

Every account must exist on the host (``accounts`` reports it): access cannot be granted to an
unknown account, so the plan fails, before any change, naming the missing ones. In check mode it warns
instead and plans the grant by name: a dry run of a whole fleet has not created the ORS accounts that
an earlier step would create.

What is kept and what goes:

- each account: exactly one explicit ``allow modify (files, folders)`` on the folder and ``allow
  modify`` (Change) on the share; its other explicit rules (weaker, stronger, deny, not inherited by
  children) are revoked;
- the administrators: ``full`` (files, folders), added if missing, a weaker rule of theirs replaced;
  every other administrators' identity (SYSTEM; the lab's group root) keeps its rules, even with
  ``exclusive``;
- other explicit grants: kept, revoked with ``exclusive``; deny rules of others are always kept (they
  take access away);
- broad grants (Everyone, Users, Authenticated Users...): on the share they are always removed (the
  share exists for the licenses; Windows gives Everyone Read to every new share); on the folder they
  are kept with a warning unless ``exclusive``;
- inherited rules: never changed; reported in the result, with a warning when they give everybody
  access, or give an account more than modify, or deny an account.

Lab share mapping (``HOME/samba/shares.conf``): ``[<name>]`` with ``path = <lab root><path>``,
``comment = <description>``, ``valid users = <lab users with access>``, ``read only = no`` (every valid
user ``modify``; ``read only = yes`` reads as ``read``), ``inherit acls = yes``, ``create mask = 0770``,
``directory mask = 0770`` (so files made through the share keep the folder's default ACL); ``root``
(administrators) reads as ``full``. Share passwords are the lab passdb's (``smbpasswd``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ansible_collections.printops.prismadirect.plugins.module_utils.acl_model import (
    DEFAULT_ADMINISTRATORS,
    AccessRule,
    broad_name,
    is_administrator,
    is_broad,
    rules_from_state,
)
from ansible_collections.printops.prismadirect.plugins.module_utils.planning_core import (
    Change,
    Plan,
    find_account,
    given,
)
from ansible_collections.printops.prismadirect.plugins.module_utils.planning_ors import account_matches
from ansible_collections.printops.prismadirect.plugins.module_utils.settings import (
    NOT_SET,
    SECRET_CHANGED,
    SECRET_SET,
    SECRET_UNCHANGED,
)
from ansible_collections.printops.prismadirect.plugins.module_utils.validation import (
    Account,
    ValidationError,
    parse_account,
    parse_bool,
    parse_license_path,
    parse_password,
    quoted,
)

__all__ = [
    "SHARE_NAME_FORM",
    "LicenseShareDesired",
    "ShareAccount",
    "license_share_desired",
    "parse_folder",
    "parse_share_name",
    "plan_license_share",
    "same_path",
]

SHARE_NAME_FORM = (
    '1 to 80 characters without \\ / [ ] : | < > + = ; , ? * " % or control characters, for example '
    "licenses (a name ending in $ is a hidden share)"
)
_SHARE_FORBIDDEN = frozenset('\\/[]:|<>+=;,?*"%')
# Windows' administrative shares and Samba's special sections cannot be a license share.
_RESERVED_SHARES = frozenset({"ipc$", "admin$", "print$", "global", "homes", "printers"})
_DRIVE_SHARE = re.compile(r"[a-z]\$")
_HOST_RE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9_-]{0,62})(?:\.[A-Za-z0-9](?:[A-Za-z0-9_-]{0,62}))*")
_SID_RE = re.compile(r"[Ss]-1(-\d+)+")
_DESCRIPTION_MAX = 256
MODIFY_INHERITED = {"rights": "modify", "type": "allow", "inherit_files": True, "inherit_folders": True}


@dataclass(frozen=True)
class ShareAccount:
    """An ORS account to grant; ``password`` is used only where the host keeps share passwords."""

    account: Account
    password: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class LicenseShareDesired:
    path: str
    name: str
    accounts: tuple[ShareAccount, ...]
    fls_host: str
    exclusive: bool = False
    description: str | None = None


# ---------------------------------------------------------------------------------------------------
# Validation of the options
# ---------------------------------------------------------------------------------------------------


def parse_share_name(value: object, option: str = "name") -> str:
    """A share name that Windows and Samba both accept; hidden shares (``licenses$``) are allowed,
    the administrative ones (``C$``, ``ADMIN$``, ``IPC$``) and Samba's sections are not."""
    if not isinstance(value, str) or not value:
        raise ValidationError(option, f"is empty: give the share name, {SHARE_NAME_FORM}")
    bad = sorted({c for c in value if c in _SHARE_FORBIDDEN or ord(c) < 32 or ord(c) == 127})
    problem = None
    if bad:
        shown = " ".join(c if ord(c) >= 32 and ord(c) != 127 else repr(c) for c in bad)
        problem = f"has characters share names cannot have ({shown})"
    elif len(value) > 80:
        problem = f"has {len(value)} characters (at most 80)"
    elif value != value.strip():
        problem = "has leading or trailing blanks"
    elif value == "$":
        problem = "has no name before the $"
    elif value.casefold() in _RESERVED_SHARES or _DRIVE_SHARE.fullmatch(value.casefold()):
        problem = "is reserved (an administrative share or a Samba section)"
    if problem:
        raise ValidationError(option, f"{quoted(value)} {problem}: expected {SHARE_NAME_FORM}")
    return value


def parse_folder(value: object, option: str = "path") -> str:
    """The license folder on the FLS itself: absolute (``C:\\...``, or ``/...`` on the lab, relative
    to the host root), no ``..``; normalised without a trailing separator."""
    if isinstance(value, str) and value[:2] in ("\\\\", "//"):
        raise ValidationError(
            option,
            f"{quoted(value)} is a shared folder: give the folder on the FLS computer itself, for example "
            "C:\\ProgramData\\FlexNet\\licenses (lab: /licenses)",
        )
    return parse_license_path(value, "local", option)


def same_path(a: str | None, b: str | None) -> bool:
    """Windows drive paths compare case-insensitively and with either separator; others exactly."""
    if a is None or b is None:
        return a == b
    a, b = a.rstrip("\\/") or a, b.rstrip("\\/") or b
    if re.match(r"[A-Za-z]:", a) and re.match(r"[A-Za-z]:", b):
        return a.replace("/", "\\").casefold() == b.replace("/", "\\").casefold()
    return a == b


def _parse_description(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise ValidationError("description", "must be one line of text without control characters")
    if len(value) > _DESCRIPTION_MAX:
        raise ValidationError("description", f"is longer than {_DESCRIPTION_MAX} characters")
    return value


def _refuse_special(text: str, option: str) -> None:
    """Everyone-like groups, administrators and SIDs are refused before ``parse_account`` (whose
    message for ``NT AUTHORITY\\...`` would be about service accounts)."""
    if _SID_RE.fullmatch(text):
        special = broad_name(None, text)
        what = f"is the SID of {special}, which" if special else "is a SID:"
        raise ValidationError(
            option,
            f"{quoted(text)} {what} cannot be granted here: give the ORS account's name (DOMAIN\\user, "
            ".\\user, user@domain.tld or user)",
        )
    broad = broad_name(text)
    if broad:
        raise ValidationError(
            option,
            f"{quoted(text)} stands for {broad}: the license folder is never shared with everybody; give "
            "the Remote Service credentials account(s) of the PRISMAdirect hosts",
        )
    if is_administrator(text, None):
        raise ValidationError(
            option,
            f"{quoted(text)} is an administrators' identity, which keeps full control anyway: list only "
            "the Remote Service credentials account(s)",
        )


def _parse_share_account(value: object, option: str) -> ShareAccount:
    password = None
    if isinstance(value, Mapping):
        unknown = sorted(set(value) - {"name", "password"})
        if unknown:
            raise ValidationError(option, f"unknown keys {', '.join(unknown)}: expected name, password")
        name, raw_password = value.get("name"), value.get("password")
        option_name = f"{option}.name"
        if raw_password is not None:
            password = parse_password(raw_password, f"{option}.password")
    else:
        name, option_name = value, option
    if isinstance(name, str):
        _refuse_special(name.strip(), option_name)
    return ShareAccount(account=parse_account(name, option_name), password=password)


def _parse_accounts(value: object) -> tuple[ShareAccount, ...]:
    if isinstance(value, (str, Mapping)):
        value = [value]
    if not isinstance(value, Sequence) or not value:
        raise ValidationError(
            "accounts",
            "is empty: give the Remote Service credentials account(s) to grant, e.g. [CORP\\svc_ors] or "
            "[{name: CORP\\svc_ors, password: ...}]",
        )
    accounts = []
    for index, item in enumerate(value):
        entry = _parse_share_account(item, f"accounts[{index}]")
        for other in accounts:
            if account_matches(other.account, entry.account.qualified) or account_matches(
                entry.account, other.account.qualified
            ):
                raise ValidationError(
                    f"accounts[{index}]",
                    f"{quoted(entry.account.original)} is listed twice (also as "
                    f"{quoted(other.account.original)}): list each account once",
                )
        accounts.append(entry)
    return tuple(accounts)


def license_share_desired(args: Mapping[str, Any]) -> LicenseShareDesired:
    """``fls_host`` is not a task option: the action plugin passes the FLS's name for ``smb_path``."""
    host = args.get("fls_host")
    if not isinstance(host, str) or not (_HOST_RE.fullmatch(host) and len(host) <= 253):
        raise ValidationError(
            "fls_host", f"{quoted(host)} is not a host name: the action plugin passes the FLS's name"
        )
    return LicenseShareDesired(
        path=parse_folder(args.get("path"), "path"),
        name=parse_share_name(args.get("name"), "name"),
        accounts=_parse_accounts(args.get("accounts")),
        fls_host=host,
        exclusive=parse_bool(given(args, "exclusive", False), "exclusive"),
        description=_parse_description(args.get("description")),
    )


# ---------------------------------------------------------------------------------------------------
# Who is who on the host
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Grantee:
    """An account with the host's name and id for it (id ``None``: not found on the host)."""

    share_account: ShareAccount
    id: str | None

    @property
    def account(self) -> Account:
        return self.share_account.account

    def owns(self, rule: AccessRule) -> bool:
        if self.id and rule.id:
            return self.id.casefold() == rule.id.casefold()
        return account_matches(self.account, rule.identity)

    def rule(self, **fields: Any) -> AccessRule:
        return AccessRule(identity=self.account.qualified, id=self.id, **fields)


def _grantees(
    desired: LicenseShareDesired, state: Mapping[str, Any], check_mode: bool
) -> tuple[list[_Grantee], list[str]]:
    """Each account with its id on the host, and the warnings. Access cannot be granted to an account
    the host does not know, so a missing one fails the plan: before any change, naming every missing
    account. In check mode it is a warning instead: an earlier task of the same dry run (the ORS
    account step) may be the one that would create it, and check mode did not; the grant is planned
    by name, and a real run still fails here if the account is missing then."""
    grantees, missing = [], []
    for index, entry in enumerate(desired.accounts):
        found = find_account(state, entry.account)
        account_id = found.get("id") if found.get("exists") else None
        if is_administrator(None, account_id) or is_broad(None, account_id):
            raise ValidationError(
                f"accounts[{index}]",
                f"{quoted(entry.account.original)} is {account_id} on this host, an administrators' or "
                "everybody's identity: list only the Remote Service credentials account(s)",
            )
        if not found.get("exists"):
            missing.append(entry.account.qualified)
        grantees.append(_Grantee(entry, account_id))
    if missing and check_mode:
        one = len(missing) == 1
        it, they_are = ("it", "it is") if one else ("them", "they are")
        warning = (
            f"{', '.join(missing)} {'does' if one else 'do'} not exist on this host yet: check mode plans "
            f"the grant as if {'it' if one else 'they'} did (an earlier step of this run, such as "
            f"printops.prismadirect.ors_account, may create {it}); a real run fails here if {they_are} "
            "still missing then"
        )
        return grantees, [warning]
    if missing:
        raise ValidationError(
            "accounts",
            f"{', '.join(missing)} {'does' if len(missing) == 1 else 'do'} not exist on this host, so "
            "the license folder cannot be shared with "
            f"{'it' if len(missing) == 1 else 'them'}: create the account first "
            "(printops.prismadirect.ors_account makes a local ORS account), or check the name; for an "
            "external FLS the ORS account must be a domain account the FLS knows (DOMAIN\\user). "
            "Nothing was changed",
        )
    return grantees, []


def _administrators(folder: Mapping[str, Any]) -> tuple[str, str | None]:
    admins = folder.get("administrators") or DEFAULT_ADMINISTRATORS
    return str(admins.get("identity") or DEFAULT_ADMINISTRATORS["identity"]), admins.get("id")


# ---------------------------------------------------------------------------------------------------
# The folder's ACL
# ---------------------------------------------------------------------------------------------------


def _is_exact(rule: AccessRule, rights: str) -> bool:
    return rule.type == "allow" and rule.rights == rights and rule.inherits_fully


@dataclass
class _AclPlan:
    grant: list[AccessRule] = field(default_factory=list)
    revoke: list[AccessRule] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _account_rules(
    grantee: _Grantee, explicit: list[AccessRule], inherited: list[AccessRule], acl: _AclPlan
) -> None:
    """Exactly one explicit ``allow modify (files, folders)`` rule for the account; every other
    explicit rule of the account (weaker, stronger, deny, not inherited by children) is replaced."""
    own = [r for r in explicit if grantee.owns(r)]
    exact = next((r for r in own if _is_exact(r, "modify")), None)
    name = grantee.account.qualified
    extra = [r for r in own if r is not exact]
    acl.revoke += extra
    if extra:
        acl.reasons.append(f"{name} has {'; '.join(r.describe() for r in extra)}, not exactly modify")
    if exact is None:
        acl.grant.append(grantee.rule(**MODIFY_INHERITED))
        if not own:
            acl.reasons.append(f"{name} has no modify rule")
    for rule in (r for r in inherited if grantee.owns(r)):
        if rule.type == "deny":
            acl.warnings.append(
                f"the inherited rule '{rule.describe()}' may deny {name} what it needs: license_share does "
                "not change inherited rules; remove it on the parent folder"
            )
        elif rule.rights in ("full", "other"):
            acl.warnings.append(
                f"{name} gets more than modify through the inherited rule '{rule.describe()}': license_share "
                "does not change inherited rules; remove it on the parent folder"
            )


def _short_of_full(rule: AccessRule) -> str:
    """Why an administrators' rule is not full control of the folder and everything in it."""
    if rule.type == "deny":
        return "denies them access: it is replaced by full control (files, folders)"
    if rule.rights != "full":
        return "gives less than full control: it is replaced by full control (files, folders)"
    return "covers the folder only: it is replaced by full control inherited by its files and subfolders"


def _admin_rules(
    folder: Mapping[str, Any], explicit: list[AccessRule], rules: list[AccessRule], acl: _AclPlan
) -> None:
    """The administrators keep full control of the folder and everything in it: explicit or inherited
    ``allow full (files, folders)``; an explicit weaker or deny rule of theirs is replaced."""
    name, admin_id = _administrators(folder)
    own = [r for r in explicit if r.is_for(name, admin_id)]
    weaker = [r for r in own if not _is_exact(r, "full")]
    acl.revoke += weaker
    acl.reasons += [f"the administrators' rule '{r.describe()}' {_short_of_full(r)}" for r in weaker]
    if not any(r.is_for(name, admin_id) and _is_exact(r, "full") for r in rules):
        full = AccessRule(identity=name, id=admin_id, rights="full", inherit_files=True, inherit_folders=True)
        acl.grant.append(full)
        if not weaker:
            acl.reasons.append(f"the administrators ({name}) have no full control")


def _plan_acl(
    desired: LicenseShareDesired, folder: Mapping[str, Any], grantees: list[_Grantee]
) -> tuple[_AclPlan, list[AccessRule], list[AccessRule]]:
    exists = bool(folder.get("exists"))
    rules = rules_from_state(folder.get("rules")) if exists else []
    explicit = [r for r in rules if not r.inherited]
    inherited = [r for r in rules if r.inherited]
    acl = _AclPlan()
    if not exists:
        acl.reasons.append(f"folder {desired.path} does not exist")
    for grantee in grantees:
        _account_rules(grantee, explicit, inherited, acl)
    _admin_rules(folder, explicit, rules, acl)
    mine = [r for r in explicit if any(g.owns(r) for g in grantees) or is_administrator(r.identity, r.id)]
    others = [r for r in explicit if r not in mine]
    for rule in (r for r in others if r.type == "allow"):
        if desired.exclusive:
            acl.revoke.append(rule)
            acl.reasons.append(f"exclusive: revoke '{rule.describe()}'")
        elif is_broad(rule.identity, rule.id):
            acl.warnings.append(
                f"the folder has the explicit rule '{rule.describe()}' (everybody): it is kept because "
                "exclusive is false; set exclusive: true to remove it"
            )
    for rule in (r for r in inherited if r.type == "allow" and is_broad(r.identity, r.id)):
        acl.warnings.append(
            f"the inherited rule '{rule.describe()}' gives everybody access to the license folder: "
            "license_share does not change inherited rules; disable inheritance on the folder or remove "
            "it on the parent"
        )
    revoked = {id(r) for r in acl.revoke}
    after = [r for r in explicit if id(r) not in revoked] + acl.grant
    return acl, after, inherited


# ---------------------------------------------------------------------------------------------------
# The share
# ---------------------------------------------------------------------------------------------------


def _plan_share_access(
    desired: LicenseShareDesired,
    share: Mapping[str, Any],
    folder: Mapping[str, Any],
    grantees: list[_Grantee],
) -> tuple[list[AccessRule], list[str]]:
    """Share-level access after the change, and why it changes: each account exactly modify (Change),
    the administrators full; other grants kept unless ``exclusive``; deny entries of others kept."""
    current = (
        [r for r in rules_from_state(share.get("access")) if not r.inherited] if share.get("exists") else []
    )
    reasons = []
    after = []
    for grantee in grantees:
        own = [r for r in current if grantee.owns(r)]
        exact = next((r for r in own if r.type == "allow" and r.rights == "modify"), None)
        if exact is None or len(own) > 1:
            reasons.append(f"{grantee.account.qualified} has no exact modify (change) access to the share")
        after.append(exact or grantee.rule(rights="modify"))
    name, admin_id = _administrators(folder)
    admin = next(
        (r for r in current if r.is_for(name, admin_id) and r.type == "allow" and r.rights == "full"), None
    )
    if admin is None:
        reasons.append(f"the administrators ({name}) have no full access to the share")
    after.append(admin or AccessRule(identity=name, id=admin_id, rights="full"))
    for rule in current:
        if any(g.owns(rule) for g in grantees) or rule.is_for(name, admin_id):
            continue
        if is_administrator(rule.identity, rule.id):
            after.append(rule)
            continue
        if rule.type == "allow" and (desired.exclusive or is_broad(rule.identity, rule.id)):
            why = "exclusive" if desired.exclusive else "never shared with everybody"
            reasons.append(f"{why}: remove share access '{rule.describe()}'")
            continue
        after.append(rule)
    return after, reasons


def _passwords(
    share: Mapping[str, Any], grantees: list[_Grantee]
) -> tuple[dict[str, str], dict[str, tuple[str, str]], list[str]]:
    """Where the host keeps share passwords: (passwords to set, account -> the diff's (before, after)
    markers, warnings). A password is set when the host has none or reports that it differs."""
    users = share.get("users")
    if not isinstance(users, Mapping):
        return {}, {}, []
    to_set: dict[str, str] = {}
    markers: dict[str, tuple[str, str]] = {}
    warnings = []
    for grantee in grantees:
        name = grantee.account.qualified
        entry = find_account({"accounts": users}, grantee.account)
        exists = bool(entry.get("exists"))
        password = grantee.share_account.password
        if password is None:
            markers[name] = (SECRET_SET, SECRET_SET) if exists else (NOT_SET, NOT_SET)
            if not exists:
                warnings.append(
                    f"{name} has no share password on this host and none was given: it cannot connect to "
                    "the share; give accounts: [{name: ..., password: ...}]"
                )
        elif exists and entry.get("password_matches") is True:
            markers[name] = (SECRET_UNCHANGED, SECRET_UNCHANGED)
        else:
            to_set[name] = password
            markers[name] = (SECRET_SET, SECRET_CHANGED) if exists else (NOT_SET, SECRET_SET)
    return to_set, markers, warnings


# ---------------------------------------------------------------------------------------------------
# The plan
# ---------------------------------------------------------------------------------------------------


def _descriptions(rules: list[AccessRule]) -> list[str]:
    return [r.describe() for r in rules]


def _share_view(share: Mapping[str, Any], access: list[AccessRule] | None = None) -> dict[str, Any]:
    if not share.get("exists"):
        return {"exists": False}
    rules = access if access is not None else rules_from_state(share.get("access"))
    return {
        "exists": True,
        "name": share.get("name"),
        "path": share.get("path"),
        "description": share.get("description"),
        "access": _descriptions(rules),
    }


def smb_path(host: str, share: str) -> str:
    return f"\\\\{host}\\{share}"


def plan_license_share(
    desired: LicenseShareDesired, state: Mapping[str, Any], *, check_mode: bool = False
) -> Plan:
    """``check_mode``: the plan is only shown, never applied, so an account the host does not know yet
    is a warning rather than a failure (see ``_grantees``)."""
    folder = state.get("folder") or {}
    share = state.get("share") or {}
    grantees, missing_warnings = _grantees(desired, state, check_mode)
    changes = []

    acl, rules_after, inherited = _plan_acl(desired, folder, grantees)
    if acl.grant or acl.revoke or not folder.get("exists"):
        args = {
            "path": desired.path,
            "create": not folder.get("exists"),
            "grant": [r.to_dict() for r in acl.grant],
            "revoke": [r.to_dict() for r in acl.revoke],
            "rules": [r.to_dict() for r in rules_after],
        }
        changes.append(Change("acl.ensure", args, "; ".join(acl.reasons)))

    exists = bool(share.get("exists"))
    access, reasons = _plan_share_access(desired, share, folder, grantees)
    passwords, markers, password_warnings = _passwords(share, grantees)
    if not exists:
        reasons.insert(0, f"share {desired.name} does not exist")
    elif not same_path(share.get("path"), desired.path):
        reasons.insert(0, f"share {desired.name} points to {quoted(share.get('path'))}, not {desired.path}")
    description = desired.description if desired.description is not None else share.get("description")
    if exists and desired.description is not None and share.get("description") != desired.description:
        reasons.append("the description differs")
    if passwords:
        reasons.append(f"the share password of {', '.join(passwords)} is not set or differs")
    if reasons:
        args = {
            "name": desired.name,
            "path": desired.path,
            "description": description,
            "create": not exists,
            "access": [r.to_dict() for r in access],
            "passwords": passwords,
        }
        changes.append(Change("share.ensure", args, "; ".join(reasons), secret_args=("passwords",)))

    explicit_before = [r for r in rules_from_state(folder.get("rules")) if not r.inherited]
    before = {
        "share": _share_view(share),
        "folder": {"exists": bool(folder.get("exists")), "rules": _descriptions(explicit_before)},
    }
    after_share = {
        "exists": True,
        "name": desired.name,
        "path": desired.path,
        "description": description,
        "access": _descriptions(access),
    }
    after = {"share": after_share, "folder": {"exists": True, "rules": _descriptions(rules_after)}}
    if markers:
        before["share_passwords"] = {name: pair[0] for name, pair in markers.items()}
        after["share_passwords"] = {name: pair[1] for name, pair in markers.items()}
    if inherited:
        before["folder"]["inherited"] = after["folder"]["inherited"] = _descriptions(inherited)

    result = {
        "smb_path": smb_path(desired.fls_host, desired.name),
        "share": desired.name,
        "path": desired.path,
        "accounts": [g.account.qualified for g in grantees],
        "exclusive": desired.exclusive,
        "granted": _descriptions(acl.grant),
        "revoked": _descriptions(acl.revoke),
        "inherited_rules": [r.to_dict() for r in inherited],
    }
    return Plan(
        changes=tuple(changes),
        diff={"before": before, "after": after},
        warnings=tuple(dict.fromkeys([*missing_warnings, *acl.warnings, *password_warnings])),
        result=result,
    )
