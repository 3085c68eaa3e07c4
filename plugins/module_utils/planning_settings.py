# Copyright: (c) 2026, printops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The settings modules' domain: ``remote_service``, ``remote_service_proxy``, ``remote_assistance``.

Domain core: standard library only, no I/O, no Ansible imports. Each module owns part of the settings
store document; its planner turns the desired values into one minimal ``settings.write`` patch and
checks the rules that need the host's current settings (a license path that fits the license server,
no automatic proxy detection under remote assistance, every prerequisite of remote assistance, a
window of remote assistance that ends in the future). The time is data too: the remote_assistance
planner is given ``now``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ansible_collections.printops.prismadirect.plugins.module_utils.assistance_window import (
    format_until,
    parse_until,
    window_state,
)
from ansible_collections.printops.prismadirect.plugins.module_utils.planning_core import (
    DEFAULT_SERVICE,
    Plan,
    given,
    parsed_licenses,
    service_entry,
    settings_view,
    settings_warnings,
    settings_write,
    store_protection_drift,
    store_protection_goal,
)
from ansible_collections.printops.prismadirect.plugins.module_utils.settings import (
    LICENSE_SERVERS,
    PROXY_MODES,
    assistance_blockers,
    current_values,
    secret_is_set,
    settings_diff,
    settings_patch,
)
from ansible_collections.printops.prismadirect.plugins.module_utils.validation import (
    MAX_SECRET_LENGTH,
    PROXY_FORM,
    ValidationError,
    parse_bool,
    parse_choice,
    parse_license_path,
    parse_organization_id,
    parse_proxy_url,
    parse_service_name,
    parse_verification_code,
    quoted,
)

__all__ = [
    "AssistanceDesired",
    "ProxyAuth",
    "ProxyDesired",
    "RemoteServiceDesired",
    "plan_remote_assistance",
    "plan_remote_service",
    "plan_remote_service_proxy",
    "remote_assistance_desired",
    "remote_service_desired",
    "remote_service_proxy_desired",
]


def _write_plan(
    state: Mapping[str, Any],
    values: Mapping[str, Any],
    secrets: Mapping[str, str | None],
    sections: tuple[str, ...],
    warnings: list[str],
    result: Mapping[str, Any],
) -> Plan:
    """One ``settings.write`` with the smallest patch, or nothing; the diff shows ``sections``."""
    view = settings_view(state)
    patch = settings_patch(view, values, secrets)
    drift = store_protection_drift(state)
    reasons = [f"{', '.join(patch.changed_keys)} differ"] if not patch.empty else []
    reasons += [drift] if drift else []
    changes = (settings_write(state, patch, "; ".join(reasons)),) if reasons else ()
    result = {**result, "changed_keys": list(patch.changed_keys)}
    diff = settings_diff(view, patch, sections)
    if drift:
        diff["before"]["store"], diff["after"]["store"] = drift, store_protection_goal(state)
    return Plan(changes=changes, diff=diff, warnings=(*settings_warnings(state), *warnings), result=result)


# ---------------------------------------------------------------------------------------------------
# remote_service: general settings (procedure A steps 1, 2, 4)
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RemoteServiceDesired:
    """``None`` means "leave as it is on the host" for every field."""

    enabled: bool | None = None
    organization_id: str | None = None
    verification_code: str | None = field(default=None, repr=False)
    license_server: str | None = None
    license_path: str | None = None


def remote_service_desired(args: Mapping[str, Any]) -> RemoteServiceDesired:
    enabled, server = args.get("enabled"), args.get("license_server")
    organization_id, code = args.get("organization_id"), args.get("verification_code")
    path = args.get("license_path")
    server = None if server is None else parse_choice(server, LICENSE_SERVERS, "license_server")
    return RemoteServiceDesired(
        enabled=None if enabled is None else parse_bool(enabled, "enabled"),
        organization_id=None if organization_id is None else parse_organization_id(organization_id),
        verification_code=None if code is None else parse_verification_code(code),
        license_server=server,
        license_path=None if path is None else parse_license_path(path, server),
    )


