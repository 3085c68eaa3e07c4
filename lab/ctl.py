#!/usr/bin/env python3
"""Bring the lab platform up on this machine, check it, tear it down. Run as root.

    python lab/ctl.py up     [--home DIR] [--smb-port N] [--group NAME] [--inventory FILE] [--no-backoffice]
    python lab/ctl.py status [--home DIR] [--group NAME] [--no-backoffice]
    python lab/ctl.py down   [--home DIR] [--group NAME] [--no-backoffice]

``up`` is idempotent; it prints one line per step and changes only what is missing:

packages     samba, smbclient, acl, supervisor installed with apt-get when missing (a temporary
             /usr/sbin/policy-rc.d keeps the distribution's own smbd/nmbd/supervisord from starting)
groups       GROUP (every system user the lab creates joins it, so ``down`` finds them) and
             GROUP-logon (stands in for the Windows right "Log on as a service")
lab home     HOME (default /srv/printops-lab): lab.json (what ``down`` and ``status`` read back),
             bin/print_ors_service.py (the Print ORS Service stand-in, run by supervisord as the ORS user),
             bin/license_server.py with bin/flexlm.py (the FlexNet license server stand-in) and
             bin/lmutil (``lmutil lmreread`` for it)
hosts        HOME/hosts/<host>/ for every host of the inventory: ProgramData/PRISMAdirect/ for group
             ``prismadirect``; for group ``floating_license_servers`` a ``mac_addresses`` file (the host
             var ``prismadirect_lab_mac_addresses``) and, only when missing, ``licenses/`` (0750
             root:root) with the lab/licenses/installed/ files whose SERVER host id is one of those MAC
             addresses
samba        smbd on 127.0.0.1/::1 only, port --smb-port (default 1445), config HOME/samba/smb.conf,
             shares in HOME/samba/shares.conf, every state/log/pid file under HOME/samba/
supervisord  config HOME/supervisor/supervisord.conf, socket HOME/supervisor/supervisor.sock; programs
             in HOME/supervisor/conf.d/*.conf (the Print ORS Service ones are made by the ors_account
             module, not here)
license servers  for each ``floating_license_servers`` host the program ``<fls>_license_server``
             (conf.d/<fls>_license_server.conf, runs bin/license_server.py as root), started and
             confirmed by its status file HOME/hosts/<fls>/license_server.status.json; restarted when
             its program or bin/ scripts changed
backoffice   the back-office simulator: ``lab/backoffice/ctl.py start`` (port 8443, lab/.state/backoffice)

``down`` stops supervisord (and its programs), smbd (and its RPC helpers) and the simulator, deletes
every user in GROUP, both groups and the lab home; idempotent. ``status`` prints a table and exits 0
when everything is up, 3 when something is not. Environment: PRINTOPS_LAB_HOME, PRINTOPS_LAB_SMB_PORT,
PRINTOPS_LAB_GROUP give the defaults of --home, --smb-port, --group (the lab inventory reads the same
variables). Needs PyYAML (the project's virtualenv has it) to read the inventory.
"""

from __future__ import annotations

import argparse
import contextlib
import grp
import json
import os
import pwd
import re
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from string import Template

import procs  # lab/procs.py, beside this script (its folder is first on sys.path)

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
PLATFORM = HERE / "platform"
BACKOFFICE_CTL = HERE / "backoffice" / "ctl.py"
INSTALLED_LICENSES = HERE / "licenses" / "installed"
DEFAULT_INVENTORY = REPO / "inventories" / "lab" / "hosts.yml"
FLEXLM = REPO / "plugins" / "module_utils" / "flexlm.py"
# What up copies to HOME/bin/: name -> (source, mode).
BIN_FILES = {
    "print_ors_service.py": (PLATFORM / "print_ors_service.py", 0o755),
    "license_server.py": (PLATFORM / "license_server.py", 0o755),
    "flexlm.py": (FLEXLM, 0o644),
    "lmutil": (PLATFORM / "lmutil", 0o755),
}
LICENSE_SERVER_FILES = ("license_server.py", "flexlm.py")
LICENSE_SERVER_SUFFIX = "_license_server"
LICENSE_STATUS_FILE = "license_server.status.json"

DEFAULT_HOME = "/srv/printops-lab"
DEFAULT_SMB_PORT = 1445
DEFAULT_GROUP = "printops-lab"
PACKAGES = ("samba", "smbclient", "acl", "supervisor")
PACKAGE_BINARIES = {"samba": "smbd", "smbclient": "smbclient", "acl": "setfacl", "supervisor": "supervisord"}
PRISMADIRECT_GROUP = "prismadirect"
FLS_GROUP = "floating_license_servers"
MAC_VAR = "prismadirect_lab_mac_addresses"
STATE_FILE = "lab.json"
POLICY_RC_D = Path("/usr/sbin/policy-rc.d")
POLICY_RC_D_TEXT = (
    "#!/bin/sh\n# Written by printops lab/ctl.py during apt-get install; removed afterwards.\nexit 101\n"
)
SAMBA_LOG_DIR = Path("/var/log/samba")
DAEMON_ENV = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}
NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}")
GROUP_RE = re.compile(r"[a-z_][a-z0-9_-]{0,25}")
START_TIMEOUT = 15.0


