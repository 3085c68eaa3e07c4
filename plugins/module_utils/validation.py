# Copyright: (c) 2026, printops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Domain validators of the custom modules' options, and the one exception they raise.

Domain core: standard library only, no I/O, no Ansible imports. Each ``parse_*`` returns the value
normalised (what the planner compares and the adapters write) or raises ``ValidationError(option,
message)``; the message says what was wrong and the expected form, so the action plugin can fail with
``"<option>: <message>"`` before any host is touched. Secrets (passwords, the verification code) are
never echoed.

Rules shared with the back-office client are not written twice: the proxy ``host:port`` rule and the
organization ID / verification code rules come from ``backoffice_inputs``.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from ansible_collections.printops.prismadirect.plugins.module_utils.backoffice_errors import (
    BackOfficeError,
    shown,
)
from ansible_collections.printops.prismadirect.plugins.module_utils.backoffice_inputs import (
    validate_base_url,
    validate_organization_id,
    validate_proxy,
    validate_verification_code,
)

__all__ = [
    "BUILTIN_ACCOUNT_MESSAGE",
    "PROXY_FORM",
    "Account",
    "ValidationError",
    "lab_user_name",
    "parse_account",
    "parse_backoffice_url",
    "parse_bool",
    "parse_choice",
    "parse_license_path",
    "parse_organization_id",
    "parse_password",
    "parse_proxy_url",
    "parse_service_name",
    "parse_verification_code",
    "quoted",
]

PROXY_FORM = "expected proxy.example.com:8080 (hostname, IPv4 or [IPv6], port 1-65535)"
BUILTIN_ACCOUNT_MESSAGE = (
    "is a built-in service account: the Remote Service needs a real account with a password that has "
    "internet access through the proxy; give DOMAIN\\user, .\\user, user@domain.tld or user"
)
ACCOUNT_FORM = "DOMAIN\\user, .\\user, user@domain.tld or user"
MAX_SECRET_LENGTH = 256

# Characters Windows refuses in user (SAM account) names, besides control characters.
_USER_FORBIDDEN = frozenset('"/\\[]:;|=,+*?<>@')
_SAM_USER_MAX = 20
_NETBIOS_LABEL = r"[A-Za-z0-9_][A-Za-z0-9_-]{0,62}"
_NETBIOS_OR_DNS_RE = re.compile(rf"{_NETBIOS_LABEL}(?:\.{_NETBIOS_LABEL})*")
_DNS_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOST_RE = re.compile(rf"{_DNS_LABEL}(?:\.{_DNS_LABEL})*")
_POSIX_USER_RE = re.compile(r"[a-z_][a-z0-9_-]{0,31}")
_BUILTIN_DOMAINS = frozenset({"nt authority", "nt service", "builtin", "font driver host", "window manager"})
_BUILTIN_USERS = frozenset(
    {"system", "localsystem", "local system", "localservice", "local service", "networkservice"}
    | {"network service", "trustedinstaller"}
)
_WINDOWS_PATH_FORBIDDEN = frozenset('<>"|?*')
_SHARE_FORBIDDEN = frozenset('\\/[]:|<>+=;,?*"')
_DRIVE_RE = re.compile(r"[A-Za-z]:[\\/]")


class ValidationError(ValueError):
    """A task option breaks a domain rule: ``option`` names it, ``message`` says what and the fix."""

    def __init__(self, option: str, message: str) -> None:
        super().__init__(f"{option}: {message}")
        self.option = option
        self.message = message

    def __str__(self) -> str:
        return f"{self.option}: {self.message}"

    def __reduce__(self):
        return (type(self), (self.option, self.message))


def quoted(value: object, limit: int = 80) -> str:
    """A value for a message: Windows names and paths keep single backslashes (``repr`` would double
    them); non-strings and texts with control characters fall back to ``repr``."""
    if not isinstance(value, str) or _has_control(value) or "'" in value:
        return shown(value, limit)
    text = value if len(value) <= limit - 2 else value[: limit - 5] + "..."
    return f"'{text}'"


def _has_control(text: str) -> bool:
    return any(ord(c) < 32 or ord(c) == 127 for c in text)


def _require_text(value: object, option: str, expected: str) -> str:
    """A non-empty string, else the error every validator would write the same way."""
    if not isinstance(value, str) or not value:
        got = "is empty" if value in (None, "") else f"must be a string, got {type(value).__name__}"
        raise ValidationError(option, f"{got}: {expected}")
    return value


