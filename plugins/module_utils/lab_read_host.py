# Copyright: (c) 2026, printops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab reader's sections of the host itself: the Print ORS Service, accounts, the settings store,
MAC addresses and TeamViewer.

Target side: unlike the other ``module_utils`` these read the host (files, the user and group
databases); commands run through the ``run_command(argv) -> (rc, stdout, stderr)`` passed in. Only the
lab reader (``host_state``) calls them; each returns its section of the host state (docs/internals.md),
with the warnings it raised where there can be any.
"""

from __future__ import annotations

import configparser
import grp
import hmac
import json
import os
import pwd
import re
import stat
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ansible_collections.printops.prismadirect.plugins.module_utils.lab_layout import (
    program_conf,
    program_name,
    supervisord_conf,
)
from ansible_collections.printops.prismadirect.plugins.module_utils.settings import view_of

__all__ = [
    "DEFAULT_LOGON_GROUP",
    "RunCommand",
    "file_attributes",
    "group_name",
    "normalize_mac",
    "parse_program_conf",
    "read_accounts",
    "read_mac_addresses",
    "read_service",
    "read_settings",
    "read_teamviewer",
    "supervisor_state",
    "user_name",
]

RunCommand = Callable[[list[str]], tuple[int, str, str]]
DEFAULT_LOGON_GROUP = "printops-lab-logon"
_MAC_RE = re.compile(r"^[0-9a-f]{12}$")


def _name_of(ids: int, lookup: Callable[[int], Any]) -> str:
    try:
        return lookup(ids)[0]
    except KeyError:
        return str(ids)


def user_name(uid: int) -> str:
    """The user's name, or the number as text when it has none."""
    return _name_of(uid, pwd.getpwuid)


def group_name(gid: int) -> str:
    """The group's name, or the number as text when it has none."""
    return _name_of(gid, grp.getgrgid)


# --------------------------------------------------------------------------------------------------
# Settings


def file_attributes(path: str) -> dict[str, str]:
    """``{"owner", "group", "mode"}`` of an existing file (names, or numbers without a name)."""
    st = os.stat(path)
    return {
        "owner": user_name(st.st_uid),
        "group": group_name(st.st_gid),
        "mode": f"{stat.S_IMODE(st.st_mode):04o}",
    }


def read_settings(path: str | None) -> dict[str, Any]:
    """The ``settings`` section: the view of the document at ``path`` and the file's ownership."""
    result: dict[str, Any] = {"path": path, "exists": False, "owner": None, "group": None, "mode": None}
    result.update({"document": None, "error": None})
    if not path or not os.path.lexists(path):
        return result
    result["exists"] = True
    try:
        result.update(file_attributes(path))
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as exc:
        result["error"] = f"cannot read {path}: {exc.strerror or exc}"
        return result
    try:
        document = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        # The message of a JSON error names a position, never the text around it.
        why = type(exc).__name__ if isinstance(exc, UnicodeDecodeError) else str(exc)
        result["error"] = f"{path} is not valid JSON ({why}): fix it or remove it to start from the defaults"
        return result
    if not isinstance(document, dict):
        result["error"] = f"{path} does not hold a JSON object"
        return result
    if document.get("schema") != 1:
        result["error"] = "{} has schema {}; this reader knows schema 1".format(
            path,
            json.dumps(document.get("schema")),
        )
        return result
    result["document"] = view_of(document)
    return result


# --------------------------------------------------------------------------------------------------
# Service (supervisord program)


def parse_program_conf(path: str, program: str) -> dict[str, Any] | None:
    """``{"user", "autostart", "missing_section"}`` of ``[program:<program>]``; ``None`` without the file."""
    if not os.path.isfile(path):
        return None
    parser = configparser.RawConfigParser(inline_comment_prefixes=(";", "#"), strict=False)
    section = f"program:{program}"
    try:
        parser.read(path, encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError) as exc:
        return {"user": None, "autostart": None, "missing_section": True, "error": type(exc).__name__}
    if not parser.has_section(section):
        return {"user": None, "autostart": None, "missing_section": True}
    return {
        "user": parser.get(section, "user", fallback=None),
        "autostart": parser.get(section, "autostart", fallback=None),
        "missing_section": False,
    }


_SUPERVISOR_STATES = {
    "RUNNING": "running",
    "STARTING": "starting",
    "BACKOFF": "starting",
    "STOPPING": "stopping",
    "STOPPED": "stopped",
    "EXITED": "stopped",
    "FATAL": "stopped",
}


def supervisor_state(
    supervisord_conf: str, program: str, run_command: RunCommand, supervisorctl: str = "supervisorctl"
) -> tuple[str, str | None]:
    """``(state, warning or None)`` of ``program`` from ``supervisorctl -c <conf> status <program>``."""
    if not os.path.isfile(supervisord_conf):
        return "unknown", (
            f"the lab supervisord configuration {supervisord_conf} does not exist: bring the lab up; "
            f"the state of {program} is unknown"
        )
    _rc, out, err = run_command([supervisorctl, "-c", supervisord_conf, "status", program])
    text = f"{out or ''}\n{err or ''}"
    for line in text.splitlines():
        fields = line.split()
        if len(fields) >= 2 and fields[0] == program:
            state = _SUPERVISOR_STATES.get(fields[1])
            if state is None:
                return "unknown", f"supervisord reports {program} as {fields[1]}"
            return state, None
    if "no such process" in text:
        return "stopped", (
            f"{program} is configured but supervisord has not loaded it "
            "(supervisorctl reread; supervisorctl update)"
        )
    detail = " ".join(text.split())[:300]
    return "unknown", f"supervisord ({supervisord_conf}) did not answer for {program}: {detail}"


