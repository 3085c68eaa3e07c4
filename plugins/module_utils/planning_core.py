# Copyright: (c) 2026, printops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every plan is made of: ``Change``, ``Plan``, and the host-state accessors the planners share.

Domain core: standard library only, no I/O, no Ansible imports. Import the plan functions from
``planning`` (the public face); this file is split out so that the per-module planners can share it
without importing each other.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ansible_collections.printops.prismadirect.plugins.module_utils import flexlm
from ansible_collections.printops.prismadirect.plugins.module_utils.settings import Patch
from ansible_collections.printops.prismadirect.plugins.module_utils.validation import Account, lab_user_name

__all__ = [
    "DEFAULT_SERVICE",
    "SECRET_ARG",
    "VERBS",
    "Change",
    "Plan",
    "find_account",
    "given",
    "ors_group",
    "parsed_licenses",
    "service_entry",
    "settings_view",
    "settings_warnings",
    "settings_write",
    "store_protection_drift",
    "store_protection_goal",
]

DEFAULT_SERVICE = "Print ORS Service"
VERBS = (
    "account.ensure",
    "account.grant_service_logon",
    "service.configure",
    "service.start",
    "service.restart",
    "settings.write",
    "share.ensure",
    "acl.ensure",
    "license.write",
    "license.reread",
)
SECRET_ARG = "(secret)"


@dataclass(frozen=True)
class Change:
    """One platform-neutral step for an adapter to apply.

    ``args`` is read-only by convention (a plain dict, so that it can be sent as JSON). The args named
    in ``secret_args`` hold secrets: adapters pass them with ``no_log`` and nothing shows them
    (``public_args``, ``repr``). ``requires_change`` names the verb of an earlier change of the same
    plan: apply this one only if that one reported a change (used where the host can tell only when
    applying, e.g. a Windows account password).
    """

    verb: str
    args: Mapping[str, Any]
    reason: str
    secret_args: tuple[str, ...] = ()
    requires_change: str | None = None

    def __post_init__(self) -> None:
        if self.verb not in VERBS:
            raise ValueError(f"unknown change verb {self.verb!r}; known: {', '.join(VERBS)}")
        if self.requires_change is not None and self.requires_change not in VERBS:
            raise ValueError(f"unknown change verb {self.requires_change!r} in requires_change")
        missing = [name for name in self.secret_args if name not in self.args]
        if missing:
            raise ValueError(f"secret_args {missing} are not args of {self.verb}")

    def public_args(self) -> dict[str, Any]:
        """``args`` with every secret arg replaced by ``(secret)``: safe to log, diff or return."""
        return {k: SECRET_ARG if k in self.secret_args else v for k, v in self.args.items()}

    def __repr__(self) -> str:
        tail = f", requires_change={self.requires_change!r}" if self.requires_change else ""
        return f"Change({self.verb!r}, {self.public_args()!r}, {self.reason!r}{tail})"


@dataclass(frozen=True)
class Plan:
    """A planner's answer: ordered ``changes``, Ansible's ``diff``, ``warnings``, the module ``result``.

    ``changed`` is what check mode reports; after applying, the action reports what the adapters'
    module calls reported (a change with ``requires_change`` may turn out to be nothing).
    """

    changes: tuple[Change, ...] = ()
    diff: Mapping[str, Any] = field(default_factory=lambda: {"before": {}, "after": {}})
    warnings: tuple[str, ...] = ()
    result: Mapping[str, Any] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return bool(self.changes)


def given(args: Mapping[str, Any], name: str, default: Any = None) -> Any:
    """An option's value; Ansible passes ``None`` for options left out, which means the default."""
    value = args.get(name)
    return default if value is None else value


def service_entry(state: Mapping[str, Any]) -> Mapping[str, Any]:
    return state.get("service") or {}


