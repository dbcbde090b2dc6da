"""What makes a file an archive, and making one.

An archive carries its own mark: SQLite's `application_id` header field (bytes 68-71 of the
file) holds APPLICATION_ID, set when the archive is created. Archives made before the mark
existed are recognised by the project's migrations recorded in `_sqlite_migrations` (and
are given the mark the next time they are opened for writing). Any other SQLite file, even
one with an `articles` table, belongs to another program: every command refuses it and
leaves it byte-identical, readers included, because it is inspected here through an
immutable connection, which takes no locks, creates no files and writes nothing.

A new archive is built in a temporary file beside its final path and linked into place only
if nothing exists there: a crawl never overwrites a file, and a crash while the archive is
being created leaves no half-made archive under the user's name.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from urllib.parse import quote

# "nwsa": this project's archives. (Registered values are listed in SQLite's magic.txt;
# this one is not among them.)
APPLICATION_ID = 0x6E777361
MIGRATION_SET = "newsarchive"

MISSING = "missing"
ARCHIVE = "archive"
# An archive made before the mark: it has the project's migrations but application_id 0.
UNMARKED_ARCHIVE = "unmarked_archive"


class ArchiveError(Exception):
    """A problem with the archive file itself; the message is meant for the user."""


class NotAnArchiveError(ArchiveError):
    """The path holds a file that is not a newsarchive archive (another program's SQLite
    file, or not SQLite at all). It is left untouched."""


class ArchiveMissingError(ArchiveError):
    """No archive at the path, and the command does not create one."""


def check_archive_path(path: str | os.PathLike) -> Path:
    """Fail early, with a message a user can act on, for a path that cannot hold an archive:
    a missing directory, a directory instead of a file."""
    path = Path(path)
    parent = path.resolve().parent
    if not parent.is_dir():
        raise ArchiveError(f"archive directory does not exist: {parent}")
    if path.is_dir():
        raise ArchiveError(f"archive path is a directory, not a file: {path}")
    return path


def immutable_connection(path: Path) -> sqlite3.Connection:
    """A connection that reads the file as it is on disk: no locks, no -wal or -shm files
    created, nothing written (SQLite's `immutable=1`). Use only where nothing can be
    writing the file, or where a stale read is harmless."""
    return sqlite3.connect(f"file:{quote(str(path.resolve()))}?immutable=1", uri=True, check_same_thread=False)


def archive_kind(path: str | os.PathLike) -> str:
    """MISSING, ARCHIVE or UNMARKED_ARCHIVE; raises NotAnArchiveError for any other file and
    ArchiveError for a file that cannot be read. Writes nothing, and reads through SQLite
    only (opening and closing the file directly would drop the POSIX locks this process's
    own connections to it hold)."""
    path = check_archive_path(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return MISSING
    except OSError as exc:
        raise ArchiveError(f"cannot read {path}: {exc.strerror or exc}") from None
    if size == 0:
        raise NotAnArchiveError(f"not a newsarchive archive: {path} is an empty file (remove it, and a crawl creates the archive there)")
    try:
        conn = immutable_connection(path)
    except sqlite3.Error as exc:
        raise ArchiveError(f"cannot read {path}: {exc}") from None
    try:
        try:
            application_id = conn.execute("PRAGMA application_id").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            raise _unreadable(path, exc) from None
        if application_id == APPLICATION_ID:
            return ARCHIVE
        if application_id != 0:
            raise NotAnArchiveError(f"not a newsarchive archive: {path} is another application's SQLite file")
        try:
            ours = bool(conn.execute("select 1 from sqlite_master where name = '_sqlite_migrations'").fetchone()) and \
                bool(conn.execute("select 1 from _sqlite_migrations where migration_set = ? limit 1",
                                  [MIGRATION_SET]).fetchone())
        except sqlite3.DatabaseError as exc:
            raise ArchiveError(f"cannot read archive {path}: {exc}") from None
    finally:
        conn.close()
    if not ours:
        raise NotAnArchiveError(f"not a newsarchive archive: {path} is an SQLite file of another program")
    return UNMARKED_ARCHIVE


SQLITE_MAGIC = b"SQLite format 3\x00"


def _unreadable(path: Path, exc: sqlite3.DatabaseError) -> ArchiveError:
    """Why SQLite cannot read the file: not SQLite at all, or a damaged archive (its header
    and mark intact, its pages not), or a damaged SQLite file of another program. Read as
    bytes here only: SQLite could not open it, so no connection of ours holds locks on it."""
    try:
        with path.open("rb") as fh:
            header = fh.read(100)
    except OSError as error:
        return ArchiveError(f"cannot read {path}: {error.strerror or error}")
    if not header.startswith(SQLITE_MAGIC):
        return NotAnArchiveError(f"not a newsarchive archive: {path} is not an SQLite database")
    if len(header) == 100 and int.from_bytes(header[68:72], "big") == APPLICATION_ID:
        return ArchiveError(f"cannot read archive {path}: {exc} (restore it from a backup, or crawl into a new file)")
    return NotAnArchiveError(f"not a newsarchive archive: {path} is a damaged or unreadable SQLite file ({exc})")


def require_archive(path: str | os.PathLike) -> Path:
    """The path, if it holds an archive (marked or not); else ArchiveMissingError or
    NotAnArchiveError. For every command but those that create archives."""
    path = check_archive_path(path)
    if archive_kind(path) == MISSING:
        raise ArchiveMissingError(f"archive does not exist: {path}")
    return path


def create_archive(path: str | os.PathLike, build) -> bool:
    """Create an archive at `path` if no file is there: `build(conn)` fills a new database
    in a temporary file beside it (in rollback-journal mode, so the finished file holds
    everything), which is then linked into place. Returns False when a file already exists
    (nothing is touched then), True when this call created the archive."""
    path = check_archive_path(path)
    if path.exists():
        return False
    temporary = path.with_name(f".{path.name}.creating-{os.getpid()}")
    try:
        conn = sqlite3.connect(temporary, isolation_level=None)
        try:
            build(conn)
            # After `build`, which may set the page size: that is fixed by the first write.
            conn.execute(f"PRAGMA application_id={APPLICATION_ID}")
        finally:
            conn.close()
        try:
            # link() fails if the name exists: two crawls starting at once create one archive.
            os.link(temporary, path)
        except FileExistsError:
            return False
        except OSError:
            # A file system without hard links: the same, less atomic.
            if path.exists():
                return False
            os.rename(temporary, path)
        return True
    except OSError as exc:
        raise ArchiveError(f"cannot create archive {path}: {exc.strerror or exc}") from None
    except sqlite3.Error as exc:
        raise ArchiveError(f"cannot create archive {path}: {exc}") from None
    finally:
        for leftover in (temporary, temporary.with_name(temporary.name + "-journal")):
            try:
                leftover.unlink()
            except FileNotFoundError:
                pass


def writable_location(path: str | os.PathLike) -> bool:
    """Whether SQLite can write beside the file: the file and its directory writable (not a
    read-only mount, an immutable file or permissions that forbid it)."""
    path = Path(path)
    return os.access(path, os.W_OK) and os.access(path.resolve().parent, os.W_OK)


def connect_readonly(path: str | os.PathLike) -> sqlite3.Connection:
    """The archive at `path` opened for reading only, writing nothing: refused with
    ArchiveMissingError / NotAnArchiveError / ArchiveError before SQLite opens it when it is
    not an archive. Works on a read-only file, directory or mount too: SQLite cannot make
    the WAL's shared-memory file there, so the archive is then opened as immutable, which
    is safe because nothing can be writing it."""
    path = require_archive(path)
    uri = "file:" + quote(str(path.resolve()))
    writable = writable_location(path)
    try:
        conn = sqlite3.connect(f"{uri}?mode=ro", uri=True, check_same_thread=False)
        conn.execute("select count(*) from sqlite_master").fetchone()
    except sqlite3.OperationalError as exc:
        if writable and "readonly" not in str(exc) and "unable to open" not in str(exc):
            raise ArchiveError(f"cannot read archive {path}: {exc}") from None
        conn = immutable_connection(path)
    except sqlite3.DatabaseError as exc:
        raise ArchiveError(f"cannot read archive {path}: {exc}") from None
    try:
        conn.execute("select count(*) from sqlite_master").fetchone()
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise ArchiveError(f"cannot read archive {path}: {exc}") from None
    return conn
