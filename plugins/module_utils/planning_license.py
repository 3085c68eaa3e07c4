# Copyright: (c) 2026, printops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``floating_license`` module's domain: its desired state and its planner.

Domain core: standard library only, no I/O, no Ansible imports. Installs one FlexNet license file in
the FLS's license folder: the license is parsed and validated (host id, expiry, serial) before anything
is written, so an invalid license is never written; the file is replaced only when its SHA-256
differs; the previous version is kept as a backup (the last ``backup`` ones); then the license server
is told to read it (``lmutil lmreread`` or a restart of the license service).

Host state read (docs/internals.md)::

    "licenses":        [{"name": "PDS-100001.lic", "size": 812, "sha256": "...", "text": "..."}]
    "license_backups": ["PDS-100001.lic.20261129T101500Z.bak", ...]   (or dicts with "name")
    "mac_addresses":   ["025044000001"]
    "license_server":  {"lmutil": {"path": "...", "exists": true},
                        "service": {"name": "...", "exists": true, "state": "running"}}

``licenses`` are the ``*.lic`` files of ``dest``; ``license_backups`` the ``*.bak`` files there (this
planner picks those of ``filename``); ``license_server`` is optional (without it ``reread: auto``
decides from the options alone).

Backups are named ``<filename>.<yyyymmddThhmmssZ>.bak`` (UTC; ``-<n>`` after the time when that name is
taken): they sort by time, and they do not end in ``.lic``, so the license server never reads them.

Changes:

``license.write`` ``{"dest", "filename", "content", "sha256", "replaces_sha256", "backup": {"keep",
"file", "delete"}}``
    Write ``content`` atomically (temp file + rename in ``dest``, which is made when missing). Before the
    rename, copy the current file to ``backup.file`` (when not ``None``); after it, delete the backups
    named in ``backup.delete``. ``replaces_sha256``: the current file's SHA-256 as read (``None``: no
    file); an adapter refuses (fails, writing nothing) to replace a file that changed since.
``license.reread`` ``{"method": "lmreread" | "restart", "lmutil_path", "service", "license_path"}``
    ``lmutil lmreread -c <license_path>``, or a restart of ``service``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from ansible_collections.printops.prismadirect.plugins.module_utils import flexlm
from ansible_collections.printops.prismadirect.plugins.module_utils.backoffice_errors import BackOfficeError
from ansible_collections.printops.prismadirect.plugins.module_utils.backoffice_inputs import (
    SERIAL_FORM,
    safe_license_file_name,
    validate_serial,
)
from ansible_collections.printops.prismadirect.plugins.module_utils.planning_core import (
    Change,
    Plan,
    given,
)
from ansible_collections.printops.prismadirect.plugins.module_utils.validation import (
    ValidationError,
    parse_choice,
    parse_license_path,
    parse_service_name,
    quoted,
)

__all__ = [
    "BACKUP_SUFFIX",
    "MAX_LICENSE_SIZE",
    "REREAD_METHODS",
    "FloatingLicenseDesired",
    "LicenseChecks",
    "backup_name",
    "backup_rotation",
    "floating_license_desired",
    "license_server_options",
    "parse_warn_days",
    "plan_floating_license",
]

REREAD_METHODS = ("auto", "lmreread", "restart", "none")
MAX_LICENSE_SIZE = 256 * 1024  # what the reader returns as text
BACKUP_SUFFIX = ".bak"
_STAMP_FORMAT = "%Y%m%dT%H%M%SZ"
_FILE_FORM = (
    "a plain base name ending in .lic, without path separators, '..', ':', <>\"|?*, control characters "
    "or a Windows device name; for example PDS-100001.lic"
)
_VALIDATE_KEYS = ("hostid", "expiry", "serial", "warn_days")


@dataclass(frozen=True)
class LicenseChecks:
    """The ``validate`` option: what must hold before the license is written."""

    hostid: bool = True
    expiry: bool = True
    serial: str | None = None
    warn_days: int = 31


@dataclass(frozen=True)
class FloatingLicenseDesired:
    """``source`` is the option the text came from (``content`` or ``src``), for messages.
    ``filename`` ``None``: decided by the plan (see ``plan_floating_license``). ``now``: the time of the
    run (UTC), for the expiry checks and the backup's name."""

    content: str = field(repr=False)
    license: flexlm.License = field(repr=False)
    source: str
    dest: str
    now: datetime
    filename: str | None = None
    checks: LicenseChecks = LicenseChecks()
    backup: int = 3
    reread: str = "auto"
    lmutil_path: str | None = None
    license_service: str | None = None

    @property
    def today(self) -> date:
        return self.now.date()

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content.encode("utf-8")).hexdigest()


