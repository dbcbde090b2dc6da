"""The frontier: article links found on article pages, kept in the archive until archived."""

from __future__ import annotations

import logging

from scrapy import Request
from scrapy.exceptions import NotConfigured
from scrapy.utils.request import request_from_dict

from crawler.crawl_archive import archive_for, failure

logger = logging.getLogger(__name__)


# Meta that Scrapy's components set on the way (download slot and latency, depth): a
# request of the next run gets its own.
NOT_KEPT_META = ("download_", "depth")


def request_to_json(request: Request, spider) -> dict:
    """What the frontier keeps of an article request: Scrapy's `Request.to_dict` (callbacks
    by name: requests of this convention carry JSON-able meta and spider-method callbacks),
    its bytes as latin-1 text so that it is JSON."""
    state = request.to_dict(spider=spider)
    state["meta"] = {k: v for k, v in state["meta"].items() if k == "article" or not k.startswith(NOT_KEPT_META)}
    state["body"] = state["body"].decode("latin-1")
    state["headers"] = {
        name.decode("latin-1"): [value.decode("latin-1") for value in values] for name, values in state["headers"].items()
    }
    return state


def request_from_json(state: dict, spider) -> Request | None:
    """The request again, by Scrapy's `request_from_dict`; None when the spider no longer has
    its callback. Rows written before this format ({url, callback, errback, meta, priority,
    cb_kwargs}) hold a subset of its keys and are read the same way."""
    state = dict(state)
    if isinstance(state.get("body"), str):
        state["body"] = state["body"].encode("latin-1")
    if state.get("headers"):
        state["headers"] = {
            name.encode("latin-1"): [value.encode("latin-1") for value in values] for name, values in state["headers"].items()
        }
    try:
        return request_from_dict(state, spider=spider)
    except ValueError:  # "Method 'parse_x' not found in: <spider>"
        return None


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
        for entry in self.archive.resumable_links():
            request = request_from_json(entry["request"], spider)
            if request is not None:
                self.stats.inc_value("frontier/resumed")
                yield request

    async def process_spider_output(self, response, result):
        request = getattr(response, "request", None)
        if request is None or not request.meta.get("article"):
            async for obj in result:
                yield obj
            return
        # The page's links are kept first (sent to the writer before its record), then its
        # record goes on, then its links: with CONCURRENT_ITEMS = 1 the record is stored before
        # the links are scheduled, as the page printed them, and a committed article never has
        # links that were not kept.
        items, requests = [], []
        async for obj in result:
            if isinstance(obj, Request):
                requests.append(obj)
            else:
                items.append(obj)
        if not failure(self.crawler):
            self.remember([r for r in requests if r.meta.get("article")], response.url)
        for obj in items + requests:
            yield obj

    def remember(self, requests: list[Request], found_on: str) -> None:
        links = []
        at = self.archive.clock()
        for request in requests:
            try:
                links.append((request.url, request_to_json(request, self.crawler.spider), found_on, at))
            except ValueError as exc:  # a callback that is not a method of the spider: it could not be resumed
                logger.warning("Not kept in the frontier: %s (%s)", request.url, exc)
        if not links:
            return
        # Sent to the writer before the page's record (held back until here), so a committed
        # article never has links that were not kept; the page's links in one message (one
        # each cost the crawl's process about 0.1 ms a link).
        self.archive.send("remember_links", links)
        self.stats.inc_value("frontier/remembered", len(links))