class LabError(Exception):
    """A step failed; the message says what and how to fix it."""


def say(step: str, message: str) -> None:
    print(f"{step}: {message}", flush=True)


# ---------------------------------------------------------------------------------------------------
# The lab's configuration and paths


@dataclass(frozen=True)
class Lab:
    home: Path
    smb_port: int = DEFAULT_SMB_PORT
    group: str = DEFAULT_GROUP
    backoffice: bool = True
    inventory: Path = DEFAULT_INVENTORY

    @property
    def logon_group(self) -> str:
        return f"{self.group}-logon"

    @property
    def state_file(self) -> Path:
        return self.home / STATE_FILE

    @property
    def samba(self) -> Path:
        return self.home / "samba"

    @property
    def smb_conf(self) -> Path:
        return self.samba / "smb.conf"

    @property
    def supervisor(self) -> Path:
        return self.home / "supervisor"

    @property
    def supervisord_conf(self) -> Path:
        return self.supervisor / "supervisord.conf"

    @property
    def supervisor_sock(self) -> Path:
        return self.supervisor / "supervisor.sock"

    def record(self) -> dict[str, object]:
        """What lab.json keeps: what ``status`` and ``down`` need to find this lab again."""
        return {
            "schema": 1,
            "made_by": "lab/ctl.py",
            "home": str(self.home),
            "smb_port": self.smb_port,
            "group": self.group,
            "logon_group": self.logon_group,
            "backoffice": self.backoffice,
            "smb_conf": str(self.smb_conf),
            "supervisord_conf": str(self.supervisord_conf),
            "ors_service_script": str(self.home / "bin" / "print_ors_service.py"),
            "license_server_script": str(self.home / "bin" / "license_server.py"),
            "lmutil": str(self.home / "bin" / "lmutil"),
        }


def recorded(lab: Lab) -> Lab:
    """The lab as ``up`` recorded it in lab.json (port, group, back office), else as given."""
    try:
        data = json.loads(lab.state_file.read_text(encoding="utf-8"))
        return Lab(
            home=lab.home,
            smb_port=int(data["smb_port"]),
            group=str(data["group"]),
            backoffice=bool(data["backoffice"]) and lab.backoffice,
            inventory=lab.inventory,
        )
    except (OSError, ValueError, KeyError, TypeError):
        return lab


# ---------------------------------------------------------------------------------------------------
# Small helpers: files, processes (the pid-file, liveness and stop helpers are in procs.py), ports


def write_if_changed(path: Path, text: str, mode: int = 0o644) -> bool:
    """Write ``text`` atomically when the file differs; returns whether it changed."""
    try:
        if path.read_text(encoding="utf-8") == text and (path.stat().st_mode & 0o7777) == mode:
            return False
    except OSError:
        pass
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.chmod(mode)
    tmp.replace(path)
    return True


def make_dirs(*paths: Path, mode: int = 0o755) -> None:
    for path in paths:
        path.mkdir(parents=True, exist_ok=True)
        path.chmod(mode)


def render(template: str, lab: Lab) -> str:
    text = (PLATFORM / template).read_text(encoding="utf-8")
    return Template(text).substitute(home=str(lab.home), smb_port=lab.smb_port)


def pids() -> Iterator[int]:
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            yield int(entry.name)


def processes_using(conf: Path, programs: tuple[str, ...]) -> list[int]:
    """Live processes of ``programs`` (by executable base name) whose command line names ``conf``."""
    found = []
    for pid in pids():
        args = procs.cmdline(pid)
        if not args or not procs.alive(pid):
            continue
        names = {Path(arg).name for arg in args[:2]}
        if names & set(programs) and any(str(conf) in arg for arg in args):
            found.append(pid)
    return found


def our_pid(pidfile: Path, conf: Path) -> int | None:
    """The pid in ``pidfile`` when it is alive and runs with ``conf`` (guards against recycled pids)."""
    return procs.our_pid(pidfile, lambda args: any(str(conf) in arg for arg in args))


