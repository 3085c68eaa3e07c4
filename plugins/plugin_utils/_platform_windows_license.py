# Copyright: (c) 2026, printops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to this collection: the Windows adapter's license verbs, ``license.write`` and
``license.reread`` (docs/internals.md §4).

A mixin of ``_platform_windows.WindowsPlatform``, split out to keep each file to one job. ``win_copy``
removes the destination and then copies, so it never writes the license itself: the text goes to a
temporary name in the license folder (``<file>.<sha256[:12]>.tmp``, not ``*.lic``: no license server
reads it; a killed run's leftover is overwritten by the next one), and one short ``win_powershell``
script checks it and puts it in place with ``[IO.File]::Replace`` (the old file becomes the backup in
the same step; without a backup wanted, a throwaway ``<temp>.old`` removed after: ReplaceFile without a
backup name can fail with the old file gone) or ``[IO.File]::Move`` for a new file: the license is the
old file or the new one, never a mix, and a failed write leaves the old one.
"""

from __future__ import annotations

import ntpath
from collections.abc import Mapping
from typing import Any

from ansible_collections.printops.prismadirect.plugins.plugin_utils._platform import (
    refuse_if_changed,
    upload,
)

__all__ = ["REPLACE_SCRIPT", "WindowsLicenseVerbs", "temp_name"]

#: Puts the sent license in place, or fails leaving the folder as it was (the temp file removed).
REPLACE_SCRIPT = r"""[CmdletBinding()]
param([string]$Temp, [string]$Target, [string]$Backup, [string]$Sha256, [string]$Replaces)
$ErrorActionPreference = 'Stop'
function Get-Sha256([string]$Path) {
    (Get-FileHash -LiteralPath $Path -Algorithm SHA256).Hash.ToLowerInvariant()
}
try {
    if ((Get-Sha256 $Temp) -ne $Sha256) {
        throw "the license sent to the host is not the validated text (sha256 differs)"
    }
    $now = if (Test-Path -LiteralPath $Target -PathType Leaf) { Get-Sha256 $Target } else { '' }
    if ($now -ne $Replaces) {
        throw "$Target changed since the host was read: another process writes the license folder"
    }
    if ($now) {
        # Always a backup name: without one, a failed rename can leave the license under no name.
        $keep = if ($Backup) { $Backup } else { "$Temp.old" }
        [System.IO.File]::Replace($Temp, $Target, $keep)
        if (-not $Backup) { Remove-Item -LiteralPath $keep -Force -ErrorAction SilentlyContinue }
    }
    else { [System.IO.File]::Move($Temp, $Target) }
}
catch {
    # ERROR_UNABLE_TO_MOVE_REPLACEMENT_2: the license was moved to the backup name; put it back.
    if ($keep -and (Test-Path -LiteralPath $keep) -and -not (Test-Path -LiteralPath $Target)) {
        [System.IO.File]::Move($keep, $Target)
    }
    Remove-Item -LiteralPath $Temp -Force -ErrorAction SilentlyContinue
    throw
}
"""


def temp_name(filename: str, sha256: str) -> str:
    """The name the new text is copied to in the license folder before it replaces ``filename``."""
    return f"{filename}.{sha256[:12]}.tmp"


class WindowsLicenseVerbs:
    """``license.write`` and ``license.reread`` on Windows, with the ``WindowsPlatform`` method
    ``_run`` and attribute ``_action``."""

    def _license_write(self, args: Mapping[str, Any]) -> bool:
        """The folder, the race check, the text copied beside the license, the replace, old backups away."""
        folder, filename, sha256 = args["dest"], args["filename"], args["sha256"]
        target = ntpath.join(folder, filename)
        self._run("ansible.windows.win_file", {"path": folder, "state": "directory"})
        self._refuse_if_changed(target, filename, args.get("replaces_sha256"))
        temp = temp_name(filename, sha256)
        source = upload(self._action, temp, args["content"])
        copy = {
            "src": source,
            "dest": ntpath.join(folder, temp),
            "_original_basename": temp,
            "_copy_mode": "single",
        }
        self._run("ansible.windows.win_copy", copy)
        backup = args.get("backup") or {}
        parameters = {
            "Temp": ntpath.join(folder, temp),
            "Target": target,
            "Backup": ntpath.join(folder, backup["file"]) if backup.get("file") else "",
            "Sha256": sha256,
            "Replaces": args.get("replaces_sha256") or "",
        }
        self._run("ansible.windows.win_powershell", {"script": REPLACE_SCRIPT, "parameters": parameters})
        for name in backup.get("delete") or ():
            self._run("ansible.windows.win_file", {"path": ntpath.join(folder, name), "state": "absent"})
        return True

    def _refuse_if_changed(self, target: str, filename: str, read_sha256: str | None) -> None:
        """The plan replaces the file as it was read; another writer since then wins, and is told. (The
        replace script checks again just before it replaces.)"""
        stat = {"path": target, "get_checksum": True, "checksum_algorithm": "sha256"}
        found = self._run("ansible.windows.win_stat", stat).get("stat") or {}
        now = str(found.get("checksum")).lower() if found.get("exists") else None
        refuse_if_changed(filename, read_sha256, now)

    def _license_reread(self, args: Mapping[str, Any]) -> bool:
        if args["method"] == "lmreread":
            argv = [args["lmutil_path"], "lmreread", "-c", args["license_path"]]
            self._run("ansible.windows.win_command", {"argv": argv})
            return True
        return self._run("ansible.windows.win_service", {"name": args["service"], "state": "restarted"})[
            "changed"
        ]
