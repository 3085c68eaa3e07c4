"""printops.prismadirect.license_share through its action plugin and the lab adapter, on recorded host
states of the lab FLS fls1 (see action_harness.py)."""

from __future__ import annotations

import pytest
from action_harness import FLS_VARS, leaks, load_state, modules, run
from ansible_collections.printops.prismadirect.plugins.plugin_utils._platform_lab_fls import lab_nt_hash

PASSWORD_1 = "Fls-Share-Pw-1"  # the recorded share passwords
PASSWORD_2 = "Fls-Share-Pw-2"
NEW_PASSWORD = "Fls-Share-Pw-new"
FOLDER = "/srv/printops-lab/hosts/fls1/licenses"
SHARES = "/srv/printops-lab/samba/shares.conf"
SMB_CONF = "/srv/printops-lab/samba/smb.conf"
ARGS = {
    "path": "/licenses",
    "name": "licenses",
    "accounts": [
        {"name": ".\\svc_ors_f1", "password": PASSWORD_1},
        {"name": ".\\svc_ors_f2", "password": PASSWORD_2},
    ],
    "description": "PRISMAdirect licenses",
}
SECRETS = (PASSWORD_1, PASSWORD_2, NEW_PASSWORD, lab_nt_hash(PASSWORD_1), lab_nt_hash(PASSWORD_2))


def share(args=ARGS, state="fls_converged", **kw):
    return run("license_share", args, state=state, task_vars=FLS_VARS, **kw)


def calls_of(calls, module):
    return [args for name, args in calls if name == module]


def test_first_run_makes_the_acl_the_share_and_the_share_passwords():
    result, calls = share(state="fls_fresh", diff=True)
    assert result["changed"] is True and not result.get("failed"), result
    assert modules(calls) == [
        "host_state",
        "file",
        *["acl"] * 6,  # the folder's entries
        "command",  # setfacl -R: the same on what the folder holds
        *["ini_file"] * 9,
        *["command"] * 4,  # smbpasswd -a, -e for each account
    ]
    # root keeps its entry and gets the default one; each account rwx, by default too
    assert calls[1][1] == {"path": FOLDER, "state": "directory", "owner": "root"}
    acl = [(a["etype"], a["entity"], a["permissions"], a.get("default", False))
           for a in calls_of(calls, "ansible.posix.acl")]  # fmt: skip
    assert acl == [
        ("user", "999", "rwx", False),
        ("user", "999", "rwx", True),
        ("user", "995", "rwx", False),
        ("user", "995", "rwx", True),
        ("user", "", "rwx", False),
        ("user", "", "rwx", True),
    ]
    assert calls[8][1] == {
        "argv": [
            "setfacl",
            "-R",
            "-m",
            "user:999:rwX,d:user:999:rwx",
            "-m",
            "user:995:rwX,d:user:995:rwx",
            FOLDER,
        ]
    }
    options = {a["option"]: a.get("value") for a in calls_of(calls, "community.general.ini_file")}
    assert options == {
        "path": FOLDER,
        "comment": "PRISMAdirect licenses",
        "valid users": "svc_ors_f1 svc_ors_f2",
        "read list": None,
        "invalid users": None,
        "read only": "no",
        "inherit acls": "yes",
        "create mask": "0770",
        "directory mask": "0770",
    }
    assert {(a["path"], a["section"]) for a in calls_of(calls, "community.general.ini_file")} == {
        (SHARES, "fls1-licenses")
    }
    set_password, enable = calls_of(calls, "ansible.builtin.command")[1:3]
    assert set_password["argv"] == ["smbpasswd", "-c", SMB_CONF, "-s", "-a", "svc_ors_f1"]
    assert set_password["stdin"] == f"{PASSWORD_1}\n{PASSWORD_1}" and set_password["_ansible_no_log"] is True
    assert enable["argv"] == ["smbpasswd", "-c", SMB_CONF, "-e", "svc_ors_f1"]
    assert result["smb_path"] == "\\\\fls1\\licenses" and result["share"] == "licenses"
    assert result["diff"]["after"]["share_passwords"] == {
        ".\\svc_ors_f1": "(secret set)",
        ".\\svc_ors_f2": "(secret set)",
    }
    assert leaks(result, *SECRETS) == []


