#!/usr/bin/python
# Copyright: (c) 2026, printops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: settings_store
author:
  - printops team
short_description: Write the Remote Service settings store document of a lab host (internal)
description:
  - Internal target-side writer of this collection, used by its action plugins to apply a
    C(settings.write) change (step 4, "Apply"). Playbooks normally do not call it; use the
    C(remote_service), C(remote_service_proxy) and C(remote_assistance) modules.
  - This is the B(lab platform) store adapter, a Python module run on a Linux stand-in host. The settings
    store is a JSON document (schema 1, see C(docs/internals.md)) readable only by root and the ORS
    account's group.
  - It takes a B(patch), non-secret values in O(set) and secrets in O(secrets), and keeps every other
    key of the document as it is, so that the controller never needs the current secrets to change
    another setting.
  - When the document does not exist it is created from the schema 1 defaults, with a new random
    C(salt); missing parent directories are created (mode C(0755), owner root).
  - Writes are atomic. The new document goes to a temporary file in the same directory, which gets its
    owner, group and mode, is flushed to disk, and is then renamed over the document.
  - Idempotent. When the patched document equals the current one and the owner, group and mode are
    already right, nothing is written. When only the ownership or mode differs, only those are fixed.
  - Secrets never leave the host. RV(view) has a fingerprint for each secret; the diff says
    C((secret changed)), C((secret set)), C((secret unchanged)) or C((not set)).
version_added: 0.1.0
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Computes the result and the diff and writes nothing.
  diff_mode:
    support: full
    details: Before and after of the non-secret values, the owner, the group and the mode; secrets as markers.
  platform:
    platforms: posix
options:
  path:
    description:
      - Path of the settings store document.
    type: path
    required: true
  owner:
    description:
      - Owner of the document (user name or number).
    type: str
    default: root
  group:
    description:
      - Group of the document (group name or number), the ORS account's group.
      - When omitted, an existing document keeps its group and a new one gets the primary group of
        O(owner).
    type: str
  mode:
    description:
      - Permission bits of the document, as octal digits.
    type: str
    default: "0640"
  set:
    description:
      - Non-secret values to set, as dotted keys, for example C(general.enabled=true) and
        C(proxy.mode=manual).
      - "Valid keys: C(general.enabled) (bool), C(general.organization_id), C(general.license_server)
        (V(local) or V(external)), C(general.license_path), C(proxy.mode) (V(none), V(auto_detect) or
        V(manual)), C(proxy.url), C(proxy.domain), C(proxy.username), C(remote_assistance.enabled) (bool),
        C(remote_assistance.until). The others take a string or V(null)."
      - An unknown key, or a secret key here, fails the task with the list of valid keys.
    type: dict
    default: {}
  secrets:
    description:
      - Secrets to set, as dotted keys, C(general.verification_code) and C(proxy.password). A string sets
        the secret; V(null) or an empty string clears it.
      - Never logged, returned or shown in a diff.
    type: dict
    default: {}
notes:
  - Run it as root (the lab runs as root), so that it can give the document its owner and group.
  - A document that is not valid JSON, or not schema 1, is not overwritten; the task fails and says so.
seealso:
  - module: printops.prismadirect.host_state
"""

EXAMPLES = r"""
- name: Turn Remote Service on with its credentials (lab)
  printops.prismadirect.settings_store:
    path: /srv/printops-lab/hosts/prisma1/ProgramData/PRISMAdirect/remote-service.json
    group: svc_ors_p1
    set:
      general.enabled: true
      general.organization_id: PRS-LAB-ORG
    secrets:
      general.verification_code: "{{ vault_remote_service_verification_code }}"

- name: Manual proxy with authentication
  printops.prismadirect.settings_store:
    path: /srv/printops-lab/hosts/prisma1/ProgramData/PRISMAdirect/remote-service.json
    group: svc_ors_p1
    set:
      proxy.mode: manual
      proxy.url: proxy.example.com:8080
      proxy.username: ors-proxy
    secrets:
      proxy.password: "{{ vault_proxy_password }}"
