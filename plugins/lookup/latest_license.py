# Copyright: (c) 2026, printops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: latest_license
author:
  - printops team
short_description: Pull the latest PRISMAdirect license from the Remote Service back office
description:
  - Asks the Remote Service back office for the newest license of each serial number (the C(SN=) of
    the installed license) and returns it verified, ready to be written to the Floating License Server.
  - Every license is verified before it is returned, and refused if any check fails. Its SHA-256 must
    match, its file name must be a plain base name ending in C(.lic), its content must parse as a FlexNet
    license file, and its C(SN=) must be the serial asked for.
  - Each serial is requested from the back office at most once per C(ansible-playbook) run, however many
    hosts ask for it. A cache directory on the controller (O(cache_dir)) holds the answers.
  - On a later run the cached copy's ETag makes the request conditional. When the back office answers
    C(304 Not Modified), the cached copy is verified again and returned with RV(_raw[].not_modified=true).
  - Refusals are cached for the run as well, so a hundred hosts asking for a refused serial cost one
    request. They are not kept across runs.
  - The verification code and the proxy password never appear in errors, debug output (C(-vvv)) or
    results.
  - The contract spoken is C(docs/backoffice-api.md) of this collection.
options:
  _terms:
    description:
      - Serial numbers, for example V(PDS-100001). Lists are flattened.
      - 1 to 64 letters, digits, C(.), C(_) or C(-), starting with a letter or digit.
      - An invalid serial always fails the lookup, before any request, whatever O(on_error) says.
    type: list
    elements: str
    required: true
  on_error:
    description:
      - What to do when the back office refuses a serial or cannot be reached.
      - V(fail) raises an error that starts with the serial and says the cause and the fix.
      - V(report) returns an item with RV(_raw[].ok=false), RV(_raw[].error_kind) and RV(_raw[].error) for
        that serial and goes on, so that a playbook can summarise the refusals of a fleet.
      - Invalid options and serials fail in either case.
    type: str
    choices: [fail, report]
    default: fail
    vars:
      - name: prismadirect_backoffice_on_error
    env:
      - name: PRISMADIRECT_BACKOFFICE_ON_ERROR
    ini:
      - section: prismadirect_backoffice
        key: on_error
  cache:
    description:
      - Whether to use the cache directory O(cache_dir).
      - With V(false), every call asks the back office, once per host and serial.
    type: bool
    default: true
    vars:
      - name: prismadirect_backoffice_cache
    env:
      - name: PRISMADIRECT_BACKOFFICE_CACHE
    ini:
      - section: prismadirect_backoffice
        key: cache
  cache_dir:
    description:
      - Directory on the controller for the cache, created with mode C(0700); it must belong to the user
        running Ansible.
      - It holds one JSON file per serial (verified license, ETag, run identifier) and a lock file per
        serial. It never holds the verification code or the proxy password.
    type: path
    default: ~/.cache/printops-prismadirect
    vars:
      - name: prismadirect_backoffice_cache_dir
    env:
      - name: PRISMADIRECT_BACKOFFICE_CACHE_DIR
    ini:
      - section: prismadirect_backoffice
        key: cache_dir
notes:
  - Every option can also be set with a variable, an environment variable or, except the two secrets, an
    C(ansible.cfg) entry in the C([prismadirect_backoffice]) section. The connection settings use
    C(prismadirect_backoffice_<option>) variables and C(PRISMADIRECT_BACKOFFICE_<OPTION>) environment
    variables. The two credentials use C(prismadirect_organization_id) and
    C(prismadirect_verification_code) (C(PRISMADIRECT_ORGANIZATION_ID), C(PRISMADIRECT_VERIFICATION_CODE)).
  - O(url), O(organization_id) and O(verification_code) are required. Every option is checked before any
    request, and an invalid one fails with a message that names the option and says how to fix it.
  - A run is one C(ansible-playbook) process, identified by its process ID and start time.
  - The lookup runs on the controller. Only the controller needs to reach the back office, directly or
    through a proxy.
seealso:
  - name: Remote Service back-office API
    description: The HTTP contract this lookup speaks (C(docs/backoffice-api.md) in the collection).
    link: https://example.invalid/printops/prismadirect/docs/backoffice-api.md
extends_documentation_fragment:
  - printops.prismadirect.backoffice
  - printops.prismadirect.backoffice.plugins
