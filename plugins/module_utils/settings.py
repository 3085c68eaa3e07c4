# Copyright: (c) 2026, printops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Remote Service settings model: the store document (schema 1), its view, patches and diffs.

Domain core: standard library only, no I/O, no Ansible imports. The shapes are those of
``docs/internals.md``:

- the **document** is what the store adapter keeps on the host (secrets in clear, plus a random salt);
- the **view** is what the reader returns: the document with each secret replaced by
  ``{"set": bool, "fingerprint": hex|None}`` (in place, or under a ``"secrets"`` map keyed by dotted
  key; both are understood) and the salt kept; a missing document reads as ``None``/``{}`` and stands
  for ``DEFAULT_DOCUMENT``;
- a **patch** is what the store adapter applies: non-secret dotted keys to set, and secrets to set or
  clear. Every other key is kept, so the controller never needs the current secrets.

Secrets are never part of a diff or a ``repr``: only the markers below are.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "DEFAULT_DOCUMENT",
    "LICENSE_SERVERS",
    "NOT_SET",
    "PROXY_MODES",
    "SCHEMA",
    "SECRET_CHANGED",
    "SECRET_KEYS",
    "SECRET_MAY_CHANGE",
    "SECRET_SET",
    "SECRET_UNCHANGED",
    "SECTIONS",
    "SETTING_KEYS",
    "SETTING_KINDS",
    "Patch",
    "apply_patch",
    "assistance_blockers",
    "current_values",
    "fingerprint",
    "flatten",
    "new_document",
    "secret_is_set",
    "secret_markers",
    "secret_matches",
    "secret_state",
    "secret_value",
    "settings_diff",
    "settings_patch",
    "unflatten",
    "view_of",
]

SCHEMA = 1
SECTIONS = ("general", "proxy", "remote_assistance")
DEFAULT_DOCUMENT: Mapping[str, Any] = {
    "schema": SCHEMA,
    "salt": None,
    "general": {
        "enabled": False,
        "organization_id": None,
        "verification_code": None,
        "license_server": "local",
        "license_path": None,
    },
    "proxy": {"mode": "none", "url": None, "domain": None, "username": None, "password": None},
    "remote_assistance": {"enabled": False, "until": None},
}
SECRET_KEYS = ("general.verification_code", "proxy.password")
PROXY_MODES = ("none", "auto_detect", "manual")
LICENSE_SERVERS = ("local", "external")

SECRET_UNCHANGED = "(secret unchanged)"
SECRET_CHANGED = "(secret changed)"
SECRET_SET = "(secret set)"
SECRET_MAY_CHANGE = "(secret may change)"
NOT_SET = "(not set)"


def flatten(document: Mapping[str, Any] | None) -> dict[str, Any]:
    """``{"general": {"enabled": True}}`` -> ``{"general.enabled": True}`` for the three sections.

    ``schema``, ``salt`` and a view's ``secrets`` map are not settings and are left out; a secret's
    view entry (``{"set", "fingerprint"}``) is kept as one value.
    """
    flat: dict[str, Any] = {}
    for section in SECTIONS:
        values = (document or {}).get(section)
        if isinstance(values, Mapping):
            for name, value in values.items():
                flat[f"{section}.{name}"] = value
    return flat


