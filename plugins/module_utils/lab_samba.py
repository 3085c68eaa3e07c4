# Copyright: (c) 2026, printops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab's SMB shares: Samba configuration sections and the lab passdb, read as ``acl_model`` rules.

Standard library only, no I/O: the lab reader (``host_state``) passes file and command texts in. A
share's access (lab/README.md): ``valid users`` each get ``modify`` (``read`` with ``read only = yes``
or in ``read list``), ``invalid users`` are deny rules, no ``valid users`` at all is everybody
(``Everyone``, id ``other``); ``root`` administers the lab smbd and reads as ``full``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["WRITE_KEYS", "parse_conf", "parse_passdb", "share_access", "split_names"]

WRITE_KEYS = ("writable", "writeable", "write ok")
_TRUE = frozenset({"yes", "true", "1", "on"})


def parse_conf(text: str) -> dict[str, dict[str, str]]:
    """``{section lowercased: {key: value}}``; keys lowercased with single blanks (``valid users``),
    continued lines (``\\`` at the end) joined, ``#``/``;`` comment lines skipped, the last value kept."""
    sections: dict[str, dict[str, str]] = {}
    current: dict[str, str] | None = None
    for line in text.replace("\\\n", " ").splitlines():
        line = line.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1].strip().lower(), {})
        elif current is not None and "=" in line:
            key, value = line.split("=", 1)
            current[" ".join(key.lower().split())] = value.strip()
    return sections


def split_names(value: str | None) -> list[str]:
    """The names of a Samba user list (blanks or commas between them, ``"..."`` around names)."""
    return [a or b for a, b in re.findall(r'"([^"]*)"|([^\s,"]+)', value or "")]


def _is_true(value: str | None) -> bool:
    return (value or "").strip().lower() in _TRUE


def _read_only(section: Mapping[str, str]) -> bool:
    if "read only" in section:
        return _is_true(section["read only"])
    written = [key for key in WRITE_KEYS if key in section]
    return not _is_true(section[written[-1]]) if written else True


def share_access(
    section: Mapping[str, str], user_id: Callable[[str], str | None], group_id: Callable[[str], str | None]
) -> list[dict[str, Any]]:
    """The access rules of a share section; ``user_id``/``group_id`` give ``uid:N``/``gid:N`` or ``None``."""
    read_only = _read_only(section)
    read_list = {n.lower() for n in split_names(section.get("read list"))}

    def rule(name: str, rights: str, kind: str = "allow") -> dict[str, Any]:
        is_group = name[:1] in "@+&"
        id_ = group_id(name.lstrip("@+&")) if is_group else user_id(name)
        return {"identity": name, "id": id_, "rights": rights, "type": kind}

    rules = [{"identity": "root", "id": "uid:0", "rights": "full", "type": "allow"}]
    valid = split_names(section.get("valid users"))
    for name in valid:
        rules.append(rule(name, "read" if read_only or name.lower() in read_list else "modify"))
    if not valid:  # any user of the passdb may connect
        everyone = {"identity": "Everyone", "id": "other"}
        rules.append({**everyone, "rights": "read" if read_only else "modify", "type": "allow"})
    rules += [rule(name, "full", "deny") for name in split_names(section.get("invalid users"))]
    return rules


def parse_passdb(text: str) -> dict[str, tuple[str, bool]]:
    """``{user: (NT hash lowercased, disabled)}`` from ``pdbedit -L -w`` (smbpasswd format lines
    ``name:uid:LM:NT:[flags]:LCT-...``)."""
    users = {}
    for line in text.splitlines():
        fields = line.split(":")
        if len(fields) >= 5 and fields[0]:
            users[fields[0]] = (fields[3].lower(), "D" in fields[4].strip("[]"))
    return users
