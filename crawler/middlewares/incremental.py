"""Incremental crawling: article requests for pages the archive holds are not sent."""

from __future__ import annotations

import logging
from collections import Counter

from scrapy import Request, signals
from scrapy.exceptions import DownloadCancelledError, IgnoreRequest, NotConfigured

from archive import incremental
from crawler import checked_settings
from crawler import signals as project_signals
from crawler.crawl_archive import STORAGE_ERRORS, NotStored, archive_failed, archive_for, failure
from crawler.page_workers import WORKER_FAULT
from crawler.pipelines import Dropped

logger = logging.getLogger(__name__)


class ArchiveSkip(IgnoreRequest):
    """An article request not sent because of what the archive holds."""


class IncrementalMiddleware:
    """Drops article requests (`meta["article"]`, see crawler/spiders/base.py) for pages the
    archive already holds, before they are sent, unless the revisit policy
    (INCREMENTAL_REVISIT) says they are due; retries article pages that gave no article
    (INCREMENTAL_RETRY_FAILED) with a doubling delay. Other requests pass untouched.

    Stats: `incremental/new`, `incremental/revisit`, `incremental/retry` (sent) and
    `incremental/skipped/archived|duplicate|failed` (not sent); `incremental/failed/<reason>`
    for article pages recorded as failed when the crawl closes."""

    def __init__(self, crawler, archive, revisit, retry):
        self.crawler = crawler
        self.settings = crawler.settings
        self.stats = crawler.stats
        self.archive = archive
        self.revisit = revisit
        self.retry = retry
        # Article requests answered but not (yet) archived, by URL: what to record as failed
        # at the end. Entries leave when their item is stored, so this stays small.
        self.pending: dict[str, str] = {}
        self.recovered: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        if not settings.getbool("INCREMENTAL_ENABLED"):
            raise NotConfigured("INCREMENTAL_ENABLED is off")
        mw = cls(crawler, None, checked_settings.revisit_policy(settings), checked_settings.retry_policy(settings))
        # Connected before the archive is opened: the archive closes on spider_closed, after
        # the handlers connected before it, and the failures are written to it.
        crawler.signals.connect(mw.record_failures, signal=project_signals.run_closing)
        crawler.signals.connect(mw.record_failures, signal=signals.spider_closed)
        mw.archive = archive_for(crawler)
        crawler.signals.connect(mw.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(mw.page_skipped, signal=project_signals.page_skipped)
        crawler.signals.connect(mw.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(mw.item_error, signal=signals.item_error)
        logger.info("Incremental crawl: %s; failed article pages retried after %s, doubling",
                    mw.revisit.describe(), mw.retry.after)
        return mw

    def process_request(self, request: Request):
        if not request.meta.get("article") or request.meta.get("incremental_checked") == request.url:
            return None  # not an article, or a retry of a request already let through
        request.meta["incremental_checked"] = request.url
        if failure(self.crawler):
            raise IgnoreRequest(f"the archive failed: {request.url}")
        try:
            verdict = self.archive.verdict(request.url, now=checked_settings.now(self.settings),
                                           revisit=self.revisit, retry=self.retry)
        except STORAGE_ERRORS as exc:
            archive_failed(self.crawler, exc)
            raise IgnoreRequest(f"the archive failed: {request.url}") from None
        if verdict in (incremental.NEW, incremental.REVISIT, incremental.RETRY):
            self.stats.inc_value(f"incremental/{verdict}")
            if verdict == incremental.RETRY:
                self.recovered.add(request.url)
            return None
        self.stats.inc_value(f"incremental/skipped/{verdict}")
        if verdict in (incremental.ARCHIVED, incremental.DUPLICATE):
            self._write("forget_link", request.url)  # a failed link stays, for its retry
        logger.debug("Not fetching %s: %s", request.url, verdict)
        raise ArchiveSkip(f"{verdict}: {request.url}")

    def process_response(self, request: Request, response):
        if request.meta.get("article"):
            self.pending[request.url] = f"http_{response.status}" if response.status >= 400 else "no_article"
        return response

    def process_exception(self, request: Request, exception):
        if not request.meta.get("article"):
            return None
        if isinstance(exception, IgnoreRequest) and not isinstance(exception, ArchiveSkip):
            # Refused by robots.txt or the offsite filter: it never will be fetched.
            self._write("forget_link", request.url)
        elif isinstance(exception, DownloadCancelledError) and "max size" in str(exception):
            # Over DOWNLOAD_MAXSIZE: it would be cut again on every run; retried as failures are.
            self.pending[request.url] = "too_big"
        return None

    def _url(self, response) -> str | None:
        request = getattr(response, "request", None)
        return request.url if request is not None else None

    def _write(self, operation: str, *args):
        """Send an incremental-state change to the archive's writer (archive/incremental.py);
        a storage error stops the crawl (crawler/crawl_archive.py) and the change is left
        for the next run. None once the archive has failed."""
        if failure(self.crawler):
            return None
        return self.archive.send(operation, *args)

    def item_scraped(self, item, response):
        url = self._url(response)
        if url is None:
            return
        self.pending.pop(url, None)
        at = self.archive.clock()
        self._write("forget_link", url)
        if url in self.recovered:
            self._write("clear_failure", url)
        redirects = response.meta.get("redirect_urls") or []
        if redirects:
            # The URLs that redirected here are this article too: skip them next time.
            added = self._write("add_url_aliases", response.url, redirects, at)
            if added is not None:
                added.add_done_callback(self._count_aliases)
            for alias in redirects:
                self._write("forget_link", alias)

    def _count_aliases(self, future) -> None:
        if future.exception() is None:
            self.stats.inc_value("incremental/aliases", future.result())

    def page_skipped(self, response, skip):
        """An extraction worker that died or ran out of time on an article page: its reason
        is the page's failure (`worker_died`, `timeout`), retried as failures are."""
        url = self._url(response)
        if url is not None and url in self.pending and skip.step == WORKER_FAULT:
            self.pending[url] = skip.reason

    def item_dropped(self, item, response, exception):
        url = self._url(response)
        if isinstance(exception, NotStored):
            # Our failure to store it, not the page's: fetch it again next run.
            if url is not None:
                self.pending.pop(url, None)
        elif url is not None:
            # Why, as the pipeline that dropped it says (crawler.pipelines.Dropped).
            self.pending[url] = exception.reason if isinstance(exception, Dropped) else "dropped"

    def item_error(self, item, response, failure):
        # Our own failure to store it, not the page's: fetch it again next run.
        url = self._url(response)
        if url is not None:
            self.pending.pop(url, None)

    def record_failures(self):
        """Record the article pages answered without giving an article, once, when the
        crawl closes (on `run_closing`, so the run's counts include them)."""
        if not self.pending:
            return
        if failure(self.crawler):
            logger.warning("Not recording %d failed article pages: the archive failed", len(self.pending))
            self.pending.clear()
            return
        if getattr(self.crawler, "newsarchive_archive", None) is not self.archive:
            logger.error("Archive closed before %d failed article pages were recorded", len(self.pending))
            return
        at = self.archive.clock()
        counts = Counter(self.pending.values())
        for url, why in self.pending.items():
            if self._write("record_failure", url, why, at) is None:
                break
        for why, n in counts.items():
            self.stats.inc_value(f"incremental/failed/{why}", n)
        self.pending.clear()