def _license_path_fits(desired: RemoteServiceDesired, current: Mapping[str, Any]) -> str | None:
    """The path to write, checked against the license server it will be used with: a task may change
    either one alone, so the other comes from the host."""
    server = desired.license_server or current["general.license_server"]
    if desired.license_path is not None:
        return parse_license_path(desired.license_path, server)
    existing = current["general.license_path"]
    if desired.license_server is not None and existing:
        try:
            parse_license_path(existing, server)
        except ValidationError as exc:
            raise ValidationError(
                "license_path",
                f"license_server becomes {server} but the host's license path {quoted(existing)} does "
                f"not fit it ({exc.message}): give license_path too",
            ) from None
    return None


def _license_result(state: Mapping[str, Any], path: Any) -> tuple[dict[str, Any], list[str]]:
    """Serial numbers from the licenses found at the license path; unreadable files become warnings."""
    warnings, licenses = [], []
    for name, lic, error in parsed_licenses(state):
        if lic is None:
            warnings.append(f"license file {name} could not be read, its serial number is unknown: {error}")
        licenses.append({"name": name, "serials": list(lic.serials) if lic else []})
    if "licenses" in state and not licenses and path:
        warnings.append(
            f"no license file (*.lic) found in {path}: the serial number is read from the installed license; "
            "install it, or check license_path"
        )
    serials = sorted({s for entry in licenses for s in entry["serials"]})
    return {"serials": serials, "licenses": licenses}, warnings


def plan_remote_service(desired: RemoteServiceDesired, state: Mapping[str, Any]) -> Plan:
    view = settings_view(state)
    current = current_values(view)
    path = _license_path_fits(desired, current)
    values = {
        "general.enabled": desired.enabled,
        "general.organization_id": desired.organization_id,
        "general.license_server": desired.license_server,
        "general.license_path": path,
    }
    values = {k: v for k, v in values.items() if v is not None}
    code = desired.verification_code
    secrets = {} if code is None else {"general.verification_code": code}
    after = {**current, **values}
    warnings = []
    code_set = code is not None or secret_is_set(view, "general.verification_code")
    if after["general.enabled"] and not (after["general.organization_id"] and code_set):
        warnings.append(
            "the Remote Service is enabled without a Service organization ID and Verification code: it "
            "cannot connect to the back office; give organization_id and verification_code"
        )
    result, license_warnings = _license_result(state, after["general.license_path"])
    result.update(license_server=after["general.license_server"], license_path=after["general.license_path"])
    return _write_plan(state, values, secrets, ("general",), warnings + license_warnings, result)


# ---------------------------------------------------------------------------------------------------
# remote_service_proxy (procedure A step 3)
# ---------------------------------------------------------------------------------------------------

AUTO_DETECT_WARNING = (
    "proxy mode auto_detect uses the system's proxy settings and serves automatic license update and "
    "software-update download only: remote assistance cannot be allowed with it (use mode: manual)"
)


@dataclass(frozen=True)
class ProxyAuth:
    username: str
    domain: str | None = None
    password: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class ProxyDesired:
    """The whole proxy section: what is not given is cleared (``none`` clears URL and credentials)."""

    mode: str
    url: str | None = None
    authentication: ProxyAuth | None = None


def _auth_text(value: Any, option: str, forbidden: str, limit: int, hint: str) -> str | None:
    """One field of ``authentication``; secrets among them are never echoed, so no field is."""
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise ValidationError(option, "is empty or not a string: give it, or leave it out")
    if any(ord(c) < 32 or ord(c) == 127 or c in forbidden for c in value):
        bad = "".join(f", '{c}'" for c in forbidden)
        raise ValidationError(option, f"must not contain control characters{bad}: {hint}")
    if len(value) > limit:
        raise ValidationError(option, f"is longer than {limit} characters: {hint}")
    return value


