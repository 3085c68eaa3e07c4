"""Each custom module's documentation (plugins/modules/<name>.py, doc fragments merged as ansible-doc
does) declares exactly the options of its action plugin's argument spec: names, type, required,
default, choices, elements and suboptions; and the secret options, and only they, are ``no_log``."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import pytest
from ansible.plugins.loader import fragment_loader
from ansible.utils.plugin_docs import get_docstring

MODULES = Path(__file__).resolve().parents[4] / "plugins" / "modules"
SECRETS = {
    "ors_account": {"password"},
    "remote_service": {"verification_code"},
    "remote_service_proxy": {"authentication.password"},
    "remote_assistance": set(),
    "remote_service_info": set(),
    "license_share": {"accounts.password"},
    "floating_license": set(),  # a license is not a secret (its text is never shown whole, though)
    "floating_license_info": set(),
}


def documented(name: str) -> dict[str, Any]:
    doc, *_ = get_docstring(
        str(MODULES / f"{name}.py"), fragment_loader, collection_name="printops.prismadirect"
    )
    return doc


def normalised(options: dict[str, Any], sub: str) -> dict[str, Any]:
    """What both sides must agree on, with Ansible's defaults filled in."""
    return {
        name: {
            "type": spec.get("type", "str"),
            "required": spec.get("required", False),
            "default": spec.get("default"),
            "choices": spec.get("choices"),
            "elements": spec.get("elements"),
            "options": normalised(spec[sub], sub) if spec.get(sub) else None,
        }
        for name, spec in options.items()
    }


def no_log_options(options: dict[str, Any], prefix: str = "") -> set[str]:
    found = set()
    for name, spec in options.items():
        if spec.get("no_log"):
            found.add(prefix + name)
        found |= no_log_options(spec.get("options") or {}, f"{prefix}{name}.")
    return found


@pytest.mark.parametrize("name", sorted(SECRETS))
def test_documentation_equals_the_argument_spec(name):
    action = importlib.import_module(f"ansible_collections.printops.prismadirect.plugins.action.{name}")
    argspec = action.ActionModule.ARGSPEC
    assert normalised(documented(name)["options"], "suboptions") == normalised(argspec, "options")
    assert no_log_options(argspec) == SECRETS[name]


@pytest.mark.parametrize("name", sorted(SECRETS))
def test_every_return_value_has_returned_type_and_sample_or_contains(name):
    _, _, returns, _ = get_docstring(str(MODULES / f"{name}.py"), fragment_loader)
    for key, entry in returns.items():
        assert {"description", "returned", "type"} <= set(entry), key
        assert "sample" in entry or "contains" in entry, key
