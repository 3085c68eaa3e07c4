"""Tables of cases for the domain validators (plugins/module_utils/validation.py) and for the bad inputs
of the five remote-service modules' options (the ``<module>_desired`` builders in planning)."""

from __future__ import annotations

import pickle

import pytest
from ansible_collections.printops.prismadirect.plugins.module_utils import planning, validation
from ansible_collections.printops.prismadirect.plugins.module_utils.planning_ors import account_matches
from ansible_collections.printops.prismadirect.plugins.module_utils.validation import (
    Account,
    ValidationError,
    lab_user_name,
    parse_account,
    parse_license_path,
    parse_organization_id,
    parse_proxy_url,
    parse_service_name,
    parse_verification_code,
)

SECRET = "Sup3r-S3cret!"

# ---------------------------------------------------------------------------------------------------
# ValidationError
# ---------------------------------------------------------------------------------------------------


def test_validation_error_names_the_option():
    exc = ValidationError("url", "is empty: expected proxy.example.com:8080")
    assert str(exc) == "url: is empty: expected proxy.example.com:8080"
    assert (exc.option, exc.message) == ("url", "is empty: expected proxy.example.com:8080")
    assert isinstance(exc, ValueError)
    again = pickle.loads(pickle.dumps(exc))
    assert (again.option, again.message, str(again)) == (exc.option, exc.message, str(exc))


# ---------------------------------------------------------------------------------------------------
# Accounts
# ---------------------------------------------------------------------------------------------------

ACCOUNT_CASES = [
    # value, domain, user, qualified, is_local
    ("CORP\\svc_ors", "CORP", "svc_ors", "CORP\\svc_ors", False),
    (".\\svc_ors", None, "svc_ors", ".\\svc_ors", True),
    ("svc_ors", None, "svc_ors", ".\\svc_ors", True),
    ("svc_ors@corp.example.com", "corp.example.com", "svc_ors", "svc_ors@corp.example.com", False),
    ("corp.example.com\\svc", "corp.example.com", "svc", "corp.example.com\\svc", False),
    ("CORP\\Svc.Ors-1", "CORP", "Svc.Ors-1", "CORP\\Svc.Ors-1", False),
    ("CORP\\" + "a" * 20, "CORP", "a" * 20, "CORP\\" + "a" * 20, False),
]


@pytest.mark.parametrize(("value", "domain", "user", "qualified", "is_local"), ACCOUNT_CASES)
def test_parse_account(value, domain, user, qualified, is_local):
    account = parse_account(value)
    assert (account.domain, account.user, account.original) == (domain, user, value)
    assert account.qualified == qualified
    assert account.is_local is is_local


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("CORP\\svc_ors_p1", "svc_ors_p1"),
        (".\\SVC_ORS", "svc_ors"),
        ("svc_ors@corp.example.com", "svc_ors"),
        ("_svc", "_svc"),
    ],
)
def test_lab_user_name(value, expected):
    assert lab_user_name(parse_account(value)) == expected


@pytest.mark.parametrize("value", ["svc.ors", "1svc", "CORP\\svc'x", "-svc"])
def test_lab_user_name_refuses_non_posix(value):
    account = Account(domain=None, user=value.split("\\")[-1], original=value)
    with pytest.raises(ValidationError, match=r"^account: .*POSIX-compatible") as info:
        lab_user_name(account)
    assert info.value.option == "account"


ACCOUNT_MATCH_CASES = [
    # desired, reported, matches
    ("CORP\\svc", "CORP\\svc", True),
    ("CORP\\svc", "corp\\SVC", True),
    ("CORP\\svc", "svc", True),  # the lab reports its system user
    (".\\svc", "svc", True),
    (".\\svc", ".\\svc", True),
    ("svc", ".\\SVC", True),
    ("svc@corp.example.com", "CORP\\svc", True),
    ("CORP\\svc", "svc@corp.example.com", True),
    ("CORP\\svc", ".\\svc", False),
    (".\\svc", "CORP\\svc", False),
    ("CORP\\svc", "OTHER\\svc", False),
    ("CORP\\svc", "CORP\\other", False),
    ("CORP\\svc", "LocalSystem", False),
    ("CORP\\svc", "NT AUTHORITY\\NetworkService", False),
    ("CORP\\svc", None, False),
    ("CORP\\svc", "", False),
]


@pytest.mark.parametrize(("desired", "reported", "matches"), ACCOUNT_MATCH_CASES)
def test_account_matches(desired, reported, matches):
    assert account_matches(parse_account(desired), reported) is matches


