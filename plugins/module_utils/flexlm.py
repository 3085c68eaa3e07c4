"""FlexNet Publisher (FLEXlm) license files: parse, inspect, validate.

Pure standard-library code: no I/O and no Ansible imports, so the plugins, the lab simulator and
plain scripts can all import it (as a collection module_util or by path). Public entry points:
`parse_license`, `validate_license`, `parse_hostids`, `parse_flexlm_date`, `format_flexlm_date`,
`users_in`. Names starting with `_` are private helpers.

Syntax handled: `SERVER`, `VENDOR`/`DAEMON`, `USE_SERVER`, `FEATURE`/`INCREMENT`/`UPGRADE` and
`PACKAGE` lines (keywords in any case); `\\` continuations (also inside quoted values); `#` comment
lines; blank lines, tabs and CRLF; quoted values with blanks; bare flags such as `TS_OK`; the
pre-v8 positional license key after the count; expiry `dd-mmm-yyyy`, `permanent` or a year of 0.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

__all__ = [
    "KNOWN_KEYWORDS",
    "USER_FEATURE_SUFFIX",
    "Feature",
    "HostId",
    "License",
    "LicenseParseError",
    "Package",
    "Server",
    "Validation",
    "Vendor",
    "format_flexlm_date",
    "normalize_mac",
    "parse_flexlm_date",
    "parse_hostids",
    "parse_license",
    "users_in",
    "validate_license",
]

USER_FEATURE_SUFFIX = "_USERS"
KNOWN_KEYWORDS = ("SERVER", "VENDOR", "DAEMON", "USE_SERVER", "FEATURE", "INCREMENT", "UPGRADE", "PACKAGE")

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DATE_RE = re.compile(r"^([0-9]{1,2})-([A-Za-z]{3})-([0-9]{1,4})$")
_ISO_DATE_RE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_VERSION_RE = re.compile(r"^[0-9]+(\.[0-9]+)*$")
_DIGITS_RE = re.compile(r"^[0-9]+$")
_LICENSE_KEY_RE = re.compile(r"^[0-9A-Fa-f]{12,}$")
_FLAG_RE = re.compile(r"^[A-Z][A-Z0-9_]*$")
_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*$")
_MAC_RE = re.compile(r"^(?:[0-9a-f]{12}|[0-9a-f]{2}([:-])[0-9a-f]{2}(?:\1[0-9a-f]{2}){4})$", re.IGNORECASE)
_HOSTID_KINDS = {
    "ID": "id",
    "HOSTNAME": "hostname",
    "INTERNET": "internet",
    "DISPLAY": "display",
    "USER": "user",
    "FLEXID": "flexid",
    "COMPOSITE": "composite",
    "ETHER": "mac",
}
_SIGNED_DATES = ("ISSUED", "START")
_MAINTENANCE_KEY = "MAINTENANCE"


class LicenseParseError(ValueError):
    """A license text that is not valid FlexNet syntax; `line` is 1-based (start of the logical line)."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"line {line}: {reason}")
        self.line = line
        self.reason = reason

    def __reduce__(self):
        return (type(self), (self.line, self.reason))


# ---------------------------------------------------------------------------------------------------
# Values: dates, host ids, counts
# ---------------------------------------------------------------------------------------------------


def format_flexlm_date(d: date) -> str:
    """`date(2027, 12, 31)` -> `31-dec-2027`, the form FlexNet writes in expiry and ISSUED=."""
    return f"{d.day:02d}-{_MONTHS[d.month - 1]}-{d.year:04d}"


def parse_flexlm_date(text: str) -> date | None:
    """Parse an expiry: `dd-mmm-yyyy` (any case) -> date; `permanent` or a year of 0 -> None.

    Raises ValueError with the reason when the text is neither.
    """
    if text.lower() == "permanent":
        return None
    match = _DATE_RE.match(text)
    if match is None or match.group(2).lower() not in _MONTHS:
        raise ValueError(f"'{text}' is not dd-mmm-yyyy, 'permanent' or a year 0 date")
    day, month, year = match.groups()
    if int(year) == 0:
        return None
    if len(year) != 4:
        raise ValueError(f"'{text}' is not dd-mmm-yyyy, 'permanent' or a year 0 date")
    try:
        return date(int(year), _MONTHS.index(month.lower()) + 1, int(day))
    except ValueError as exc:
        raise ValueError(f"'{text}' is not a real date ({exc})") from None


