# Copyright: (c) 2026, printops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of printops.prismadirect.remote_assistance (documentation in
plugins/modules/remote_assistance.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from ansible_collections.printops.prismadirect.plugins.module_utils.planning_core import DEFAULT_SERVICE
from ansible_collections.printops.prismadirect.plugins.module_utils.planning_settings import (
    plan_remote_assistance,
    remote_assistance_desired,
)
from ansible_collections.printops.prismadirect.plugins.plugin_utils._action import PrismaAction


class ActionModule(PrismaAction):
    ARGSPEC = {
        "enabled": {"type": "bool", "required": True},
        "until": {"type": "str"},
        "keep_open_window": {"type": "bool", "default": False},
        "service": {"type": "str", "default": DEFAULT_SERVICE},
    }
    SECTIONS = ("service", "accounts", "settings", "teamviewer")

    def desired(self, args):
        return remote_assistance_desired(args)

    def read_args(self, desired):
        return {"service": desired.service}

    def plan(self, desired, state):
        # The controller's clock, once per task: the window's end is judged against it, not the host's.
        return plan_remote_assistance(desired, state, datetime.now(UTC))
