#!/usr/bin/python
# Copyright: (c) 2026, printops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: host_state
author:
  - printops team
short_description: Read the host state of a lab PRISMAdirect host or FLS in one round trip (internal)
description:
  - Internal target-side reader of this collection, used by its action plugins (C(ors_account),
    C(remote_service), C(remote_service_proxy), C(remote_assistance), C(remote_service_info),
    C(license_share), C(floating_license), C(floating_license_info)) in step 2 ("Read") of every run.
    Playbooks normally do not call it.
  - This is the B(lab platform) reader, a Python module run on a Linux stand-in host. On Windows the
    reader is P(printops.prismadirect.win_host_state#module), whose raw answer the Windows adapter
    turns into the same host state.
  - Read-only. Returns the host state of C(docs/internals.md) for the sections asked for; sections not
    asked for are left out of the result.
  - Secrets never leave the host. Each secret of the settings store (C(general.verification_code),
    C(proxy.password)) is replaced by an object with C(set) (bool) and C(fingerprint) (hex or null), the
    fingerprint being HMAC-SHA256 keyed by the store's C(salt). Account passwords are compared on the
    host with a candidate hash (RV(accounts.password_matches), RV(share.users)), never returned.
  - "Lab mapping: the ORS account is a system user; B(Log on as a service) is membership of
    O(logon_group); Print ORS Service is the supervisord program C(<lab_host>_<service>) (service name
    lowercased, every character other than a letter or digit replaced by C(_)) configured in
    C(<lab_home>/supervisor/conf.d/<program>.conf); the FLS's license folder is a directory under the
    host root with POSIX ACLs; the SMB share V(\\\\HOST\\SHARE) is the section C([HOST-SHARE]) of
    the lab's C(<lab_home>/samba/shares.conf) (one C(smbd) serves every lab host); share passwords are
    those of the lab passdb; the license server is the supervisord program
    C(<lab_host>_<license_service>)."
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
      - The Floating License Server sections (V(folder), V(share), V(license_backups),
        V(license_server)) are read only when asked for.
    type: list
    elements: str
    choices: [service, accounts, settings, licenses, mac_addresses, teamviewer, folder, share,
              license_backups, license_server]
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
      nt_hash:
        description:
          - Candidate NT hash (32 hex digits, MD4 of the UTF-16LE password) of the user's Samba password.
            RV(share.users) says whether the lab passdb holds exactly this hash for the user.
          - Omit it to leave its C(password_matches) V(null).
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
      - Without it, O(folder_path) is used; without that, the settings store's
        C(general.license_path) when the C(settings) section is read too; without any, RV(licenses) is
        empty.
      - The C(license_backups) section lists the same folder.
    type: str
  folder_path:
    description:
      - The FLS's license folder as the modules give it (V(/licenses), or V(C:\\licenses)), a path
        under O(lab_root), which stands in for the host's C(C:\\) drive.
      - Required for the C(folder) section.
    type: str
  share_name:
    description:
      - The share of the license folder (V(licenses) for V(\\\\<lab_host>\\licenses)), the lab smbd's
        section C([<lab_host>-<share_name>]).
      - Required for the C(share) section.
    type: str
  lmutil_path:
    description:
      - Where lmutil is; RV(license_server.lmutil.exists) says whether it is an executable file.
    type: str
  license_service:
    description:
      - The license service's name; the lab program is C(<lab_host>_<name>) (like O(service)).
      - Without it RV(license_server) has no C(service).
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
    oversized license file, a corrupt settings document, the lab passdb not readable) become warnings
    or RV(settings.error); the module fails only on bad options, or when the ACL of an existing
    license folder cannot be read (C(getfacl)).
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