def parse_bool(value: object, option: str) -> bool:
    """Only real booleans: the argument spec has already turned ``yes``/``no`` into them."""
    if isinstance(value, bool):
        return value
    raise ValidationError(option, f"{quoted(value)} is not a boolean: expected true or false")


def parse_choice(value: object, choices: tuple[str, ...], option: str) -> str:
    """One of ``choices``; the argument spec checks this too, the planner must not trust it blindly."""
    if isinstance(value, str) and value in choices:
        return value
    raise ValidationError(option, f"{quoted(value)} is not one of: {', '.join(choices)}")


# ---------------------------------------------------------------------------------------------------
# Accounts
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Account:
    """A Windows account as the operator wrote it, split and checked.

    ``domain`` is None for a local account (``.\\user`` or a bare ``user``); for ``user@domain.tld``
    it is the DNS domain and ``upn`` is true.
    """

    domain: str | None
    user: str
    original: str
    upn: bool = False

    @property
    def is_local(self) -> bool:
        return self.domain is None

    @property
    def qualified(self) -> str:
        """``DOMAIN\\user`` or ``.\\user``; a UPN stays ``user@domain.tld`` (Windows takes it as is and
        its NetBIOS domain cannot be derived without asking a domain controller)."""
        if self.upn:
            return f"{self.user}@{self.domain}"
        return f"{self.domain or '.'}\\{self.user}"


def _check_user_part(user: str, option: str, original: str) -> None:
    problem = None
    if not user:
        problem = "has no user name"
    elif _has_control(user):
        problem = "contains control characters"
    elif any(c in _USER_FORBIDDEN for c in user):
        bad = "".join(sorted({c for c in user if c in _USER_FORBIDDEN}))
        problem = f"has characters Windows forbids in user names ({bad})"
    elif len(user) > _SAM_USER_MAX:
        problem = f"has a user name of {len(user)} characters (Windows allows {_SAM_USER_MAX})"
    elif user != user.strip() or user.endswith("."):
        problem = "has a user name with leading/trailing blanks or a trailing dot"
    elif user.endswith("$"):
        problem = "names a computer or managed service account (ends in $), which has no password"
    if problem:
        raise ValidationError(option, f"{quoted(original)} {problem}: expected {ACCOUNT_FORM}")


def _check_domain_part(domain: str, option: str, original: str) -> None:
    if domain == "." or (_NETBIOS_OR_DNS_RE.fullmatch(domain) and len(domain) <= 255):
        return
    raise ValidationError(
        option,
        f"{quoted(original)} has an invalid domain {quoted(domain)}: expected a NetBIOS or DNS domain name "
        f"(letters, digits, '-', '_' and dots) or '.' for a local account; {ACCOUNT_FORM}",
    )


def _is_builtin(domain: str | None, user: str) -> bool:
    return user.casefold() in _BUILTIN_USERS or (domain is not None and domain.casefold() in _BUILTIN_DOMAINS)


def parse_account(value: object, option: str = "account") -> Account:
    """Split ``DOMAIN\\user``, ``.\\user``, ``user@domain.tld`` or ``user``.

    Built-in service accounts (LocalSystem, NT AUTHORITY\\NetworkService, NT SERVICE\\...) are refused:
    the procedure has the operator give a domain, user name and password for an account with internet
    access, and ``update_password`` would mean nothing for them.
    """
    text = _require_text(value, option, f"give the account that runs the service, {ACCOUNT_FORM}")
    if _has_control(text):
        raise ValidationError(option, f"contains control characters: expected {ACCOUNT_FORM}")
    if text.count("\\") + text.count("@") > 1:
        raise ValidationError(
            option, f"{quoted(text)} has more than one '\\' or '@': expected one of {ACCOUNT_FORM}"
        )
    if "\\" in text:
        domain, user = text.split("\\")
        upn = False
    elif "@" in text:
        user, domain = text.split("@")
        upn = True
        if not _HOST_RE.fullmatch(domain):
            raise ValidationError(
                option, f"{quoted(text)} has an invalid DNS domain after '@': expected user@domain.tld"
            )
    else:
        domain, user, upn = None, text, False
    if _is_builtin(domain, user):
        raise ValidationError(option, f"{quoted(text)} {BUILTIN_ACCOUNT_MESSAGE}")
    if domain is not None and not upn:
        _check_domain_part(domain, option, text)
    _check_user_part(user, option, text)
    return Account(domain=None if domain in (None, ".") else domain, user=user, original=text, upn=upn)


