#!/usr/bin/python
# Copyright: (c) 2026, printops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Documentation only: the module is the action plugin plugins/action/floating_license.py.

from __future__ import annotations

DOCUMENTATION = r"""
module: floating_license
author:
  - printops team
short_description: Install a FlexNet license on a Floating License Server, validated, atomically
description:
  - Installs one PRISMAdirect FlexNet license file in the license folder of a Floating License Server
    (FLS) - the step the vendor leaves to manual copying where no share exists - and tells the license
    server to read it.
  - The license is parsed and validated on the controller and against the host before anything is
    written; an invalid license is never written and the task fails saying why, with the installed
    license unchanged. Checks (O(validate)) - the C(SERVER) host id is a MAC address of the FLS, no
    feature has expired, the serial number is the expected one - and a file of the same name holding
    another serial is never replaced.
  - The file is written only when its SHA-256 differs (idempotent), atomically - a temporary file in the
    license folder, not named C(*.lic), renamed over the license - so the folder holds the previous
    license or the new one, whatever happens. The previous version is kept as
    C(<filename>.<yyyymmddThhmmssZ>.bak) first (the last O(backup) ones are kept).
  - After a write the license server rereads its licenses (O(reread)).
  - The license text is not secret, but it is never shown whole in results or diffs (serial, expiry,
    maintenance end and hashes are).
  - "Lab platform: the folder is under the host root; the MAC addresses are the host's lab
    C(mac_addresses) file; lmutil is C(<lab home>/bin/lmutil) (its C(lmreread) signals the lab license
    server and waits until it has read the folder again); the license service C(License Server) is the
    supervisord program C(<host>_license_server). See C(lab/README.md)."
version_added: 0.1.0
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - printops.prismadirect.action_module
options:
  content:
    description:
      - The license file's text, for example from the P(printops.prismadirect.latest_license#lookup)
        lookup.
      - Mutually exclusive with O(src); one of them is required.
    type: str
  src:
    description:
      - A license file on the controller (relative paths are looked up in the role's or playbook's
        C(files/) first), read as UTF-8 text.
      - Mutually exclusive with O(content).
    type: path
  dest:
    description:
      - The license folder on the FLS computer itself, for example V(C:\\ProgramData\\FlexNet\\licenses);
        made when missing.
      - On the lab platform a path under the host root, for example V(/licenses).
    type: str
    required: true
  filename:
    description:
      - The license file's name, a plain base name ending in C(.lic).
      - Default - the one file of O(dest) that holds this license's serial number (so the license server
        never reads two versions of it), else C(<serial>.lic). Required for a license with several
        serial numbers or none.
    type: str
  validate:
    description:
      - What must hold before the license is written.
    type: dict
    suboptions:
      hostid:
        description:
          - The license's C(SERVER) host id must be one of the FLS's MAC addresses (read from the host).
            An C(ANY)/C(DEMO) host id passes.
        type: bool
        default: true
      expiry:
        description:
          - No feature may have expired. With V(false) expired features are warnings.
        type: bool
        default: true
      serial:
        description:
          - The serial number the license must have.
        type: str
      warn_days:
        description:
          - Warn when a feature expires, or maintenance ends, within this many days.
        type: int
        default: 31
  backup:
    description:
      - How many backups of the license file to keep, the one made now included; V(0) keeps none.
      - Older backups of the file are deleted after the new license is in place.
    type: int
    default: 3
  reread:
    description:
      - How the license server learns of the new license, after a write only.
      - V(auto) - C(lmutil lmreread) where lmutil is found, else a restart of the license service when one
        is known, else nothing (with a warning - the server reads the license at its next start).
      - V(lmreread) - C(lmutil lmreread -c <dest>), V(restart) - restart O(license_service),
        V(none) - nothing.
    type: str
    choices: [auto, lmreread, restart, none]
    default: auto
  lmutil_path:
    description:
      - Where lmutil (C(lmutil.exe)) is. Default - the platform's (lab - C(prismadirect_lab_lmutil), else
        C(<lab home>/bin/lmutil)).
    type: str
  license_service:
    description:
      - The license service to restart. Default - the platform's (lab - C(prismadirect_lab_license_service),
        else C(License Server)).
    type: str
notes:
  - The task fails, and nothing is written, when the license does not parse, fails a check, or would
    replace the license of another serial, and when the file changed on the host since it was read
    (another process writes the folder); when the reread fails the new license is in place and the
    task fails saying so.
  - Before a write, temporary files that killed writes of earlier runs left in the folder are removed.
seealso:
  - module: printops.prismadirect.license_share
  - plugin: printops.prismadirect.latest_license
    plugin_type: lookup
"""

EXAMPLES = r"""
- name: Install the newest license of this FLS's serial from the back office
  printops.prismadirect.floating_license:
    content: "{{ lookup('printops.prismadirect.latest_license', 'PDS-100001') }}"
    dest: C:\ProgramData\FlexNet\licenses
    validate:
      serial: PDS-100001
    backup: 5
  register: installed

- name: Report what is installed
  ansible.builtin.debug:
    msg: >-
      {{ installed.serial }} expires {{ installed.expiry }}, maintenance until
      {{ installed.maintenance_end }}; previous version: {{ installed.backup_file | default('none', true) }}

- name: Lab FLS, a license file from the playbook's files/, the license server restarted
  printops.prismadirect.floating_license:
    src: PDS-100001.lic
    dest: /licenses
    reread: restart
"""

RETURN = r"""
serial:
  description: The license's (first) serial number.
  returned: always
  type: str
  sample: PDS-100001
serials:
  description: All its serial numbers.
  returned: always
  type: list
  elements: str
  sample: [PDS-100001]
expiry:
  description: The earliest expiry of its features (ISO date), or V(permanent).
  returned: always
  type: str
  sample: "2030-12-31"
maintenance_end:
  description: The end of maintenance (C(MAINTENANCE=), ISO date), V(null) when it has none.
  returned: always
  type: str
  sample: "2030-12-31"
issued:
  description: The issue date (C(ISSUED=), ISO date), V(null) when it has none.
  returned: always
  type: str
  sample: "2026-11-01"
users:
  description: The C(*_USERS) count, or V(uncounted).
  returned: always
  type: raw
  sample: 25
path:
  description: The license file on the FLS.
  returned: always
  type: str
  sample: C:\ProgramData\FlexNet\licenses\PDS-100001.lic
filename:
  description: Its name (O(filename), or the one chosen).
  returned: always
  type: str
  sample: PDS-100001.lic
sha256:
  description: The SHA-256 of the license installed.
  returned: always
  type: str
  sample: 3f1c0e9a7d0b5c6e2a4f8b1d9e7c5a3b1f0e2d4c6b8a9f7e5d3c1b0a2e4f6d8c
previous_sha256:
  description: The SHA-256 of the file replaced; V(null) when nothing changed or there was no file.
  returned: always
  type: str
  sample: 9f2c0d1e3b5a7c9e0f2d4b6a8c0e2f4d6b8a0c2e4f6d8b0a2c4e6f8d0b2a4c6e
backup_file:
  description: The backup made of the file replaced, V(null) when none.
  returned: always
  type: str
  sample: C:\ProgramData\FlexNet\licenses\PDS-100001.lic.20261129T101500Z.bak
backups_deleted:
  description: The older backups deleted (names).
  returned: always
  type: list
  elements: str
  sample: [PDS-100001.lic.20260101T080000Z.bak]
reread:
  description: How the license server was told (V(lmreread), V(restart)), V(null) when it was not.
  returned: always
  type: str
  sample: lmreread
"""