# ---------------------------------------------------------------------------------------------------
# Proxy URL, license path, other texts
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("proxy.example.com:8080", "proxy.example.com:8080"),
        ("http://proxy.example.com:8080", "proxy.example.com:8080"),
        ("http://proxy.example.com:8080/", "proxy.example.com:8080"),
        ("10.0.0.1:3128", "10.0.0.1:3128"),
        ("[2001:db8::1]:8080", "[2001:db8::1]:8080"),
        ("[2001:0db8:0000::0001]:8080", "[2001:db8::1]:8080"),
        ("proxy:1", "proxy:1"),
        ("proxy:65535", "proxy:65535"),
        (" proxy:80 ", "proxy:80"),
    ],
)
def test_parse_proxy_url(value, expected):
    assert parse_proxy_url(value) == expected


def test_proxy_url_with_credentials_is_not_echoed():
    with pytest.raises(ValidationError) as info:
        parse_proxy_url(f"http://user:{SECRET}@proxy:8080")
    assert SECRET not in str(info.value)
    assert "authentication" in info.value.message


@pytest.mark.parametrize(
    ("value", "server", "expected"),
    [
        ("C:\\ProgramData\\FlexNet\\licenses", "local", "C:\\ProgramData\\FlexNet\\licenses"),
        ("C:\\licenses\\", "local", "C:\\licenses"),
        ("D:/licenses", "local", "D:/licenses"),
        ("/licenses", "local", "/licenses"),
        ("/srv/lab/licenses/", "local", "/srv/lab/licenses"),
        ("\\\\fls1\\licenses", "external", "\\\\fls1\\licenses"),
        ("\\\\fls1.corp.example.com\\lic$\\prisma", "external", "\\\\fls1.corp.example.com\\lic$\\prisma"),
        ("\\\\10.0.0.5\\licenses\\", "external", "\\\\10.0.0.5\\licenses"),
        ("//fls1/licenses/prisma", "external", "//fls1/licenses/prisma"),
        ("//fls1/licenses", None, "//fls1/licenses"),
        ("/licenses", None, "/licenses"),
    ],
)
def test_parse_license_path(value, server, expected):
    assert parse_license_path(value, server) == expected


@pytest.mark.parametrize("value", ["Print ORS Service", "PrintORS", "a" * 256])
def test_parse_service_name(value):
    assert parse_service_name(value) == value


def test_organization_and_code_pass_through():
    assert parse_organization_id("ORG-4711") == "ORG-4711"
    assert parse_verification_code(SECRET) == SECRET


def test_quoted_keeps_windows_backslashes():
    assert validation.quoted("\\\\fls1\\x") == "'\\\\fls1\\x'"
    assert validation.quoted("a\nb") == repr("a\nb")
    assert validation.quoted(None) == "None"


# ---------------------------------------------------------------------------------------------------
# Bad inputs across the five modules: each error names the option (checked before any host is read)
# ---------------------------------------------------------------------------------------------------

ORS = {"account": "CORP\\svc_ors", "password": SECRET}
RS: dict = {}
PROXY = {"mode": "manual", "url": "proxy.example.com:8080"}

