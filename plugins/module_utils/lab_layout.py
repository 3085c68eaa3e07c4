# Copyright: (c) 2026, printops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where the lab platform keeps a host's stand-ins (lab/README.md, "Lab home layout").

Standard library only, no I/O: the lab adapter (controller) and the lab's target-side modules both
need these names, so they are written once here. Nothing outside the lab platform uses them.
"""

from __future__ import annotations

import posixpath
import re

__all__ = ["program_conf", "program_log", "program_name", "settings_path", "supervisord_conf"]


def program_name(lab_host: str, service: str) -> str:
    """``<lab_host>_<service>`` with the service lowercased and every non-alphanumeric char made ``_``:
    ``prisma1`` + ``Print ORS Service`` -> ``prisma1_print_ors_service``."""
    return f"{lab_host}_{re.sub(r'[^a-z0-9]', '_', service.lower())}"


def program_conf(lab_home: str, program: str) -> str:
    """The supervisord program section file the lab's Print ORS Service is configured in."""
    return posixpath.join(lab_home, "supervisor", "conf.d", f"{program}.conf")


def program_log(lab_home: str, program: str) -> str:
    return posixpath.join(lab_home, "supervisor", "log", f"{program}.log")


def supervisord_conf(lab_home: str) -> str:
    return posixpath.join(lab_home, "supervisor", "supervisord.conf")


def settings_path(lab_root: str) -> str:
    """The settings store document: the lab's ``C:\\ProgramData\\PRISMAdirect`` under the host root."""
    return posixpath.join(lab_root, "ProgramData", "PRISMAdirect", "remote-service.json")
