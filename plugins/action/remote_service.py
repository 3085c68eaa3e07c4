# Copyright: (c) 2026, printops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of printops.prismadirect.remote_service (documentation in
plugins/modules/remote_service.py)."""

from __future__ import annotations

from ansible_collections.printops.prismadirect.plugins.module_utils.planning import (
    DEFAULT_SERVICE,
    plan_remote_service,
    remote_service_desired,
)
from ansible_collections.printops.prismadirect.plugins.plugin_utils._action import PrismaAction


class ActionModule(PrismaAction):
    ARGSPEC = {
        "enabled": {"type": "bool"},
        "organization_id": {"type": "str"},
        "verification_code": {"type": "str", "no_log": True},
        "license_server": {"type": "str", "choices": ["local", "external"]},
        "license_path": {"type": "str"},
    }
    # The service's account gives the settings store its group; the licenses give the serial numbers.
    SECTIONS = ("service", "accounts", "settings", "licenses")

    def desired(self, args):
        return remote_service_desired(args)

    def read_args(self, desired):
        return {"service": DEFAULT_SERVICE, "license_path": desired.license_path}

    def plan(self, desired, state):
        return plan_remote_service(desired, state)
