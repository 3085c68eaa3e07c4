# Copyright: (c) 2026, printops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to this collection: the lab adapter's license verbs, ``license.write`` and ``license.reread``
(docs/internals.md, lab/README.md "Installing a license on the lab").

A mixin of ``_platform_lab.LabPlatform``, split out to keep each file to one job. A license is written
by ``ansible.builtin.copy`` with ``remote_src`` (decision 15): its temporary file is made in the license
folder and renamed over the license. Before that the adapter removes what killed writes of earlier runs
left there, and refuses to replace a file that changed since the host was read. The license server is
told with ``lmutil lmreread`` or a supervisord restart.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
from collections.abc import Mapping
from typing import Any

from ansible_collections.printops.prismadirect.plugins.module_utils.lab_layout import host_path, program_name
from ansible_collections.printops.prismadirect.plugins.plugin_utils._platform import (
    refuse_if_changed,
    upload,
)
from ansible_collections.printops.prismadirect.plugins.plugin_utils._run import run_started

__all__ = ["LICENSE_MODE", "LabLicenseVerbs", "copy_temp_patterns"]

# Licenses and their backups alike: the group class bits are the ACL mask, so the accounts' inherited
# rw- stays usable, and nobody else reads them.
LICENSE_MODE = "0660"
LICENSE_FILE = {"mode": LICENSE_MODE, "owner": "root", "group": "root"}
NEW_FOLDER = {"owner": "root", "group": "root", "mode": "0750"}  # as lab/ctl.py makes it


def copy_temp_patterns(filename: str) -> list[str]:
    """``find`` regexes of the temporary files ``ansible.builtin.copy`` makes in the folder when it
    writes ``filename``: ``tempfile.mkstemp`` names (``tmp`` + 8 of ``[a-z0-9_]``), and the
    ``.ansible_tmp<8><filename>`` of its atomic move when a rename fails."""
    return [r"^tmp[a-z0-9_]{8}$", rf"^\.ansible_tmp[a-z0-9_]{{8}}{re.escape(filename)}$"]


class LabLicenseVerbs:
    """``license.write`` and ``license.reread`` on the lab, with the ``LabPlatform`` attributes
    ``host``, ``root``, ``_action`` and methods ``_run``, ``_supervisorctl``."""

    def _license_write(self, args: Mapping[str, Any]) -> bool:
        """Leftovers away, the race check, the backup, then the new file, then old backups away. ``copy``
        renames its temp file (not ``*.lic``, in the folder: its default ACL applies) over the license:
        the old file or the new one, never a mix."""
        folder = host_path(self.root, args["dest"])
        target = posixpath.join(folder, args["filename"])
        if self._run("ansible.builtin.file", {"path": folder, "state": "directory"})["changed"]:
            self._run("ansible.builtin.file", {"path": folder, **NEW_FOLDER})
        else:
            self._remove_leftovers(folder, args["filename"])
        self._refuse_if_changed(target, args["filename"], args.get("replaces_sha256"))
        source = upload(self._action, args["filename"], args["content"])
        backup = args.get("backup") or {}
        if backup.get("file"):
            copy = {"src": target, "dest": posixpath.join(folder, backup["file"]), "remote_src": True}
            self._run("ansible.builtin.copy", {**copy, **LICENSE_FILE})
        # copy refuses a sent file whose SHA-1 is not that of the text validated on the controller
        checksum = hashlib.sha1(args["content"].encode("utf-8")).hexdigest()
        write = {"src": source, "dest": target, "remote_src": True, "checksum": checksum}
        self._run("ansible.builtin.copy", {**write, **LICENSE_FILE})
        for name in backup.get("delete") or ():
            self._run("ansible.builtin.file", {"path": posixpath.join(folder, name), "state": "absent"})
        return True

    def _remove_leftovers(self, folder: str, filename: str) -> None:
        """The temporary files of writes killed in earlier runs: only the names ``copy`` makes, and only
        those last written before this run started (the lab's hosts are this machine: one clock). When
        the run's start is unknown nothing is removed: a leftover is harmless, a writer's file is not."""
        started = run_started()
        if started is None:
            return
        find = {"paths": folder, "patterns": copy_temp_patterns(filename), "use_regex": True}
        for found in self._run("ansible.builtin.find", {**find, "hidden": True}).get("files") or ():
            if found.get("mtime", started) < started:
                self._run("ansible.builtin.file", {"path": found["path"], "state": "absent"})

    def _refuse_if_changed(self, target: str, filename: str, read_sha256: str | None) -> None:
        """The plan replaces the file as it was read; another writer since then wins, and is told."""
        stat = {"path": target, "get_checksum": True, "checksum_algorithm": "sha256"}
        found = self._run("ansible.builtin.stat", stat).get("stat") or {}
        now = found.get("checksum") if found.get("exists") else None
        refuse_if_changed(filename, read_sha256, now)

    def _license_reread(self, args: Mapping[str, Any]) -> bool:
        if args["method"] == "lmreread":
            folder = host_path(self.root, args["license_path"])
            argv = [args["lmutil_path"], "lmreread", "-c", folder]
            self._run("ansible.builtin.command", {"argv": argv})
            return True
        return self._supervisorctl(program_name(self.host, args["service"]), "restarted")
