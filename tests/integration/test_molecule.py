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


# ``molecule test -s windows`` (molecule/windows/README.md): both roles on a real Windows host given
# through PRISMADIRECT_WINDOWS_* variables. Without PRISMADIRECT_WINDOWS_HOST every step ends at once with
# the skip message and succeeds: that run touches no host and no lab, and is tested here always.
WINDOWS_SKIP_MESSAGE = "molecule/windows skipped: no Windows host configured (set PRISMADIRECT_WINDOWS_HOST"
WINDOWS_STEPS = ("destroy", "syntax", "create", "prepare", "converge", "idempotence", "check", "verify")


def run_windows_scenario(windows_env: dict[str, str]) -> str:
    """``molecule test -s windows`` with only ``windows_env`` of the PRISMADIRECT_* variables; its output
    (asserted successful)."""
    binary = molecule_binary()
    if binary is None:
        pytest.skip("molecule is not installed (pip install -r requirements.txt; ./run test does it)")
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("ANSIBLE_", "MOLECULE_", "PRISMADIRECT_"))
    }
    env.update(windows_env)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["NO_COLOR"] = "1"
    proc = subprocess.run(
        [binary, "test", "-s", "windows"], cwd=REPO, env=env, capture_output=True, text=True, timeout=3600
    )
    output = proc.stdout + proc.stderr
    failures = [line for line in output.splitlines() if re.search(r"fatal:|FAILED|Error\b", line)]
    assert proc.returncode == 0, "\n".join(failures[:80]) + "\n...\n" + output[-12000:]
    return output


def test_molecule_windows_scenario_is_skipped_without_a_host():
    output = run_windows_scenario({})
    # The message is folded over lines by the YAML callback: compare it with the white space joined.
    flat = " ".join(output.split())
    for step in WINDOWS_STEPS:
        assert f"windows > {step}] Executed: Successful" in flat, (
            f"molecule skipped {step}:\n{output[-8000:]}"
        )
    # Every playbook run says why it ends (8: syntax runs none, destroy runs twice), and changes nothing.
    assert flat.count(WINDOWS_SKIP_MESSAGE) == 8, output[-8000:]
    assert re.search(r"(changed|unreachable|failed)=[1-9]", output) is None, output[-8000:]


@pytest.mark.skipif(
    not os.environ.get("PRISMADIRECT_WINDOWS_HOST"),
    reason="no Windows host configured: set PRISMADIRECT_WINDOWS_HOST and the other PRISMADIRECT_WINDOWS_* "
    "variables (molecule/windows/README.md, docs/windows.md)",
)
def test_molecule_windows_scenario_passes_on_the_configured_host():
    windows_env = {key: value for key, value in os.environ.items() if key.startswith("PRISMADIRECT_")}
    output = run_windows_scenario(windows_env)
    assert WINDOWS_SKIP_MESSAGE not in " ".join(output.split()), output[-8000:]
    for step in ("converge", "idempotence", "check", "verify"):
        assert f"windows > {step}] Executed: Successful" in output, (
            f"molecule skipped {step}:\n{output[-20000:]}"
        )
