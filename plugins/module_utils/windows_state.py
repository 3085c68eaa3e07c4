# Copyright: (c) 2026, printops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Windows reader's output (``win_host_state.ps1``) as the host state of docs/internals.md.

Standard library only, no I/O, no Ansible imports. The PowerShell reader stays small and returns what
Windows reports nearly as it is (SIDs, ``FileSystemRights`` masks, inheritance flags as text, every
network adapter); the logic lives here, where it is unit-tested against recorded outputs
(``tests/unit/plugins/module_utils/fixtures/windows/``). ``host_state(raw)`` returns the same shape as
the lab reader, so no planner knows the platform. What Windows reports differently:

- identities are compared by SID (``id``); names are localized (``VORDEFINIERT\\Administratoren``) and
  only shown;
- ``accounts[*].password_matches`` is ``None`` (Windows cannot compare a password before setting it),
  ``group``/``groups`` are ``None``;
- ``settings`` has no ``owner``/``group``/``mode`` but ``protection``: why the store's ACL is not exactly
  Administrators and SYSTEM full control plus the service's account read, inheritance disabled, owned
  by Administrators or SYSTEM (``None`` when it is);
- ``share.users`` is ``None`` (no share passwords of its own).

Access rules (``acl_model.AccessRule`` dicts): ``raw`` is ``"<FileSystemRights names>; <inheritance
flags>; <propagation flags>"`` as .NET prints them, e.g. ``"Modify, Synchronize; ContainerInherit,
ObjectInherit; None"``, so an adapter can give a rule back to ``win_acl`` exactly as it was read
(``rights``, ``inherit``, ``propagation``); a share rule's ``raw`` is its ``AccessRight`` (``Change``).

A malformed output (a reader bug) raises ``WindowsStateError`` naming the field. Sections the
planners act on (``REQUIRED_SECTIONS``) must not be ``null``: the reader made them null because it could
not read them, and a plan made on an unknown state could revoke or rewrite what it did not see.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from ansible_collections.printops.prismadirect.plugins.module_utils.acl_model import (
    DEFAULT_ADMINISTRATORS,
    is_administrator,
)
from ansible_collections.printops.prismadirect.plugins.module_utils.settings import SECRET_KEYS

__all__ = [
    "ADMINISTRATORS_SID",
    "FILE_SYSTEM_RIGHTS",
    "REQUIRED_SECTIONS",
    "SYSTEM_SID",
    "WindowsStateError",
    "file_rights",
    "file_rule",
    "host_state",
    "mac_address",
    "mac_addresses",
    "rights_names",
    "share_rule",
    "store_protection",
]

ADMINISTRATORS_SID = "S-1-5-32-544"
SYSTEM_SID = "S-1-5-18"
REQUIRED_SECTIONS = ("service", "accounts", "settings", "folder", "share")


class WindowsStateError(ValueError):
    """The reader's output is not what win_host_state.ps1 returns: a bug, never a host condition."""

    def __init__(self, message: str) -> None:
        super().__init__(f"the Windows reader (win_host_state.ps1) returned an unexpected result: {message}")


# ---------------------------------------------------------------------------------------------------
# Checked access to the raw output
# ---------------------------------------------------------------------------------------------------


def _kind_name(kinds: tuple[type, ...]) -> str:
    names = {str: "a string", bool: "true or false", int: "an integer", list: "a list", Mapping: "an object"}
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def _field(entry: Mapping[str, Any], key: str, where: str, *kinds: type, optional: bool = False) -> Any:
    """``entry[key]``, which must be one of ``kinds`` (``None`` too when ``optional``)."""
    if key not in entry or entry[key] is None:
        if optional:
            return None
        raise WindowsStateError(f"{where}.{key} is {'null' if key in entry else 'missing'}")
    value = entry[key]
    wrong_bool = isinstance(value, bool) and bool not in kinds  # True is an int to Python, not here
    if wrong_bool or not isinstance(value, kinds):
        raise WindowsStateError(f"{where}.{key}: expected {_kind_name(kinds)}, got {type(value).__name__}")
    return value


