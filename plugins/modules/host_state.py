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

import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.printops.prismadirect.plugins.module_utils.lab_layout import host_path, program_name
from ansible_collections.printops.prismadirect.plugins.module_utils.lab_read_fls import (
    ReadError,
    read_folder,
    read_license_server,
    read_share,
)
from ansible_collections.printops.prismadirect.plugins.module_utils.lab_read_host import (
    DEFAULT_LOGON_GROUP,
    read_accounts,
    read_mac_addresses,
    read_service,
    read_settings,
    read_teamviewer,
)
from ansible_collections.printops.prismadirect.plugins.module_utils.lab_read_licenses import (
    read_license_backups,
    read_licenses,
)

DEFAULT_SECTIONS = ("service", "accounts", "settings", "licenses", "mac_addresses", "teamviewer")
FLS_SECTIONS = ("folder", "share", "license_backups", "license_server")
SECTIONS = DEFAULT_SECTIONS + FLS_SECTIONS


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
