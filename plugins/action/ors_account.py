# Copyright: (c) 2026, printops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of printops.prismadirect.ors_account (documentation in plugins/modules/ors_account.py)."""

from __future__ import annotations

from ansible_collections.printops.prismadirect.plugins.module_utils.planning import (
    DEFAULT_SERVICE,
    ors_account_desired,
    plan_ors_account,
)
from ansible_collections.printops.prismadirect.plugins.plugin_utils._action import (
    CONNECTION_ARGSPEC,
    PrismaAction,
)


class ActionModule(PrismaAction):
    ARGSPEC = {
        "account": {"type": "str", "required": True},
        "password": {"type": "str", "required": True, "no_log": True},
        "update_password": {"type": "str", "default": "always", "choices": ["always", "on_create"]},
        "service": {"type": "str", "default": DEFAULT_SERVICE},
        "test_connection": {"type": "str", "default": "false", "choices": ["false", "true", "warn"]},
        **CONNECTION_ARGSPEC,
    }
    SECTIONS = ("service", "accounts")

    def desired(self, args):
        desired = ors_account_desired(args)
        return desired, None if desired.test_connection == "false" else self.connection(args)

    def read_args(self, desired):
        account = desired[0]
        return {"service": account.service, "accounts": [(account.account, account.password)]}

    def plan(self, desired, state):
        return plan_ors_account(desired[0], state)

    def finish(self, desired, state, plan, result):
        """The connection test runs once the account and service are right; in check mode only if they
        already are (the account it would test as may not exist yet)."""
        account, connection = desired
        if connection is None or (self._task.check_mode and plan.changed):
            return
        test = result["connection_test"] = self.platform.probe(account.account.qualified, *connection)
        if test["ok"]:
            return
        who = account.account.qualified
        msg = f"test_connection: the back office cannot be reached as {who}: {test['error']}"
        if account.test_connection == "warn":
            result["warnings"].append(msg)
        else:
            result.update(failed=True, msg=msg)
