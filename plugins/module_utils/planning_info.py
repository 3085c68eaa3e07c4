# Copyright: (c) 2026, printops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``remote_service_info`` module's domain: the report of a host's state, and the status light.

Domain core: standard library only, no I/O, no Ansible imports. The report is made from the host
state alone (one read); the light needs a live connection test, which the action plugin makes and
hands to ``light``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from ansible_collections.printops.prismadirect.plugins.module_utils import flexlm
from ansible_collections.printops.prismadirect.plugins.module_utils.assistance_window import window_state
from ansible_collections.printops.prismadirect.plugins.module_utils.planning_core import (
    DEFAULT_SERVICE,
    given,
    parsed_licenses,
    service_entry,
    settings_view,
    settings_warnings,
    store_protection_drift,
)
from ansible_collections.printops.prismadirect.plugins.module_utils.settings import (
    SECRET_KEYS,
    current_values,
    secret_is_set,
    unflatten,
)
from ansible_collections.printops.prismadirect.plugins.module_utils.validation import (
    parse_bool,
    parse_service_name,
)

__all__ = [
    "WARN_DAYS",
    "InfoDesired",
    "assistance_report",
    "info_from_state",
    "license_report",
    "light",
    "remote_service_info_desired",
]

# The product warns when the license expiry or the end of maintenance is less than one month away:
# flexlm warns at "days left <= warn_days", so 30 here warns below 31 days.
WARN_DAYS = 30


@dataclass(frozen=True)
class InfoDesired:
    service: str = DEFAULT_SERVICE
    test_connection: bool = False


def remote_service_info_desired(args: Mapping[str, Any]) -> InfoDesired:
    return InfoDesired(
        service=parse_service_name(given(args, "service", DEFAULT_SERVICE), "service"),
        test_connection=parse_bool(given(args, "test_connection", False), "test_connection"),
    )


def _settings_report(view: Mapping[str, Any] | None) -> dict[str, Any]:
    """The settings with each secret replaced by ``<name>_set: bool``: whether it is set is useful,
    anything more (even a fingerprint) is not for a report."""
    flat: dict[str, Any] = dict(current_values(view))
    for key in SECRET_KEYS:
        flat[f"{key}_set"] = secret_is_set(view, key)
    return unflatten(flat)


def _days_left(day: date | None, today: date) -> int | None:
    return None if day is None else (day - today).days


def _features(lic: flexlm.License) -> list[dict[str, Any]]:
    return [
        {
            "name": f.name,
            "version": f.version,
            "expiry": "permanent" if f.expiry is None else f.expiry.isoformat(),
            "count": "uncounted" if f.count is None else f.count,
        }
        for f in lic.features
    ]


def license_report(
    name: str,
    lic: flexlm.License | None,
    error: str | None,
    today: date,
    *,
    warn_days: int = WARN_DAYS,
    mac_addresses: list[str] | None = None,
) -> dict[str, Any]:
    """One license as the info modules return it. Expired features, and a host id that is not one of
    ``mac_addresses`` (``None``: not checked), are warnings here, not errors: the report must not
    fail, and the operator acts on them all the same way (renew, or ask for the right license)."""
    if lic is None:
        return {
            "name": name,
            "readable": False,
            "error": error,
            "serial": None,
            "serials": [],
            "expiry": None,
            "days_left": None,
            "maintenance_end": None,
            "maintenance_days_left": None,
            "features": [],
            "users": None,
            "warnings": [f"could not be read: {error}"],
        }
    check = flexlm.validate_license(lic, mac_addresses=mac_addresses, today=today, warn_days=warn_days)
    expiry = lic.earliest_expiry
    users = lic.users
    return {
        "name": name,
        "readable": True,
        "error": None,
        "serial": lic.serials[0] if lic.serials else None,
        "serials": list(lic.serials),
        "expiry": "permanent" if expiry is None and lic.features else (expiry and expiry.isoformat()),
        "days_left": _days_left(expiry, today),
        "maintenance_end": lic.maintenance_end and lic.maintenance_end.isoformat(),
        "maintenance_days_left": _days_left(lic.maintenance_end, today),
        "features": _features(lic),
        "users": "uncounted" if users is None else users,
        "warnings": [*check.errors, *check.warnings],
    }


