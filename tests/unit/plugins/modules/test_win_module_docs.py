"""The Windows target modules (plugins/modules/<name>.ps1) and their sidecar documentation (<name>.yml).

A PowerShell module cannot hold its DOCUMENTATION, so ansible-doc reads <name>.yml beside it. Its options
must be exactly the script's Ansible.Basic ``$spec`` (read by ps_argspec.py): names, type, elements,
choices, default, required, aliases and suboptions, and the ``no_log`` options, and only they, say so in
their description. And no module is both a ``.ps1`` and a ``.py``: the loader would pick either."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest
from ansible.plugins.loader import fragment_loader
from ansible.utils.plugin_docs import get_docstring

REPO = Path(__file__).resolve().parents[4]
MODULES = REPO / "plugins" / "modules"
SCRIPTS = sorted(MODULES.glob("*.ps1"))
#: What a no_log option's description says (the reader of the docs must know it is a secret).
NO_LOG_MARK = "This option is C(no_log)."


def _ps_argspec() -> Any:
    """tests/unit/plugins/plugin_utils/ps_argspec.py (not a package: loaded by path, once)."""
    if "ps_argspec" not in sys.modules:
        path = REPO / "tests" / "unit" / "plugins" / "plugin_utils" / "ps_argspec.py"
        spec = importlib.util.spec_from_file_location("ps_argspec", path)
        module = importlib.util.module_from_spec(spec)
        sys.modules["ps_argspec"] = module
        spec.loader.exec_module(module)
    return sys.modules["ps_argspec"]


def script_spec(script: Path) -> dict[str, Any]:
    spec = _ps_argspec().new_style_spec(script.read_text(encoding="utf-8-sig"))
    assert spec is not None, f"{script.name}: no Ansible.Basic $spec = @{{ ... }} found"
    return spec


def documented(script: Path) -> dict[str, Any]:
    doc, *_ = get_docstring(
        str(script.with_suffix(".yml")),
        fragment_loader,
        collection_name="printops.prismadirect",
        is_module=True,
    )
    return doc


def _description(option: dict[str, Any]) -> str:
    text = option.get("description") or ""
    return " ".join(text) if isinstance(text, list) else str(text)


def _options(options: dict[str, Any], secret: Any, nested: str) -> dict[str, dict[str, Any]]:
    """Options in one form: ``secret`` tells a secret option, ``nested`` names the suboptions' key."""
    return {
        name: {
            "type": option.get("type", "str"),
            "elements": option.get("elements"),
            "choices": option.get("choices"),
            "default": option.get("default"),
            "required": bool(option.get("required", False)),
            "aliases": sorted(option.get("aliases") or []),
            "secret": secret(option),
            "suboptions": _options(option[nested], secret, nested) if option.get(nested) else None,
        }
        for name, option in options.items()
    }


def from_spec(options: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The script's options with Ansible.Basic's defaults filled in."""
    return _options(options, lambda option: bool(option.get("no_log", False)), "options")


def from_docs(options: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The documented options, in the same form (a secret is an option whose description says so)."""
    return _options(options, lambda option: NO_LOG_MARK in _description(option), "suboptions")


def differences(script: dict[str, Any], docs: dict[str, Any], prefix: str = "") -> list[str]:
    found = []
    for name in sorted(set(script) | set(docs)):
        if name not in docs:
            found.append(f"{prefix}{name}: in the script's $spec, not documented")
            continue
        if name not in script:
            found.append(f"{prefix}{name}: documented, not in the script's $spec")
            continue
        for key in script[name]:
            ours, theirs = script[name][key], docs[name][key]
            if key == "suboptions":
                found += differences(ours or {}, theirs or {}, f"{prefix}{name}.")
            elif key == "secret" and ours != theirs:
                found.append(
                    f"{prefix}{name}: no_log is {ours} in the script, so its description must "
                    f"{'' if ours else 'not '}say {NO_LOG_MARK!r}"
                )
            elif ours != theirs:
                found.append(f"{prefix}{name}.{key}: script {ours!r}, docs {theirs!r}")
    return found


def test_the_windows_modules_are_found():
    names = {script.stem for script in SCRIPTS}
    assert {"win_host_state", "win_settings_store"} <= names


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda path: path.stem)
def test_every_script_has_sidecar_documentation(script):
    sidecar = script.with_suffix(".yml")
    assert sidecar.is_file(), f"{script.name}: ansible-doc needs {sidecar.name} beside it (DOCUMENTATION)"
    doc = documented(script)
    assert doc["module"] == script.stem
    assert doc["short_description"].startswith("Private to this collection: ")
    assert doc["author"] and doc["version_added"]


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda path: path.stem)
def test_the_documented_options_are_the_scripts_spec(script):
    spec = script_spec(script)
    doc = documented(script)
    problems = differences(from_spec(spec["options"]), from_docs(doc.get("options") or {}))
    assert problems == [], f"{script.stem}.yml does not document {script.name}'s $spec:\n" + "\n".join(
        problems
    )
    check_mode = doc["attributes"]["check_mode"]["support"]
    assert (check_mode != "none") == bool(spec.get("supports_check_mode")), "attributes.check_mode"


def test_a_difference_is_reported():
    script = from_spec(
        {
            "sections": {"type": "list", "elements": "str", "required": True, "choices": ["a", "b"]},
            "secrets": {"type": "dict", "default": {}, "no_log": True},
            "accounts": {"type": "list", "elements": "dict", "options": {"name": {"required": True}}},
        }
    )
    docs = from_docs(
        {
            "sections": {"type": "list", "elements": "str", "choices": ["a"]},
            "secrets": {"type": "dict", "default": {}, "description": ["Secrets."]},
            "accounts": {"type": "list", "elements": "dict", "suboptions": {"name": {}, "extra": {}}},
        }
    )
    assert differences(script, docs) == [
        "accounts.extra: documented, not in the script's $spec",
        "accounts.name.required: script True, docs False",
        "secrets: no_log is True in the script, so its description must say 'This option is C(no_log).'",
        "sections.choices: script ['a', 'b'], docs ['a']",
        "sections.required: script True, docs False",
    ]


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda path: path.stem)
def test_no_powershell_module_has_a_python_twin(script):
    twin = script.with_suffix(".py")
    assert not twin.exists(), (
        f"plugins/modules/{script.name} and {twin.name} are one module name with two implementations. "
        "On a connection whose shell is not PowerShell (local, ssh) the connection's "
        "module_implementation_preferences is ('',): the loader takes the first <name>.* file in sorted "
        "order, and .ps1 sorts before .py, so a Linux host gets the PowerShell script and fails with "
        "module interpreter 'powershell' was not found. Give the Windows module its own name "
        "(win_<name>.ps1, documented by win_<name>.yml)."
    )