- name: The license folder of a lab FLS, its share and license server
  printops.prismadirect.host_state:
    sections: [accounts, folder, share, licenses, license_backups, license_server]
    lab_host: fls1
    accounts:
      - name: svc_ors_p1
        nt_hash: "{{ svc_ors_p1_nt_hash }}"  # the action plugins compute it from the share password
    folder_path: /licenses
    share_name: licenses
    lmutil_path: /srv/printops-lab/bin/lmutil
    license_service: License Server
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
license_backups:
  description: The names of the C(*.bak) files of the license folder (backups of licenses), sorted.
  returned: when the C(license_backups) section is read
  type: list
  elements: str
  sample: [PDS-100001.lic.20261129T101500Z.bak]
folder:
  description:
    - The FLS's license folder (O(folder_path)) and its access rules, read with C(getfacl).
    - "Each rule is an access rule of the collection's model (C(identity), C(id), C(rights),
      C(type), C(inherit_files), C(inherit_folders), C(inherited), C(raw)): rights are the effective
      ones (entry AND mask); C(rwx) is V(modify) (V(full) for the owner), C(r-x) V(read), anything else
      V(other); an entry with the same default entry is inherited by files and folders; the owning group
      and named groups are C(group:<name>) (id C(gid:N)), C(other::) is C(Everyone) (id V(other));
      C(raw) holds the ACL entries, e.g. C(user:svc_ors_p1:rwx/default:user:svc_ors_p1:rwx)."
  returned: when the C(folder) section is read
  type: dict
  contains:
    path:
      description: O(folder_path), as given.
      type: str
    exists:
      description: Whether the folder exists.
      type: bool
    owner:
      description: Owner name (the number when it has no name), V(null) when absent.
      type: str
    group:
      description: Group name (the number when it has no name), V(null) when absent.
      type: str
    administrators:
      description: Who keeps full control on the lab, always V(root) (C(uid:0)).
      type: dict
    rules:
      description: The folder's access rules (none when it does not exist).
      type: list
      elements: dict
  sample:
    path: /licenses
    exists: true
    owner: root
    group: root
    administrators: {identity: root, id: "uid:0"}
    rules:
      - {identity: root, id: "uid:0", rights: full, type: allow, inherit_files: true,
         inherit_folders: true, inherited: false, raw: "user::rwx/default:user::rwx"}
      - {identity: svc_ors_p1, id: "uid:998", rights: modify, type: allow, inherit_files: true,
         inherit_folders: true, inherited: false, raw: "user:svc_ors_p1:rwx/default:user:svc_ors_p1:rwx"}
share:
  description:
    - The lab smbd's section C([<lab_host>-<share_name>]) in C(<lab_home>/samba/shares.conf).
    - C(access) are access rules (C(identity), C(id), C(rights), C(type)) - C(valid users) V(modify)
      (V(read) with C(read only = yes) or in C(read list)), C(invalid users) deny rules, no
      C(valid users) at all V(Everyone) - and always V(root) V(full), the administrators of the lab smbd.
  returned: when the C(share) section is read
  type: dict
  contains:
    name:
      description: O(share_name).
      type: str
    section:
      description: The Samba section name (lowercase).
      type: str
    exists:
      description: Whether the section exists.
      type: bool
    path:
      description:
        - Its C(path), as O(folder_path) when it is that folder, else as C(/...) under O(lab_root), else
          absolute. V(null) when absent.
      type: str
    description:
      description: Its C(comment), or V(null).
      type: str
    access:
      description: Its access rules.
      type: list
      elements: dict
    users:
      description:
        - One entry per O(accounts) item, keyed by its name, from the lab passdb (C(pdbedit -L -w)),
          C(exists) (the user has a Samba account) and C(password_matches) (its NT hash is the candidate
          O(accounts[].nt_hash) and it is not disabled; V(null) without a candidate).
      type: dict
  sample:
    name: licenses
    section: fls1-licenses
    exists: true
    path: /licenses
    description: PRISMAdirect licenses
    access:
      - {identity: root, id: "uid:0", rights: full, type: allow}
      - {identity: svc_ors_p1, id: "uid:998", rights: modify, type: allow}
    users:
      svc_ors_p1: {exists: true, password_matches: true}