BAD_INPUTS = [
    # module, args, option, words the message must hold
    ("ors_account", {**ORS, "account": ""}, "account", "is empty"),
    ("ors_account", {**ORS, "account": None}, "account", "DOMAIN\\user"),
    ("ors_account", {**ORS, "account": 42}, "account", "must be a string"),
    ("ors_account", {**ORS, "account": "CORP\\svc\\x"}, "account", "more than one"),
    ("ors_account", {**ORS, "account": "svc@corp@example.com"}, "account", "more than one"),
    ("ors_account", {**ORS, "account": "CORP\\svc@corp.example.com"}, "account", "more than one"),
    ("ors_account", {**ORS, "account": "CORP\\svc*ors"}, "account", "forbids"),
    ("ors_account", {**ORS, "account": "CORP\\svc;ors"}, "account", "forbids"),
    ("ors_account", {**ORS, "account": "CORP\\" + "a" * 21}, "account", "20"),
    ("ors_account", {**ORS, "account": "CORP\\svc."}, "account", "trailing dot"),
    ("ors_account", {**ORS, "account": "CORP\\svc "}, "account", "trailing blanks"),
    ("ors_account", {**ORS, "account": "CORP\\"}, "account", "no user name"),
    ("ors_account", {**ORS, "account": "svc@"}, "account", "DNS domain"),
    ("ors_account", {**ORS, "account": "CO RP\\svc"}, "account", "invalid domain"),
    ("ors_account", {**ORS, "account": "CORP\\host$"}, "account", "no password"),
    ("ors_account", {**ORS, "account": "LocalSystem"}, "account", "real account with a password"),
    ("ors_account", {**ORS, "account": "NT AUTHORITY\\NetworkService"}, "account", "built-in"),
    ("ors_account", {**ORS, "account": "NT SERVICE\\PrintORS"}, "account", "built-in"),
    ("ors_account", {**ORS, "account": ".\\LocalService"}, "account", "built-in"),
    ("ors_account", {**ORS, "password": ""}, "password", "is empty"),
    ("ors_account", {**ORS, "password": SECRET + "\n"}, "password", "control characters"),
    ("ors_account", {**ORS, "password": "x" * 257}, "password", "256"),
    ("ors_account", {**ORS, "update_password": "sometimes"}, "update_password", "always, on_create"),
    ("ors_account", {**ORS, "service": "Print/ORS"}, "service", "service name"),
    ("ors_account", {**ORS, "service": ""}, "service", "is empty"),
    ("ors_account", {**ORS, "test_connection": "maybe"}, "test_connection", "false, true, warn"),
    ("remote_service", {**RS, "enabled": "on"}, "enabled", "true or false"),
    ("remote_service", {**RS, "organization_id": ""}, "organization_id", "is empty"),
    ("remote_service", {**RS, "organization_id": "ORG:1"}, "organization_id", "':'"),
    ("remote_service", {**RS, "verification_code": ""}, "verification_code", "is empty"),
    ("remote_service", {**RS, "verification_code": SECRET + "\r\n"}, "verification_code", "control"),
    ("remote_service", {**RS, "verification_code": "x" * 300}, "verification_code", "256"),
    ("remote_service", {**RS, "license_server": "remote"}, "license_server", "local, external"),
    ("remote_service", {**RS, "license_path": "licenses"}, "license_path", "not an absolute path"),
    ("remote_service", {**RS, "license_path": "C:licenses"}, "license_path", "not an absolute path"),
    ("remote_service", {**RS, "license_path": "/srv/../etc"}, "license_path", "'..'"),
    ("remote_service", {**RS, "license_path": "C:\\lic\\\\x"}, "license_path", "empty component"),
    ("remote_service", {**RS, "license_path": "C:\\lic?"}, "license_path", "forbids"),
    ("remote_service", {**RS, "license_path": "C:/lic\\x"}, "license_path", "mixes"),
    (
        "remote_service",
        {"license_server": "local", "license_path": "\\\\fls1\\lic"},
        "license_path",
        "license_server: external",
    ),
    (
        "remote_service",
        {"license_server": "external", "license_path": "C:\\lic"},
        "license_path",
        "\\\\host\\share",
    ),
    ("remote_service", {"license_server": "external", "license_path": "\\\\fls1\\"}, "license_path", "share"),
    ("remote_service", {"license_server": "external", "license_path": "\\\\fls1"}, "license_path", "share"),
    ("remote_service", {"license_path": "\\\\fls_1!\\lic"}, "license_path", "host name"),
    ("remote_service", {"license_path": "\\\\fls1\\li*c"}, "license_path", "share name"),
    ("remote_service", {"license_path": "//fls1/lic/../x"}, "license_path", "'..'"),
    ("remote_service_proxy", {}, "mode", "is required"),
    ("remote_service_proxy", {**PROXY, "mode": "automatic"}, "mode", "none, auto_detect, manual"),
    ("remote_service_proxy", {"mode": "manual"}, "url", "proxy.example.com:8080"),
    ("remote_service_proxy", {**PROXY, "url": ""}, "url", "is empty"),
    ("remote_service_proxy", {**PROXY, "url": "proxy:80x"}, "url", "is not host:port"),
    ("remote_service_proxy", {**PROXY, "url": "proxy.example.com"}, "url", "proxy.example.com:8080"),
    ("remote_service_proxy", {**PROXY, "url": "proxy:0"}, "url", "port 1-65535"),
    ("remote_service_proxy", {**PROXY, "url": "proxy:65536"}, "url", "port 1-65535"),
    ("remote_service_proxy", {**PROXY, "url": "2001:db8::1:8080"}, "url", "[IPv6]"),
    ("remote_service_proxy", {**PROXY, "url": "https://proxy:8080"}, "url", "is not host:port"),
    ("remote_service_proxy", {**PROXY, "url": "proxy:8080/path"}, "url", "is not host:port"),
    ("remote_service_proxy", {**PROXY, "url": f"u:{SECRET}@proxy:80"}, "url", "authentication"),
    ("remote_service_proxy", {"mode": "none", "url": "proxy:80"}, "url", "only used with mode: manual"),
    (
        "remote_service_proxy",
        {"mode": "auto_detect", "url": "proxy:80"},
        "url",
        "only used with mode: manual",
    ),
    (
        "remote_service_proxy",
        {"mode": "none", "authentication": {"username": "u"}},
        "authentication",
        "mode: none",
    ),
    ("remote_service_proxy", {**PROXY, "authentication": "u:p"}, "authentication", "dictionary"),
    ("remote_service_proxy", {**PROXY, "authentication": {"user": "u"}}, "authentication", "unknown keys"),
    (
        "remote_service_proxy",
        {**PROXY, "authentication": {"password": SECRET}},
        "authentication.username",
        "is required",
    ),
    (
        "remote_service_proxy",
        {**PROXY, "authentication": {"domain": "CORP"}},
        "authentication.username",
        "is required",
    ),
    (
        "remote_service_proxy",
        {**PROXY, "authentication": {"username": "CORP\\u"}},
        "authentication.username",
        "authentication.domain",
    ),
    (
        "remote_service_proxy",
        {**PROXY, "authentication": {"username": "u", "domain": "CO\\RP"}},
        "authentication.domain",
        "must not contain",
    ),
    (
        "remote_service_proxy",
        {**PROXY, "authentication": {"username": "u", "password": SECRET + "\n"}},
        "authentication.password",
        "control characters",
    ),
    (
        "remote_service_proxy",
        {**PROXY, "authentication": {"username": "u", "password": ""}},
        "authentication.password",
        "is empty",
    ),
    ("remote_assistance", {}, "enabled", "is required"),
    ("remote_assistance", {"enabled": "yes please"}, "enabled", "true or false"),
    ("remote_assistance", {"enabled": 1}, "enabled", "true or false"),
    ("remote_service_info", {"service": "Print\\ORS"}, "service", "service name"),
    ("remote_service_info", {"service": " Print ORS Service"}, "service", "leading/trailing blanks"),
    ("remote_service_info", {"test_connection": "warn"}, "test_connection", "true or false"),
]

