# Copyright: (c) 2026, printops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private helper of the ``latest_license`` lookup: the controller-side cache of back-office answers.

Not a public API (the leading ``_`` says so); it may change with the lookup.

Why: lookups run in forked worker processes, one per host, so an in-memory cache cannot make "each
serial is requested once per run" true. The cache is a directory (mode 0700) with one JSON entry per
key ``sha256(url NUL organization_id NUL serial)`` (the verification code is never part of a key or an
entry) and a lock file per key:

- an entry stamped with the current run's ``run_id`` is answered without a request (licenses and
  failures alike: 100 hosts asking for a refused serial cause one request);
- an entry from an earlier run gives its ``etag`` for a conditional request; 304 returns the stored
  copy after verifying it again (``not_modified: true``), 200 replaces it;
- ``fcntl.flock`` on the key's lock file makes concurrent workers wait for the first one's answer;
- entries are written atomically (temporary file + ``os.replace``).
"""

from __future__ import annotations

import contextlib
import copy
import errno
import fcntl
import hashlib
import json
import os
import stat
import tempfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from ansible_collections.printops.prismadirect.plugins.module_utils.backoffice import BackOfficeClient
from ansible_collections.printops.prismadirect.plugins.module_utils.backoffice_errors import BackOfficeError
from ansible_collections.printops.prismadirect.plugins.module_utils.backoffice_payload import (
    LicenseResult,
    NotModified,
    verify_license_payload,
)

ENTRY_FORMAT = 1


class CacheError(Exception):
    """The cache directory cannot be used (message names ``cache_dir`` and the fix)."""


def cache_key(url: str, organization_id: str, serial: str) -> str:
    """Entry name for a serial of an organization at a back office (never involves the secret)."""
    return hashlib.sha256(f"{url}\0{organization_id}\0{serial}".encode()).hexdigest()


class LicenseCache:
    """One directory of JSON entries, one lock file per key."""

    def __init__(self, directory: str) -> None:
        self.directory = directory

    def prepare(self) -> None:
        """Create the directory (0700) or check that an existing one is ours; fix its mode."""
        fix = "set cache_dir to a directory of your own, or cache to false"
        try:
            os.makedirs(self.directory, mode=0o700, exist_ok=True)
            info = os.stat(self.directory)
        except OSError as exc:
            raise CacheError(
                f"cache_dir {self.directory!r} cannot be created ({exc.strerror}): {fix}"
            ) from None
        if not stat.S_ISDIR(info.st_mode):
            raise CacheError(f"cache_dir {self.directory!r} is not a directory: {fix}")
        if info.st_uid != os.geteuid():
            raise CacheError(f"cache_dir {self.directory!r} belongs to another user: {fix}")
        if stat.S_IMODE(info.st_mode) != 0o700:
            try:
                os.chmod(self.directory, 0o700)
            except OSError as exc:
                raise CacheError(
                    f"cache_dir {self.directory!r}: cannot set mode 0700 ({exc.strerror}): {fix}"
                ) from None

    def _path(self, key: str, suffix: str) -> str:
        return os.path.join(self.directory, key + suffix)

    @contextlib.contextmanager
    def locked(self, key: str) -> Iterator[None]:
        """Hold the key's exclusive lock (waits for a worker that holds it)."""
        try:
            fd = os.open(self._path(key, ".lock"), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError as exc:
            raise CacheError(
                f"cache_dir {self.directory!r}: cannot create a lock file ({exc.strerror}): set cache_dir "
                "to a writable directory, or cache to false"
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    def load(self, key: str) -> dict[str, Any] | None:
        """The entry, or ``None`` when there is none or it is unreadable (it is then replaced)."""
        try:
            with open(self._path(key, ".json"), encoding="utf-8") as handle:
                entry = json.load(handle)
        except OSError as exc:
            if exc.errno == errno.ENOENT:
                return None
            raise CacheError(f"cache_dir {self.directory!r}: cannot read an entry ({exc.strerror})") from None
        except ValueError:
            return None
        if not isinstance(entry, dict) or entry.get("format") != ENTRY_FORMAT:
            return None
        return entry

    def store(self, key: str, entry: dict[str, Any]) -> None:
        """Write the entry atomically (mode 0600)."""
        data = json.dumps({**entry, "format": ENTRY_FORMAT}, sort_keys=True)
        try:
            fd, temporary = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=self.directory)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    handle.write(data)
                os.replace(temporary, self._path(key, ".json"))
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(temporary)
                raise
        except OSError as exc:
            raise CacheError(
                f"cache_dir {self.directory!r}: cannot write an entry ({exc.strerror}): set cache_dir to a "
                "writable directory, or cache to false"
            ) from None


def success_item(result: LicenseResult, *, source: str, not_modified: bool) -> dict[str, Any]:
    """The lookup's result item for a verified license."""
    return {"ok": True, **result.to_dict(), "not_modified": not_modified, "source": source}


def failure_item(serial: str, error: BackOfficeError, message: str) -> dict[str, Any]:
    """The lookup's result item for a refusal or failure (``on_error: report``)."""
    return {
        "ok": False,
        "serial": serial,
        "error_kind": error.kind,
        "error": message,
        "status": error.status,
        "maintenance_end": error.maintenance_end,
    }


def latest_license_item(
    client: BackOfficeClient,
    serial: str,
    *,
    cache: LicenseCache | None,
    run_id: str,
    log: Callable[[str], object] = lambda line: None,
) -> dict[str, Any]:
    """The lookup's result item for ``serial``, asking the back office at most once per run.

    Raises ``BackOfficeError`` (also when replaying a failure of this run) or ``CacheError``.
    """
    if cache is None:
        answer = client.latest_license(serial)
        assert isinstance(answer, LicenseResult)
        return success_item(answer, source="backoffice", not_modified=False)

    key = cache_key(client.url, client.organization_id, serial)
    with cache.locked(key):
        entry = cache.load(key) or {}
        if entry.get("run_id") == run_id:
            if isinstance(entry.get("error"), dict):
                log(f"{serial}: failed earlier in this run, not asking again")
                raise BackOfficeError.from_dict(entry["error"])
            if isinstance(entry.get("item"), dict):
                log(f"{serial}: answered earlier in this run, not asking again")
                return copy.deepcopy(entry["item"])

        previous: LicenseResult | None = None
        etag = entry.get("etag") if isinstance(entry.get("etag"), str) else None
        if etag and isinstance(entry.get("license"), dict):
            try:
                previous = verify_license_payload(entry["license"], serial)
            except BackOfficeError as exc:
                log(f"{serial}: the cached copy is unusable ({exc.kind}); asking without If-None-Match")
        if previous is None:
            etag = None

        record: dict[str, Any] = {
            "run_id": run_id,
            "serial": serial,
            "updated": datetime.now(UTC).isoformat(timespec="seconds"),
            "etag": etag,
            "license": previous.to_dict() if previous is not None else None,
            "item": None,
            "error": None,
        }
        try:
            answer = client.latest_license(serial, etag=etag)
        except BackOfficeError as exc:
            if exc.kind != "invalid_input":
                cache.store(key, {**record, "error": exc.to_dict()})
            raise
        if isinstance(answer, NotModified):
            assert previous is not None
            log(f"{serial}: not modified since the last run (ETag {etag}), using the cached copy")
            item = success_item(previous, source="cache", not_modified=True)
        else:
            item = success_item(answer, source="backoffice", not_modified=False)
            record["etag"] = answer.etag
            record["license"] = answer.to_dict()
        cache.store(key, {**record, "item": item})
        return copy.deepcopy(item)