def _parse_signed_date(text: str) -> date:
    """Parse ISSUED=/START=: a real `dd-mmm-yyyy` date (no 'permanent', no year 0)."""
    parsed = parse_flexlm_date(text) if _DATE_RE.match(text) else None
    if parsed is None:
        raise ValueError(f"'{text}' is not a dd-mmm-yyyy date")
    return parsed


def normalize_mac(text: str) -> str | None:
    """`AA:BB:CC:DD:EE:FF`, `aa-bb-..` or `aabbccddeeff` -> `aabbccddeeff`; None if not a 48-bit MAC."""
    text = text.strip()
    if not _MAC_RE.match(text):
        return None
    return re.sub(r"[:-]", "", text).lower()


@dataclass(frozen=True)
class HostId:
    """One FlexNet host id. kind: mac, any, demo, id, hostname, internet, display, user, flexid,
    composite or other; value: the id without its `KIND=` prefix (MACs as 12 lowercase hex digits)."""

    kind: str
    value: str

    def __str__(self) -> str:
        if self.kind in ("mac", "any", "demo", "other"):
            return self.value
        return f"{self.kind.upper()}={self.value}"

    def to_dict(self) -> dict:
        return {"kind": self.kind, "value": self.value}


def _classify_hostid(token: str) -> HostId:
    upper = token.upper()
    if upper in ("ANY", "DEMO"):
        return HostId(upper.lower(), upper)
    mac = normalize_mac(token)
    if mac is not None:
        return HostId("mac", mac)
    prefix, sep, value = token.partition("=")
    kind = _HOSTID_KINDS.get(prefix.upper()) if sep else None
    if kind == "mac":
        mac = normalize_mac(value)
        return HostId("mac", mac) if mac else HostId("other", token)
    if kind is not None and value:
        return HostId(kind, value)
    return HostId("other", token)


def parse_hostids(text: str) -> tuple[HostId, ...]:
    """A host-id string (`025044000001`, `ANY`, `ID=12`, `"aabbccddeeff 112233445566"`) -> HostIds."""
    return tuple(_classify_hostid(token) for token in _unquote(text.strip()).split())


def _days(n: int) -> str:
    return "1 day" if n == 1 else f"{n} days"


def _count_text(count: int | None) -> int | str:
    return "uncounted" if count is None else count


def _expiry_text(expiry: date | None) -> str:
    return "permanent" if expiry is None else expiry.isoformat()


def _iso(d: date | None) -> str | None:
    return None if d is None else d.isoformat()


def _vendor_string_value(text: str | None, key: str) -> str | None:
    """Value of `key` (case-insensitive) in a `;`-separated `KEY=VALUE` VENDOR_STRING."""
    for pair in (text or "").split(";"):
        name, sep, value = pair.partition("=")
        if sep and name.strip().upper() == key.upper():
            return value.strip()
    return None


def _attribute(attributes: Mapping[str, str], name: str) -> str | None:
    if name in attributes:
        return attributes[name]
    wanted = name.upper()
    return next((value for key, value in attributes.items() if key.upper() == wanted), None)


# ---------------------------------------------------------------------------------------------------
# The model
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Server:
    """`SERVER host hostid [port]` (extra tokens such as PRIMARY_IS_MASTER kept in `extras`)."""

    host: str
    hostid: str
    port: int | None = None
    extras: tuple[str, ...] = ()
    line: int = 0

    @property
    def hostids(self) -> tuple[HostId, ...]:
        return parse_hostids(self.hostid)

    def to_dict(self) -> dict:
        return {
            "host": self.host,
            "hostid": self.hostid,
            "hostids": [h.to_dict() for h in self.hostids],
            "port": self.port,
            "extras": list(self.extras),
            "line": self.line,
        }