def port_open(port: int, host: str = "127.0.0.1", timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def binary(name: str, *fallbacks: str) -> str:
    found = shutil.which(name, path=DAEMON_ENV["PATH"]) or next(
        (path for path in fallbacks if Path(path).is_file()), None
    )
    if found is None:
        raise LabError(f"{name} not found: install its Debian package (lab/ctl.py up does)")
    return found


def run_logged(cmd: list[str], log: Path) -> subprocess.CompletedProcess[bytes]:
    """Run a daemon's start command with a clean environment, its output to ``log`` (never a pipe: the
    daemon may keep it open), detached from this terminal."""
    with open(log, "ab") as out:
        return subprocess.run(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=DAEMON_ENV,
            cwd="/",
            start_new_session=True,
            check=False,
        )


def tail(path: Path, lines: int = 15) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


# ---------------------------------------------------------------------------------------------------
# packages


def missing_packages() -> list[str] | None:
    """Debian packages of PACKAGES not installed; None when this is not a dpkg system."""
    if shutil.which("dpkg-query") is None:
        return None
    missing = []
    for package in PACKAGES:
        proc = subprocess.run(
            ["dpkg-query", "-W", "-f=${Status}", package], capture_output=True, text=True, check=False
        )
        if "install ok installed" not in proc.stdout:
            missing.append(package)
    return missing


@contextlib.contextmanager
def no_service_starts() -> Iterator[None]:
    """Keep maintainer scripts from starting the distribution's daemons (invoke-rc.d asks policy-rc.d;
    101 = action forbidden). Only when no policy-rc.d exists; removed afterwards."""
    if POLICY_RC_D.exists():
        yield
        return
    POLICY_RC_D.write_text(POLICY_RC_D_TEXT)
    POLICY_RC_D.chmod(0o755)
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            if POLICY_RC_D.read_text() == POLICY_RC_D_TEXT:
                POLICY_RC_D.unlink()


def distribution_daemons(lab: Lab) -> set[int]:
    """smbd/nmbd/supervisord processes that are not the lab's."""
    found = set()
    for pid in pids():
        args = procs.cmdline(pid)
        names = {Path(arg).name for arg in args[:2]}
        if names & {"smbd", "nmbd", "supervisord"} and not any(str(lab.home) in arg for arg in args):
            found.add(pid)
    return found


def packages_up(lab: Lab) -> None:
    missing = missing_packages()
    if missing is None:  # not Debian: the binaries must be there
        absent = [
            pkg for pkg, exe in PACKAGE_BINARIES.items() if not shutil.which(exe, path=DAEMON_ENV["PATH"])
        ]
        if absent:
            raise LabError(f"no dpkg here: install {', '.join(absent)} with this system's package manager")
        say("packages", "already installed (no dpkg: found the programs)")
        return
    if not missing:
        say("packages", f"already installed: {' '.join(PACKAGES)}")
        return
    before = distribution_daemons(lab)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    with no_service_starts():
        for cmd in (
            ["apt-get", "update", "-qq"],
            ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing],
        ):
            proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
            if proc.returncode != 0:
                output = "\n".join((proc.stdout + proc.stderr).splitlines()[-15:])
                raise LabError(f"{' '.join(cmd)} failed (exit {proc.returncode}):\n{output}")
    say("packages", f"installed {' '.join(missing)}")
    started = distribution_daemons(lab) - before
    if started:
        names = ", ".join(f"{Path(procs.cmdline(pid)[0]).name} (pid {pid})" for pid in sorted(started))
        say("packages", f"warning: the install started the distribution's daemons: {names}")


# ---------------------------------------------------------------------------------------------------
# groups and users


def group_exists(name: str) -> bool:
    try:
        grp.getgrnam(name)
    except KeyError:
        return False
    return True


def groups_up(lab: Lab) -> None:
    made = []
    for name in (lab.group, lab.logon_group):
        if not group_exists(name):
            subprocess.run(["groupadd", "--system", name], check=True, capture_output=True)
            made.append(name)
    if made:
        say("groups", f"created {', '.join(made)}")
    else:
        say("groups", f"already exist: {lab.group}, {lab.logon_group}")


def lab_users(group: str) -> list[str]:
    """Users that are members of ``group`` (supplementary or primary); never root."""
    try:
        entry = grp.getgrnam(group)
    except KeyError:
        return []
    names = set(entry.gr_mem) | {user.pw_name for user in pwd.getpwall() if user.pw_gid == entry.gr_gid}
    return sorted(name for name in names if _uid(name) not in (None, 0))


def _uid(name: str) -> int | None:
    try:
        return pwd.getpwnam(name).pw_uid
    except KeyError:
        return None


def processes_of(uid: int) -> list[int]:
    found = []
    for pid in pids():
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("Uid:") and int(line.split()[1]) == uid:
                found.append(pid)
                break
    return found


def users_down(lab: Lab) -> None:
    users = lab_users(lab.group)
    if not users:
        say("users", f"already removed (no user in {lab.group})")
        return
    for name in users:
        uid = _uid(name)
        if uid is not None:
            for pid in processes_of(uid):  # left over by a program supervisord did not stop
                procs.terminate(pid, wait=5.0)
        proc = subprocess.run(["userdel", name], capture_output=True, text=True, check=False)
        if proc.returncode not in (0, 6):  # 6: no such user (removed meanwhile)
            raise LabError(f"userdel {name} failed (exit {proc.returncode}): {proc.stderr.strip()}")
    say("users", f"removed {', '.join(users)}")


