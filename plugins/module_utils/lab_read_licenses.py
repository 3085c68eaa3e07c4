# Copyright: (c) 2026, printops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab reader's license folder: its ``*.lic`` files (``licenses``) and ``*.bak`` files
(``license_backups``), the folder given as a local path or as a lab SMB path.

Target side: reads the folder and the lab smbd's ``shares.conf``. Only the lab reader (``host_state``)
calls it.
"""

from __future__ import annotations

import hashlib
import os
import re
from typing import Any

from ansible_collections.printops.prismadirect.plugins.module_utils.lab_layout import (
    share_section,
    shares_conf,
)
from ansible_collections.printops.prismadirect.plugins.module_utils.lab_samba import parse_conf

__all__ = ["LICENSE_TEXT_LIMIT", "read_license_backups", "read_licenses", "resolve_license_path"]

LICENSE_TEXT_LIMIT = 256 * 1024


def resolve_license_path(license_path: str, lab_home: str) -> tuple[str | None, str | None]:
    """``(local directory or None, warning or None)`` for a local path or a lab SMB path: ``\\\\HOST\\SHARE``
    is the lab smbd's section ``[HOST-SHARE]`` (``lab_layout.share_section``)."""
    text = license_path.strip()
    if not (text.startswith("//") or text.startswith("\\\\")):
        return text, None
    parts = [part for part in re.split(r"[\\/]+", text) if part]
    if len(parts) < 2:
        return None, f"license_path {text} is not \\\\host\\share[\\folder]"
    section, sub = share_section(parts[0], parts[1]), parts[2:]
    if any(part in (".", "..") for part in sub):
        return None, f"license_path {text} must not contain . or .. components"
    conf = shares_conf(lab_home)
    try:
        with open(conf, encoding="utf-8", errors="replace") as handle:
            base = parse_conf(handle.read()).get(section, {}).get("path")
    except OSError as exc:
        return None, f"cannot resolve {text}: cannot read {conf} ({exc.strerror or exc})"
    if base is None:
        return None, f"cannot resolve {text}: the lab has no share [{section}] in {conf}"
    return os.path.join(base, *sub), None


def read_licenses(
    license_path: str | None, lab_home: str, text_limit: int = LICENSE_TEXT_LIMIT
) -> tuple[list[dict[str, Any]], list[str]]:
    """The ``licenses`` section and its warnings."""
    if not license_path:
        return [], []
    directory, warning = resolve_license_path(license_path, lab_home)
    if directory is None:
        return [], [warning]
    if not os.path.isdir(directory):
        return [], [f"the license folder {directory} does not exist"]
    licenses, warnings = [], []
    for name in sorted(os.listdir(directory)):
        path = os.path.join(directory, name)
        if not name.lower().endswith(".lic") or not os.path.isfile(path):
            continue
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError as exc:
            warnings.append(f"cannot read the license file {path}: {exc.strerror or exc}")
            continue
        text = None
        if len(data) <= text_limit:
            text = data.decode("utf-8", errors="replace")
        else:
            warnings.append(
                f"the license file {path} is {len(data)} bytes, more than {text_limit}: "
                "its text is not returned"
            )
        licenses.append(
            {"name": name, "size": len(data), "sha256": hashlib.sha256(data).hexdigest(), "text": text}
        )
    return licenses, warnings


def read_license_backups(license_path: str | None, lab_home: str) -> list[str]:
    """The ``license_backups`` section: the names of the ``*.bak`` files of the license folder."""
    directory, _ = resolve_license_path(license_path, lab_home) if license_path else (None, None)
    if directory is None or not os.path.isdir(directory):
        return []
    return sorted(
        name
        for name in os.listdir(directory)
        if name.endswith(".bak") and os.path.isfile(os.path.join(directory, name))
    )
