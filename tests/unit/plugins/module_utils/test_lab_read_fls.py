"""Unit tests of plugins/module_utils/lab_read_fls.py (the lab reader's Floating License Server sections
folder, share and license_server) on temporary lab layouts: real ``getfacl``/``setfacl`` on a temporary
folder (the lab runs as root), a fake ``pdbedit``."""

from __future__ import annotations

import pwd
import shutil
import subprocess
from pathlib import Path

import pytest
from ansible_collections.printops.prismadirect.plugins.module_utils import lab_read_fls

pytestmark = pytest.mark.skipif(not shutil.which("setfacl"), reason="the acl package is not installed")
NT_1 = "61a573331070645db1a0acd52e3123d7"  # NT hashes of Fls-Share-Pw-1 and -2
NT_2 = "ea9a16352fab4c8f4cfaf5d5143ba6c4"
PASSDB = (
    f"svc_ors_f1:999:XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX:{NT_1.upper()}:[U          ]:LCT-1:\n"
    f"svc_ors_f2:995:XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX:{NT_2.upper()}:[DU         ]:LCT-2:\n"
)


def run(argv: list[str]) -> tuple[int, str, str]:
    if argv[0] == "pdbedit":  # the lab passdb, faked
        return 0, PASSDB, ""
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    return proc.returncode, proc.stdout, proc.stderr


def make_fls(home: Path) -> Path:
    """``home`` as a lab home with the FLS fls1: its license folder (0750 root:root) and samba/."""
    root = home / "hosts" / "fls1"
    (root / "licenses").mkdir(parents=True)
    (root / "licenses").chmod(0o750)
    (home / "samba").mkdir()
    return home


@pytest.fixture
def fls(tmp_path):
    return make_fls(tmp_path)


def params(home, **extra) -> dict:
    base = {
        "lab_home": str(home),
        "lab_host": "fls1",
        "lab_root": None,
        "folder_path": "/licenses",
        "share_name": "licenses",
        "accounts": [],
    }
    return {**base, **extra}


def test_folder_rules_from_getfacl(fls):
    folder = fls / "hosts" / "fls1" / "licenses"
    subprocess.run(["setfacl", "-m", "u:nobody:rwx", "-d", "-m", "u:nobody:rwx", str(folder)], check=True)
    result = lab_read_fls.read_folder("/licenses", str(fls / "hosts" / "fls1"), run)
    assert (result["path"], result["exists"], result["owner"], result["group"]) == (
        "/licenses",
        True,
        "root",
        "root",
    )
    assert result["administrators"] == {"identity": "root", "id": "uid:0"}
    described = {(r["identity"], r["rights"], r["inherit_files"]) for r in result["rules"]}
    assert described == {("root", "full", True), ("nobody", "modify", True), ("group:root", "read", True)}


def test_a_missing_folder_has_no_rules(fls):
    result = lab_read_fls.read_folder("/elsewhere", str(fls / "hosts" / "fls1"), run)
    assert (result["exists"], result["rules"], result["owner"]) == (False, [], None)


def test_an_unreadable_acl_fails_the_read(fls):
    with pytest.raises(lab_read_fls.ReadError, match="cannot read the ACL"):
        lab_read_fls.read_folder("/licenses", str(fls / "hosts" / "fls1"), lambda argv: (1, "", "no acl"))


def test_share_section_access_and_passwords(fls):
    folder = fls / "hosts" / "fls1" / "licenses"
    (fls / "samba" / "shares.conf").write_text(
        f"[FLS1-licenses]\npath = {folder}\ncomment = lab\nvalid users = svc_ors_f1 nobody\nread only = no\n"
    )
    accounts = [
        {"name": "svc_ors_f1", "nt_hash": NT_1},  # matches
        {"name": "svc_ors_f2", "nt_hash": NT_2},  # matches, but the account is disabled
        {"name": "nobody", "nt_hash": NT_1},  # no Samba account
        {"name": "svc_ors_f3"},  # no candidate
    ]
    share, warnings = lab_read_fls.read_share(
        params(fls, accounts=accounts), str(fls / "hosts" / "fls1"), run
    )
    assert warnings == []
    assert (share["exists"], share["section"], share["path"], share["description"]) == (
        True,
        "fls1-licenses",
        "/licenses",
        "lab",
    )
    assert [(r["identity"], r["rights"]) for r in share["access"]] == [
        ("root", "full"),
        ("svc_ors_f1", "modify"),
        ("nobody", "modify"),
    ]
    assert share["access"][2]["id"] == f"uid:{pwd.getpwnam('nobody').pw_uid}"
    assert share["users"] == {
        "svc_ors_f1": {"exists": True, "password_matches": True},
        "svc_ors_f2": {"exists": True, "password_matches": False},
        "nobody": {"exists": False, "password_matches": False},
        "svc_ors_f3": {"exists": False, "password_matches": None},
    }


@pytest.mark.parametrize(
    ("path", "shown"),
    [
        ("{root}/licenses/", "/licenses"),
        ("{root}/other/place", "/other/place"),
        ("/srv/elsewhere", "/srv/elsewhere"),
    ],
)
def test_share_path_in_the_modules_form(fls, path, shown):
    root = fls / "hosts" / "fls1"
    (fls / "samba" / "shares.conf").write_text(f"[fls1-licenses]\npath = {path.format(root=root)}\n")
    share, _ = lab_read_fls.read_share(params(fls), str(root), run)
    assert share["path"] == shown


def test_a_missing_share_still_reports_the_passdb(fls):
    share, warnings = lab_read_fls.read_share(
        params(fls, accounts=[{"name": "svc_ors_f1", "nt_hash": NT_1}]), str(fls / "hosts" / "fls1"), run
    )
    assert share["exists"] is False and share["access"] == [] and "shares.conf" in warnings[0]
    assert share["users"] == {"svc_ors_f1": {"exists": True, "password_matches": True}}


def test_license_server_without_lmutil_or_service(fls):
    missing, warnings = lab_read_fls.read_license_server({"lmutil_path": str(fls / "nope")}, run)
    assert missing == {"lmutil": {"path": str(fls / "nope"), "exists": False}} and warnings == []
