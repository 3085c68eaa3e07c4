# Copyright: (c) 2026, printops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of printops.prismadirect.remote_service_proxy (documentation in
plugins/modules/remote_service_proxy.py)."""

from __future__ import annotations

from ansible_collections.printops.prismadirect.plugins.module_utils.planning import (
    DEFAULT_SERVICE,
    plan_remote_service_proxy,
    remote_service_proxy_desired,
)
from ansible_collections.printops.prismadirect.plugins.module_utils.settings import PROXY_MODES
from ansible_collections.printops.prismadirect.plugins.plugin_utils._action import PrismaAction


class ActionModule(PrismaAction):
    ARGSPEC = {
        "mode": {"type": "str", "required": True, "choices": list(PROXY_MODES)},
        "url": {"type": "str"},
        "authentication": {
            "type": "dict",
            "options": {
                "domain": {"type": "str"},
                "username": {"type": "str"},
                "password": {"type": "str", "no_log": True},
            },
        },
    }
    SECTIONS = ("service", "accounts", "settings")

    def desired(self, args):
        return remote_service_proxy_desired(args)

    def read_args(self, desired):
        return {"service": DEFAULT_SERVICE}

    def plan(self, desired, state):
        return plan_remote_service_proxy(desired, state)
