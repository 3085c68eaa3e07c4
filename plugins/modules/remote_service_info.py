#!/usr/bin/python
# Copyright: (c) 2026, printops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Documentation only: the module is the action plugin plugins/action/remote_service_info.py.

from __future__ import annotations

DOCUMENTATION = r"""
module: remote_service_info
author:
  - printops team
short_description: Report the Remote Service status of a PRISMAdirect host
description:
  - Reports the Remote Service settings (secrets only as set or not set), the Print ORS Service's state
    and account, and each license of the license folder - serial number, expiry, end of maintenance,
    days left, features, users - with warnings when the license or its maintenance ends in less than
    31 days or has ended.
  - Reports remote assistance and its window (RV(remote_assistance)) - V(open) until its end, or
    V(overdue) when the end has passed and no run has disabled it yet (a warning then) - judged against
    the controller's clock in UTC.
  - With O(test_connection), tests the back-office connection as the ORS account and returns the
    Remote Service status light, V(green) or V(orange) with the reason.
  - Read-only. Runs the same in check mode.
version_added: 0.1.0
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - printops.prismadirect.action_module
  - printops.prismadirect.action_module.connection_test
attributes:
  check_mode:
    support: full
    details: Read-only; it runs the same, connection test included.
  diff_mode:
    support: none
options:
  service:
    description:
      - The Windows service name of the Print ORS Service.
    type: str
    default: Print ORS Service
  test_connection:
    description:
      - Whether to test the back-office connection as the account the service runs as (the B(Test
        connection) button). The light is V(green) only after a successful test.
      - Needs the back office's URL, O(backoffice_url).
    type: bool
    default: false
seealso:
  - module: printops.prismadirect.ors_account
  - module: printops.prismadirect.remote_service
"""

EXAMPLES = r"""
- name: Read the Remote Service status, with a live connection test
  printops.prismadirect.remote_service_info:
    test_connection: true
  register: status

- name: Fail unless the light is green
  ansible.builtin.assert:
    that: status.light == 'green'
    fail_msg: "Remote Service light is {{ status.light }}: {{ status.light_reason }}"

- name: Licenses that need renewing soon
  ansible.builtin.debug:
    msg: "{{ item.serial }}: {{ item.warnings | join('; ') }}"
  loop: "{{ status.licenses | selectattr('warnings') }}"
  loop_control:
    label: "{{ item.name }}"
"""

RETURN = r"""
settings:
  description:
    - The Remote Service settings; what the host lacks has its default.
    - Secrets only as C(<name>_set), V(true) or V(false).
  returned: always
  type: dict
  contains:
    general:
      description:
        - C(enabled), C(organization_id), C(license_server), C(license_path), C(verification_code_set).
      type: dict
    proxy:
      description: C(mode), C(url), C(domain), C(username), C(password_set).
      type: dict
    remote_assistance:
      description: C(enabled), C(until).
      type: dict
  sample:
    general:
      enabled: true
      organization_id: PRS-LAB-ORG
      license_server: external
      license_path: \\fls1\licenses
      verification_code_set: true
    proxy: {mode: manual, url: proxy.example.com:8080, domain: null, username: null, password_set: false}
    remote_assistance: {enabled: false, until: null}
settings_present:
  description: Whether the host has a settings store (without one every setting reads as its default).
  returned: always
  type: bool
  sample: true
service:
  description: The Print ORS Service.
  returned: always
  type: dict
  contains:
    name:
      description: Its name.
      type: str
    exists:
      description: Whether it is set up.
      type: bool
    account:
      description: The account it runs as, V(null) when it is not set up.
      type: str
    start_mode:
      description: V(auto) or V(manual), V(null) when it is not set up.
      type: str
    state:
      description:
        - V(running), V(starting), V(stopping), V(stopped) or V(unknown).
        - V(null) when it is not set up.
      type: str
  sample: {name: Print ORS Service, exists: true, account: svc_ors_p1, start_mode: auto, state: running}
licenses:
  description: Each license file of the license folder.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: File name.
      type: str
    readable:
      description: Whether it could be read as a FlexNet license (RV(licenses.error) says why not).
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
    expiry:
      description: The earliest expiry of its features (ISO date), V(permanent), or V(null).
      type: str
    days_left:
      description: Days until RV(licenses.expiry), negative once expired; V(null) when permanent.
      type: int
    maintenance_end:
      description: The end of maintenance (ISO date), or V(null).
      type: str
    maintenance_days_left:
      description: Days until RV(licenses.maintenance_end), negative once ended.
      type: int
    features:
      description: Its features, each with C(name), C(version), C(expiry) and C(count).
      type: list
      elements: dict
    users:
      description: The number of users it allows, or V(uncounted).
      type: raw
    warnings:
      description: Expired, or less than 31 days left (license or maintenance); empty when all is well.
      type: list
      elements: str
  sample:
    - name: PDS-100001.lic
      readable: true
      error: null
      serial: PDS-100001
      serials: [PDS-100001]
      expiry: "2026-12-01"
      days_left: 2
      maintenance_end: "2026-12-01"
      maintenance_days_left: 2
      features: [{name: PRISMAdirect, version: "2025.1", expiry: "2026-12-01", count: 1}]
      users: 25
      warnings: [license expires in 2 days]
remote_assistance:
  description: Remote assistance and the window of RV(settings.remote_assistance), at the time of the task.
  returned: always
  type: dict
  contains:
    enabled:
      description: Whether remote assistance is allowed.
      type: bool
    until:
      description: The end of the window (ISO 8601, UTC, C(Z)), V(null) when there is none.
      type: str
    window:
      description:
        - V(none) - not allowed, or allowed without an end; V(open) - allowed and RV(remote_assistance.until)
          is in the future; V(overdue) - allowed although the end has passed (a run of
          C(playbooks/remote_assistance.yml) or C(site.yml) disables it), or an end that cannot be read.
      type: str
    minutes_left:
      description:
        - Whole minutes until the end when V(open), negative minutes since it when V(overdue), V(null)
          otherwise (and for an end that cannot be read).
      type: int
  sample: {enabled: true, until: "2026-11-29T17:00:00Z", window: open, minutes_left: 239}
serials:
  description: The serial numbers of all the licenses, sorted.
  returned: always
  type: list
  elements: str
  sample: [PDS-100001]
light:
  description:
    - The Remote Service status light. V(green) only when the service runs, the Remote Service is enabled
      and a connection test just succeeded; V(orange) otherwise (always without O(test_connection)).
  returned: always
  type: str
  sample: green
light_reason:
  description: Why the light is what it is, and what to fix when it is orange.
  returned: always
  type: str
  sample: connected to the back office (HTTP 200 in 38 ms)
connection_test:
  description: The back-office connection test made as the service's account.
  returned: when O(test_connection=true)
  type: dict
  contains:
    ok:
      description: Whether the back office answered and accepted the organization ID and verification code.
      type: bool
    status:
      description: HTTP status of the answer, V(null) when there was none.
      type: int
    elapsed_ms:
      description: Milliseconds the request took, V(null) when none was sent.
      type: int
    error:
      description: Why the test failed, V(null) when it succeeded. Never holds a secret.
      type: str
  sample:
    ok: false
    status: 200
    elapsed_ms: 41
    error: "the back office did not accept the organization ID and verification code (authenticated: false)"
"""