# ---------------------------------------------------------------------------------------------------
# Validation of the options
# ---------------------------------------------------------------------------------------------------


def _content(args: Mapping[str, Any], src_text: str | None) -> tuple[str, str]:
    content, src = args.get("content"), args.get("src")
    if content is not None and src is not None:
        raise ValidationError(
            "content", "and src are mutually exclusive: give the license text (content) or a file (src)"
        )
    if content is None and src is None:
        raise ValidationError(
            "content", "or src is required: give the license text (content) or a file (src)"
        )
    if src is not None:
        if src_text is None:
            raise ValidationError("src", f"{quoted(src)} was not read on the controller (internal error)")
        content, source = src_text, "src"
    else:
        source = "content"
    if not isinstance(content, str) or not content.strip():
        raise ValidationError(source, "is empty: give the text of a FlexNet license file (*.lic)")
    if len(content.encode("utf-8")) > MAX_LICENSE_SIZE:
        raise ValidationError(source, f"is larger than {MAX_LICENSE_SIZE // 1024} KiB: not a license file")
    if "\x00" in content:
        raise ValidationError(source, "contains NUL characters: not a license file")
    return content, source


def _parse(content: str, source: str) -> flexlm.License:
    try:
        lic = flexlm.parse_license(content)
        lic.maintenance_end  # noqa: B018 - a malformed MAINTENANCE= date raises here, not later
    except ValueError as exc:
        raise ValidationError(source, f"is not a valid FlexNet license: {exc}; nothing was written") from None
    return lic


def _filename(value: object) -> str | None:
    if value is None:
        return None
    try:
        return safe_license_file_name(value)
    except BackOfficeError:
        raise ValidationError("filename", f"{quoted(value)} is not safe: expected {_FILE_FORM}") from None


def _dest(value: object) -> str:
    """The license folder on the FLS itself (``C:\\...``; lab: ``/...`` under the host root)."""
    if isinstance(value, str) and value[:2] in ("\\\\", "//"):
        raise ValidationError(
            "dest",
            f"{quoted(value)} is a shared folder: give the license folder on the FLS computer itself, for "
            "example C:\\ProgramData\\FlexNet\\licenses (lab: /licenses); the module runs on the FLS",
        )
    return parse_license_path(value, "local", "dest")


def _int(value: object, option: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValidationError(option, f"{quoted(value)} is not a whole number from {low} to {high}")
    return value


def _bool(value: object, option: str) -> bool:
    if isinstance(value, bool):
        return value
    raise ValidationError(option, f"{quoted(value)} is not a boolean: expected true or false")


def _checks(value: object) -> LicenseChecks:
    if value is None:
        return LicenseChecks()
    if not isinstance(value, Mapping):
        raise ValidationError("validate", f"must be a dictionary with {', '.join(_VALIDATE_KEYS)}")
    unknown = sorted(set(value) - set(_VALIDATE_KEYS))
    if unknown:
        raise ValidationError(
            "validate", f"unknown keys {', '.join(unknown)}: expected {', '.join(_VALIDATE_KEYS)}"
        )
    serial = value.get("serial")
    if serial is not None:
        try:
            serial = validate_serial(serial)
        except BackOfficeError:
            raise ValidationError(
                "validate.serial", f"{quoted(serial)} is not a serial number: {SERIAL_FORM}"
            ) from None
    return LicenseChecks(
        hostid=_bool(given(value, "hostid", True), "validate.hostid"),
        expiry=_bool(given(value, "expiry", True), "validate.expiry"),
        serial=serial,
        warn_days=parse_warn_days(value.get("warn_days"), "validate.warn_days"),
    )


def _now(now: datetime) -> datetime:
    if not isinstance(now, datetime):
        raise TypeError("now must be a datetime")
    return now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)


def parse_warn_days(value: object, option: str = "warn_days") -> int:
    """Days ahead to warn of an expiry or the end of maintenance (``None``: the default, 31)."""
    return _int(31 if value is None else value, option, 0, 3650)