def unflatten(flat: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """``{"general.enabled": True}`` -> ``{"general": {"enabled": True}}`` (one level of sections)."""
    nested: dict[str, dict[str, Any]] = {}
    for key, value in flat.items():
        section, _, name = key.partition(".")
        if not name:
            raise ValueError(f"settings key {key!r} is not section.name")
        nested.setdefault(section, {})[name] = value
    return nested


SETTING_KEYS = tuple(key for key in flatten(DEFAULT_DOCUMENT) if key not in SECRET_KEYS)
#: What each non-secret key takes: ``bool``, ``text`` (a string or null) or a tuple of choices. The store
#: adapters check a patch against it, so a bad value never reaches a host's document.
SETTING_KINDS: Mapping[str, Any] = {
    "general.enabled": "bool",
    "general.organization_id": "text",
    "general.license_server": LICENSE_SERVERS,
    "general.license_path": "text",
    "proxy.mode": PROXY_MODES,
    "proxy.url": "text",
    "proxy.domain": "text",
    "proxy.username": "text",
    "remote_assistance.enabled": "bool",
    "remote_assistance.until": "text",
}


def new_document(salt_hex: str) -> dict[str, Any]:
    """A fresh document; the store adapter draws the salt (16 random bytes, hex) when it creates it."""
    bytes.fromhex(salt_hex)
    document = copy.deepcopy(dict(DEFAULT_DOCUMENT))
    document["salt"] = salt_hex
    return document


def fingerprint(salt_hex: str, secret: str) -> str:
    """HMAC-SHA256 keyed by the store's salt: lets the controller tell whether a secret changed without
    the secret ever leaving the host, and without a plain hash that could be looked up."""
    return hmac.new(bytes.fromhex(salt_hex), secret.encode("utf-8"), hashlib.sha256).hexdigest()


def secret_value(document: Mapping[str, Any] | None, key: str) -> str | None:
    """A secret of a store document, or ``None`` when it is not set: ``""`` and non-strings (a document
    edited by hand) count as not set, so that no reader or writer crashes on them."""
    section, name = key.split(".")
    values = (document or {}).get(section)
    value = values.get(name) if isinstance(values, Mapping) else None
    return value if isinstance(value, str) and value else None


def view_of(document: Mapping[str, Any]) -> dict[str, Any]:
    """The reader's view of a document: the same transformation on every platform, written once.

    A salt that is not hex gives no fingerprint (the secret then reads as "cannot be compared")."""
    view = copy.deepcopy(dict(document))
    salt = document.get("salt")
    for key in SECRET_KEYS:
        section, name = key.split(".")
        value = secret_value(document, key)
        entry = {"set": value is not None, "fingerprint": None}
        if value is not None and isinstance(salt, str):
            with contextlib.suppress(ValueError):
                entry["fingerprint"] = fingerprint(salt, value)
        if not isinstance(view.get(section), dict):
            view[section] = {}
        view[section][name] = entry
    return view


def secret_state(view: Mapping[str, Any] | None, key: str) -> dict[str, Any]:
    """``{"set": bool, "fingerprint": str|None}`` for a secret key, wherever the view keeps it."""
    if key not in SECRET_KEYS:
        raise ValueError(f"{key!r} is not a secret settings key; secrets are {', '.join(SECRET_KEYS)}")
    view = view or {}
    entry = (view.get("secrets") or {}).get(key)
    if entry is None:
        entry = flatten(view).get(key)
    if isinstance(entry, Mapping):
        return {"set": bool(entry.get("set")), "fingerprint": entry.get("fingerprint") or None}
    # A bare value would be a reader leaking a secret; never pass it on.
    return {"set": entry is not None, "fingerprint": None}


def secret_is_set(view: Mapping[str, Any] | None, key: str) -> bool:
    return secret_state(view, key)["set"]


def secret_matches(view: Mapping[str, Any] | None, key: str, desired: str | None) -> bool | None:
    """Whether the host's secret equals ``desired`` (``None``: cleared).

    ``None`` means it cannot be told (a set secret without fingerprint or salt): the caller writes the
    secret, which is safe and keeps the host right, at the price of a reported change.
    """
    state = secret_state(view, key)
    if desired is None or not state["set"]:
        return (desired is None) == (not state["set"])
    salt = (view or {}).get("salt")
    if not state["fingerprint"] or not salt:
        return None
    try:
        wanted = fingerprint(salt, desired)
    except ValueError:
        return None
    return hmac.compare_digest(wanted, str(state["fingerprint"]))


def current_values(view: Mapping[str, Any] | None) -> dict[str, Any]:
    """Every non-secret setting (dotted key -> value); what the host lacks has its default."""
    defaults = flatten(DEFAULT_DOCUMENT)
    found = flatten(view)
    return {key: found.get(key, defaults[key]) for key in SETTING_KEYS}


_KINDS = (bool, int, float, str)  # bool first: it is an int too


def _kind(value: Any) -> type | None:
    # Task arguments arrive as subclasses of these (ansible-core 2.19 tags its strings).
    return next((kind for kind in _KINDS if isinstance(value, kind)), None)


def _same(a: Any, b: Any) -> bool:
    """Equal and of the same kind: a store holding ``1`` for ``true`` is rewritten, not trusted."""
    return _kind(a) is _kind(b) and a == b


@dataclass(frozen=True)
class Patch:
    """What a ``settings.write`` sends to the store adapter: only what differs.

    ``secrets`` maps a secret key to its new value (``None`` clears it); it is never shown in a
    ``repr``. ``changed_keys`` lists every key the patch touches, in document order.
    """

    set: Mapping[str, Any] = field(default_factory=dict)
    secrets: Mapping[str, str | None] = field(default_factory=dict, repr=False)
    changed_keys: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.changed_keys


_KEY_ORDER = {key: index for index, key in enumerate(flatten(DEFAULT_DOCUMENT))}


def settings_patch(
    view: Mapping[str, Any] | None,
    desired: Mapping[str, Any],
    desired_secrets: Mapping[str, str | None] | None = None,
) -> Patch:
    """The smallest patch that brings the host's settings to ``desired`` / ``desired_secrets``.

    Keys absent from both are left alone. A secret is written when its state (set or not) or its
    fingerprint differs, or when that cannot be told.
    """
    unknown = [k for k in desired if k not in SETTING_KEYS]
    unknown += [k for k in (desired_secrets or {}) if k not in SECRET_KEYS]
    if unknown:
        raise ValueError(f"unknown settings keys: {', '.join(sorted(unknown))}")
    current = current_values(view)
    to_set = {k: v for k, v in desired.items() if not _same(current[k], v)}
    secrets = {k: v for k, v in (desired_secrets or {}).items() if secret_matches(view, k, v) is not True}
    changed = tuple(sorted([*to_set, *secrets], key=_KEY_ORDER.__getitem__))
    return Patch(set=to_set, secrets=secrets, changed_keys=changed)


def apply_patch(document: Mapping[str, Any], patch: Patch) -> dict[str, Any]:
    """The document after ``patch``: what the store adapter writes (kept here so that every platform's
    store and the tests agree on it)."""
    result = copy.deepcopy(dict(document))
    for key, value in [*patch.set.items(), *patch.secrets.items()]:
        section, name = key.split(".")
        result.setdefault(section, {})[name] = value
    return result


def secret_markers(was_set: bool, written: bool, cleared: bool = False) -> tuple[str, str]:
    """``(before, after)`` diff markers of one secret: ``written`` says it gets a new value, ``cleared``
    that the new value is none. Shared by the planners' diff and the store adapters' own diff."""
    if not written:
        marker = SECRET_UNCHANGED if was_set else NOT_SET
        return marker, marker
    before = SECRET_SET if was_set else NOT_SET
    if cleared:
        return before, NOT_SET
    return before, SECRET_CHANGED if was_set else SECRET_SET


def settings_diff(
    view: Mapping[str, Any] | None, patch: Patch, sections: Iterable[str] | None = None
) -> dict[str, dict[str, Any]]:
    """Ansible's ``{"before", "after"}``, nested like the document, limited to ``sections``.

    Secrets appear only as markers: ``(secret unchanged)``, ``(secret changed)``, ``(secret set)``,
    ``(not set)``; never a value or a fingerprint.
    """
    wanted = tuple(sections) if sections is not None else SECTIONS
    before = current_values(view)
    after = {**before, **patch.set}
    for key in SECRET_KEYS:
        written = key in patch.secrets
        cleared = written and patch.secrets[key] is None
        before[key], after[key] = secret_markers(secret_is_set(view, key), written, cleared)

    def nest(flat: dict[str, Any]) -> dict[str, Any]:
        ordered = dict(sorted(flat.items(), key=lambda item: _KEY_ORDER[item[0]]))
        return {s: v for s, v in unflatten(ordered).items() if s in wanted}

    return {"before": nest(before), "after": nest(after)}


def _service_blocker(service_state: Mapping[str, Any] | str | None) -> str | None:
    if isinstance(service_state, Mapping):
        name = service_state.get("name") or "Print ORS Service"
        state = service_state.get("state") if service_state.get("exists", True) else "not installed"
    else:
        name, state = "Print ORS Service", service_state
    if state == "running":
        return None
    fix = "start it (printops.prismadirect.ors_account sets it to start automatically and starts it)"
    if state == "not installed":
        fix = "install the PRISMAdirect Remote Service component, then run printops.prismadirect.ors_account"
    return f"{name} is {state or 'in an unknown state'}: the Remote Service cannot connect; {fix}"


def _proxy_blocker(values: Mapping[str, Any]) -> str | None:
    mode = values["proxy.mode"]
    module = "printops.prismadirect.remote_service_proxy"
    if mode == "auto_detect":
        return (
            "the proxy is set to automatic detection, which remote assistance cannot use: configure it "
            f"manually ({module} with mode: manual and url: host:port), or mode: none when this host "
            "reaches the internet directly"
        )
    if mode == "manual" and not values["proxy.url"]:
        return f"the proxy mode is manual but no proxy URL is set: give url (host:port) with {module}"
    if mode not in PROXY_MODES:
        return f"the proxy mode {mode!r} is unknown: set mode: manual (or none) with {module}"
    return None


def assistance_blockers(
    view: Mapping[str, Any] | None, service_state: Mapping[str, Any] | str | None
) -> list[str]:
    """Every missing prerequisite of remote assistance (SPEC procedure B), each with its fix.

    The proxy rule: the SPEC forbids automatic detection (the help desk's remote-desktop connection
    cannot use the browser's proxy settings) and asks for a manually configured proxy. Mode ``none``
    (direct internet access) is accepted: a network without a proxy has nothing to configure, and a
    missing connection shows as an orange light instead. ``manual`` needs a URL.

    ``service_state`` is the host state's ``service`` entry, or just its ``state`` string.
    """
    values = current_values(view)
    remote_service = "printops.prismadirect.remote_service"
    blockers = []
    if values["general.enabled"] is not True:
        blockers.append(f"the Remote Service is not enabled: set enabled: true with {remote_service}")
    if not values["general.organization_id"]:
        blockers.append(f"no Service organization ID is set: give organization_id with {remote_service}")
    if not secret_is_set(view, "general.verification_code"):
        blockers.append(f"no Verification code is set: give verification_code with {remote_service}")
    blockers += [b for b in (_proxy_blocker(values), _service_blocker(service_state)) if b]
    return blockers
