# Copyright: (c) 2026, printops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to this collection: the lab platform adapter (DESIGN §3, docs/internals.md "Lab mapping").

Reads with ``printops.prismadirect.host_state`` and applies each planned ``Change`` with standard
modules: the ORS account is a system user (``ansible.builtin.user``), "Log on as a service" is the lab
logon group, Print ORS Service is a supervisord program (``ansible.builtin.copy`` +
``community.general.supervisorctl``), the settings store is written by ``settings_store``. The Floating
License Server verbs are in ``_platform_lab_fls`` (folder ACL, share) and ``_platform_lab_license``.
"""

from __future__ import annotations

import hashlib
import hmac
import posixpath
from collections.abc import Iterable, Mapping
from typing import Any

from ansible.utils.encrypt import do_encrypt
from ansible_collections.printops.prismadirect.plugins.module_utils.lab_layout import (
    bin_path,
    program_conf,
    program_log,
    program_name,
    settings_path,
    supervisord_conf,
)
from ansible_collections.printops.prismadirect.plugins.module_utils.validation import (
    Account,
    lab_user_name,
    parse_account,
)
from ansible_collections.printops.prismadirect.plugins.plugin_utils._platform import (
    PlatformError,
    VerbDispatch,
    upload,
)
from ansible_collections.printops.prismadirect.plugins.plugin_utils._platform_lab_fls import (
    LabFlsVerbs,
    lab_nt_hash,
)
from ansible_collections.printops.prismadirect.plugins.plugin_utils._platform_lab_license import (
    LabLicenseVerbs,
)

__all__ = ["LabPlatform", "lab_password_hash", "program_section"]

DEFAULT_HOME = "/srv/printops-lab"
DEFAULT_GROUP = "printops-lab"
DEFAULT_LICENSE_SERVICE = "License Server"  # the lab program <fls>_license_server (lab/README.md)
_CRYPT_ALPHABET = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def lab_password_hash(user: str, password: str) -> str:
    """The sha512-crypt hash the lab user gets. Its salt comes from HMAC(user, password), so the same
    password gives the same hash on every run: ``update_password: always`` stays idempotent and the
    reader can compare it with /etc/shadow. (A derived salt is acceptable for lab accounts only.)"""
    digest = hmac.new(user.encode(), password.encode(), hashlib.sha256).digest()
    salt = "".join(_CRYPT_ALPHABET[b % 64] for b in digest[:16])
    return do_encrypt(password, "sha512_crypt", salt=salt, rounds=5000)


def program_section(home: str, root: str, host: str, program: str, user: str, autostart: bool) -> str:
    """The supervisord program of a host's Print ORS Service stand-in (lab/README.md)."""
    command = f"/usr/bin/python3 -u {home}/bin/print_ors_service.py --host {host} --root {root}"
    return (
        f"[program:{program}]\ncommand = {command}\nuser = {user}\n"
        f"autostart = {str(autostart).lower()}\nautorestart = true\nredirect_stderr = true\n"
        f"stdout_logfile = {program_log(home, program)}\n"
    )


def _lab_user(account: str) -> str:
    """The lab user standing in for a Windows account, whatever form it is written in."""
    return lab_user_name(parse_account(account))


