# Copyright: (c) 2026, printops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of printops.prismadirect.remote_service_info (documentation in
plugins/modules/remote_service_info.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from ansible_collections.printops.prismadirect.plugins.module_utils.planning import (
    DEFAULT_SERVICE,
    Plan,
    info_from_state,
    light,
    remote_service_info_desired,
)
from ansible_collections.printops.prismadirect.plugins.plugin_utils._action import (
    CONNECTION_ARGSPEC,
    PrismaAction,
)

NO_ACCOUNT = "the service is not set up, so there is no ORS account to test the connection as"


class ActionModule(PrismaAction):
    ARGSPEC = {
        "service": {"type": "str", "default": DEFAULT_SERVICE},
        "test_connection": {"type": "bool", "default": False},
        **CONNECTION_ARGSPEC,
    }
    SECTIONS = ("service", "accounts", "settings", "licenses")

    def desired(self, args):
        desired = remote_service_info_desired(args)
        return desired, self.connection(args) if desired.test_connection else None

    def read_args(self, desired):
        return {"service": desired[0].service}

    def plan(self, desired, state):
        # Licenses count days on the controller's calendar; the assistance window is UTC.
        info = info_from_state(state, date.today(), datetime.now(UTC))
        return Plan(result=info, warnings=tuple(info.pop("warnings")))

    def finish(self, desired, state, plan, result):
        """Read-only, so the connection test runs in check mode too."""
        _, connection = desired
        test = None
        if connection is not None:
            account = result["service"]["account"] if result["service"]["exists"] else None
            test = self.platform.probe(account, *connection) if account else None
            result["connection_test"] = test or {
                "ok": False,
                "status": None,
                "elapsed_ms": None,
                "error": NO_ACCOUNT,
            }
        status = light(state.get("service"), state.get("settings"), test)
        result.update(light=status["light"], light_reason=status["reason"])