def test_the_reader_gets_nt_hash_candidates_without_logging():
    _, calls = share()
    name, args = calls[0]
    assert name == "printops.prismadirect.host_state" and args["_ansible_no_log"] is True
    assert args["sections"] == ["accounts", "folder", "share"]
    assert (args["folder_path"], args["share_name"], args["lab_host"]) == ("/licenses", "licenses", "fls1")
    assert args["accounts"] == [
        {"name": "svc_ors_f1", "nt_hash": lab_nt_hash(PASSWORD_1)},
        {"name": "svc_ors_f2", "nt_hash": lab_nt_hash(PASSWORD_2)},
    ]


def test_second_run_changes_nothing():
    result, calls = share()
    assert result["changed"] is False and modules(calls) == ["host_state"]
    assert result["granted"] == [] and result["revoked"] == [] and result["smb_path"] == "\\\\fls1\\licenses"


def test_accounts_may_be_given_by_name_alone():
    result, calls = share({**ARGS, "accounts": [".\\svc_ors_f1", "svc_ors_f2"]})
    assert not result.get("failed"), result
    assert modules(calls) == ["host_state"] and calls[0][1]["accounts"] == [
        {"name": "svc_ors_f1"},
        {"name": "svc_ors_f2"},
    ]


def test_check_mode_applies_nothing():
    result, calls = share(state="fls_fresh", check=True)
    assert result["changed"] is True and modules(calls) == ["host_state"]


def test_a_share_password_that_differs_is_set_alone():
    state = load_state("fls_converged")
    state["share"]["users"]["svc_ors_f2"]["password_matches"] = False
    accounts = [ARGS["accounts"][0], {"name": ".\\svc_ors_f2", "password": NEW_PASSWORD}]
    result, calls = share({**ARGS, "accounts": accounts}, state=state, diff=True)
    assert result["changed"] is True and modules(calls) == [
        "host_state",
        *["ini_file"] * 9,
        "command",
        "command",
    ]
    assert calls_of(calls, "ansible.builtin.command")[0]["stdin"] == f"{NEW_PASSWORD}\n{NEW_PASSWORD}"
    assert result["diff"]["after"]["share_passwords"][".\\svc_ors_f2"] == "(secret changed)"
    assert leaks(result, *SECRETS) == []


def with_folder_rule(identity: str, id_: str, rights: str, raw: str, inherit: bool) -> dict:
    """The converged fls1 with one more explicit rule on the folder, as the lab reader reports it."""
    state = load_state("fls_converged")
    state["folder"]["rules"].append(
        {"identity": identity, "id": id_, "rights": rights, "type": "allow", "inherit_files": inherit,
         "inherit_folders": inherit, "inherited": False, "raw": raw}
    )  # fmt: skip
    return state


def setfacl(calls) -> list[str]:
    """The argv of the ``setfacl -R`` that carries the change to what the folder holds."""
    return calls_of(calls, "ansible.builtin.command")[0]["argv"]


def test_exclusive_revokes_another_users_grants_on_folder_and_share():
    state = with_folder_rule("fdev_x", "uid:994", "modify", "user:fdev_x:rwx/default:user:fdev_x:rwx", True)
    state["share"]["access"].append(
        {"identity": "fdev_x", "id": "uid:994", "rights": "modify", "type": "allow"}
    )
    kept, calls = share(state=state)
    assert kept["changed"] is False  # not exclusive: other grants stay
    result, calls = share({**ARGS, "exclusive": True}, state=state)
    assert result["revoked"] == ["allow fdev_x modify (files, folders)"]
    removed = [(a["entity"], a["state"], a["default"]) for a in calls_of(calls, "ansible.posix.acl")]
    assert removed == [("994", "absent", False), ("994", "absent", True)]
    assert setfacl(calls) == ["setfacl", "-R", "-x", "user:994,d:user:994", FOLDER]
    options = {a["option"]: a.get("value") for a in calls_of(calls, "community.general.ini_file")}
    assert options["valid users"] == "svc_ors_f1 svc_ors_f2"