license_server:
  description: The license server of an FLS.
  returned: when the C(license_server) section is read
  type: dict
  contains:
    lmutil:
      description: C(path) (O(lmutil_path)) and C(exists) (an executable file is there).
      type: dict
    service:
      description:
        - C(name) (O(license_service)), C(exists) (the lab program is configured) and C(state) (as
          RV(service.state)). Only with O(license_service).
      type: dict
  sample:
    lmutil: {path: /srv/printops-lab/bin/lmutil, exists: true}
    service: {name: License Server, exists: true, state: running}
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
from ansible_collections.printops.prismadirect.plugins.module_utils.lab_acl import ADMINISTRATORS, folder_acl
from ansible_collections.printops.prismadirect.plugins.module_utils.lab_layout import (
    host_path,
    program_conf,
    program_name,
    share_section,
    shares_conf,
    smb_conf,
    supervisord_conf,
)
from ansible_collections.printops.prismadirect.plugins.module_utils.lab_samba import (
    parse_conf,
    parse_passdb,
    share_access,
)
from ansible_collections.printops.prismadirect.plugins.module_utils.settings import view_of

DEFAULT_SECTIONS = ("service", "accounts", "settings", "licenses", "mac_addresses", "teamviewer")
FLS_SECTIONS = ("folder", "share", "license_backups", "license_server")
SECTIONS = DEFAULT_SECTIONS + FLS_SECTIONS
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


def resolve_license_path(license_path, lab_home):
    """``(local directory or None, warning or None)`` for a local path or a lab SMB path: ``\\\\HOST\\SHARE``
    is the lab smbd's section ``[HOST-SHARE]`` (``lab_layout.share_section``)."""
    text = license_path.strip()
    if not (text.startswith("//") or text.startswith("\\\\")):
        return text, None
    parts = [part for part in re.split(r"[\\/]+", text) if part]
    if len(parts) < 2:
        return None, f"license_path {text} is not \\\\host\\share[\\folder]"
    section, sub = share_section(parts[0], parts[1]), parts[2:]
    if any(part in (".", "..") for part in sub):
        return None, f"license_path {text} must not contain . or .. components"
    conf = shares_conf(lab_home)
    try:
        with open(conf, encoding="utf-8", errors="replace") as handle:
            base = parse_conf(handle.read()).get(section, {}).get("path")
    except OSError as exc:
        return None, f"cannot resolve {text}: cannot read {conf} ({exc.strerror or exc})"
    if base is None:
        return None, f"cannot resolve {text}: the lab has no share [{section}] in {conf}"
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


def read_license_backups(license_path, lab_home):
    """The ``license_backups`` section: the names of the ``*.bak`` files of the license folder."""
    directory, _ = resolve_license_path(license_path, lab_home) if license_path else (None, None)
    if directory is None or not os.path.isdir(directory):
        return []
    return sorted(
        name
        for name in os.listdir(directory)
        if name.endswith(".bak") and os.path.isfile(os.path.join(directory, name))
    )


# --------------------------------------------------------------------------------------------------
# The license folder, its share and the license server of a Floating License Server


class ReadError(Exception):
    """What must be read cannot be: the module fails, since a plan made without it would be wrong."""


def _user_name(uid):
    return _name_of(uid, pwd.getpwuid)


def _group_name(gid):
    return _name_of(gid, grp.getgrgid)


def _id_of(name, lookup, prefix):
    try:
        return f"{prefix}:{lookup(name)[2]}"
    except KeyError:
        return None


