#!/usr/bin/python
# Copyright: (c) 2026, printops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Documentation only: the module is the action plugin plugins/action/remote_assistance.py.

from __future__ import annotations

DOCUMENTATION = r"""
module: remote_assistance
author:
  - printops team
short_description: Allow or stop allowing remote assistance on a PRISMAdirect host
description:
  - Allows or stops allowing remote assistance by the vendor's help desk (procedure B of the
    PRISMAdirect Remote Service set-up) in the host's settings store.
  - Enabling checks every prerequisite on the host's current settings, on every run, also when it is
    already allowed - the Remote Service is enabled, a Service organization ID and a Verification code
    are set, the proxy is not set to automatic detection (a manual proxy, or none for a direct
    connection), the Print ORS Service is running - and fails listing B(all) that are missing, each
    with its fix.
  - Disabling always works.
  - Enabling warns when TeamViewer is not found on the host (the help desk's session needs it).
version_added: 0.1.0
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - printops.prismadirect.action_module
options:
  enabled:
    description:
      - V(true) allows remote assistance, V(false) stops allowing it.
    type: bool
    required: true
  service:
    description:
      - The Windows service name of the Print ORS Service, whose running state is a prerequisite.
    type: str
    default: Print ORS Service
seealso:
  - module: printops.prismadirect.remote_service
  - module: printops.prismadirect.remote_service_proxy
"""

EXAMPLES = r"""
- name: Allow remote assistance for the help desk's session
  printops.prismadirect.remote_assistance:
    enabled: true
  register: assistance

- name: Stop allowing it afterwards
  printops.prismadirect.remote_assistance:
    enabled: false
  when: assistance.enabled
"""

RETURN = r"""
enabled:
  description: Whether remote assistance is allowed after the task.
  returned: always
  type: bool
  sample: true
changed_keys:
  description: The settings that were (or in check mode would be) written, as dotted keys.
  returned: always
  type: list
  elements: str
  sample: [remote_assistance.enabled]
"""
