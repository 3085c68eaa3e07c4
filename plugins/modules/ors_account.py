#!/usr/bin/python
# Copyright: (c) 2026, printops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Documentation only: the module is the action plugin plugins/action/ors_account.py.

from __future__ import annotations

DOCUMENTATION = r"""
module: ors_account
author:
  - printops team
short_description: Run the PRISMAdirect Print ORS Service as the Remote Service credentials account
description:
  - Makes the Remote Service credentials account (the B(ORS account)) exist with its password, lets it
    log on as a service, sets the Print ORS Service to run as it and to start automatically, and makes
    the service run (procedure A of the PRISMAdirect Remote Service set-up).
  - Restarts the service only when its account or the account's password changed; starts it when it is
    not running.
  - Optionally tests the back-office connection B(as the ORS account) once the account and service are
    right, through the proxy of the Remote Service settings (O(test_connection)).
  - "Lab platform: the account is a system user without a login shell, in the lab group; the right
    B(Log on as a service) is membership of the lab logon group; the service is a supervisord program
    running as that user (C(<lab home>/supervisor/conf.d/<host>_print_ors_service.conf))."
version_added: 0.1.0
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - printops.prismadirect.action_module
  - printops.prismadirect.action_module.connection_test
options:
  account:
    description:
      - The account that runs the Print ORS Service, as C(DOMAIN\user), C(.\user) (local),
        C(user@domain.tld) or C(user).
      - It needs a password and internet access through the proxy; built-in service accounts such as
        C(LocalSystem) or C(NT AUTHORITY\NetworkService) are refused.
      - On the lab platform the user part, lowercased, is the system user, so it must be a POSIX user
        name (for example C(.\svc_ors_p1)).
    type: str
    required: true
  password:
    description:
      - The account's password. Keep it in Ansible Vault.
      - Never logged, returned or shown in a diff.
    type: str
    required: true
  update_password:
    description:
      - V(always) sets the password when it differs from the account's (and then restarts the service).
      - V(on_create) sets it only when the account is created; an existing account keeps its password
        and no change is reported for it.
    type: str
    choices: [always, on_create]
    default: always
  service:
    description:
      - The Windows service name of the Print ORS Service.
    type: str
    default: Print ORS Service
  test_connection:
    description:
      - Whether to test the back-office connection as the ORS account after the apply, with an HTTPS
        request to the back office's ping endpoint through the configured proxy (the B(Test connection)
        button of the Remote Service settings).
      - V(true) fails the task when the test fails; V(warn) turns the failure into a warning; V(false)
        makes no test.
      - In check mode the test is made only when the account and service need no change.
      - Needs the back office's URL, O(backoffice_url).
    type: str
    choices: ["false", "true", "warn"]
    default: "false"
seealso:
  - module: printops.prismadirect.remote_service
  - module: printops.prismadirect.remote_service_info
"""

EXAMPLES = r"""
- name: Run the Print ORS Service as the ORS account
  printops.prismadirect.ors_account:
    account: CORP\svc_ors_p1
    password: "{{ vault_ors_password }}"
  register: ors

- name: Keep an existing account's password, and warn when the back office cannot be reached
  printops.prismadirect.ors_account:
    account: .\svc_ors_p1
    password: "{{ vault_ors_password }}"
    update_password: on_create
    test_connection: warn
    backoffice_url: https://backoffice.example.com/rs
  register: ors

- name: Say when the service was restarted
  ansible.builtin.debug:
    msg: "{{ ors.service }} restarted: the account or its password changed"
  when: ors.service_restarted | default(false)
"""

RETURN = r"""
account:
  description: The account, in the form the service is configured with (C(DOMAIN\user), C(.\user) or a UPN).
  returned: always
  type: str
  sample: .\svc_ors_p1
service:
  description: The service name (O(service)).
  returned: always
  type: str
  sample: Print ORS Service
account_created:
  description: Whether the account did not exist (and was, or in check mode would be, created).
  returned: always
  type: bool
  sample: false
password_changed:
  description:
    - Whether the account's password was (or would be) set. V(null) where the platform cannot compare
      passwords before setting one.
  returned: always
  type: bool
  sample: false
service_restarted:
  description:
    - Whether the service is (or would be) restarted because its account or password changed.
  returned: always
  type: bool
  sample: false
service_started:
  description: Whether the service was not running and is (or would be) started.
  returned: always
  type: bool
  sample: false
connection_test:
  description: The back-office connection test made as the ORS account.
  returned: when O(test_connection) is V(true) or V(warn), except in check mode with changes pending
  type: dict
  contains:
    ok:
      description: Whether the back office answered and accepted the organization ID and verification code.
      type: bool
      sample: true
    status:
      description: HTTP status of the answer, V(null) when there was none.
      type: int
      sample: 200
    elapsed_ms:
      description: Milliseconds the request took, V(null) when none was sent.
      type: int
      sample: 38
    error:
      description:
        - Why the test failed, and what to check; V(null) when RV(connection_test.ok).
        - Never holds a secret.
      type: str
      sample: null
"""