def read_folder(folder_path, lab_root, run_command, getfacl="getfacl"):
    """The ``folder`` section: the license folder (``folder_path`` under the host root) and its ACL."""
    path = host_path(lab_root, folder_path)
    result = {"path": folder_path, "exists": False, "owner": None, "group": None, "rules": []}
    result["administrators"] = dict(ADMINISTRATORS)
    if not os.path.isdir(path):
        return result
    rc, out, err = run_command([getfacl, "-n", "-p", path])
    if rc != 0:
        raise ReadError(f"cannot read the ACL of {path} with getfacl: {(err or out).strip()}")
    result.update(exists=True, **folder_acl(out, _user_name, _group_name))
    return result


def _module_path(path, lab_root, folder_path):
    """A share's path in the form of the modules' ``path``: as given when it is that folder, else
    ``/...`` under the host root, else as it is."""
    if not path:
        return None
    path = os.path.normpath(path)
    if folder_path and path == os.path.normpath(host_path(lab_root, folder_path)):
        return folder_path
    if lab_root and path.startswith(os.path.normpath(lab_root) + os.sep):
        return "/" + os.path.relpath(path, lab_root)
    return path


def read_share_users(accounts, lab_home, run_command, pdbedit="pdbedit"):
    """``({user: {"exists", "password_matches"}}, warnings)`` from the lab passdb for ``accounts``;
    ``password_matches`` compares each candidate ``nt_hash`` on the host (a disabled account never
    matches), ``None`` without a candidate."""
    rc, out, err = run_command([pdbedit, "-s", smb_conf(lab_home), "-L", "-w"])
    warnings = []
    if rc != 0:
        warnings.append(f"cannot list the lab's Samba accounts: {(err or out).strip()[:300]}")
    passdb = parse_passdb(out if rc == 0 else "")
    users = {}
    for account in accounts:
        stored, disabled = passdb.get(account["name"], (None, False))
        candidate = account.get("nt_hash")
        matches = None
        if candidate is not None:
            matches = bool(stored) and not disabled and hmac.compare_digest(stored, candidate.lower())
        users[account["name"]] = {"exists": stored is not None, "password_matches": matches}
    return users, warnings


def read_share(params, lab_root, run_command, pdbedit="pdbedit"):
    """The ``share`` section and its warnings: the lab smbd's section ``[<lab_host>-<share_name>]``."""
    name, lab_home = params["share_name"], params.get("lab_home") or "/srv/printops-lab"
    section_name = share_section(params["lab_host"], name)
    result = {"name": name, "section": section_name, "exists": False, "path": None, "description": None}
    result["access"], warnings = [], []
    conf = shares_conf(lab_home)
    try:
        with open(conf, encoding="utf-8", errors="replace") as handle:
            section = parse_conf(handle.read()).get(section_name)
    except OSError as exc:
        section = None
        warnings.append(f"cannot read {conf} ({exc.strerror or exc}): the share reads as absent")
    if section is not None:
        result.update(
            exists=True,
            path=_module_path(section.get("path"), lab_root, params.get("folder_path")),
            description=section.get("comment"),
            access=share_access(
                section,
                lambda user: _id_of(user, pwd.getpwnam, "uid"),
                lambda group: _id_of(group, grp.getgrnam, "gid"),
            ),
        )
    result["users"], more = read_share_users(params.get("accounts") or [], lab_home, run_command, pdbedit)
    return result, warnings + more


