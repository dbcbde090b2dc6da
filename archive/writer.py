"""The archive's one writer, in a process of its own: a crawl (or an import) hands it
operations (store this record, remember this link, record this failure, update the run's
row) and goes on; the writer applies them in order, in batched transactions, and answers
each with its result.

Why a process: storing a record (dedupe lookups, MinHash bands, two full-text indexes, URL,
related and band rows) costs about a millisecond of mostly Python time, and on the crawl's
thread it competed with the downloads for the interpreter; in a process of its own it runs
on another core. Nothing else writes the archive while a writer is open.

    writer = ArchiveWriter.start("archive.db", batch_size=50)
    future = writer.call("store", record)           # concurrent.futures.Future
    writer.call("forget_link", url)                 # answered too; the caller may ignore it
    writer.close()                                  # commits what is left; raises ArchiveError if it cannot

Batches: a transaction is committed when `batch_size` records have been stored in it, when
no operation has arrived for IDLE_COMMIT seconds, after MAX_BATCH_SECONDS, on a "flush"
operation and at close. Operations are applied in the order they were sent, so what the
caller sends first is committed first or together (the links of an article before its
record: see crawler.middlewares). Every record is stored whole or not at all
(`Archive.store`'s savepoint); a kill at any moment loses at most the open batch, which a
rerun fetches again.

Faults: an operation that fails answers with an ArchiveError message (the caller decides
to stop); a writer that dies fails every unanswered operation with ArchiveError; the
writer leaves when the pipe to its parent closes (the parent died), committing nothing
more. No Scrapy here.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures import Future
from typing import Any, Callable

from archive import crawls, incremental
from archive.child_processes import exit_with, without_main_module
from archive.identity import ArchiveError
from archive.lock import DEFAULT_LOCK_TIMEOUT

logger = logging.getLogger(__name__)

IDLE_COMMIT = 0.25
MAX_BATCH_SECONDS = 5.0


# -- the operations, run in the writer -------------------------------------------------------------


def _store(archive, record: dict, seen_at: str | None = None, fingerprint=None, reparsed: bool = False,
           article_id: int | None = None):
    """Dedupe and store one record: the decision (what the archive holds of it) and what
    became of it. `fingerprint`: the body's (content hash, MinHash bands), when the caller
    computed it; `reparsed`: a new extraction of article `article_id`'s own capture."""
    from archive.store import SAME_ARTICLE, Decision, record_url_keys

    if reparsed:
        decision = Decision(SAME_ARTICLE, record_url_keys(record), article_id)
    else:
        decision = archive.classify(record, tuple(fingerprint) if fingerprint else None)
    result = archive.store(record, decision, seen_at=seen_at, reparsed=reparsed)
    return {"decision": decision.reason or decision.kind, "outcome": result.outcome, "article_id": result.article_id,
            "reason": result.reason, "similarity": result.similarity, "changed": list(result.changed)}


def _start_crawl(archive, spider: str, arguments: dict, started: str, pid: int, host: str):
    killed = crawls.mark_killed(archive.db, started)
    crawl_id = crawls.start_crawl(archive.db, spider=spider, arguments=arguments, started=started, pid=pid, host=host)
    archive.flush()  # the row is visible (as running) at once
    return {"crawl_id": crawl_id, "killed": killed}


def _update_crawl(archive, crawl_id: int, counts: dict, at: str, outcome: str | None = None,
                  finished: str | None = None, wait: float | None = None):
    if wait is not None:
        archive.wait_for_locks(wait)
    crawls.update_crawl(archive.db, crawl_id, counts, at=at, outcome=outcome, finished=finished)
    archive.flush()


def _flush(archive):
    archive.flush()