class LabPlatform(LabFlsVerbs, LabLicenseVerbs, VerbDispatch):
    name = "lab"

    def __init__(self, action: Any, hide: Any) -> None:
        self._action, self._hide = action, hide
        var = action.var
        self.host = var("inventory_hostname")
        self.home = var("prismadirect_lab_home", DEFAULT_HOME)
        self.root = var("prismadirect_lab_root", posixpath.join(self.home, "hosts", self.host))
        self.group = var("prismadirect_lab_group", DEFAULT_GROUP)
        self.logon_group = var("prismadirect_lab_logon_group", f"{self.group}-logon")
        self.supervisord_conf = var("prismadirect_lab_supervisord_conf", supervisord_conf(self.home))
        self.settings_path = settings_path(self.root)
        self._reload: set[str] = set()  # programs whose file changed while supervisord had them loaded

    # -- modules ------------------------------------------------------------------------------------

    def _run(self, module: str, args: Mapping[str, Any], secret: bool = False) -> dict[str, Any]:
        if secret:
            args = {**args, "_ansible_no_log": True}
        result = self._action._execute_module(
            module_name=module, module_args=dict(args), task_vars=self._action.task_vars
        )
        if result.get("failed"):
            raise PlatformError(f"{module} failed: {result.get('msg') or 'no message'}")
        return result

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
        sections = list(sections)
        wanted = []
        for account, password in accounts:
            entry = {"name": lab_user_name(account)}
            if password is not None and "share" in sections:  # the share password: the lab passdb's
                entry["nt_hash"] = self._hide(lab_nt_hash(password))
            elif password is not None:
                entry["password_hash"] = self._hide(lab_password_hash(entry["name"], password))
            wanted.append(entry)
        args = {
            "sections": sections,
            "accounts": wanted,
            "logon_group": self.logon_group,
            "settings_path": self.settings_path,
            "license_path": license_path,
            "folder_path": folder,
            "share_name": share,
            "lab_home": self.home,
            "lab_host": self.host,
            "lab_root": self.root,
        }
        if service:
            args["service"] = service
        if "mac_addresses" in sections:  # the FLS's network adapters (lab/README.md)
            args["mac_addresses_file"] = posixpath.join(self.root, "mac_addresses")
        if "license_server" in sections:  # the lab's lmutil and license server unless told otherwise
            var = self._action.var
            lmutil_path = lmutil_path or var("prismadirect_lab_lmutil", bin_path(self.home, "lmutil"))
            service_name = license_service or var("prismadirect_lab_license_service", DEFAULT_LICENSE_SERVICE)
            args.update(lmutil_path=lmutil_path, license_service=service_name)
        state = self._run("printops.prismadirect.host_state", args, secret=any(wanted))
        warnings = list(state.pop("warnings", []) or [])
        return {k: v for k, v in state.items() if not k.startswith("_ansible") and k != "changed"}, warnings

    # -- apply (VerbDispatch.apply calls _<verb>) ------------------------------------------------------

    def _account_ensure(self, args: Mapping[str, Any]) -> bool:
        user = _lab_user(args["account"])
        user_args = {
            "name": user,
            "system": True,
            "shell": "/usr/sbin/nologin",
            "create_home": False,
            "groups": [self.group],  # lab/ctl.py down removes every member of the lab group
            "append": True,
            "password": self._hide(lab_password_hash(user, args["password"])),
            "update_password": args["update_password"],
        }
        return self._run("ansible.builtin.user", user_args, secret=True)["changed"]

    def _account_grant_service_logon(self, args: Mapping[str, Any]) -> bool:
        user_args = {"name": _lab_user(args["account"]), "groups": [self.logon_group], "append": True}
        return self._run("ansible.builtin.user", user_args)["changed"]

    def _supervisorctl(self, program: str, state: str) -> bool:
        args = {"name": program, "state": state, "config": self.supervisord_conf}
        return self._run("community.general.supervisorctl", args)["changed"]

    def _service_configure(self, args: Mapping[str, Any]) -> bool:
        """Write the program file, then have supervisord load it. A program it had loaded already keeps
        its old settings until ``update``: the start or restart that follows applies them."""
        program = program_name(self.host, args["name"])
        user = _lab_user(args["account"])
        text = program_section(self.home, self.root, self.host, program, user, args["start_mode"] == "auto")
        source = upload(self._action, f"{program}.conf", text)
        copy_args = {"src": source, "dest": program_conf(self.home, program), "mode": "0644"}
        copy_args.update(owner="root", group="root", _original_basename=f"{program}.conf")
        written = self._run("ansible.builtin.copy", copy_args)["changed"]
        added = self._supervisorctl(program, "present")
        if written and not added:
            self._reload.add(program)
        return written or added

    def _service_start(self, args: Mapping[str, Any]) -> bool:
        program = program_name(self.host, args["name"])
        added = self._supervisorctl(program, "present")  # a file supervisord has not loaded yet
        state = "restarted" if program in self._reload else "started"  # restarted runs update first
        return self._supervisorctl(program, state) or added

    def _service_restart(self, args: Mapping[str, Any]) -> bool:
        return self._supervisorctl(program_name(self.host, args["name"]), "restarted")

    def _settings_write(self, args: Mapping[str, Any]) -> bool:
        store_args = {
            "path": args.get("path") or self.settings_path,
            "group": args.get("group"),
            "set": dict(args.get("set") or {}),
            "secrets": dict(args.get("secrets") or {}),
        }
        return self._run("printops.prismadirect.settings_store", store_args, secret=True)["changed"]

    # -- connection test ----------------------------------------------------------------------------

    def probe(self, account: str, url: str, ca_path: str | None) -> dict[str, Any]:
        args = {"settings_path": self.settings_path, "user": _lab_user(account), "url": url}
        if ca_path:
            args["ca_path"] = ca_path
        try:
            result = self._run("printops.prismadirect.backoffice_probe", args)
        except PlatformError as exc:
            return {"ok": False, "status": None, "elapsed_ms": None, "error": str(exc)}
        return {key: result.get(key) for key in ("ok", "status", "elapsed_ms", "error")}
