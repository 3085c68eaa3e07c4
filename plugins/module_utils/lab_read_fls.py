# Copyright: (c) 2026, printops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab reader's sections of a Floating License Server: its license folder and that folder's ACL
(``folder``), its SMB share and the lab passdb (``share``), and its license server (``license_server``).

Target side: reads the host and runs ``getfacl``, ``pdbedit`` and ``supervisorctl`` through the
``run_command(argv) -> (rc, stdout, stderr)`` passed in; the texts they give are turned into access
rules by ``lab_acl`` and ``lab_samba``. Only the lab reader (``host_state``) calls it.
"""

from __future__ import annotations

import grp
import hmac
import os
import pwd
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ansible_collections.printops.prismadirect.plugins.module_utils.lab_acl import ADMINISTRATORS, folder_acl
from ansible_collections.printops.prismadirect.plugins.module_utils.lab_layout import (
    host_path,
    share_section,
    shares_conf,
    smb_conf,
)
from ansible_collections.printops.prismadirect.plugins.module_utils.lab_read_host import (
    RunCommand,
    group_name,
    read_service,
    user_name,
)
from ansible_collections.printops.prismadirect.plugins.module_utils.lab_samba import (
    parse_conf,
    parse_passdb,
    share_access,
)

__all__ = ["ReadError", "read_folder", "read_license_server", "read_share", "read_share_users"]


class ReadError(Exception):
    """What must be read cannot be: the module fails, since a plan made without it would be wrong."""


def _id_of(name: str, lookup: Callable[[str], Any], prefix: str) -> str | None:
    try:
        return f"{prefix}:{lookup(name)[2]}"
    except KeyError:
        return None


def read_folder(
    folder_path: str, lab_root: str, run_command: RunCommand, getfacl: str = "getfacl"
) -> dict[str, Any]:
    """The ``folder`` section: the license folder (``folder_path`` under the host root) and its ACL.

    ``ReadError`` when the folder exists but its ACL cannot be read."""
    path = host_path(lab_root, folder_path)
    result: dict[str, Any] = {"path": folder_path, "exists": False, "owner": None, "group": None, "rules": []}
    result["administrators"] = dict(ADMINISTRATORS)
    if not os.path.isdir(path):
        return result
    rc, out, err = run_command([getfacl, "-n", "-p", path])
    if rc != 0:
        raise ReadError(f"cannot read the ACL of {path} with getfacl: {(err or out).strip()}")
    result.update(exists=True, **folder_acl(out, user_name, group_name))
    return result


def _module_path(path: str | None, lab_root: str | None, folder_path: str | None) -> str | None:
    """A share's path in the form of the modules' ``path``: as given when it is that folder, else
    ``/...`` under the host root, else as it is."""
    if not path:
        return None
    path = os.path.normpath(path)
    if folder_path and path == os.path.normpath(host_path(lab_root, folder_path)):
        return folder_path
    if lab_root and path.startswith(os.path.normpath(lab_root) + os.sep):
        return "/" + os.path.relpath(path, lab_root)
    return path


def read_share_users(
    accounts: Sequence[Mapping[str, Any]], lab_home: str, run_command: RunCommand, pdbedit: str = "pdbedit"
) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """``({user: {"exists", "password_matches"}}, warnings)`` from the lab passdb for ``accounts``;
    ``password_matches`` compares each candidate ``nt_hash`` on the host (a disabled account never
    matches), ``None`` without a candidate."""
    rc, out, err = run_command([pdbedit, "-s", smb_conf(lab_home), "-L", "-w"])
    warnings = []
    if rc != 0:
        warnings.append(f"cannot list the lab's Samba accounts: {(err or out).strip()[:300]}")
    passdb = parse_passdb(out if rc == 0 else "")
    users = {}
    for account in accounts:
        stored, disabled = passdb.get(account["name"], (None, False))
        candidate = account.get("nt_hash")
        matches = None
        if candidate is not None:
            matches = bool(stored) and not disabled and hmac.compare_digest(stored, candidate.lower())
        users[account["name"]] = {"exists": stored is not None, "password_matches": matches}
    return users, warnings


def read_share(
    params: Mapping[str, Any], lab_root: str | None, run_command: RunCommand, pdbedit: str = "pdbedit"
) -> tuple[dict[str, Any], list[str]]:
    """The ``share`` section and its warnings: the lab smbd's section ``[<lab_host>-<share_name>]``;
    ``params`` are the reader's options."""
    name, lab_home = params["share_name"], params.get("lab_home") or "/srv/printops-lab"
    section_name = share_section(params["lab_host"], name)
    result = {"name": name, "section": section_name, "exists": False, "path": None, "description": None}
    result["access"], warnings = [], []
    conf = shares_conf(lab_home)
    try:
        with open(conf, encoding="utf-8", errors="replace") as handle:
            section = parse_conf(handle.read()).get(section_name)
    except OSError as exc:
        section = None
        warnings.append(f"cannot read {conf} ({exc.strerror or exc}): the share reads as absent")
    if section is not None:
        result.update(
            exists=True,
            path=_module_path(section.get("path"), lab_root, params.get("folder_path")),
            description=section.get("comment"),
            access=share_access(
                section,
                lambda user: _id_of(user, pwd.getpwnam, "uid"),
                lambda group: _id_of(group, grp.getgrnam, "gid"),
            ),
        )
    result["users"], more = read_share_users(params.get("accounts") or [], lab_home, run_command, pdbedit)
    return result, warnings + more


def read_license_server(
    params: Mapping[str, Any], run_command: RunCommand, supervisorctl: str = "supervisorctl"
) -> tuple[dict[str, Any], list[str]]:
    """The ``license_server`` section: lmutil at ``lmutil_path``, and the license service (its lab
    program ``<lab_host>_<license_service>``); ``params`` are the reader's options."""
    lmutil = params.get("lmutil_path")
    exists = bool(lmutil) and os.path.isfile(lmutil) and os.access(lmutil, os.X_OK)
    result, warnings = {"lmutil": {"path": lmutil, "exists": exists}}, []
    service = params.get("license_service")
    if service:
        lab_home = params.get("lab_home") or "/srv/printops-lab"
        found, warnings = read_service(service, lab_home, params["lab_host"], run_command, supervisorctl)
        result["service"] = {key: found[key] for key in ("name", "exists", "state")}
    return result, warnings
