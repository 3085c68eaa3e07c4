# Copyright: (c) 2026, printops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet report: one row per host, with a traffic light, from what the info modules returned.

Domain core: standard library only, no I/O, no Ansible imports. ``fleet_rows`` takes the registered
results of ``remote_service_info`` (PRISMAdirect hosts) and ``floating_license_info`` (FLS hosts), or
Ansible's marker of a host that gave none (unreachable, failed), and returns the rows, most urgent
first; ``fleet_totals`` counts them; ``rows_csv`` writes them as CSV. The filter plugin
``plugins/filter/fleet_report.py`` exposes them; ``playbooks/fleet_report.yml`` writes the files.

The light rule, written here only (``LIGHT_RULE``; docs/fleet-report.md quotes it):

red
    The host gave no status: unreachable, its info task failed, or nothing was collected (it failed
    earlier in the run). Or a license has expired, could not be read, or is not valid where it is
    (bound to another computer's host id, grants nothing). Or a remote-assistance window is overdue:
    still allowed after its end.
orange
    The Remote Service light of a PRISMAdirect host is orange (service not running, Remote Service
    disabled, connection test failed or not made). Or a license or its maintenance ends in less than
    31 days, or the maintenance has ended, or a license has another warning. Or no license was found
    (for a PRISMAdirect host whose ``prismadirect_serial`` is known: none of that serial; its row
    judges only the licenses of its serial, the others in the share are judged on their FLS's row).
    Or the FLS's license service is known and not running.
green
    Everything else.

Secrets: the info modules never return one (settings secrets only as ``<name>_set``); the rows copy
named fields only, so nothing else a result may hold reaches a report.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from ansible_collections.printops.prismadirect.plugins.module_utils.assistance_window import window_state

__all__ = [
    "CSV_COLUMNS",
    "LIGHTS",
    "LIGHT_RULE",
    "ROLE_FLS",
    "ROLE_PRISMADIRECT",
    "SOON_DAYS",
    "fleet_rows",
    "fleet_totals",
    "generated_at",
    "parse_now",
    "rows_csv",
]

ROLE_PRISMADIRECT = "PRISMAdirect"
ROLE_FLS = "FLS"
#: Most urgent first: the order of the rows and of the totals.
LIGHTS = ("red", "orange", "green")
#: "Less than one month": the product warns when the license expiry or the end of maintenance is
#: less than 31 days away (remote_service_info warns at days_left <= 30, the same thing).
SOON_DAYS = 31
LIGHT_RULE = {
    "red": "no status (unreachable, the info task failed, or nothing collected), a license expired, "
    "unreadable or not valid where it is, or a remote-assistance window overdue",
    "orange": "the Remote Service light is orange, a license or its maintenance ends in less than "
    f"{SOON_DAYS} days or the maintenance has ended, another license warning, no license (of the host's "
    "serial) found, or the "
    "FLS's license service is not running",
    "green": "everything else",
}
#: Warnings of flexlm.validate_license that are errors there: the license does not work where it is.
#: (The info modules report every check as a warning so that the report never fails.)
_INVALID_MARKERS = ("not to this server", "grants nothing")
#: The longest message of a failed or unreachable host kept in a row (Ansible's can be pages long).
_MAX_MESSAGE = 500
_UNC_RE = re.compile(r"^(?:\\\\|//)([^\\/]+)[\\/]")
_CSV_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

CSV_COLUMNS = (
    "host",
    "role",
    "light",
    "light_reason",
    "service_state",
    "fls",
    "clients",
    "serials",
    "expiry",
    "days_left",
    "maintenance_end",
    "maintenance_days_left",
    "assistance_enabled",
    "assistance_window",
    "assistance_until",
    "assistance_minutes_left",
    "warnings",
)


def parse_now(value: object) -> datetime:
    """``value`` as an aware UTC datetime: a datetime (naive = UTC) or an ISO 8601 text (``Z`` allowed).
    Raises ValueError naming the expected form."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            raise ValueError(f"{value!r} is not an ISO 8601 time such as 2026-11-29T13:05:00Z") from None
    else:
        raise ValueError(
            f"expected an ISO 8601 time such as 2026-11-29T13:05:00Z, got {type(value).__name__}"
        )
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _int_or_none(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _days(n: int) -> str:
    return f"{n} day" if abs(n) == 1 else f"{n} days"


def _short(text: object) -> str:
    line = " ".join(str(text or "").split())
    return line if len(line) <= _MAX_MESSAGE else line[: _MAX_MESSAGE - 1] + "…"


# --- licenses -------------------------------------------------------------------------------------


def _warning_days(text: str, lic: Mapping[str, Any]) -> int | None:
    """The days left a license warning is about: its maintenance end or its expiry, else None."""
    lowered = text.lower()
    if "maintenance" in lowered:
        return _int_or_none(lic.get("maintenance_days_left"))
    if "expire" in lowered:
        return _int_or_none(lic.get("days_left"))
    return None


def _license(lic: Mapping[str, Any]) -> dict[str, Any]:
    """One license of a row: the fields the report shows, with each warning marked ``soon`` when what
    it is about is less than SOON_DAYS away (or past)."""
    warnings = []
    for text in lic.get("warnings") or []:
        days = _warning_days(str(text), lic)
        warnings.append({"text": str(text), "soon": days is not None and days < SOON_DAYS})
    serials = [str(s) for s in lic.get("serials") or []]
    return {
        "name": str(lic.get("name") or ""),
        "readable": bool(lic.get("readable", True)),
        "serial": lic.get("serial") or (serials[0] if serials else None),
        "serials": serials,
        "expiry": lic.get("expiry"),
        "days_left": _int_or_none(lic.get("days_left")),
        "maintenance_end": lic.get("maintenance_end"),
        "maintenance_days_left": _int_or_none(lic.get("maintenance_days_left")),
        "warnings": warnings,
    }


def _license_problems(lic: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """(red reasons, orange reasons) of one license (a ``_license`` entry)."""
    red: list[str] = []
    orange: list[str] = []
    name = lic["name"]
    if not lic["readable"]:
        return [f"{name}: the license could not be read"], []
    days, maintenance = lic["days_left"], lic["maintenance_days_left"]
    if days is not None and days < 0:
        red.append(f"{name}: the license expired on {lic['expiry']} ({_days(-days)} ago)")
    elif days is not None and days < SOON_DAYS:
        orange.append(f"{name}: the license expires on {lic['expiry']} (in {_days(days)})")
    if maintenance is not None and maintenance < 0:
        orange.append(f"{name}: the maintenance ended on {lic['maintenance_end']}: no license updates")
    elif maintenance is not None and maintenance < SOON_DAYS:
        orange.append(f"{name}: the maintenance ends on {lic['maintenance_end']} (in {_days(maintenance)})")
    for warning in lic["warnings"]:
        text = warning["text"]
        if any(marker in text for marker in _INVALID_MARKERS):
            red.append(f"{name}: not valid here: {text}")
        elif _warning_days(text, lic) is None:  # the dated ones are covered above, by their numbers
            orange.append(f"{name}: {text}")
    return red, orange


def _earliest(licenses: list[dict[str, Any]], date_key: str, days_key: str) -> tuple[Any, int | None]:
    """(date, days left) of the license that ends first; ("permanent", None) when none ends."""
    dated = [lic for lic in licenses if lic[days_key] is not None]
    if dated:
        first = min(dated, key=lambda lic: lic[days_key])
        return first[date_key], first[days_key]
    if any(lic[date_key] == "permanent" for lic in licenses):
        return "permanent", None
    return None, None


# --- remote assistance ----------------------------------------------------------------------------


def _assistance(result: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """Remote assistance and its window: the module's ``remote_assistance`` when it has one, else
    judged here from the settings by the module's own rule (``assistance_window``)."""
    given = result.get("remote_assistance")
    if not (isinstance(given, Mapping) and given.get("window") in ("none", "open", "overdue")):
        settings = (result.get("settings") or {}).get("remote_assistance") or {}
        given = window_state(
            {
                "remote_assistance.enabled": settings.get("enabled"),
                "remote_assistance.until": settings.get("until"),
            },
            now,
        )
    return {
        "enabled": bool(given.get("enabled")),
        "window": given["window"],
        "until": given.get("until"),
        "minutes_left": _int_or_none(given.get("minutes_left")),
    }


# --- rows -----------------------------------------------------------------------------------------


def _no_status(result: Mapping[str, Any] | None) -> str | None:
    """Why a host gave no status, or None when ``result`` is an info module's result."""
    if result is None:
        return "no status collected: the host failed or was unreachable earlier in this run"
    if not isinstance(result, Mapping):
        return f"no status collected: unexpected result {type(result).__name__}"
    if result.get("unreachable"):
        return f"unreachable: {_short(result.get('msg')) or 'no reason given'}"
    if result.get("failed"):
        return f"the status task failed: {_short(result.get('msg')) or 'no reason given'}"
    if result.get("skipped"):
        return (
            f"no status collected: the task was skipped ({_short(result.get('skip_reason')) or 'no reason'})"
        )
    return None


def _empty_row(host: str, role: str) -> dict[str, Any]:
    return {
        "host": host,
        "role": role,
        "light": "red",
        "light_reason": "",
        "reasons": [],
        "service_state": None,
        "fls": None,
        "clients": [],
        "serials": [],
        "licenses": [],
        "expiry": None,
        "days_left": None,
        "maintenance_end": None,
        "maintenance_days_left": None,
        "warnings": [],
        "assistance": None,
    }


def _finish(row: dict[str, Any], red: list[str], orange: list[str], green_reason: str) -> dict[str, Any]:
    row["reasons"] = [*red, *orange]
    row["light"] = "red" if red else "orange" if orange else "green"
    row["light_reason"] = row["reasons"][0] if row["reasons"] else green_reason
    licenses = row["licenses"]
    row["serials"] = sorted({s for lic in licenses for s in lic["serials"]})
    row["expiry"], row["days_left"] = _earliest(licenses, "expiry", "days_left")
    row["maintenance_end"], row["maintenance_days_left"] = _earliest(
        licenses, "maintenance_end", "maintenance_days_left"
    )
    row["warnings"] = [
        {"text": f"{lic['name']}: {w['text']}", "soon": w["soon"]}
        for lic in licenses
        for w in lic["warnings"]
    ]
    return row


def _share_host(license_path: object) -> str | None:
    """The server of a UNC license path (``\\\\fls1\\licenses`` -> ``fls1``), else None."""
    match = _UNC_RE.match(license_path) if isinstance(license_path, str) else None
    return match.group(1) if match else None


def _prismadirect_row(
    host: str, result: Mapping[str, Any] | None, fls: str | None, serial: str | None, now: datetime
):
    row = _empty_row(host, ROLE_PRISMADIRECT)
    row["fls"] = fls
    why = _no_status(result)
    if why is not None:
        return _finish(row, [why], [], "")
    red: list[str] = []
    orange: list[str] = []
    license_path = ((result.get("settings") or {}).get("general") or {}).get("license_path")
    row["fls"] = fls or _share_host(license_path)
    service = result.get("service") or {}
    row["service_state"] = service.get("state") if service.get("exists") else "not installed"
    light, reason = result.get("light"), _short(result.get("light_reason"))
    if light != "green":
        orange.append(f"Remote Service light {light or 'unknown'}: {reason or 'no reason given'}")
    licenses = [_license(lic) for lic in result.get("licenses") or [] if isinstance(lic, Mapping)]
    where = f"in the license path {license_path}" if license_path else "(no license path is set)"
    if serial:
        # The share holds every license of its FLS: the host's own is what its light is about (the
        # others are judged on the FLS's row). An unreadable file may be its own: it stays.
        licenses = [lic for lic in licenses if serial in lic["serials"] or not lic["readable"]]
        if not any(serial in lic["serials"] for lic in licenses):
            orange.append(f"no license of its serial {serial} found {where}")
    elif not licenses:
        orange.append(f"no license found {where}")
    row["licenses"] = licenses
    for lic in row["licenses"]:
        lic_red, lic_orange = _license_problems(lic)
        red += lic_red
        orange += lic_orange
    row["assistance"] = assistance = _assistance(result, now)
    if assistance["window"] == "overdue":
        minutes = assistance["minutes_left"]
        since = f", {-minutes} min ago" if minutes is not None else ""
        red.insert(
            0,
            f"remote assistance is still allowed after its window ended ({assistance['until']}{since}): "
            "run playbooks/remote_assistance.yml or site.yml to close it",
        )
    return _finish(row, red, orange, reason or "connected to the back office")


def _fls_row(host: str, result: Mapping[str, Any] | None, clients: list[str]):
    row = _empty_row(host, ROLE_FLS)
    row["clients"] = clients
    why = _no_status(result)
    if why is not None:
        return _finish(row, [why], [], "")
    red: list[str] = []
    orange: list[str] = []
    service = ((result.get("license_server") or {}).get("service")) or {}
    if service.get("exists"):
        row["service_state"] = state = service.get("state")
        if state != "running":
            orange.append(
                f"the license service {service.get('name') or ''} is {state or 'in an unknown state'}"
            )
    row["licenses"] = [_license(lic) for lic in result.get("licenses") or [] if isinstance(lic, Mapping)]
    if not row["licenses"]:
        orange.append(f"no license in the license folder {result.get('path') or ''}".rstrip())
    for lic in row["licenses"]:
        lic_red, lic_orange = _license_problems(lic)
        red += lic_red
        orange += lic_orange
    count = len(row["licenses"])
    return _finish(row, red, orange, f"{count} license{'s' if count != 1 else ''}, all valid")


def _sort_key(row: Mapping[str, Any]) -> tuple[int, str, str]:
    return LIGHTS.index(row["light"]), str(row["host"]), str(row["role"])


def fleet_rows(
    prismadirect: Mapping[str, Mapping[str, Any] | None],
    fls: Mapping[str, Mapping[str, Any] | None],
    now: datetime | str,
    fls_of: Mapping[str, str | None] | None = None,
    serial_of: Mapping[str, str | None] | None = None,
) -> list[dict[str, Any]]:
    """The rows of the report, red first, then orange, then green, each by host name.

    ``prismadirect``: host -> its ``remote_service_info`` result; ``fls``: host -> its
    ``floating_license_info`` result; either may instead be Ansible's ``{"unreachable": true, "msg"}``
    or ``{"failed": true, "msg"}``, or None (nothing collected). ``fls_of``: PRISMAdirect host -> the
    FLS that licenses it. ``serial_of``: PRISMAdirect host -> its serial number
    (``prismadirect_serial``): its row judges the licenses of that serial only, and a missing one is
    orange; without it, every license in its license path. ``now``: when the report is made (for
    assistance windows given without minutes).
    A host in both mappings (a local FLS) has two rows.
    """
    moment = parse_now(now)
    fls_of = fls_of or {}
    serial_of = serial_of or {}
    rows = [
        _prismadirect_row(str(host), result, fls_of.get(host) or None, serial_of.get(host) or None, moment)
        for host, result in prismadirect.items()
    ]
    for host, result in fls.items():
        clients = sorted(row["host"] for row in rows if row["fls"] == host)
        rows.append(_fls_row(str(host), result, clients))
    return sorted(rows, key=_sort_key)


def fleet_totals(rows: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Counts over the rows. Licenses are counted once per serial however many hosts show them (a
    PRISMAdirect host reads its FLS's licenses through the share)."""
    rows = list(rows)
    expiring: set[str] = set()
    expired: set[str] = set()
    for row in rows:
        for lic in row.get("licenses") or []:
            days = lic.get("days_left")
            if days is None:
                continue
            target = expired if days < 0 else expiring if days < SOON_DAYS else None
            if target is not None:
                target.update(lic.get("serials") or [lic.get("name")])
    windows = [(row.get("assistance") or {}).get("window") for row in rows]
    return {
        "hosts": len(rows),
        **{light: sum(1 for row in rows if row.get("light") == light) for light in LIGHTS},
        "prismadirect": sum(1 for row in rows if row.get("role") == ROLE_PRISMADIRECT),
        "fls": sum(1 for row in rows if row.get("role") == ROLE_FLS),
        "licenses_expiring": len(expiring),
        "licenses_expired": len(expired),
        "windows_open": windows.count("open"),
        "windows_overdue": windows.count("overdue"),
    }


def _cell(value: Any) -> str:
    """One CSV field. Text that a spreadsheet would run as a formula gets a leading apostrophe
    (values come from hosts); numbers stay numbers."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(_CSV_FORMULA_START) else text


def _csv_record(row: Mapping[str, Any]) -> dict[str, Any]:
    assistance = row.get("assistance") or {}
    return {
        **{key: row.get(key) for key in CSV_COLUMNS if not key.startswith("assistance_")},
        "clients": " ".join(row.get("clients") or []),
        "serials": " ".join(row.get("serials") or []),
        "warnings": "; ".join(w["text"] for w in row.get("warnings") or []),
        "assistance_enabled": assistance.get("enabled"),
        "assistance_window": assistance.get("window"),
        "assistance_until": assistance.get("until"),
        "assistance_minutes_left": assistance.get("minutes_left"),
    }


def rows_csv(rows: Iterable[Mapping[str, Any]]) -> str:
    """The rows as CSV (RFC 4180: a header line, CRLF line ends, fields quoted where needed)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        record = _csv_record(row)
        writer.writerow([_cell(record[key]) for key in CSV_COLUMNS])
    return out.getvalue()


def generated_at(now: datetime | str) -> str:
    """``now`` as the report shows it: ISO 8601, UTC, whole seconds, ``Z``."""
    return _iso(parse_now(now))
