"""Shared pytest setup: Ansible's collection finder, installed once before any test module is imported.

``collections/ansible_collections/printops/prismadirect`` is a symlink to the repository root. With the
finder installed (as ``ansible-playbook`` does it), ``ansible_collections.printops.prismadirect...``
imports and ``lookup_loader.get("printops.prismadirect...")`` resolve from the checkout, whatever the
order in which test modules are collected or run.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

import pytest
from ansible.plugins.loader import init_plugin_loader
from ansible.utils.collection_loader import AnsibleCollectionConfig

REPO = Path(__file__).resolve().parents[1]
COLLECTIONS = REPO / "collections"


def pytest_configure(config: pytest.Config) -> None:
    if AnsibleCollectionConfig.collection_finder is None:
        init_plugin_loader([str(COLLECTIONS)])


def _lab_pki():
    spec = importlib.util.spec_from_file_location("lab_pki", REPO / "lab" / "backoffice" / "pki.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass(frozen=True)
class Pki:
    """A CA and a server certificate for localhost/127.0.0.1 (the lab's), and an unrelated CA."""

    ca_file: str
    cert_file: str
    key_file: str
    other_ca_file: str


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    make_certificates = _lab_pki().make_certificates
    ca, cert, key = make_certificates(tmp_path_factory.mktemp("pki"))
    other_ca, _, _ = make_certificates(tmp_path_factory.mktemp("other-pki"))
    return Pki(str(ca), str(cert), str(key), str(other_ca))
