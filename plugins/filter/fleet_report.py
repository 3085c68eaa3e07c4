"""Filters of the fleet report: fleet_report_rows, fleet_report_totals and fleet_report_csv.

Documentation lives beside this file in fleet_report_rows.yml, fleet_report_totals.yml and
fleet_report_csv.yml. The rules (the lights) are plugins/module_utils/fleet_report.py; this file only
picks the hosts' results out of their variables and converts arguments and errors.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from ansible.errors import AnsibleFilterError
from ansible_collections.printops.prismadirect.plugins.module_utils.fleet_report import (
    fleet_rows,
    fleet_totals,
    parse_now,
    rows_csv,
)

#: The variables fleet_report_rows reads of each host (playbooks/fleet_report.yml registers them).
STATUS_VAR = "fleet_report_status"
LICENSES_VAR = "fleet_report_licenses"
FLS_HOST_VAR = "prismadirect_fls_host"
SERIAL_VAR = "prismadirect_serial"


def _hosts(value: object, option: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple, set)):
        return [str(host) for host in value]
    raise AnsibleFilterError(
        f"fleet_report_rows: {option} must be a list of host names, got {type(value).__name__}"
    )


def _var(host_vars: Mapping[str, Any], host: str, name: str) -> Any:
    """A variable of ``host``; None when the host or the variable is not there."""
    if host not in host_vars:
        return None
    variables = host_vars[host]
    return variables.get(name) if isinstance(variables, Mapping) else None


def _rows_input(value: object) -> list[Mapping[str, Any]]:
    if not isinstance(value, (list, tuple)) or not all(isinstance(row, Mapping) for row in value):
        raise AnsibleFilterError("expected the list of rows that fleet_report_rows returns")
    return list(value)


def fleet_report_rows(
    host_vars: Mapping[str, Any],
    prismadirect: list[str] | None = None,
    fls: list[str] | None = None,
    now: str | datetime | None = None,
) -> list[dict[str, Any]]:
    """hostvars -> the report's rows, red first (see fleet_report_rows.yml)."""
    if not isinstance(host_vars, Mapping):
        raise AnsibleFilterError(
            f"fleet_report_rows: expected hostvars (host name -> variables), got {type(host_vars).__name__}"
        )
    try:
        moment = datetime.now(UTC) if now in (None, "") else parse_now(now)
    except ValueError as exc:
        raise AnsibleFilterError(f"fleet_report_rows: now: {exc}") from None
    pd_hosts = _hosts(prismadirect, "prismadirect")
    fls_hosts = _hosts(fls, "fls")
    return fleet_rows(
        prismadirect={host: _var(host_vars, host, STATUS_VAR) for host in pd_hosts},
        fls={host: _var(host_vars, host, LICENSES_VAR) for host in fls_hosts},
        now=moment,
        fls_of={host: _var(host_vars, host, FLS_HOST_VAR) for host in pd_hosts},
        serial_of={host: _var(host_vars, host, SERIAL_VAR) for host in pd_hosts},
    )


def fleet_report_totals(rows: list[Mapping[str, Any]]) -> dict[str, int]:
    """Rows -> the fleet's counts (see fleet_report_totals.yml)."""
    try:
        return fleet_totals(_rows_input(rows))
    except AnsibleFilterError as exc:
        raise AnsibleFilterError(f"fleet_report_totals: {exc.message}") from None


def fleet_report_csv(rows: list[Mapping[str, Any]]) -> str:
    """Rows -> CSV text (see fleet_report_csv.yml)."""
    try:
        return rows_csv(_rows_input(rows))
    except AnsibleFilterError as exc:
        raise AnsibleFilterError(f"fleet_report_csv: {exc.message}") from None


class FilterModule:
    """Fleet report filters."""

    def filters(self):
        return {
            "fleet_report_rows": fleet_report_rows,
            "fleet_report_totals": fleet_report_totals,
            "fleet_report_csv": fleet_report_csv,
        }
