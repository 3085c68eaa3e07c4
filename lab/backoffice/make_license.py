#!/usr/bin/env python3
"""Make PRISMAdirect *lab* license files in real FlexNet syntax.

The files look like the vendor's (``SERVER``/``VENDOR``/``FEATURE`` lines, ``SN=``, ``ISSUED=``,
``VENDOR_STRING="MAINTENANCE=..."``, lines continued with `` \\``) but their ``SIGN=`` values are lab
pseudo-signatures (SHA-256 of the line): no FlexNet server would accept them. See
``docs/backoffice-api.md`` ("License conventions") and ``lab/licenses/README.md``.

Usage::

    python lab/backoffice/make_license.py --serial PDS-100123 --hostid 025044000001 --users 10 --out x.lic
    python lab/backoffice/make_license.py --lab     # regenerate lab/licenses/{backoffice,installed}
    python lab/backoffice/make_license.py --fleet 200 --out-dir /tmp/lics     # many serials (benchmarks)

Standard library only; importable (``make_license``, ``write_fleet``, ``write_lab_set``).
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
LAB_LICENSES = REPO / "lab" / "licenses"

VENDOR = "prismad"
USER_FEATURE = "PD_USERS"
INDENT = " " * 8
SERIAL_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
HOSTID_RE = re.compile(r"^[0-9A-Fa-f]{12}$")
FEATURE_RE = re.compile(r"^[A-Za-z0-9_-]{1,30}$")
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def flexlm_date(day: date | None) -> str:
    """``date(2030, 12, 31)`` -> ``31-dec-2030``; ``None`` -> ``permanent``."""
    if day is None:
        return "permanent"
    return f"{day.day:02d}-{_MONTHS[day.month - 1]}-{day.year}"


def _pseudo_sign(line: str) -> list[str]:
    """Lab pseudo-signature of a FEATURE line: SHA-256 in 16 groups of 4 upper-case hex digits."""
    digest = hashlib.sha256(line.encode("utf-8")).hexdigest().upper()
    return [digest[i : i + 4] for i in range(0, len(digest), 4)]


def _feature_lines(
    name: str, version: str, expiry: date | None, count: int, serial: str, issued: date, maintenance_end: date
) -> list[str]:
    head = (
        f"FEATURE {name} {VENDOR} {version} {flexlm_date(expiry)} {count} "
        f"SN={serial} ISSUED={flexlm_date(issued)}"
    )
    vendor_string = f'VENDOR_STRING="MAINTENANCE={maintenance_end.isoformat()}"'
    groups = _pseudo_sign(f"{head} {vendor_string}")
    return [
        f"{head} \\",
        f"{INDENT}{vendor_string} \\",
        f'{INDENT}SIGN="{" ".join(groups[:10])} \\',
        f'{INDENT}{" ".join(groups[10:])}"',
    ]


def make_license(
    serial: str,
    hostid: str,
    *,
    issued: date,
    expiry: date | None,
    maintenance_end: date,
    users: int,
    features: Sequence[str] = ("PRISMAdirect",),
    version: str | None = None,
    port: int = 27000,
    vendor_port: int = 27010,
) -> str:
    """Return the text of a lab license file.

    ``features`` are the product/option features, each with a count of 1; a ``PD_USERS`` feature with
    count ``users`` is always added last. ``expiry=None`` makes the features permanent. ``version``
    defaults to ``<issued year>.1``.
    """
    if not SERIAL_RE.match(serial):
        raise ValueError(f"serial {serial!r} does not match {SERIAL_RE.pattern}")
    if not HOSTID_RE.match(hostid):
        raise ValueError(f"hostid {hostid!r} is not 12 hex digits (a MAC address)")
    if users < 1:
        raise ValueError(f"users must be at least 1, not {users}")
    names = [*features, USER_FEATURE]
    for name in names:
        if not FEATURE_RE.match(name):
            raise ValueError(f"feature name {name!r} is not a FlexNet feature name")
    if len(set(names)) != len(names):
        raise ValueError(f"duplicate feature in {names}")
    version = version or f"{issued.year}.1"
    lines = [
        f"# PRISMAdirect license {serial} for host id {hostid}, issued {issued.isoformat()}.",
        "# LAB LICENSE made by lab/backoffice/make_license.py, not issued by the vendor: the SIGN=",
        "# values are lab pseudo-signatures (SHA-256 of the line), not real FlexNet signatures.",
        f"SERVER this_host {hostid.upper()} {port}",
        f"VENDOR {VENDOR} PORT={vendor_port}",
    ]
    for name in names:
        count = users if name == USER_FEATURE else 1
        lines += _feature_lines(name, version, expiry, count, serial, issued, maintenance_end)
    return "\n".join(lines) + "\n"


# --- the shipped lab set --------------------------------------------------------------------------------

LAB_HOSTS = {"fls1": "025044000001", "fls2": "025044000002"}


@dataclass(frozen=True)
class Issue:
    """One license issue: dates of a license generation."""

    issued: date
    expiry: date | None
    maintenance_end: date


OLD = Issue(issued=date(2025, 12, 1), expiry=date(2029, 12, 31), maintenance_end=date(2029, 12, 31))
NEW = Issue(issued=date(2026, 11, 1), expiry=date(2030, 12, 31), maintenance_end=date(2030, 12, 31))
LAPSED = Issue(issued=date(2024, 7, 1), expiry=None, maintenance_end=date(2025, 6, 30))


@dataclass(frozen=True)
class LabInstallation:
    serial: str
    host: str  # key of LAB_HOSTS
    users: int
    backoffice: tuple[Issue, ...]  # what the back office holds
    installed: Issue  # what the lab FLS holds initially


LAB_SET = (
    LabInstallation("PDS-100001", "fls1", 25, (OLD, NEW), OLD),
    LabInstallation("PDS-100002", "fls1", 10, (OLD, NEW), OLD),
    LabInstallation("PDS-100003", "fls2", 50, (OLD, NEW), OLD),
    LabInstallation("PDS-100009", "fls1", 5, (LAPSED,), LAPSED),
)


def _lab_text(inst: LabInstallation, issue: Issue) -> str:
    return make_license(
        inst.serial,
        LAB_HOSTS[inst.host],
        issued=issue.issued,
        expiry=issue.expiry,
        maintenance_end=issue.maintenance_end,
        users=inst.users,
    )


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8", newline="\n")
    tmp.replace(path)


def write_lab_set(root: Path = LAB_LICENSES) -> list[Path]:
    """(Re)write ``root/backoffice/<serial>_<yyyymmdd>.lic`` and ``root/installed/<serial>.lic``."""
    written = []
    for inst in LAB_SET:
        for issue in inst.backoffice:
            path = root / "backoffice" / f"{inst.serial}_{issue.issued:%Y%m%d}.lic"
            _write(path, _lab_text(inst, issue))
            written.append(path)
        path = root / "installed" / f"{inst.serial}.lic"
        _write(path, _lab_text(inst, inst.installed))
        written.append(path)
    return written


def write_fleet(
    out_dir: Path,
    count: int,
    *,
    prefix: str = "PDS-",
    first: int = 500001,
    issues: Iterable[Issue] = (OLD, NEW),
) -> list[str]:
    """Write ``count`` serials (``prefix`` + number from ``first``), one file per issue; return the serials.

    Host ids cycle over the lab FLS hosts; users cycle over 5..100. Deterministic.
    """
    hostids = list(LAB_HOSTS.values())
    issues = tuple(issues)
    serials = []
    for i in range(count):
        serial = f"{prefix}{first + i}"
        for issue in issues:
            text = make_license(
                serial,
                hostids[i % len(hostids)],
                issued=issue.issued,
                expiry=issue.expiry,
                maintenance_end=issue.maintenance_end,
                users=5 + (i * 5) % 100,
            )
            _write(Path(out_dir) / f"{serial}_{issue.issued:%Y%m%d}.lic", text)
        serials.append(serial)
    return serials


# --- command line ---------------------------------------------------------------------------------------


def _iso(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date YYYY-MM-DD") from None


def _expiry(text: str) -> date | None:
    return None if text == "permanent" else _iso(text)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Make PRISMAdirect lab license files (FlexNet syntax).")
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--serial", help="serial number (SN=) of a single license")
    mode.add_argument("--lab", action="store_true", help="regenerate the shipped lab set under --lab-dir")
    mode.add_argument("--fleet", type=int, metavar="N", help="write N serials (old + new issue) to --out-dir")
    parser.add_argument("--hostid", help="FLS host id, 12 hex digits (single license)")
    parser.add_argument("--out", help="output file for a single license; '-' for stdout")
    parser.add_argument("--issued", type=_iso, default=NEW.issued, help="ISO date (default %(default)s)")
    parser.add_argument(
        "--expiry", type=_expiry, default=NEW.expiry, help="ISO date or 'permanent' (default %(default)s)"
    )
    parser.add_argument("--maintenance-end", type=_iso, default=NEW.maintenance_end, help="ISO date")
    parser.add_argument("--users", type=int, default=10, help="PD_USERS count (default %(default)s)")
    parser.add_argument(
        "--feature",
        action="append",
        dest="features",
        help="product/option feature (repeatable; default PRISMAdirect)",
    )
    parser.add_argument("--version", dest="feature_version", help="feature version (default <year>.1)")
    parser.add_argument("--port", type=int, default=27000, help="lmgrd port on the SERVER line")
    parser.add_argument("--vendor-port", type=int, default=27010, help="vendor daemon PORT=")
    parser.add_argument("--lab-dir", type=Path, default=LAB_LICENSES, help="root of the lab set (--lab)")
    parser.add_argument("--out-dir", type=Path, help="output folder (--fleet)")
    parser.add_argument("--prefix", default="PDS-", help="serial prefix (--fleet, default %(default)s)")
    parser.add_argument("--first", type=int, default=500001, help="first serial number (--fleet)")
    args = parser.parse_args(argv)

    try:
        if args.lab:
            paths = write_lab_set(args.lab_dir)
            print(f"make_license: wrote {len(paths)} lab license files under {args.lab_dir}")
        elif args.fleet is not None:
            if not args.out_dir:
                parser.error("--fleet needs --out-dir")
            serials = write_fleet(args.out_dir, args.fleet, prefix=args.prefix, first=args.first)
            print(f"make_license: wrote {len(serials)} serials to {args.out_dir}")
        else:
            if not args.hostid or not args.out:
                parser.error("--serial needs --hostid and --out")
            text = make_license(
                args.serial,
                args.hostid,
                issued=args.issued,
                expiry=args.expiry,
                maintenance_end=args.maintenance_end,
                users=args.users,
                features=tuple(args.features or ("PRISMAdirect",)),
                version=args.feature_version,
                port=args.port,
                vendor_port=args.vendor_port,
            )
            if args.out == "-":
                sys.stdout.write(text)
            else:
                _write(Path(args.out), text)
                print(f"make_license: wrote {args.out}")
    except (ValueError, OSError) as exc:
        print(f"make_license: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