"""

EXAMPLES = r"""
# group_vars/all/backoffice.yml: the connection, shared by every lookup call
#   prismadirect_backoffice_url: https://backoffice.example.com/rs
#   prismadirect_organization_id: PRS-ACME-01
#   prismadirect_verification_code: "{{ vault_prismadirect_verification_code }}"
#   prismadirect_backoffice_proxy: proxy.example.com:8080

- name: Install the latest license on each Floating License Server
  hosts: floating_license_servers
  tasks:
    - name: Ask the back office for the license of this server's serial number
      ansible.builtin.set_fact:
        fls_license: "{{ lookup('printops.prismadirect.latest_license', fls_serial) }}"

    - name: Write it to the license folder
      ansible.builtin.copy:
        content: "{{ fls_license.content }}"
        dest: "/srv/flexlm/licenses/{{ fls_license.file_name }}"
        mode: "0644"

    - name: Warn when the maintenance contract ends within a month
      ansible.builtin.debug:
        msg: "Maintenance of {{ fls_license.serial }} ends on {{ fls_license.maintenance_end }}"
      when: (fls_license.maintenance_end | to_datetime('%Y-%m-%d') - now()).days < 31

- name: Ask for the whole fleet at once and summarise the refusals instead of failing
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Pull the licenses of every serial in the inventory
      ansible.builtin.set_fact:
        fleet_licenses: >-
          {{ query('printops.prismadirect.latest_license',
                   groups['floating_license_servers'] | map('extract', hostvars, 'fls_serial') | list,
                   on_error='report') }}

    - name: Show the serials the back office refused, and why
      ansible.builtin.debug:
        msg: "{{ item.serial }}: {{ item.error_kind }}: {{ item.error }}"
      loop: "{{ fleet_licenses | rejectattr('ok') }}"
      loop_control:
        label: "{{ item.serial }}"

    - name: Fail when a maintenance contract must be extended
      vars:
        refused: "{{ fleet_licenses | rejectattr('ok') | selectattr('error_kind', '==', 'not_entitled') }}"
      ansible.builtin.assert:
        that: refused | length == 0
        fail_msg: "Extend maintenance for {{ refused | map(attribute='serial') | join(', ') }}"

- name: Pass the options directly, through an authenticating proxy, with a private CA
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Pull one license
      ansible.builtin.set_fact:
        fls_license: >-
          {{ lookup('printops.prismadirect.latest_license', 'PDS-100001',
                    url='https://backoffice.example.com/rs',
                    organization_id='PRS-ACME-01',
                    verification_code=vault_prismadirect_verification_code,
                    proxy='proxy.example.com:8080',
                    proxy_username='ACME\\svc-ors',
                    proxy_password=vault_proxy_password,
                    ca_path='/etc/pki/tls/certs/acme-root-ca.pem',
                    retries=5) }}
