# Copyright: (c) 2026, printops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Options for talking to the Remote Service back office (docs/backoffice-api.md).

``DOCUMENTATION`` documents the connection options once, for every plugin or module that talks to the
back office; ``PLUGINS`` adds the ``vars``/``env``/``ini`` sources that only plugins have.
"""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  url:
    description:
      - Root URL of the Remote Service back office, for example V(https://backoffice.example.com/rs).
      - Must use C(https://); the back office is reached over TLS 1.2 or newer only, there is no switch
        for plain HTTP.
      - Must not contain a user name or password; use O(organization_id) and O(verification_code).
      - Required.
    type: str
  organization_id:
    description:
      - The B(Service organization ID) of the Remote Service settings.
      - Sent as the HTTP Basic user name; it must not contain C(:).
      - Required.
    type: str
  verification_code:
    description:
      - The B(Verification code) of the Remote Service settings, sent as the HTTP Basic password.
      - This is a secret. It is never echoed in errors, debug output or results, at any verbosity;
        keep it in Ansible Vault.
      - Required.
    type: str
  validate_certs:
    description:
      - Whether to verify the back office's TLS certificate.
      - Set to V(false) only in a lab; prefer giving the lab's CA as O(ca_path).
    type: bool
    default: true
  ca_path:
    description:
      - Path of a PEM bundle with the CA certificate(s) that signed the back office's certificate.
      - Without it the system trust store is used.
      - A proxy that inspects TLS needs its own CA here.
    type: path
  proxy:
    description:
      - Explicit HTTP proxy as C(host:port), for example V(proxy.example.com:8080) (V([2001:db8::1]:8080)
        for IPv6; V(http://proxy.example.com:8080) is accepted too).
      - HTTPS is tunnelled through it with C(CONNECT).
      - When set, O(use_proxy) and the environment's C(https_proxy) are ignored.
      - Give credentials as O(proxy_username) and O(proxy_password), never inside this value.
    type: str
  proxy_username:
    description:
      - User name for the proxy (HTTP Basic C(Proxy-Authorization)); C(DOMAIN\user) if the proxy wants
        the Proxy domain.
      - Only with O(proxy).
    type: str
  proxy_password:
    description:
      - Password for O(proxy_username).
      - This is a secret. It is never echoed in errors, debug output or results.
    type: str
  use_proxy:
    description:
      - Without O(proxy), whether to use the proxy of the environment (C(https_proxy), honouring
        C(no_proxy)) of the Ansible controller.
      - Ignored when O(proxy) is set.
    type: bool
    default: true
  timeout:
    description:
      - Seconds to wait for the back office to connect or send data, per attempt.
    type: float
    default: 10
  retries:
    description:
      - How many times to retry after a transient failure (connection error, timeout, cut-off answer,
        HTTP 429, 500, 502, 503 or 504), 0 to 10.
      - Waits 1, 2, 4... seconds (at most 30) between attempts, or what the back office asks for with
        C(Retry-After) (at most 300).
      - Refusals (HTTP 400, 401, 403, 404) and licenses that fail verification are never retried.
    type: int
    default: 3
"""

    PLUGINS = r"""
options:
  url:
    vars:
      - name: prismadirect_backoffice_url
    env:
      - name: PRISMADIRECT_BACKOFFICE_URL
    ini:
      - section: prismadirect_backoffice
        key: url
  organization_id:
    vars:
      - name: prismadirect_organization_id
    env:
      - name: PRISMADIRECT_ORGANIZATION_ID
    ini:
      - section: prismadirect_backoffice
        key: organization_id
  verification_code:
    vars:
      - name: prismadirect_verification_code
    env:
      - name: PRISMADIRECT_VERIFICATION_CODE
  validate_certs:
    vars:
      - name: prismadirect_backoffice_validate_certs
    env:
      - name: PRISMADIRECT_BACKOFFICE_VALIDATE_CERTS
    ini:
      - section: prismadirect_backoffice
        key: validate_certs
  ca_path:
    vars:
      - name: prismadirect_backoffice_ca_path
    env:
      - name: PRISMADIRECT_BACKOFFICE_CA_PATH
    ini:
      - section: prismadirect_backoffice
        key: ca_path
  proxy:
    vars:
      - name: prismadirect_backoffice_proxy
    env:
      - name: PRISMADIRECT_BACKOFFICE_PROXY
    ini:
      - section: prismadirect_backoffice
        key: proxy
  proxy_username:
    vars:
      - name: prismadirect_backoffice_proxy_username
    env:
      - name: PRISMADIRECT_BACKOFFICE_PROXY_USERNAME
    ini:
      - section: prismadirect_backoffice
        key: proxy_username
  proxy_password:
    vars:
      - name: prismadirect_backoffice_proxy_password
    env:
      - name: PRISMADIRECT_BACKOFFICE_PROXY_PASSWORD
  use_proxy:
    vars:
      - name: prismadirect_backoffice_use_proxy
    env:
      - name: PRISMADIRECT_BACKOFFICE_USE_PROXY
    ini:
      - section: prismadirect_backoffice
        key: use_proxy
  timeout:
    vars:
      - name: prismadirect_backoffice_timeout
    env:
      - name: PRISMADIRECT_BACKOFFICE_TIMEOUT
    ini:
      - section: prismadirect_backoffice
        key: timeout
  retries:
    vars:
      - name: prismadirect_backoffice_retries
    env:
      - name: PRISMADIRECT_BACKOFFICE_RETRIES
    ini:
      - section: prismadirect_backoffice
        key: retries
"""