OPERATIONS: dict[str, Callable] = {
    "store": _store,
    "remember_links": lambda archive, *args: incremental.remember_links(archive.db, *args),
    "forget_link": lambda archive, *args: incremental.forget_link(archive.db, *args),
    "record_failure": lambda archive, *args: incremental.record_failure(archive.db, *args),
    "clear_failure": lambda archive, *args: incremental.clear_failure(archive.db, *args),
    "add_url_aliases": lambda archive, *args: incremental.add_url_aliases(archive.db, *args),
    "start_crawl": _start_crawl,
    "update_crawl": _update_crawl,
    "flush": _flush,
}


def _open(path: str, batch_size: int, lock_timeout: float, clock: str | None):
    from archive.store import Archive

    archive = Archive(path, batch_size=batch_size, lock_timeout=lock_timeout)
    if clock:
        archive.clock = lambda: clock
    return archive


def apply(archive, name: str, args: tuple) -> Any:
    """One operation on an open archive, a storage error as ArchiveError."""
    import sqlite3

    try:
        return OPERATIONS[name](archive, *args)
    except sqlite3.Error as exc:
        # The batch in flight is given up (the crawl stops; what it held is fetched again by
        # the next run): a transaction left open after a write failed on another program's
        # lock keeps a read snapshot that the other program's commit makes stale, and every
        # later write in it, the run's own closing row included, would fail at once instead
        # of waiting for the lock.
        if archive.db.conn.in_transaction:
            try:
                archive.db.conn.rollback()
            except sqlite3.Error:
                pass
        raise archive.error(exc) from None


