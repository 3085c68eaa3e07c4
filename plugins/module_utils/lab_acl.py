# Copyright: (c) 2026, printops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab's license folder access: POSIX ACLs as ``acl_model`` access rules, and back.

Standard library only, no I/O: the lab reader (``host_state``) turns ``getfacl -n -p`` output into
rule dicts; the lab adapter turns the rules of an ``acl.ensure`` change into ACL entries. The mapping
(lab/README.md, ``acl_model``): rights are the effective ones (entry AND mask); an access entry with the
same default entry is inherited by files and folders, one without a default entry is for the folder
only, a default entry without access rights (or one that differs) is ``other``. ``rwx`` is ``modify``
(``full`` for the owner, who may also change permissions), ``r-x`` ``read``. Every rule keeps its
entries in ``raw`` (``user:svc:rwx/default:user:svc:rwx``): the adapter needs to know which entry it is.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["ADMINISTRATORS", "ENTRY_KINDS", "entry_kind", "folder_acl", "permissions"]

ADMINISTRATORS = {"identity": "root", "id": "uid:0"}
ENTRY_KINDS = ("owner", "user", "owning_group", "group", "other")
_RIGHTS = {"rwx": "modify", "r-x": "read"}
_NONE = (None, "---")


def _parse(text: str) -> tuple[dict[str, str], dict[tuple[str, str], str], dict[tuple[str, str], str]]:
    """(``# owner``/``# group`` header, access entries, default entries) keyed by (tag, qualifier)."""
    header: dict[str, str] = {}
    access: dict[tuple[str, str], str] = {}
    default: dict[tuple[str, str], str] = {}
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("#"):
            key, _, value = line[1:].partition(":")
            header[key.strip()] = value.strip()
            continue
        entry = line.split("#", 1)[0].strip()  # drops "#effective:r-x": we mask ourselves
        fields = entry.split(":")
        target = access
        if fields[0] == "default":
            target, fields = default, fields[1:]
        if len(fields) == 3:
            target[(fields[0], fields[1])] = fields[2]
    return header, access, default


def _masked(perms: str | None, mask: str | None) -> str | None:
    if perms is None or mask is None:
        return perms
    return "".join(p if m != "-" else "-" for p, m in zip(perms, mask, strict=False))


def _rule(kind: str, identity: str, id_: str, access: str | None, default: str | None, raw: str) -> dict:
    def rights_of(perms: str | None) -> str:
        if kind == "owner":
            return "full" if perms == "rwx" else "other"
        return _RIGHTS.get(perms or "", "other")

    if default is None:
        rights, inherits = rights_of(access), False
    elif access == default:
        rights, inherits = rights_of(access), True
    else:  # inherit-only, or folder and children differ: never the exact grant
        rights, inherits = "other", default not in _NONE
    return {
        "identity": identity,
        "id": id_,
        "rights": rights,
        "type": "allow",
        "inherit_files": inherits,
        "inherit_folders": inherits,
        "inherited": False,  # POSIX ACLs are copied at creation, never inherited live
        "raw": raw,
    }


def folder_acl(
    text: str, user_name: Callable[[int], str], group_name: Callable[[int], str]
) -> dict[str, Any]:
    """``{"owner", "group", "rules"}`` from ``getfacl -n -p`` output; ``user_name``/``group_name`` map
    ids to names (the number as text when there is none)."""
    header, access, default = _parse(text)
    mask, default_mask = access.get(("mask", "")), default.get(("mask", ""))
    owner, group = int(header.get("owner", "0")), int(header.get("group", "0"))

    def key_order(key: tuple[str, str]) -> tuple[int, int]:
        order = {"user": 0, "group": 2, "other": 4}[key[0]] + (1 if key[1] else 0)
        return order, int(key[1]) if key[1].isdigit() else -1

    keys = sorted({k for k in (*access, *default) if k[0] in ("user", "group", "other")}, key=key_order)
    rules = []
    for tag, qualifier in keys:
        a, d = access.get((tag, qualifier)), default.get((tag, qualifier))
        if tag == "user" and not qualifier:
            kind, identity, id_ = "owner", user_name(owner), f"uid:{owner}"
        elif tag == "user":
            kind, identity, id_ = "user", user_name(int(qualifier)), f"uid:{qualifier}"
        elif tag == "group":
            number = int(qualifier) if qualifier else group
            kind = "group" if qualifier else "owning_group"
            identity, id_ = f"group:{group_name(number)}", f"gid:{number}"
        else:
            kind, identity, id_ = "other", "Everyone", "other"
        if kind in ("user", "group", "owning_group"):  # the group class is limited by the mask
            a, d = _masked(a, mask), _masked(d, default_mask)
        if a in _NONE and d in _NONE:
            continue
        shown = identity.partition(":")[2] if identity.startswith("group:") else identity
        name = "" if kind in ("owner", "owning_group", "other") else shown
        raw = f"{tag}:{name}:{a or '---'}" + (f"/default:{tag}:{name}:{d}" if d is not None else "")
        rules.append(_rule(kind, identity, id_, a, d, raw))
    return {"owner": user_name(owner), "group": group_name(group), "rules": rules}


def entry_kind(rule: Mapping[str, Any]) -> tuple[str, str]:
    """(one of ``ENTRY_KINDS``, the id number or ``""``) of a rule, for ``setfacl``. Rules read from the
    host say it in ``raw``; the planner's grants are for the administrators (owner) or an account."""
    id_ = str(rule.get("id") or "")
    raw = str(rule.get("raw") or "")
    if id_ == "other":
        return "other", ""
    kind, _, number = id_.partition(":")
    if kind == "gid":
        return ("owning_group", number) if raw.startswith("group::") else ("group", number)
    if raw.startswith("user::") or (not raw and id_ == ADMINISTRATORS["id"]):
        return "owner", number
    return "user", number


def permissions(rights: str, *, files: bool = False) -> str:
    """The ``setfacl`` permissions of a grant; ``files``: for an access entry set on the folder and what
    is in it (``X``: execute for folders only)."""
    perms = {"full": "rwx", "modify": "rwx", "read": "r-x"}.get(rights)
    if perms is None:
        raise ValueError(f"the lab cannot grant {rights!r} rights")
    return perms.replace("x", "X") if files else perms