def groups_down(lab: Lab) -> None:
    removed = []
    for name in (lab.logon_group, lab.group):
        if group_exists(name):
            proc = subprocess.run(["groupdel", name], capture_output=True, text=True, check=False)
            if proc.returncode != 0:
                raise LabError(f"groupdel {name} failed (exit {proc.returncode}): {proc.stderr.strip()}")
            removed.append(name)
    say("groups", f"removed {', '.join(removed)}" if removed else "already removed")


# ---------------------------------------------------------------------------------------------------
# lab home and host roots


def check_home(home: Path) -> None:
    if not home.is_absolute() or len(home.parts) < 3:
        raise LabError(
            f"lab home {home}: give an absolute path at least two levels deep, e.g. {DEFAULT_HOME}"
        )


def check_new_home(lab: Lab) -> None:
    """``up`` adopts only an empty or missing directory, or a lab home (``down`` deletes it)."""
    check_home(lab.home)
    if lab.home.exists() and not lab.state_file.exists() and any(lab.home.iterdir()):
        raise LabError(
            f"lab home {lab.home} exists, is not empty and has no {STATE_FILE}: "
            "not a lab home, choose another"
        )
    if len(str(lab.supervisor_sock).encode()) > 100:
        raise LabError(f"{lab.supervisor_sock} is too long for a unix socket: choose a shorter lab home")


def home_up(lab: Lab) -> set[str]:
    """Make the lab home; returns the names of the bin/ files that changed."""
    home = lab.home
    check_new_home(lab)
    existed = home.exists()
    make_dirs(home, home / "bin", home / "hosts")
    changed = write_if_changed(lab.state_file, json.dumps(lab.record(), indent=2) + "\n")
    updated = set()
    for name, (source, mode) in BIN_FILES.items():
        if write_if_changed(home / "bin" / name, source.read_text(encoding="utf-8"), mode):
            updated.add(name)
    changed |= bool(updated)
    if not existed:
        say("lab home", f"created {home}")
    elif changed:
        say("lab home", f"updated {home}")
    else:
        say("lab home", f"already set up: {home}")
    closed = [str(p) for p in (home, *home.parents) if p.exists() and not p.stat().st_mode & 0o001]
    if closed:
        say(
            "lab home",
            f"warning: {closed[-1]} is not searchable by other users: ORS accounts cannot reach the lab",
        )
    return updated


@dataclass
class Host:
    name: str
    groups: set[str] = field(default_factory=set)
    vars: dict[str, object] = field(default_factory=dict)


def read_inventory(path: Path) -> list[Host]:
    """Hosts of a YAML inventory file: their groups (transitively) and the host vars written there."""
    try:
        import yaml
    except ImportError as err:
        raise LabError(
            "PyYAML is missing: run lab/ctl.py with the project's virtualenv (./run shell)"
        ) from err
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as err:
        raise LabError(f"cannot read the inventory {path}: {err}") from err
    hosts: dict[str, Host] = {}

    def walk(name: str, group: dict, parents: tuple[str, ...]) -> None:
        chain = (*parents, name)
        for host, host_vars in ((group or {}).get("hosts") or {}).items():
            entry = hosts.setdefault(str(host), Host(str(host)))
            entry.groups.update(chain)
            entry.vars.update(host_vars or {})
        for child, child_group in ((group or {}).get("children") or {}).items():
            walk(str(child), child_group, chain)

    for top, group in data.items():
        walk(str(top), group, ())
    for host in hosts.values():
        if not NAME_RE.fullmatch(host.name):
            raise LabError(
                f"inventory host {host.name!r}: lab host names must be plain names (letters, digits, ._-)"
            )
    return list(hosts.values())


def mac_addresses(host: Host) -> list[str]:
    value = host.vars.get(MAC_VAR)
    macs = [value] if isinstance(value, str) else list(value or [])
    normalised = []
    for mac in macs:
        hexdigits = re.sub(r"[:-]", "", str(mac)).lower()
        if not re.fullmatch(r"[0-9a-f]{12}", hexdigits):
            raise LabError(f"{host.name}: {MAC_VAR}: {mac!r} is not a MAC address like 02:50:44:00:00:01")
        normalised.append(":".join(hexdigits[i : i + 2] for i in range(0, 12, 2)))
    if not normalised:
        raise LabError(f"{host.name}: an FLS host needs {MAC_VAR} (its lab MAC addresses) in the inventory")
    return normalised


def license_host_id(path: Path) -> str | None:
    """The host id of a license file's SERVER line, lower case."""
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        fields = line.split()
        if len(fields) >= 3 and fields[0] == "SERVER":
            return fields[2].lower()
    return None