def _writer_main(conn, path: str, batch_size: int, lock_timeout: float, clock: str | None, owner: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the crawl decides when the writer stops
    exit_with(owner)  # a crawl killed outright: the open batch is rolled back, the file intact
    try:
        archive = _open(path, batch_size, lock_timeout, clock)
    except ArchiveError as exc:
        conn.send((0, False, str(exc)))
        return
    conn.send((0, True, os.getpid()))
    batch_started = None
    while True:
        in_transaction = archive.db.conn.in_transaction
        if in_transaction and batch_started is None:
            batch_started = time.monotonic()
        wait = None
        if in_transaction:
            wait = max(0.0, min(IDLE_COMMIT, batch_started + MAX_BATCH_SECONDS - time.monotonic()))
        try:
            ready = conn.poll(wait)
        except (EOFError, OSError):
            return
        if not ready:
            if archive.db.conn.in_transaction:
                try:
                    archive.flush()
                except Exception as exc:  # noqa: BLE001 - reported with the next answer
                    logger.error("The archive's batch could not be committed: %s", exc)
            batch_started = None
            continue
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return  # the parent is gone: what is not committed is fetched again by the next run
        op_id, name, args = message
        if name == "close":
            try:
                archive.close()
                conn.send((op_id, True, None))
            except Exception as exc:  # noqa: BLE001
                conn.send((op_id, False, str(exc)))
            return
        try:
            reply = (op_id, True, apply(archive, name, args))
        except Exception as exc:  # noqa: BLE001 - the caller decides
            reply = (op_id, False, str(exc) if isinstance(exc, ArchiveError) else f"{type(exc).__name__}: {exc}")
        if not archive.db.conn.in_transaction:
            batch_started = None
        try:
            conn.send(reply)
        except (BrokenPipeError, OSError):
            return


# -- the caller's side -----------------------------------------------------------------------------------


class ArchiveWriter:
    """A writer process over the archive at `path` (see the module's docstring)."""

    def __init__(self, process, conn):
        self._process = process
        self._conn = conn
        # Two locks: `_send_lock` keeps operations in order on the pipe (and may block while
        # the pipe is full: backpressure); `_lock` guards the futures and is never held while
        # sending, so the answer reader can always take it. (One lock for both deadlocked:
        # a send blocked on a full pipe held it, the reader waited for it to hand over an
        # answer, and the writer, its answers unread, stopped reading operations.)
        self._send_lock = threading.Lock()
        self._lock = threading.Lock()
        self._futures: dict[int, Future] = {}
        self._ids = 0
        self._closed = False
        self.failure: str | None = None
        self._reader = threading.Thread(target=self._read, name="archive-writer-answers", daemon=True)
        self._reader.start()

    @classmethod
    def start(cls, path, *, batch_size: int = 50, lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
              clock: str | None = None, start_method: str = "forkserver") -> "ArchiveWriter":
        """Start the writer and wait until it has the archive open (its migrations applied);
        ArchiveError if it cannot open it."""
        context = multiprocessing.get_context(start_method)
        parent, child = context.Pipe()
        process = context.Process(target=_writer_main,
                                  args=(child, str(path), batch_size, lock_timeout, clock, os.getpid()),
                                  daemon=True, name="newsarchive-writer")
        with without_main_module():
            process.start()
        child.close()
        if not parent.poll(max(60.0, lock_timeout * 3)):
            process.kill()
            raise ArchiveError(f"the archive writer did not open {path}")
        try:
            _, ok, value = parent.recv()
        except (EOFError, OSError):
            process.join(5)
            raise ArchiveError(f"the archive writer died opening {path} (exit status {process.exitcode})") from None
        if not ok:
            process.join(5)
            raise ArchiveError(value)
        return cls(process, parent)

    @property
    def pid(self) -> int:
        return self._process.pid

    def call(self, name: str, *args) -> Future:
        """Send one operation; its future holds the result, or ArchiveError."""
        future: Future = Future()
        if name not in OPERATIONS:
            raise ValueError(f"no writer operation {name!r}")
        with self._send_lock:
            with self._lock:
                if self.failure is not None or self._closed:
                    future.set_exception(ArchiveError(self.failure or "the archive writer is closed"))
                    return future
                self._ids += 1
                op_id = self._ids
                self._futures[op_id] = future
            self._send(op_id, name, args, future)
        return future

    def _send(self, op_id: int, name: str, args: tuple, future: Future) -> None:
        try:
            self._conn.send((op_id, name, args))
        except (BrokenPipeError, OSError):
            with self._lock:
                self._futures.pop(op_id, None)
            future.set_exception(ArchiveError(self.failure or "the archive writer died"))

    @property
    def pending(self) -> int:
        return len(self._futures)

    def _read(self) -> None:
        while True:
            try:
                op_id, ok, value = self._conn.recv()
            except (EOFError, OSError):
                break
            with self._lock:
                future = self._futures.pop(op_id, None)
            if future is not None:
                future.set_result(value) if ok else future.set_exception(ArchiveError(value))
        self._process.join(5)
        with self._lock:
            if not self._closed:
                self.failure = f"the archive writer died (exit status {self._process.exitcode})"
            left = list(self._futures.values())
            self._futures.clear()
        for future in left:
            future.set_exception(ArchiveError(self.failure or "the archive writer closed"))

    def close(self, timeout: float = 300.0) -> None:
        """Apply what was sent, commit, close the archive and stop the writer. Raises
        ArchiveError if the last commit fails (the batch is then lost, the file intact)."""
        if self._closed:
            return
        future: Future = Future()
        with self._send_lock:
            with self._lock:
                self._ids += 1
                op_id = self._ids
                self._futures[op_id] = future
                self._closed = True
            self._send(op_id, "close", (), future)
        try:
            future.result(timeout)
        finally:
            self._process.join(10)
            if self._process.is_alive():
                self._process.kill()
                self._process.join(5)
            self._conn.close()

    def kill(self) -> None:
        """Stop the writer without committing (tests; a crawl that must stop at once)."""
        self._closed = True
        self._process.kill()
        self._process.join(5)


class InlineWriter:
    """The same interface applied at once in the caller's thread (`newsarchive reparse`,
    tests): for callers with no event loop to keep free."""

    def __init__(self, archive):
        self.archive = archive
        self.failure: str | None = None

    def call(self, name: str, *args) -> Future:
        future: Future = Future()
        try:
            future.set_result(apply(self.archive, name, args))
        except ArchiveError as exc:
            future.set_exception(exc)
        return future

    pending = 0

    def close(self, timeout: float = 0) -> None:
        self.archive.close()
