"""The collection as users meet it: it builds, its docs render, the README's promises hold."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _run(*argv: str, cwd: Path = REPO, **kwargs) -> subprocess.CompletedProcess:
    env = {**os.environ, "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1"}
    return subprocess.run(
        [str(BIN / argv[0]), *argv[1:]], cwd=cwd, env=env, capture_output=True, text=True, **kwargs
    )


def test_collection_builds_without_lab_state_or_the_checkout_link(tmp_path):
    result = _run("ansible-galaxy", "collection", "build", "--output-path", str(tmp_path))
    assert result.returncode == 0, result.stderr
    (tarball,) = tmp_path.glob("printops-prismadirect-*.tar.gz")
    with tarfile.open(tarball) as archive:
        names = set(archive.getnames())
    assert "plugins/lookup/latest_license.py" in names
    assert "plugins/module_utils/flexlm.py" in names
    assert "plugins/filter/flexlm_license.yml" in names
    assert not {name for name in names if name.startswith(("collections/", ".venv/", "lab/.state"))}


@pytest.mark.parametrize(
    ("plugin_type", "name"),
    [
        ("lookup", "printops.prismadirect.latest_license"),
        ("filter", "printops.prismadirect.flexlm_license"),
        ("filter", "printops.prismadirect.flexlm_validate"),
    ],
)
def test_ansible_doc_renders(plugin_type, name):
    result = _run("ansible-doc", "-t", plugin_type, name)
    assert result.returncode == 0, result.stderr
    assert "[WARNING]" not in result.stderr
    assert name in result.stdout
    assert "EXAMPLES" in result.stdout and "RETURN" in result.stdout


def test_readme_quick_start_is_exactly_two_commands():
    readme = (REPO / "README.md").read_text()
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    commands = [line.split("#", 1)[0].strip() for line in block.splitlines() if line.strip()]
    assert commands == ["./run lab", "./run test"]
    ci = (REPO / ".ci" / "run").read_text()
    assert "./run test" in ci
