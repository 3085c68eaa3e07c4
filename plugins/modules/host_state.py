#!/usr/bin/python
# Copyright: (c) 2026, printops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: host_state
author:
  - printops team
short_description: Read the Remote Service host state of a lab host in one round trip (internal)
description:
  - Internal target-side reader of this collection, used by its action plugins (C(ors_account),
    C(remote_service), C(remote_service_proxy), C(remote_assistance), C(remote_service_info)) in step 2
    ("Read") of every run. Playbooks normally do not call it.
  - This is the B(lab platform) reader, a Python module run on a Linux stand-in host. On Windows the
    same name is served by a PowerShell reader that returns the same JSON shape.
  - Read-only. Returns the host state of C(docs/internals.md) for the sections asked for; sections not
    asked for are left out of the result.
  - Secrets never leave the host. Each secret of the settings store (C(general.verification_code),
    C(proxy.password)) is replaced by an object with C(set) (bool) and C(fingerprint) (hex or null), the
    fingerprint being HMAC-SHA256 keyed by the store's C(salt). Account passwords are compared on the
    host with a candidate hash (RV(accounts.password_matches)), never returned.
  - "Lab mapping: the ORS account is a system user; B(Log on as a service) is membership of
    O(logon_group); Print ORS Service is the supervisord program C(<lab_host>_<service>) (service name
    lowercased, every character other than a letter or digit replaced by C(_)) configured in
    C(<lab_home>/supervisor/conf.d/<program>.conf); an SMB path is resolved through the lab's
    C(<lab_home>/samba/shares.conf)."