@dataclass(frozen=True)
class Vendor:
    """`VENDOR|DAEMON name [path] [[OPTIONS=]options] [[PORT=]port]`."""

    keyword: str
    name: str
    path: str | None = None
    options: str | None = None
    port: int | None = None
    extras: tuple[str, ...] = ()
    line: int = 0

    def to_dict(self) -> dict:
        return {
            "keyword": self.keyword,
            "name": self.name,
            "path": self.path,
            "options": self.options,
            "port": self.port,
            "extras": list(self.extras),
            "line": self.line,
        }


@dataclass(frozen=True)
class Feature:
    """A `FEATURE`, `INCREMENT` or `UPGRADE` line.

    expiry is None for a license that does not expire (`expiry_raw` keeps the text); count is None
    for `uncounted` (`count_raw` keeps the text). `from_version` is set for UPGRADE lines only.
    """

    keyword: str
    name: str
    vendor: str
    version: str
    expiry_raw: str
    expiry: date | None
    count_raw: str
    count: int | None
    license_key: str | None = None
    attributes: Mapping[str, str] = field(default_factory=dict, hash=False)
    flags: tuple[str, ...] = ()
    line: int = 0
    from_version: str | None = None

    def attribute(self, name: str) -> str | None:
        """Attribute value by name, case-insensitive (an exact-case match wins)."""
        return _attribute(self.attributes, name)

    @property
    def uncounted(self) -> bool:
        """`uncounted`, or a count of 0, which FlexNet treats the same (no server counting)."""
        return self.count is None or self.count == 0

    @property
    def serial(self) -> str | None:
        return self.attribute("SN")

    @property
    def hostids(self) -> tuple[HostId, ...]:
        value = self.attribute("HOSTID")
        return parse_hostids(value) if value else ()

    @property
    def issued(self) -> date | None:
        value = self.attribute("ISSUED")
        return _parse_signed_date(value) if value else None

    @property
    def start(self) -> date | None:
        value = self.attribute("START")
        return _parse_signed_date(value) if value else None

    @property
    def maintenance_end(self) -> date | None:
        value = _vendor_string_value(self.attribute("VENDOR_STRING"), _MAINTENANCE_KEY)
        return date.fromisoformat(value) if value else None

    def to_dict(self) -> dict:
        return {
            "keyword": self.keyword,
            "name": self.name,
            "vendor": self.vendor,
            "version": self.version,
            "from_version": self.from_version,
            "expiry_raw": self.expiry_raw,
            "expiry": _expiry_text(self.expiry),
            "count_raw": self.count_raw,
            "count": _count_text(self.count),
            "uncounted": self.uncounted,
            "license_key": self.license_key,
            "attributes": dict(self.attributes),
            "flags": list(self.flags),
            "serial": self.serial,
            "hostids": [h.to_dict() for h in self.hostids],
            "issued": _iso(self.issued),
            "maintenance_end": _iso(self.maintenance_end),
            "line": self.line,
        }


@dataclass(frozen=True)
class Package:
    """`PACKAGE name vendor [version] [key] COMPONENTS="..." ...`."""

    name: str
    vendor: str
    version: str | None
    license_key: str | None
    components: str
    attributes: Mapping[str, str] = field(default_factory=dict, hash=False)
    flags: tuple[str, ...] = ()
    line: int = 0

    @property
    def component_list(self) -> tuple[str, ...]:
        return tuple(self.components.split())

    def attribute(self, name: str) -> str | None:
        return _attribute(self.attributes, name)

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "vendor": self.vendor,
            "version": self.version,
            "license_key": self.license_key,
            "components": self.components,
            "attributes": dict(self.attributes),
            "flags": list(self.flags),
            "line": self.line,
        }


def users_in(features: Iterable[Feature], suffix: str = USER_FEATURE_SUFFIX) -> int | None:
    """Named users granted: the sum of the counts of FEATURE/INCREMENT lines whose name ends in
    `suffix` (case-insensitive). None means unlimited (an uncounted user feature); 0: no user feature."""
    total = 0
    for feature in features:
        if feature.keyword == "UPGRADE" or not feature.name.upper().endswith(suffix.upper()):
            continue
        if feature.uncounted:
            return None
        total += feature.count or 0
    return total


