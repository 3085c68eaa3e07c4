# Copyright: (c) 2026, printops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A platform-neutral model of folder and share access rules, for the ``license_share`` planner.

Domain core: standard library only, no I/O, no Ansible imports. The readers (Windows and lab) report
each access rule of a folder or share as an ``AccessRule`` dict; the adapters turn the rules of an
``acl.ensure`` or ``share.ensure`` change back into the platform's own. Names starting with ``_`` are
private helpers.

Rights, one vocabulary for folders and shares:

========  ==============================================  =============================  ===================
rights    meaning                                         Windows folder (FileSystem-    Windows share
                                                          Rights)                        (SMB share access)
========  ==============================================  =============================  ===================
full      everything, also permissions and ownership      FullControl                    Full
modify    read, write, create, delete; no permission or   Modify (+ Synchronize)         Change
          ownership change
read      read and list (and execute)                     ReadAndExecute (+ Synchronize) Read
other     anything else; ``raw`` keeps the platform's     e.g. ``Write, Synchronize``    (none)
          value
========  ==============================================  =============================  ===================

Windows inheritance: ``ObjectInherit`` -> ``inherit_files``, ``ContainerInherit`` ->
``inherit_folders``. A rule with propagation flags other than ``None`` (InheritOnly,
NoPropagateInherit) is reported as ``other`` with the flags in ``raw``: it is never the exact grant.

Lab (POSIX ACLs, ``getfacl`` of the folder; rights are the effective ones, entry AND mask):

- named ``user:<name>:rwx`` + ``default:user:<name>:rwx`` -> ``modify``, inherited by files and folders
  (a default ACL applies to both); ``r-x`` -> ``read``; any other perms -> ``other``; an access entry
  without a default entry -> the same rights for the folder only; a default entry that differs from
  the access entry (inherit-only included) -> ``other`` with ``raw`` such as
  ``user:svc:rw-/default:user:svc:r-x``; ``---`` (both) -> no rule (``lab_acl`` does this mapping);
- the owner entry ``user::rwx`` -> ``full`` for the owner (it may change permissions); the owning group
  and named groups as ``group:<name>`` with id ``gid:N``, ``rwx`` -> ``modify``;
- ``other::`` with any perms -> a rule for ``Everyone`` with id ``other``;
- ids are ``uid:N`` / ``gid:N``; nothing is inherited on the lab (``inherited`` is always false).

What ``license_share`` makes on the lab (lab/README.md): a folder it creates has exactly owner ``root``,
group ``root``; access ACL ``user::rwx``, ``user:<account>:rwx`` per account, ``group::---``,
``mask::rwx``, ``other::---``; default ACL ``default:user::rwx``, ``default:user:<account>:rwx``,
``default:group::---``, ``default:mask::rwx``, ``default:other::---``. An existing folder gets the same
account and owner entries; its other entries are grants, kept unless ``exclusive`` (named entries
removed, ``other`` and an owning group other than root emptied) - except the owning group root's
(``group::r-x`` as ``lab/ctl.py up`` makes the folder), an administrators' grant (``gid:0``), which
stays even with ``exclusive``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "ADMINISTRATOR_IDS",
    "BROAD_IDS",
    "DEFAULT_ADMINISTRATORS",
    "RIGHTS",
    "RULE_TYPES",
    "AccessRule",
    "broad_name",
    "is_administrator",
    "is_broad",
    "normalised_name",
    "rules_from_state",
    "same_identity",
]

RIGHTS = ("full", "modify", "read", "other")
RULE_TYPES = ("allow", "deny")

# Identities that administer the host: they keep full control, are never revoked, and are refused as
# ORS accounts. Windows: BUILTIN\Administrators, SYSTEM; lab: root (user and group).
ADMINISTRATOR_IDS = {
    "s-1-5-32-544": "BUILTIN\\Administrators",
    "s-1-5-18": "NT AUTHORITY\\SYSTEM",
    "uid:0": "root",
    "gid:0": "root (group)",
}
_ADMINISTRATOR_NAMES = frozenset({"administrators", "system", "local system", "domain admins"})
_ADMINISTRATOR_RID = re.compile(r"s-1-5-21(-\d+)+-(500|512|519)")  # Administrator, Domain/Enterprise Admins
DEFAULT_ADMINISTRATORS = {"identity": "BUILTIN\\Administrators", "id": "S-1-5-32-544"}

# Identities that stand for (almost) everybody: never granted, refused as accounts, warned about.
BROAD_IDS = {
    "s-1-1-0": "Everyone",
    "other": "Everyone",
    "s-1-5-11": "Authenticated Users",
    "s-1-5-32-545": "BUILTIN\\Users",
    "s-1-5-32-546": "BUILTIN\\Guests",
    "s-1-5-7": "ANONYMOUS LOGON",
    "s-1-5-4": "INTERACTIVE",
    "s-1-5-2": "NETWORK",
}
_BROAD_NAMES = frozenset(
    {"everyone", "authenticated users", "users", "guests", "guest", "anonymous logon", "anonymous"}
    | {"interactive", "network", "domain users", "domain guests", "domain computers", "world"}
)
_BROAD_RID = re.compile(r"s-1-5-21(-\d+)+-(501|513|514|515)")  # Guest, Domain Users/Guests/Computers
_LOCAL_DOMAINS = frozenset({".", "builtin", "nt authority"})


