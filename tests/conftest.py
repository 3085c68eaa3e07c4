"""Shared pytest setup: make `ansible_collections.printops.prismadirect` importable from the checkout."""

import sys
from pathlib import Path

# collections/ansible_collections/printops/prismadirect is a symlink to the repository root.
_COLLECTIONS = str(Path(__file__).resolve().parents[1] / "collections")
if _COLLECTIONS not in sys.path:
    sys.path.insert(0, _COLLECTIONS)
