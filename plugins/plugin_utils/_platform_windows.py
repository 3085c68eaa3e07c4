# Copyright: (c) 2026, printops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to this collection: the Windows platform adapter (DESIGN §2-3, docs/internals.md §4).

Reads with ``printops.prismadirect.win_host_state`` (one round trip) and normalizes its
answer with ``windows_state.host_state``; applies each planned ``Change`` with the modules of
``ansible.windows``: ``win_user`` (local ORS accounts only: a domain account is the domain's),
``win_user_right`` (``action: add``, never ``set``: other holders of the right stay), ``win_service``
(the service must exist: PRISMAdirect installs it), ``settings_store`` (``win_settings_store.ps1``) and
``win_inet_proxy`` run as the ORS account. The license folder verbs are in ``_platform_windows_fls``
and ``_platform_windows_license``.

Running a module as the ORS account: the connection's become plugin is swapped for ``runas`` as that
account for one ``_execute_module`` call (the PowerShell exec wrapper reads ``connection.become``).
Without the account's password runas uses S4U (docs: "Become without setting a password"): the
connection user must be an administrator with ``SeDebugPrivilege``, the account needs
``SeBatchLogonRight`` or ``SeNetworkLogonRight``, and the module gets no network credentials.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ansible.plugins.loader import become_loader
from ansible_collections.printops.prismadirect.plugins.module_utils.planning_core import find_account
from ansible_collections.printops.prismadirect.plugins.module_utils.validation import (
    Account,
    ValidationError,
    parse_account,
)
from ansible_collections.printops.prismadirect.plugins.module_utils.windows_state import (
    WindowsStateError,
    host_state,
)
from ansible_collections.printops.prismadirect.plugins.plugin_utils._platform import (
    PlatformError,
    VerbDispatch,
)
from ansible_collections.printops.prismadirect.plugins.plugin_utils._platform_windows_fls import (
    WindowsFlsVerbs,
)
from ansible_collections.printops.prismadirect.plugins.plugin_utils._platform_windows_license import (
    WindowsLicenseVerbs,
)

__all__ = [
    "DEFAULT_LMUTIL",
    "DEFAULT_SETTINGS_PATH",
    "WindowsPlatform",
    "failure_message",
    "inet_proxy_args",
    "runas_user",
]

DEFAULT_SETTINGS_PATH = "C:\\ProgramData\\PRISMAdirect\\remote-service.json"
DEFAULT_LMUTIL = "C:\\Program Files\\Flexera\\lmutil.exe"
SERVICE_LOGON_RIGHT = "SeServiceLogonRight"
PROBE_TIMEOUT = 10  # seconds, as the lab probe
_LOCAL_SYSTEM = frozenset({"localsystem", ".\\localsystem", "nt authority\\system", "system"})


def runas_user(account: str) -> str:
    """The ``become_user`` for an account as the host or the task writes it: ``.\\svc`` -> ``svc`` (a
    bare name is looked up locally first; ``.`` is not a name LookupAccountName knows), LocalSystem ->
    ``SYSTEM`` (runas knows the service accounts by these names)."""
    if account.casefold() in _LOCAL_SYSTEM:
        return "SYSTEM"
    return account[2:] if account.startswith(".\\") else account


def failure_message(result: Mapping[str, Any]) -> str:
    """What a failed module said: ``msg``, else (``win_powershell``) its first error record's message."""
    if result.get("msg"):
        return str(result["msg"])
    for record in result.get("error") or ():
        if isinstance(record, Mapping):
            exception = record.get("exception") or {}
            text = exception.get("message") if isinstance(exception, Mapping) else None
            if text or record.get("output"):
                return str(text or record["output"]).strip()
    return str(result.get("stderr") or "no message").strip()


def inet_proxy_args(proxy: Mapping[str, Any]) -> dict[str, Any]:
    """``win_inet_proxy`` arguments for the store's proxy section: the ORS account's WinINet settings
    follow ``proxy.mode`` (``auto_detect`` is WPAD; ``none`` clears the proxy)."""
    mode = proxy.get("mode") or "none"
    if mode == "manual":
        if not proxy.get("url"):
            raise PlatformError("proxy.mode is manual but the store has no proxy.url: set url")
        return {"auto_detect": False, "proxy": str(proxy["url"])}
    return {"auto_detect": mode == "auto_detect"}


class WindowsPlatform(WindowsFlsVerbs, WindowsLicenseVerbs, VerbDispatch):
    name = "windows"

    def __init__(self, action: Any, hide: Any) -> None:
        self._action, self._hide = action, hide
        var = action.var
        self.host = var("inventory_hostname")
        self.settings_path = var("prismadirect_windows_settings_path", DEFAULT_SETTINGS_PATH)
        self.lmutil_path = var("prismadirect_windows_lmutil", DEFAULT_LMUTIL)
        self.license_service = var("prismadirect_windows_license_service")
        self.runas_flags = var("prismadirect_windows_runas_flags")  # e.g. logon_type=batch
        self._passwords: dict[str, str] = {}  # account (casefolded) -> password the task gave
        self._state: Mapping[str, Any] = {}

    # -- modules ------------------------------------------------------------------------------------

    def _run(
        self,
        module: str,
        args: Mapping[str, Any],
        secret: bool = False,
        runas: tuple[str, str | None] | None = None,
        check: bool = True,
    ) -> dict[str, Any]:
        """One module call; ``runas``: (account, password or ``None``) to run it as. ``check``: raise
        ``PlatformError`` when it failed (else the caller reads the failure)."""
        if secret:
            args = {**args, "_ansible_no_log": True}
        action = self._action
        if runas is None:
            result = action._execute_module(
                module_name=module, module_args=dict(args), task_vars=action.task_vars
            )
        else:
            result = self._run_as(module, dict(args), *runas)
        if check and result.get("failed"):
            raise PlatformError(f"{module} failed: {failure_message(result)}")
        return result

    def _run_as(
        self, module: str, args: dict[str, Any], account: str, password: str | None
    ) -> dict[str, Any]:
        """The module run by the PowerShell exec wrapper as ``account``: ``runas`` in place of the
        connection's become plugin for this call only. ``become_pass`` is always set (``None``: S4U),
        so a become password of the inventory never goes to another account."""
        plugin = become_loader.get("runas")
        direct: dict[str, Any] = {"become_user": runas_user(account), "become_pass": password}
        if self.runas_flags:
            direct["become_flags"] = self.runas_flags
        plugin.set_options(direct=direct)
        connection = self._action._connection
        previous = connection.become
        connection.set_become_plugin(plugin)
        try:
            return self._action._execute_module(
                module_name=module, module_args=args, task_vars=self._action.task_vars
            )
        finally:
            connection.set_become_plugin(previous)

    # -- read ---------------------------------------------------------------------------------------

    def read(
        self,
        sections: Iterable[str],
        *,
        service: str | None = None,
        accounts: Iterable[tuple[Account, str | None]] = (),
        license_path: str | None = None,
        folder: str | None = None,
        share: str | None = None,
        lmutil_path: str | None = None,
        license_service: str | None = None,
    ) -> tuple[dict[str, Any], list[str]]:
        """Windows cannot compare passwords (``password_matches`` is null): the passwords are kept for
        the connection test as the account, never sent to the reader."""
        sections = list(sections)
        wanted = []
        for account, password in accounts:
            wanted.append({"name": account.qualified})
            if password is not None:
                self._passwords[account.qualified.casefold()] = password
        args: dict[str, Any] = {
            "sections": sections,
            "accounts": wanted,
            "settings_path": self.settings_path,
            "license_path": license_path,
            "folder_path": folder,
            "share_name": share,
        }
        if service:
            args["service"] = service
        if "license_server" in sections:
            args["lmutil_path"] = lmutil_path or self.lmutil_path
            args["license_service"] = license_service or self.license_service
        raw = self._run("printops.prismadirect.win_host_state", args)
        try:
            state, warnings = host_state(raw)  # the reader's warnings, then the normalizer's
        except WindowsStateError as exc:
            raise PlatformError(str(exc)) from None
        self._state = state
        return state, list(dict.fromkeys(warnings))

    # -- apply (VerbDispatch.apply calls _<verb>) ------------------------------------------------------

    def _account_ensure(self, args: Mapping[str, Any]) -> bool:
        """A local account is made or its password set by ``win_user`` (it compares the password by a
        logon, so ``always`` changes only what differs). A domain account belongs to the domain: it
        must exist, and its password is the domain's (nothing to set here)."""
        account = parse_account(args["account"], "account")
        if not account.is_local:
            if find_account(self._state, account).get("exists"):
                return False
            raise PlatformError(
                f"{account.qualified} is a domain account and this host does not find it: create it in the "
                "domain first (ors_account creates local accounts only, .\\user or a bare user name), or "
                "check the name"
            )
        user_args = {
            "name": account.user,
            "password": args["password"],
            "update_password": args["update_password"],
            "password_never_expires": True,  # a service account: an expired password stops the service
            "user_cannot_change_password": True,
            "state": "present",
        }
        return self._run("ansible.windows.win_user", user_args, secret=True)["changed"]

    def _account_grant_service_logon(self, args: Mapping[str, Any]) -> bool:
        right = {"name": SERVICE_LOGON_RIGHT, "users": [args["account"]], "action": "add"}
        return self._run("ansible.windows.win_user_right", right)["changed"]

    def _service_configure(self, args: Mapping[str, Any]) -> bool:
        """``update_password: always``: the change is applied only when the service must log on with
        this password (new account, new password, or its account or start mode is being set)."""
        if args.get("create"):
            raise PlatformError(
                f"the service {args['name']} does not exist on this host: it is installed with PRISMAdirect "
                "(Remote Service component); install it, or give the service's name in service"
            )
        service_args = {
            "name": args["name"],
            "username": args["account"],
            "password": args["password"],
            "update_password": "always",
            "start_mode": args["start_mode"],
        }
        return self._run("ansible.windows.win_service", service_args, secret=True)["changed"]

    def _service_start(self, args: Mapping[str, Any]) -> bool:
        return self._run("ansible.windows.win_service", {"name": args["name"], "state": "started"})["changed"]

    def _service_restart(self, args: Mapping[str, Any]) -> bool:
        return self._run("ansible.windows.win_service", {"name": args["name"], "state": "restarted"})[
            "changed"
        ]

    def _settings_write(self, args: Mapping[str, Any]) -> bool:
        """The patch (``win_settings_store.ps1``: atomic, the store's ACL exactly Administrators and SYSTEM
        full, the ORS account read); when it touches the proxy, the ORS account's own WinINet proxy as
        the store now says, so the service's traffic takes the same way."""
        account = args.get("account")
        store_args = {
            "path": args.get("path") or self.settings_path,
            "account": account,
            "set": dict(args.get("set") or {}),
            "secrets": dict(args.get("secrets") or {}),
        }
        result = self._run("printops.prismadirect.win_settings_store", store_args, secret=True)
        changed = bool(result.get("changed"))
        touched = [*store_args["set"], *store_args["secrets"]]
        if account and any(key.startswith("proxy.") for key in touched):
            document = (result.get("view") or {}).get("document") or {}
            proxy = inet_proxy_args(document.get("proxy") or {})
            password = self._passwords.get(str(account).casefold())
            changed |= self._run("ansible.windows.win_inet_proxy", proxy, runas=(account, password))[
                "changed"
            ]
        return changed

    # -- connection test ----------------------------------------------------------------------------

    def probe(self, account: str, url: str, ca_path: str | None) -> dict[str, Any]:
        """``GET <url>/v1/ping`` by ``win_uri`` as the ORS account, through its WinINet proxy. Windows
        has no CA option: the back office's certificate must chain to the machine's trusted roots."""
        if ca_path:
            warn = getattr(self._action, "_warnings", None)
            if isinstance(warn, list):
                warn.append(
                    f"backoffice_ca_path ({ca_path}) is not used on Windows: the connection test trusts the "
                    "host's certificate store; import the back office's CA (or the inspecting proxy's) into "
                    "Trusted Root Certification Authorities of the local machine"
                )
        try:
            parse_account(account)
            password = self._passwords.get(account.casefold())
        except ValidationError:  # LocalSystem and the like: no password
            password = None
        uri = {
            "url": url.rstrip("/") + "/v1/ping",
            "method": "GET",
            "status_code": [200],
            "return_content": False,
            "url_timeout": PROBE_TIMEOUT,
            "follow_redirects": "none",
        }
        try:
            result = self._run("ansible.windows.win_uri", uri, runas=(account, password), check=False)
        except Exception as exc:  # the become plugin or the connection: reported, as the lab probe does
            return {"ok": False, "status": None, "elapsed_ms": None, "error": f"the probe failed: {exc}"}
        status = result.get("status_code")
        elapsed = result.get("elapsed")
        answer = {
            "ok": not result.get("failed") and status == 200,
            "status": status,
            "elapsed_ms": round(float(elapsed) * 1000) if isinstance(elapsed, (int, float)) else None,
            "error": None,
        }
        if not answer["ok"]:
            answer["error"] = (
                f"the back office answered HTTP {status}"
                if isinstance(status, int) and status > 0
                else f"win_uri as {account} failed: {failure_message(result)}"
            )
        return answer