def _unique(items: Iterable) -> list:
    return list(dict.fromkeys(items))


@dataclass(frozen=True)
class License:
    """A parsed FlexNet license file."""

    servers: tuple[Server, ...] = ()
    vendors: tuple[Vendor, ...] = ()
    use_server: bool = False
    features: tuple[Feature, ...] = ()
    packages: tuple[Package, ...] = ()

    @property
    def serials(self) -> tuple[str, ...]:
        return tuple(sorted({f.serial for f in self.features if f.serial}))

    @property
    def server_hostids(self) -> tuple[HostId, ...]:
        return tuple(_unique(h for server in self.servers for h in server.hostids))

    @property
    def hostids(self) -> tuple[HostId, ...]:
        from_features = (h for feature in self.features for h in feature.hostids)
        return tuple(_unique([*self.server_hostids, *from_features]))

    @property
    def earliest_expiry(self) -> date | None:
        return min((f.expiry for f in self.features if f.expiry is not None), default=None)

    @property
    def issued(self) -> date | None:
        return max((f.issued for f in self.features if f.issued is not None), default=None)

    @property
    def maintenance_end(self) -> date | None:
        ends = (f.maintenance_end for f in self.features)
        return min((d for d in ends if d is not None), default=None)

    @property
    def users(self) -> int | None:
        return users_in(self.features)

    def to_dict(self) -> dict:
        """JSON-friendly: ISO dates, "permanent" for no expiry, "uncounted" for unlimited counts."""
        return {
            "servers": [s.to_dict() for s in self.servers],
            "vendors": [v.to_dict() for v in self.vendors],
            "use_server": self.use_server,
            "features": [f.to_dict() for f in self.features],
            "packages": [p.to_dict() for p in self.packages],
            "serials": list(self.serials),
            "hostids": [h.to_dict() for h in self.hostids],
            "earliest_expiry": _expiry_text(self.earliest_expiry) if self.features else None,
            "issued": _iso(self.issued),
            "maintenance_end": _iso(self.maintenance_end),
            "users": _count_text(self.users),
        }


# ---------------------------------------------------------------------------------------------------
# Text -> logical lines -> tokens
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Line:
    number: int
    text: str


@dataclass(frozen=True)
class _UseServer:
    line: int


def _join_continued(parts: list[str]) -> str:
    """Join the physical lines of one logical line: one blank where a `\\` was, none after `=`."""
    text = parts[0].rstrip()
    for part in parts[1:]:
        part = part.strip()
        if part:
            text = text + part if text.endswith("=") else f"{text} {part}"
    return text


def _logical_lines(text: str) -> list[_Line]:
    lines: list[_Line] = []
    pending: list[str] = []
    start = 0
    physical = re.split(r"\r\n|\r|\n", text.lstrip("\ufeff"))
    for number, raw in enumerate(physical, start=1):
        if not pending:
            stripped = raw.strip()
            if not stripped or stripped.startswith("#"):
                continue
            start = number
        body = raw.rstrip()
        if body.endswith("\\"):
            pending.append(body[:-1])
            continue
        pending.append(body)
        lines.append(_Line(start, _join_continued(pending)))
        pending = []
    if pending:
        lines.append(_Line(start, _join_continued(pending)))
    return lines


def _tokenize(line: _Line) -> list[str]:
    """Split on blanks outside double quotes; tokens keep their quotes (`NOTICE="a b"`)."""
    tokens: list[str] = []
    current: list[str] = []
    quoted = False
    for char in line.text:
        if char == '"':
            quoted = not quoted
        elif char.isspace() and not quoted:
            if current:
                tokens.append("".join(current))
                current = []
            continue
        current.append(char)
    if quoted:
        raise LicenseParseError(
            line.number, "a quoted value is not closed: expected a closing '\"' (is a '\\' missing?)"
        )
    if current:
        tokens.append("".join(current))
    return tokens


def _unquote(value: str) -> str:
    if len(value) >= 2 and value.startswith('"') and value.endswith('"'):
        return value[1:-1]
    return value


