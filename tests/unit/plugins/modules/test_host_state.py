"""Unit tests of plugins/modules/host_state.py (the lab reader): which sections it reads with which
options, on temporary lab layouts. The sections themselves are tested with their readers
(tests/unit/plugins/module_utils/test_lab_read_host.py, test_lab_read_licenses.py, test_lab_read_fls.py).
"""

from __future__ import annotations

import json
import stat

import pytest
from ansible_collections.printops.prismadirect.plugins.modules import host_state

from ..module_utils.test_lab_read_fls import make_fls, params
from ..module_utils.test_lab_read_host import CODE, PROXY_PASSWORD, document, run
from ..module_utils.test_lab_read_licenses import make_lab_share

# --------------------------------------------------------------------------------------------------
# the whole reader


def test_read_host_state_reads_only_the_sections_asked_for(tmp_path):
    state, warnings = host_state.read_host_state({"sections": ["teamviewer", "accounts"]}, run)
    assert set(state) == {"platform", "teamviewer", "accounts"}
    assert state["platform"] == "lab" and state["accounts"] == {} and warnings == []


def test_read_host_state_everything_without_secrets(tmp_path):
    make_lab_share(tmp_path)
    settings = tmp_path / "hosts" / "p1" / "ProgramData" / "PRISMAdirect" / "remote-service.json"
    settings.parent.mkdir(parents=True)
    settings.write_text(json.dumps(document()))
    (tmp_path / "hosts" / "p1" / "TeamViewer").mkdir()
    options = {
        "sections": list(host_state.DEFAULT_SECTIONS),
        "service": "Print ORS Service",
        "accounts": [{"name": "root", "password_hash": "$6$candidate"}],
        "settings_path": str(settings),
        "license_path": "//fls1/licenses",
        "lab_home": str(tmp_path),
        "lab_host": "p1",
        "lab_root": None,
        "mac_addresses_file": None,
        "logon_group": "printops-lab-logon",
    }
    state, _ = host_state.read_host_state(options, run)
    assert set(state) == {"platform", *host_state.DEFAULT_SECTIONS}
    assert state["teamviewer"] == {"present": True}  # lab_root defaults to <lab_home>/hosts/<lab_host>
    assert state["service"]["exists"] is False
    assert [item["name"] for item in state["licenses"]] == ["PDS-1.lic"]
    assert state["settings"]["document"]["general"]["verification_code"]["set"] is True
    text = json.dumps(state)
    assert CODE not in text and PROXY_PASSWORD not in text


# --------------------------------------------------------------------------------------------------
# the Floating License Server sections


def test_license_backups_and_licenses_of_the_folder(tmp_path):
    folder = make_fls(tmp_path) / "hosts" / "fls1" / "licenses"
    for name in ("PDS-1.lic", "PDS-1.lic.20261129T101500Z.bak", "notes.txt"):
        (folder / name).write_text("x")
    state, _ = host_state.read_host_state(
        {**params(tmp_path), "sections": ["licenses", "license_backups"]}, run
    )
    assert [e["name"] for e in state["licenses"]] == ["PDS-1.lic"]
    assert state["license_backups"] == ["PDS-1.lic.20261129T101500Z.bak"]


def test_license_server(tmp_path):
    lmutil = make_fls(tmp_path) / "bin" / "lmutil"
    lmutil.parent.mkdir()
    lmutil.write_text("#!/bin/sh\n")
    lmutil.chmod(lmutil.stat().st_mode | stat.S_IXUSR)
    state, warnings = host_state.read_host_state(
        {
            **params(tmp_path),
            "sections": ["license_server"],
            "lmutil_path": str(lmutil),
            "license_service": "License Server",
        },
        run,
    )
    assert state["license_server"] == {
        "lmutil": {"path": str(lmutil), "exists": True},
        "service": {"name": "License Server", "exists": False, "state": None},  # no program file
    }
    assert warnings == []


@pytest.mark.parametrize(
    ("sections", "missing", "option"),
    [
        (["folder"], {"folder_path": None}, "folder_path"),
        (["share"], {"share_name": None}, "share_name"),
        (["share"], {"lab_host": None}, "lab_host"),
        (["license_server"], {"lab_host": None, "license_service": "License Server"}, "lab_host"),
    ],
)
def test_each_section_names_the_option_it_needs(tmp_path, sections, missing, option):
    given = {**params(tmp_path), "service": "Print ORS Service", "sections": sections, **missing}
    assert host_state.missing_option(given).startswith(
        f"{option}: required to read the {sections[0]} section"
    )
