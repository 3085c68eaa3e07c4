"""What both molecule verifiers need: run ansible-playbook against the lab inventory, read its report.

The verifiers import this file from the folder above their scenario (``molecule/``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
VAULT_PASSWORD_FILE = REPO / "inventories" / "lab" / "vault-password.lab-only"


def ansible_env() -> dict[str, str]:
    """The repository's ansible.cfg, the lab's vault password, a JSON report on stdout."""
    return {
        **os.environ,
        "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"),
        "ANSIBLE_VAULT_PASSWORD_FILE": str(VAULT_PASSWORD_FILE),
        "ANSIBLE_LOAD_CALLBACK_PLUGINS": "1",
        "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json",
        "ANSIBLE_NOCOLOR": "1",
    }


def ansible_playbook(playbook: Path, *args: str, extra_vars: dict[str, Any] | None = None) -> dict[str, Any]:
    """Run a playbook against the lab inventory; the ``ansible.posix.json`` report."""
    argv = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", "inventories/lab/hosts.yml"]
    if extra_vars:
        argv += ["-e", json.dumps(extra_vars)]
    proc = subprocess.run(
        [*argv, *args, str(playbook)],
        cwd=REPO,
        env=ansible_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError:
        pytest.fail(
            f"ansible-playbook {playbook.name} gave no JSON report (exit {proc.returncode}):\n"
            f"{proc.stdout}{proc.stderr}"
        )
    report["returncode"] = proc.returncode
    report["stderr"] = proc.stderr
    return report


def task_results(report: dict[str, Any], task_name: str) -> dict[str, dict[str, Any]]:
    """``{host: result}`` of the task named ``task_name`` (a role's tasks are ``role : name``)."""
    for play in report["plays"]:
        for task in play["tasks"]:
            if task["task"]["name"].rpartition(" : ")[2] == task_name:
                return task["hosts"]
    raise AssertionError(f"no task {task_name!r} in the report")
