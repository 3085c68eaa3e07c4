#!/usr/bin/python
# Copyright: (c) 2026, printops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Documentation only: the module is the action plugin plugins/action/remote_service.py.

from __future__ import annotations

DOCUMENTATION = r"""
module: remote_service
author:
  - printops team
short_description: Set the general Remote Service settings of a PRISMAdirect host
description:
  - Sets the general settings of the PRISMAdirect Remote Service (procedure A, steps 1, 2 and 4) in the
    host's settings store - whether it is enabled, the Service organization ID and Verification code,
    and where the license server and its license folder are - and returns the serial number(s) read
    from the license(s) found in that folder.
  - Only the options given are changed; every other setting is kept.
  - The Verification code is compared on the host by a keyed fingerprint, so it is written only when it
    differs, and is never returned or shown.
  - The settings store is readable by administrators and the ORS account only (lab platform
    C(<lab root>/ProgramData/PRISMAdirect/remote-service.json), mode C(0640), owner root, group the ORS
    account's group).
version_added: 0.1.0
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - printops.prismadirect.action_module
options:
  enabled:
    description:
      - Whether the Remote Service is enabled.
      - Enabling without an organization ID and a verification code (here or already on the host) gives
        a warning, since it cannot connect.
    type: bool
  organization_id:
    description:
      - The B(Service organization ID) the vendor issued. It must not contain C(:).
    type: str
  verification_code:
    description:
      - The B(Verification code) the vendor issued. Keep it in Ansible Vault.
      - Never logged, returned or shown in a diff (C((secret changed))).
    type: str
  license_server:
    description:
      - V(local) when the FlexNet license server runs on this host, V(external) when it is another
        computer (a Floating License Server).
      - When it changes and O(license_path) is not given, the host's license path must fit the new value.
    type: str
    choices: [local, external]
  license_path:
    description:
      - The license folder. For V(local) an absolute local folder (V(C:\\ProgramData\\FlexNet\\licenses),
        on the lab an absolute path such as V(/srv/printops-lab/hosts/prisma1/licenses)); for V(external)
        the FLS computer's shared folder V(\\\\host\\share[\\folder]) (the lab accepts V(//host/share)).
      - Relative paths and C(..) components are refused.
    type: str
seealso:
  - module: printops.prismadirect.ors_account
  - module: printops.prismadirect.remote_service_proxy
  - module: printops.prismadirect.remote_service_info
"""

EXAMPLES = r"""
- name: Enable the Remote Service with the license on the Floating License Server
  printops.prismadirect.remote_service:
    enabled: true
    organization_id: "{{ prismadirect_organization_id }}"
    verification_code: "{{ vault_prismadirect_verification_code }}"
    license_server: external
    license_path: \\fls1\licenses
  register: remote_service

- name: Check that the license found is the host's
  ansible.builtin.assert:
    that: prismadirect_serial in remote_service.serials
    fail_msg: >-
      {{ remote_service.license_path }} holds {{ remote_service.serials }},
      not {{ prismadirect_serial }}
"""

RETURN = r"""
changed_keys:
  description:
    - The settings that were (or in check mode would be) written, as dotted keys; secrets by name only.
  returned: always
  type: list
  elements: str
  sample: [general.enabled, general.verification_code]
license_server:
  description: The license server setting after the task.
  returned: always
  type: str
  sample: external
license_path:
  description: The license folder after the task, V(null) when none is set.
  returned: always
  type: str
  sample: \\fls1\licenses
serials:
  description: The serial numbers of the licenses found in the license folder, sorted.
  returned: always
  type: list
  elements: str
  sample: [PDS-100001]
licenses:
  description:
    - Each license file found in the license folder and its serial numbers.
    - A file that cannot be read has no serial numbers, and a warning says why.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The file name.
      type: str
      sample: PDS-100001.lic
    serials:
      description: The serial numbers (C(SN=)) of its features.
      type: list
      elements: str
      sample: [PDS-100001]
"""
