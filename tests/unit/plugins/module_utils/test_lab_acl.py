"""Tables of cases for the lab's ACL mapping (plugins/module_utils/lab_acl.py): ``getfacl -n -p`` text
-> access rules, and rules -> the entries the lab adapter sets."""

from __future__ import annotations

import pytest
from ansible_collections.printops.prismadirect.plugins.module_utils.acl_model import AccessRule
from ansible_collections.printops.prismadirect.plugins.module_utils.lab_acl import (
    entry_kind,
    folder_acl,
    permissions,
)

NAMES = {0: "root", 999: "svc_ors_f1", 995: "svc_ors_f2", 50: "staff"}
HEADER = "# file: /srv/printops-lab/hosts/fls1/licenses\n# owner: 0\n# group: 0\n"


def rules(body: str) -> list[str]:
    acl = folder_acl(HEADER + body, lambda n: NAMES.get(n, str(n)), lambda n: NAMES.get(n, str(n)))
    return [AccessRule.from_state(r).describe() for r in acl["rules"]]


CASES = [
    # id, getfacl entries (after the header), rules as AccessRule.describe() gives them
    ("fresh folder 0750", "user::rwx\ngroup::r-x\nother::---\n",
     ["allow root full", "allow group:root read"]),
    ("what license_share makes",
     "user::rwx\nuser:999:rwx\ngroup::---\nmask::rwx\nother::---\n"
     "default:user::rwx\ndefault:user:999:rwx\ndefault:group::---\ndefault:mask::rwx\ndefault:other::---\n",
     ["allow root full (files, folders)", "allow svc_ors_f1 modify (files, folders)"]),
    ("the mask limits named entries",
     "user::rwx\nuser:999:rwx\t#effective:r-x\ngroup::---\nmask::r-x\nother::---\n"
     "default:user::rwx\ndefault:user:999:rwx\ndefault:group::---\ndefault:mask::rwx\ndefault:other::---\n",
     ["allow root full (files, folders)",
      "allow svc_ors_f1 other (user:svc_ors_f1:r-x/default:user:svc_ors_f1:rwx) (files, folders)"]),
    ("folder only", "user::rwx\nuser:999:rwx\ngroup::---\nmask::rwx\nother::---\n",
     ["allow root full", "allow svc_ors_f1 modify"]),
    ("inherit only", "user::rwx\ngroup::---\nmask::---\nother::---\n"
     "default:user::rwx\ndefault:user:999:rwx\ndefault:group::---\ndefault:mask::rwx\ndefault:other::---\n",
     ["allow root full (files, folders)",
      "allow svc_ors_f1 other (user:svc_ors_f1:---/default:user:svc_ors_f1:rwx) (files, folders)"]),
    ("read, named group, everyone",
     "user::rwx\nuser:995:r-x\ngroup::---\ngroup:50:rwx\nmask::rwx\nother::r-x\n",
     ["allow root full", "allow svc_ors_f2 read", "allow group:staff modify", "allow Everyone read"]),
    ("an orphan uid", "user::rwx\nuser:4242:rwx\ngroup::---\nmask::rwx\nother::---\n",
     ["allow root full", "allow 4242 modify"]),
]  # fmt: skip


@pytest.mark.parametrize(("body", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_getfacl_to_rules(body, expected):
    assert rules(body) == expected


def test_ids_owner_and_raw():
    acl = folder_acl(
        "# owner: 999\n# group: 50\nuser::rwx\ngroup::r-x\nother::---\n",
        lambda n: NAMES[n],
        lambda n: NAMES[n],
    )
    assert (acl["owner"], acl["group"]) == ("svc_ors_f1", "staff")
    owner, group = acl["rules"]
    assert (owner["identity"], owner["id"], owner["raw"]) == ("svc_ors_f1", "uid:999", "user::rwx")
    assert (group["identity"], group["id"], group["raw"]) == ("group:staff", "gid:50", "group::r-x")


KINDS = [
    ({"id": "uid:0", "raw": "user::rwx"}, ("owner", "0")),
    ({"id": "uid:0"}, ("owner", "0")),  # the planner's grant for the administrators
    ({"id": "uid:999", "raw": "user:svc:rwx"}, ("user", "999")),
    ({"id": "uid:999", "raw": "user::rwx"}, ("owner", "999")),  # an account owning the folder
    ({"id": "uid:999"}, ("user", "999")),
    ({"id": None}, ("user", "")),  # an account not found on the host
    ({"id": "gid:0", "raw": "group::r-x"}, ("owning_group", "0")),
    ({"id": "gid:50", "raw": "group:staff:rwx"}, ("group", "50")),
    ({"id": "other", "raw": "other::r-x"}, ("other", "")),
]


@pytest.mark.parametrize(("rule", "kind"), KINDS)
def test_entry_kind(rule, kind):
    assert entry_kind(rule) == kind


def test_permissions():
    assert [permissions(r) for r in ("full", "modify", "read")] == ["rwx", "rwx", "r-x"]
    assert permissions("modify", files=True) == "rwX" and permissions("read", files=True) == "r-X"
    with pytest.raises(ValueError, match="cannot grant 'other'"):
        permissions("other")
