# Copyright: (c) 2026, printops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to this collection: the lab adapter's license folder verbs, ``acl.ensure`` and
``share.ensure`` (docs/internals.md).

A mixin of ``_platform_lab.LabPlatform``, split out to keep each file to one job. The license folder
is a directory under the host root with POSIX ACLs (``ansible.builtin.file``, ``ansible.posix.acl``),
its share the lab smbd's section ``[<host>-<share>]`` (``community.general.ini_file``) with passwords in
the lab passdb (``smbpasswd`` through ``ansible.builtin.command``). The license verbs are in
``_platform_lab_license``.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from typing import Any

from ansible_collections.printops.prismadirect.plugins.module_utils.acl_model import (
    AccessRule,
    is_administrator,
    is_broad,
)
from ansible_collections.printops.prismadirect.plugins.module_utils.lab_acl import entry_kind, permissions
from ansible_collections.printops.prismadirect.plugins.module_utils.lab_layout import (
    host_path,
    share_section,
    shares_conf,
    smb_conf,
)
from ansible_collections.printops.prismadirect.plugins.module_utils.validation import (
    ValidationError,
    lab_user_name,
    parse_account,
)
from ansible_collections.printops.prismadirect.plugins.plugin_utils._platform import PlatformError

__all__ = ["SHARE_OPTIONS", "LabFlsVerbs", "lab_nt_hash"]

#: What every lab license share has besides its path, comment and users (lab/README.md): files made
#: through the share keep the folder's default ACL.
SHARE_OPTIONS = {"read only": "no", "inherit acls": "yes", "create mask": "0770", "directory mask": "0770"}
# A folder license_share makes: its owning group's entry (and so its default one) is group::--- as
# lab/README.md says; the grants that follow make the mask rwx.
NEW_FOLDER_MODE = "0700"


def lab_nt_hash(password: str) -> str:
    """The NT hash (MD4 of UTF-16LE) Samba keeps for ``password``: the candidate the reader compares
    with the lab passdb. As good as the password to an SMB client: it is sent ``no_log`` and hidden."""
    with warnings.catch_warnings():  # passlib imports crypt, deprecated: as ansible.utils.encrypt does
        warnings.filterwarnings("ignore", message="'crypt' is deprecated", category=DeprecationWarning)
        from passlib.hash import nthash  # pinned for the lab password hashes already (decision 11)

    return nthash.hash(password)


def _lab_name(identity: str) -> str:
    """The lab user (or ``@group``) of a rule's identity, whatever form the account is written in."""
    if identity[:1] in "@+&":
        return identity
    try:
        return lab_user_name(parse_account(identity))
    except ValidationError:
        return identity


def _etype(kind: str) -> str:
    """The ACL entry type (``setfacl`` tag) of an ``entry_kind``."""
    return {"owner": "user", "owning_group": "group"}.get(kind, kind)


def _entry(rule: Mapping[str, Any]) -> tuple[str, str]:
    """(kind, ``setfacl`` qualifier) of a rule: the id's number, else the account's lab user."""
    kind, number = entry_kind(rule)
    if kind in ("owner", "owning_group", "other"):
        return kind, ""
    return kind, number or _lab_name(str(rule["identity"]))


