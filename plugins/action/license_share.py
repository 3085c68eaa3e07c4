# Copyright: (c) 2026, printops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of printops.prismadirect.license_share (documentation in
plugins/modules/license_share.py)."""

from __future__ import annotations

from collections.abc import Mapping

from ansible_collections.printops.prismadirect.plugins.module_utils.planning_share import (
    license_share_desired,
    plan_license_share,
)
from ansible_collections.printops.prismadirect.plugins.plugin_utils._action import PrismaAction


class ActionModule(PrismaAction):
    ARGSPEC = {
        "path": {"type": "str", "required": True},
        "name": {"type": "str", "required": True},
        "accounts": {
            "type": "list",
            "elements": "dict",
            "required": True,
            "options": {
                "name": {"type": "str", "required": True},
                "password": {"type": "str", "no_log": True},
            },
        },
        "exclusive": {"type": "bool", "default": False},
        "description": {"type": "str"},
    }
    SECTIONS = ("accounts", "folder", "share")

    def task_args(self, args):
        """An account may be given by its name alone."""
        accounts = args.get("accounts")
        if isinstance(accounts, (str, Mapping)):
            accounts = [accounts]
        if isinstance(accounts, list):
            args = {**args, "accounts": [{"name": a} if isinstance(a, str) else a for a in accounts]}
        return dict(args)

    def desired(self, args):
        return license_share_desired({**args, "fls_host": self.var("inventory_hostname")})

    def read_args(self, desired):
        accounts = [(entry.account, entry.password) for entry in desired.accounts]
        return {"accounts": accounts, "folder": desired.path, "share": desired.name}

    def plan(self, desired, state):
        return plan_license_share(desired, state, check_mode=self._task.check_mode)