def _proxy_auth(value: Any, mode: str) -> ProxyAuth | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise ValidationError(
            "authentication", "must be a dictionary: username, and optionally domain, password"
        )
    unknown = sorted(set(value) - {"domain", "username", "password"})
    if unknown:
        keys = ", ".join(unknown)
        raise ValidationError("authentication", f"unknown keys {keys}: expected domain, username, password")
    if all(v is None for v in value.values()):
        return None
    if mode == "none":
        raise ValidationError(
            "authentication",
            "is only used with a proxy (mode: manual or auto_detect): remove it for mode: none",
        )
    username = _auth_text(
        value.get("username"), "authentication.username", ":\\", 256, "give a domain as authentication.domain"
    )
    domain = _auth_text(
        value.get("domain"), "authentication.domain", "\\/@:", 255, "give the domain name alone"
    )
    password = _auth_text(
        value.get("password"), "authentication.password", "", MAX_SECRET_LENGTH, "give the password as is"
    )
    if username is None:
        raise ValidationError(
            "authentication.username",
            "is required when authentication.password or authentication.domain is given",
        )
    return ProxyAuth(username=username, domain=domain, password=password)


def remote_service_proxy_desired(args: Mapping[str, Any]) -> ProxyDesired:
    if args.get("mode") is None:
        raise ValidationError("mode", f"is required: one of {', '.join(PROXY_MODES)}")
    mode = parse_choice(args.get("mode"), PROXY_MODES, "mode")
    url = args.get("url")
    if mode == "manual":
        if url is None:
            raise ValidationError("url", f"is required with mode: manual: {PROXY_FORM}")
        url = parse_proxy_url(url, "url")
    elif url not in (None, ""):
        raise ValidationError(
            "url", f"is only used with mode: manual (mode is {mode}): remove url, or set mode: manual"
        )
    auth = _proxy_auth(args.get("authentication"), mode)
    return ProxyDesired(mode=mode, url=url or None, authentication=auth)


def _same_url(current: Any, desired: str | None) -> bool:
    """A URL stored as ``http://host:port`` by hand is the same as our normalised ``host:port``."""
    if current is None or desired is None:
        return current == desired
    try:
        return parse_proxy_url(current) == desired
    except ValidationError:
        return False


def plan_remote_service_proxy(desired: ProxyDesired, state: Mapping[str, Any]) -> Plan:
    """Refuses ``auto_detect`` while remote assistance is allowed on the host, rather than leaving the
    host in a state the SPEC forbids; the operator disables remote assistance first."""
    view = settings_view(state)
    current = current_values(view)
    if desired.mode == "auto_detect" and current["remote_assistance.enabled"] is True:
        raise ValidationError(
            "mode",
            "auto_detect cannot be used while remote assistance is allowed on this host: disable remote "
            "assistance first (printops.prismadirect.remote_assistance with enabled: false), or use "
            "mode: manual",
        )
    auth = desired.authentication
    values = {
        "proxy.mode": desired.mode,
        "proxy.url": desired.url,
        "proxy.domain": auth.domain if auth else None,
        "proxy.username": auth.username if auth else None,
    }
    if _same_url(current["proxy.url"], desired.url):
        del values["proxy.url"]
    secrets = {"proxy.password": auth.password if auth else None}
    warnings = [AUTO_DETECT_WARNING] if desired.mode == "auto_detect" else []
    result = {
        "mode": desired.mode,
        "url": desired.url,
        "authentication": None
        if auth is None
        else {"domain": auth.domain, "username": auth.username, "password_set": auth.password is not None},
    }
    return _write_plan(state, values, secrets, ("proxy",), warnings, result)


# ---------------------------------------------------------------------------------------------------
# remote_assistance (procedure B)
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AssistanceDesired:
    """``until``: the end of the window (aware, UTC), only with ``enabled``; ``None`` allows without
    an end. ``keep_open_window``: only with ``enabled: false``, which then disables only when no
    window is open."""

    enabled: bool
    service: str = DEFAULT_SERVICE  # whose running state is a prerequisite
    until: datetime | None = None
    keep_open_window: bool = False


