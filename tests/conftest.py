"""Shared pytest setup: Ansible's collection finder, installed once before any test module is imported.

``collections/ansible_collections/printops/prismadirect`` is a symlink to the repository root. With the
finder installed (as ``ansible-playbook`` does it), ``ansible_collections.printops.prismadirect...``
imports and ``lookup_loader.get("printops.prismadirect...")`` resolve from the checkout, whatever the
order in which test modules are collected or run.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from ansible.plugins.loader import init_plugin_loader
from ansible.utils.collection_loader import AnsibleCollectionConfig

COLLECTIONS = Path(__file__).resolve().parents[1] / "collections"


def pytest_configure(config: pytest.Config) -> None:
    if AnsibleCollectionConfig.collection_finder is None:
        init_plugin_loader([str(COLLECTIONS)])
