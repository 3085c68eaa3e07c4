# Copyright: (c) 2026, printops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to this collection: the Windows adapter's license folder verbs, ``acl.ensure`` and
``share.ensure`` (docs/internals.md §4).

A mixin of ``_platform_windows.WindowsPlatform``, split out to keep each file to one job. The folder is
made by ``ansible.windows.win_file``; each granted NTFS rule is one ``ansible.windows.win_acl`` call (rules
are named by SID where the reader gave one: names are localized). A revoked rule must go exactly as it was
read, which ``win_acl`` can do only for standard rights: .NET's ``FileSystemAccessRule`` refuses generic
rights (inherited CREATOR OWNER rules have them), adds Synchronize to allow rules and drops it from deny
rules, and ``win_acl`` has no propagation ``NoPropagateInherit, InheritOnly``. Any other rule is removed by
``ansible.windows.win_powershell`` with ``REMOVE_RULE_SCRIPT``, which finds the rule object itself (SID,
mask, flags, type) and removes that. The share is ``ansible.windows.win_share`` with the complete access
list (``rule_action: set``). Windows has no separate share passwords: the accounts log on to the share with
their own.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ansible_collections.printops.prismadirect.plugins.module_utils.acl_model import AccessRule
from ansible_collections.printops.prismadirect.plugins.module_utils.windows_state import (
    FILE_SYSTEM_RIGHTS,  # the FileSystemRights names .NET prints, with their values
)
from ansible_collections.printops.prismadirect.plugins.plugin_utils._platform import PlatformError

__all__ = [
    "FOLDER_RIGHTS",
    "REMOVE_RULE_SCRIPT",
    "SHARE_RIGHTS",
    "WindowsFlsVerbs",
    "acl_args",
    "revoke_call",
    "rights_mask",
    "share_args",
]

#: ``acl_model`` rights -> FileSystemRights as win_acl takes them (allow rules get Synchronize added by
#: .NET, which is what the reader reads back as the same rights).
FOLDER_RIGHTS = {"full": "FullControl", "modify": "Modify", "read": "ReadAndExecute"}
#: ``acl_model`` rights -> the win_share option that grants them.
SHARE_RIGHTS = {"full": "full", "modify": "change", "read": "read"}
_INHERIT = {
    (True, True): "ContainerInherit, ObjectInherit",
    (True, False): "ObjectInherit",
    (False, True): "ContainerInherit",
    (False, False): "None",
}
_PROPAGATION = ("None", "InheritOnly", "NoPropagateInherit", "NoPropagateInherit, InheritOnly")
#: Masks of the rules win_acl builds exactly (FullControl, Modify, ReadAndExecute, Read; Synchronize is
#: added to allow rules, dropped from deny rules but FullControl's), and the propagation it takes.
_WIN_ACL_MASKS = {
    "allow": frozenset({0x1F01FF, 0x1301BF, 0x1200A9, 0x120089}),
    "deny": frozenset({0x1F01FF, 0x301BF, 0x200A9, 0x20089}),
}
_WIN_ACL_PROPAGATION = ("None", "InheritOnly", "NoPropagateInherit")

#: Removes the folder's explicit rule that is exactly the given one. The rule object is taken from the ACL
#: itself: FileSystemAccessRule cannot be built with generic rights, RemoveAccessRuleSpecific takes any
#: rule read. The item's SetAccessControl writes only the changed DACL (Set-Acl writes owner and group too).
REMOVE_RULE_SCRIPT = r"""[CmdletBinding(SupportsShouldProcess)]
param(
    [string]$Path,
    [string]$Sid,
    [int]$Mask,
    [System.Security.AccessControl.AccessControlType]$Type,
    [System.Security.AccessControl.InheritanceFlags]$Inheritance,
    [System.Security.AccessControl.PropagationFlags]$Propagation
)
$ErrorActionPreference = 'Stop'
$acl = Get-Acl -LiteralPath $Path
$removed = @()
foreach ($rule in $acl.GetAccessRules($true, $false, [System.Security.Principal.SecurityIdentifier])) {
    if ($rule.IdentityReference.Value -eq $Sid -and [int]$rule.FileSystemRights -eq $Mask -and
        $rule.AccessControlType -eq $Type -and $rule.InheritanceFlags -eq $Inheritance -and
        $rule.PropagationFlags -eq $Propagation) {
        $acl.RemoveAccessRuleSpecific($rule)
        $removed += "$Type $Sid $Mask; $Inheritance; $Propagation"
    }
}
if ($removed.Count -gt 0 -and -not $Ansible.CheckMode) {
    (Get-Item -LiteralPath $Path -Force).SetAccessControl($acl)
}
$Ansible.Changed = $removed.Count -gt 0
$Ansible.Result = @{ removed = $removed }
"""


def _who(rule: AccessRule) -> str:
    """The SID where known (localized names are only shown), else the name as given."""
    return rule.id if rule.id and rule.id.upper().startswith("S-1-") else rule.identity


def _raw_fields(rule: AccessRule) -> tuple[str, str, str] | None:
    """(rights, inheritance, propagation) of a rule as read, from its ``raw`` text
    ``<FileSystemRights names or number>; <inheritance flags>; <propagation flags>`` (``windows_state``),
    or ``None`` when it has another form."""
    parts = [p.strip() for p in (rule.raw or "").split(";")]
    if len(parts) != 3 or not parts[0] or parts[2] not in _PROPAGATION:
        return None
    return parts[0], parts[1], parts[2]