def _is_attribute(token: str) -> bool:
    return "=" in token and not token.startswith('"')


def _leading_fields(tokens: list[str]) -> tuple[list[str], list[str]]:
    """Split tokens into the leading positional fields and the rest (from the first NAME=value on)."""
    for index, token in enumerate(tokens):
        if _is_attribute(token):
            return [_unquote(t) for t in tokens[:index]], tokens[index:]
    return [_unquote(t) for t in tokens], []


def _plural_fields(n: int) -> str:
    return "1 field" if n == 1 else f"{n} fields"


def _port(line: _Line, keyword: str, text: str) -> int:
    if not _DIGITS_RE.match(text) or not 0 < int(text) < 65536:
        raise LicenseParseError(line.number, f"{keyword} port '{text}' is not a number from 1 to 65535")
    return int(text)


def _attributes(line: _Line, tokens: Iterable[str]) -> tuple[dict[str, str], tuple[str, ...]]:
    """`NAME=value` tokens -> ordered dict (last duplicate wins); bare words -> flags."""
    attributes: dict[str, str] = {}
    flags: list[str] = []
    for token in tokens:
        if not _is_attribute(token):
            if not _NAME_RE.match(token):
                raise LicenseParseError(
                    line.number, f"unexpected '{token}': expected NAME=value or a flag such as TS_OK"
                )
            flags.append(token)
            continue
        name, _, value = token.partition("=")
        if not _NAME_RE.match(name):
            raise LicenseParseError(line.number, f"attribute '{token}' has no valid name before '='")
        if value == "":
            raise LicenseParseError(line.number, f"attribute '{token}' has no value (write {name}=value)")
        attributes[name] = _unquote(value)
    return attributes, tuple(flags)


def _check_signed_values(line: _Line, attributes: Mapping[str, str]) -> None:
    """ISSUED=/START= must be dates; MAINTENANCE= in VENDOR_STRING must be an ISO date."""
    for name in _SIGNED_DATES:
        value = _attribute(attributes, name)
        if value is None:
            continue
        try:
            _parse_signed_date(value)
        except ValueError as exc:
            raise LicenseParseError(line.number, f"{name} {exc}") from None
    value = _vendor_string_value(_attribute(attributes, "VENDOR_STRING"), _MAINTENANCE_KEY)
    if value is not None:
        try:
            if not _ISO_DATE_RE.match(value):
                raise ValueError
            date.fromisoformat(value)
        except ValueError:
            raise LicenseParseError(
                line.number, f"VENDOR_STRING MAINTENANCE '{value}' is not a YYYY-MM-DD date"
            ) from None


# ---------------------------------------------------------------------------------------------------
# One parser per keyword
# ---------------------------------------------------------------------------------------------------


def _parse_server(line: _Line, keyword: str, tokens: list[str]) -> Server:
    usage = "SERVER needs 'host hostid [port]'"
    if len(tokens) < 2:
        raise LicenseParseError(line.number, f"{usage}, got {_plural_fields(len(tokens))}")
    host, hostid = _unquote(tokens[0]), _unquote(tokens[1])
    if hostid.upper().startswith("PORT=") or not hostid.strip():
        raise LicenseParseError(line.number, f"{usage}: '{hostid}' is not a host id")
    port: int | None = None
    extras: list[str] = []
    for index, token in enumerate(tokens[2:]):
        name, sep, value = token.partition("=")
        if sep and name.upper() == "PORT":
            port = _port(line, keyword, value)
        elif index == 0 and not sep and not _FLAG_RE.match(token):
            port = _port(line, keyword, token)
        else:
            extras.append(token)
    return Server(host=host, hostid=hostid, port=port, extras=tuple(extras), line=line.number)


