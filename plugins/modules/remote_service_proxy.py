#!/usr/bin/python
# Copyright: (c) 2026, printops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Documentation only: the module is the action plugin plugins/action/remote_service_proxy.py.

from __future__ import annotations

DOCUMENTATION = r"""
module: remote_service_proxy
author:
  - printops team
short_description: Set the proxy the PRISMAdirect Remote Service connects through
description:
  - Sets the proxy settings of the Remote Service (procedure A, step 3) in the host's settings store.
  - The proxy section is set as a whole; what is not given is cleared (V(none) clears the URL and the
    credentials).
  - V(auto_detect) serves automatic license update and software-update download only, and the task
    returns a warning saying so; remote assistance cannot be allowed with it, so it is refused while
    remote assistance is allowed on the host.
  - The proxy password is compared on the host by a keyed fingerprint, so it is written only when it
    differs, and is never returned or shown.
version_added: 0.1.0
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - printops.prismadirect.action_module
options:
  mode:
    description:
      - V(none) for a direct internet connection, V(auto_detect) for the system's proxy settings,
        V(manual) for the proxy in O(url).
    type: str
    required: true
    choices: [none, auto_detect, manual]
  url:
    description:
      - The proxy as C(host:port), required with V(manual) and refused otherwise. The host is a host name,
        an IPv4 address or a bracketed IPv6 address; the port 1-65535. For example
        V(proxy.example.com:8080) or V([2001:db8::1]:3128).
      - V(http://host:port) is accepted and stored as C(host:port). Anything else is refused with the
        expected form; a user name or password in it is refused without being echoed (use O(authentication)).
    type: str
  authentication:
    description:
      - Credentials for a proxy that asks for them. Not with V(none).
    type: dict
    suboptions:
      domain:
        description:
          - The B(Proxy domain) of the account, if the proxy wants one.
        type: str
      username:
        description:
          - The proxy user name.
          - Required when O(authentication.password) or O(authentication.domain) is given.
        type: str
      password:
        description:
          - The proxy password. Keep it in Ansible Vault; never logged, returned or shown in a diff.
        type: str
seealso:
  - module: printops.prismadirect.remote_service
  - module: printops.prismadirect.remote_assistance
"""

EXAMPLES = r"""
- name: Connect through the company proxy, with credentials
  printops.prismadirect.remote_service_proxy:
    mode: manual
    url: proxy.example.com:8080
    authentication:
      domain: CORP
      username: svc_proxy
      password: "{{ vault_proxy_password }}"

- name: Direct internet connection
  printops.prismadirect.remote_service_proxy:
    mode: none
  register: proxy

- name: Show what changed
  ansible.builtin.debug:
    var: proxy.changed_keys
"""

RETURN = r"""
changed_keys:
  description:
    - The settings that were (or in check mode would be) written, as dotted keys; secrets by name only.
  returned: always
  type: list
  elements: str
  sample: [proxy.mode, proxy.url]
mode:
  description: The proxy mode after the task.
  returned: always
  type: str
  sample: manual
url:
  description: The proxy C(host:port) after the task (normalised), V(null) unless V(manual).
  returned: always
  type: str
  sample: proxy.example.com:8080
authentication:
  description: The proxy credentials after the task without the password, V(null) when there are none.
  returned: always
  type: dict
  contains:
    domain:
      description: The proxy domain, or V(null).
      type: str
      sample: CORP
    username:
      description: The proxy user name.
      type: str
      sample: svc_proxy
    password_set:
      description: Whether a proxy password is set.
      type: bool
      sample: true
"""
