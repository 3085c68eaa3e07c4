#!/usr/bin/env python3
"""Lab stand-in for the FlexNet license server (``lmgrd`` and its vendor daemon) of one FLS host.

supervisord runs it as root (the FLS's administrators: the real license service runs as LocalSystem, and
only administrators and the ORS accounts may read the license folder); ``lab/ctl.py up`` writes the
program, one ``<lab home>/supervisor/conf.d/<fls>_license_server.conf`` per FLS host::

    [program:fls1_license_server]
    command = /usr/bin/python3 -u /srv/printops-lab/bin/license_server.py
              --host fls1 --root /srv/printops-lab/hosts/fls1
    user = root

What it does, like lmgrd and nothing more: at start and on SIGHUP (what ``lmutil lmreread`` sends, see
``lmutil`` beside it) it reads every ``*.lic`` of the license folder (``<root>/licenses``) with the
project's FlexNet parser (``flexlm.py``, copied beside this script), checks each license's host id
against the host's lab MAC addresses (``<root>/mac_addresses``), logs one line per license (file,
serial, features, expiry) and writes ``<root>/license_server.status.json`` atomically::

    {"schema": 1, "host": "fls1", "pid": 4242, "read_at": "2026-11-29T10:15:00.123456Z", "reads": 2,
     "reason": "SIGHUP", "license_dir": "...",
     "licenses": [{"file": "PDS-100001.lic", "serial": "PDS-100001", "serials": [...], "sha256": "...",
                   "features": ["PRISMAdirect", "PD_USERS"], "expiry": "2029-12-31",
                   "maintenance_end": "2029-12-31", "users": 25, "problems": []}],
     "errors": [{"file": "PDS-100003.lic", "error": "license is bound to host id ..."}]}

``licenses``: the files in use (``problems``: expired features, which the real server does not hand
out); ``errors``: files it cannot use (not a license, bound to another host). ``reads`` counts the
reads since the start, so a test can tell that a reread happened. It never polls the folder: a new
license is used only after a reread or a restart, as on Windows. SIGTERM or SIGINT: exit 0.
Standard library only (and ``flexlm.py``); the lab copies it to ``<lab home>/bin/``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import signal
import sys
import threading
from datetime import UTC, date, datetime
from pathlib import Path

# flexlm.py is copied beside this script by lab/ctl.py (the project's parser, standard library only).
sys.path.insert(0, str(Path(__file__).resolve().parent))
import flexlm

STATUS_FILE = "license_server.status.json"


def now_text() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def log(host: str, message: str) -> None:
    print(f"{now_text()[:19]}Z license-server[{host}] {message}", flush=True)


def read_macs(path: Path) -> list[str]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return []
    return [line.split("#", 1)[0].strip() for line in lines if line.split("#", 1)[0].strip()]


def host_errors(lic: flexlm.License, macs: list[str], today: date) -> list[str]:
    """The errors of the host-id check alone (those of an expiry-only check are left out)."""
    full = flexlm.validate_license(lic, mac_addresses=macs, today=today)
    expiry_only = flexlm.validate_license(lic, today=today)
    return [e for e in full.errors if e not in expiry_only.errors]


def read_one(path: Path, macs: list[str], today: date) -> tuple[dict | None, dict | None]:
    """(entry for ``licenses``, entry for ``errors``): one of the two is None."""
    try:
        data = path.read_bytes()
        text = data.decode("utf-8")
        lic = flexlm.parse_license(text)
        lic.maintenance_end  # noqa: B018 - a malformed MAINTENANCE= date raises here
    except (OSError, UnicodeDecodeError, ValueError) as err:
        return None, {"file": path.name, "error": f"{type(err).__name__}: {err}"}
    refused = host_errors(lic, macs, today)
    if refused:
        return None, {"file": path.name, "error": "; ".join(refused)}
    check = flexlm.validate_license(lic, today=today)
    expiry = lic.earliest_expiry
    users = lic.users
    entry = {
        "file": path.name,
        "serial": lic.serials[0] if lic.serials else None,
        "serials": list(lic.serials),
        "sha256": hashlib.sha256(data).hexdigest(),
        "features": list(dict.fromkeys(f.name for f in lic.features)),
        "expiry": "permanent" if expiry is None else expiry.isoformat(),
        "maintenance_end": lic.maintenance_end and lic.maintenance_end.isoformat(),
        "users": "uncounted" if users is None else users,
        "problems": list(check.errors),
    }
    return entry, None


def read_folder(folder: Path, macs: list[str]) -> tuple[list[dict], list[dict]]:
    licenses, errors = [], []
    today = datetime.now(UTC).date()
    try:
        paths = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".lic" and p.is_file())
    except OSError as err:
        return [], [{"file": str(folder), "error": f"cannot read the license folder: {err.strerror or err}"}]
    for path in paths:
        entry, error = read_one(path, macs, today)
        if entry is not None:
            licenses.append(entry)
        if error is not None:
            errors.append(error)
    return licenses, errors


def write_status(path: Path, status: dict) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(status, indent=2) + "\n", encoding="utf-8")
    tmp.chmod(0o644)
    os.replace(tmp, path)


def reread(args: argparse.Namespace, reads: int, reason: str) -> None:
    macs = read_macs(args.mac_file)
    licenses, errors = read_folder(args.license_dir, macs)
    for entry in licenses:
        problems = f"; problems: {'; '.join(entry['problems'])}" if entry["problems"] else ""
        log(
            args.host,
            f"{entry['file']}: serial {', '.join(entry['serials']) or '-'}, features "
            f"{', '.join(entry['features'])}, expiry {entry['expiry']}{problems}",
        )
    for error in errors:
        log(args.host, f"{error['file']}: not used: {error['error']}")
    status = {
        "schema": 1,
        "host": args.host,
        "pid": os.getpid(),
        "read_at": now_text(),
        "reads": reads,
        "reason": reason,
        "license_dir": str(args.license_dir),
        "licenses": licenses,
        "errors": errors,
    }
    write_status(args.status, status)
    log(args.host, f"read {len(licenses)} license file(s), {len(errors)} not used ({reason}, read #{reads})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Lab stand-in for the FlexNet license server (lmgrd).")
    parser.add_argument("--host", required=True, help="inventory hostname of the FLS (for the log lines)")
    parser.add_argument("--root", required=True, type=Path, help="the FLS's lab root directory")
    parser.add_argument("--license-dir", type=Path, help="license folder (default ROOT/licenses)")
    parser.add_argument("--status", type=Path, help=f"status file (default ROOT/{STATUS_FILE})")
    parser.add_argument("--mac-file", type=Path, help="lab MAC addresses (default ROOT/mac_addresses)")
    args = parser.parse_args(argv)
    args.license_dir = args.license_dir or args.root / "licenses"
    args.status = args.status or args.root / STATUS_FILE
    args.mac_file = args.mac_file or args.root / "mac_addresses"

    wake = threading.Event()
    pending: list[int] = []

    def on_signal(signum: int, _frame: object) -> None:
        pending.append(signum)
        wake.set()

    for signum in (signal.SIGHUP, signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, on_signal)

    log(args.host, f"started (pid {os.getpid()}), license folder {args.license_dir}")
    reads = 1
    reread(args, reads, "start")
    while True:
        if not wake.wait(1.0):
            continue
        wake.clear()
        received = []
        while pending:  # handlers run in this thread, between bytecodes: nothing is lost
            received.append(pending.pop(0))
        stops = [s for s in received if s != signal.SIGHUP]
        if stops:
            log(args.host, f"stopping on {signal.Signals(stops[0]).name}")
            return 0
        if received:
            reads += 1
            reread(args, reads, "SIGHUP")


if __name__ == "__main__":
    sys.exit(main())
