"""requirements.yml (what the execution environment installs) lists every collection the content calls,
at the version the tests run with.

"Calls" means a fully qualified name (FQCN) ``namespace.collection.name`` where Ansible resolves one,
read from roles/, playbooks/ and plugins/: in YAML a key (a task's module) or the whole value of a key
that names content (``role``, include_role's ``name``, ``action``, ...); in Jinja (YAML strings, ``.j2``
templates) a lookup, filter or test; in Python a string constant that is a whole FQCN (the modules
action plugins run through ``_execute_module``, such as ``"ansible.posix.acl"``). Prose, comments, file
names, attribute access (``s.service.state``) and host names are not.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from pathlib import Path

import ansible
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
CONTENT = ("roles", "playbooks", "plugins")
# Collections that need no install: ansible-core's own names, and this collection (the checkout).
NOT_INSTALLED = {"ansible.builtin", "ansible.legacy", "printops.prismadirect"}
_PART = r"[a-z][a-z0-9_]*"
FQCN = rf"{_PART}\.{_PART}\.{_PART}"
FQCN_RE = re.compile(FQCN)
# In Jinja: lookup('x.y.z' / query(...) / q(...), a filter | x.y.z, a test is [not] x.y.z.
JINJA_RE = re.compile(
    rf"""\b(?:lookup|query|q)\(\s*['"]({FQCN})['"]|\|\s*({FQCN})\b|\bis\s+(?:not\s+)?({FQCN})\b"""
)
# YAML: a key is a task's module or action; a whole value names content only under these keys (a role,
# include_role's name, action: or module:, a play's collections:), never a file name such as src: x.html.j2.
FQCN_KEYS = {"", "role", "roles", "name", "action", "module", "collections"}
# Where the pinned `ansible` package (requirements.txt) keeps the collections it bundles.
BUNDLED = Path(ansible.__file__).parents[1] / "ansible_collections"


def fqcns_in_jinja(text: str) -> Iterator[str]:
    for match in JINJA_RE.finditer(text):
        yield next(group for group in match.groups() if group)


def yaml_strings(node: object, key: str = "") -> Iterator[tuple[str, str]]:
    """(key, string) of every key and string value; a value's key is the mapping key above it (list items
    take their list's key), a key's own is ``""``."""
    if isinstance(node, dict):
        for name, value in node.items():
            yield from yaml_strings(name)
            yield from yaml_strings(value, str(name))
    elif isinstance(node, list):
        for item in node:
            yield from yaml_strings(item, key)
    elif isinstance(node, str):
        yield key, node


def fqcns_in_file(path: Path) -> Iterator[str]:
    text = path.read_text(encoding="utf-8")
    if path.suffix in (".yml", ".yaml"):
        for document in yaml.safe_load_all(text):
            for key, string in yaml_strings(document):
                if key in FQCN_KEYS and FQCN_RE.fullmatch(string):
                    yield string
                yield from fqcns_in_jinja(string)
    elif path.suffix == ".j2":
        yield from fqcns_in_jinja(text)
    elif path.suffix == ".py":
        tree = ast.parse(text, filename=str(path))
        constants = (node.value for node in ast.walk(tree) if isinstance(node, ast.Constant))
        yield from (value for value in constants if isinstance(value, str) and FQCN_RE.fullmatch(value))


def collections_called() -> dict[str, set[str]]:
    """Collection -> the files that call something of it."""
    found: dict[str, set[str]] = {}
    for top in CONTENT:
        for path in sorted((REPO / top).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                for fqcn in fqcns_in_file(path):
                    collection = fqcn.rsplit(".", 1)[0]
                    if collection not in NOT_INSTALLED:
                        found.setdefault(collection, set()).add(str(path.relative_to(REPO)))
    return found


def listed() -> dict[str, str]:
    data = yaml.safe_load((REPO / "requirements.yml").read_text())
    return {entry["name"]: str(entry["version"]) for entry in data["collections"]}


def test_the_scan_finds_what_the_lab_adapter_calls() -> None:
    called = collections_called()

    # The FQCNs the lab adapter passes to _execute_module: the scan sees Python string constants.
    assert "plugins/plugin_utils/_platform_lab_fls.py" in called["ansible.posix"]
    assert "plugins/plugin_utils/_platform_lab.py" in called["community.general"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{{ lookup('community.general.random_string', length=8) }}", ["community.general.random_string"]),
        ('{{ query("ansible.utils.cidr_merge", nets) }}', ["ansible.utils.cidr_merge"]),
        ("{{ nets | ansible.utils.ipaddr('net') }}", ["ansible.utils.ipaddr"]),
        ("{{ x is not ansible.utils.in_network(net) }}", ["ansible.utils.in_network"]),
        ("{{ s.service.state }}", []),  # attribute access
        ("http://proxy.example.com:8080", []),  # a host name
        ("uses ansible.posix.acl on the folder", []),  # prose
    ],
)
def test_what_counts_as_a_call_in_jinja(text: str, expected: list[str]) -> None:
    assert list(fqcns_in_jinja(text)) == expected


def test_yaml_keys_and_whole_values_count(tmp_path: Path) -> None:
    tasks = tmp_path / "tasks.yml"
    tasks.write_text(
        "- name: Set an ACL with ansible.posix.acl  # prose\n"
        "  ansible.posix.acl: {path: /x, entity: u, etype: user, permissions: r, state: present}\n"
        "- ansible.builtin.include_role:\n"
        "    name: community.windows.some_role\n"
        "- ansible.builtin.template:\n"
        "    src: fleet_report.html.j2  # a file name, not a call\n"
        "    dest: /tmp/report.html\n"
    )

    assert sorted(fqcns_in_file(tasks)) == [
        "ansible.builtin.include_role",
        "ansible.builtin.template",
        "ansible.posix.acl",
        "community.windows.some_role",
    ]


def test_every_collection_the_content_calls_is_in_requirements_yml() -> None:
    missing = {name: files for name, files in collections_called().items() if name not in listed()}

    assert not missing, "add to requirements.yml: " + "; ".join(
        f"{name} (called in {', '.join(sorted(files))})" for name, files in sorted(missing.items())
    )


def test_requirements_yml_pins_the_versions_the_tests_run_with() -> None:
    for name, version in listed().items():
        namespace, collection = name.split(".")
        manifest = json.loads((BUNDLED / namespace / collection / "MANIFEST.json").read_text())
        bundled = manifest["collection_info"]["version"]
        assert version == f"=={bundled}", (
            f"requirements.yml: {name} {version}, but the ansible package of requirements.txt bundles "
            f'{bundled}: make it "=={bundled}"'
        )