"""

RETURN = r"""
_raw:
  description:
    - One item per serial number, in the order of the terms.
    - With a single serial, C(lookup) returns the item itself; use C(query) for a list.
  type: list
  elements: dict
  contains:
    ok:
      description:
        - V(true) when a verified license was returned.
        - V(false) only with O(on_error=report), when the back office refused the serial or could not be
          reached.
      type: bool
      returned: always
      sample: true
    serial:
      description: The serial number asked for.
      type: str
      returned: always
      sample: PDS-100001
    file_name:
      description: A plain base name for the license file, ending in C(.lic).
      type: str
      returned: success
      sample: PDS-100001.lic
    content:
      description: The FlexNet license file text, to be written as is.
      type: str
      returned: success
      sample: "SERVER this_host 025044000001 27000\nVENDOR prismad PORT=27010\nFEATURE PRISMAdirect ..."
    sha256:
      description: Lowercase hex SHA-256 of the UTF-8 bytes of RV(_raw[].content), verified.
      type: str
      returned: success
      sample: 9f2c5e1d0a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d
    issued:
      description: Issue date of the license (ISO date), as reported by the back office.
      type: str
      returned: success
      sample: "2026-11-01"
    license_expiry:
      description: Earliest feature expiry (ISO date), or V(permanent).
      type: str
      returned: success
      sample: "2027-12-31"
    maintenance_end:
      description:
        - On success, the end of the maintenance period (ISO date), as reported by the back office.
        - On an C(not_entitled) failure, the date maintenance ended, when the back office said.
      type: str
      returned: success, or failure with error_kind=not_entitled
      sample: "2027-12-31"
    features:
      description: The licensed features, as reported by the back office.
      type: list
      elements: dict
      returned: success
      sample:
        - {"name": "PRISMAdirect", "version": "2026.1", "count": 1, "expiry": "2027-12-31"}
        - {"name": "PD_USERS", "version": "2026.1", "count": 25, "expiry": "2027-12-31"}
    users:
      description: Number of named users the license allows, or V(uncounted) for unlimited.
      type: raw
      returned: success
      sample: 25
    flexlm:
      description:
        - Facts parsed from RV(_raw[].content) itself, which is the text that gets installed.
        - Includes servers, vendors, features with their attributes, serials, host ids, earliest_expiry,
          issued, maintenance_end and users.
      type: dict
      returned: success
      sample:
        serials: [PDS-100001]
        issued: "2026-11-01"
        maintenance_end: "2027-12-31"
        earliest_expiry: "2027-12-31"
        users: 25
    not_modified:
      description:
        - V(true) when the back office answered C(304 Not Modified) and the cached copy from an earlier
          run was returned.
      type: bool
      returned: success
      sample: false
    source:
      description:
        - Where the content came from, V(backoffice) or V(cache). V(cache) is used after a
          C(304 Not Modified).
        - Hosts asking again for a serial during the same run get the first answer unchanged.
      type: str
      returned: success
      sample: backoffice
    error_kind:
      description:
        - Why the serial failed, one of V(unreachable), V(tls), V(timeout), V(unauthorized),
          V(not_entitled), V(unknown_serial), V(bad_request), V(unavailable), V(server_error),
          V(checksum), V(truncated), V(not_a_license), V(serial_mismatch), V(unsafe_file_name),
          V(protocol).
      type: str
      returned: failure
      sample: not_entitled
    error:
      description: The error message, starting with the serial, saying the cause and the fix.
      type: str
      returned: failure
      sample: >-
        PDS-100007: PDS-100007 is not entitled to license updates: its maintenance ended on 2025-06-30
        (HTTP 403). The maintenance contract must be extended before the back office delivers a new license.
    status:
      description: HTTP status of the failed answer, or V(null) when there was none.
      type: int
      returned: failure
      sample: 403
