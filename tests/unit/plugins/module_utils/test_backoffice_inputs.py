"""Unit tests of plugins/module_utils/backoffice_inputs.py: tables of accepted and refused values."""

from __future__ import annotations

import base64

import pytest
from ansible_collections.printops.prismadirect.plugins.module_utils.backoffice_errors import BackOfficeError
from ansible_collections.printops.prismadirect.plugins.module_utils.backoffice_inputs import (
    safe_license_file_name,
    validate_base_url,
    validate_proxy,
    validate_serial,
)

from .backoffice_samples import PROXY_PASSWORD

SERIALS_OK = ["PDS-100001", "A", "a" * 64, "x.y_z-1", "9"]
SERIALS_BAD = [
    "",
    "-abc",
    ".abc",
    "a" * 65,
    "PDS 1",
    "PDS/1",
    "PDS%2F1",
    "äbc",
    "abc\n",
    None,
    123,
    ["PDS-1"],
]


@pytest.mark.parametrize("serial", SERIALS_OK)
def test_validate_serial_accepts(serial: str) -> None:
    assert validate_serial(serial) == serial


@pytest.mark.parametrize("serial", SERIALS_BAD)
def test_validate_serial_refuses_with_expected_form(serial: object) -> None:
    with pytest.raises(BackOfficeError) as info:
        validate_serial(serial)
    assert info.value.kind == "invalid_input"
    assert "PDS-100001" in info.value.message  # the example of the expected form
    assert "1 to 64" in info.value.message


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://backoffice.example.com/rs", "https://backoffice.example.com/rs"),
        ("https://backoffice.example.com/rs/", "https://backoffice.example.com/rs"),
        ("  https://127.0.0.1:8443  ", "https://127.0.0.1:8443"),
        ("HTTPS://[::1]:8443/x", "https://[::1]:8443/x"),
    ],
)
def test_validate_base_url_accepts(url: str, expected: str) -> None:
    assert validate_base_url(url) == expected


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("http://backoffice.example.com/rs", "https://"),
        ("ftp://backoffice.example.com", "https://"),
        ("backoffice.example.com/rs", "https://"),
        ("", "empty"),
        (None, "empty"),
        ("https:///rs", "no host"),
        ("https://h/rs?x=1", "without query"),
        ("https://h:99999/rs", "not a valid URL"),
        ("https://user:pw-in-url@h/rs", "organization_id and verification_code"),
    ],
)
def test_validate_base_url_refuses(url: object, fragment: str) -> None:
    with pytest.raises(BackOfficeError) as info:
        validate_base_url(url)
    assert info.value.kind == "invalid_input"
    assert fragment in info.value.message
    assert "pw-in-url" not in info.value.message


PROXIES_OK = [
    ("proxy.example.com:8080", "proxy.example.com", 8080, "proxy.example.com:8080"),
    ("  proxy:3128 ", "proxy", 3128, "proxy:3128"),
    ("http://proxy.example.com:8080", "proxy.example.com", 8080, "proxy.example.com:8080"),
    ("HTTP://proxy.example.com:8080/", "proxy.example.com", 8080, "proxy.example.com:8080"),
    ("10.0.0.1:1", "10.0.0.1", 1, "10.0.0.1:1"),
    ("[2001:db8::1]:8080", "2001:db8::1", 8080, "[2001:db8::1]:8080"),
    ("http://[::1]:65535", "::1", 65535, "[::1]:65535"),
]


@pytest.mark.parametrize(("text", "host", "port", "authority"), PROXIES_OK)
def test_validate_proxy_accepts(text: str, host: str, port: int, authority: str) -> None:
    spec = validate_proxy(text)
    assert (spec.host, spec.port, spec.authority) == (host, port, authority)
    assert spec.username is None and spec.authorization() is None


PROXIES_BAD = [
    "proxy",
    "proxy:",
    ":8080",
    "proxy:0",
    "proxy:65536",
    "proxy:123456",
    "proxy:80/path",
    "pro xy:80",
    "::1:80",
    "[::g]:80",
    "[2001:db8::1]",
    "https://proxy:8080",
    "socks5://proxy:1080",
    "",
    None,
]


@pytest.mark.parametrize("text", PROXIES_BAD)
def test_validate_proxy_refuses_with_expected_form(text: object) -> None:
    with pytest.raises(BackOfficeError) as info:
        validate_proxy(text)
    assert info.value.kind == "invalid_input"
    assert "proxy.example.com:8080" in info.value.message


@pytest.mark.parametrize("text", ["user:hunter2-secret@proxy:8080", "http://u:hunter2-secret@proxy:8080"])
def test_validate_proxy_refuses_credentials_inside_without_echoing(text: str) -> None:
    with pytest.raises(BackOfficeError) as info:
        validate_proxy(text)
    assert "proxy_username" in info.value.message
    assert "hunter2-secret" not in info.value.message


def test_validate_proxy_credentials() -> None:
    spec = validate_proxy("proxy:8080", "ACME\\svc", PROXY_PASSWORD)
    token = base64.b64encode(f"ACME\\svc:{PROXY_PASSWORD}".encode()).decode()
    assert spec.authorization() == f"Basic {token}"
    assert PROXY_PASSWORD not in repr(spec)
    with pytest.raises(BackOfficeError, match="proxy_username"):
        validate_proxy("proxy:8080", None, PROXY_PASSWORD)
    with pytest.raises(BackOfficeError, match="':'"):
        validate_proxy("proxy:8080", "a:b", "x")
    assert validate_proxy("proxy:8080", "", None).username is None


FILE_NAMES_OK = [
    "PDS-100001.lic",
    "x.LIC",
    "a b.lic",
    "PDS-100001_20261101.Lic",
    "n" * 251 + ".lic",
    ".x.lic",
]
FILE_NAMES_BAD = [
    ("../x.lic", "separator"),
    ("..\\x.lic", "separator"),
    ("a/b.lic", "separator"),
    ("/abs.lic", "separator"),
    ("\\\\server\\share\\x.lic", "separator"),
    ("C:x.lic", "':'"),
    ("x.lic:stream", "':'"),
    ("x..lic", "'..'"),
    ("..lic", "'..'"),
    ("x.txt", "does not end in .lic"),
    ("x.lic.txt", "does not end in .lic"),
    (".lic", "does not end in .lic"),
    ("x.lic ", "does not end in .lic"),
    ("", "empty"),
    (None, "empty"),
    (42, "empty"),
    ("x\n.lic", "control"),
    ("x\x00.lic", "control"),
    ("x\x1b.lic", "control"),
    ("x\x7f.lic", "control"),
    ("x?.lic", "Windows forbids"),
    ('x".lic', "Windows forbids"),
    ("NUL.lic", "device"),
    ("com1.lic", "device"),
    ("n" * 252 + ".lic", "255"),
]


@pytest.mark.parametrize("name", FILE_NAMES_OK)
def test_safe_license_file_name_accepts(name: str) -> None:
    assert safe_license_file_name(name) == name


@pytest.mark.parametrize(("name", "reason"), FILE_NAMES_BAD)
def test_safe_license_file_name_refuses(name: object, reason: str) -> None:
    with pytest.raises(BackOfficeError) as info:
        safe_license_file_name(name)
    assert info.value.kind == "unsafe_file_name"
    assert reason in info.value.message
    assert "PDS-100001.lic" in info.value.message  # the expected form