def assistance_report(view: Mapping[str, Any] | None, now: datetime) -> tuple[dict[str, Any], list[str]]:
    """Remote assistance and its window at ``now``: ``{"enabled", "until", "window", "minutes_left"}``,
    and the warnings (an overdue window: a run should have disabled it; an end that cannot be read)."""
    state = window_state(current_values(view), now)
    error = state.pop("error")
    warnings = []
    if error:
        warnings.append(
            f"remote assistance is allowed but {error}: run playbooks/remote_assistance.yml to close it"
        )
    elif state["window"] == "overdue":
        warnings.append(
            f"remote assistance is still allowed although its window ended at {state['until']}: run "
            "playbooks/remote_assistance.yml (or site.yml) to disable it"
        )
    return state, warnings


def _protection_warnings(state: Mapping[str, Any]) -> list[str]:
    """The store holds the verification code and the proxy password: readable by others, it is a
    finding even when every setting is right."""
    drift = store_protection_drift(state)
    if not drift:
        return []
    return [
        f"the settings store is not protected as it must be ({drift}): the remote_service role puts it right"
    ]


def info_from_state(state: Mapping[str, Any], today: date, now: datetime | None = None) -> dict[str, Any]:
    """Everything ``remote_service_info`` returns except the light (see ``light``).

    ``today`` dates the licenses; ``now`` (aware) judges the remote-assistance window, by default the
    start of ``today`` in UTC: both are data, so that the report can be computed for any moment.

    The license host-id check is left out: with an external FLS the license is bound to another
    computer's MAC address, so a mismatch here would be a false alarm.
    """
    view = settings_view(state)
    service = service_entry(state)
    licenses = [license_report(n, lic, err, today) for n, lic, err in parsed_licenses(state)]
    assistance, assistance_warnings = assistance_report(view, now or datetime.combine(today, time(0), UTC))
    return {
        "settings": _settings_report(view),
        "settings_present": view is not None,
        "service": {
            "name": service.get("name"),
            "exists": bool(service.get("exists")),
            "account": service.get("account"),
            "start_mode": service.get("start_mode"),
            "state": service.get("state"),
        },
        "licenses": licenses,
        "serials": sorted({s for entry in licenses for s in entry["serials"]}),
        "remote_assistance": assistance,
        "warnings": [
            *settings_warnings(state),
            *_protection_warnings(state),
            *(f"{entry['name']}: {w}" for entry in licenses for w in entry["warnings"]),
            *assistance_warnings,
        ],
    }


def light(
    service_state: Mapping[str, Any] | str | None,
    settings: Mapping[str, Any] | None,
    test_result: Mapping[str, Any] | None,
) -> dict[str, str]:
    """The Remote Service status light: green only when the service runs, the Remote Service is
    enabled and a live connection test just succeeded; otherwise orange with the first reason, in the
    order an operator fixes them.

    ``service_state``: the host state's ``service`` entry or its ``state``; ``settings``: the settings
    view, or the reader's whole ``settings`` section; ``test_result``: the connection test's
    ``{"ok", "status", "elapsed_ms", "error"}``, or ``None`` when no test was made.
    """
    if isinstance(settings, Mapping) and "document" in settings:
        settings = settings.get("document")
    if isinstance(service_state, Mapping):
        name = service_state.get("name") or DEFAULT_SERVICE
        state = service_state.get("state") if service_state.get("exists", True) else "not installed"
    else:
        name, state = DEFAULT_SERVICE, service_state
    if state != "running":
        state = state or "in an unknown state"
        reason = f"{name} is {state}: the Remote Service cannot connect; start the service"
        return {"light": "orange", "reason": reason}
    if current_values(settings)["general.enabled"] is not True:
        reason = "the Remote Service is disabled: no connection to the back office; set enabled: true"
        return {"light": "orange", "reason": reason}
    if test_result is None:
        reason = "no connection test was made: ask for one (test_connection: true)"
        return {"light": "orange", "reason": reason}
    status = test_result.get("status")
    if not test_result.get("ok"):
        error = test_result.get("error") or "no answer"
        http = f" (HTTP {status})" if status else ""
        return {"light": "orange", "reason": f"the connection test failed{http}: {error}"}
    elapsed = test_result.get("elapsed_ms")
    timing = f" in {elapsed} ms" if elapsed is not None else ""
    return {"light": "green", "reason": f"connected to the back office (HTTP {status}{timing})"}
