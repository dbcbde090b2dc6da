"""What `newsarchive import` keeps in the archive between runs (tables made by
archive/schema.py's m301): how far each file has been read, where each payload a revisit
record may refer to is, and the articles an earlier version parsed and left queued (it
stored them after reading every file; imports now store each as it is parsed).

A file is known by its identity: its size and a hash of its first MiB, so that the same
file under another name or path is the same file, and a file that has changed is not. Its
progress is kept per set of filters (`filters`: a key the importer makes of them), so that
the same file imported again for other sites is read again.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any, Iterator

from sqlite_utils import Database

IDENTITY_BYTES = 1 << 20


def file_identity(path: str | os.PathLike) -> tuple[str, int]:
    """(identity, size) of a file; OSError when it cannot be read."""
    with Path(path).open("rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        digest = hashlib.sha256(fh.read(IDENTITY_BYTES)).hexdigest()
    return f"{size}:{digest}", size


def file_progress(db: Database, identity: str, filters: str) -> dict | None:
    """The file's row: path, size, done_offset (where reading resumes), finished (when it was
    read to its end, or None)."""
    rows = list(db.query("select * from import_files where identity = ? and filters = ?", [identity, filters]))
    return rows[0] if rows else None


def begin_file(db: Database, identity: str, filters: str, path: str, size: int, at: str) -> None:
    db.execute(
        "insert into import_files (identity, filters, path, size, done_offset, updated) values (?, ?, ?, ?, 0, ?)"
        " on conflict (identity, filters) do update set path = excluded.path, updated = excluded.updated",
        [identity, filters, path, size, at],
    )


def advance_file(db: Database, identity: str, filters: str, offset: int, at: str) -> None:
    """Everything before `offset` is read and what it held queued (or skipped): in the same
    transaction as the queued articles."""
    db.execute("update import_files set done_offset = ?, updated = ? where identity = ? and filters = ?",
               [offset, at, identity, filters])


def finish_file(db: Database, identity: str, filters: str, at: str) -> None:
    db.execute("update import_files set done_offset = size, finished = ?, updated = ?"
               " where identity = ? and filters = ?", [at, at, identity, filters])


def queued_count(db: Database) -> int:
    return db.execute("select count(*) from import_queue").fetchone()[0]


def queued_articles(db: Database, chunk: int = 200) -> Iterator[tuple[int, str, dict[str, Any]]]:
    """(queue id, capture date, record) in capture-date order (file order among equal
    dates). The caller removes each (`dequeue`) in the transaction that stores it."""
    last = ("", 0)
    while True:
        rows = db.execute(
            "select id, captured_at, record from import_queue where (captured_at, id) > (?, ?)"
            " order by captured_at, id limit ?", [*last, chunk],
        ).fetchall()
        if not rows:
            return
        for queue_id, captured_at, record in rows:
            yield queue_id, captured_at, json.loads(record)
        last = (rows[-1][1], rows[-1][0])


def dequeue(db: Database, queue_id: int) -> None:
    db.execute("delete from import_queue where id = ?", [queue_id])


def remember_payloads(db: Database, payloads: list[tuple[str, str, int]]) -> None:
    """Where each (payload digest, file, offset) response is, for the revisits to come."""
    if payloads:
        db.conn.executemany('insert or replace into import_payloads (digest, file, "offset") values (?, ?, ?)', payloads)


def payload_location(db: Database, digest: str) -> tuple[str, int] | None:
    row = db.execute('select file, "offset" from import_payloads where digest = ?', [digest]).fetchone()
    return (row[0], row[1]) if row else None
