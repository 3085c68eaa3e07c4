"""Run the collection's action plugins without a host: every ``_execute_module`` call is answered from
recorded results (the host state JSON fixtures under ``fixtures/``, recorded from a lab host with
``printops.prismadirect.host_state``) and recorded, so a test sees exactly which standard modules the
lab adapter would run, with which arguments.

``run(name, args, state=..., check=False, diff=False, answers=None, task_vars=None, patch=None)``
returns ``(result, calls)``; ``calls`` is a list of ``(module name, module args)``.
"""

from __future__ import annotations

import copy
import importlib
import json
import posixpath
from pathlib import Path
from typing import Any
from unittest.mock import MagicMock

FIXTURES = Path(__file__).parent / "fixtures"
HOST_STATE = "printops.prismadirect.host_state"
LAB_VARS = {
    "inventory_hostname": "prisma1",
    "prismadirect_lab_home": "/srv/printops-lab",
    "prismadirect_lab_root": "/srv/printops-lab/hosts/prisma1",
    "prismadirect_lab_group": "printops-lab",
    "prismadirect_lab_logon_group": "printops-lab-logon",
    "prismadirect_backoffice_url": "https://127.0.0.1:8443",
    "prismadirect_backoffice_ca_path": "/srv/ca.pem",
}
#: The lab FLS fls1 (the Floating License Server modules' tests).
FLS_VARS = {"inventory_hostname": "fls1", "prismadirect_lab_root": "/srv/printops-lab/hosts/fls1"}
#: What a module answers when the test gives no answer for it: the host changed.
CHANGED = {"changed": True}
PROBE_OK = {"changed": False, "ok": True, "status": 200, "elapsed_ms": 12, "error": None}


def load_state(name: str) -> dict[str, Any]:
    """A recorded host state: ``converged`` (prisma1 after a full converge, ORS account svc_ors_p1 with
    password ``Sm0ke-Passw0rd``, verification code ``test-code-123``) or ``fresh`` (nothing set up);
    ``fls_fresh`` (fls1 as lab/ctl.py up makes it, users svc_ors_f1 and svc_ors_f2 made) or
    ``fls_converged`` (after license_share for both, share passwords ``Fls-Share-Pw-1``/``-2``, and
    floating_license of lab/licenses/backoffice/PDS-100001_20261101.lic). The FLS states hold every
    section either FLS module reads (nt_hash candidates of those passwords sent); lab home paths are
    written as /srv/printops-lab."""
    return json.loads((FIXTURES / f"host_state_{name}.json").read_text())


class _Templar:
    def template(self, value: Any) -> Any:
        return value


def make_action(name: str, args: dict[str, Any], *, check: bool, diff: bool, shell: str = "sh") -> Any:
    module = importlib.import_module(f"ansible_collections.printops.prismadirect.plugins.action.{name}")
    task = MagicMock(args=args, check_mode=check, diff=diff, async_val=0, no_log=False, action=name)
    connection = MagicMock()
    connection._shell.tmpdir = "/tmp/ansible-tmp-test"
    connection._shell.SHELL_FAMILY = shell
    connection._shell.join_path = posixpath.join
    return module.ActionModule(task, connection, MagicMock(), MagicMock(), _Templar(), None)


def run(
    name: str,
    args: dict[str, Any],
    *,
    state: dict[str, Any] | str = "converged",
    check: bool = False,
    diff: bool = False,
    answers: dict[str, Any] | None = None,
    task_vars: dict[str, Any] | None = None,
    shell: str = "sh",
    patch: dict[str, Any] | None = None,
) -> tuple[dict[str, Any], list[tuple[str, dict[str, Any]]]]:
    """Run the action plugin ``name``; ``answers`` maps a module name to its result (a dict, or a
    callable taking the module args). Unanswered modules report a change. ``patch``: attributes of the
    action to replace (e.g. ``_find_needle``)."""
    state = load_state(state) if isinstance(state, str) else state
    answers = {HOST_STATE: state, **(answers or {})}
    calls: list[tuple[str, dict[str, Any]]] = []

    def execute_module(module_name: str, module_args: dict[str, Any], task_vars: Any = None, **_: Any):
        calls.append((module_name, copy.deepcopy(module_args)))
        answer = answers.get(module_name, CHANGED)
        return copy.deepcopy(answer(module_args) if callable(answer) else answer)

    action = make_action(name, args, check=check, diff=diff, shell=shell)
    action._execute_module = execute_module
    action._transfer_data = lambda path, data: calls.append(("_transfer_data", {"path": path, "data": data}))
    action._fixup_perms2 = lambda *a, **k: None
    for attribute, value in (patch or {}).items():
        setattr(action, attribute, value)
    result = action.run(task_vars={**LAB_VARS, **(task_vars or {})})
    return result, calls


def modules(calls: list[tuple[str, dict[str, Any]]]) -> list[str]:
    """The module names of ``calls``, with supervisorctl's state: ``supervisorctl:started``."""
    names = []
    for name, args in calls:
        if name.endswith("supervisorctl"):
            name = f"supervisorctl:{args['state']}"
        names.append(name.rsplit(".", 1)[-1])
    return names


def leaks(result: Any, *secrets: str) -> list[str]:
    """The secrets (or their lab password hashes) that appear anywhere in ``result``."""
    text = json.dumps(result, default=str)
    return [s for s in secrets if s in text]