def lab_user_name(account: Account, option: str = "account") -> str:
    """The lab's stand-in system user for ``account``: its user part, lowercased (domain dropped)."""
    name = account.user.lower()
    if _POSIX_USER_RE.fullmatch(name):
        return name
    raise ValidationError(
        option,
        f"{quoted(account.original)} cannot be a lab account: the lab needs a POSIX-compatible user name "
        "(a letter or '_' first, then letters, digits, '_' or '-', at most 32), for example .\\svc_ors",
    )


def parse_password(value: object, option: str = "password") -> str:
    """A password to set: not empty, no control characters (a newline read from a file), <= 256."""
    text = _require_text(value, option, "give the account's password (keep it in Ansible Vault)")
    if _has_control(text):
        raise ValidationError(
            option, "contains control characters (a stray newline from a file?): give the password as is"
        )
    if len(text) > MAX_SECRET_LENGTH:
        raise ValidationError(option, f"is longer than {MAX_SECRET_LENGTH} characters, which Windows refuses")
    return text


def parse_service_name(value: object, option: str = "service") -> str:
    """A Windows service (display) name: 1-256 characters, no '/' or '\\', no control characters."""
    expected = "give the Windows service name, for example 'Print ORS Service'"
    text = _require_text(value, option, expected)
    if text != text.strip() or _has_control(text) or "/" in text or "\\" in text or len(text) > 256:
        raise ValidationError(
            option,
            f"{quoted(text)} is not a service name (1-256 characters without '/', '\\', control characters "
            f"or leading/trailing blanks): {expected}",
        )
    return text


# ---------------------------------------------------------------------------------------------------
# Proxy and back-office credentials (rules from backoffice_inputs)
# ---------------------------------------------------------------------------------------------------


def parse_proxy_url(value: object, option: str = "url") -> str:
    """``host:port`` normalised (IPv6 as ``[compressed]:port``).

    The rule is the back-office client's (``validate_proxy``), so what the settings store holds is what
    the lookup can use: it also accepts ``http://host:port``, stored without the scheme because the
    product's field is ``host:port``. User information is refused without being echoed (it may hold a
    password): the credentials go in ``authentication``.
    """
    if isinstance(value, str) and "@" in value:
        raise ValidationError(
            option,
            "must not contain a user name or password: give them under authentication (username, "
            f"password), and url as host:port; {PROXY_FORM}",
        )
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(option, f"is empty: {PROXY_FORM}")
    try:
        spec = validate_proxy(value)
    except BackOfficeError:
        raise ValidationError(option, f"{quoted(value)} is not host:port: {PROXY_FORM}") from None
    return spec.authority


def parse_backoffice_url(value: object, option: str = "backoffice_url") -> str:
    """The back office's root URL for a connection test: the back-office client's rule (https only)."""
    try:
        return validate_base_url(value)
    except BackOfficeError as exc:
        text = exc.message.removeprefix("url ")
        raise ValidationError(option, text) from None


def _vendor_value(value: object, option: str, expected: str, check, problem: str) -> str:
    """A value the vendor issued, checked with the back-office client's own rule ``check``.

    ``problem`` may name the value with ``{text}``; secrets must not (they are never echoed).
    """
    text = _require_text(value, option, expected)
    try:
        check(text)
    except BackOfficeError:
        raise ValidationError(option, f"{problem.format(text=quoted(text))}: {expected}") from None
    if len(text) > MAX_SECRET_LENGTH:
        raise ValidationError(option, f"is longer than {MAX_SECRET_LENGTH} characters: {expected}")
    return text


def parse_organization_id(value: object, option: str = "organization_id") -> str:
    """The Service organization ID: the back-office client's rule (it is the HTTP Basic user), <= 256."""
    return _vendor_value(
        value,
        option,
        "give the Service organization ID exactly as the vendor issued it",
        validate_organization_id,
        "{text} must not contain ':', control characters or only blanks",
    )