def _entries(value: Any, where: str) -> list[Mapping[str, Any]]:
    """A list of objects; ``None`` is an empty list."""
    if value is None:
        return []
    if not isinstance(value, Sequence) or isinstance(value, str):
        raise WindowsStateError(f"{where}: expected a list, got {type(value).__name__}")
    for index, entry in enumerate(value):
        if not isinstance(entry, Mapping):
            raise WindowsStateError(f"{where}[{index}]: expected an object, got {type(entry).__name__}")
    return list(value)


def _section(raw: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = raw[key]
    if not isinstance(value, Mapping):
        raise WindowsStateError(f"{key}: expected an object, got {type(value).__name__}")
    return value


_SID_RE = re.compile(r"S-1(-\d+)+", re.IGNORECASE)


def _sid(entry: Mapping[str, Any], key: str, where: str) -> str | None:
    value = _field(entry, key, where, str, optional=True)
    if value is not None and not _SID_RE.fullmatch(value):
        raise WindowsStateError(f"{where}.{key}: {value!r} is not a SID")
    return value.upper() if value else None


# ---------------------------------------------------------------------------------------------------
# FileSystemRights and share rights
# ---------------------------------------------------------------------------------------------------

SYNCHRONIZE = 0x100000
# Generic rights (inherited CREATOR OWNER and "Authenticated Users" rules carry them) mapped to what they
# mean for files (FILE_ALL_ACCESS, FILE_GENERIC_EXECUTE/WRITE/READ).
_GENERIC = ((0x10000000, 0x1F01FF), (0x20000000, 0x1200A0), (0x40000000, 0x120116), (0x80000000, 0x120089))
# With Synchronize: FullControl, Modify, ReadAndExecute, Read.
_EXACT = {0x1F01FF: "full", 0x1301BF: "modify", 0x1200A9: "read", 0x120089: "read"}
# FileSystemRights names, largest first, as .NET's Enum.ToString() picks them.
FILE_SYSTEM_RIGHTS = (
    ("FullControl", 0x1F01FF), ("Synchronize", 0x100000), ("TakeOwnership", 0x80000),
    ("ChangePermissions", 0x40000), ("Modify", 0x301BF), ("ReadAndExecute", 0x200A9), ("Read", 0x20089),
    ("ReadPermissions", 0x20000), ("Delete", 0x10000), ("Write", 0x116), ("WriteAttributes", 0x100),
    ("ReadAttributes", 0x80), ("DeleteSubdirectoriesAndFiles", 0x40), ("ExecuteFile", 0x20),
    ("WriteExtendedAttributes", 0x10), ("ReadExtendedAttributes", 0x8), ("AppendData", 0x4),
    ("CreateFiles", 0x2), ("ReadData", 0x1),
)  # fmt: skip


def file_rights(mask: int) -> str:
    """``full``, ``modify``, ``read`` or ``other`` for a ``FileSystemRights`` mask (as a signed or unsigned
    32-bit number). Synchronize does not count; generic rights count as the file rights they stand for."""
    specific = mask & 0xFFFFFFFF
    for bit, rights in _GENERIC:
        if specific & bit:
            specific = (specific & ~bit) | rights
    return _EXACT.get(specific | SYNCHRONIZE, "other")


def rights_names(mask: int) -> str:
    """The mask as .NET prints a ``FileSystemRights`` value: ``"Modify, Synchronize"``; the signed number
    (``"-536805376"``) when it has bits without a name (generic rights). ``win_acl`` takes either."""
    rest, names = mask & 0xFFFFFFFF, []
    for name, value in FILE_SYSTEM_RIGHTS:
        if rest & value == value:
            names.insert(0, name)
            rest &= ~value
    if rest or not names:
        unsigned = mask & 0xFFFFFFFF
        return str(unsigned - (1 << 32) if unsigned & 0x80000000 else unsigned)
    return ", ".join(names)


_INHERITANCE = ("ContainerInherit", "ObjectInherit")  # bits 1, 2
_PROPAGATION = ("NoPropagateInherit", "InheritOnly")  # bits 1, 2


def _flags(value: Any, known: tuple[str, str], where: str) -> tuple[str, ...]:
    """The flag names of ``InheritanceFlags``/``PropagationFlags`` text (``"ContainerInherit,
    ObjectInherit"``, ``"None"``) or number, in .NET's order; ``()`` for None."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 3:
        return tuple(name for bit, name in ((1, known[0]), (2, known[1])) if value & bit)
    if not isinstance(value, str):
        raise WindowsStateError(f"{where}: expected flag names such as {', '.join(known)} or None")
    given = {part.strip().casefold() for part in value.split(",")} - {"", "none"}
    unknown = given - {name.casefold() for name in known}
    if unknown:
        raise WindowsStateError(
            f"{where}: unknown flags {', '.join(sorted(unknown))}; known: {', '.join(known)}"
        )
    return tuple(name for name in known if name.casefold() in given)


def _rule_type(value: Any, where: str) -> str:
    """``allow`` or ``deny`` from ``AccessControlType`` text or number (0 Allow, 1 Deny)."""
    text = str(value).strip().casefold()
    kind = {"allow": "allow", "0": "allow", "deny": "deny", "1": "deny"}.get(text)
    if kind is None or isinstance(value, bool):
        raise WindowsStateError(f"{where}: {value!r} is not Allow or Deny")
    return kind


def file_rule(entry: Mapping[str, Any], where: str = "rule") -> dict[str, Any]:
    """An ``AccessRule`` dict of a folder's or file's access rule as the reader reports it.

    A rule that does not apply to the folder itself in the plain way (propagation flags other than None:
    InheritOnly, NoPropagateInherit) is ``other``: it is never the exact grant (``acl_model``)."""
    sid = _sid(entry, "sid", where)
    identity = _field(entry, "identity", where, str, optional=True) or sid
    if not identity:
        raise WindowsStateError(f"{where} has neither sid nor identity")
    mask = _field(entry, "rights_mask", where, int)
    inherit = _flags(entry.get("inheritance_flags", "None"), _INHERITANCE, f"{where}.inheritance_flags")
    propagate = _flags(entry.get("propagation_flags", "None"), _PROPAGATION, f"{where}.propagation_flags")
    return {
        "identity": identity,
        "id": sid,
        "rights": "other" if propagate else file_rights(mask),
        "type": _rule_type(_field(entry, "type", where, str, int), f"{where}.type"),
        "inherit_files": "ObjectInherit" in inherit,
        "inherit_folders": "ContainerInherit" in inherit,
        "inherited": bool(_field(entry, "inherited", where, bool, optional=True)),
        "raw": f"{rights_names(mask)}; {', '.join(inherit) or 'None'}; {', '.join(propagate) or 'None'}",
    }


# Get-SmbShareAccess AccessRight: Full (0), Change (1), Read (2), Custom (3).
_SHARE_RIGHTS = {"full": ("full", "Full"), "change": ("modify", "Change"), "read": ("read", "Read")}
_SHARE_RIGHTS |= {"custom": ("other", "Custom"), "0": ("full", "Full"), "1": ("modify", "Change")}
_SHARE_RIGHTS |= {"2": ("read", "Read"), "3": ("other", "Custom")}


def share_rule(entry: Mapping[str, Any], where: str = "share.access") -> dict[str, Any]:
    """An ``AccessRule`` dict of a share access entry (``Get-SmbShareAccess``)."""
    sid = _sid(entry, "sid", where)
    identity = _field(entry, "identity", where, str, optional=True) or sid
    if not identity:
        raise WindowsStateError(f"{where} has neither sid nor identity")
    right = str(_field(entry, "access_right", where, str, int)).strip()
    rights, raw = _SHARE_RIGHTS.get(right.casefold(), ("other", right))
    return {
        "identity": identity,
        "id": sid,
        "rights": rights,
        "type": _rule_type(_field(entry, "type", where, str, int), f"{where}.type"),
        "inherit_files": False,
        "inherit_folders": False,
        "inherited": False,
        "raw": raw,
    }


# ---------------------------------------------------------------------------------------------------
# Sections
# ---------------------------------------------------------------------------------------------------

_START_MODES = {"automatic": "auto", "automaticdelayedstart": "delayed"}


def _service(raw: Mapping[str, Any]) -> dict[str, Any]:
    """A delayed start stays ``delayed``: the planner must see that it is not ``auto``."""
    where = "service"
    exists = bool(_field(raw, "exists", where, bool))
    mode = _field(raw, "start_mode", where, str, optional=True)
    state = _field(raw, "state", where, str, optional=True)
    mode = mode and _START_MODES.get(mode.strip().casefold(), mode.strip().casefold())
    name = _field(raw, "display_name", where, str, optional=True) or _field(raw, "name", where, str)
    return {
        "name": name,
        "exists": exists,
        "account": _field(raw, "start_name", where, str, optional=True) if exists else None,
        "account_id": _sid(raw, "start_name_sid", where) if exists else None,
        "start_mode": mode if exists else None,
        "state": state.strip().casefold().replace(" ", "_") if exists and state else None,
    }


def _accounts(raw: Mapping[str, Any], logon_sids: Any) -> dict[str, Any]:
    """``service_logon``: the account's SID holds SeServiceLogonRight directly (through a group is not
    seen: the planner then grants it, which ``win_user_right`` ``add`` does only if missing). ``None`` when
    the holders could not be read."""
    holders = None
    if logon_sids is not None:
        if not isinstance(logon_sids, Sequence) or isinstance(logon_sids, str):
            raise WindowsStateError("service_logon_sids: expected a list of SIDs")
        holders = {str(h).casefold() for h in logon_sids}
    accounts = {}
    for name, entry in raw.items():
        where = f"accounts[{name!r}]"
        if not isinstance(entry, Mapping):
            raise WindowsStateError(f"{where}: expected an object, got {type(entry).__name__}")
        sid = _sid(entry, "sid", where)
        exists = bool(_field(entry, "exists", where, bool)) and sid is not None
        accounts[str(name)] = {
            "exists": exists,
            "id": sid if exists else None,
            "group": None,
            "groups": None,
            "service_logon": None if holders is None else exists and sid.casefold() in holders,
            "password_matches": None,
        }
    return accounts


def _is(rule: Mapping[str, Any], sid: str | None) -> bool:
    return bool(sid and rule.get("id") and str(rule["id"]).casefold() == sid.casefold())


def store_protection(
    rules: Sequence[Mapping[str, Any]], protected: bool | None, owner_sid: str | None, account_sid: str | None
) -> str | None:
    """Why the settings store's ACL is not exactly: Administrators and SYSTEM full control, the service's
    account (``account_sid``) read, no other allow rule, inheritance disabled, owned by Administrators or
    SYSTEM (an owner may change the ACL). ``None`` when it is. ``rules``: ``file_rule`` dicts."""
    problems = []
    if protected is False:
        problems.append("it inherits access rules from its folder")
    if owner_sid and owner_sid.upper() not in (ADMINISTRATORS_SID, SYSTEM_SID):
        problems.append(f"it is owned by {owner_sid}, who may change its access rules")
    allow = [r for r in rules if r["type"] == "allow"]
    for sid, name in ((ADMINISTRATORS_SID, "BUILTIN\\Administrators"), (SYSTEM_SID, "NT AUTHORITY\\SYSTEM")):
        if not any(_is(r, sid) and r["rights"] == "full" for r in allow):
            problems.append(f"{name} ({sid}) has no full control")
    reader = account_sid if account_sid and not is_administrator(None, account_sid) else None
    if reader and not any(_is(r, reader) and r["rights"] == "read" for r in allow):
        problems.append(f"the service's account ({reader}) cannot read it")
    for rule in rules:
        required = any(_is(rule, sid) for sid in (ADMINISTRATORS_SID, SYSTEM_SID, reader))
        if rule["type"] == "deny" and required:
            problems.append(f"{rule['identity']} is denied {rule['rights']} access")
        elif rule["type"] == "allow" and not required:
            problems.append(f"{rule['identity']} has {rule['rights']} access")
        elif rule["type"] == "allow" and _is(rule, reader) and rule["rights"] != "read":
            problems.append(f"the service's account {rule['identity']} has {rule['rights']} access, not read")
    return f"the settings store's access rules: {'; '.join(problems)}" if problems else None


def _safe_view(document: Mapping[str, Any], warnings: list[str]) -> dict[str, Any]:
    """The view, with a secret that is not ``{set, fingerprint}`` (a reader bug) never passed on."""
    view = dict(document)
    for key in SECRET_KEYS:
        section, name = key.split(".")
        values = view.get(section)
        if not isinstance(values, Mapping) or name not in values:
            continue
        entry = values[name]
        if not (isinstance(entry, Mapping) and set(entry) <= {"set", "fingerprint"}):
            warnings.append(f"the reader returned {key} as a value, not as {{set, fingerprint}}: dropped")
            view[section] = {**values, name: {"set": entry not in (None, ""), "fingerprint": None}}
    return view


def _settings(raw: Mapping[str, Any], account_sid: str | None, warnings: list[str]) -> dict[str, Any]:
    where = "settings"
    exists = bool(_field(raw, "exists", where, bool))
    document = _field(raw, "document", where, Mapping, optional=True)
    access = raw.get("access")
    rules = [file_rule(e, f"{where}.access[{i}]") for i, e in enumerate(_entries(access, f"{where}.access"))]
    protection = None
    if exists and access is None:
        warnings.append("the settings store's access rules could not be read: its protection is not checked")
    elif exists:
        owner = _sid(raw, "owner_sid", where)
        protected = _field(raw, "protected", where, bool, optional=True)
        protection = store_protection(rules, protected, owner, account_sid)
    return {
        "path": _field(raw, "path", where, str, optional=True),
        "exists": exists,
        "owner": None,
        "group": None,
        "mode": None,
        "error": _field(raw, "error", where, str, optional=True),
        "document": _safe_view(document, warnings) if document is not None else None,
        "protection": protection,
    }


def _licenses(raw: Any) -> list[dict[str, Any]]:
    licenses = []
    for index, entry in enumerate(_entries(raw, "licenses")):
        where = f"licenses[{index}]"
        sha256 = _field(entry, "sha256", where, str).lower()
        if not re.fullmatch(r"[0-9a-f]{64}", sha256):
            raise WindowsStateError(f"{where}.sha256 is not 64 hex digits")
        licenses.append(
            {
                "name": _field(entry, "name", where, str),
                "size": _field(entry, "size", where, int),
                "sha256": sha256,
                "text": _field(entry, "text", where, str, optional=True),
            }
        )
    return sorted(licenses, key=lambda lic: lic["name"])


_MAC_HEX = re.compile(r"[0-9a-f]{12}")


def mac_address(text: Any) -> str | None:
    """12 lowercase hex digits, as the lab reader returns them, from ``00-15-5D-0A-1B-2C`` (Windows) or
    any usual notation; ``None`` for an adapter without one (empty, all zero, not a MAC)."""
    if not isinstance(text, str):
        return None
    mac = re.sub(r"[-:.\s]", "", text).lower()
    return mac if _MAC_HEX.fullmatch(mac) and mac != "0" * 12 else None


def mac_addresses(adapters: Any) -> list[str]:
    """The MAC addresses of the adapters, physical ones first, each group by adapter name, without
    duplicates (teamed adapters share one). Virtual adapters are kept: a FlexNet host id may be one of
    them; disconnected ones too: the license names the machine, not the link."""
    entries = _entries(adapters, "mac_addresses_raw")
    ordered = sorted(entries, key=lambda a: (bool(a.get("virtual")), str(a.get("name") or "").casefold()))
    macs: list[str] = []
    for adapter in ordered:
        mac = mac_address(adapter.get("mac"))
        if mac and mac not in macs:
            macs.append(mac)
    return macs


def _folder(raw: Mapping[str, Any], warnings: list[str]) -> dict[str, Any]:
    where = "folder"
    path = _field(raw, "path", where, str, optional=True)
    exists = bool(_field(raw, "exists", where, bool))
    entries = _entries(raw.get("rules"), f"{where}.rules") if exists else []
    rules = [file_rule(e, f"{where}.rules[{i}]") for i, e in enumerate(entries)]
    admins = next((r for r in rules if _is(r, ADMINISTRATORS_SID)), None)
    for rule in rules:
        if rule["id"] and rule["identity"].casefold() == rule["id"].casefold():
            warnings.append(
                f"the license folder {path} has a rule for {rule['id']}, which Windows cannot resolve "
                "(a deleted account?): it is kept unless exclusive"
            )
    return {
        "path": path,
        "exists": exists,
        "owner": _field(raw, "owner", where, str, optional=True) if exists else None,
        "owner_id": _sid(raw, "owner_sid", where) if exists else None,
        "group": None,
        "protected": bool(_field(raw, "protected", where, bool, optional=True)),
        "administrators": {
            "identity": admins["identity"] if admins else DEFAULT_ADMINISTRATORS["identity"],
            "id": ADMINISTRATORS_SID,
        },
        "rules": rules,
    }


def _share(raw: Mapping[str, Any]) -> dict[str, Any]:
    where = "share"
    exists = bool(_field(raw, "exists", where, bool))
    entries = _entries(raw.get("access"), f"{where}.access") if exists else []
    return {
        "name": _field(raw, "name", where, str, optional=True),
        "exists": exists,
        "path": _field(raw, "path", where, str, optional=True) if exists else None,
        "description": _field(raw, "description", where, str, optional=True) if exists else None,
        "access": [share_rule(e, f"{where}.access[{i}]") for i, e in enumerate(entries)],
        "users": None,
    }


def _license_server(raw: Mapping[str, Any]) -> dict[str, Any]:
    lmutil = _field(raw, "lmutil", "license_server", Mapping)
    result = {
        "lmutil": {
            "path": _field(lmutil, "path", "license_server.lmutil", str, optional=True),
            "exists": bool(_field(lmutil, "exists", "license_server.lmutil", bool)),
        }
    }
    service = _field(raw, "service", "license_server", Mapping, optional=True)
    if service is not None:
        where = "license_server.service"
        state = _field(service, "state", where, str, optional=True)
        result["service"] = {
            "name": _field(service, "name", where, str),
            "exists": bool(_field(service, "exists", where, bool)),
            "state": state.strip().casefold().replace(" ", "_") if state else None,
        }
    return result


def _names(raw: Any, where: str) -> list[str]:
    if not isinstance(raw, Sequence) or isinstance(raw, str) or not all(isinstance(n, str) for n in raw):
        raise WindowsStateError(f"{where}: expected a list of file names")
    return sorted(raw)


# ---------------------------------------------------------------------------------------------------
# The host state
# ---------------------------------------------------------------------------------------------------


def host_state(raw: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """``(host state, warnings)`` from the reader's result: the sections it read, in the lab reader's
    shape; the warnings are the reader's, then this module's. Ansible's own keys (``changed``,
    ``invocation``, ``_ansible_*``) are left out. ``WindowsStateError`` for a malformed result or a
    section of ``REQUIRED_SECTIONS`` the reader could not read."""
    if not isinstance(raw, Mapping):
        raise WindowsStateError(f"expected an object, got {type(raw).__name__}")
    if raw.get("platform") != "windows":
        raise WindowsStateError(f"platform is {raw.get('platform')!r}, not 'windows'")
    warnings = [str(w) for w in raw.get("warnings") or []]
    for key in REQUIRED_SECTIONS:
        if key in raw and raw[key] is None:
            why = "; ".join(warnings) or "no reason given"
            raise WindowsStateError(
                f"the {key} section could not be read ({why}): nothing is planned on a host state that "
                "is not known"
            )
    state: dict[str, Any] = {"platform": "windows"}
    if "service" in raw:
        state["service"] = _service(_section(raw, "service"))
    if "accounts" in raw:
        state["accounts"] = _accounts(_section(raw, "accounts"), raw.get("service_logon_sids"))
    if "settings" in raw:
        account_sid = (state.get("service") or {}).get("account_id")
        state["settings"] = _settings(_section(raw, "settings"), account_sid, warnings)
    optional = {
        "licenses": _licenses,
        "license_backups": lambda value: _names(value, "license_backups"),
        "mac_addresses_raw": mac_addresses,
        "teamviewer": lambda value: {"present": _field(value, "present", "teamviewer", bool)},
        "license_server": _license_server,
    }
    objects = ("teamviewer", "license_server")
    for key, convert in optional.items():
        if key in raw:  # null: the reader could not read it and said why in a warning
            target = "mac_addresses" if key == "mac_addresses_raw" else key
            value = _section(raw, key) if key in objects and raw[key] is not None else raw[key]
            state[target] = None if value is None else convert(value)
    if "folder" in raw:
        state["folder"] = _folder(_section(raw, "folder"), warnings)
    if "share" in raw:
        state["share"] = _share(_section(raw, "share"))
    return state, warnings
