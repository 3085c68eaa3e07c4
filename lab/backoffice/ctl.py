#!/usr/bin/env python3
"""Start, stop and check the lab back-office simulator (lab/backoffice/server.py) in the background.

    python lab/backoffice/ctl.py start [--port 8443] [--state-dir DIR] [--licenses DIR] [--today YYYY-MM-DD]
                                       [--organization ID] [--verification-code-sha256 HEX]
                                       [--credentials FILE] [--timeout 10]
    python lab/backoffice/ctl.py stop   [--state-dir DIR]
    python lab/backoffice/ctl.py status [--state-dir DIR]

The state directory (default lab/.state/backoffice) holds ``pid``, ``url``, ``ca.pem``, the server
certificate and key, and ``server.log``. ``start`` returns only when the server answers ``/v1/ping`` over
TLS verified with ``ca.pem``; it is idempotent (a running simulator is left alone, a stale pid file is
replaced). ``stop`` is idempotent. ``status`` exits 0 when running, 3 when stopped, 1 when the process
is alive but does not answer. Standard library only.
"""

from __future__ import annotations

import argparse
import json
import ssl
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
# procs.py (the process helpers lab/ctl.py uses too) is in lab/: this script runs by path, so only its
# own folder is on sys.path.
sys.path.insert(0, str(HERE.parent))
import procs

SERVER = HERE / "server.py"
DEFAULT_STATE = REPO / "lab" / ".state" / "backoffice"
PROG = "backoffice"


def say(message: str) -> None:
    print(f"{PROG}: {message}", flush=True)


def fail(message: str, state: Path | None = None) -> int:
    print(f"{PROG}: error: {message}", file=sys.stderr, flush=True)
    if state is not None:
        tail = _log_tail(state)
        if tail:
            print(f"--- last lines of {state / 'server.log'} ---\n{tail}", file=sys.stderr, flush=True)
    return 1


def _log_tail(state: Path, lines: int = 20) -> str:
    try:
        text = (state / "server.log").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def _is_ours(args: list[str], state: Path) -> bool:
    """The command line runs server.py for this state directory."""
    if not args:  # unreadable: without /proc, trust the pid file
        return not Path("/proc/self").exists()
    return str(SERVER) in args and str(state) in args


def _server_pid(state: Path) -> int | None:
    """The pid in the pid file when it is alive and runs our server.py (guards against a recycled pid)."""
    return procs.our_pid(state / "pid", lambda args: _is_ours(args, state))


def _ping(url: str, ca: Path, timeout: float = 2.0) -> bool:
    try:
        ctx = ssl.create_default_context(cafile=str(ca))
        with urllib.request.urlopen(f"{url}/v1/ping", context=ctx, timeout=timeout) as resp:
            return resp.status == 200 and json.load(resp).get("status") == "ok"
    except (OSError, ValueError, ssl.SSLError, urllib.error.URLError):
        return False


def _running(state: Path) -> tuple[int | None, str | None, bool]:
    """(pid if our server process is alive, url, answers ping)."""
    pid = _server_pid(state)
    if pid is None:
        return None, None, False
    url = _read(state / "url")
    return pid, url, bool(url) and _ping(url, state / "ca.pem")


def _clean(state: Path) -> None:
    for name in ("pid", "url"):
        (state / name).unlink(missing_ok=True)


def start(args: argparse.Namespace) -> int:
    state: Path = args.state_dir
    pid, url, ok = _running(state)
    if pid is not None:
        if not ok:  # maybe another start is still bringing it up
            procs.wait_for(lambda: _running(state)[2], timeout=args.timeout, interval=0.1)
            pid, url, ok = _running(state)
        if ok:
            say(f"already running at {url} (pid {pid}; CA {state / 'ca.pem'})")
            return 0
        if pid is not None:
            return fail(f"pid {pid} is running but does not answer; run 'ctl.py stop' first", state)
    if (state / "pid").exists():
        say(f"removing stale pid file {state / 'pid'}")
    state.mkdir(parents=True, exist_ok=True)
    _clean(state)
    (state / "ca.pem").unlink(missing_ok=True)

    cmd = [sys.executable, "-u", str(SERVER), "--state-dir", str(state), "--port", str(args.port)]
    for option in ("licenses", "today", "organization", "verification_code_sha256", "credentials"):
        value = getattr(args, option)
        if value is not None:
            cmd += [f"--{option.replace('_', '-')}", str(value)]
    with open(state / "server.log", "wb") as log:
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=state,
            start_new_session=True,  # detached: survives this shell and its Ctrl-C
            close_fds=True,
        )
    (state / "pid").write_text(f"{proc.pid}\n")

    def settled() -> bool:  # exited (reported below), or answers /v1/ping
        if proc.poll() is not None:
            return True
        url = _read(state / "url")
        return bool(url) and _ping(url, state / "ca.pem", timeout=1.0)

    answered = procs.wait_for(settled, timeout=args.timeout)
    code = proc.poll()
    if code is not None:
        _clean(state)
        return fail(f"the simulator exited with code {code} during start", state)
    if answered:
        url = _read(state / "url")
        say(f"started at {url} (pid {proc.pid}; CA {state / 'ca.pem'}; log {state / 'server.log'})")
        return 0
    procs.terminate(proc.pid, wait=2.0)
    proc.wait()
    _clean(state)
    return fail(f"the simulator did not answer /v1/ping within {args.timeout:g} s", state)


def stop(args: argparse.Namespace) -> int:
    state: Path = args.state_dir
    pid = _server_pid(state)
    if pid is None:
        _clean(state)
        say("not running")
        return 0
    if not procs.terminate(pid):
        return fail(f"pid {pid} did not stop", state)
    _clean(state)
    say(f"stopped (pid {pid})")
    return 0


def status(args: argparse.Namespace) -> int:
    pid, url, ok = _running(args.state_dir)
    if pid is None:
        say("stopped")
        return 3
    if not ok:
        say(f"not answering: pid {pid} is alive but {url or 'no url'} does not answer /v1/ping")
        return 1
    say(f"running at {url} (pid {pid}; CA {args.state_dir / 'ca.pem'})")
    return 0


def _abs(text: str) -> Path:
    return Path(text).expanduser().resolve()


def main(argv: list[str] | None = None) -> int:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--state-dir", type=_abs, default=DEFAULT_STATE, help="state directory (default %(default)s)"
    )
    parser = argparse.ArgumentParser(description="Control the lab back-office simulator.")
    sub = parser.add_subparsers(dest="action", required=True)
    p_start = sub.add_parser("start", parents=[common], help="start in the background (idempotent)")
    p_start.add_argument("--port", type=int, default=8443, help="port on 127.0.0.1, 0 = any free port")
    p_start.add_argument(
        "--licenses", type=_abs, help="folder of .lic files (default lab/licenses/backoffice)"
    )
    p_start.add_argument("--today", help="simulator date YYYY-MM-DD for entitlement checks")
    p_start.add_argument("--organization", help="service organization ID")
    p_start.add_argument("--verification-code-sha256", help="SHA-256 hex of the verification code")
    p_start.add_argument(
        "--credentials", type=_abs, help="credentials JSON (default lab/backoffice/credentials.json)"
    )
    p_start.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for readiness")
    sub.add_parser("stop", parents=[common], help="stop (idempotent)")
    sub.add_parser("status", parents=[common], help="exit 0 running, 3 stopped, 1 not answering")
    args = parser.parse_args(argv)
    return {"start": start, "stop": stop, "status": status}[args.action](args)


if __name__ == "__main__":
    sys.exit(main())