def parse_verification_code(value: object, option: str = "verification_code") -> str:
    """The Verification code: the back-office client's rule, <= 256 characters, never echoed."""
    return _vendor_value(
        value,
        option,
        "give the Verification code exactly as the vendor issued it (keep it in Ansible Vault)",
        validate_verification_code,
        "contains control characters (a stray newline from a file?)",
    )


# ---------------------------------------------------------------------------------------------------
# License path
# ---------------------------------------------------------------------------------------------------

_LOCAL_FORM = "an absolute local folder, for example C:\\ProgramData\\FlexNet\\licenses (lab: /licenses)"
_SHARE_FORM = "a shared folder \\\\host\\share[\\folder...] (lab: //host/share[/folder...])"


def _components_problem(parts: list[str]) -> str | None:
    if any(p in ("..", ".") for p in parts):
        return "has '.' or '..' components"
    if any(p == "" for p in parts):
        return "has an empty component (doubled separator)"
    if any(_has_control(p) or any(c in _WINDOWS_PATH_FORBIDDEN or c == ":" for c in p) for p in parts):
        return 'has characters Windows forbids in paths (<>"|?*: or control characters)'
    return None


def _local_path(text: str, option: str) -> str:
    if _DRIVE_RE.match(text):
        sep, head, rest = text[2], text[:3], text[3:]
    elif text.startswith("/") and not text.startswith("//"):
        sep, head, rest = "/", "/", text[1:]
    else:
        raise ValidationError(option, f"{quoted(text)} is not an absolute path: expected {_LOCAL_FORM}")
    rest = rest.rstrip(sep)
    other = "\\" if sep == "/" else "/"
    problem = "mixes '/' and '\\'" if other in rest else None
    problem = problem or (_components_problem(rest.split(sep)) if rest else None)
    if problem:
        raise ValidationError(option, f"{quoted(text)} {problem}: expected {_LOCAL_FORM}")
    return head + rest


def _share_path(text: str, option: str) -> str:
    sep = text[0]
    other = "\\" if sep == "/" else "/"
    parts = text[2:].rstrip(sep).split(sep)
    problem = None
    if other in text:
        problem = "mixes '/' and '\\'"
    elif len(parts) < 2 or not parts[1]:
        problem = "has no share name"
    elif not (_HOST_RE.fullmatch(parts[0]) or _is_ipv4(parts[0])):
        problem = f"has an invalid host name {quoted(parts[0])}"
    elif len(parts[1]) > 80 or any(c in _SHARE_FORBIDDEN or ord(c) < 32 for c in parts[1]):
        problem = f"has an invalid share name {quoted(parts[1])}"
    else:
        problem = _components_problem(parts[2:])
    if problem:
        raise ValidationError(option, f"{quoted(text)} {problem}: expected {_SHARE_FORM}")
    return sep * 2 + sep.join(parts)


def _is_ipv4(text: str) -> bool:
    try:
        ipaddress.IPv4Address(text)
    except ValueError:
        return False
    return True


def parse_license_path(value: object, license_server: str | None, option: str = "license_path") -> str:
    """The license folder, normalised (no trailing separator).

    ``local``: an absolute path, Windows ``C:\\...`` or POSIX ``/...`` (the lab's). ``external``: a UNC
    path ``\\\\host\\share[\\...]`` or the lab's ``//host/share[/...]``. ``None``: either form (the
    planner checks it against the host's current license server). Relative paths and ``..`` are refused
    everywhere: the store holds the path the Remote Service writes licenses to.
    """
    if license_server not in ("local", "external", None):
        raise ValidationError("license_server", f"{quoted(license_server)} is not one of: local, external")
    expected = {"local": _LOCAL_FORM, "external": _SHARE_FORM, None: f"{_LOCAL_FORM}, or {_SHARE_FORM}"}
    text = _require_text(value, option, f"give {expected[license_server]}")
    is_share = text[:2] in ("\\\\", "//")
    if is_share and license_server == "local":
        raise ValidationError(
            option,
            f"{quoted(text)} is a shared folder but license_server is local: give {_LOCAL_FORM}, "
            "or set license_server: external",
        )
    if not is_share and license_server == "external":
        raise ValidationError(
            option,
            f"{quoted(text)} is not a shared folder but license_server is external: give {_SHARE_FORM} "
            "(the FLS computer's shared license folder), or set license_server: local",
        )
    return _share_path(text, option) if is_share else _local_path(text, option)
