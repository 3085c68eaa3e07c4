# Copyright: (c) 2026, printops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to this collection: ``PrismaAction``, the base of every custom module's action plugin.

It does validate -> read -> plan -> apply (DESIGN §2, docs/internals.md) so that an action plugin is
its argument spec, its domain calls and its result. Secrets: every ``no_log`` option value, and every
value an adapter derives from one (``hide``), is removed from the whole result, whatever step failed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.parameters import remove_values
from ansible.plugins.action import ActionBase
from ansible_collections.printops.prismadirect.plugins.module_utils.planning import Plan
from ansible_collections.printops.prismadirect.plugins.module_utils.validation import (
    ValidationError,
    parse_backoffice_url,
)
from ansible_collections.printops.prismadirect.plugins.plugin_utils._platform import (
    PlatformError,
    platform_for,
)

__all__ = ["CONNECTION_ARGSPEC", "PrismaAction"]

#: The options of the modules that test the back-office connection (doc fragment ``connection_test``).
CONNECTION_ARGSPEC = {"backoffice_url": {"type": "str"}, "backoffice_ca_path": {"type": "path"}}


class _Failed(Exception):
    def __init__(self, msg: str, changed: bool = False) -> None:
        super().__init__(msg)
        self.msg, self.changed = msg, changed


def _no_log_values(spec: Mapping[str, Any], params: Mapping[str, Any] | None) -> set[str]:
    """The values of the ``no_log`` options in ``params``, suboptions included."""
    found: set[str] = set()
    for name, option in spec.items():
        value = (params or {}).get(name)
        if value in (None, ""):
            continue
        if option.get("no_log"):
            found.add(str(value))
        for item in value if isinstance(value, list) else [value]:
            if option.get("options") and isinstance(item, Mapping):
                found |= _no_log_values(option["options"], item)
    return found


class PrismaAction(ActionBase):
    """A module's action plugin sets ``ARGSPEC`` and ``SECTIONS`` (what the reader reads) and defines
    ``desired(args)`` and ``plan(desired, state)``; ``read_args`` and ``finish`` when it needs them."""

    TRANSFERS_FILES = False
    ARGSPEC: Mapping[str, Any] = {}
    SECTIONS: tuple[str, ...] = ()

    def desired(self, args: Mapping[str, Any]) -> Any:
        raise NotImplementedError

    def plan(self, desired: Any, state: Mapping[str, Any]) -> Plan:
        raise NotImplementedError

    def task_args(self, args: Mapping[str, Any]) -> dict[str, Any]:
        """The task's arguments as the argument spec is to check them: a module that accepts a short
        form (an account name for ``{name: ...}``) expands it here, so ``no_log`` still applies."""
        return dict(args)

    def sections(self, desired: Any) -> tuple[str, ...]:
        """What the reader reads for ``desired``: ``SECTIONS`` unless a module needs less sometimes."""
        return self.SECTIONS

    def read_args(self, desired: Any) -> dict[str, Any]:
        """Keyword arguments of the adapter's ``read`` besides the sections (service, accounts...)."""
        return {}

    def finish(self, desired: Any, state: Mapping[str, Any], plan: Plan, result: dict[str, Any]) -> None:
        """After the apply (or the plan, in check mode): connection tests add to ``result`` here."""

    # -- helpers for the modules and the adapters -----------------------------------------------------

    def var(self, name: str, default: Any = None) -> Any:
        """A task variable, templated (inventories hold templates such as ``{{ inventory_dir }}``)."""
        if name not in self.task_vars:
            return default
        return self._templar.template(self.task_vars[name])

    def connection(self, args: Mapping[str, Any]) -> tuple[str, str | None]:
        """The back office's URL and CA for a connection test: the options, else the inventory's."""
        url = args.get("backoffice_url") or self.var("prismadirect_backoffice_url")
        if not url:
            raise ValidationError(
                "backoffice_url",
                "is required for a connection test: give the back office's root URL (https://...) or set "
                "prismadirect_backoffice_url",
            )
        return parse_backoffice_url(url), args.get("backoffice_ca_path") or self.var(
            "prismadirect_backoffice_ca_path"
        )

    def _hide(self, value: str) -> str:
        self._secrets.add(value)
        return value

    def _update_module_args(self, module_name, module_args, task_vars, *args, **kwargs):
        # ActionBase resets _ansible_no_log from the task; keep it for the calls that carry secrets.
        keep = module_args.get("_ansible_no_log") is True
        super()._update_module_args(module_name, module_args, task_vars, *args, **kwargs)
        module_args["_ansible_no_log"] = module_args["_ansible_no_log"] or keep

    # -- validate -> read -> plan -> apply ----------------------------------------------------------

    def run(self, tmp: Any = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        self._supports_check_mode = True
        self._supports_async = False
        result = super().run(tmp, task_vars)
        self.task_vars = task_vars or {}
        self._secrets: set[str] = set()
        self._warnings: list[str] = []  # the reader's and planner's, kept when a later step fails
        try:
            result.update(self._steps())
        except _Failed as exc:
            result.update(failed=True, msg=exc.msg, changed=exc.changed)
            if self._warnings:
                result["warnings"] = self._warnings
        return remove_values(result, self._secrets) if self._secrets else result

    def _steps(self) -> dict[str, Any]:
        given = self._task.args
        try:
            self._task.args = self.task_args(given)
            _, args = self.validate_argument_spec(argument_spec=dict(self.ARGSPEC))
        except AnsibleActionFail as exc:
            raise _Failed(exc.message) from None
        finally:
            self._task.args = given
        self._secrets |= _no_log_values(self.ARGSPEC, args)
        try:
            desired = self.desired(args)
            self.platform = platform_for(self, self._hide)
            state, self._warnings = self.platform.read(self.sections(desired), **self.read_args(desired))
            plan = self.plan(desired, state)
        except (ValidationError, PlatformError) as exc:
            raise _Failed(str(exc)) from None
        self._warnings = [*self._warnings, *plan.warnings]
        result = {**plan.result, "changed": plan.changed, "warnings": self._warnings}
        if plan.changed and self._task.diff:
            result["diff"] = dict(plan.diff)
        if not self._task.check_mode:
            result["changed"] = self._apply(plan)
        self.finish(desired, state, plan, result)
        if not result["warnings"]:
            del result["warnings"]
        return result

    def _apply(self, plan: Plan) -> bool:
        """Each change in order; one that ``requires_change`` runs only if that verb changed the host."""
        changed: set[str] = set()
        for change in plan.changes:
            if change.requires_change and change.requires_change not in changed:
                continue
            try:
                if self.platform.apply(change):
                    changed.add(change.verb)
            except (PlatformError, ValidationError) as exc:
                raise _Failed(f"{change.reason}: {exc}", changed=bool(changed)) from None
        return bool(changed)