BUILDERS = {
    "ors_account": planning.ors_account_desired,
    "remote_service": planning.remote_service_desired,
    "remote_service_proxy": planning.remote_service_proxy_desired,
    "remote_assistance": planning.remote_assistance_desired,
    "remote_service_info": planning.remote_service_info_desired,
}


def test_bad_inputs_cover_the_five_modules():
    assert len(BAD_INPUTS) >= 25
    assert {case[0] for case in BAD_INPUTS} == set(BUILDERS)


@pytest.mark.parametrize(
    ("module", "args", "option", "words"),
    BAD_INPUTS,
    ids=[f"{c[0]}-{c[2]}-{i}" for i, c in enumerate(BAD_INPUTS)],
)
def test_bad_input_names_the_option(module, args, option, words):
    with pytest.raises(ValidationError) as info:
        BUILDERS[module](args)
    exc = info.value
    assert exc.option == option
    assert str(exc).startswith(f"{option}: ")
    assert words in exc.message
    assert SECRET not in str(exc)
    assert len(exc.message) > 15  # says what was expected, not just "invalid"


GOOD_INPUTS = [
    ("ors_account", ORS),
    ("ors_account", {**ORS, "update_password": "on_create", "test_connection": "warn", "service": "ORS"}),
    ("ors_account", {**ORS, "update_password": None, "service": None, "test_connection": True}),
    ("remote_service", {}),
    ("remote_service", {"enabled": True, "organization_id": "ORG", "verification_code": SECRET}),
    ("remote_service", {"license_server": "external", "license_path": "\\\\fls1\\licenses"}),
    ("remote_service_proxy", {"mode": "none"}),
    ("remote_service_proxy", {"mode": "none", "url": "", "authentication": {"username": None}}),
    ("remote_service_proxy", {"mode": "auto_detect", "authentication": {"username": "u", "password": "p"}}),
    (
        "remote_service_proxy",
        {**PROXY, "authentication": {"domain": "CORP", "username": "u", "password": "p"}},
    ),
    ("remote_assistance", {"enabled": False}),
    ("remote_service_info", {}),
    ("remote_service_info", {"service": "Print ORS Service", "test_connection": True}),
]


@pytest.mark.parametrize(("module", "args"), GOOD_INPUTS)
def test_good_inputs_are_accepted(module, args):
    desired = BUILDERS[module](args)
    assert SECRET not in repr(desired)
