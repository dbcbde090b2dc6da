"""Opening an archive for reading: the one way every reader does (the CLI's search, show,
stats and export, the Datasette plugin's search, `Archive(readonly=True)`), and reading rows
from it."""

from __future__ import annotations

import os
import sqlite3
from typing import Any, Sequence

from sqlite_utils import Database

from archive.identity import ArchiveError, connect_readonly
from archive.schema import pending_migrations


def connect(path: str | os.PathLike) -> Database:
    """Open an archive for reading only, also when the file, its directory or its mount is
    read-only (archive.identity.connect_readonly). Raises ArchiveError for a missing file,
    a file that is not a newsarchive archive (left untouched), or an archive whose schema
    needs migrating."""
    db = Database(connect_readonly(path))
    try:
        pending = pending_migrations(db)
    except sqlite3.DatabaseError as exc:
        db.close()
        raise ArchiveError(f"cannot read archive {path}: {exc}") from exc
    if pending:
        db.close()
        raise ArchiveError(
            f"archive {path} was written by an older version of newsarchive and needs migrating "
            f"({len(pending)} pending): the next crawl of it does that"
        )
    return db


def connection(db: Database | sqlite3.Connection) -> sqlite3.Connection:
    """The SQLite connection under `db` (the read API takes either)."""
    return db.conn if hasattr(db, "conn") else db


def dict_rows(conn: sqlite3.Connection, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    cursor = conn.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor]
