# Copyright: (c) 2026, printops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of printops.prismadirect.floating_license_info (documentation in
plugins/modules/floating_license_info.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from ansible_collections.printops.prismadirect.plugins.module_utils.planning import Plan
from ansible_collections.printops.prismadirect.plugins.module_utils.planning_fls_info import (
    floating_license_info_desired,
    fls_info_from_state,
)
from ansible_collections.printops.prismadirect.plugins.plugin_utils._action import PrismaAction


class ActionModule(PrismaAction):
    ARGSPEC = {
        "path": {"type": "str", "required": True},
        "warn_days": {"type": "int", "default": 31},
        "validate_hostid": {"type": "bool", "default": True},
        "lmutil_path": {"type": "str"},
        "license_service": {"type": "str"},
    }
    SECTIONS = ("licenses", "mac_addresses", "license_server")

    def desired(self, args):
        return floating_license_info_desired(args)

    def read_args(self, desired):
        server = {"lmutil_path": desired.lmutil_path, "license_service": desired.license_service}
        return {"folder": desired.path, **server}

    def plan(self, desired, state):
        info = fls_info_from_state(desired, state, datetime.now(UTC).date())  # as floating_license checks
        return Plan(result=info, warnings=tuple(info.pop("warnings")))
