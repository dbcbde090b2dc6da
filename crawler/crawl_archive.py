"""The crawl's one open archive, shared by the components that use it (the dedupe and store
pipelines, the incremental and frontier middlewares, the crawl-run extension), and what
happens when it cannot be written.

A storage error (the disk full, the file turned read-only, another program holding SQLite's
lock past ARCHIVE_LOCK_TIMEOUT) is not a bad page: going on would fetch pages that cannot be
kept. The first one is logged in one line, counted (`archive/error`), and closes the spider
with the reason `archive_error`, which the crawl records in `crawls` where it still can and
which makes `scrapy crawl` exit non-zero. Whatever was not committed is fetched again by
the next run: nothing is marked archived or failed that was not stored.
"""

from __future__ import annotations

import logging
import sqlite3

from scrapy import signals
from scrapy.exceptions import DropItem
from scrapy.utils.defer import deferred_from_coro

from archive.lock import DEFAULT_LOCK_TIMEOUT
from archive.store import Archive, ArchiveError

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


def archive_for(crawler) -> Archive:
    """The crawl's open archive (opened on first use; created when no file is at
    ARCHIVE_PATH), closed, its last batch committed, when the spider closes."""
    archive = getattr(crawler, "newsarchive_archive", None)
    if archive is None:
        settings = crawler.settings
        try:
            archive = Archive(
                settings.get("ARCHIVE_PATH"),
                batch_size=settings.getint("ARCHIVE_BATCH_SIZE", 50),
                lock_timeout=settings.getfloat("ARCHIVE_LOCK_TIMEOUT", DEFAULT_LOCK_TIMEOUT),
                create=True,
            )
        except ArchiveError as exc:
            logger.error("%s", exc)
            raise
        crawler.newsarchive_archive = archive

        def close(spider):
            try:
                archive.close()
            except STORAGE_ERRORS as exc:
                logger.error("The archive's last batch could not be committed: %s", archive.error(exc))
            crawler.newsarchive_archive = None

        crawler.signals.connect(close, signal=signals.spider_closed, weak=False)
    return archive


def failure(crawler) -> str | None:
    """The storage error that is stopping this crawl, if one is."""
    return getattr(crawler, "newsarchive_failure", None)


def archive_failed(crawler, exc: BaseException) -> ArchiveError:
    """Stop the crawl for a storage error (once; later errors are only counted). Returns the
    error as the user should read it."""
    archive = getattr(crawler, "newsarchive_archive", None)
    error = archive.error(exc) if archive is not None else (exc if isinstance(exc, ArchiveError) else ArchiveError(str(exc)))
    crawler.stats.inc_value("archive/errors")
    if failure(crawler) is None:
        crawler.newsarchive_failure = str(error)
        crawler.stats.set_value("archive/error", str(error))
        logger.error("Stopping the crawl: %s", error)
        engine = crawler.engine
        if engine is not None and engine.spider is not None:
            deferred_from_coro(engine.close_spider_async(reason=ARCHIVE_ERROR))
    return error