def _parse_vendor(line: _Line, keyword: str, tokens: list[str]) -> Vendor:
    usage = f"{keyword} needs 'name [path] [[OPTIONS=]options] [[PORT=]port]'"
    if not tokens or _is_attribute(tokens[0]):
        raise LicenseParseError(line.number, f"{usage}, got no name")
    positional: list[str] = []
    options: str | None = None
    port: int | None = None
    extras: list[str] = []
    for token in tokens[1:]:
        name, _, value = token.partition("=")
        if not _is_attribute(token):
            positional.append(_unquote(token))
        elif name.upper() == "PORT":
            port = _port(line, keyword, _unquote(value))
        elif name.upper() == "OPTIONS":
            options = _unquote(value)
        else:
            extras.append(token)
    if positional and port is None and _DIGITS_RE.match(positional[-1]):
        port = _port(line, keyword, positional.pop())
    if len(positional) > 2 or (len(positional) == 2 and options is not None):
        raise LicenseParseError(line.number, f"{usage}, got too many fields: {' '.join(tokens)}")
    path = positional[0] if positional else None
    if len(positional) == 2:
        options = positional[1]
    return Vendor(keyword, _unquote(tokens[0]), path, options, port, tuple(extras), line.number)


def _parse_use_server(line: _Line, keyword: str, tokens: list[str]) -> _UseServer:
    if tokens:
        raise LicenseParseError(line.number, f"USE_SERVER takes no arguments, got '{' '.join(tokens)}'")
    return _UseServer(line.number)


_FEATURE_FIELDS = {
    "FEATURE": ("feature", "vendor", "version", "expiry", "count"),
    "INCREMENT": ("feature", "vendor", "version", "expiry", "count"),
    "UPGRADE": ("feature", "vendor", "from_version", "version", "expiry", "count"),
}


def _check_version(line: _Line, what: str, text: str) -> str:
    if not _VERSION_RE.match(text):
        raise LicenseParseError(line.number, f"{what} '{text}' is not a number like 1.0")
    return text


def _parse_expiry(line: _Line, text: str) -> date | None:
    try:
        return parse_flexlm_date(text)
    except ValueError as exc:
        raise LicenseParseError(line.number, f"expiry {exc}") from None


def _parse_count(line: _Line, text: str) -> int | None:
    if text.lower() == "uncounted":
        return None
    if not _DIGITS_RE.match(text):
        raise LicenseParseError(line.number, f"count '{text}' is not a number or 'uncounted'")
    return int(text)


def _parse_feature(line: _Line, keyword: str, tokens: list[str]) -> Feature:
    needed = _FEATURE_FIELDS[keyword]
    fields, rest = _leading_fields(tokens)
    if len(fields) < len(needed):
        before = f" before '{rest[0]}'" if rest else ""
        raise LicenseParseError(
            line.number, f"{keyword} needs '{' '.join(needed)}', got {_plural_fields(len(fields))}{before}"
        )
    values = dict(zip(needed, fields, strict=False))
    extra = fields[len(needed) :]
    license_key = extra.pop(0) if extra and _LICENSE_KEY_RE.match(extra[0]) else None
    attributes, flags = _attributes(line, [*extra, *rest])
    _check_signed_values(line, attributes)
    from_version = values.get("from_version")
    return Feature(
        keyword=keyword,
        name=values["feature"],
        vendor=values["vendor"],
        version=_check_version(line, "version", values["version"]),
        expiry_raw=values["expiry"],
        expiry=_parse_expiry(line, values["expiry"]),
        count_raw=values["count"],
        count=_parse_count(line, values["count"]),
        license_key=license_key,
        attributes=attributes,
        flags=flags,
        line=line.number,
        from_version=_check_version(line, "from_version", from_version) if from_version else None,
    )


def _parse_package(line: _Line, keyword: str, tokens: list[str]) -> Package:
    usage = "PACKAGE needs 'package vendor [version] [key]' before its attributes"
    fields, rest = _leading_fields(tokens)
    if not 2 <= len(fields) <= 4:
        raise LicenseParseError(line.number, f"{usage}, got {_plural_fields(len(fields))}")
    version: str | None = None
    license_key: str | None = None
    optional = fields[2:]
    if len(optional) == 2:
        version, license_key = optional
    elif optional and _LICENSE_KEY_RE.match(optional[0]):
        license_key = optional[0]
    elif optional:
        version = optional[0]
    if version is not None:
        _check_version(line, "PACKAGE version", version)
    attributes, flags = _attributes(line, rest)
    components = _attribute(attributes, "COMPONENTS")
    if components is None:
        raise LicenseParseError(line.number, 'PACKAGE needs COMPONENTS="feature[:version[:count]] ..."')
    return Package(fields[0], fields[1], version, license_key, components, attributes, flags, line.number)


