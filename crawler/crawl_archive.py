"""The crawl's archive, shared by the components that use it (the store pipeline, the
incremental and frontier middlewares, the crawl-run extension): written by the archive's
writer process (archive/writer.py), off the crawl's thread, and read through a read-only
connection of the crawl's own; and what happens when it cannot be written.

Writes are operations sent to the writer in the order the crawl makes them (`send`), in
batched transactions; the store pipeline awaits its record's (`await call("store", ...)`),
which is the crawl's backpressure: when the writer falls behind, items wait, Scrapy's
scraper holds back new responses, and the downloads slow down. Reads (is this URL
archived?) see what the writer has committed.

A storage error (the disk full, the file turned read-only, another program holding SQLite's
lock past ARCHIVE_LOCK_TIMEOUT, the writer gone) is not a bad page: going on would fetch
pages that cannot be kept. The first one is logged in one line, counted (`archive/error`),
and closes the spider with the reason `archive_error`, which the crawl records in `crawls`
where it still can and which makes `scrapy crawl` exit non-zero. Whatever was not committed
is fetched again by the next run: nothing is marked archived or failed that was not stored.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from concurrent.futures import Future
from datetime import datetime, timezone
from typing import Any

from scrapy import signals
from scrapy.exceptions import DropItem
from scrapy.utils.defer import deferred_from_coro
from sqlite_utils import Database

from archive import incremental
from archive.identity import connect_readonly
from archive.lock import DEFAULT_LOCK_TIMEOUT
from archive.store import ArchiveError
from archive.writer import ArchiveWriter
from crawler import checked_settings

logger = logging.getLogger(__name__)

# The close reason of a crawl stopped by a storage error.
ARCHIVE_ERROR = "archive_error"
# Close reasons that make `scrapy crawl` exit with status 1.
FAILED_REASONS = frozenset({ARCHIVE_ERROR})
STORAGE_ERRORS = (sqlite3.Error, ArchiveError)


class NotStored(DropItem):
    """A record the archive could not take (the crawl is stopping): not the page's fault, so
    it is not recorded as a failed URL; the next run fetches it again. Logged at DEBUG: the
    storage error itself is logged once."""

    def __init__(self, message: str):
        super().__init__(message, log_level="DEBUG")


class CrawlArchive:
    """The archive as a crawl uses it: `read` (a read-only connection, for lookups),
    `send`/`call` (operations for the writer, archive/writer.py's OPERATIONS), `clock()`
    (the crawl's time, CRAWL_NOW or now)."""

    def __init__(self, crawler, writer: ArchiveWriter, read: Database, fixed_now: str | None):
        self.crawler = crawler
        self.writer = writer
        self.read = read
        self.fixed_now = fixed_now
        self.lock_timeout = writer_lock_timeout(crawler.settings)

    def clock(self) -> str:
        return self.fixed_now or datetime.now(timezone.utc).isoformat(timespec="seconds")

    def verdict(self, url: str, *, now, revisit, retry) -> str:
        """Fetch or skip this article URL (archive.incremental.decide), from what the archive
        holds of it."""
        return incremental.decide(incremental.url_state(self.read, url), now=now, revisit=revisit, retry=retry)

    def resumable_links(self) -> list[dict]:
        """The frontier's links, for the run's start (archive.incremental.frontier)."""
        return incremental.frontier(self.read)

    def send(self, name: str, *args) -> Future:
        """An operation for the writer, in order after those sent before; a storage error in
        it stops the crawl (from the crawl's thread)."""
        future = self.writer.call(name, *args)
        future.add_done_callback(self._check)
        return future

    async def call(self, name: str, *args) -> Any:
        """The same, awaited: its result, or ArchiveError."""
        return await asyncio.wrap_future(self.writer.call(name, *args))

    def call_now(self, name: str, *args, timeout: float | None = None) -> Any:
        """The same, waited for on the crawl's thread: only when the crawl opens and closes."""
        return self.writer.call(name, *args).result(timeout)

    def _check(self, future: Future) -> None:
        exc = future.exception()
        if exc is not None:
            from twisted.internet import reactor  # the crawl's, installed by now

            reactor.callFromThread(archive_failed, self.crawler, exc)

    def close(self) -> None:
        # The reader first: the writer then is the archive's last connection, and at close
        # it checkpoints and leaves WAL mode (archive/store.py).
        self.read.close()
        self.writer.close()


def writer_lock_timeout(settings) -> float:
    return settings.getfloat("ARCHIVE_LOCK_TIMEOUT", DEFAULT_LOCK_TIMEOUT)


def archive_for(crawler) -> CrawlArchive:
    """The crawl's archive (its writer started on first use; the archive created when no
    file is at ARCHIVE_PATH), closed, its last batch committed, when the spider closes. A
    worker of a run over many machines (REDIS_URL set) opens no archive: its operations go
    to the coordinator's stream (crawler/distributed/worker.py's StreamArchive)."""
    archive = getattr(crawler, "newsarchive_archive", None)
    if archive is None and crawler.settings.get("REDIS_URL"):
        from crawler.distributed.worker import StreamArchive

        archive = crawler.newsarchive_archive = StreamArchive.for_crawler(crawler)
    if archive is None:
        settings = crawler.settings
        fixed = checked_settings.crawl_now(settings)
        fixed_now = fixed.astimezone(timezone.utc).isoformat(timespec="seconds") if fixed else None
        path = settings.get("ARCHIVE_PATH")
        try:
            from archive.identity import MISSING, archive_kind, create_archive
            from archive.store import build_new_archive

            if archive_kind(path) == MISSING:  # a crawl started without the crawl command
                create_archive(path, build_new_archive)
            writer = ArchiveWriter.start(path, batch_size=settings.getint("ARCHIVE_BATCH_SIZE", 50),
                                         lock_timeout=writer_lock_timeout(settings), clock=fixed_now)
            read = Database(connect_readonly(path))
        except ArchiveError as exc:
            logger.error("%s", exc)
            raise
        archive = crawler.newsarchive_archive = CrawlArchive(crawler, writer, read, fixed_now)
        crawler.stats.set_value("archive/writer_pid", writer.pid)

        def close(spider):
            try:
                archive.close()
            except STORAGE_ERRORS as exc:
                logger.error("The archive's last batch could not be committed: %s", exc)
                if failure(crawler) is None:
                    crawler.newsarchive_failure = str(exc)
                    crawler.stats.set_value("archive/error", str(exc))
                    crawler.stats.set_value("finish_reason", ARCHIVE_ERROR)
            crawler.newsarchive_archive = None

        crawler.signals.connect(close, signal=signals.spider_closed, weak=False)
    return archive


def failure(crawler) -> str | None:
    """The storage error that is stopping this crawl, if one is."""
    return getattr(crawler, "newsarchive_failure", None)


def archive_failed(crawler, exc: BaseException) -> ArchiveError:
    """Stop the crawl for a storage error (once; later errors are only counted). Returns the
    error as the user should read it."""
    error = exc if isinstance(exc, ArchiveError) else ArchiveError(str(exc))
    crawler.stats.inc_value("archive/errors")
    if failure(crawler) is None:
        crawler.newsarchive_failure = str(error)
        crawler.stats.set_value("archive/error", str(error))
        logger.error("Stopping the crawl: %s", error)
        engine = crawler.engine
        if engine is not None and engine.spider is not None:
            deferred_from_coro(engine.close_spider_async(reason=ARCHIVE_ERROR))
    return error
