# Copyright: (c) 2026, printops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of printops.prismadirect.floating_license (documentation in
plugins/modules/floating_license.py)."""

from __future__ import annotations

import os
from datetime import UTC, datetime

from ansible.errors import AnsibleError
from ansible_collections.printops.prismadirect.plugins.module_utils.planning_license import (
    MAX_LICENSE_SIZE,
    REREAD_METHODS,
    floating_license_desired,
    plan_floating_license,
)
from ansible_collections.printops.prismadirect.plugins.module_utils.validation import ValidationError, quoted
from ansible_collections.printops.prismadirect.plugins.plugin_utils._action import PrismaAction


class ActionModule(PrismaAction):
    ARGSPEC = {
        "content": {"type": "str"},
        "src": {"type": "path"},
        "dest": {"type": "str", "required": True},
        "filename": {"type": "str"},
        "validate": {
            "type": "dict",
            "options": {
                "hostid": {"type": "bool", "default": True},
                "expiry": {"type": "bool", "default": True},
                "serial": {"type": "str"},
                "warn_days": {"type": "int", "default": 31},
            },
        },
        "backup": {"type": "int", "default": 3},
        "reread": {"type": "str", "default": "auto", "choices": list(REREAD_METHODS)},
        "lmutil_path": {"type": "str"},
        "license_service": {"type": "str"},
    }
    SECTIONS = ("licenses", "license_backups", "mac_addresses", "license_server")

    def desired(self, args):
        text = None if args.get("src") is None else self._read_src(args["src"])
        return floating_license_desired(args, now=datetime.now(UTC), src_text=text)

    def _read_src(self, src):
        """``src`` on the controller (a role's or the playbook's files/ first), as UTF-8 text."""
        try:
            path = self._find_needle("files", src)
            if os.path.getsize(path) > MAX_LICENSE_SIZE:
                raise ValidationError("src", f"{quoted(src)} is larger than 256 KiB: not a license file")
            with open(path, encoding="utf-8") as handle:
                return handle.read()
        except (AnsibleError, OSError) as exc:
            raise ValidationError("src", f"{quoted(src)} cannot be read on the controller: {exc}") from None
        except UnicodeDecodeError:
            raise ValidationError("src", f"{quoted(src)} is not UTF-8 text: not a license file") from None

    def sections(self, desired):
        """The MAC addresses only for the host id check, the license server only to tell it."""
        skip = {"mac_addresses"} if not desired.checks.hostid else set()
        if desired.reread == "none":
            skip.add("license_server")
        return tuple(s for s in self.SECTIONS if s not in skip)

    def read_args(self, desired):
        server = {"lmutil_path": desired.lmutil_path, "license_service": desired.license_service}
        return {"folder": desired.dest, **server}

    def plan(self, desired, state):
        return plan_floating_license(desired, state)