_PARSERS: dict[str, Callable[[_Line, str, list[str]], object]] = {
    "SERVER": _parse_server,
    "VENDOR": _parse_vendor,
    "DAEMON": _parse_vendor,
    "USE_SERVER": _parse_use_server,
    "FEATURE": _parse_feature,
    "INCREMENT": _parse_feature,
    "UPGRADE": _parse_feature,
    "PACKAGE": _parse_package,
}


def _first_word(line: _Line) -> str:
    return line.text.split(None, 1)[0]


def _require_license_like(lines: list[_Line]) -> None:
    """Refuse text with no known keyword at all (empty, comments only, HTML, JSON...)."""
    if any(_first_word(line).upper() in _PARSERS for line in lines):
        return
    reason = "no SERVER, VENDOR or FEATURE line found: this is not a FlexNet license"
    if not lines:
        raise LicenseParseError(1, f"{reason} (the text is empty or only comments)")
    start = lines[0].text.strip()
    start = start if len(start) <= 40 else start[:37] + "..."
    raise LicenseParseError(lines[0].number, f"{reason} (it starts with '{start}')")


def _parse_line(line: _Line) -> object:
    tokens = _tokenize(line)
    keyword = tokens[0].upper()
    parser = _PARSERS.get(keyword)
    if parser is None:
        raise LicenseParseError(
            line.number, f"unknown keyword '{tokens[0]}': expected one of {', '.join(KNOWN_KEYWORDS)}"
        )
    return parser(line, keyword, tokens[1:])


def parse_license(text: str) -> License:
    """Parse the text of a FlexNet license file. Raises LicenseParseError (line, reason)."""
    lines = _logical_lines(text)
    _require_license_like(lines)
    records = [_parse_line(line) for line in lines]
    return License(
        servers=tuple(r for r in records if isinstance(r, Server)),
        vendors=tuple(r for r in records if isinstance(r, Vendor)),
        use_server=any(isinstance(r, _UseServer) for r in records),
        features=tuple(r for r in records if isinstance(r, Feature)),
        packages=tuple(r for r in records if isinstance(r, Package)),
    )


# ---------------------------------------------------------------------------------------------------
# Validation against a host, a date and a serial
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Validation:
    """Outcome of validate_license: errors make the license unusable here, warnings need attention."""

    errors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict:
        return {"ok": self.ok, "errors": list(self.errors), "warnings": list(self.warnings)}


@dataclass
class _Report:
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def result(self) -> Validation:
        return Validation(tuple(_unique(self.errors)), tuple(_unique(self.warnings)))


def _normalise_macs(mac_addresses: Iterable[str], report: _Report) -> set[str]:
    macs: set[str] = set()
    for raw in mac_addresses:
        mac = normalize_mac(str(raw))
        if mac is None:
            report.warnings.append(f"ignored '{raw}' in mac_addresses: not a MAC address (12 hex digits)")
        else:
            macs.add(mac)
    return macs


def _hostid_groups(lic: License) -> dict[tuple[str, tuple[HostId, ...]], list[str]]:
    """(origin, host ids of one SERVER line or HOSTID=) -> the names that carry them."""
    groups: dict[tuple[str, tuple[HostId, ...]], list[str]] = {}
    for server in lic.servers:
        groups.setdefault(("server", server.hostids), []).append(server.host)
    for feature in lic.features:
        if feature.hostids:
            groups.setdefault(("feature", feature.hostids), []).append(feature.name)
    return groups


def _subject(origin: str, names: list[str]) -> tuple[str, str]:
    """Sentence subject and verb for a host-id group."""
    if origin == "server":
        return "license", "is bound to"
    names = _unique(names)
    if len(names) == 1:
        return f"feature {names[0]}", "is node-locked to"
    return f"features {', '.join(names)}", "are node-locked to"