def rights_mask(rights: str) -> int | None:
    """The signed 32-bit ``FileSystemRights`` mask of ``raw``'s rights (a number, or names as .NET prints
    them: ``"Modify, Synchronize"``), ``None`` when it is neither."""
    text = rights.strip()
    if re.fullmatch(r"-?\d+", text):
        value = int(text)
        return value if -(2**31) <= value < 2**31 else None
    names, mask = dict(FILE_SYSTEM_RIGHTS), 0
    for name in (part.strip() for part in text.split(",")):
        if name not in names:
            return None
        mask |= names[name]
    return mask


def acl_args(path: str, rule: AccessRule, state: str) -> dict[str, Any]:
    """``win_acl`` arguments for one rule. A revoked rule is matched exactly as it was read (mask and
    flags from ``raw``); a rule of ``other`` rights can only be revoked, never granted."""
    raw = _raw_fields(rule) if state == "absent" else None
    if raw is not None:
        rights, inherit, propagation = raw
    elif rule.rights in FOLDER_RIGHTS:
        rights, propagation = FOLDER_RIGHTS[rule.rights], "None"
        inherit = _INHERIT[(rule.inherit_files, rule.inherit_folders)]
    else:
        raise PlatformError(
            f"the rule '{rule.describe()}' has rights the adapter cannot name for win_acl "
            f"(raw {rule.raw!r}): remove it in the folder's Security tab"
        )
    return {
        "path": path,
        "user": _who(rule),
        "rights": rights,
        "type": rule.type,
        "state": state,
        "inherit": inherit,
        "propagation": propagation,
    }


def revoke_call(path: str, rule: AccessRule) -> tuple[str, dict[str, Any]]:
    """The module and its arguments that remove one explicit rule exactly as read: ``win_acl`` when it
    builds the same rule, else ``win_powershell`` with ``REMOVE_RULE_SCRIPT`` (values as parameters only)."""
    raw = _raw_fields(rule)
    mask = rights_mask(raw[0]) if raw else None
    if raw is None or (mask in _WIN_ACL_MASKS[rule.type] and raw[2] in _WIN_ACL_PROPAGATION):
        return "ansible.windows.win_acl", acl_args(path, rule, "absent")
    if mask is None or not (rule.id and rule.id.upper().startswith("S-1-")):
        raise PlatformError(
            f"the rule '{rule.describe()}' cannot be removed exactly (raw {rule.raw!r}, SID {rule.id}): "
            "remove it in the folder's Security tab"
        )
    _rights, inherit, propagation = raw
    parameters = {
        "Path": path,
        "Sid": rule.id,
        "Mask": mask,
        "Type": rule.type.capitalize(),
        "Inheritance": inherit,
        "Propagation": propagation,
    }
    return "ansible.windows.win_powershell", {"script": REMOVE_RULE_SCRIPT, "parameters": parameters}


def share_args(args: Mapping[str, Any]) -> dict[str, Any]:
    """``win_share`` arguments: the complete access list of the change (``rule_action: set`` removes
    every other entry, Everyone's Read of a new share included). Lists are comma-separated names."""
    lists: dict[str, list[str]] = {"full": [], "change": [], "read": [], "deny": []}
    for rule in (AccessRule.from_state(entry) for entry in args.get("access", ())):
        if rule.type == "deny":
            lists["deny"].append(_who(rule))
        elif rule.rights in SHARE_RIGHTS:
            lists[SHARE_RIGHTS[rule.rights]].append(_who(rule))
        else:
            raise PlatformError(
                f"share {args['name']}: the entry '{rule.describe()}' has custom rights win_share cannot "
                "keep: set it to Read, Change or Full Control in the share's permissions, or use exclusive"
            )
    if not lists["full"] and not lists["change"] and not lists["read"]:
        raise PlatformError(f"share {args['name']}: no account would have access; give accounts")
    share = {
        "name": args["name"],
        "path": args["path"],
        "description": args.get("description") or "",
        "list": False,
        "rule_action": "set",
        "state": "present",
    }
    share.update({key: ",".join(dict.fromkeys(names)) for key, names in lists.items()})
    return share


class WindowsFlsVerbs:
    """``acl.ensure`` and ``share.ensure`` on Windows, with the ``WindowsPlatform`` method ``_run``."""

    def _acl_ensure(self, args: Mapping[str, Any]) -> bool:
        """The folder, then its rules: revokes first (exactly as read), then grants. Both change the
        folder's own rules; Windows propagates inheritable ones to what the folder holds."""
        path = args["path"]
        changed = self._run("ansible.windows.win_file", {"path": path, "state": "directory"})["changed"]
        for entry in args.get("revoke", ()):
            rule = AccessRule.from_state(entry)
            if rule.inherited:  # never changed (planning_share); a reader slip must not reach the host
                continue
            changed |= self._run(*revoke_call(path, rule))["changed"]
        for entry in args.get("grant", ()):
            rule = AccessRule.from_state(entry)
            changed |= self._run("ansible.windows.win_acl", acl_args(path, rule, "present"))["changed"]
        return changed

    def _share_ensure(self, args: Mapping[str, Any]) -> bool:
        return self._run("ansible.windows.win_share", share_args(args))["changed"]
