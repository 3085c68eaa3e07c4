#!/usr/bin/env python3
"""Lab stand-in for the Windows service "Print ORS Service" of one PRISMAdirect host.

supervisord runs it as the host's ORS account (the ``ors_account`` module writes the program, one
``<lab home>/supervisor/conf.d/<host>_print_ors_service.conf`` per host)::

    [program:prisma1_print_ors_service]
    command = /usr/bin/python3 -u /srv/printops-lab/bin/print_ors_service.py
              --host prisma1 --root /srv/printops-lab/hosts/prisma1
    user = svc_ors_p1

What it does, and nothing more: every ``--interval`` seconds it prints one heartbeat line to stdout
(supervisord keeps it in the program's log) saying who it runs as and what the host's settings store
(``<root>/ProgramData/PRISMAdirect/remote-service.json``) says when that file is readable: whether
Remote Service is enabled, the organization ID, the proxy mode, whether remote assistance is allowed.
It never prints a secret (verification code, proxy password), not even whether one is set. SIGTERM or
SIGINT: one last line, exit 0. Standard library only; the lab copies it to ``<lab home>/bin/`` (the
checkout may not be readable by the ORS account).
"""

from __future__ import annotations

import argparse
import json
import os
import pwd
import signal
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

SETTINGS = Path("ProgramData") / "PRISMAdirect" / "remote-service.json"


def log(host: str, message: str) -> None:
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    print(f"{stamp} print-ors-service[{host}] {message}", flush=True)


def whoami() -> str:
    try:
        return pwd.getpwuid(os.getuid()).pw_name
    except KeyError:
        return f"uid {os.getuid()}"


def settings_summary(path: Path) -> str:
    """What the settings store says, without secrets; or why it cannot be read."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return "settings store not found (Remote Service not configured yet)"
    except PermissionError:
        return "settings store not readable by this account"
    except (OSError, ValueError) as err:
        return f"settings store unreadable ({type(err).__name__})"
    if not isinstance(document, dict):
        return "settings store unreadable (not a JSON object)"
    general = document.get("general") or {}
    proxy = document.get("proxy") or {}
    assistance = document.get("remote_assistance") or {}
    enabled = "enabled" if general.get("enabled") else "disabled"
    return (
        f"Remote Service {enabled}, organization {general.get('organization_id') or '-'}, "
        f"license server {general.get('license_server') or '-'}, proxy {proxy.get('mode') or 'none'}, "
        f"remote assistance {'allowed' if assistance.get('enabled') else 'not allowed'}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Lab stand-in for Print ORS Service.")
    parser.add_argument("--host", required=True, help="inventory hostname (for the log lines)")
    parser.add_argument("--root", required=True, type=Path, help="the host's lab root directory")
    parser.add_argument("--interval", type=float, default=30.0, help="seconds between heartbeats")
    args = parser.parse_args(argv)

    stop = threading.Event()
    received: list[int] = []

    def on_signal(signum: int, _frame: object) -> None:
        received.append(signum)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    settings = args.root / SETTINGS
    log(args.host, f"started as {whoami()} (pid {os.getpid()}), settings store {settings}")
    while not stop.is_set():
        log(args.host, f"heartbeat: {settings_summary(settings)}")
        stop.wait(max(args.interval, 0.1))
    name = signal.Signals(received[0]).name if received else "stop"
    log(args.host, f"stopping on {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
