# Copyright: (c) 2026, printops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to this collection: picks the platform adapter of a task, and says what an adapter does.

An adapter is the only code that knows the platform (DESIGN §2, §3). It reads the host state in one
round trip, applies one planned ``Change`` with the platform's standard modules, and makes the
back-office connection test as the ORS account. Adapters: ``_platform_lab.LabPlatform`` (Linux
stand-ins) and ``_platform_windows.WindowsPlatform`` (Windows hosts, same interface).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from ansible_collections.printops.prismadirect.plugins.module_utils.planning_core import VERBS
from ansible_collections.printops.prismadirect.plugins.module_utils.validation import Account

__all__ = ["Platform", "PlatformError", "VerbDispatch", "platform_for", "refuse_if_changed", "upload"]


class PlatformError(Exception):
    """A target-side step failed; the message says which module and why (secrets already removed)."""


class Platform(Protocol):
    name: str

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
        """The host state of docs/internals.md for ``sections`` and the reader's warnings.

        ``accounts``: the accounts to report, each with the password to compare (or ``None``): with the
        ``share`` section, the share password where the host keeps its own (lab passdb), else the
        account's. ``folder``/``share``: the FLS's license folder (as the modules' ``path``/``dest``) and
        share name; ``lmutil_path``/``license_service``: where lmutil and which license service to look
        for (``None``: the platform's default)."""

    def apply(self, change: Any) -> bool:
        """Apply one ``Change``; whether the host changed. ``PlatformError`` when a module failed."""

    def probe(self, account: str, url: str, ca_path: str | None) -> Mapping[str, Any]:
        """The back-office ping made as ``account``: ``{"ok", "status", "elapsed_ms", "error"}``."""


class VerbDispatch:
    """``apply`` for an adapter: each verb of docs/internals.md §3 goes to the method of the same name
    (``license.write`` -> ``_license_write``)."""

    name = "this"
    VERBS = VERBS  # the planner's list: a Change of any other verb cannot be made

    def apply(self, change: Any) -> bool:
        if change.verb not in self.VERBS:
            raise PlatformError(f"the {self.name} platform cannot apply {change.verb}")
        return getattr(self, "_" + change.verb.replace(".", "_"))(change.args)


def refuse_if_changed(filename: str, read_sha256: str | None, now_sha256: str | None) -> None:
    """A license is replaced only as it was read (decision 22): another writer since then wins, and is
    told; nothing is written."""
    if now_sha256 == read_sha256:
        return
    if read_sha256 is None:
        what = "appeared"
    elif now_sha256 is None:
        what = "was removed"
    else:
        what = f"changed (sha256 {read_sha256[:12]}... when read, {now_sha256[:12]}... now)"
    raise PlatformError(
        f"{filename} {what} since the host was read: another process writes the license folder. "
        "Nothing was written; run again to plan against the folder as it is now"
    )


def upload(action: Any, name: str, text: str) -> str:
    """``text`` as the file ``name`` in the task's remote temporary directory, readable by the become
    user; its path. (ansible's ``_fixup_perms2`` leaves Windows hosts' files as they are.)"""
    tmpdir = action._connection._shell.tmpdir or action._make_tmp_path()
    source = action._connection._shell.join_path(tmpdir, name)
    action._transfer_data(source, text)
    action._fixup_perms2((tmpdir, source))
    return source


def platform_for(action: Any, hide: Any) -> Platform:
    """The adapter for the task's connection: PowerShell shells are Windows hosts, the rest the lab.

    ``action`` is the running action plugin: its ``_execute_module`` does the work, its ``var()`` gives
    the task's variables. ``hide(value)`` registers a value that must never appear in a result (a
    secret derived from an option, such as a password hash).
    """
    if getattr(action._connection._shell, "SHELL_FAMILY", None) == "powershell":
        from ansible_collections.printops.prismadirect.plugins.plugin_utils._platform_windows import (
            WindowsPlatform,
        )

        return WindowsPlatform(action, hide)
    from ansible_collections.printops.prismadirect.plugins.plugin_utils._platform_lab import LabPlatform

    return LabPlatform(action, hide)
