# Copyright: (c) 2026, printops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where the lab platform keeps a host's stand-ins (lab/README.md, "Lab home layout").

Standard library only, no I/O: the lab adapter (controller) and the lab's target-side modules both
need these names, so they are written once here. Nothing outside the lab platform uses them.
"""

from __future__ import annotations

import posixpath
import re

__all__ = [
    "bin_path",
    "host_path",
    "program_conf",
    "program_log",
    "program_name",
    "settings_path",
    "share_section",
    "shares_conf",
    "smb_conf",
    "supervisord_conf",
]


def program_name(lab_host: str, service: str) -> str:
    """``<lab_host>_<service>`` with the service lowercased and every non-alphanumeric char made ``_``:
    ``prisma1`` + ``Print ORS Service`` -> ``prisma1_print_ors_service``."""
    return f"{lab_host}_{re.sub(r'[^a-z0-9]', '_', service.lower())}"


def program_conf(lab_home: str, program: str) -> str:
    """The supervisord program section file the lab's Print ORS Service is configured in."""
    return posixpath.join(lab_home, "supervisor", "conf.d", f"{program}.conf")


def program_log(lab_home: str, program: str) -> str:
    return posixpath.join(lab_home, "supervisor", "log", f"{program}.log")


def bin_path(lab_home: str, name: str) -> str:
    """A program of the lab kit (``lmutil``, ``license_server.py``...) that lab/ctl.py up copied."""
    return posixpath.join(lab_home, "bin", name)


def supervisord_conf(lab_home: str) -> str:
    return posixpath.join(lab_home, "supervisor", "supervisord.conf")


def settings_path(lab_root: str) -> str:
    """The settings store document: the lab's ``C:\\ProgramData\\PRISMAdirect`` under the host root."""
    return posixpath.join(lab_root, "ProgramData", "PRISMAdirect", "remote-service.json")


def host_path(lab_root: str, path: str) -> str:
    """Where a path of the host itself is on the lab: under the host root, which stands in for its
    ``C:\\`` drive. ``/licenses`` and ``C:\\licenses`` -> ``<lab_root>/licenses``."""
    text = re.sub(r"^[A-Za-z]:", "", path).replace("\\", "/")
    parts = [part for part in text.split("/") if part]
    return posixpath.join(lab_root, *parts)


def share_section(host: str, share: str) -> str:
    """The Samba section of ``\\\\HOST\\SHARE``: one smbd serves every lab host, so a share is named
    ``<host>-<share>`` with the host's first DNS label, lowercased: ``\\\\FLS1.lab\\Licenses`` ->
    ``fls1-licenses`` (Samba compares section names case-insensitively)."""
    return f"{host.split('.')[0]}-{share}".lower()


def smb_conf(lab_home: str) -> str:
    return posixpath.join(lab_home, "samba", "smb.conf")


def shares_conf(lab_home: str) -> str:
    """The lab smbd's share sections (included by ``smb.conf``), written by ``license_share``."""
    return posixpath.join(lab_home, "samba", "shares.conf")
