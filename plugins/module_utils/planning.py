# Copyright: (c) 2026, printops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The planners: desired state + host state -> ``Plan`` (step 3 of docs/internals.md). Pure.

Domain core: standard library only, no I/O, no Ansible imports. This is the public face; the code
lives in ``planning_core`` (``Change``, ``Plan``, host-state accessors), ``planning_ors``
(``ors_account``), ``planning_settings`` (``remote_service``, ``remote_service_proxy``,
``remote_assistance``) and ``planning_info`` (``remote_service_info`` and the status light).

Each module has a ``<module>_desired(args)`` that applies the domain rules to the task's arguments
(raising ``ValidationError`` that names the option) and a ``plan_<module>(desired, state)``.
"""

from __future__ import annotations

from ansible_collections.printops.prismadirect.plugins.module_utils.planning_core import (
    DEFAULT_SERVICE,
    VERBS,
    Change,
    Plan,
    find_account,
)
from ansible_collections.printops.prismadirect.plugins.module_utils.planning_info import (
    InfoDesired,
    info_from_state,
    license_report,
    light,
    remote_service_info_desired,
)
from ansible_collections.printops.prismadirect.plugins.module_utils.planning_ors import (
    OrsAccountDesired,
    ors_account_desired,
    plan_ors_account,
)
from ansible_collections.printops.prismadirect.plugins.module_utils.planning_settings import (
    AssistanceDesired,
    ProxyAuth,
    ProxyDesired,
    RemoteServiceDesired,
    plan_remote_assistance,
    plan_remote_service,
    plan_remote_service_proxy,
    remote_assistance_desired,
    remote_service_desired,
    remote_service_proxy_desired,
)
from ansible_collections.printops.prismadirect.plugins.module_utils.validation import ValidationError

__all__ = [
    "DEFAULT_SERVICE",
    "VERBS",
    "AssistanceDesired",
    "Change",
    "InfoDesired",
    "OrsAccountDesired",
    "Plan",
    "ProxyAuth",
    "ProxyDesired",
    "RemoteServiceDesired",
    "ValidationError",
    "find_account",
    "info_from_state",
    "license_report",
    "light",
    "ors_account_desired",
    "plan_ors_account",
    "plan_remote_assistance",
    "plan_remote_service",
    "plan_remote_service_proxy",
    "remote_assistance_desired",
    "remote_service_desired",
    "remote_service_info_desired",
    "remote_service_proxy_desired",
]