def read_license_server(params, run_command, supervisorctl="supervisorctl"):
    """The ``license_server`` section: lmutil at ``lmutil_path``, and the license service (its lab
    program ``<lab_host>_<license_service>``)."""
    lmutil = params.get("lmutil_path")
    exists = bool(lmutil) and os.path.isfile(lmutil) and os.access(lmutil, os.X_OK)
    result, warnings = {"lmutil": {"path": lmutil, "exists": exists}}, []
    service = params.get("license_service")
    if service:
        lab_home = params.get("lab_home") or "/srv/printops-lab"
        found, warnings = read_service(service, lab_home, params["lab_host"], run_command, supervisorctl)
        result["service"] = {key: found[key] for key in ("name", "exists", "state")}
    return result, warnings


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
    """``(host state, warnings)`` for the module's parameters (a dict with every option).

    ``ReadError`` when a section asked for cannot be read at all (the folder's ACL)."""
    sections = params.get("sections") or list(DEFAULT_SECTIONS)
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
    # The licenses are those of license_path, else of the FLS's folder, else of the settings store's path.
    folder_path = params.get("folder_path")
    license_path = params.get("license_path") or (folder_path and host_path(lab_root, folder_path))
    if "licenses" in sections:
        license_path = license_path or _stored_license_path(state.get("settings"))
        state["licenses"], more = read_licenses(license_path, lab_home)
        warnings += more
    if "license_backups" in sections:
        state["license_backups"] = read_license_backups(license_path, lab_home)
    if "mac_addresses" in sections:
        state["mac_addresses"], more = read_mac_addresses(params.get("mac_addresses_file"))
        warnings += more
    if "teamviewer" in sections:
        state["teamviewer"] = read_teamviewer(lab_root)
    if "folder" in sections:
        state["folder"] = read_folder(folder_path, lab_root, run_command)
    if "share" in sections:
        state["share"], more = read_share(params, lab_root, run_command)
        warnings += more
    if "license_server" in sections:
        state["license_server"], more = read_license_server(params, run_command, supervisorctl)
        warnings += more
    return state, warnings


def missing_option(params):
    """Why the sections asked for cannot be read with these options, or ``None``."""
    sections = params["sections"]
    needs = [
        ("service", "lab_host", "the lab program is <lab_host>" + program_name("", params["service"])),
        ("folder", "folder_path", "the license folder to read"),
        ("share", "share_name", "the share to read"),
        ("share", "lab_host", "the lab share is [<lab_host>-<share_name>]"),
    ]
    if params.get("license_service"):
        needs.append(("license_server", "lab_host", "the lab program is <lab_host>_<license_service>"))
    for section, option, why in needs:
        if section in sections and not params.get(option):
            return (
                f"{option}: required to read the {section} section ({why}): give it, or leave {section} "
                "out of sections"
            )
    return None


def main():
    module = AnsibleModule(
        argument_spec={
            "sections": {
                "type": "list",
                "elements": "str",
                "choices": list(SECTIONS),
                "default": list(DEFAULT_SECTIONS),
            },
            "service": {"type": "str", "default": "Print ORS Service"},
            "accounts": {
                "type": "list",
                "elements": "dict",
                "default": [],
                "options": {
                    "name": {"type": "str", "required": True},
                    "password_hash": {"type": "str", "no_log": True},
                    "nt_hash": {"type": "str", "no_log": True},
                },
            },
            "logon_group": {"type": "str", "default": DEFAULT_LOGON_GROUP},
            "settings_path": {"type": "path"},
            "license_path": {"type": "str"},
            "folder_path": {"type": "str"},
            "share_name": {"type": "str"},
            "lmutil_path": {"type": "str"},
            "license_service": {"type": "str"},
            "lab_home": {"type": "path", "default": "/srv/printops-lab"},
            "lab_host": {"type": "str"},
            "lab_root": {"type": "path"},
            "mac_addresses_file": {"type": "path"},
        },
        supports_check_mode=True,
    )
    params = module.params
    missing = missing_option(params)
    if missing:
        module.fail_json(msg=missing)
    supervisorctl = module.get_bin_path("supervisorctl") or "supervisorctl"

    def run_command(argv):
        try:
            return module.run_command(argv, environ_update={"LC_ALL": "C"}, handle_exceptions=False)
        except OSError as exc:  # supervisorctl, getfacl or pdbedit not installed
            return 127, "", str(exc)

    try:
        state, warnings = read_host_state(params, run_command, supervisorctl)
    except ReadError as exc:
        module.fail_json(msg=str(exc))
    for warning in warnings:
        module.warn(warning)
    module.exit_json(changed=False, **state)


if __name__ == "__main__":
    main()
