"""Unit tests of plugins/module_utils/lab_read_licenses.py (the lab reader's license folder) on temporary
directories and a temporary lab smbd configuration."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from ansible_collections.printops.prismadirect.plugins.module_utils import lab_read_licenses


def test_read_licenses_lists_lic_files_with_hash_and_text(tmp_path):
    folder = tmp_path / "licenses"
    folder.mkdir()
    (folder / "b.lic").write_text("SERVER this_host 025044000001\n")
    (folder / "A.LIC").write_text("FEATURE x\n")
    (folder / "notes.txt").write_text("no")
    (folder / "dir.lic").mkdir()
    (folder / "big.lic").write_bytes(b"x" * 300)
    licenses, warnings = lab_read_licenses.read_licenses(str(folder), str(tmp_path), text_limit=100)
    assert [item["name"] for item in licenses] == ["A.LIC", "b.lic", "big.lic"]
    b = licenses[1]
    assert b["size"] == 30 and b["text"] == "SERVER this_host 025044000001\n"
    assert b["sha256"] == hashlib.sha256(b"SERVER this_host 025044000001\n").hexdigest()
    assert licenses[2]["text"] is None and licenses[2]["size"] == 300
    assert len(warnings) == 1 and "big.lic" in warnings[0] and "300 bytes" in warnings[0]


def test_read_licenses_default_limit_is_256_kib(tmp_path):
    (tmp_path / "l").mkdir()
    (tmp_path / "l" / "ok.lic").write_bytes(b"a" * 256 * 1024)
    (tmp_path / "l" / "too.lic").write_bytes(b"a" * (256 * 1024 + 1))
    licenses, warnings = lab_read_licenses.read_licenses(str(tmp_path / "l"), str(tmp_path))
    assert [item["text"] is None for item in licenses] == [False, True]
    assert len(warnings) == 1


def test_read_licenses_without_a_path_or_folder(tmp_path):
    assert lab_read_licenses.read_licenses(None, str(tmp_path)) == ([], [])
    licenses, warnings = lab_read_licenses.read_licenses(str(tmp_path / "missing"), str(tmp_path))
    assert licenses == [] and "does not exist" in warnings[0]


def make_lab_share(home: Path) -> Path:
    """``home`` as a lab home whose smbd shares fls1's license folder (``PDS-1.lic``, ``sub/PDS-2.lic``)
    as ``[FLS1-Licenses]``."""
    folder = home / "hosts" / "fls1" / "licenses"
    (folder / "sub").mkdir(parents=True)
    (folder / "PDS-1.lic").write_text("one")
    (folder / "sub" / "PDS-2.lic").write_text("two")
    samba = home / "samba"
    samba.mkdir()
    (samba / "shares.conf").write_text(
        "# lab shares\n[global-ish]\n   comment = x\n"
        f"[FLS1-Licenses]\n   comment = licenses of fls1\n   path = {folder}\n   read only = no\n"
        "; a comment\n[other]\npath=/nonexistent\n"
    )
    return home


@pytest.fixture
def lab_share(tmp_path):
    return make_lab_share(tmp_path)


@pytest.mark.parametrize(
    ("unc", "names"),
    [
        ("//fls1/licenses", ["PDS-1.lic"]),
        ("\\\\FLS1\\LICENSES", ["PDS-1.lic"]),
        ("\\\\fls1.lab.example\\licenses\\sub", ["PDS-2.lic"]),
        ("//Fls1/Licenses/sub/", ["PDS-2.lic"]),
    ],
)
def test_read_licenses_resolves_lab_smb_paths(lab_share, unc, names):
    """\\\\HOST\\SHARE is the lab smbd's section [HOST-SHARE] (first DNS label), case-insensitively."""
    licenses, warnings = lab_read_licenses.read_licenses(unc, str(lab_share))
    assert [item["name"] for item in licenses] == names and warnings == []


@pytest.mark.parametrize(
    ("unc", "fragment"),
    [
        ("//fls1/unknown", "no share [fls1-unknown]"),
        ("//fls2/licenses", "no share [fls2-licenses]"),  # the share of another host
        ("//fls1/fls1-licenses", "no share [fls1-fls1-licenses]"),
        ("//fls1", "is not \\\\host\\share"),
        ("//fls1/licenses/../..", "must not contain"),
    ],
)
def test_read_licenses_unresolvable_smb_paths_warn(lab_share, unc, fragment):
    licenses, warnings = lab_read_licenses.read_licenses(unc, str(lab_share))
    assert licenses == [] and fragment in warnings[0]


def test_read_licenses_smb_path_without_the_lab_samba_config(tmp_path):
    licenses, warnings = lab_read_licenses.read_licenses("//h/s", str(tmp_path))
    assert licenses == [] and "shares.conf" in warnings[0]