version_added: 0.1.0
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Read-only; it runs the same in check mode.
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  sections:
    description:
      - The parts of the host state to read. Each becomes the top-level key of the same name.
    type: list
    elements: str
    choices: [service, accounts, settings, licenses, mac_addresses, teamviewer]
    default: [service, accounts, settings, licenses, mac_addresses, teamviewer]
  service:
    description:
      - Display name of the Print ORS Service. The lab program name is derived from it and O(lab_host).
    type: str
    default: Print ORS Service
  accounts:
    description:
      - Lab user names to report under RV(accounts), with an optional candidate password hash each.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description:
          - Lab user name (the user part of the ORS account).
        type: str
        required: true
      password_hash:
        description:
          - Candidate crypt(3) hash. RV(accounts.password_matches) says whether C(/etc/shadow) holds
            exactly this hash for the user.
          - Omit it to leave RV(accounts.password_matches) V(null).
        type: str
  logon_group:
    description:
      - The lab group that stands in for the B(Log on as a service) right.
    type: str
    default: printops-lab-logon
  settings_path:
    description:
      - Path of the settings store document (JSON, schema 1).
      - Without it RV(settings.exists) is V(false).
    type: path
  license_path:
    description:
      - The license folder, a local directory whose C(*.lic) files are returned under RV(licenses).
      - The lab equivalent of a Windows SMB path is accepted as well, V(//host/share/sub) or
        V(\\\\host\\share\\sub). The share's C(path =) is looked up in C(<lab_home>/samba/shares.conf)
        (share names compared case-insensitively; the host part is not checked, since the lab has one
        C(smbd) for all its hosts).
      - Without it, the settings store's C(general.license_path) is used when the C(settings) section
        is read too; without either, RV(licenses) is empty.
    type: str
  lab_home:
    description:
      - The lab's home directory (supervisord and Samba configuration).
    type: path
    default: /srv/printops-lab
  lab_host:
    description:
      - The lab host's inventory name; the first part of the supervisord program name.
      - Required when the C(service) section is read; also gives the default of O(lab_root).
    type: str
  lab_root:
    description:
      - The lab host's root directory.
      - Defaults to C(<lab_home>/hosts/<lab_host>).
    type: path
  mac_addresses_file:
    description:
      - Lab stand-in for the host's network adapters, a file with one MAC address per line (C(#) starts a
        comment; C(:) and C(-) separators are allowed).
      - When it is not given, or the file does not exist (with a warning), the host's real MAC addresses
        are read from C(/sys/class/net/*/address), leaving out the loopback and all-zero addresses.
    type: path
notes:
  - Run it as root (the lab runs as root), since reading C(/etc/shadow) and the settings store needs it.
  - Problems that do not stop the read (supervisord not running, a missing license folder, an
    oversized license file, a corrupt settings document) become warnings or RV(settings.error); the
    module fails only on bad options.
seealso:
  - module: printops.prismadirect.settings_store
  - module: printops.prismadirect.backoffice_probe
"""

EXAMPLES = r"""
- name: Read the whole host state of a lab PRISMAdirect host
  printops.prismadirect.host_state:
    lab_home: /srv/printops-lab
    lab_host: prisma1
    accounts:
      - name: svc_ors_p1
        password_hash: "{{ ors_password | password_hash('sha512', ors_salt) }}"
    settings_path: /srv/printops-lab/hosts/prisma1/ProgramData/PRISMAdirect/remote-service.json
    license_path: //fls1/licenses
  register: state

- name: Only the licenses and host ids of a lab FLS
  printops.prismadirect.host_state:
    sections: [licenses, mac_addresses]
    license_path: /srv/printops-lab/hosts/fls1/licenses
    mac_addresses_file: /srv/printops-lab/hosts/fls1/mac_addresses
"""

RETURN = r"""
platform:
  description: The platform of the reader.
  returned: always
  type: str
  sample: lab
service:
  description:
    - The Print ORS Service. When it does not exist, RV(service.account), RV(service.start_mode) and
      RV(service.state) are V(null).
  returned: when the C(service) section is read
  type: dict
  contains:
    name:
      description: Its display name (O(service)).
      type: str
      sample: Print ORS Service
    exists:
      description: Whether the program's configuration file exists.
      type: bool
    account:
      description: The user it runs as (C(user=), V(root) when not set).
      type: str
      sample: svc_ors_p1
    start_mode:
      description: V(auto) (C(autostart=true), the supervisord default) or V(manual).
      type: str
      choices: [auto, manual]
    state:
      description:
        - From C(supervisorctl status). V(running) (RUNNING), V(starting) (STARTING, BACKOFF),
          V(stopping) (STOPPING), V(stopped) (STOPPED, EXITED, FATAL, or configured but not loaded by
          supervisord, with a warning), V(unknown) (supervisord not reachable, with a warning).
      type: str
      choices: [running, starting, stopping, stopped, unknown]
  sample:
    name: Print ORS Service
    exists: true
    account: svc_ors_p1
    start_mode: auto
    state: running
accounts:
  description:
    - One entry per O(accounts) item, keyed by its name.
    - When the C(service) section is read too, the account the service runs as is always included
      (its group is the settings store's group).
  returned: when the C(accounts) section is read
  type: dict
  contains:
    exists:
      description: Whether the user exists.
      type: bool
    id:
      description: C(uid:<N>), or V(null) when the user does not exist.
      type: str
    group:
      description: The name of the user's primary group, or V(null).
      type: str
    groups:
      description: The names of all the user's groups, primary included, sorted.
      type: list
      elements: str
    service_logon:
      description: Whether the user is a member of O(logon_group).
      type: bool
    password_matches:
      description:
        - Whether C(/etc/shadow) holds exactly the candidate hash for the user (V(false) also when the
          user does not exist); V(null) when no candidate was given.
      type: bool
  sample:
    svc_ors_p1:
      exists: true
      id: "uid:998"
      group: svc_ors_p1
      groups: [printops-lab-logon, svc_ors_p1]
      service_logon: true
      password_matches: true
settings:
  description:
    - The settings store document as its B(view), and the file's ownership.
  returned: when the C(settings) section is read
  type: dict
  contains:
    path:
      description: O(settings_path).
      type: str
    exists:
      description: Whether the document exists.
      type: bool
    owner:
      description: Owner name of the file (the number when it has no name), V(null) when absent.
      type: str
    group:
      description: Group name of the file (the number when it has no name), V(null) when absent.
      type: str
    mode:
      description: Permission bits as four octal digits, V(null) when absent.
      type: str
      sample: "0640"
    document:
      description:
        - The document with its C(salt) kept and each secret replaced by C({"set", "fingerprint"}).
        - V(null) when the file is absent or cannot be read as a schema 1 document (see RV(settings.error)).
      type: dict
      sample:
        schema: 1
        salt: 5f0c1e0d2a3b4c5d6e7f8091a2b3c4d5
        general:
          enabled: true
          organization_id: PRS-LAB-ORG
          verification_code: {set: true, fingerprint: 0b9c...}
          license_server: local
          license_path: null
        proxy:
          mode: none
          url: null
          domain: null
          username: null
          password: {set: false, fingerprint: null}
        remote_assistance: {enabled: false, until: null}
    error:
      description: Why the document could not be read (no secret in it), else V(null).
      type: str
licenses:
  description: The C(*.lic) files of the license folder, sorted by name.
  returned: when the C(licenses) section is read
  type: list
  elements: dict
  contains:
    name:
      description: File name.
      type: str
    size:
      description: Size in bytes.
      type: int
    sha256:
      description: Lowercase hex SHA-256 of the file.
      type: str
    text:
      description: The file's text (UTF-8), or V(null) when it is larger than 256 KiB (with a warning).
      type: str
  sample:
    - name: PDS-100001.lic
      size: 812
      sha256: 9f2c0d...
      text: "SERVER this_host 025044000001 27000 (the whole file)"
mac_addresses:
  description: The host's MAC addresses as 12 lowercase hex digits (FlexNet host ids), without duplicates.
  returned: when the C(mac_addresses) section is read
  type: list
  elements: str
  sample: ["025044000001"]
teamviewer:
  description: Lab stand-in for the TeamViewer installation, C(<lab_root>/TeamViewer) being present.
  returned: when the C(teamviewer) section is read
  type: dict
  sample: {present: false}
"""

import configparser
import grp
import hashlib
import hmac
import json
import os
import pwd
import re
import stat

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.printops.prismadirect.plugins.module_utils.lab_layout import (
    program_conf,
    program_name,
    supervisord_conf,
)
from ansible_collections.printops.prismadirect.plugins.module_utils.settings import view_of

SECTIONS = ("service", "accounts", "settings", "licenses", "mac_addresses", "teamviewer")
LICENSE_TEXT_LIMIT = 256 * 1024
DEFAULT_LOGON_GROUP = "printops-lab-logon"
_MAC_RE = re.compile(r"^[0-9a-f]{12}$")


# --------------------------------------------------------------------------------------------------
# Settings


def _name_of(ids, lookup):
    try:
        return lookup(ids)[0]
    except KeyError:
        return str(ids)


def file_attributes(path):
    """``{"owner", "group", "mode"}`` of an existing file (names, or numbers without a name)."""
    st = os.stat(path)
    return {
        "owner": _name_of(st.st_uid, pwd.getpwuid),
        "group": _name_of(st.st_gid, grp.getgrgid),
        "mode": f"{stat.S_IMODE(st.st_mode):04o}",
    }


def read_settings(path):
    """The ``settings`` section: the view of the document at ``path`` and the file's ownership."""
    result = {"path": path, "exists": False, "owner": None, "group": None, "mode": None}
    result.update({"document": None, "error": None})
    if not path or not os.path.lexists(path):
        return result
    result["exists"] = True
    try:
        result.update(file_attributes(path))
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as exc:
        result["error"] = f"cannot read {path}: {exc.strerror or exc}"
        return result
    try:
        document = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        # The message of a JSON error names a position, never the text around it.
        why = type(exc).__name__ if isinstance(exc, UnicodeDecodeError) else str(exc)
        result["error"] = f"{path} is not valid JSON ({why}): fix it or remove it to start from the defaults"
        return result
    if not isinstance(document, dict):
        result["error"] = f"{path} does not hold a JSON object"
        return result
    if document.get("schema") != 1:
        result["error"] = "{} has schema {}; this reader knows schema 1".format(
            path,
            json.dumps(document.get("schema")),
        )
        return result
    result["document"] = view_of(document)
    return result


# --------------------------------------------------------------------------------------------------
# Service (supervisord program)


def parse_program_conf(path, program):
    """``{"user", "autostart", "missing_section"}`` of ``[program:<program>]``; ``None`` without the file."""
    if not os.path.isfile(path):
        return None
    parser = configparser.RawConfigParser(inline_comment_prefixes=(";", "#"), strict=False)
    section = f"program:{program}"
    try:
        parser.read(path, encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError) as exc:
        return {"user": None, "autostart": None, "missing_section": True, "error": type(exc).__name__}
    if not parser.has_section(section):
        return {"user": None, "autostart": None, "missing_section": True}
    return {
        "user": parser.get(section, "user", fallback=None),
        "autostart": parser.get(section, "autostart", fallback=None),
        "missing_section": False,
    }


_SUPERVISOR_STATES = {
    "RUNNING": "running",
    "STARTING": "starting",
    "BACKOFF": "starting",
    "STOPPING": "stopping",
    "STOPPED": "stopped",
    "EXITED": "stopped",
    "FATAL": "stopped",
}


def supervisor_state(supervisord_conf, program, run_command, supervisorctl="supervisorctl"):
    """``(state, warning or None)`` of ``program`` from ``supervisorctl -c <conf> status <program>``.

    ``run_command(argv) -> (rc, stdout, stderr)``.
    """
    if not os.path.isfile(supervisord_conf):
        return "unknown", (
            f"the lab supervisord configuration {supervisord_conf} does not exist: bring the lab up; "
            f"the state of {program} is unknown"
        )
    _rc, out, err = run_command([supervisorctl, "-c", supervisord_conf, "status", program])
    text = f"{out or ''}\n{err or ''}"
    for line in text.splitlines():
        fields = line.split()
        if len(fields) >= 2 and fields[0] == program:
            state = _SUPERVISOR_STATES.get(fields[1])
            if state is None:
                return "unknown", f"supervisord reports {program} as {fields[1]}"
            return state, None
    if "no such process" in text:
        return "stopped", (
            f"{program} is configured but supervisord has not loaded it "
            "(supervisorctl reread; supervisorctl update)"
        )
    detail = " ".join(text.split())[:300]
    return "unknown", f"supervisord ({supervisord_conf}) did not answer for {program}: {detail}"


def read_service(service, lab_home, lab_host, run_command, supervisorctl="supervisorctl"):
    """The ``service`` section and the warnings it raised."""
    program = program_name(lab_host, service)
    conf = parse_program_conf(program_conf(lab_home, program), program)
    result = {"name": service, "exists": False, "account": None, "start_mode": None, "state": None}
    if conf is None or conf["missing_section"]:
        warnings = []
        if conf is not None and conf.get("error"):
            warnings.append(f"{program}.conf cannot be parsed ({conf['error']}): the service reads as absent")
        elif conf is not None:
            warnings.append(f"{program}.conf has no [program:{program}] section")
        return result, warnings
    autostart = (conf["autostart"] or "true").strip().lower()
    state, warning = supervisor_state(supervisord_conf(lab_home), program, run_command, supervisorctl)
    result.update(
        {
            "exists": True,
            "account": (conf["user"] or "root").strip(),
            "start_mode": "auto" if autostart in ("true", "yes", "on", "1") else "manual",
            "state": state,
        }
    )
    return result, [warning] if warning else []


# --------------------------------------------------------------------------------------------------
# Accounts


def _shadow_hashes(shadow_path):
    hashes = {}
    try:
        with open(shadow_path, encoding="utf-8", errors="replace") as handle:
            for line in handle:
                fields = line.rstrip("\n").split(":")
                if len(fields) >= 2:
                    hashes[fields[0]] = fields[1]
    except OSError:
        pass
    return hashes


def read_accounts(accounts, logon_group=DEFAULT_LOGON_GROUP, shadow_path="/etc/shadow"):
    """The ``accounts`` section for ``[{"name", "password_hash"}]``."""
    try:
        logon = grp.getgrnam(logon_group)
    except KeyError:
        logon = None
    shadow = None
    result = {}
    for account in accounts:
        name = account["name"]
        candidate = account.get("password_hash")
        entry = {"exists": False, "id": None, "group": None, "groups": [], "service_logon": False}
        entry["password_matches"] = None if candidate is None else False
        try:
            user = pwd.getpwnam(name)
        except KeyError:
            result[name] = entry
            continue
        gids = set(os.getgrouplist(name, user.pw_gid))
        entry.update(
            {
                "exists": True,
                "id": f"uid:{user.pw_uid}",
                "group": _name_of(user.pw_gid, grp.getgrgid),
                "groups": sorted({_name_of(gid, grp.getgrgid) for gid in gids}),
                "service_logon": logon is not None and (logon.gr_gid in gids or name in logon.gr_mem),
            }
        )
        if candidate is not None:
            if shadow is None:
                shadow = _shadow_hashes(shadow_path)
            stored = shadow.get(name)
            entry["password_matches"] = stored is not None and hmac.compare_digest(
                stored.encode("utf-8"), candidate.encode("utf-8")
            )
        result[name] = entry
    return result


# --------------------------------------------------------------------------------------------------
# Licenses


def _samba_share_paths(shares_conf):
    """``{share name lowercased: path}`` from a Samba configuration file."""
    shares = {}
    section = None
    with open(shares_conf, encoding="utf-8", errors="replace") as handle:
        lines = handle.read().replace("\\\n", "").splitlines()
    for line in lines:
        text = line.strip()
        if not text or text[0] in "#;":
            continue
        if text.startswith("[") and text.endswith("]"):
            section = text[1:-1].strip().lower()
            continue
        if section is not None and "=" in text:
            key, value = text.split("=", 1)
            if key.strip().lower() == "path":
                shares[section] = value.strip()
    return shares


def resolve_license_path(license_path, lab_home):
    """``(local directory or None, warning or None)`` for a local path or a lab SMB path."""
    text = license_path.strip()
    if not (text.startswith("//") or text.startswith("\\\\")):
        return text, None
    parts = [part for part in re.split(r"[\\/]+", text) if part]
    if len(parts) < 2:
        return None, f"license_path {text} is not \\\\host\\share[\\folder]"
    share, sub = parts[1], parts[2:]
    if any(part in (".", "..") for part in sub):
        return None, f"license_path {text} must not contain . or .. components"
    shares_conf = os.path.join(lab_home, "samba", "shares.conf")
    try:
        shares = _samba_share_paths(shares_conf)
    except OSError as exc:
        return None, f"cannot resolve {text}: cannot read {shares_conf} ({exc.strerror or exc})"
    base = shares.get(share.lower())
    if base is None:
        return None, f"cannot resolve {text}: the lab has no share [{share}] in {shares_conf}"
    return os.path.join(base, *sub), None


def read_licenses(license_path, lab_home, text_limit=LICENSE_TEXT_LIMIT):
    """The ``licenses`` section and its warnings."""
    if not license_path:
        return [], []
    directory, warning = resolve_license_path(license_path, lab_home)
    if directory is None:
        return [], [warning]
    if not os.path.isdir(directory):
        return [], [f"the license folder {directory} does not exist"]
    licenses, warnings = [], []
    for name in sorted(os.listdir(directory)):
        path = os.path.join(directory, name)
        if not name.lower().endswith(".lic") or not os.path.isfile(path):
            continue
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError as exc:
            warnings.append(f"cannot read the license file {path}: {exc.strerror or exc}")
            continue
        text = None
        if len(data) <= text_limit:
            text = data.decode("utf-8", errors="replace")
        else:
            warnings.append(
                f"the license file {path} is {len(data)} bytes, more than {text_limit}: "
                "its text is not returned"
            )
        licenses.append(
            {"name": name, "size": len(data), "sha256": hashlib.sha256(data).hexdigest(), "text": text}
        )
    return licenses, warnings


# --------------------------------------------------------------------------------------------------
# MAC addresses, TeamViewer


def normalize_mac(text):
    """12 lowercase hex digits, or ``None`` when ``text`` is not a MAC address."""
    mac = re.sub(r"[:\-.\s]", "", text).lower()
    return mac if _MAC_RE.match(mac) else None


def read_mac_addresses(mac_addresses_file=None, sys_class_net="/sys/class/net"):
    """The ``mac_addresses`` section and its warnings."""
    macs, warnings = [], []
    if mac_addresses_file and os.path.isfile(mac_addresses_file):
        with open(mac_addresses_file, encoding="utf-8", errors="replace") as handle:
            for number, line in enumerate(handle, 1):
                text = line.split("#", 1)[0].strip()
                if not text:
                    continue
                mac = normalize_mac(text)
                if mac is None:
                    warnings.append(f"{mac_addresses_file} line {number} is not a MAC address: skipped")
                elif mac not in macs:
                    macs.append(mac)
        return macs, warnings
    if mac_addresses_file:
        warnings.append(f"{mac_addresses_file} does not exist: reporting the host's own MAC addresses")
    try:
        interfaces = sorted(os.listdir(sys_class_net))
    except OSError:
        interfaces = []
    for interface in interfaces:
        if interface == "lo":
            continue
        try:
            with open(os.path.join(sys_class_net, interface, "address"), encoding="ascii") as handle:
                mac = normalize_mac(handle.read().strip())
        except (OSError, UnicodeDecodeError):
            continue
        if mac is not None and mac != "000000000000" and mac not in macs:
            macs.append(mac)
    return macs, warnings


def read_teamviewer(lab_root):
    return {"present": bool(lab_root) and os.path.isdir(os.path.join(lab_root, "TeamViewer"))}


# --------------------------------------------------------------------------------------------------


def _stored_license_path(settings):
    general = ((settings or {}).get("document") or {}).get("general") or {}
    path = general.get("license_path")
    return path if isinstance(path, str) and path else None


def read_host_state(params, run_command, supervisorctl="supervisorctl", shadow_path="/etc/shadow"):
    """``(host state, warnings)`` for the module's parameters (a dict with every option)."""
    sections = params.get("sections") or list(SECTIONS)
    lab_home = params.get("lab_home") or "/srv/printops-lab"
    lab_host = params.get("lab_host")
    lab_root = params.get("lab_root")
    if not lab_root and lab_host:
        lab_root = os.path.join(lab_home, "hosts", lab_host)
    state, warnings = {"platform": "lab"}, []
    if "service" in sections:
        state["service"], more = read_service(
            params.get("service") or "Print ORS Service", lab_home, lab_host, run_command, supervisorctl
        )
        warnings += more
    if "accounts" in sections:
        accounts = list(params.get("accounts") or [])
        # The service's own account is reported too: its group is the settings store's group.
        service_account = (state.get("service") or {}).get("account")
        if service_account and service_account not in {a["name"] for a in accounts}:
            accounts.append({"name": service_account})
        state["accounts"] = read_accounts(
            accounts, params.get("logon_group") or DEFAULT_LOGON_GROUP, shadow_path
        )
    if "settings" in sections:
        state["settings"] = read_settings(params.get("settings_path"))
    if "licenses" in sections:
        # Without a license_path, the licenses are those of the path the settings store holds.
        license_path = params.get("license_path") or _stored_license_path(state.get("settings"))
        state["licenses"], more = read_licenses(license_path, lab_home)
        warnings += more
    if "mac_addresses" in sections:
        state["mac_addresses"], more = read_mac_addresses(params.get("mac_addresses_file"))
        warnings += more
    if "teamviewer" in sections:
        state["teamviewer"] = read_teamviewer(lab_root)
    return state, warnings


def main():
    module = AnsibleModule(
        argument_spec={
            "sections": {
                "type": "list",
                "elements": "str",
                "choices": list(SECTIONS),
                "default": list(SECTIONS),
            },
            "service": {"type": "str", "default": "Print ORS Service"},
            "accounts": {
                "type": "list",
                "elements": "dict",
                "default": [],
                "options": {
                    "name": {"type": "str", "required": True},
                    "password_hash": {"type": "str", "no_log": True},
                },
            },
            "logon_group": {"type": "str", "default": DEFAULT_LOGON_GROUP},
            "settings_path": {"type": "path"},
            "license_path": {"type": "str"},
            "lab_home": {"type": "path", "default": "/srv/printops-lab"},
            "lab_host": {"type": "str"},
            "lab_root": {"type": "path"},
            "mac_addresses_file": {"type": "path"},
        },
        supports_check_mode=True,
    )
    params = module.params
    if "service" in params["sections"] and not params["lab_host"]:
        suffix = program_name("", params["service"])
        module.fail_json(
            msg=f"lab_host: required to read the service section (the lab program is <lab_host>{suffix}): "
            "give the inventory host name, or leave service out of sections"
        )
    supervisorctl = module.get_bin_path("supervisorctl") or "supervisorctl"

    def run_command(argv):
        try:
            return module.run_command(argv, environ_update={"LC_ALL": "C"}, handle_exceptions=False)
        except OSError as exc:  # supervisorctl not installed
            return 127, "", str(exc)

    state, warnings = read_host_state(params, run_command, supervisorctl)
    for warning in warnings:
        module.warn(warning)
    module.exit_json(changed=False, **state)


if __name__ == "__main__":
    main()