def hosts_up(lab: Lab, hosts: list[Host]) -> None:
    done, ready = [], []
    for host in hosts:
        root = lab.home / "hosts" / host.name
        changed = not root.exists()
        make_dirs(root)
        notes = []
        if PRISMADIRECT_GROUP in host.groups:
            settings_dir = root / "ProgramData" / "PRISMAdirect"
            changed |= not settings_dir.exists()
            make_dirs(root / "ProgramData", settings_dir)
        if FLS_GROUP in host.groups:
            macs = mac_addresses(host)
            changed |= write_if_changed(root / "mac_addresses", "".join(f"{mac}\n" for mac in macs))
            licenses = root / "licenses"
            if not licenses.exists():  # never overwrite what the playbooks installed since
                host_ids = {mac.replace(":", "") for mac in macs}
                # owner root, group root, no access for others: license_share grants the ORS accounts
                make_dirs(licenses, mode=0o750)
                copied = 0
                for lic in sorted(INSTALLED_LICENSES.glob("*.lic")):
                    if license_host_id(lic) in host_ids:
                        shutil.copyfile(lic, licenses / lic.name)
                        (licenses / lic.name).chmod(0o644)
                        copied += 1
                notes.append(f"{copied} license{'s' if copied != 1 else ''}")
                changed = True
        label = f"{host.name} ({', '.join(notes)})" if notes else host.name
        (done if changed else ready).append(label)
    if not hosts:
        say("hosts", f"warning: no host in {lab.inventory}")
    elif done:
        say("hosts", f"set up {', '.join(done)}" + (f"; already set up: {', '.join(ready)}" if ready else ""))
    else:
        say("hosts", f"already set up: {', '.join(ready)}")


def home_down(lab: Lab) -> None:
    home = lab.home
    check_home(home)
    if not home.exists():
        say("lab home", f"already removed: {home}")
        return
    if not lab.state_file.exists():
        raise LabError(f"{home} has no {STATE_FILE}: not a lab home, left alone")
    shutil.rmtree(home)
    say("lab home", f"removed {home}")


# ---------------------------------------------------------------------------------------------------
# samba


def smbd_pid(lab: Lab) -> int | None:
    return our_pid(lab.samba / "pid" / "smbd.pid", lab.smb_conf)


def _can_unshare() -> bool:
    if not SAMBA_LOG_DIR.is_dir() or shutil.which("unshare", path=DAEMON_ENV["PATH"]) is None:
        return False
    proc = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "true"], capture_output=True, check=False
    )
    return proc.returncode == 0


def samba_up(lab: Lab) -> None:
    where = f"127.0.0.1:{lab.smb_port}"
    dirs = (
        "lock",
        "state",
        "cache",
        "pid",
        "log",
        "ncalrpc",
        "usershares",
        "binddns",
        "ntp_signd",
        "winbindd",
    )
    make_dirs(lab.samba, *(lab.samba / name for name in dirs))
    make_dirs(lab.samba / "private", mode=0o700)
    shares = lab.samba / "shares.conf"
    if not shares.exists():  # the license_share module owns its content
        shares.write_text("# Shares of the lab's smbd, added by the license_share module.\n")
    conf_changed = write_if_changed(lab.smb_conf, render("smb.conf.in", lab))

    pid = smbd_pid(lab)
    reason = "started"
    if pid is not None:
        if not conf_changed and procs.wait_for(lambda: port_open(lab.smb_port), timeout=5.0):
            say("samba", f"already running on {where} (pid {pid})")
            return
        reason = "restarted (config changed)" if conf_changed else "restarted (did not answer)"
        samba_stop(lab)
    if port_open(lab.smb_port):
        raise LabError(f"port {lab.smb_port} on 127.0.0.1 is taken by another program: choose --smb-port")

    log = lab.samba / "log" / "start.log"
    cmd = [binary("smbd", "/usr/sbin/smbd"), "-D", "-s", str(lab.smb_conf), "-l", str(lab.samba / "log")]
    if _can_unshare():
        # smbd passes -l to its RPC helpers, but samba-dcerpcd probes them without it and they open
        # /var/log/samba/log.rpcd_*: give smbd a private mount namespace where that is the lab's log dir.
        cmd = [
            "unshare", "--mount", "--propagation", "private", "--",
            "sh", "-c", 'mount --bind "$0" /var/log/samba && exec "$@"', str(lab.samba / "log"), *cmd,
        ]  # fmt: skip
    proc = run_logged(cmd, log)
    started = proc.returncode == 0 and procs.wait_for(
        lambda: smbd_pid(lab) is not None and port_open(lab.smb_port), timeout=START_TIMEOUT
    )
    if not started:
        raise LabError(
            f"smbd did not start on {where} (exit {proc.returncode}); see {log} and "
            f"{lab.samba / 'log' / 'log.smbd'}:\n{tail(log)}\n{tail(lab.samba / 'log' / 'log.smbd')}"
        )
    say("samba", f"{reason} on {where} (pid {smbd_pid(lab)})")