def _check_hostid_group(
    origin: str, names: list[str], ids: tuple[HostId, ...], macs: set[str], report: _Report
) -> None:
    if any(h.kind in ("any", "demo") for h in ids) or any(h.kind == "mac" and h.value in macs for h in ids):
        return
    subject, verb = _subject(origin, names)
    shown = ", ".join(str(h) for h in ids)
    host_ids = f"host id{'s' if len(ids) > 1 else ''} {shown}"
    uncheckable = [str(h) for h in ids if h.kind != "mac"]
    if uncheckable:
        what = "is not a MAC address" if len(uncheckable) == 1 else "are not MAC addresses"
        report.warnings.append(
            f"{subject} {verb} {host_ids}: {', '.join(uncheckable)} {what}, "
            "so it cannot be checked against this server's MAC addresses"
        )
        return
    found = ", ".join(sorted(macs)) or "none found"
    report.errors.append(f"{subject} {verb} {host_ids}, not to this server (MAC addresses: {found})")


def _check_hosts(lic: License, mac_addresses: Iterable[str], report: _Report) -> None:
    macs = _normalise_macs(mac_addresses, report)
    groups = _hostid_groups(lic)
    if not groups:
        report.warnings.append(
            "license names no host id (no SERVER line and no HOSTID=): cannot check that it belongs here"
        )
    for (origin, ids), names in groups.items():
        _check_hostid_group(origin, names, ids, macs, report)


def _check_expiry(lic: License, today: date, warn_days: int, report: _Report) -> None:
    for name, expiry in _unique((f.name, f.expiry) for f in lic.features if f.expiry is not None):
        left = (expiry - today).days
        if left < 0:
            report.errors.append(f"feature {name} expired on {expiry.isoformat()} ({_days(-left)} ago)")
        elif left <= warn_days:
            when = "today" if left == 0 else f"in {_days(left)}"
            report.warnings.append(f"feature {name} expires on {expiry.isoformat()} ({when})")
    for name, start in _unique((f.name, f.start) for f in lic.features if f.start is not None):
        if start > today:
            report.warnings.append(f"feature {name} is not valid before its START date {start.isoformat()}")


def _check_maintenance(lic: License, today: date, warn_days: int, report: _Report) -> None:
    end = lic.maintenance_end
    if end is None:
        return
    left = (end - today).days
    if left < 0:
        report.warnings.append(
            f"maintenance ended on {end.isoformat()}: the back office delivers no license updates until "
            "the maintenance contract is renewed"
        )
    elif left <= warn_days:
        report.warnings.append(f"maintenance ends on {end.isoformat()} (in {_days(left)})")


def _check_serial(lic: License, expected_serial: str, report: _Report) -> None:
    serials = lic.serials
    if expected_serial in serials:
        return
    if not serials:
        report.errors.append(f"license has no serial number (SN=), expected {expected_serial}")
    else:
        report.errors.append(f"license is for serial {', '.join(serials)}, expected {expected_serial}")


def validate_license(
    lic: License,
    *,
    mac_addresses: Iterable[str] | None = None,
    today: date | None = None,
    warn_days: int = 31,
    expected_serial: str | None = None,
) -> Validation:
    """Check that `lic` fits this server (MAC addresses), is current on `today` and has the serial.

    mac_addresses: None skips the host check; MACs in any usual notation. Host ids that are not
    MACs (ID=, HOSTNAME=, ...) cannot be checked and give a warning; ANY and DEMO always fit.
    """
    report = _Report()
    if isinstance(mac_addresses, str):
        mac_addresses = [mac_addresses]
    if isinstance(today, datetime):
        today = today.date()
    if not lic.features:
        report.errors.append("license has no FEATURE or INCREMENT line: it grants nothing")
    if mac_addresses is not None:
        _check_hosts(lic, mac_addresses, report)
    today = today or date.today()
    _check_expiry(lic, today, warn_days, report)
    _check_maintenance(lic, today, warn_days, report)
    if expected_serial is not None:
        _check_serial(lic, expected_serial, report)
    return report.result()
