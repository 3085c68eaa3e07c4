"""The molecule scenarios of the roles: ``molecule test -s remote_service`` and ``-s floating_license``.

Each scenario (``molecule/<role>/``) runs on the embedded lab, in its default place
(``/srv/printops-lab``, or ``$PRINTOPS_LAB_HOME``): destroy, syntax, create (``lab/ctl.py up``),
prepare, converge, idempotence, check, verify (testinfra), destroy (``lab/ctl.py down``). They run one
after the other, as in CI, each on a lab of its own making.
**Running these tests resets the default lab**: a lab that was up is taken down first and is down
afterwards (``./run lab`` brings it back).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(os.geteuid() != 0, reason="the lab platform needs root (users, groups, daemons)"),
]

REPO = Path(__file__).resolve().parents[2]
MOLECULE = Path(sys.executable).parent / "molecule"


def molecule_binary() -> str | None:
    if MOLECULE.exists():
        return str(MOLECULE)
    return shutil.which("molecule")


def run_scenario(scenario: str) -> None:
    """``molecule test -s <scenario>``; fails with what failed first and the end of the output."""
    binary = molecule_binary()
    if binary is None:
        pytest.skip("molecule is not installed (pip install -r requirements.txt; ./run test does it)")
    env = {
        key: value
        for key, value in os.environ.items()
        # The scenario sets its own Ansible configuration; nothing of the caller's may leak in.
        if not key.startswith(("ANSIBLE_", "MOLECULE_"))
    }
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["NO_COLOR"] = "1"
    proc = subprocess.run(
        [binary, "test", "-s", scenario],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    output = proc.stdout + proc.stderr
    # What failed first (a fatal task, a failed testinfra test), then the end of the output.
    failures = [line for line in output.splitlines() if re.search(r"fatal:|FAILED|Error\b|^\W*E\s", line)]
    assert proc.returncode == 0, "\n".join(failures[:80]) + "\n...\n" + output[-12000:]
    for step in ("converge", "idempotence", "check", "verify"):
        assert f"{scenario} > {step}" in output, f"molecule did not run {step}:\n{output[-20000:]}"


def test_molecule_remote_service_scenario_passes():
    run_scenario("remote_service")


def test_molecule_floating_license_scenario_passes():
    run_scenario("floating_license")