def samba_stop(lab: Lab) -> list[int]:
    """Stop smbd, samba-dcerpcd (smbd starts it on demand; it outlives smbd) and their workers."""
    stopped = []
    for pidfile in ("smbd.pid", "samba-dcerpcd.pid"):
        pid = our_pid(lab.samba / "pid" / pidfile, lab.smb_conf)
        if pid is not None and procs.terminate(pid):
            stopped.append(pid)
    programs = ("smbd", "samba-dcerpcd", "rpcd_classic", "rpcd_epmapper", "rpcd_fsrvp", "rpcd_lsad")
    programs += ("rpcd_mdssvc", "rpcd_spoolss", "rpcd_winreg", "samba-bgqd")
    for pid in processes_using(lab.smb_conf, programs):
        if procs.terminate(pid, wait=5.0):
            stopped.append(pid)
    return stopped


def samba_down(lab: Lab) -> None:
    pid = smbd_pid(lab)
    stopped = samba_stop(lab)
    if pid is not None:
        say("samba", f"stopped (pid {pid})")
    elif stopped:
        say("samba", f"stopped leftover processes {', '.join(map(str, stopped))}")
    else:
        say("samba", "already stopped")


# ---------------------------------------------------------------------------------------------------
# supervisord


def supervisord_pid(lab: Lab) -> int | None:
    return our_pid(lab.supervisor / "supervisord.pid", lab.supervisord_conf)


