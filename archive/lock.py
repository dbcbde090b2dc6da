"""One writer at a time: the lock a crawl (or a re-parse) holds on an archive.

Two crawls writing one archive at once would interleave their write batches and wait on
each other's transactions, and neither could tell a live run from a dead one in the
`crawls` table. So a run takes an exclusive lock first and a second run started meanwhile
refuses at once, naming the holder. The lock is `flock(2)` on `<archive>-lock` beside the
archive: the kernel drops it when the holding process dies, however it dies, so a killed
crawl never leaves a stale lock behind (the file itself stays; it is harmless). Readers
(search, Datasette, `newsarchive crawls`) take no lock: SQLite's WAL mode lets them read
while a crawl writes.

The lock is re-entrant within a process: the `crawl` command takes it before Scrapy starts
(to fail in one line) and the crawl's extension takes it again (for runs started without
the command, e.g. from a script).
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import sys
from datetime import datetime, timezone
from pathlib import Path

from archive.store import ArchiveError

_held: dict[str, "ArchiveLock"] = {}


class ArchiveLocked(ArchiveError):
    """Another process holds the archive's lock."""


def lock_path(archive_path: str | os.PathLike) -> Path:
    path = Path(archive_path).resolve()
    return path.with_name(path.name + "-lock")


class ArchiveLock:
    def __init__(self, archive_path: str | os.PathLike):
        self.path = lock_path(archive_path)
        self._fh = None
        self._depth = 0

    def acquire(self, purpose: str = "crawl") -> "ArchiveLock":
        if self._fh is not None:
            self._depth += 1
            return self
        try:
            fh = open(self.path, "a+", encoding="utf-8")
        except OSError as exc:
            raise ArchiveError(f"cannot create lock file {self.path}: {exc.strerror or exc}") from None
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = _describe_holder(fh.read())
            fh.close()
            archive = self.path.with_name(self.path.name[: -len("-lock")])
            raise ArchiveLocked(f"archive {archive} is in use by another run{holder}; try again when it ends") from None
        fh.seek(0)
        fh.truncate()
        fh.write(json.dumps({
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "purpose": purpose,
            "since": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "command": " ".join(sys.argv[:3]),
        }))
        fh.flush()
        self._fh = fh
        self._depth = 1
        return self

    def release(self) -> None:
        if self._fh is None:
            return
        self._depth -= 1
        if self._depth > 0:
            return
        fcntl.flock(self._fh.fileno(), fcntl.LOCK_UN)
        self._fh.close()
        self._fh = None
        _held.pop(str(self.path), None)

    @property
    def held(self) -> bool:
        return self._fh is not None

    def __enter__(self) -> "ArchiveLock":
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def _describe_holder(text: str) -> str:
    try:
        info = json.loads(text)
    except ValueError:
        return ""
    return f" ({info.get('purpose', 'run')}, pid {info.get('pid')} on {info.get('host')}, since {info.get('since')})"


def lock_archive(archive_path: str | os.PathLike, purpose: str = "crawl") -> ArchiveLock:
    """Take the archive's lock (again, if this process holds it already), or raise
    ArchiveLocked naming the process that holds it. Release with `.release()` or `with`."""
    path = str(lock_path(archive_path))
    lock = _held.get(path)
    if lock is None:
        lock = ArchiveLock(archive_path)
    lock.acquire(purpose)
    _held[path] = lock
    return lock
