"""The crawl's extraction workers: the costly part of each page (crawler/page_work.py) runs
in EXTRACTION_PROCESSES worker processes (crawler/worker_pool.py) while the crawl's own
process goes on downloading; with 0, in the crawl's process, as a crawl ran before.

Spiders await the answer (`await page_workers(self.crawler).run(article_page, captured)`):
the reactor never waits on extraction. A worker that dies or runs past EXTRACTION_TIMEOUT
costs its page only: the answer is a Skip (`worker_died`, `timeout`), counted as
`extract/failed/<reason>` and, for an article page, recorded as a failed URL to retry; the
worker is replaced and the crawl goes on. The pool closes with the spider, after the pages
it holds.
"""

from __future__ import annotations

import asyncio
import collections
import logging

from scrapy import signals

from crawler.parsing import Skip
from crawler.worker_pool import DEFAULT_TIMEOUT, TaskError, TaskTimeout, WorkerDied, WorkerPool, usable_cores

logger = logging.getLogger(__name__)

# Imported once by the forkserver the workers are forked from: a new worker is ready at once.
PRELOAD = ("crawler.page_work",)
# The step of a Skip for a page whose worker died, ran out of time or raised.
WORKER_FAULT = "worker"


def extraction_processes(settings) -> int:
    """EXTRACTION_PROCESSES, or the cores this process may use when unset."""
    value = settings.get("EXTRACTION_PROCESSES")
    return usable_cores() if value in (None, "") else settings.getint("EXTRACTION_PROCESSES")


class PageWorkers:
    def __init__(self, crawler, pool: WorkerPool):
        self.crawler = crawler
        self.stats = crawler.stats
        self.pool = pool
        self._in_order: collections.deque = collections.deque()

    @classmethod
    def from_crawler(cls, crawler) -> "PageWorkers":
        settings = crawler.settings
        processes = extraction_processes(settings)
        timeout = settings.getfloat("EXTRACTION_TIMEOUT", DEFAULT_TIMEOUT)
        pool = WorkerPool(processes, timeout=timeout, preload=PRELOAD)
        if processes:
            logger.info("Extraction in %d worker processes (pids %s), %g s a page at most", processes,
                        ", ".join(map(str, pool.pids)), timeout)
        workers = cls(crawler, pool)
        crawler.signals.connect(workers.close, signal=signals.spider_closed)
        crawler.stats.set_value("extract/processes", processes)
        return workers

    async def run(self, function, *args):
        """`function(*args)` in a worker; a Skip when the worker died, timed out or the
        function raised (the page is lost, the crawl goes on).

        Answers are handed back in the order the pages were submitted (a page done early
        waits for the ones before it; the workers do not): the records then reach the
        archive in the order the crawl received the pages, as in a crawl without workers,
        so which of two URL forms of an article, or of two copies of one text, is archived
        first does not depend on which worker was quicker."""
        loop = asyncio.get_running_loop()
        answer = loop.create_future()
        future = self.pool.submit(function, *args)
        self._in_order.append((future, answer))
        future.add_done_callback(lambda _: loop.call_soon_threadsafe(self._release))
        return await answer

    def _release(self) -> None:
        while self._in_order and self._in_order[0][0].done():
            future, answer = self._in_order.popleft()
            if answer.cancelled():
                continue
            try:
                answer.set_result(future.result())
            except WorkerDied as exc:
                answer.set_result(self._failed("worker_died", str(exc)))
            except TaskTimeout as exc:
                answer.set_result(self._failed("timeout", str(exc)))
            except TaskError as exc:
                answer.set_result(self._failed("error", str(exc)))

    def _failed(self, reason: str, message: str) -> Skip:
        self.stats.inc_value(f"extract/failed/{reason}")
        return Skip(reason, f"extraction failed: {message}", WORKER_FAULT)

    def close(self, spider=None) -> None:
        self.pool.close(timeout=max(30.0, self.pool.timeout))
        for name in ("worker_died", "timeout", "recycled", "started"):
            value = getattr(self.pool.stats, name)
            if value and name in ("recycled", "started"):
                self.stats.set_value(f"extract/workers_{name}", value)


def page_workers(crawler) -> PageWorkers:
    """The crawl's workers, started on first use."""
    workers = getattr(crawler, "newsarchive_page_workers", None)
    if workers is None:
        workers = crawler.newsarchive_page_workers = PageWorkers.from_crawler(crawler)
    return workers
