"""The adapters' common part (plugins/plugin_utils/_platform.py): every verb a planner can produce has
a handler on every platform, and a license is replaced only as it was read."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from ansible_collections.printops.prismadirect.plugins.plugin_utils._platform import (
    PlatformError,
    VerbDispatch,
    refuse_if_changed,
)
from ansible_collections.printops.prismadirect.plugins.plugin_utils._platform_lab import LabPlatform
from ansible_collections.printops.prismadirect.plugins.plugin_utils._platform_windows import (
    WindowsPlatform,
)

PLANNERS = Path(__file__).resolve().parents[4] / "plugins" / "module_utils"


def planned_verbs() -> set[str]:
    text = "".join(path.read_text() for path in PLANNERS.glob("planning_*.py"))
    return set(re.findall(r'Change\(\s*"([a-z_.]+)"', text))


def test_the_dispatch_knows_every_verb_the_planners_produce():
    assert planned_verbs() == set(VerbDispatch.VERBS)


@pytest.mark.parametrize("platform", [LabPlatform, WindowsPlatform])
@pytest.mark.parametrize("verb", VerbDispatch.VERBS)
def test_every_platform_handles_every_verb(platform, verb):
    assert callable(getattr(platform, "_" + verb.replace(".", "_"), None))


def test_an_unknown_verb_is_refused_by_name():
    adapter = VerbDispatch()
    with pytest.raises(PlatformError, match=r"cannot apply printer\.reboot"):
        adapter.apply(SimpleNamespace(verb="printer.reboot", args={}))


@pytest.mark.parametrize(
    ("read", "now", "what"),
    [
        (None, "b" * 64, "appeared"),
        ("a" * 64, None, "was removed"),
        ("a" * 64, "b" * 64, "changed (sha256 aaaaaaaaaaaa... when read, bbbbbbbbbbbb... now)"),
    ],
)
def test_a_license_changed_since_the_read_is_not_replaced(read, now, what):
    with pytest.raises(PlatformError) as caught:
        refuse_if_changed("PDS-100001.lic", read, now)
    assert str(caught.value).startswith(f"PDS-100001.lic {what} since the host was read")
    assert "Nothing was written" in str(caught.value)


@pytest.mark.parametrize("sha", [None, "c" * 64])
def test_a_license_as_read_may_be_replaced(sha):
    refuse_if_changed("PDS-100001.lic", sha, sha)
