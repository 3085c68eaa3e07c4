#!/usr/bin/python
# Copyright: (c) 2026, printops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Documentation only: the module is the action plugin plugins/action/floating_license_info.py.

from __future__ import annotations

DOCUMENTATION = r"""
module: floating_license_info
author:
  - printops team
short_description: Report the licenses of a Floating License Server
description:
  - Reports each FlexNet license file (C(*.lic)) in the license folder of a Floating License Server
    (FLS) - serial numbers, issue date, expiry, end of maintenance, days left, users, SHA-256 - with
    warnings when the license or its maintenance ends within O(warn_days) days or has ended, and when
    its host id is not a MAC address of this FLS.
  - Also returns all the serial numbers found, the FLS's MAC addresses (FlexNet host ids) and the state
    of its license server (lmutil, the license service).
  - A license file that cannot be read is reported (RV(licenses[].readable) V(false), with the
    reason), never a failure.
  - Read-only, in one round trip to the host. Runs the same in check mode.
  - "Lab platform: the folder is under the host root; the MAC addresses are the host's lab
    C(mac_addresses) file; lmutil and the license service are the lab's (see
    M(printops.prismadirect.floating_license))."
version_added: 0.1.0
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - printops.prismadirect.action_module
attributes:
  check_mode:
    support: full
    details: Read-only; it runs the same.
  diff_mode:
    support: none
options:
  path:
    description:
      - The license folder on the FLS computer itself, for example V(C:\\ProgramData\\FlexNet\\licenses).
      - On the lab platform a path under the host root, for example V(/licenses).
      - A missing folder has no licenses (with a warning).
    type: str
    required: true
  warn_days:
    description:
      - Warn when a license expires, or its maintenance ends, within this many days.
    type: int
    default: 31
  validate_hostid:
    description:
      - Warn about each license whose C(SERVER) host id is not one of the FLS's MAC addresses (an
        C(ANY)/C(DEMO) host id passes).
    type: bool
    default: true
  lmutil_path:
    description:
      - Where lmutil (C(lmutil.exe)) is, for RV(license_server). Default - the platform's (lab -
        C(prismadirect_lab_lmutil), else C(<lab home>/bin/lmutil)).
    type: str
  license_service:
    description:
      - The license service's name, for RV(license_server). Default - the platform's (lab -
        C(prismadirect_lab_license_service), else C(License Server)).
    type: str
seealso:
  - module: printops.prismadirect.floating_license
  - module: printops.prismadirect.license_share
"""

EXAMPLES = r"""
- name: Read the licenses of the FLS
  printops.prismadirect.floating_license_info:
    path: C:\ProgramData\FlexNet\licenses
    warn_days: 60
  register: fls

- name: Pull the newest license of every serial found there
  ansible.builtin.set_fact:
    pulled: "{{ query('printops.prismadirect.latest_license', fls.serials, on_error='report') }}"

- name: Licenses that need attention
  ansible.builtin.debug:
    msg: "{{ item.name }}: {{ item.warnings | join('; ') }}"
  loop: "{{ fls.licenses | selectattr('warnings') }}"
  loop_control:
    label: "{{ item.name }}"
"""

RETURN = r"""
path:
  description: The license folder, as O(path).
  returned: always
  type: str
  sample: C:\ProgramData\FlexNet\licenses
licenses:
  description: Each C(*.lic) file of the folder, sorted by name.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: File name.
      type: str
    readable:
      description: Whether it could be read as a FlexNet license (RV(licenses[].error) says why not).
      type: bool
    error:
      description: Why it could not be read, else V(null).
      type: str
    serial:
      description: Its (first) serial number.
      type: str
    serials:
      description: All its serial numbers.
      type: list
      elements: str
    issued:
      description: The issue date (C(ISSUED=), ISO date), V(null) when it has none.
      type: str
    expiry:
      description: The earliest expiry of its features (ISO date), V(permanent), or V(null).
      type: str
    days_left:
      description: Days until RV(licenses[].expiry), negative once expired; V(null) when permanent.
      type: int
    maintenance_end:
      description: The end of maintenance (ISO date), or V(null).
      type: str
    maintenance_days_left:
      description: Days until RV(licenses[].maintenance_end), negative once ended.
      type: int
    features:
      description: Its features, each with C(name), C(version), C(expiry) and C(count).
      type: list
      elements: dict
    users:
      description: The number of users it allows, or V(uncounted).
      type: raw
    sha256:
      description: The SHA-256 of the file.
      type: str
    warnings:
      description:
        - Expired, or ending within O(warn_days) days (license or maintenance); bound to another host id
          (with O(validate_hostid)); empty when all is well.
      type: list
      elements: str
  sample:
    - name: PDS-100001.lic
      readable: true
      error: null
      serial: PDS-100001
      serials: [PDS-100001]
      issued: "2025-12-01"
      expiry: "2029-12-31"
      days_left: 1128
      maintenance_end: "2029-12-31"
      maintenance_days_left: 1128
      features: [{name: PRISMAdirect, version: "2025.1", expiry: "2029-12-31", count: 1}]
      users: 25
      sha256: 2f4b81754b00c4d1e6f8a0b2c4d6e8f0a2b4c6d8e0f2a4b6c8d0e2f4a6b8c0d2
      warnings: []
serials:
  description: The serial numbers of all the licenses, sorted, each once.
  returned: always
  type: list
  elements: str
  sample: [PDS-100001, PDS-100002, PDS-100009]
mac_addresses:
  description: The FLS's MAC addresses as 12 lowercase hex digits (FlexNet host ids); V(null) when not read.
  returned: always
  type: list
  elements: str
  sample: ["025044000001"]
license_server:
  description:
    - The FLS's license server - C(lmutil) (C(path), C(exists)) and, where one is known, the license
      C(service) (C(name), C(exists), C(state) - V(running), V(starting), V(stopping), V(stopped) or
      V(unknown)).
  returned: always
  type: dict
  sample:
    lmutil: {path: C:\Program Files\FlexNet\lmutil.exe, exists: true}
    service: {name: FlexNet License Server, exists: true, state: running}
"""