def test_everyone_on_the_folder_is_emptied_with_exclusive():
    state = with_folder_rule("Everyone", "other", "read", "other::r-x", False)
    warned, _ = share(state=state)
    assert any("everybody" in w for w in warned["warnings"])
    _, calls = share({**ARGS, "exclusive": True}, state=state)
    emptied = [(a["etype"], a["permissions"], a["default"]) for a in calls_of(calls, "ansible.posix.acl")]
    assert emptied == [("other", "---", False), ("other", "---", True)]
    assert setfacl(calls) == ["setfacl", "-R", "-m", "other::---,d:other::---", FOLDER]


@pytest.mark.parametrize(
    ("args", "option"),
    [
        ({"name": "C$"}, "name"),
        ({"name": "lic/enses"}, "name"),
        ({"path": "\\\\fls1\\licenses"}, "path"),
        ({"path": "licenses"}, "path"),
        ({"accounts": ["Everyone"]}, "accounts[0].name"),
        ({"accounts": ["BUILTIN\\Administrators"]}, "accounts[0].name"),
        ({"accounts": []}, "accounts"),
        ({"accounts": [".\\svc_ors_f1", "svc_ors_f1"]}, "accounts[1]"),
        ({"accounts": [{"name": "svc_ors_f1", "password": "a\nb"}]}, "accounts[0].password"),
    ],
)
def test_bad_options_fail_before_any_host_call(args, option):
    result, calls = share({**ARGS, **args})
    assert result["failed"] is True and result["msg"].startswith(f"{option}:"), result["msg"]
    assert calls == [] and leaks(result, *SECRETS) == []


def test_a_failed_module_names_the_change_and_hides_the_passwords():
    def smbpasswd_fails(args):
        if args["argv"][0] == "smbpasswd":
            return {"failed": True, "msg": f"smbpasswd said {PASSWORD_1}"}
        return {"changed": True}

    result, _ = share(state="fls_fresh", answers={"ansible.builtin.command": smbpasswd_fails})
    assert result["failed"] is True and result["changed"] is True
    assert (
        "share licenses does not exist" in result["msg"] and "ansible.builtin.command failed" in result["msg"]
    )
    assert leaks(result, *SECRETS) == []


def test_an_account_missing_on_the_fls_fails_after_the_read_before_any_change():
    state = load_state("fls_fresh")
    state["accounts"]["svc_ors_f2"] = {"exists": False, "id": None, "group": None, "groups": []}
    state["warnings"] = ["cannot list the lab's Samba accounts: pdbedit failed"]
    result, calls = share(state=state)
    assert modules(calls) == ["host_state"]  # nothing applied: no setfacl with an unknown name
    assert result["failed"] is True and result["changed"] is False
    assert result["msg"].startswith("accounts: .\\svc_ors_f2 does not exist on this host")
    assert "create the account first" in result["msg"] and "domain account" in result["msg"]
    assert result["warnings"] == ["cannot list the lab's Samba accounts: pdbedit failed"]  # kept
    assert leaks(result, *SECRETS) == []


def test_warnings_of_the_plan_are_kept_when_a_change_fails():
    state = with_folder_rule("Everyone", "other", "read", "other::r-x", False)
    state["share"]["description"] = "old"
    answers = {"community.general.ini_file": {"failed": True, "msg": "read-only file system"}}
    result, _ = share(state=state, answers=answers)
    assert result["failed"] is True and "read-only file system" in result["msg"]
    assert any("everybody" in w for w in result["warnings"])


def test_a_missing_folder_is_made_without_access_for_its_owning_group():
    state = load_state("fls_fresh")
    state["folder"].update(exists=False, owner=None, group=None, rules=[])
    result, calls = share(state=state)
    assert not result.get("failed"), result
    # 0700: group::--- and, copied from it by the first default entry, default:group::--- (lab/README.md)
    assert calls[1][1] == {
        "path": FOLDER,
        "state": "directory",
        "owner": "root",
        "group": "root",
        "mode": "0700",
    }


def test_in_check_mode_an_account_missing_on_the_fls_is_a_warning_and_nothing_is_applied():
    state = load_state("fls_fresh")
    state["accounts"]["svc_ors_f2"] = {"exists": False, "id": None, "group": None, "groups": []}
    result, calls = share(state=state, check=True)
    assert modules(calls) == ["host_state"] and result["changed"] is True and not result.get("failed")
    assert any(w.startswith(".\\svc_ors_f2 does not exist on this host yet") for w in result["warnings"])
    assert leaks(result, *SECRETS) == []
