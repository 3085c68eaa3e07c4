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
  - "A B(window): with O(until), remote assistance is allowed until that moment, stored in the settings
    (C(remote_assistance.until)). Nothing on the host closes the window by itself: a later task with
    O(enabled=false) and O(keep_open_window=true) (the C(remote_service) role's step, run by
    C(playbooks/site.yml) and C(playbooks/remote_assistance.yml)) disables it once the end has passed,
    and keeps it while it is open. M(printops.prismadirect.remote_service_info) reports the window as
    V(open) or V(overdue)."
  - The end is judged against the controller's clock (UTC), when the task runs.
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
  until:
    description:
      - With O(enabled=true), the end of the window, as ISO 8601 with a time zone, for example
        V(2026-11-29T17:00:00Z) (stored in UTC, to the second). It must be in the future.
      - Not given, remote assistance is allowed without an end, and an end stored before is cleared.
      - A date and time without a time zone is refused (it would mean another moment on another host).
      - Only with O(enabled=true).
    type: str
  keep_open_window:
    description:
      - With O(enabled=false), disable only when no window is open. A window whose end (O(until) of an
        earlier task) is still in the future stays open; one whose end has passed is disabled (RV(reason)
        says when it ended); remote assistance allowed without an end is disabled.
      - Only with O(enabled=false). Disabling clears the stored end.
    type: bool
    default: false
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

- name: Allow remote assistance for four hours (the end is computed once, on the controller)
  printops.prismadirect.remote_assistance:
    enabled: true
    until: "{{ '%Y-%m-%dT%H:%M:%SZ' | strftime(now().timestamp() + 4 * 3600, utc=true) }}"

- name: Disable remote assistance, unless a window is still open (on every scheduled run)
  printops.prismadirect.remote_assistance:
    enabled: false
    keep_open_window: true
  register: assistance

- name: Say what happened to the window
  ansible.builtin.debug:
    msg: "{{ assistance.reason }}"
"""

RETURN = r"""
enabled:
  description: Whether remote assistance is allowed after the task.
  returned: always
  type: bool
  sample: true
until:
  description: The end of the window after the task (ISO 8601, UTC), V(null) when there is none.
  returned: always
  type: str
  sample: "2026-11-29T17:00:00Z"
window:
  description:
    - The window after the task. V(none) - not allowed, or allowed without an end; V(open) - allowed
      until RV(until), which is in the future.
  returned: always
  type: str
  sample: open
minutes_left:
  description: Whole minutes until RV(until) when the window is open, else V(null).
  returned: always
  type: int
  sample: 239
reason:
  description: What the task did (or in check mode would do) with remote assistance, and why.
  returned: always
  type: str
  sample: "the window ended at 2026-11-29T17:00:00Z: remote assistance is no longer allowed"
window_ended:
  description: The end of the window this task closed because it had passed, else V(null).
  returned: always
  type: str
  sample: "2026-11-29T17:00:00Z"
changed_keys:
  description: The settings that were (or in check mode would be) written, as dotted keys.
  returned: always
  type: list
  elements: str
  sample: [remote_assistance.enabled, remote_assistance.until]
"""
