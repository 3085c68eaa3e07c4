# Copyright: (c) 2026, printops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``floating_license_info`` module's domain: the report of a Floating License Server's licenses.

Domain core: standard library only, no I/O, no Ansible imports. Read-only: the report is made from the
host state alone (one read), nothing is planned. It is what the ``floating_license`` role needs before
it pulls new licenses (the serials in the folder), and what an operator needs to see (expiry,
maintenance, licenses bound to another computer).

Host state read (docs/internals.md)::

    "licenses":       [{"name": "PDS-100001.lic", "size": 812, "sha256": "...", "text": "..."}]
    "mac_addresses":  ["025044000001"]
    "license_server": {"lmutil": {"path": "...", "exists": true},
                       "service": {"name": "...", "exists": true, "state": "running"}}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from ansible_collections.printops.prismadirect.plugins.module_utils.planning_core import (
    given,
    parsed_licenses,
)
from ansible_collections.printops.prismadirect.plugins.module_utils.planning_info import license_report
from ansible_collections.printops.prismadirect.plugins.module_utils.planning_license import (
    license_server_options,
    parse_warn_days,
)
from ansible_collections.printops.prismadirect.plugins.module_utils.planning_share import parse_folder
from ansible_collections.printops.prismadirect.plugins.module_utils.validation import parse_bool

__all__ = ["FlsInfoDesired", "floating_license_info_desired", "fls_info_from_state"]

NO_MACS = "the FLS's MAC addresses were not read, so the licenses' host ids were not checked"


@dataclass(frozen=True)
class FlsInfoDesired:
    path: str
    warn_days: int = 31
    validate_hostid: bool = True
    lmutil_path: str | None = None
    license_service: str | None = None


def floating_license_info_desired(args: Mapping[str, Any]) -> FlsInfoDesired:
    lmutil, service = license_server_options(args)
    return FlsInfoDesired(
        path=parse_folder(args.get("path"), "path"),
        warn_days=parse_warn_days(args.get("warn_days")),
        validate_hostid=parse_bool(given(args, "validate_hostid", True), "validate_hostid"),
        lmutil_path=lmutil,
        license_service=service,
    )


def fls_info_from_state(desired: FlsInfoDesired, state: Mapping[str, Any], today: date) -> dict[str, Any]:
    """Everything ``floating_license_info`` returns; ``warnings`` (each license's, prefixed with its
    file name) are for the action to show."""
    macs = state.get("mac_addresses")
    macs = [str(mac) for mac in macs] if isinstance(macs, list) else None
    checked = macs if desired.validate_hostid else None
    licenses = []
    for entry, (name, lic, error) in zip(state.get("licenses") or [], parsed_licenses(state), strict=True):
        report = license_report(name, lic, error, today, warn_days=desired.warn_days, mac_addresses=checked)
        issued = lic.issued if lic is not None else None
        licenses.append({**report, "issued": issued and issued.isoformat(), "sha256": entry.get("sha256")})
    warnings = [f"{entry['name']}: {w}" for entry in licenses for w in entry["warnings"]]
    if desired.validate_hostid and macs is None:
        warnings.insert(0, NO_MACS)
    return {
        "path": desired.path,
        "licenses": licenses,
        "serials": sorted({s for entry in licenses for s in entry["serials"]}),
        "mac_addresses": macs,
        "license_server": state.get("license_server"),
        "warnings": warnings,
    }
