"""Rewriting an archive file in place: `newsarchive compact`.

An archive written before the 32 KB page size (archive.schema.PAGE_SIZE) keeps the page size
it was made with, and any archive keeps some free pages and half-filled pages after months
of crawls. `compact` rewrites the file (SQLite's VACUUM) in the current page size with
incremental auto-vacuum, under the archive's lock, so no crawl writes meanwhile. The rows,
indexes and full-text indexes come out the same; only the file's layout changes.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path

from archive.identity import ArchiveError, require_archive
from archive.lock import DEFAULT_LOCK_TIMEOUT, check_writable, lock_archive
from archive.schema import PAGE_SIZE, pending_migrations


@dataclass
class CompactResult:
    bytes_before: int
    bytes_after: int
    page_size_before: int
    page_size_after: int


def _file_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())


def compact_archive(path: str | os.PathLike, lock_timeout: float = DEFAULT_LOCK_TIMEOUT) -> CompactResult:
    """Rewrite the archive at `path` (see the module's docstring). Raises ArchiveError with
    a message for the user: no such archive, not an archive, not writable, in use, not
    enough free disk."""
    path = require_archive(path)
    before = _file_bytes(path)
    # VACUUM writes a whole copy to the temporary directory, then back over the file.
    for where in {path.resolve().parent, Path(tempfile.gettempdir())}:
        free = shutil.disk_usage(where).free
        if free < before * 1.1:
            raise ArchiveError(f"compacting {path} needs about {before / 1e6:,.0f} MB free in {where}; "
                               f"{free / 1e6:,.0f} MB are")
    with lock_archive(path, purpose="compact"):
        check_writable(path, timeout=lock_timeout)
        conn = sqlite3.connect(path, isolation_level=None, timeout=lock_timeout)
        try:
            from sqlite_utils import Database

            if pending_migrations(Database(conn)):
                raise ArchiveError(f"archive {path} was written by an older version: open it for writing "
                                   "(a crawl, or `newsarchive reparse`) to migrate it first")
            page_before = conn.execute("PRAGMA page_size").fetchone()[0]
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            # The page size only changes outside WAL mode; leaving it needs every other
            # connection (a Datasette, a search) closed.
            if conn.execute("PRAGMA journal_mode=DELETE").fetchone()[0].lower() != "delete":
                raise sqlite3.OperationalError("database is locked")
            try:
                conn.execute(f"PRAGMA page_size={PAGE_SIZE}")
                conn.execute("PRAGMA auto_vacuum=INCREMENTAL")
                conn.execute("VACUUM")
            finally:
                conn.execute("PRAGMA journal_mode=WAL")
            page_after = conn.execute("PRAGMA page_size").fetchone()[0]
            if conn.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise ArchiveError(f"archive {path} failed its check after compacting: restore it from a backup")
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise ArchiveError(f"archive {path} is open elsewhere (Datasette, a search?): close it and retry") from None
            raise ArchiveError(f"cannot compact {path}: {exc}") from None
        except sqlite3.DatabaseError as exc:
            raise ArchiveError(f"cannot read archive {path}: {exc}") from None
        finally:
            conn.close()
    return CompactResult(before, _file_bytes(path), page_before, page_after)