def remote_assistance_desired(args: Mapping[str, Any]) -> AssistanceDesired:
    if args.get("enabled") is None:
        raise ValidationError(
            "enabled", "is required: true allows remote assistance, false stops allowing it"
        )
    enabled = parse_bool(args.get("enabled"), "enabled")
    until = None if args.get("until") in (None, "") else parse_until(args.get("until"), "until")
    keep = parse_bool(given(args, "keep_open_window", False), "keep_open_window")
    if until is not None and not enabled:
        raise ValidationError(
            "until",
            "is the end of a window of remote assistance, given with enabled: true only: remove until, "
            "or set enabled: true",
        )
    if keep and enabled:
        raise ValidationError(
            "keep_open_window",
            "is used with enabled: false only (disable unless a window is open): remove it, or set "
            "enabled: false",
        )
    return AssistanceDesired(
        enabled=enabled,
        service=parse_service_name(given(args, "service", DEFAULT_SERVICE), "service"),
        until=until,
        keep_open_window=keep,
    )


def _assistance_allowed(desired: AssistanceDesired, state: Mapping[str, Any], now: datetime) -> list[str]:
    """The checks of enabling: the end in the future, every prerequisite; the warnings."""
    if desired.until is not None and desired.until <= now:
        raise ValidationError(
            "until",
            f"{format_until(desired.until)} is not in the future (it is {format_until(now)} now): give a "
            "later end, or leave until out to allow remote assistance without an end",
        )
    blockers = assistance_blockers(settings_view(state), service_entry(state) or None)
    if blockers:
        listed = "; ".join(f"({n}) {b}" for n, b in enumerate(blockers, 1))
        count = f"{len(blockers)} prerequisite{'s are' if len(blockers) > 1 else ' is'} missing"
        raise ValidationError("enabled", f"remote assistance cannot be allowed: {count}: {listed}")
    if (state.get("teamviewer") or {}).get("present") is False:
        return ["TeamViewer was not found on this host: the help desk's remote-desktop session needs it"]
    return []


def _disabling(desired: AssistanceDesired, before: Mapping[str, Any]) -> tuple[bool, str | None, str]:
    """What a disabling task does with the host's window: ``(enabled after, until after, reason)``."""
    if not before["enabled"]:
        return False, None, "remote assistance is not allowed"
    if not desired.keep_open_window:
        return False, None, "remote assistance is no longer allowed (enabled: false)"
    if before["window"] == "open":
        return True, before["until"], f"the window is open until {before['until']}: kept (keep_open_window)"
    if before["error"]:
        return False, None, f"{before['error']}: remote assistance is no longer allowed"
    if before["window"] == "overdue":
        return False, None, f"the window ended at {before['until']}: remote assistance is no longer allowed"
    return False, None, "remote assistance was allowed without an end: it is no longer allowed"


def plan_remote_assistance(desired: AssistanceDesired, state: Mapping[str, Any], now: datetime) -> Plan:
    """Enabling is checked on every run, also when already enabled: an allowed assistance whose
    prerequisites broke does not work, and the task should say so. Disabling always works.

    ``now`` (aware) is when the plan is made: an end must be after it, and ``keep_open_window`` keeps
    a window whose end is after it. The stored end always goes with the state: enabling without
    ``until`` clears an end, disabling clears it too (unless the window is kept)."""
    current = current_values(settings_view(state))
    before = window_state(current, now)
    warnings = []
    if desired.enabled:
        warnings = _assistance_allowed(desired, state, now)
        enabled, until = True, None if desired.until is None else format_until(desired.until)
        reason = (
            f"remote assistance is allowed until {until}"
            if until
            else "remote assistance is allowed without an end"
        )
    else:
        enabled, until, reason = _disabling(desired, before)
    values = {"remote_assistance.enabled": enabled, "remote_assistance.until": until}
    after = window_state(values, now)
    result = {
        "enabled": enabled,
        "until": until,
        "window": after["window"],
        "minutes_left": after["minutes_left"],
        "reason": reason,
        "window_ended": before["until"] if before["window"] == "overdue" and not enabled else None,
    }
    return _write_plan(state, values, {}, ("remote_assistance",), warnings, result)