def license_server_options(args: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """``(lmutil_path, license_service)`` as given; ``None`` leaves the platform's default."""
    service = args.get("license_service")
    service = None if service is None else parse_service_name(service, "license_service")
    lmutil = args.get("lmutil_path")
    if lmutil is not None and (not isinstance(lmutil, str) or not lmutil.strip() or "\n" in lmutil):
        raise ValidationError("lmutil_path", f"{quoted(lmutil)} is not a path to lmutil")
    return lmutil, service


def floating_license_desired(
    args: Mapping[str, Any], *, now: datetime, src_text: str | None = None
) -> FloatingLicenseDesired:
    """``src_text``: the text of ``src``, read on the controller by the action plugin. ``now``: the time
    of the run (a naive datetime is taken as UTC). Every check that needs no host is made here: a bad
    license fails before the host is read."""
    content, source = _content(args, src_text)
    lic = _parse(content, source)
    reread = parse_choice(given(args, "reread", "auto"), REREAD_METHODS, "reread")
    lmutil, service = license_server_options(args)
    return FloatingLicenseDesired(
        content=content,
        license=lic,
        source=source,
        dest=_dest(args.get("dest")),
        now=_now(now),
        filename=_filename(args.get("filename")),
        checks=_checks(args.get("validate")),
        backup=_int(given(args, "backup", 3), "backup", 0, 1000),
        reread=reread,
        lmutil_path=lmutil,
        license_service=service,
    )


# ---------------------------------------------------------------------------------------------------
# Checks against the host
# ---------------------------------------------------------------------------------------------------


def _check(desired: FloatingLicenseDesired, state: Mapping[str, Any]) -> list[str]:
    """Every reason the license cannot be installed on this host, in one failure; else its warnings."""
    checks = desired.checks
    macs = None
    if checks.hostid:
        macs = state.get("mac_addresses")
        if not isinstance(macs, list):
            raise ValidationError(
                "validate.hostid",
                "the FLS's MAC addresses were not read, so the license's host id cannot be checked: set "
                "validate.hostid: false to install without that check",
            )
    lic, today, days = desired.license, desired.today, checks.warn_days
    report = flexlm.validate_license(
        lic, mac_addresses=macs, today=today, warn_days=days, expected_serial=checks.serial
    )
    errors, warnings = list(report.errors), list(report.warnings)
    if not checks.expiry and lic.features:  # expired features become warnings: the errors of an
        expiry_only = flexlm.validate_license(lic, today=today, warn_days=days)  # expiry-only check
        moved = [e for e in errors if e in expiry_only.errors]
        errors = [e for e in errors if e not in moved]
        warnings = [*(f"{e} (validate.expiry is false)" for e in moved), *warnings]
    if errors:
        listed = "; ".join(f"({n}) {e}" for n, e in enumerate(errors, 1))
        count = f"{len(errors)} problem{'s' if len(errors) > 1 else ''}"
        raise ValidationError(
            desired.source,
            f"the license cannot be installed on this host, {count}: {listed}. Nothing was written; "
            "the installed license is unchanged",
        )
    return warnings


# ---------------------------------------------------------------------------------------------------
# File name and backups
# ---------------------------------------------------------------------------------------------------


def _entries(state: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [e for e in state.get("licenses") or [] if isinstance(e, Mapping) and e.get("name")]


def _serials_of(entry: Mapping[str, Any]) -> tuple[str, ...]:
    try:
        return flexlm.parse_license(str(entry.get("text") or "")).serials
    except ValueError:
        return ()


def _is_safe(name: str) -> bool:
    try:
        safe_license_file_name(name)
    except BackOfficeError:
        return False
    return True


def _choose_filename(desired: FloatingLicenseDesired, state: Mapping[str, Any]) -> tuple[str, list[str]]:
    """``filename`` as given; else the one file that holds exactly this license's serial (the license
    is replaced where it is, so the server never reads two versions of it); else ``<serial>.lic``."""
    serials = desired.license.serials
    holders = [str(e["name"]) for e in _entries(state) if serials and _serials_of(e) == serials]
    warnings = []
    if desired.filename is not None:
        name = desired.filename
    elif len(holders) == 1 and _is_safe(holders[0]):
        name = holders[0]
    elif len(serials) == 1:
        name = f"{serials[0]}.lic"
    else:
        what = "no serial number (SN=)" if not serials else f"several serial numbers ({', '.join(serials)})"
        raise ValidationError(
            "filename", f"is required: the license has {what}; give the file name, {_FILE_FORM}"
        )
    others = [h for h in holders if h != name]
    if others:
        warnings.append(
            f"serial {', '.join(serials)} is also in {', '.join(others)}: the license server reads every "
            f"*.lic of the folder, so it sees this license twice; remove {', '.join(others)} or give "
            f"filename: {others[0]}"
        )
    return name, warnings


def backup_name(filename: str, now: datetime, taken: Collection[str] = ()) -> str:
    """``<filename>.<yyyymmddThhmmssZ>.bak``, with ``-<n>`` after the time when that name is taken."""
    stamp = _now(now).strftime(_STAMP_FORMAT)
    name = f"{filename}.{stamp}{BACKUP_SUFFIX}"
    counter = 1
    while name in taken:
        name = f"{filename}.{stamp}-{counter}{BACKUP_SUFFIX}"
        counter += 1
    return name


def _backup_key(filename: str, name: str) -> tuple[str, int] | None:
    """(time stamp, counter) of a backup of ``filename``, or ``None`` for any other file."""
    match = re.fullmatch(
        re.escape(filename) + r"\.(\d{8}T\d{6}Z)(?:-(\d+))?" + re.escape(BACKUP_SUFFIX), name
    )
    if match is None:
        return None
    return match.group(1), int(match.group(2) or 0)


def backup_rotation(
    filename: str, existing: list[str], keep: int, now: datetime, has_current: bool
) -> tuple[str | None, list[str]]:
    """The backup to make of the current file (``None``: no current file, or ``keep`` is 0) and the
    backups of ``filename`` to delete so that the newest ``keep`` remain, the new one included."""
    keyed = ((_backup_key(filename, name), name) for name in existing)
    mine = [name for key, name in sorted((k, n) for k, n in keyed if k is not None)]
    new = backup_name(filename, now, set(existing)) if has_current and keep > 0 else None
    room = keep - (new is not None)
    delete = mine[:-room] if room > 0 else mine
    return new, sorted(delete)


def _backup_names(state: Mapping[str, Any]) -> list[str]:
    names = []
    for entry in state.get("license_backups") or []:
        name = entry.get("name") if isinstance(entry, Mapping) else entry
        if isinstance(name, str) and name:
            names.append(name)
    return names


# ---------------------------------------------------------------------------------------------------
# Reread
# ---------------------------------------------------------------------------------------------------


def _reread(desired: FloatingLicenseDesired, state: Mapping[str, Any]) -> tuple[Change | None, list[str]]:
    """``auto``: ``lmreread`` where lmutil is present, else a restart of the license service, else
    nothing (with a warning: the server reads the license at its next start)."""
    server = state.get("license_server") or {}
    lmutil = server.get("lmutil") or {}
    service = server.get("service") or {}
    lmutil_path = desired.lmutil_path or lmutil.get("path")
    service_name = desired.license_service or service.get("name")
    lmutil_found = lmutil.get("exists") if lmutil else (True if lmutil_path else None)
    service_found = service.get("exists") if service else (True if service_name else None)
    method = desired.reread
    if method == "none":
        return None, []
    if method == "auto":
        if lmutil_found:
            method = "lmreread"
        elif service_found and service_name:
            method = "restart"
        else:
            where = f" at {lmutil_path}" if lmutil_path else ""
            return None, [
                f"the license server was not told to read the new license: no lmutil was found{where} and "
                "no license service is known; it reads the license at its next start, or run lmutil "
                "lmreread (give lmutil_path or license_service)"
            ]
    if method == "lmreread" and (lmutil_found is False or not lmutil_path):
        where = f"at {quoted(lmutil_path)}" if lmutil_path else "(no lmutil_path given)"
        raise ValidationError(
            "lmutil_path",
            f"lmutil was not found {where}: give the path of lmutil (lmutil.exe), or use reread: restart",
        )
    if method == "restart" and not service_name:
        raise ValidationError(
            "license_service", "is required with reread: restart: give the license service's name"
        )
    if method == "restart" and service_found is False:
        raise ValidationError(
            "license_service",
            f"the service {quoted(service_name)} does not exist on this host: give its name",
        )
    args = {
        "method": method,
        "lmutil_path": lmutil_path if method == "lmreread" else None,
        "service": service_name if method == "restart" else None,
        "license_path": desired.dest,
    }
    how = "lmutil lmreread" if method == "lmreread" else f"a restart of {service_name}"
    return Change("license.reread", args, f"the license server must read the new license ({how})"), []


# ---------------------------------------------------------------------------------------------------
# The plan
# ---------------------------------------------------------------------------------------------------


def _summary(lic: flexlm.License | None) -> dict[str, Any]:
    if lic is None:
        return {"serial": None, "expiry": None, "maintenance_end": None, "issued": None, "users": None}
    expiry = lic.earliest_expiry
    users = lic.users
    return {
        "serial": ", ".join(lic.serials) or None,
        "expiry": ("permanent" if expiry is None else expiry.isoformat()) if lic.features else None,
        "maintenance_end": lic.maintenance_end and lic.maintenance_end.isoformat(),
        "issued": lic.issued and lic.issued.isoformat(),
        "users": "uncounted" if users is None else users,
    }


def _join(folder: str, name: str) -> str:
    sep = "\\" if "\\" in folder or re.match(r"[A-Za-z]:", folder) else "/"
    return f"{folder.rstrip(sep)}{sep}{name}"


def _current(entry: Mapping[str, Any] | None) -> tuple[str | None, flexlm.License | None]:
    if entry is None:
        return None, None
    sha = entry.get("sha256")
    text = entry.get("text")
    if not sha and isinstance(text, str):
        sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    try:
        lic = flexlm.parse_license(text) if isinstance(text, str) else None
    except ValueError:
        lic = None
    return (str(sha).lower() if sha else None), lic


def plan_floating_license(desired: FloatingLicenseDesired, state: Mapping[str, Any]) -> Plan:
    warnings = _check(desired, state)
    filename, name_warnings = _choose_filename(desired, state)
    warnings += name_warnings
    entries = {str(e["name"]): e for e in _entries(state)}
    entry = entries.get(filename)
    if entry is None:
        twin = next((n for n in entries if n.casefold() == filename.casefold()), None)
        if twin:
            warnings.append(f"{twin} differs from {filename} only in case: on Windows they are the same file")
    current_sha, current_lic = _current(entry)
    if current_lic is not None and current_lic.serials and current_lic.serials != desired.license.serials:
        raise ValidationError(
            "filename",
            f"{filename} holds the license of serial {', '.join(current_lic.serials)}, and this license is "
            f"for {', '.join(desired.license.serials) or 'no serial'}: replacing it would remove that "
            "license; give another filename, or remove the file first. Nothing was written",
        )
    sha = desired.sha256
    changes: list[Change] = []
    backup_file, deleted = None, []
    if current_sha != sha:
        old, new = current_lic and current_lic.issued, desired.license.issued
        if old and new and old > new:
            warnings.append(
                f"{filename} was issued on {old.isoformat()}, after the license installed now "
                f"({new.isoformat()}): it is replaced as asked"
            )
        backup_file, deleted = backup_rotation(
            filename, _backup_names(state), desired.backup, desired.now, entry is not None
        )
        args = {
            "dest": desired.dest,
            "filename": filename,
            "content": desired.content,
            "sha256": sha,
            "replaces_sha256": current_sha,
            "backup": {"keep": desired.backup, "file": backup_file, "delete": deleted},
        }
        reason = (
            f"{filename} does not exist"
            if entry is None
            else f"{filename} differs (sha256 {str(current_sha)[:12]}... -> {sha[:12]}...)"
        )
        changes.append(Change("license.write", args, reason))
        reread, reread_warnings = _reread(desired, state)
        warnings += reread_warnings
        if reread is not None:
            changes.append(reread)
    path = _join(desired.dest, filename)
    before = {"file": path if entry is not None else None, "sha256": current_sha, **_summary(current_lic)}
    after = {"file": path, "sha256": sha, **_summary(desired.license)}
    if backup_file or deleted:
        after["backup_file"] = backup_file
        after["backups_deleted"] = deleted
    summary = _summary(desired.license)
    reread_change = next((c for c in changes if c.verb == "license.reread"), None)
    result = {
        "serial": desired.license.serials[0] if desired.license.serials else None,
        "serials": list(desired.license.serials),
        "expiry": summary["expiry"],
        "maintenance_end": summary["maintenance_end"],
        "issued": summary["issued"],
        "users": summary["users"],
        "path": path,
        "filename": filename,
        "sha256": sha,
        "previous_sha256": current_sha if changes else None,
        "backup_file": _join(desired.dest, backup_file) if backup_file else None,
        "backups_deleted": deleted,
        "reread": reread_change.args["method"] if reread_change else None,
        "warnings": list(dict.fromkeys(warnings)),
    }
    return Plan(
        changes=tuple(changes),
        diff={"before": before, "after": after},
        warnings=tuple(dict.fromkeys(warnings)),
        result=result,
    )