def supervisorctl(lab: Lab, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [binary("supervisorctl", "/usr/bin/supervisorctl"), "-c", str(lab.supervisord_conf), *args]
    return subprocess.run(cmd, capture_output=True, text=True, env=DAEMON_ENV, check=False, timeout=30)


def supervisord_answers(lab: Lab) -> bool:
    proc = supervisorctl(lab, "pid")
    return proc.returncode == 0 and proc.stdout.strip().isdigit()


def supervisord_up(lab: Lab) -> None:
    where = f"unix://{lab.supervisor_sock}"
    make_dirs(lab.supervisor, lab.supervisor / "conf.d", lab.supervisor / "log")
    conf_changed = write_if_changed(lab.supervisord_conf, render("supervisord.conf.in", lab))

    pid = supervisord_pid(lab)
    reason = "started"
    if pid is not None:
        if not conf_changed and procs.wait_for(lambda: supervisord_answers(lab), timeout=5.0):
            say("supervisord", f"already running on {where} (pid {pid})")
            return
        reason = "restarted (config changed)" if conf_changed else "restarted (did not answer)"
        procs.terminate(pid, wait=30.0)

    log = lab.supervisor / "log" / "start.log"
    proc = run_logged([binary("supervisord", "/usr/bin/supervisord"), "-c", str(lab.supervisord_conf)], log)
    started = proc.returncode == 0 and procs.wait_for(
        lambda: supervisord_pid(lab) is not None and supervisord_answers(lab), timeout=START_TIMEOUT
    )
    if not started:
        raise LabError(
            f"supervisord did not start (exit {proc.returncode}); see {log} and "
            f"{lab.supervisor / 'log' / 'supervisord.log'}:\n{tail(log)}"
        )
    say("supervisord", f"{reason} on {where} (pid {supervisord_pid(lab)})")


def supervisord_down(lab: Lab) -> None:
    pid = supervisord_pid(lab)
    if pid is None:
        leftovers = processes_using(lab.supervisord_conf, ("supervisord",))
        for other in leftovers:
            procs.terminate(other, wait=30.0)
        say("supervisord", "already stopped" if not leftovers else f"stopped leftover {leftovers}")
        return
    # SIGTERM: supervisord stops every program (stopsignal, stopwaitsecs) and then exits.
    if not procs.terminate(pid, wait=60.0):
        raise LabError(f"supervisord (pid {pid}) did not stop")
    say("supervisord", f"stopped with its programs (pid {pid})")


def supervisord_programs(lab: Lab) -> str:
    proc = supervisorctl(lab, "status")
    lines = [line.split() for line in proc.stdout.splitlines() if line.strip()]
    running = sum(1 for fields in lines if len(fields) > 1 and fields[1] == "RUNNING")
    return f"{running}/{len(lines)} programs running"


# ---------------------------------------------------------------------------------------------------
# license servers (one supervisord program per FLS host)


def license_server_program(host: str) -> str:
    return f"{host}{LICENSE_SERVER_SUFFIX}"


def license_server_conf(lab: Lab, host: str) -> str:
    program = license_server_program(host)
    root = lab.home / "hosts" / host
    return (
        f"; The lab stand-in for the FlexNet license server of {host} (written by lab/ctl.py up).\n"
        f"; Reread: {lab.home}/bin/lmutil lmreread -c {root}/licenses (sends SIGHUP).\n"
        f"[program:{program}]\n"
        f"command = /usr/bin/python3 -u {lab.home}/bin/license_server.py --host {host} --root {root}\n"
        "user = root\n"
        f"directory = {root}\n"
        "autostart = true\n"
        "autorestart = true\n"
        "startsecs = 1\n"
        "stopsignal = TERM\n"
        "redirect_stderr = true\n"
        f"stdout_logfile = {lab.supervisor / 'log' / program}.log\n"
    )


def program_state(lab: Lab, program: str) -> tuple[str | None, int | None]:
    """(supervisord state such as RUNNING, pid) of one program; (None, None) when unknown."""
    fields = supervisorctl(lab, "status", program).stdout.split()
    state = fields[1] if len(fields) > 1 and fields[0] == program else None
    match = re.search(r"pid (\d+)", " ".join(fields))
    return state, int(match.group(1)) if match else None


def license_server_ready(lab: Lab, host: str, pid: int | None) -> bool:
    """The program runs and its status file says this very process has read the folder."""
    if pid is None:
        return False
    try:
        status = json.loads((lab.home / "hosts" / host / LICENSE_STATUS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return status.get("pid") == pid and int(status.get("reads") or 0) >= 1


def license_servers_up(lab: Lab, hosts: list[Host], updated: set[str]) -> None:
    names = [host.name for host in hosts if FLS_GROUP in host.groups]
    if not names:
        say("license servers", f"none (no host in {FLS_GROUP})")
        return
    conf_d = lab.supervisor / "conf.d"
    changed = {
        name
        for name in names
        if write_if_changed(conf_d / f"{license_server_program(name)}.conf", license_server_conf(lab, name))
    }
    # Adds new programs and restarts those whose section changed; only these: other programs are left alone.
    proc = supervisorctl(lab, "update", *(license_server_program(name) for name in names))
    if proc.returncode != 0:
        raise LabError(f"supervisorctl update failed: {(proc.stdout + proc.stderr).strip()}")
    code_changed = bool(updated & set(LICENSE_SERVER_FILES))
    started, ready = [], []
    for name in names:
        program = license_server_program(name)
        state, pid = program_state(lab, program)
        if name not in changed and state == "RUNNING" and not code_changed:
            ready.append(f"{program} (pid {pid})")
            continue
        if name not in changed:
            proc = supervisorctl(lab, "restart" if state == "RUNNING" else "start", program)
            if proc.returncode != 0:
                raise LabError(f"{program} did not start: {(proc.stdout + proc.stderr).strip()}")
        if not procs.wait_for(
            lambda p=program, n=name: license_server_ready(lab, n, program_state(lab, p)[1]),
            timeout=START_TIMEOUT,
        ):
            log = lab.supervisor / "log" / f"{program}.log"
            raise LabError(f"{program} did not start or did not read its licenses; see {log}:\n{tail(log)}")
        started.append(f"{program} (pid {program_state(lab, program)[1]})")
    if started:
        tail_text = f"; already running: {', '.join(ready)}" if ready else ""
        say("license servers", f"started {', '.join(started)}{tail_text}")
    else:
        say("license servers", f"already running: {', '.join(ready)}")


def license_servers_status(lab: Lab) -> tuple[bool, str]:
    programs = sorted(p.stem for p in (lab.supervisor / "conf.d").glob(f"*{LICENSE_SERVER_SUFFIX}.conf"))
    if not programs:
        return True, "none configured"
    states = {program: program_state(lab, program)[0] for program in programs}
    down = [program for program, state in states.items() if state != "RUNNING"]
    if down:
        return False, f"not running: {', '.join(down)}"
    return True, f"{', '.join(programs)} running"


# ---------------------------------------------------------------------------------------------------
# back-office simulator (its own control script; state in lab/.state/backoffice)


def backoffice(action: str) -> int:
    proc = subprocess.run([sys.executable, str(BACKOFFICE_CTL), action], check=False, timeout=60)
    return proc.returncode


# ---------------------------------------------------------------------------------------------------
# commands


def require_root() -> None:
    if os.geteuid() != 0:
        raise LabError("run as root: the lab makes users and groups and starts smbd and supervisord")


def up(lab: Lab) -> int:
    require_root()
    check_new_home(lab)  # everything that can be refused is refused before anything changes
    hosts = read_inventory(lab.inventory)
    for host in hosts:
        if FLS_GROUP in host.groups:
            mac_addresses(host)
    packages_up(lab)
    groups_up(lab)
    updated = home_up(lab)
    hosts_up(lab, hosts)
    samba_up(lab)
    supervisord_up(lab)
    license_servers_up(lab, hosts, updated)
    if lab.backoffice and backoffice("start") != 0:
        raise LabError("the back-office simulator did not start (see above)")
    return 0


def down(lab: Lab) -> int:
    require_root()
    lab = recorded(lab)
    supervisord_down(lab)
    samba_down(lab)
    if lab.backoffice and backoffice("stop") != 0:
        raise LabError("the back-office simulator did not stop (see above)")
    users_down(lab)
    groups_down(lab)
    home_down(lab)
    procs.wait_reaped()
    return 0


def status(lab: Lab) -> int:
    lab = recorded(lab)
    rows: list[tuple[str, bool, str]] = []
    missing = missing_packages()
    rows.append(("packages", not missing, f"missing: {' '.join(missing)}" if missing else " ".join(PACKAGES)))
    absent = [name for name in (lab.group, lab.logon_group) if not group_exists(name)]
    rows.append(
        (
            "groups",
            not absent,
            f"missing: {', '.join(absent)}" if absent else f"{lab.group}, {lab.logon_group}",
        )
    )
    rows.append(("lab home", lab.state_file.exists(), str(lab.home)))
    smbd = smbd_pid(lab)
    smb_ok = smbd is not None and port_open(lab.smb_port)
    rows.append(("samba", smb_ok, f"127.0.0.1:{lab.smb_port} (pid {smbd})" if smb_ok else "stopped"))
    sup = supervisord_pid(lab)
    sup_ok = sup is not None and supervisord_answers(lab)
    detail = f"unix://{lab.supervisor_sock} (pid {sup}; {supervisord_programs(lab)})" if sup_ok else "stopped"
    rows.append(("supervisord", sup_ok, detail))
    licensed = license_servers_status(lab) if sup_ok else (False, "supervisord is not running")
    rows.append(("license servers", *licensed))
    if lab.backoffice:
        proc = subprocess.run(
            [sys.executable, str(BACKOFFICE_CTL), "status"], capture_output=True, text=True, check=False
        )
        rows.append(("backoffice", proc.returncode == 0, proc.stdout.strip().removeprefix("backoffice: ")))
    else:
        rows.append(("backoffice", True, "not managed by this lab (--no-backoffice)"))
    width = max(len(name) for name, _, _ in rows)
    for name, ok, detail in rows:
        print(f"{name:<{width}}  {'ok' if ok else 'DOWN':<4}  {detail}")
    return 0 if all(ok for _, ok, _ in rows) else 3


def _port(text: str) -> int:
    port = int(text)
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text} is not a port (1-65535)")
    return port


def _group(text: str) -> str:
    if not GROUP_RE.fullmatch(text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a group name (lower case, at most 26 characters)")
    return text


def main(argv: list[str] | None = None) -> int:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--home",
        type=lambda text: Path(os.path.abspath(text)),
        default=Path(os.environ.get("PRINTOPS_LAB_HOME") or DEFAULT_HOME),
        help=f"lab home (default $PRINTOPS_LAB_HOME or {DEFAULT_HOME})",
    )
    common.add_argument(
        "--group",
        type=_group,
        default=os.environ.get("PRINTOPS_LAB_GROUP") or DEFAULT_GROUP,
        help="group of the lab's users; GROUP-logon is the 'Log on as a service' group "
        f"(default $PRINTOPS_LAB_GROUP or {DEFAULT_GROUP})",
    )
    common.add_argument(
        "--no-backoffice",
        dest="backoffice",
        action="store_false",
        help="leave the back-office simulator alone (tests start their own)",
    )
    parser = argparse.ArgumentParser(description="Bring the lab platform up, check it, tear it down.")
    sub = parser.add_subparsers(dest="action", required=True)
    p_up = sub.add_parser("up", parents=[common], help="bring the lab up (idempotent)")
    p_up.add_argument(
        "--smb-port",
        type=_port,
        default=None,
        help=f"smbd port on loopback (default $PRINTOPS_LAB_SMB_PORT or {DEFAULT_SMB_PORT})",
    )
    p_up.add_argument(
        "--inventory",
        type=lambda text: Path(text).resolve(),
        default=DEFAULT_INVENTORY,
        help="YAML inventory whose hosts get a root (default inventories/lab/hosts.yml)",
    )
    sub.add_parser("down", parents=[common], help="stop and remove everything the lab made (idempotent)")
    sub.add_parser("status", parents=[common], help="table; exit 0 when everything is up, 3 otherwise")
    args = parser.parse_args(argv)
    smb_port = getattr(args, "smb_port", None)
    if smb_port is None:
        try:
            smb_port = _port(os.environ.get("PRINTOPS_LAB_SMB_PORT") or str(DEFAULT_SMB_PORT))
        except (ValueError, argparse.ArgumentTypeError):
            parser.error(
                f"PRINTOPS_LAB_SMB_PORT={os.environ['PRINTOPS_LAB_SMB_PORT']!r} is not a port (1-65535)"
            )
    lab = Lab(
        home=args.home,
        smb_port=smb_port,
        group=args.group,
        backoffice=args.backoffice,
        inventory=getattr(args, "inventory", DEFAULT_INVENTORY),
    )
    try:
        return {"up": up, "down": down, "status": status}[args.action](lab)
    except LabError as err:
        print(f"lab: error: {err}", file=sys.stderr, flush=True)
        return 1
    except subprocess.CalledProcessError as err:
        output = (
            (err.stderr or b"").decode(errors="replace").strip()
            if isinstance(err.stderr, bytes)
            else err.stderr
        )
        print(
            f"lab: error: {' '.join(map(str, err.cmd))} failed (exit {err.returncode}): {output}",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
