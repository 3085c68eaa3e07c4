"""Unit tests of plugins/modules/settings_store.py (the lab store adapter's writer): the patch, the
document's creation, atomic writes, idempotence, check mode, the diff and the refusals, on temporary
directories. Runs as root (the lab runs as root) to give files their owner and group."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import stat
from pathlib import Path

import pytest
from ansible_collections.printops.prismadirect.plugins.module_utils.lab_read_host import read_settings
from ansible_collections.printops.prismadirect.plugins.modules import settings_store
from ansible_collections.printops.prismadirect.plugins.modules.settings_store import (
    StoreError,
    ensure_settings,
)

CODE = "vc-Secret-4711"
CODE2 = "vc-Other-0042"
PROXY_PASSWORD = "pp-Hidden-0815"
GROUP = "nogroup"  # stands in for the ORS account's group

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the lab store adapter runs as root")


@pytest.fixture
def path(tmp_path):
    return str(tmp_path / "ProgramData" / "PRISMAdirect" / "remote-service.json")


def load(path):
    with open(path) as handle:
        return json.load(handle)


def fingerprint(salt, secret):
    return hmac.new(bytes.fromhex(salt), secret.encode(), hashlib.sha256).hexdigest()


def no_secret_in(result):
    text = json.dumps(result)
    return CODE not in text and CODE2 not in text and PROXY_PASSWORD not in text


# --------------------------------------------------------------------------------------------------
# creation and patch


def test_creates_the_document_from_the_defaults(path, tmp_path):
    result = ensure_settings(
        path,
        {"general.enabled": True, "general.organization_id": "ORG-1"},
        {"general.verification_code": CODE},
        group=GROUP,
    )
    assert result["changed"] is True and result["created"] is True
    doc = load(path)
    assert re.fullmatch(r"[0-9a-f]{32}", doc["salt"])
    assert doc == {
        "schema": 1,
        "salt": doc["salt"],
        "general": {
            "enabled": True,
            "organization_id": "ORG-1",
            "verification_code": CODE,
            "license_server": "local",
            "license_path": None,
        },
        "proxy": {"mode": "none", "url": None, "domain": None, "username": None, "password": None},
        "remote_assistance": {"enabled": False, "until": None},
    }
    st = os.stat(path)
    assert (st.st_uid, stat.S_IMODE(st.st_mode)) == (0, 0o640)
    assert st.st_gid == 65534
    for directory in (tmp_path / "ProgramData", tmp_path / "ProgramData" / "PRISMAdirect"):
        dst = os.stat(directory)
        assert (stat.S_IMODE(dst.st_mode), dst.st_uid, dst.st_gid) == (0o755, 0, 0)
    assert result["changed_keys"] == [
        "general.enabled",
        "general.license_path",
        "general.license_server",
        "general.organization_id",
        "general.verification_code",
        "proxy.domain",
        "proxy.mode",
        "proxy.password",
        "proxy.url",
        "proxy.username",
        "remote_assistance.enabled",
        "remote_assistance.until",
    ]
    view = result["view"]
    assert {k: view[k] for k in ("path", "exists", "owner", "group", "mode", "error")} == {
        "path": path,
        "exists": True,
        "owner": "root",
        "group": GROUP,
        "mode": "0640",
        "error": None,
    }
    assert view["document"]["salt"] == doc["salt"]
    assert view["document"]["general"]["verification_code"] == {
        "set": True,
        "fingerprint": fingerprint(doc["salt"], CODE),
    }
    assert view["document"]["proxy"]["password"] == {"set": False, "fingerprint": None}
    assert no_secret_in(result)


def test_view_is_the_same_as_what_host_state_reads(path):
    result = ensure_settings(path, {"proxy.mode": "manual"}, {"proxy.password": PROXY_PASSWORD}, group=GROUP)
    assert result["view"] == read_settings(path)


def test_second_run_changes_nothing_and_does_not_write(path):
    patch = ({"general.enabled": True}, {"general.verification_code": CODE})
    ensure_settings(path, *patch, group=GROUP)
    before = os.stat(path)
    result = ensure_settings(path, *patch, group=GROUP)
    after = os.stat(path)
    assert result["changed"] is False and result["created"] is False and result["changed_keys"] == []
    assert (before.st_ino, before.st_mtime_ns) == (after.st_ino, after.st_mtime_ns)


def test_patch_keeps_every_other_key_and_the_secrets(path):
    ensure_settings(
        path, {"general.organization_id": "ORG-1"}, {"general.verification_code": CODE}, group=GROUP
    )
    salt = load(path)["salt"]
    result = ensure_settings(
        path,
        {"proxy.mode": "manual", "proxy.url": "proxy.example.com:8080", "proxy.username": "pu"},
        {"proxy.password": PROXY_PASSWORD},
        group=GROUP,
    )
    doc = load(path)
    assert result["changed_keys"] == ["proxy.mode", "proxy.password", "proxy.url", "proxy.username"]
    assert doc["salt"] == salt
    assert doc["general"]["verification_code"] == CODE and doc["general"]["organization_id"] == "ORG-1"
    assert doc["proxy"] == {
        "mode": "manual",
        "url": "proxy.example.com:8080",
        "domain": None,
        "username": "pu",
        "password": PROXY_PASSWORD,
    }
    assert no_secret_in(result)


@pytest.mark.parametrize("clear", [None, ""])
def test_clearing_a_secret(path, clear):
    ensure_settings(path, {}, {"general.verification_code": CODE}, group=GROUP)
    result = ensure_settings(path, {}, {"general.verification_code": clear}, group=GROUP)
    assert result["changed"] is True and result["changed_keys"] == ["general.verification_code"]
    assert load(path)["general"]["verification_code"] is None
    assert result["view"]["document"]["general"]["verification_code"] == {"set": False, "fingerprint": None}


def test_unknown_extra_keys_are_kept_and_missing_ones_filled(path):
    os.makedirs(os.path.dirname(path))
    salt = "ab" * 16
    with open(path, "w") as handle:
        json.dump(
            {"schema": 1, "salt": salt, "general": {"enabled": True, "vendor_x": 1}, "extra": {"keep": "me"}},
            handle,
        )
    result = ensure_settings(path, {"remote_assistance.enabled": True}, {}, group=GROUP)
    doc = load(path)
    assert doc["extra"] == {"keep": "me"} and doc["general"]["vendor_x"] == 1 and doc["salt"] == salt
    assert doc["general"]["enabled"] is True and doc["remote_assistance"] == {"enabled": True, "until": None}
    assert doc["proxy"]["mode"] == "none"
    assert "remote_assistance.enabled" in result["changed_keys"] and "proxy.mode" in result["changed_keys"]


def test_a_bad_salt_is_replaced(path):
    os.makedirs(os.path.dirname(path))
    with open(path, "w") as handle:
        json.dump({"schema": 1, "salt": "short"}, handle)
    ensure_settings(path, {}, {}, group=GROUP)
    assert re.fullmatch(r"[0-9a-f]{32}", load(path)["salt"])


def test_boolean_strings_are_accepted():
    values, _ = settings_store.validate_patch(
        {"general.enabled": "yes", "remote_assistance.enabled": "false"}, {}
    )
    assert values == {"general.enabled": True, "remote_assistance.enabled": False}


# --------------------------------------------------------------------------------------------------
# ownership and mode


def test_wrong_mode_or_group_is_fixed_without_rewriting(path):
    ensure_settings(path, {"general.enabled": True}, {}, group=GROUP)
    os.chmod(path, 0o644)
    os.chown(path, 0, 0)
    inode = os.stat(path).st_ino
    result = ensure_settings(path, {"general.enabled": True}, {}, group=GROUP)
    st = os.stat(path)
    assert result["changed"] is True and result["changed_keys"] == []
    assert (st.st_ino, st.st_gid, stat.S_IMODE(st.st_mode)) == (inode, 65534, 0o640)


def test_without_group_an_existing_document_keeps_its_group(path):
    ensure_settings(path, {}, {}, group=GROUP)
    result = ensure_settings(path, {"general.enabled": True}, {})
    assert os.stat(path).st_gid == 65534 and result["view"]["group"] == GROUP


def test_without_group_a_new_document_gets_the_owners_primary_group(path):
    result = ensure_settings(path, {}, {})
    assert os.stat(path).st_gid == 0 and result["view"]["group"] == "root"


def test_the_temp_file_has_owner_group_and_mode_before_the_rename(path, monkeypatch):
    seen = {}
    real_replace = os.replace

    def spy(src, dst):
        st = os.stat(src)
        seen.update(
            src_dir=os.path.dirname(src), uid=st.st_uid, gid=st.st_gid, mode=stat.S_IMODE(st.st_mode), dst=dst
        )
        real_replace(src, dst)

    monkeypatch.setattr(settings_store.os, "replace", spy)
    ensure_settings(path, {"general.enabled": True}, {}, group=GROUP, mode="0600")
    assert seen == {"src_dir": os.path.dirname(path), "uid": 0, "gid": 65534, "mode": 0o600, "dst": path}
    assert os.listdir(os.path.dirname(path)) == ["remote-service.json"]


def test_a_failed_write_leaves_the_old_document_and_no_temp_file(path, monkeypatch):
    ensure_settings(path, {"general.organization_id": "OLD"}, {}, group=GROUP)

    def boom(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(settings_store.os, "replace", boom)
    with pytest.raises(OSError):
        ensure_settings(path, {"general.organization_id": "NEW"}, {}, group=GROUP)
    assert load(path)["general"]["organization_id"] == "OLD"
    assert os.listdir(os.path.dirname(path)) == ["remote-service.json"]


# --------------------------------------------------------------------------------------------------
# check mode and diff


def test_check_mode_creates_nothing(path, tmp_path):
    result = ensure_settings(
        path, {"general.enabled": True}, {"general.verification_code": CODE}, check_mode=True
    )
    assert result["changed"] is True and result["created"] is True
    assert not (tmp_path / "ProgramData").exists()
    assert result["view"]["document"]["general"]["enabled"] is True
    assert result["view"]["document"]["general"]["verification_code"]["set"] is True


def test_check_mode_writes_nothing_to_an_existing_document(path):
    ensure_settings(path, {}, {}, group=GROUP)
    before = Path(path).read_bytes()
    os.chmod(path, 0o644)
    result = ensure_settings(path, {"general.enabled": True}, {}, group=GROUP, check_mode=True)
    assert result["changed"] is True and result["changed_keys"] == ["general.enabled"]
    assert Path(path).read_bytes() == before and stat.S_IMODE(os.stat(path).st_mode) == 0o644
    no_change = ensure_settings(path, {}, {}, group=GROUP, mode="0644", check_mode=True)
    assert no_change["changed"] is False


def test_diff_of_a_new_document(path):
    diff = ensure_settings(path, {"general.enabled": True}, {"general.verification_code": CODE}, group=GROUP)[
        "diff"
    ]
    assert diff["before"] == {"path": path, "state": "absent"}
    after = diff["after"]
    assert (after["state"], after["owner"], after["group"], after["mode"]) == (
        "present",
        "root",
        GROUP,
        "0640",
    )
    assert "salt" not in after["settings"]
    assert after["settings"]["general"]["verification_code"] == "(secret set)"
    assert after["settings"]["proxy"]["password"] == "(not set)"
    assert after["settings"]["general"]["enabled"] is True
    assert no_secret_in(diff)


def test_diff_marks_changed_unchanged_and_cleared_secrets(path):
    ensure_settings(
        path, {}, {"general.verification_code": CODE, "proxy.password": PROXY_PASSWORD}, group=GROUP
    )
    diff = ensure_settings(path, {"proxy.mode": "manual"}, {"general.verification_code": CODE2}, group=GROUP)[
        "diff"
    ]
    assert diff["before"]["settings"]["general"]["verification_code"] == "(secret set)"
    assert diff["after"]["settings"]["general"]["verification_code"] == "(secret changed)"
    assert diff["before"]["settings"]["proxy"]["password"] == "(secret unchanged)"
    assert diff["after"]["settings"]["proxy"]["password"] == "(secret unchanged)"
    assert (diff["before"]["settings"]["proxy"]["mode"], diff["after"]["settings"]["proxy"]["mode"]) == (
        "none",
        "manual",
    )
    diff = ensure_settings(path, {}, {"proxy.password": None}, group=GROUP)["diff"]
    assert diff["after"]["settings"]["proxy"]["password"] == "(not set)"
    assert no_secret_in(diff)


# --------------------------------------------------------------------------------------------------
# refusals


@pytest.mark.parametrize(
    ("values", "secrets", "fragments"),
    [
        ({"general.enable": True}, {}, ["set: unknown key", "general.enable", "valid keys: general.enabled"]),
        ({"salt": "00"}, {}, ["unknown key", "salt"]),
        ({"schema": 2}, {}, ["unknown key", "schema"]),
        ({"general.verification_code": CODE}, {}, ["set: general.verification_code is a secret"]),
        ({}, {"proxy.url": "x:1"}, ["secrets: proxy.url is not a secret"]),
        ({}, {"proxy.pasword": PROXY_PASSWORD}, ["secrets: unknown key", "proxy.pasword", "proxy.password"]),
        ({}, {"proxy.password": 1234}, ["secrets: proxy.password takes a string or null"]),
        ({"general.enabled": "maybe"}, {}, ["general.enabled takes true or false"]),
        ({"general.organization_id": 12}, {}, ["general.organization_id takes a string or null"]),
        ({"proxy.mode": "auto"}, {}, ["proxy.mode takes one of none, auto_detect, manual"]),
        ({"general.license_server": "remote"}, {}, ["local, external"]),
    ],
)
def test_refusals_name_the_key(path, values, secrets, fragments):
    with pytest.raises(StoreError) as info:
        ensure_settings(path, values, secrets, group=GROUP)
    for fragment in fragments:
        assert fragment in str(info.value)
    assert CODE not in str(info.value) and PROXY_PASSWORD not in str(info.value)
    assert not os.path.exists(path)


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"group": "no-such-group-xyz"}, "group: no group"),
        ({"owner": "no-such-user-xyz"}, "owner: no user"),
        ({"mode": "rw-r-----"}, "mode:"),
        ({"mode": "99"}, "mode:"),
    ],
)
def test_refused_file_attributes(path, kwargs, fragment):
    with pytest.raises(StoreError, match=fragment):
        ensure_settings(path, {}, {}, **kwargs)


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ('{"schema": 1, "general": {"verification_code": "' + CODE + '"', "is not valid JSON"),
        ("[]", "does not hold a JSON object"),
        ('{"schema": 7}', "has schema 7"),
        ('{"schema": 1, "general": "x"}', "general is not a JSON object"),
    ],
)
def test_a_document_it_cannot_read_is_left_as_it_is(path, content, fragment):
    os.makedirs(os.path.dirname(path))
    with open(path, "w") as handle:
        handle.write(content)
    with pytest.raises(StoreError, match=fragment) as info:
        ensure_settings(path, {"general.enabled": True}, {}, group=GROUP)
    assert CODE not in str(info.value)
    assert Path(path).read_text() == content


# --------------------------------------------------------------------------------------------------
# Agreement with the pure model (module_utils/settings.py), which both lab modules import


@pytest.mark.parametrize(
    ("before", "after"),
    [(None, None), (None, CODE), (CODE, CODE), (CODE, CODE2), (CODE, None)],
)
def test_the_store_diff_markers_agree_with_the_planners_diff(path, before, after):
    from ansible_collections.printops.prismadirect.plugins.module_utils import settings

    if before is not None:
        ensure_settings(path, {}, {"general.verification_code": before}, group=GROUP)
    view = settings.view_of(load(path)) if before is not None else None
    result = ensure_settings(path, {}, {"general.verification_code": after}, group=GROUP, check_mode=True)
    model = settings.settings_diff(
        view, settings.settings_patch(view, {}, {"general.verification_code": after})
    )
    store_before = result["diff"]["before"].get("settings", {}).get("general", {})
    assert (
        result["diff"]["after"]["settings"]["general"]["verification_code"]
        == (model["after"]["general"]["verification_code"])
    )
    if before is not None:
        assert store_before["verification_code"] == model["before"]["general"]["verification_code"]
