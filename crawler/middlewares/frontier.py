"""The frontier: article links found on article pages, kept in the archive until archived."""

from __future__ import annotations

from scrapy import Request
from scrapy.exceptions import NotConfigured

from archive import incremental
from crawler.crawl_archive import STORAGE_ERRORS, archive_failed, archive_for, failure


def request_state(request: Request) -> dict:
    """What the frontier keeps of an article request: JSON, the callback by name (requests
    of this convention carry JSON-able meta and spider-method callbacks)."""
    return {
        "url": request.url,
        "callback": getattr(request.callback, "__name__", None),
        "errback": getattr(request.errback, "__name__", None),
        "meta": {k: v for k, v in request.meta.items() if k in ("article",) or not k.startswith(("download_", "depth"))},
        "priority": request.priority,
        "cb_kwargs": request.cb_kwargs,
    }


def request_from_state(state: dict, spider) -> Request | None:
    callback = getattr(spider, state["callback"], None) if state.get("callback") else None
    errback = getattr(spider, state["errback"], None) if state.get("errback") else None
    if state.get("callback") and callback is None:
        return None  # the spider no longer has that method
    return Request(state["url"], callback=callback, errback=errback, meta=dict(state.get("meta") or {}),
                   priority=state.get("priority", 0), cb_kwargs=dict(state.get("cb_kwargs") or {}))


class FrontierMiddleware:
    """Spider middleware that keeps, in the archive, the article links found on article
    pages (related lists) until they are archived, and hands them to the crawl again at its
    next start. Without it a crawl killed after storing an article but before fetching its
    links would lose them: the article is archived, so it is not fetched (nor its links
    found) again. The links of a page are written before its record (the record is held
    back until the callback ends), so a committed article never has unrecorded links.

    Stats: `frontier/remembered`, `frontier/resumed`. On with INCREMENTAL_ENABLED."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.stats = crawler.stats
        self.archive = None

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("INCREMENTAL_ENABLED"):
            raise NotConfigured("INCREMENTAL_ENABLED is off")
        mw = cls(crawler)
        mw.archive = archive_for(crawler)
        return mw

    async def process_start(self, start):
        async for obj in start:
            yield obj
        spider = self.crawler.spider
        for entry in incremental.frontier(self.archive.db):
            request = request_from_state(entry["request"], spider)
            if request is not None:
                self.stats.inc_value("frontier/resumed")
                yield request

    async def process_spider_output(self, response, result):
        request = getattr(response, "request", None)
        if request is None or not request.meta.get("article"):
            async for obj in result:
                yield obj
            return
        held = []
        async for obj in result:
            if isinstance(obj, Request):
                if obj.meta.get("article") and not failure(self.crawler):
                    try:
                        incremental.remember_link(self.archive.db, obj.url, request_state(obj), response.url,
                                                  self.archive.clock())
                    except STORAGE_ERRORS as exc:
                        archive_failed(self.crawler, exc)
                    else:
                        self.stats.inc_value("frontier/remembered")
                yield obj
            else:
                held.append(obj)
        for obj in held:
            yield obj