def settings_view(state: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The settings view, or ``None`` when the host has no readable store (it reads as the defaults).

    The reader's ``settings`` section is ``{"path", "exists", "owner", "group", "mode", "document",
    "error"}`` with the view under ``document``; a bare view (the short form of docs/internals.md) is
    accepted too.
    """
    section = state.get("settings")
    if not isinstance(section, Mapping) or not section:
        return None
    view = section.get("document") if "document" in section else section
    return view if isinstance(view, Mapping) and view else None


def settings_warnings(state: Mapping[str, Any]) -> list[str]:
    """A store the reader could not read is reported, not silently taken for the defaults."""
    section = state.get("settings")
    error = section.get("error") if isinstance(section, Mapping) else None
    if not error:
        return []
    return [f"the settings store could not be read ({error}): its settings count as the defaults here"]


def ors_group(state: Mapping[str, Any]) -> str | None:
    """The group of the account the service runs as, when the reader reported that account."""
    account = service_entry(state).get("account")
    accounts = {str(k).casefold(): v for k, v in (state.get("accounts") or {}).items()}
    entry = accounts.get(str(account).casefold()) if account else None
    return (entry or {}).get("group") or None


def find_account(state: Mapping[str, Any], account: Account) -> Mapping[str, Any]:
    """The reader's entry for ``account``, whatever name the adapter asked for it by.

    The adapter names the account in the platform's way (qualified on Windows, the lab's user name on
    the lab); the planner does not know the platform, so it tries each form, case-insensitively.
    """
    accounts = state.get("accounts") or {}
    by_name = {str(name).casefold(): entry for name, entry in accounts.items()}
    forms = [account.qualified, account.original, account.user]
    with contextlib.suppress(ValueError):  # not every Windows name has a lab form
        forms.append(lab_user_name(account))
    return next((by_name[f.casefold()] for f in forms if f.casefold() in by_name), {})


def settings_write(state: Mapping[str, Any], patch: Patch, reason: str) -> Change:
    """The ``settings.write`` change for ``patch``.

    ``path`` is where the reader found the store; ``group`` the ORS account's group and ``account`` the
    account the service runs as (the store must be readable by it: the lab gives the group read, Windows
    the account). ``None`` for any means the adapter's default.
    """
    section = state.get("settings")
    path = section.get("path") if isinstance(section, Mapping) else None
    args = {
        "path": path,
        "group": ors_group(state),
        "account": service_entry(state).get("account") or None,
        "set": dict(patch.set),
        "secrets": dict(patch.secrets),
    }
    return Change("settings.write", args, reason, secret_args=("secrets",))


STORE_OWNER, STORE_MODE = "root", "0640"


def store_protection_drift(state: Mapping[str, Any]) -> str | None:
    """Why the settings store is not protected as it must be (owner root, group = the ORS account's
    group, mode 0640), or ``None``. Only what the reader reports is compared: a platform that protects
    the store another way leaves these fields out, and may give its own verdict as ``protection`` (Windows:
    why the store's ACL is not exactly Administrators and SYSTEM full, the ORS account read)."""
    section = state.get("settings")
    if not isinstance(section, Mapping) or not section.get("exists"):
        return None
    if "protection" in section:
        return str(section["protection"]) if section["protection"] else None
    want = {"owner": STORE_OWNER, "group": ors_group(state), "mode": STORE_MODE}
    wrong = [
        f"{key} is {section[key]}, not {value}"
        for key, value in want.items()
        if value is not None and section.get(key) is not None and str(section[key]) != value
    ]
    return f"the settings store's {', '.join(wrong)}" if wrong else None


def store_protection_goal(state: Mapping[str, Any]) -> str:
    """How ``settings.write`` leaves the store protected, in the terms of the platform that read it (the
    diff's ``after``): a platform that gives its own verdict (``protection``, Windows) sets an ACL."""
    section = state.get("settings")
    if isinstance(section, Mapping) and "protection" in section:
        return "not inherited, Administrators and SYSTEM full control, the ORS account read"
    return f"owner {STORE_OWNER}, the ORS group, mode {STORE_MODE}"


def parsed_licenses(
    state: Mapping[str, Any],
) -> list[tuple[str, flexlm.License | None, str | None]]:
    """``(file name, License or None, why it could not be read)`` for each license the reader found.

    A broken license file must not break the module that reports it: it becomes a reason string.
    """
    parsed = []
    for index, entry in enumerate(state.get("licenses") or []):
        name = str(entry.get("name") or f"license #{index + 1}")
        try:
            lic = flexlm.parse_license(str(entry.get("text") or ""))
            lic.maintenance_end  # noqa: B018 - a malformed MAINTENANCE= date raises here, not later
            lic.issued  # noqa: B018
        except ValueError as exc:  # LicenseParseError is a ValueError
            parsed.append((name, None, str(exc)))
            continue
        parsed.append((name, lic, None))
    return parsed