"""

from collections.abc import Callable, Iterable
from typing import Any

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase
from ansible.utils.display import Display
from ansible_collections.printops.prismadirect.plugins.module_utils.backoffice import BackOfficeClient
from ansible_collections.printops.prismadirect.plugins.module_utils.backoffice_errors import (
    BackOfficeError,
    Redactor,
)
from ansible_collections.printops.prismadirect.plugins.module_utils.backoffice_inputs import (
    ProxySpec,
    validate_base_url,
    validate_organization_id,
    validate_proxy,
    validate_serial,
)
from ansible_collections.printops.prismadirect.plugins.plugin_utils import _license_cache, _run

display = Display()

PLUGIN = "printops.prismadirect.latest_license"
MAX_RETRIES = 10

# where each option can be set, for error messages: option -> (variable, environment variable)
_SOURCES = {
    "url": ("prismadirect_backoffice_url", "PRISMADIRECT_BACKOFFICE_URL"),
    "organization_id": ("prismadirect_organization_id", "PRISMADIRECT_ORGANIZATION_ID"),
    "verification_code": ("prismadirect_verification_code", "PRISMADIRECT_VERIFICATION_CODE"),
}


def _flatten(terms: Iterable[Any]) -> list[Any]:
    flat: list[Any] = []
    for term in terms:
        if isinstance(term, list | tuple):
            flat.extend(_flatten(term))
        else:
            flat.append(term)
    return flat


class LookupModule(LookupBase):
    def run(self, terms: list[Any], variables: dict[str, Any] | None = None, **kwargs: Any) -> list[Any]:
        self.set_options(var_options=self._option_variables(variables), direct=kwargs)
        redact = Redactor([self._text("verification_code"), self._text("proxy_password")])

        def log(line: str) -> None:
            display.vvv(redact(f"{PLUGIN}: {line}"))

        try:
            client, cache, on_error, serials = self._prepare(terms, log)
        except BackOfficeError as exc:
            raise AnsibleLookupError(redact(f"{PLUGIN}: {exc.message}")) from None

        run_id = _run.current_run_id()
        log(f"{client!r}, cache {cache.directory if cache else 'off'}, run {run_id}")
        answers: dict[str, dict[str, Any]] = {}
        results = []
        with client:  # one kept-alive connection for all the serials, closed at the end
            for serial in serials:
                if serial not in answers:
                    try:
                        answers[serial] = _license_cache.latest_license_item(
                            client, serial, cache=cache, run_id=run_id, log=log
                        )
                    except BackOfficeError as exc:
                        message = redact(f"{serial}: {exc.message}")
                        if on_error == "fail":
                            raise AnsibleLookupError(message) from None
                        log(f"reporting failure: {message}")
                        answers[serial] = _license_cache.failure_item(serial, exc, message)
                    except _license_cache.CacheError as exc:
                        raise AnsibleLookupError(redact(f"{PLUGIN}: {exc}")) from None
                results.append(dict(answers[serial]))
        return results

    # -- option handling ----------------------------------------------------------------------------

    def _option_variables(self, variables: Any) -> dict[str, Any] | None:
        """The variables that set options, templated (ansible-core hands lookups raw variable values).

        Only the variables named in this plugin's ``vars:`` entries are rendered, so that a
        ``prismadirect_verification_code: "{{ vault_code }}"`` in the inventory works.
        """
        if not variables:
            return variables
        names = {
            entry["name"]
            for definition in self.option_definitions.values()
            for entry in definition.get("vars") or ()
        }
        chosen = {name: variables[name] for name in names if name in variables}
        if self._templar is None:
            return chosen
        return {name: self._templar.template(value) for name, value in chosen.items()}

    def _text(self, name: str) -> str | None:
        value = self.get_option(name)
        return None if value is None else str(value)

    def _required(self, name: str, example: str) -> str:
        value = self._text(name)
        if value is None or not value.strip():
            variable, environment = _SOURCES[name]
            raise BackOfficeError(
                "invalid_input",
                f"option {name} is required: pass {name}=..., or set the variable {variable} or the "
                f"environment variable {environment} ({example})",
            )
        return value

    def _prepare(
        self, terms: list[Any], log: Callable[[str], None]
    ) -> tuple[BackOfficeClient, _license_cache.LicenseCache | None, str, list[str]]:
        """Check every option and term, before any request; return the client, cache, on_error, serials."""
        url = validate_base_url(self._required("url", "for example https://backoffice.example.com/rs"))
        organization_id = validate_organization_id(
            self._required("organization_id", "the Service organization ID of the Remote Service settings")
        )
        verification_code = self._required(
            "verification_code", "the Verification code of the Remote Service settings, kept in Ansible Vault"
        )
        proxy = self._proxy()
        timeout = self.get_option("timeout")
        if timeout is None or not timeout > 0:
            raise BackOfficeError(
                "invalid_input", f"option timeout is {timeout!r}: give a number of seconds above 0, like 10"
            )
        retries = self.get_option("retries")
        if retries is None or not 0 <= retries <= MAX_RETRIES:
            raise BackOfficeError(
                "invalid_input",
                f"option retries is {retries!r}: give a whole number from 0 to {MAX_RETRIES}, like 3",
            )
        on_error = self.get_option("on_error")
        cache = None
        if self.get_option("cache"):
            cache_dir = self._text("cache_dir")
            if not cache_dir:
                raise BackOfficeError(
                    "invalid_input", "option cache_dir is empty: give a directory, or set cache to false"
                )
            cache = _license_cache.LicenseCache(cache_dir)
        serials = []
        for term in _flatten(terms):
            if isinstance(term, int) and not isinstance(term, bool):
                term = str(term)
            try:
                serials.append(validate_serial(str(term) if isinstance(term, str) else term))
            except BackOfficeError as exc:
                raise exc.with_message(f"{exc.message}; fix the serial numbers given to the lookup") from None
        client = BackOfficeClient(
            url,
            organization_id,
            verification_code,
            validate_certs=bool(self.get_option("validate_certs")),
            ca_path=self._text("ca_path"),
            proxy=proxy,
            use_proxy=bool(self.get_option("use_proxy")),
            timeout=float(timeout),
            retries=int(retries),
            log=log,
        )
        if cache is not None:
            try:
                cache.prepare()
            except _license_cache.CacheError as exc:
                raise BackOfficeError("invalid_input", str(exc)) from None
        return client, cache, on_error, serials

    def _proxy(self) -> ProxySpec | None:
        proxy = self._text("proxy")
        username = self._text("proxy_username")
        password = self._text("proxy_password")
        if not proxy:
            if username or password:
                raise BackOfficeError(
                    "invalid_input",
                    "options proxy_username and proxy_password only apply with the option proxy: set proxy "
                    "(host:port), or remove them (credentials for https_proxy go inside that variable)",
                )
            return None
        return validate_proxy(proxy, username, password)
