"""The example production inventory (``inventories/production.example/``, docs/windows.md) as an operator
meets it: ``ansible-inventory`` reads it without the vault, every role variable it sets is one the roles
declare, every collection variable one the collection reads, and its vault example holds no secret."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
INVENTORY = REPO / "inventories" / "production.example"
VAULT_EXAMPLE = INVENTORY / "group_vars" / "all" / "vault.yml.example"
ROLE_PREFIXES = {"remote_service_": "remote_service", "floating_license_": "floating_license"}
# Secret values, not settings such as remote_service_update_password.
SECRET_NAME = re.compile(r"(?<!update_)password$|verification_code$")
VAULT_REFERENCE = re.compile(r"\{\{\s*(vault_\w+)\s*\}\}")


@cache
def inventory() -> dict[str, Any]:
    """``ansible-inventory --list`` of the example, without any vault password."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("ANSIBLE_VAULT")}
    env.update(ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-inventory"), "-i", str(INVENTORY), "--list"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "[WARNING]" not in proc.stderr, proc.stderr
    return json.loads(proc.stdout)


def hostvars() -> dict[str, dict[str, Any]]:
    return inventory()["_meta"]["hostvars"]


def group_hosts(group: str) -> list[str]:
    return inventory()[group]["hosts"]


def declared_options(role: str) -> set[str]:
    specs = yaml.safe_load((REPO / "roles" / role / "meta" / "argument_specs.yml").read_text())
    return set(specs["argument_specs"]["main"]["options"])


def collection_variables() -> set[str]:
    """``prismadirect_*`` names the collection reads: a ``vars:`` source of the lookup's options, or a
    name its roles, playbooks or platform adapters use."""
    names = set()
    for source in (
        REPO / "plugins" / "doc_fragments" / "backoffice.py",
        REPO / "plugins" / "lookup" / "latest_license.py",
    ):
        names |= set(re.findall(r"- name: (prismadirect_\w+)", source.read_text()))
    texts = [p.read_text() for p in (REPO / "roles").rglob("*.yml")]
    texts += [p.read_text() for p in (REPO / "playbooks").glob("*.yml")]
    texts += [p.read_text() for p in (REPO / "plugins" / "plugin_utils").glob("_platform*.py")]
    for text in texts:
        names |= set(re.findall(r"\b(prismadirect_\w+)\b", text))
    return names


def test_the_inventory_parses_without_the_vault():
    prismadirect, fls = group_hosts("prismadirect"), group_hosts("floating_license_servers")
    assert len(prismadirect) >= 2 and len(fls) >= 1
    for host, variables in hostvars().items():
        assert variables["ansible_host"].endswith(".example.com"), host
    # Vault references stay templates until a task uses them.
    assert (
        hostvars()[prismadirect[0]]["remote_service_ors_password"]
        == "{{ vault_remote_service_ors_password }}"
    )


def test_one_fls_serves_several_prismadirect_hosts():
    clients: dict[str, list[str]] = {}
    for host in group_hosts("prismadirect"):
        fls = hostvars()[host].get("prismadirect_fls_host")
        if fls is not None:
            assert fls in group_hosts("floating_license_servers"), f"{host}: {fls} is not an FLS"
            clients.setdefault(fls, []).append(host)
        else:
            assert hostvars()[host]["remote_service_license_server"] == "local", host
    assert max(len(hosts) for hosts in clients.values()) >= 2, clients


def test_every_role_variable_is_declared_by_its_role():
    for host, variables in hostvars().items():
        for name in variables:
            role = next((role for prefix, role in ROLE_PREFIXES.items() if name.startswith(prefix)), None)
            if role is not None:
                assert name in declared_options(role), (
                    f"{host}: {name} is not in roles/{role}/meta/argument_specs.yml"
                )


def test_every_collection_variable_is_one_the_collection_reads():
    known = collection_variables()
    for host, variables in hostvars().items():
        for name in variables:
            if name.startswith("prismadirect_"):
                assert name in known, f"{host}: {name} is read by no plugin, role or playbook"


def test_the_connection_is_winrm_over_https_with_kerberos_and_a_validated_certificate():
    text = (INVENTORY / "group_vars" / "all" / "connection.yml").read_text()
    for variables in hostvars().values():
        assert variables["ansible_connection"] == "winrm"
        assert variables["ansible_port"] == 5986
        assert variables["ansible_winrm_scheme"] == "https"
        assert variables["ansible_winrm_transport"] == "kerberos"
        assert variables["ansible_winrm_server_cert_validation"] == "validate"
    # The alternatives are shown, commented out.
    for alternative in (
        "# ansible_winrm_transport: ntlm",
        "# ansible_winrm_transport: credssp",
        "# ansible_connection: psrp",
        "# ansible_psrp_protocol: https",
        "# ansible_shell_type: powershell",
    ):
        assert alternative in text, alternative


def test_secrets_come_only_from_the_vault():
    for host, variables in hostvars().items():
        for name, value in variables.items():
            if SECRET_NAME.search(name):
                assert isinstance(value, str) and VAULT_REFERENCE.fullmatch(value.strip()), (
                    f"{host}: {name} must reference a vault_* variable, not hold a value"
                )


def test_the_vault_example_is_placeholders_for_every_referenced_secret():
    text = VAULT_EXAMPLE.read_text()
    assert "$ANSIBLE_VAULT" not in text
    assert "ansible-vault encrypt" in text
    example = yaml.safe_load(text)
    for name, value in example.items():
        assert name.startswith("vault_"), name
        assert isinstance(value, str) and value.startswith("CHANGE-ME"), f"{name} is not a placeholder"
    # Ansible never loads the example (its extension), so no vault_* variable is defined.
    assert not any(name.startswith("vault_") for variables in hostvars().values() for name in variables)
    referenced = set()
    for path in INVENTORY.rglob("*.yml"):
        referenced |= set(VAULT_REFERENCE.findall(path.read_text()))
    assert referenced, "the inventory references no vault variable"
    assert referenced <= set(example), f"not in vault.yml.example: {sorted(referenced - set(example))}"