def normalised_name(name: str) -> str:
    """A name for comparisons: case-folded, blanks trimmed, and the local and well-known domains
    (``.\\``, ``BUILTIN\\``, ``NT AUTHORITY\\``) dropped; other domains are kept."""
    text = name.strip().casefold()
    domain, sep, user = text.rpartition("\\")
    if sep and domain in _LOCAL_DOMAINS:
        return user
    return text


def _user_part(name: str) -> str:
    text = name.strip().casefold()
    if "\\" in text:
        return text.rpartition("\\")[2]
    if "@" in text:
        return text.partition("@")[0]
    return text


def is_administrator(identity: str | None, id_: str | None) -> bool:
    """Whether the identity administers the host (see ``ADMINISTRATOR_IDS``)."""
    if id_:
        key = id_.casefold()
        return key in ADMINISTRATOR_IDS or bool(_ADMINISTRATOR_RID.fullmatch(key))
    return bool(identity) and _user_part(identity) in _ADMINISTRATOR_NAMES


def broad_name(identity: str | None, id_: str | None = None) -> str | None:
    """The well-known name when the identity stands for (almost) everybody, else ``None``."""
    if id_:
        key = id_.casefold()
        if key in BROAD_IDS:
            return BROAD_IDS[key]
        if _BROAD_RID.fullmatch(key):
            return identity or id_
    if identity:
        if identity.strip().casefold() in BROAD_IDS:
            return BROAD_IDS[identity.strip().casefold()]
        if _user_part(identity) in _BROAD_NAMES:
            return identity
    return None


def is_broad(identity: str | None, id_: str | None = None) -> bool:
    return broad_name(identity, id_) is not None


def same_identity(a_name: str | None, a_id: str | None, b_name: str | None, b_id: str | None) -> bool:
    """By id (SID, ``uid:N``) when both are known, else by ``normalised_name``."""
    if a_id and b_id:
        return a_id.casefold() == b_id.casefold()
    if a_name and b_name:
        return normalised_name(a_name) == normalised_name(b_name)
    return False


@dataclass(frozen=True)
class AccessRule:
    """One access rule of a folder (or share, where the inheritance fields stay false).

    ``identity``: the name as the host reports it; ``id``: SID on Windows, ``uid:N``/``gid:N``/``other``
    on the lab, ``None`` when unknown. ``rights``: one of ``RIGHTS``; ``raw`` keeps the platform's value
    when it is ``other``. ``inherited``: the rule comes from a parent folder (never changed here).
    """

    identity: str
    id: str | None = None
    rights: str = "modify"
    type: str = "allow"
    inherit_files: bool = False
    inherit_folders: bool = False
    inherited: bool = False
    raw: str | None = None

    def __post_init__(self) -> None:
        if self.rights not in RIGHTS:
            raise ValueError(f"unknown rights {self.rights!r}; known: {', '.join(RIGHTS)}")
        if self.type not in RULE_TYPES:
            raise ValueError(f"unknown rule type {self.type!r}; known: {', '.join(RULE_TYPES)}")

    @classmethod
    def from_state(cls, entry: Mapping[str, Any]) -> AccessRule:
        """A rule from a reader's dict. Unknown rights become ``other`` with the value kept in ``raw``;
        a missing type is ``allow``."""
        rights = str(entry.get("rights") or "other")
        raw = entry.get("raw")
        if rights not in RIGHTS:
            rights, raw = "other", raw or rights
        kind = str(entry.get("type") or "allow").lower()
        return cls(
            identity=str(entry.get("identity") or entry.get("id") or "?"),
            id=str(entry["id"]) if entry.get("id") else None,
            rights=rights,
            type=kind if kind in RULE_TYPES else "deny",  # an unknown type is never taken for a grant
            inherit_files=bool(entry.get("inherit_files")),
            inherit_folders=bool(entry.get("inherit_folders")),
            inherited=bool(entry.get("inherited")),
            raw=None if raw is None else str(raw),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "identity": self.identity,
            "id": self.id,
            "rights": self.rights,
            "type": self.type,
            "inherit_files": self.inherit_files,
            "inherit_folders": self.inherit_folders,
            "inherited": self.inherited,
            "raw": self.raw,
        }

    @property
    def inherits_fully(self) -> bool:
        return self.inherit_files and self.inherit_folders

    def is_for(self, identity: str | None, id_: str | None) -> bool:
        return same_identity(self.identity, self.id, identity, id_)

    def describe(self) -> str:
        """One line for diffs and messages: ``allow CORP\\svc modify (files, folders)``."""
        rights = f"other ({self.raw})" if self.rights == "other" and self.raw else self.rights
        scope = [
            name for name, on in (("files", self.inherit_files), ("folders", self.inherit_folders)) if on
        ]
        tail = f" ({', '.join(scope)})" if scope else ""
        origin = " [inherited]" if self.inherited else ""
        return f"{self.type} {self.identity} {rights}{tail}{origin}"


def rules_from_state(entries: Any) -> list[AccessRule]:
    """The rules of a reader's list; anything that is not a dict is skipped."""
    return [AccessRule.from_state(e) for e in entries or () if isinstance(e, Mapping)]