"""

RETURN = r"""
path:
  description: The document's path.
  returned: always
  type: str
created:
  description: Whether the document did not exist (and was, or in check mode would be, created).
  returned: always
  type: bool
changed_keys:
  description:
    - Dotted keys whose value changed, secrets included (by name only), sorted. Keys that were added
      because the document lacked them are included.
  returned: always
  type: list
  elements: str
  sample: [general.enabled, general.verification_code]
view:
  description:
    - The document after the patch (in check mode, as it would be), in the same shape as the
      C(settings) section of P(printops.prismadirect.host_state#module).
  returned: always
  type: dict
  contains:
    path:
      description: The document's path.
      type: str
    exists:
      description: V(true) (after a write or in check mode, as it would be).
      type: bool
    owner:
      description: Owner name.
      type: str
    group:
      description: Group name.
      type: str
    mode:
      description: Permission bits as four octal digits.
      type: str
      sample: "0640"
    document:
      description: The document with C(salt) kept and each secret replaced by C({"set", "fingerprint"}).
      type: dict
    error:
      description: Always V(null) here (a document that cannot be read fails the task).
      type: str
"""

import grp
import json
import os
import pwd
import re
import stat
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.parsing.convert_bool import BOOLEANS_FALSE, BOOLEANS_TRUE
from ansible_collections.printops.prismadirect.plugins.module_utils.lab_read_host import (
    group_name,
    user_name,
)
from ansible_collections.printops.prismadirect.plugins.module_utils.settings import (
    SECRET_KEYS,
    SETTING_KINDS,
    Patch,
    apply_patch,
    new_document,
    secret_markers,
    secret_value,
    view_of,
)

ALL_KEYS = tuple(SETTING_KINDS) + SECRET_KEYS
_SALT_RE = re.compile(r"^[0-9a-f]{32}$")


class StoreError(Exception):
    """A problem with the options or the current document; the message names the option or the file."""


def default_document(salt=None):
    """A new schema 1 document (``salt``: 32 hex digits, random by default)."""
    return new_document(salt or os.urandom(16).hex())


# --------------------------------------------------------------------------------------------------
# The patch (pure)


def _valid_keys():
    return ", ".join(SETTING_KINDS)


def _check_value(key, value):
    kind = SETTING_KINDS[key]
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in BOOLEANS_TRUE:
            return True
        if isinstance(value, str) and value.lower() in BOOLEANS_FALSE:
            return False
        raise StoreError(f"set: {key} takes true or false, not {json.dumps(value, default=str)}")
    if kind == "text":
        if value is None or isinstance(value, str):
            return value
        raise StoreError(f"set: {key} takes a string or null, not {json.dumps(value, default=str)}")
    if value in kind:
        return value
    choices = ", ".join(kind)
    raise StoreError(f"set: {key} takes one of {choices}, not {json.dumps(value, default=str)}")


def validate_patch(set_values, secrets):
    """``(set, secrets)`` checked and normalized; ``StoreError`` naming the option and key otherwise."""
    set_values = dict(set_values or {})
    secrets = dict(secrets or {})
    checked_set = {}
    for key, value in set_values.items():
        if key in SECRET_KEYS:
            raise StoreError(f"set: {key} is a secret: give it under secrets, not set")
        if key not in SETTING_KINDS:
            raise StoreError(f"set: unknown key {json.dumps(key)}; valid keys: {_valid_keys()}")
        checked_set[key] = _check_value(key, value)
    checked_secrets = {}
    for key, value in secrets.items():
        if key not in SECRET_KEYS:
            if key in SETTING_KINDS:
                raise StoreError(f"secrets: {key} is not a secret: give it under set")
            raise StoreError(
                "secrets: unknown key {}; valid keys: {}".format(json.dumps(key), ", ".join(SECRET_KEYS))
            )
        if value is not None and not isinstance(value, str):
            raise StoreError(f"secrets: {key} takes a string or null")  # never echo the value
        checked_secrets[key] = value or None
    return checked_set, checked_secrets


def complete_document(current):
    """The current document with every schema 1 key present (missing ones from the defaults)."""
    document = json.loads(json.dumps(current))
    defaults = default_document()
    if not isinstance(document.get("salt"), str) or not _SALT_RE.match(document["salt"]):
        document["salt"] = defaults["salt"]
    for section_name, section_defaults in defaults.items():
        if not isinstance(section_defaults, dict):
            document.setdefault(section_name, section_defaults)
            continue
        section = document.setdefault(section_name, {})
        if not isinstance(section, dict):
            raise StoreError(f"the document's {section_name} is not a JSON object: fix or remove the file")
        for name, value in section_defaults.items():
            section.setdefault(name, value)
    return document


_MISSING = object()


def changed_keys(before, after):
    """Dotted keys of the schema whose value differs between two documents (``before`` may be None)."""
    changed = []
    for key in ALL_KEYS:
        section_name, name = key.split(".", 1)
        old = (before or {}).get(section_name)
        old_value = old.get(name, _MISSING) if isinstance(old, dict) else _MISSING
        if old_value != after[section_name][name]:
            changed.append(key)
    return sorted(changed)


def masked_settings(document, other=None, side="after"):
    """``document`` without ``salt``, each secret replaced by its marker, for one side of a diff.

    ``other`` is the document on the other side of the diff (``None``: there is none).
    """
    masked = json.loads(json.dumps(document))
    masked.pop("salt", None)
    for key in SECRET_KEYS:
        section_name, name = key.split(".", 1)
        value, other_value = secret_value(document, key), secret_value(other, key)
        if not isinstance(masked.get(section_name), dict):
            masked[section_name] = {}
        before, after = (other_value, value) if side == "after" else (value, other_value)
        markers = secret_markers(before is not None, before != after, after is None)
        masked[section_name][name] = markers[1] if side == "after" else markers[0]
    return masked


# --------------------------------------------------------------------------------------------------
# Files


def _uid(owner):
    if re.match(r"^\d+$", owner):
        return int(owner)
    try:
        return pwd.getpwnam(owner).pw_uid
    except KeyError:
        raise StoreError(f"owner: no user {json.dumps(owner)} on this host") from None


def _gid(group):
    if re.match(r"^\d+$", group):
        return int(group)
    try:
        return grp.getgrnam(group).gr_gid
    except KeyError:
        raise StoreError(
            f"group: no group {json.dumps(group)} on this host: create the ORS account (and its group) first"
        ) from None


def _mode(mode):
    text = str(mode).strip()
    if not re.match(r"^0?[0-7]{3,4}$", text) or int(text, 8) > 0o7777:
        raise StoreError(f"mode: {json.dumps(text)} is not an octal mode: expected for example 0640")
    return int(text, 8)


def read_document(path):
    """The current document (a dict) or ``None`` when the file does not exist."""
    if not os.path.lexists(path):
        return None
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as exc:
        raise StoreError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        document = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise StoreError(
            f"{path} is not UTF-8 JSON: fix it, or remove it to start from the defaults"
        ) from None
    except ValueError as exc:
        raise StoreError(
            f"{path} is not valid JSON ({exc}): fix it, or remove it to start from the defaults"
        ) from None
    if not isinstance(document, dict):
        raise StoreError(
            f"{path} does not hold a JSON object: fix it, or remove it to start from the defaults"
        )
    if document.get("schema") != 1:
        raise StoreError(
            "{} has schema {}; this writer knows schema 1 only and leaves it as it is".format(
                path, json.dumps(document.get("schema"))
            )
        )
    return document


def render(document):
    return (json.dumps(document, indent=2) + "\n").encode("utf-8")


def make_parents(directory):
    """Create the missing directories of ``directory`` (mode 0755; owner root when run as root)."""
    missing = []
    current = os.path.abspath(directory)
    while not os.path.isdir(current):
        missing.append(current)
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    for path in reversed(missing):
        os.mkdir(path, 0o755)
        os.chmod(path, 0o755)
        if os.geteuid() == 0:
            os.chown(path, 0, 0)


def write_atomic(path, data, uid, gid, mode):
    """Write ``data`` to a temp file beside ``path`` (owner, group, mode set, fsynced) and rename it."""
    directory = os.path.dirname(os.path.abspath(path))
    make_parents(directory)
    fd, temp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchown(handle.fileno(), uid, gid)
            os.fchmod(handle.fileno(), mode)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        if os.path.lexists(temp):
            os.unlink(temp)
        raise
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def ensure_settings(
    path, set_values=None, secrets=None, owner="root", group=None, mode="0640", check_mode=False
):
    """Apply a patch to the settings document at ``path``; the module's result (``diff`` included)."""
    set_values, secrets = validate_patch(set_values, secrets)
    uid = _uid(owner)
    want_mode = _mode(mode)
    current = read_document(path)
    st = os.stat(path) if current is not None else None
    if group is not None:
        gid = _gid(group)
    elif st is not None:
        gid = st.st_gid
    else:
        try:
            gid = pwd.getpwuid(uid).pw_gid
        except KeyError:
            gid = 0
    base = complete_document(current) if current is not None else default_document()
    after = apply_patch(base, Patch(set=set_values, secrets=secrets))
    content_changed = current is None or after != current
    attrs_changed = st is None or (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) != (uid, gid, want_mode)
    changed = content_changed or attrs_changed
    if changed and not check_mode:
        if content_changed:
            write_atomic(path, render(after), uid, gid, want_mode)
        else:
            os.chown(path, uid, gid)
            os.chmod(path, want_mode)
    attrs_after = {
        "owner": user_name(uid),
        "group": group_name(gid),
        "mode": f"{want_mode:04o}",
    }
    if current is None:
        before_diff = {"path": path, "state": "absent"}
    else:
        before_diff = {
            "path": path,
            "state": "present",
            "owner": user_name(st.st_uid),  # as read before the write
            "group": group_name(st.st_gid),
            "mode": f"{stat.S_IMODE(st.st_mode):04o}",
            "settings": masked_settings(current, after, side="before"),
        }
    after_diff = {"path": path, "state": "present"}
    after_diff.update(attrs_after)
    after_diff["settings"] = masked_settings(after, current, side="after")
    view = {"path": path, "exists": True}
    view.update(attrs_after)
    view.update({"document": view_of(after), "error": None})
    return {
        "changed": changed,
        "path": path,
        "created": current is None,
        "changed_keys": changed_keys(current, after),
        "view": view,
        "diff": {"before": before_diff, "after": after_diff, "before_header": path, "after_header": path},
    }


def main():
    module = AnsibleModule(
        argument_spec={
            "path": {"type": "path", "required": True},
            "owner": {"type": "str", "default": "root"},
            "group": {"type": "str"},
            "mode": {"type": "str", "default": "0640"},
            "set": {"type": "dict", "default": {}},
            "secrets": {"type": "dict", "default": {}, "no_log": True},
        },
        supports_check_mode=True,
    )
    params = module.params
    try:
        result = ensure_settings(
            params["path"],
            set_values=params["set"],
            secrets=params["secrets"],
            owner=params["owner"],
            group=params["group"],
            mode=params["mode"],
            check_mode=module.check_mode,
        )
    except StoreError as exc:
        module.fail_json(msg=str(exc))
    except OSError as exc:
        module.fail_json(msg="cannot write {}: {}".format(params["path"], exc.strerror or exc))
    diff = result.pop("diff")
    if module._diff and result["changed"]:
        result["diff"] = diff
    module.exit_json(**result)


if __name__ == "__main__":
    main()
