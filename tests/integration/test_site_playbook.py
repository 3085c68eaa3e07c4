"""The license play of the main job (`playbooks/site.yml --tags licenses`), pointed at the test simulator.

The README's `./run lab` runs this playbook; this test keeps its first play honest without touching a
running lab: an extra-vars file (mode 0600) points the lab inventory at the session simulator and its
credentials. The role plays are tested by their molecule scenarios.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("backoffice_sim_reset")]

REPO = Path(__file__).resolve().parents[2]


def run_site(tmp_path: Path, sim, *, verification_code: str | None = None) -> subprocess.CompletedProcess:
    extra_vars = tmp_path / "backoffice.json"
    extra_vars.write_text(
        json.dumps(
            {
                "prismadirect_backoffice_url": sim.url,
                "prismadirect_backoffice_ca_path": str(sim.ca_path),
                "prismadirect_organization_id": sim.organization_id,
                "prismadirect_verification_code": verification_code or sim.verification_code,
                "prismadirect_backoffice_cache_dir": str(tmp_path / "cache"),
            }
        )
    )
    extra_vars.chmod(0o600)
    env = {
        **os.environ,
        "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"),
        "ANSIBLE_VAULT_PASSWORD_FILE": str(REPO / "inventories" / "lab" / "vault-password.lab-only"),
        "ANSIBLE_NOCOLOR": "1",
    }
    return subprocess.run(
        [
            str(Path(sys.executable).parent / "ansible-playbook"),
            "playbooks/site.yml",
            "--tags",
            "licenses",
            "-e",
            f"@{extra_vars}",
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_site_prints_the_newest_license_of_every_lab_installation(tmp_path, backoffice_sim):
    run = run_site(tmp_path, backoffice_sim)

    assert run.returncode == 0, run.stdout + run.stderr
    assert "PDS-100001: PDS-100001.lic issued 2026-11-01" in run.stdout
    assert "PDS-100002: PDS-100002.lic issued 2026-11-01" in run.stdout
    assert "25 users" in run.stdout and "10 users" in run.stdout
    assert backoffice_sim.stats()["by_serial"] == {"PDS-100001": 1, "PDS-100002": 1}


def test_site_fails_and_says_why_when_the_back_office_refuses(tmp_path, backoffice_sim):
    wrong_code = "not-the-lab-verification-code-4711"

    run = run_site(tmp_path, backoffice_sim, verification_code=wrong_code)

    assert run.returncode != 0
    assert "PDS-100001: REFUSED (unauthorized)" in run.stdout
    assert "2 serial(s) refused: PDS-100001, PDS-100002" in run.stdout
    assert wrong_code not in run.stdout + run.stderr
