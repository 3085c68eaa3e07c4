"""Tables of cases for the lab's SMB shares (plugins/module_utils/lab_samba.py) and the lab names of
hosts' paths and shares (plugins/module_utils/lab_layout.py)."""

from __future__ import annotations

import pytest
from ansible_collections.printops.prismadirect.plugins.module_utils.acl_model import AccessRule
from ansible_collections.printops.prismadirect.plugins.module_utils.lab_layout import host_path, share_section
from ansible_collections.printops.prismadirect.plugins.module_utils.lab_samba import (
    parse_conf,
    parse_passdb,
    share_access,
    split_names,
)

IDS = {"svc_ors_f1": "uid:999", "svc_ors_f2": "uid:995", "staff": "gid:50"}
CONF = """# Shares of the lab's smbd
[global-ish]
   comment = x
[FLS1-Licenses]
path = /srv/lab/hosts/fls1/licenses
comment = PRISMAdirect licenses
Valid  Users = svc_ors_f1, \\
   svc_ors_f2
; commented = out
read only = no
"""


def test_parse_conf():
    sections = parse_conf(CONF)
    assert set(sections) == {"global-ish", "fls1-licenses"}
    assert sections["fls1-licenses"] == {
        "path": "/srv/lab/hosts/fls1/licenses",
        "comment": "PRISMAdirect licenses",
        "valid users": "svc_ors_f1,     svc_ors_f2",
        "read only": "no",
    }


def access(section: dict) -> list[str]:
    rules = share_access(section, IDS.get, IDS.get)
    return [AccessRule.from_state(r).describe() for r in rules]


ACCESS = [
    # id, section, rules
    ("writable", {"valid users": "svc_ors_f1 svc_ors_f2", "read only": "no"},
     ["allow root full", "allow svc_ors_f1 modify", "allow svc_ors_f2 modify"]),
    ("read only by default", {"valid users": "svc_ors_f1"}, ["allow root full", "allow svc_ors_f1 read"]),
    ("writeable = yes", {"valid users": "svc_ors_f1", "writeable": "yes"},
     ["allow root full", "allow svc_ors_f1 modify"]),
    ("read list", {"valid users": "svc_ors_f1 svc_ors_f2", "read list": "svc_ors_f2", "read only": "no"},
     ["allow root full", "allow svc_ors_f1 modify", "allow svc_ors_f2 read"]),
    ("group and invalid users", {"valid users": "@staff", "invalid users": "svc_ors_f2", "read only": "no"},
     ["allow root full", "allow @staff modify", "deny svc_ors_f2 full"]),
    ("no valid users is everybody", {"read only": "no"}, ["allow root full", "allow Everyone modify"]),
]  # fmt: skip


@pytest.mark.parametrize(("section", "expected"), [c[1:] for c in ACCESS], ids=[c[0] for c in ACCESS])
def test_share_access(section, expected):
    assert access(section) == expected


def test_share_access_ids():
    rules = share_access({"valid users": "svc_ors_f1 @staff nobody-here"}, IDS.get, IDS.get)
    assert [r["id"] for r in rules] == ["uid:0", "uid:999", "gid:50", None]


def test_split_names():
    assert split_names('a, b  "c d",e') == ["a", "b", "c d", "e"] and split_names(None) == []


def test_parse_passdb():
    lm = "X" * 32
    text = (
        f"svc_ors_f1:999:{lm}:61A573331070645DB1A0ACD52E3123D7:[U          ]:LCT-1:\n"
        f"svc_ors_f2:995:{lm}:EA9A16352FAB4C8F4CFAF5D5143BA6C4:[DU         ]:LCT-2:\n"
    )
    assert parse_passdb(text) == {
        "svc_ors_f1": ("61a573331070645db1a0acd52e3123d7", False),
        "svc_ors_f2": ("ea9a16352fab4c8f4cfaf5d5143ba6c4", True),
    }


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/licenses", "/lab/hosts/fls1/licenses"),
        ("/licenses/", "/lab/hosts/fls1/licenses"),
        ("C:\\ProgramData\\FlexNet\\licenses", "/lab/hosts/fls1/ProgramData/FlexNet/licenses"),
        ("/", "/lab/hosts/fls1"),
    ],
)
def test_host_path(path, expected):
    assert host_path("/lab/hosts/fls1", path) == expected


@pytest.mark.parametrize(
    ("host", "share", "section"),
    [("fls1", "licenses", "fls1-licenses"), ("FLS1.lab.example", "Licenses$", "fls1-licenses$")],
)
def test_share_section(host, share, section):
    assert share_section(host, share) == section
