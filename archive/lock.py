"""One writer at a time: the lock a crawl (or a re-parse, a compaction) holds on an archive;
and what to say when some other program holds SQLite's own lock on it.

Two crawls writing one archive at once would interleave their write batches and wait on
each other's transactions, and neither could tell a live run from a dead one in the
`crawls` table. So a run takes an exclusive lock first and a second run started meanwhile
refuses at once, naming the holder. The lock is an open-file-description lock (Linux
`F_OFD_SETLK`) on one byte of the archive file far past anything SQLite locks: it belongs
to the file itself, so two paths to one file (a symlink, a hard link, a bind mount) share
it; the kernel drops it when the holding process dies, however it dies, so a killed crawl
never leaves a stale lock; and unlike a POSIX lock it is not lost when the process closes
some other descriptor of the file (SQLite opens and closes several). Who holds it is
written to `<archive>-lock` beside the archive, for the refusal message. Readers (search,
Datasette, `newsarchive crawls`) take no lock: SQLite's WAL mode lets them read while a
crawl writes.

The lock is re-entrant within a process: the `crawl` command takes it before Scrapy starts
(to fail in one line) and the crawl's extension takes it again (for runs started without
the command, e.g. from a script).
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import socket
import sqlite3
import struct
import sys
from datetime import datetime, timezone
from pathlib import Path

from archive.identity import ArchiveError, require_archive

_held: dict[tuple[int, int], "ArchiveLock"] = {}

# SQLite locks bytes 0x40000000-0x400001ff of a database file (rollback journal) and
# bytes 120-127 of its -shm file (WAL); this byte is neither.
RUN_LOCK_OFFSET = 1 << 62
# struct flock: l_type, l_whence, l_start, l_len, l_pid (Linux, native alignment).
_FLOCK = "hhqqi"
# SQLite's lock bytes: a writer holds WAL_WRITE_LOCK in -shm (WAL mode) or the RESERVED /
# PENDING / SHARED bytes of the database file (rollback-journal mode).
_SHM_WRITE_LOCK = (120, 1)
_DB_LOCK_RANGE = (0x40000000, 512)

# How long a write waits for another program's SQLite lock before giving up (seconds).
DEFAULT_LOCK_TIMEOUT = 30.0


class ArchiveLocked(ArchiveError):
    """Another run holds the archive's lock, or another program holds SQLite's write lock
    longer than the wait allowed."""


class ArchiveNotWritable(ArchiveError):
    """The archive (or its directory) cannot be written: read-only file, directory or mount."""


def lock_path(archive_path: str | os.PathLike) -> Path:
    path = Path(archive_path).resolve()
    return path.with_name(path.name + "-lock")


def _flock(kind: int, start: int, length: int) -> bytes:
    return struct.pack(_FLOCK, kind, os.SEEK_SET, start, length, 0)


def _identity(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_dev, st.st_ino


class ArchiveLock:
    def __init__(self, archive_path: str | os.PathLike):
        self.archive_path = Path(archive_path)
        self.info_path = lock_path(archive_path)
        self._fd: int | None = None
        self._depth = 0
        self.identity: tuple[int, int] | None = None

    def acquire(self, purpose: str = "crawl") -> "ArchiveLock":
        if self._fd is not None:
            self._depth += 1
            return self
        try:
            fd = os.open(self.archive_path, os.O_RDWR | os.O_CLOEXEC)
        except FileNotFoundError:
            raise ArchiveError(f"archive does not exist: {self.archive_path}") from None
        except OSError as exc:
            raise not_writable(self.archive_path, exc) from None
        try:
            fcntl.fcntl(fd, fcntl.F_OFD_SETLK, _flock(fcntl.F_WRLCK, RUN_LOCK_OFFSET, 1))
        except OSError as exc:
            os.close(fd)
            if exc.errno not in (errno.EAGAIN, errno.EACCES):
                raise ArchiveError(f"cannot lock archive {self.archive_path}: {exc.strerror or exc}") from None
            raise ArchiveLocked(
                f"archive {self.archive_path} is in use by another run{self._holder()}; try again when it ends"
            ) from None
        self._fd = fd
        self._depth = 1
        self.identity = _identity(self.archive_path)
        self._write_info(purpose)
        return self

    def _holder(self) -> str:
        try:
            info = json.loads(self.info_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return " (through another path to the same file)"
        return f" ({info.get('purpose', 'run')}, pid {info.get('pid')} on {info.get('host')}, since {info.get('since')})"

    def _write_info(self, purpose: str) -> None:
        info = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "purpose": purpose,
            "since": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "command": " ".join(sys.argv[:3]),
        }
        try:
            self.info_path.write_text(json.dumps(info), encoding="utf-8")
        except OSError:
            pass  # only the refusal message of a second run loses its detail

    def release(self) -> None:
        if self._fd is None:
            return
        self._depth -= 1
        if self._depth > 0:
            return
        os.close(self._fd)  # closing the description drops its OFD lock
        self._fd = None
        if self.identity is not None:
            _held.pop(self.identity, None)

    @property
    def held(self) -> bool:
        return self._fd is not None

    def __enter__(self) -> "ArchiveLock":
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def lock_archive(archive_path: str | os.PathLike, purpose: str = "crawl") -> ArchiveLock:
    """Take the archive's lock (again, if this process holds it already), or raise
    ArchiveLocked naming the process that holds it. The archive must exist and be an
    archive (archive.identity): another program's file is refused before anything opens it
    for writing. Release with `.release()` or `with`."""
    path = require_archive(archive_path)
    try:
        key = _identity(path)
    except FileNotFoundError:
        raise ArchiveError(f"archive does not exist: {path}") from None
    lock = _held.get(key)
    if lock is None:
        lock = ArchiveLock(path)
    lock.acquire(purpose)
    _held[key] = lock
    return lock


# -- other programs' SQLite locks, and read-only archives -----------------------------------------


def _process_name(pid: int) -> str:
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        text = " ".join(a.decode("utf-8", "replace") for a in argv if a)
    except OSError:
        return ""
    text = " ".join(text.split())
    return text if len(text) <= 60 else text[:57] + "..."


def sqlite_lock_holder(archive_path: str | os.PathLike) -> int | None:
    """The pid of a process holding SQLite's write lock on the archive, if one does and the
    kernel says which (/proc/locks; read there rather than asked with F_GETLK, which would
    mean opening and closing the files, and closing a descriptor drops every POSIX lock
    this process's own SQLite connections hold on them)."""
    path = Path(archive_path)
    targets = []
    for target, (start, length) in ((Path(f"{path}-shm"), _SHM_WRITE_LOCK), (path, _DB_LOCK_RANGE)):
        try:
            st = target.stat()
        except OSError:
            continue
        targets.append((f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}", start, start + length - 1))
    try:
        lines = Path("/proc/locks").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        fields = line.split()
        if "->" in fields:  # a process waiting for a lock, not holding one
            continue
        try:
            kind, pid, where, first, last = fields[3], int(fields[4]), fields[5], int(fields[6]), fields[7]
        except (IndexError, ValueError):
            continue
        end = float("inf") if last == "EOF" else int(last)
        for identity, start, stop in targets:
            if where == identity and kind == "WRITE" and first <= stop and end >= start and pid > 0 and pid != os.getpid():
                return pid
    return None


def locked_message(archive_path: str | os.PathLike, waited: float) -> str:
    pid = sqlite_lock_holder(archive_path)
    if pid:
        name = _process_name(pid)
        who = f"another program (pid {pid}" + (f": {name})" if name else ")")
    else:
        who = "another program"
    return f"archive {archive_path} is locked by {who} and was still locked after waiting {waited:g} s"


def not_writable(archive_path: str | os.PathLike, exc: BaseException | None = None) -> ArchiveNotWritable:
    """Why the archive cannot be written, in the words a user can act on."""
    path = Path(archive_path)
    target = path if path.exists() else path.resolve().parent
    try:
        readonly_mount = bool(os.statvfs(target).f_flag & os.ST_RDONLY)
    except OSError:
        readonly_mount = False
    if readonly_mount:
        return ArchiveNotWritable(f"archive {path} is on a read-only file system: it cannot be written "
                                  "(search, show, stats and export can read it there)")
    if path.exists() and not os.access(path, os.W_OK):
        return ArchiveNotWritable(f"archive {path} is read-only (its permissions or an immutable flag): "
                                  "it cannot be written")
    if not os.access(path.resolve().parent, os.W_OK):
        return ArchiveNotWritable(f"archive {path} cannot be written: its directory {path.resolve().parent} is "
                                  "read-only (SQLite keeps its -wal and -shm files beside the archive)")
    detail = (getattr(exc, "strerror", None) or str(exc)) if exc else "unknown reason"
    return ArchiveNotWritable(f"archive {path} cannot be written: {detail}")


def check_writable(archive_path: str | os.PathLike, timeout: float = DEFAULT_LOCK_TIMEOUT) -> None:
    """Prove the archive can be written now, writing nothing: a write transaction begun
    and rolled back, waiting up to `timeout` seconds for another program's lock. Raises
    ArchiveNotWritable or ArchiveLocked (naming the holder when the kernel says who)."""
    path = Path(archive_path)
    if not os.access(path, os.W_OK) or not os.access(path.resolve().parent, os.W_OK):
        raise not_writable(path)
    try:
        conn = sqlite3.connect(path, timeout=timeout, isolation_level=None)
    except sqlite3.Error as exc:
        raise not_writable(path, exc) from None
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise ArchiveLocked(locked_message(path, timeout)) from None
        raise not_writable(path, exc) from None
    except sqlite3.DatabaseError as exc:
        raise ArchiveError(f"cannot read archive {path}: {exc}") from None
    finally:
        conn.close()