def read_service(
    service: str, lab_home: str, lab_host: str, run_command: RunCommand, supervisorctl: str = "supervisorctl"
) -> tuple[dict[str, Any], list[str]]:
    """The ``service`` section and the warnings it raised."""
    program = program_name(lab_host, service)
    conf = parse_program_conf(program_conf(lab_home, program), program)
    result = {"name": service, "exists": False, "account": None, "start_mode": None, "state": None}
    if conf is None or conf["missing_section"]:
        warnings = []
        if conf is not None and conf.get("error"):
            warnings.append(f"{program}.conf cannot be parsed ({conf['error']}): the service reads as absent")
        elif conf is not None:
            warnings.append(f"{program}.conf has no [program:{program}] section")
        return result, warnings
    autostart = (conf["autostart"] or "true").strip().lower()
    state, warning = supervisor_state(supervisord_conf(lab_home), program, run_command, supervisorctl)
    result.update(
        {
            "exists": True,
            "account": (conf["user"] or "root").strip(),
            "start_mode": "auto" if autostart in ("true", "yes", "on", "1") else "manual",
            "state": state,
        }
    )
    return result, [warning] if warning else []


# --------------------------------------------------------------------------------------------------
# Accounts


def _shadow_hashes(shadow_path: str) -> dict[str, str]:
    hashes = {}
    try:
        with open(shadow_path, encoding="utf-8", errors="replace") as handle:
            for line in handle:
                fields = line.rstrip("\n").split(":")
                if len(fields) >= 2:
                    hashes[fields[0]] = fields[1]
    except OSError:
        pass
    return hashes


def read_accounts(
    accounts: Sequence[Mapping[str, Any]],
    logon_group: str = DEFAULT_LOGON_GROUP,
    shadow_path: str = "/etc/shadow",
) -> dict[str, dict[str, Any]]:
    """The ``accounts`` section for ``[{"name", "password_hash"}]``."""
    try:
        logon = grp.getgrnam(logon_group)
    except KeyError:
        logon = None
    shadow = None
    result = {}
    for account in accounts:
        name = account["name"]
        candidate = account.get("password_hash")
        entry = {"exists": False, "id": None, "group": None, "groups": [], "service_logon": False}
        entry["password_matches"] = None if candidate is None else False
        try:
            user = pwd.getpwnam(name)
        except KeyError:
            result[name] = entry
            continue
        gids = set(os.getgrouplist(name, user.pw_gid))
        entry.update(
            {
                "exists": True,
                "id": f"uid:{user.pw_uid}",
                "group": group_name(user.pw_gid),
                "groups": sorted({group_name(gid) for gid in gids}),
                "service_logon": logon is not None and (logon.gr_gid in gids or name in logon.gr_mem),
            }
        )
        if candidate is not None:
            if shadow is None:
                shadow = _shadow_hashes(shadow_path)
            stored = shadow.get(name)
            entry["password_matches"] = stored is not None and hmac.compare_digest(
                stored.encode("utf-8"), candidate.encode("utf-8")
            )
        result[name] = entry
    return result


# --------------------------------------------------------------------------------------------------
# MAC addresses, TeamViewer


def normalize_mac(text: str) -> str | None:
    """12 lowercase hex digits, or ``None`` when ``text`` is not a MAC address."""
    mac = re.sub(r"[:\-.\s]", "", text).lower()
    return mac if _MAC_RE.match(mac) else None


def read_mac_addresses(
    mac_addresses_file: str | None = None, sys_class_net: str = "/sys/class/net"
) -> tuple[list[str], list[str]]:
    """The ``mac_addresses`` section and its warnings."""
    macs: list[str] = []
    warnings: list[str] = []
    if mac_addresses_file and os.path.isfile(mac_addresses_file):
        with open(mac_addresses_file, encoding="utf-8", errors="replace") as handle:
            for number, line in enumerate(handle, 1):
                text = line.split("#", 1)[0].strip()
                if not text:
                    continue
                mac = normalize_mac(text)
                if mac is None:
                    warnings.append(f"{mac_addresses_file} line {number} is not a MAC address: skipped")
                elif mac not in macs:
                    macs.append(mac)
        return macs, warnings
    if mac_addresses_file:
        warnings.append(f"{mac_addresses_file} does not exist: reporting the host's own MAC addresses")
    try:
        interfaces = sorted(os.listdir(sys_class_net))
    except OSError:
        interfaces = []
    for interface in interfaces:
        if interface == "lo":
            continue
        try:
            with open(os.path.join(sys_class_net, interface, "address"), encoding="ascii") as handle:
                mac = normalize_mac(handle.read().strip())
        except (OSError, UnicodeDecodeError):
            continue
        if mac is not None and mac != "000000000000" and mac not in macs:
            macs.append(mac)
    return macs, warnings


def read_teamviewer(lab_root: str | None) -> dict[str, bool]:
    """The ``teamviewer`` section: ``<lab_root>/TeamViewer`` stands in for the installation."""
    return {"present": bool(lab_root) and os.path.isdir(os.path.join(lab_root, "TeamViewer"))}
