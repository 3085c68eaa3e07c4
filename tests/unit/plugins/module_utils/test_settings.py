"""Tables of cases for the Remote Service settings model (plugins/module_utils/settings.py)."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from ansible_collections.printops.prismadirect.plugins.module_utils import settings
from ansible_collections.printops.prismadirect.plugins.module_utils.settings import (
    DEFAULT_DOCUMENT,
    NOT_SET,
    SECRET_CHANGED,
    SECRET_KEYS,
    SECRET_SET,
    SECRET_UNCHANGED,
    SETTING_KEYS,
    Patch,
    apply_patch,
    assistance_blockers,
    current_values,
    fingerprint,
    flatten,
    new_document,
    secret_matches,
    settings_diff,
    settings_patch,
    unflatten,
    view_of,
)

SALT = "0f" * 16
CODE = "V3rif-Code-0001"
PROXY_PASSWORD = "Pr0xy-Pa55!"


def document(**flat) -> dict:
    """A store document with the dotted keys given (secrets in clear, as the store keeps them)."""
    doc = new_document(SALT)
    for key, value in flat.items():
        section, name = key.split("__")
        doc[section][name] = value
    return doc


def view(**flat) -> dict:
    return view_of(document(**flat))


READY = {
    "general__enabled": True,
    "general__organization_id": "ORG-1",
    "general__verification_code": CODE,
    "proxy__mode": "manual",
    "proxy__url": "proxy.example.com:8080",
}

# ---------------------------------------------------------------------------------------------------
# Document, keys, fingerprints
# ---------------------------------------------------------------------------------------------------


def test_schema_keys():
    assert SECRET_KEYS == ("general.verification_code", "proxy.password")
    assert SETTING_KEYS == (
        "general.enabled",
        "general.organization_id",
        "general.license_server",
        "general.license_path",
        "proxy.mode",
        "proxy.url",
        "proxy.domain",
        "proxy.username",
        "remote_assistance.enabled",
        "remote_assistance.until",
    )
    assert DEFAULT_DOCUMENT["schema"] == 1
    assert new_document(SALT)["salt"] == SALT
    with pytest.raises(ValueError):
        new_document("not hex")


def test_flatten_unflatten_round_trip():
    flat = flatten(DEFAULT_DOCUMENT)
    assert "schema" not in flat and "salt" not in flat
    assert unflatten(flat) == {s: dict(DEFAULT_DOCUMENT[s]) for s in settings.SECTIONS}
    with pytest.raises(ValueError, match=r"section\.name"):
        unflatten({"enabled": True})


@pytest.mark.parametrize(
    ("salt", "secret"),
    [("00" * 16, ""), (SALT, CODE), ("ab" * 16, "ünïcødé"), (SALT, "x" * 256)],
)
def test_fingerprint_is_hmac_sha256_keyed_by_salt(salt, secret):
    expected = hmac.new(bytes.fromhex(salt), secret.encode(), hashlib.sha256).hexdigest()
    assert fingerprint(salt, secret) == expected
    assert len(expected) == 64


def test_fingerprint_known_vector():
    assert (
        fingerprint("00" * 16, "code") == "68c165fe5bc7187e0cef8179d89fa22f0d8d4bc433b05bddc7b38f3ca93412e9"
    )
    assert fingerprint("01" * 16, "code") != fingerprint("00" * 16, "code")


def test_view_hides_secrets():
    v = view(general__verification_code=CODE, proxy__password=PROXY_PASSWORD)
    assert v["general"]["verification_code"] == {"set": True, "fingerprint": fingerprint(SALT, CODE)}
    assert v["proxy"]["password"]["fingerprint"] == fingerprint(SALT, PROXY_PASSWORD)
    assert CODE not in json.dumps(v) and PROXY_PASSWORD not in json.dumps(v)
    assert view()["proxy"]["password"] == {"set": False, "fingerprint": None}


@pytest.mark.parametrize(
    ("value", "salt", "expected"),
    [
        (CODE, SALT, {"set": True, "fingerprint": fingerprint(SALT, CODE)}),
        ("", SALT, {"set": False, "fingerprint": None}),  # an empty string is not a secret
        (None, SALT, {"set": False, "fingerprint": None}),
        (1234, SALT, {"set": False, "fingerprint": None}),  # a hand-edited number must not crash
        (["x"], SALT, {"set": False, "fingerprint": None}),
        (CODE, "not hex", {"set": True, "fingerprint": None}),  # a bad salt: cannot be compared
        (CODE, None, {"set": True, "fingerprint": None}),
    ],
)
def test_view_of_odd_documents(value, salt, expected):
    doc = document(general__verification_code=value)
    doc["salt"] = salt
    assert view_of(doc)["general"]["verification_code"] == expected


def test_view_of_a_section_that_is_not_an_object():
    doc = document()
    doc["proxy"] = "broken"
    assert view_of(doc)["proxy"] == {"password": {"set": False, "fingerprint": None}}


@pytest.mark.parametrize(
    ("was_set", "written", "cleared", "expected"),
    [
        (False, False, False, (NOT_SET, NOT_SET)),
        (True, False, False, (SECRET_UNCHANGED, SECRET_UNCHANGED)),
        (False, True, False, (NOT_SET, SECRET_SET)),
        (True, True, False, (SECRET_SET, SECRET_CHANGED)),
        (True, True, True, (SECRET_SET, NOT_SET)),
    ],
)
def test_secret_markers(was_set, written, cleared, expected):
    assert settings.secret_markers(was_set, written, cleared) == expected


# ---------------------------------------------------------------------------------------------------
# Secret detection
# ---------------------------------------------------------------------------------------------------

FP = fingerprint(SALT, CODE)
SECRET_CASES = [
    # view, desired, expected
    ({"salt": SALT, "general": {"verification_code": {"set": True, "fingerprint": FP}}}, CODE, True),
    ({"salt": SALT, "general": {"verification_code": {"set": True, "fingerprint": FP}}}, "other", False),
    ({"salt": SALT, "general": {"verification_code": {"set": True, "fingerprint": FP}}}, None, False),
    ({"salt": SALT, "general": {"verification_code": {"set": False, "fingerprint": None}}}, CODE, False),
    ({"salt": SALT, "general": {"verification_code": {"set": False, "fingerprint": None}}}, None, True),
    ({"salt": SALT, "secrets": {"general.verification_code": {"set": True, "fingerprint": FP}}}, CODE, True),
    ({"salt": SALT, "secrets": {"general.verification_code": {"set": True, "fingerprint": FP}}}, "x", False),
    # cannot tell: no fingerprint, no salt, a bad salt
    ({"salt": SALT, "general": {"verification_code": {"set": True, "fingerprint": None}}}, CODE, None),
    ({"general": {"verification_code": {"set": True, "fingerprint": FP}}}, CODE, None),
    ({"salt": "zz", "general": {"verification_code": {"set": True, "fingerprint": FP}}}, CODE, None),
    # no store yet
    (None, CODE, False),
    (None, None, True),
    ({}, None, True),
    # a reader that leaked the value: treated as set, never compared
    ({"salt": SALT, "general": {"verification_code": CODE}}, CODE, None),
]


@pytest.mark.parametrize(("the_view", "desired", "expected"), SECRET_CASES)
def test_secret_matches(the_view, desired, expected):
    assert secret_matches(the_view, "general.verification_code", desired) is expected


def test_secret_state_refuses_non_secret_key():
    with pytest.raises(ValueError, match="not a secret"):
        settings.secret_state({}, "general.enabled")


# ---------------------------------------------------------------------------------------------------
# Patches: only what differs
# ---------------------------------------------------------------------------------------------------

PATCH_CASES = [
    # id, view, desired, desired secrets, expected set, expected secret keys
    ("nothing asked", view(), {}, {}, {}, []),
    ("defaults on a missing store", None, {"general.enabled": False, "proxy.mode": "none"}, {}, {}, []),
    ("enable", view(), {"general.enabled": True}, {}, {"general.enabled": True}, []),
    ("already enabled", view(general__enabled=True), {"general.enabled": True}, {}, {}, []),
    (
        "truthy is not true",
        view(general__enabled=1),
        {"general.enabled": True},
        {},
        {"general.enabled": True},
        [],
    ),
    (
        "only the differing key",
        view(general__enabled=True, general__organization_id="ORG-1"),
        {"general.enabled": True, "general.organization_id": "ORG-2"},
        {},
        {"general.organization_id": "ORG-2"},
        [],
    ),
    ("same code", view(**READY), {}, {"general.verification_code": CODE}, {}, []),
    ("new code", view(**READY), {}, {"general.verification_code": "new"}, {}, ["general.verification_code"]),
    ("first code", view(), {}, {"general.verification_code": CODE}, {}, ["general.verification_code"]),
    ("clear password", view(proxy__password="p"), {}, {"proxy.password": None}, {}, ["proxy.password"]),
    ("already clear", view(), {}, {"proxy.password": None}, {}, []),
    (
        "mixed",
        view(**READY),
        {"proxy.mode": "manual", "proxy.username": "u"},
        {"proxy.password": PROXY_PASSWORD, "general.verification_code": CODE},
        {"proxy.username": "u"},
        ["proxy.password"],
    ),
]


@pytest.mark.parametrize(
    ("the_view", "desired", "secrets", "expected_set", "expected_secrets"),
    [c[1:] for c in PATCH_CASES],
    ids=[c[0] for c in PATCH_CASES],
)
def test_settings_patch_is_minimal(the_view, desired, secrets, expected_set, expected_secrets):
    patch = settings_patch(the_view, desired, secrets)
    assert dict(patch.set) == expected_set
    assert sorted(patch.secrets) == expected_secrets
    assert set(patch.changed_keys) == set(expected_set) | set(expected_secrets)
    assert patch.empty is (not patch.changed_keys)
    for value in (secrets or {}).values():
        if value:
            assert value not in repr(patch)


class TaggedStr(str):
    """Like the tagged strings ansible-core 2.19 hands to action plugins as task arguments."""


def test_settings_patch_takes_subclasses_of_a_kind_as_that_kind():
    patch = settings_patch(view(**READY), {"proxy.mode": TaggedStr("manual"), "general.enabled": True}, {})
    assert patch.empty


def test_settings_patch_still_rewrites_a_stored_1_for_true():
    stored = view(**READY)
    stored["general"]["enabled"] = 1
    assert settings_patch(stored, {"general.enabled": True}, {}).set == {"general.enabled": True}


def test_settings_patch_orders_keys_like_the_document():
    patch = settings_patch(
        view(), {"remote_assistance.enabled": True, "general.enabled": True}, {"proxy.password": "p"}
    )
    assert patch.changed_keys == ("general.enabled", "proxy.password", "remote_assistance.enabled")


@pytest.mark.parametrize(
    ("desired", "secrets"),
    [({"general.nope": 1}, {}), ({"general.verification_code": "x"}, {}), ({}, {"general.enabled": "x"})],
)
def test_settings_patch_refuses_unknown_keys(desired, secrets):
    with pytest.raises(ValueError, match="unknown settings keys"):
        settings_patch(view(), desired, secrets)


@pytest.mark.parametrize(("_id", "the_view", "desired", "secrets", "_set", "_secrets"), PATCH_CASES)
def test_applied_patch_converges(_id, the_view, desired, secrets, _set, _secrets):
    """Applying a patch and reading the result back leaves nothing to change."""
    doc = apply_patch(
        document() if the_view is None else _document_of(the_view), settings_patch(the_view, desired, secrets)
    )
    assert settings_patch(view_of(doc), desired, secrets).empty


def _document_of(the_view: dict) -> dict:
    """Test helper: the views above were made from documents with known secrets."""
    doc = {k: (dict(v) if isinstance(v, dict) else v) for k, v in the_view.items()}
    code = the_view["general"]["verification_code"]
    doc["general"]["verification_code"] = CODE if code["set"] else None
    doc["proxy"]["password"] = "p" if the_view["proxy"]["password"]["set"] else None
    return doc


def test_current_values_fill_defaults():
    values = current_values({"general": {"enabled": True}})
    assert values["general.enabled"] is True
    assert values["proxy.mode"] == "none"
    assert not set(values) & set(SECRET_KEYS)


# ---------------------------------------------------------------------------------------------------
# Diffs: markers, never values or fingerprints
# ---------------------------------------------------------------------------------------------------

DIFF_CASES = [
    # view, secrets asked, expected (before, after) marker of general.verification_code
    (view(**READY), {"general.verification_code": CODE}, (SECRET_UNCHANGED, SECRET_UNCHANGED)),
    (view(**READY), {"general.verification_code": "another"}, (SECRET_SET, SECRET_CHANGED)),
    (view(**READY), {"general.verification_code": None}, (SECRET_SET, NOT_SET)),
    (view(), {"general.verification_code": CODE}, (NOT_SET, SECRET_SET)),
    (view(), {"general.verification_code": None}, (NOT_SET, NOT_SET)),
    (None, {"general.verification_code": CODE}, (NOT_SET, SECRET_SET)),
    (view(**READY), {}, (SECRET_UNCHANGED, SECRET_UNCHANGED)),
]


@pytest.mark.parametrize(("the_view", "secrets", "markers"), DIFF_CASES)
def test_settings_diff_secret_markers(the_view, secrets, markers):
    diff = settings_diff(the_view, settings_patch(the_view, {}, secrets))
    assert (
        diff["before"]["general"]["verification_code"],
        diff["after"]["general"]["verification_code"],
    ) == markers


ALL_SECRETS = [CODE, PROXY_PASSWORD, "another", fingerprint(SALT, CODE), fingerprint(SALT, PROXY_PASSWORD)]


@pytest.mark.parametrize(
    ("the_view", "desired", "secrets"),
    [(c[1], c[2], c[3]) for c in PATCH_CASES]
    + [(c[0], {}, c[1]) for c in DIFF_CASES]
    + [(view(**READY, proxy__password=PROXY_PASSWORD), {"proxy.mode": "none"}, {"proxy.password": None})],
)
def test_settings_diff_never_shows_a_secret(the_view, desired, secrets):
    patch = settings_patch(the_view, desired, secrets)
    text = json.dumps(settings_diff(the_view, patch)) + repr(patch)
    for secret in ALL_SECRETS:
        assert secret not in text


def test_settings_diff_is_nested_and_limited_to_sections():
    the_view = view()
    diff = settings_diff(
        the_view, settings_patch(the_view, {"proxy.mode": "manual", "proxy.url": "p:1"}), ["proxy"]
    )
    assert set(diff["before"]) == set(diff["after"]) == {"proxy"}
    assert diff["before"]["proxy"]["mode"] == "none"
    assert diff["after"]["proxy"] == {
        "mode": "manual",
        "url": "p:1",
        "domain": None,
        "username": None,
        "password": NOT_SET,
    }


def test_patch_repr_hides_secrets():
    assert CODE not in repr(Patch(secrets={"general.verification_code": CODE}, changed_keys=("x",)))


# ---------------------------------------------------------------------------------------------------
# Remote-assistance prerequisites
# ---------------------------------------------------------------------------------------------------

RUNNING = {"name": "Print ORS Service", "exists": True, "state": "running"}

BLOCKER_CASES = [
    # id, view, service, fragments expected (in order); [] = ready
    ("ready with a manual proxy", view(**READY), RUNNING, []),
    ("ready without a proxy", view(**{**READY, "proxy__mode": "none", "proxy__url": None}), RUNNING, []),
    ("service as a string", view(**READY), "running", []),
    (
        "fresh host: everything missing",
        None,
        {"name": "Print ORS Service", "exists": True, "state": "stopped"},
        ["not enabled", "organization ID", "Verification code", "Print ORS Service is stopped"],
    ),
    (
        "auto detection and stopped service",
        view(**{**READY, "proxy__mode": "auto_detect", "proxy__url": None}),
        "stopped",
        ["automatic detection", "is stopped"],
    ),
    (
        "disabled, no code, manual without URL",
        view(general__organization_id="ORG", proxy__mode="manual"),
        RUNNING,
        ["not enabled", "Verification code", "no proxy URL"],
    ),
    ("service not installed", view(**READY), {"name": "ORS", "exists": False}, ["ORS is not installed"]),
    ("service unknown", view(**READY), None, ["unknown state"]),
    ("odd proxy mode", view(**{**READY, "proxy__mode": "pac"}), RUNNING, ["'pac' is unknown"]),
]


@pytest.mark.parametrize(
    ("the_view", "service", "fragments"), [c[1:] for c in BLOCKER_CASES], ids=[c[0] for c in BLOCKER_CASES]
)
def test_assistance_blockers_lists_all(the_view, service, fragments):
    blockers = assistance_blockers(the_view, service)
    assert len(blockers) == len(fragments)
    for blocker, fragment in zip(blockers, fragments, strict=True):
        assert fragment in blocker
        assert ": " in blocker  # the problem, then the fix