class LabFlsVerbs:
    """``acl.ensure`` and ``share.ensure`` on the lab, with the ``LabPlatform`` attributes ``host``,
    ``home``, ``root`` and method ``_run``."""

    # -- acl.ensure ---------------------------------------------------------------------------------

    def _acl(self, folder: str, kind: str, entity: str, **acl: Any) -> bool:
        args = {"path": folder, "etype": _etype(kind), "entity": entity, **acl}
        return self._run("ansible.posix.acl", args)["changed"]

    def _grant(self, folder: str, rule: Mapping[str, Any]) -> bool:
        kind, entity = _entry(rule)
        perms = permissions(str(rule["rights"]))
        changed = self._acl(folder, kind, entity, permissions=perms, state="present")
        if rule.get("inherit_files") or rule.get("inherit_folders"):
            changed |= self._acl(folder, kind, entity, permissions=perms, state="present", default=True)
        return changed

    def _revoke(self, folder: str, rule: Mapping[str, Any]) -> bool:
        kind, entity = _entry(rule)
        if kind == "owner":  # the owner entry stays: the folder is given to root (acl.ensure)
            return False
        changed = False
        for default in (False, True):
            if kind in ("owning_group", "other"):  # entries every ACL has: emptied, not removed
                changed |= self._acl(
                    folder, kind, entity, permissions="---", state="present", default=default
                )
            else:
                changed |= self._acl(folder, kind, entity, state="absent", default=default)
        return changed

    def _propagate(self, folder: str, args: Mapping[str, Any]) -> bool:
        """The same grants and revokes on what the folder already holds, as Windows propagates an
        inheritable rule (``rwX``: execute for folders only). One ``setfacl -R``: ``ansible.posix.acl``
        with ``recursive`` takes a change for none as soon as one path has the entry already."""
        spec = []
        for rule in args.get("revoke", ()):
            kind, entity = _entry(rule)
            tag = f"{_etype(kind)}:{entity}"
            if kind in ("owning_group", "other"):
                spec += ["-m", f"{tag}:---,d:{tag}:---"]
            elif kind != "owner":  # the owner entry stays (acl.ensure gives the folder to root)
                spec += ["-x", f"{tag},d:{tag}"]
        for rule in args.get("grant", ()):
            kind, entity = _entry(rule)
            if kind != "owner":  # root, the administrators, may do everything anyway
                tag, rights = f"{_etype(kind)}:{entity}", str(rule["rights"])
                spec += ["-m", f"{tag}:{permissions(rights, files=True)}"]
                if rule.get("inherit_files") or rule.get("inherit_folders"):
                    spec[-1] += f",d:{tag}:{permissions(rights)}"
        if not spec:
            return False
        self._run("ansible.builtin.command", {"argv": ["setfacl", "-R", *spec, folder]})
        return True

    def _acl_ensure(self, args: Mapping[str, Any]) -> bool:
        """The folder (made 0700 root:root when missing; given to root when the owner entry changes),
        its entries (``ansible.posix.acl``; ``setfacl`` recalculates the mask, the union of the
        entries), then what it holds."""
        folder = host_path(self.root, args["path"])
        file_args: dict[str, Any] = {"path": folder, "state": "directory"}
        rules = [*args.get("grant", ()), *args.get("revoke", ())]
        if args.get("create"):
            file_args.update(owner="root", group="root", mode=NEW_FOLDER_MODE)
        elif any(entry_kind(rule)[0] == "owner" for rule in rules):
            file_args["owner"] = "root"
        changed = self._run("ansible.builtin.file", file_args)["changed"]
        for rule in args.get("revoke", ()):
            changed |= self._revoke(folder, rule)
        for rule in args.get("grant", ()):
            changed |= self._grant(folder, rule)
        return self._propagate(folder, args) or changed

    # -- share.ensure -------------------------------------------------------------------------------

    def _share_options(self, args: Mapping[str, Any]) -> dict[str, str | None]:
        access = [AccessRule.from_state(rule) for rule in args.get("access", ())]
        users = [
            r
            for r in access
            if r.type == "allow" and not is_administrator(r.identity, r.id) and not is_broad(r.identity, r.id)
        ]
        if not users:  # a section without valid users lets every passdb user in
            raise PlatformError(f"share {args['name']}: no account would have access; give accounts")

        def names(rules: Iterable[AccessRule]) -> str | None:
            return " ".join(dict.fromkeys(_lab_name(r.identity) for r in rules)) or None

        return {
            "path": host_path(self.root, args["path"]),
            "comment": args.get("description"),
            "valid users": names(users),
            "read list": names(r for r in users if r.rights == "read"),
            "invalid users": names(r for r in access if r.type == "deny"),
            **SHARE_OPTIONS,
        }

    def _share_ensure(self, args: Mapping[str, Any]) -> bool:
        """Each option of the section (smbd reads a changed file at the next connection), then the
        Samba passwords that must be set (``smbpasswd -a`` reads it twice on stdin; ``-e`` enables)."""
        section = share_section(self.host, args["name"])
        changed = False
        for option, value in self._share_options(args).items():
            ini = {"path": shares_conf(self.home), "section": section, "option": option}
            ini.update({"value": value} if value is not None else {"state": "absent"})
            changed |= self._run("community.general.ini_file", ini)["changed"]
        conf = smb_conf(self.home)
        for account, password in (args.get("passwords") or {}).items():
            user = _lab_name(account)
            command = {
                "argv": ["smbpasswd", "-c", conf, "-s", "-a", user],
                "stdin": f"{password}\n{password}",
            }
            self._run("ansible.builtin.command", command, secret=True)
            self._run("ansible.builtin.command", {"argv": ["smbpasswd", "-c", conf, "-e", user]})
            changed = True
        return changed
