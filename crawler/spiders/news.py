"""Any news site: from start pages, sitemaps and/or feeds, through the site's own links, to
its articles.

    scrapy crawl news -a start_urls=https://www.example.com/[,URL...]
    scrapy crawl news -a sitemap=https://www.example.com/robots.txt     (or a sitemap / index)
    scrapy crawl news -a feed=https://www.example.com/rss.xml
      [-a max_pages=N] [-a since=YYYY-MM-DD] [-a follow=0] [-a max_pagination=N]

The crawl stays on the registered domains of the URLs it was given (subdomains included).
Each fetched page is classified (crawler.extraction.discovery.pagetype): articles are
extracted and stored through the same pipelines as every spider; articles and listings are
followed.
Every decision is counted in the crawl stats under `news/`.
"""

from __future__ import annotations

from collections import deque
from datetime import timedelta

import scrapy
from scrapy import signals
from scrapy.exceptions import CloseSpider, DontCloseSpider, IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from w3lib.url import canonicalize_url

from crawler.extraction import discovery
from crawler.extraction.discovery import pagetype
from crawler.normalize import parse_date, site_of
from crawler.page_work import NewsPage, news_page
from crawler.page_workers import page_workers
from crawler.parsing import Skip
from crawler.responses import captured_response
from crawler.spiders.base import ArticleSpider, split_arg

# The last page of a paginated list that is fetched (by its number in the URL, and by the
# length of the chain of next-page links that led to it), and how deep sitemap indexes may
# nest: both stop infinite pagination and sitemap loops.
DEFAULT_MAX_PAGINATION = 20
MAX_SITEMAP_DEPTH = 3
# Requests held back by max_pages, at most this many times max_pages.
HELD_FACTOR = 10


def _flag(value) -> bool:
    return str(value).strip().lower() not in ("0", "false", "no", "off", "")


def _positive_int(name: str, value) -> int | None:
    if value is None or str(value).strip() == "":
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ValueError(f"{name} must be a whole number, not {value!r}") from None
    if number < 1:
        raise ValueError(f"{name} must be at least 1, not {number}")
    return number


def _looks_xml(response: Response) -> bool:
    content_type = response.headers.get("Content-Type", b"").lower()
    head = response.body[:100].lstrip()
    return b"xml" in content_type or head.startswith(b"<?xml") or head[:2] == b"\x1f\x8b"


def _web_urls(name: str, value) -> list[str]:
    urls = split_arg(value)
    for url in urls:
        if not url.lower().startswith(("http://", "https://")):
            raise ValueError(f"{name}: not an http(s) URL: {url!r}")
    return urls


class NewsSpider(ArticleSpider):
    name = "news"

    def __init__(self, *args, start_urls=None, sitemap=None, feed=None, max_pages=None, since=None,
                 follow="1", max_pagination=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.start_urls = _web_urls("start_urls", start_urls)
        self.sitemap_urls = _web_urls("sitemap", sitemap)
        self.feed_urls = _web_urls("feed", feed)
        if not (self.start_urls or self.sitemap_urls or self.feed_urls):
            raise ValueError("news: give -a start_urls=URL[,URL...], -a sitemap=URL or -a feed=URL")
        entry_urls = self.start_urls + self.sitemap_urls + self.feed_urls
        # Read by Scrapy's offsite middleware: these domains and their subdomains.
        self.allowed_domains = sorted({site_of(url) for url in entry_urls})
        self.max_pages = _positive_int("max_pages", max_pages)
        self.since = discovery.parse_since(since)
        self.follow = _flag(follow)
        self.max_pagination = _positive_int("max_pagination", max_pagination) or DEFAULT_MAX_PAGINATION
        # max_pages bookkeeping: pages answered, page requests on their way, and requests
        # held back while the budget is taken by requests still on their way.
        self._fetched = 0
        self._outstanding = 0
        self._held: deque[scrapy.Request] = deque()
        # Article URLs a sitemap or feed dated before `since`: never fetched via links either.
        self._too_old: set[str] = set()
        # Pages already requested (canonical form), so that each is asked for and counted once.
        self._requested: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider._request_dropped, signal=signals.request_dropped)
        crawler.signals.connect(spider._idle, signal=signals.spider_idle)
        return spider

    def _inc(self, key: str, count: int = 1) -> None:
        self.crawler.stats.inc_value(f"news/{key}", count)

    # -- entry points ------------------------------------------------------------------

    async def start(self):
        self._inc("entry/start_urls", len(self.start_urls))
        self._inc("entry/sitemaps", len(self.sitemap_urls))
        self._inc("entry/feeds", len(self.feed_urls))
        for url in self.sitemap_urls:
            if url.lower().rstrip("/").endswith("/robots.txt"):
                yield self._doc_request(url, self.parse_robots)
            else:
                yield self._doc_request(url, self.parse_sitemap)
        for url in self.feed_urls:
            yield self._doc_request(url, self.parse_feed)
        for url in self.start_urls:
            request = self._page_request(url, origin="start", article=pagetype.url_kind(url) == "article")
            if request is not None:
                yield request

    def _doc_request(self, url: str, callback, depth: int = 0) -> scrapy.Request:
        """A sitemap, feed or robots.txt: not a page, not counted against max_pages."""
        return scrapy.Request(url, callback=callback, errback=self.doc_failed, meta={"news_sitemap_depth": depth})

    def _page_request(self, url: str, *, origin: str, article: bool, page_depth: int = 1) -> scrapy.Request | None:
        """A page request, or None when it was already requested or max_pages holds it
        back (to be sent when the budget allows). Article requests carry
        `meta["article"] = True`, which the incremental-crawl middleware reads; list pages,
        sitemaps and feeds never do."""
        key = canonicalize_url(url)
        if key in self._requested:
            return None
        self._requested.add(key)
        meta = {"news_origin": origin, "news_page_depth": page_depth, "news_page": True}
        if article:
            meta["article"] = True
        request = scrapy.Request(
            url, callback=self.parse_page, errback=self.page_failed, meta=meta, priority=1 if article else 0
        )
        if self.max_pages is not None and self._fetched + self._outstanding >= self.max_pages:
            if len(self._held) < HELD_FACTOR * self.max_pages:
                self._held.append(request)
            else:
                self._inc("max_pages/not_scheduled")
            return None
        self._outstanding += 1
        self._inc("requests/article" if article else "requests/page")
        return request

    # -- max_pages --------------------------------------------------------------------------

    def _answered(self, request: scrapy.Request, *, fetched: bool) -> None:
        if not request.meta.get("news_page"):
            return
        self._outstanding = max(0, self._outstanding - 1)
        if fetched:
            self._fetched += 1
            self._inc("pages/fetched")

    def _request_dropped(self, request, spider=None):
        # The scheduler refused it (already seen): it takes no budget.
        self._answered(request, fetched=False)

    def _idle(self, spider=None):
        # Nothing is on its way any more: whatever was not answered was filtered somewhere.
        self._outstanding = 0
        if self.max_pages is None:
            return
        if self._fetched >= self.max_pages:
            if self._held:
                self._inc("max_pages/not_fetched", len(self._held))
                self._held.clear()
            self.logger.info("Stopping after %d pages (max_pages)", self._fetched)
            raise CloseSpider("max_pages")
        if self._held:
            released = 0
            while self._held and self._fetched + self._outstanding < self.max_pages:
                request = self._held.popleft()
                self._outstanding += 1
                self._inc("requests/article" if request.meta.get("article") else "requests/page")
                self.crawler.engine.crawl(request)
                released += 1
            if released:
                raise DontCloseSpider

    # -- sitemaps, feeds, robots.txt ------------------------------------------------------------

    def parse_robots(self, response: Response):
        urls = discovery.robots_sitemaps(response.body)
        self._inc("robots/sitemaps", len(urls))
        if not urls:
            self.logger.warning("No Sitemap: line in %s", response.url)
        for url in urls:
            if self._in_site(url):
                yield self._doc_request(url, self.parse_sitemap)

    def parse_sitemap(self, response: Response):
        self._inc("sitemaps/fetched")
        try:
            doc = discovery.parse_sitemap(response.body, response.url)
        except discovery.DiscoveryError as exc:
            self._inc(f"sitemaps/invalid/{exc.reason}")
            self.logger.warning("Not a usable sitemap: %s (%s)", response.url, exc)
            return
        depth = response.meta.get("news_sitemap_depth", 0)
        for child in doc.sitemaps:
            self._inc("sitemaps/children")
            if depth >= MAX_SITEMAP_DEPTH:
                self._inc("sitemaps/too_deep")
            elif self._in_site(child.url):
                yield self._doc_request(child.url, self.parse_sitemap, depth + 1)
        news = any(entry.published for entry in doc.urls)
        for entry in doc.urls:
            self._inc("sitemaps/urls")
            request = self._entry_request(entry, "news_sitemap" if news else "sitemap")
            if request is not None:
                yield request

    def parse_feed(self, response: Response):
        self._inc("feeds/fetched")
        try:
            doc = discovery.parse_feed(response.body, response.url)
        except discovery.DiscoveryError as exc:
            self._inc(f"feeds/invalid/{exc.reason}")
            self.logger.warning("Not a usable feed: %s (%s)", response.url, exc)
            return
        for entry in doc.entries:
            self._inc("feeds/entries")
            request = self._entry_request(entry, "feed")
            if request is not None:
                yield request

    def _entry_request(self, entry: discovery.Entry, origin: str) -> scrapy.Request | None:
        if not self._in_site(entry.url):
            return None
        reason = pagetype.skip_reason(entry.url)
        if reason:
            self._inc(f"links/skipped/{reason}")
            return None
        kind = pagetype.url_kind(entry.url)
        if self.since and kind != "listing":
            # Dates in sitemaps and feeds are often UTC while pages print local time: only
            # skip what is more than a day older than `since`.
            before = discovery.is_before(entry.date, self.since, slack=timedelta(days=1))
            if before:
                self._too_old.add(entry.url)
                self._inc("since/skipped_before_fetch")
                return None
        # Sitemaps list home and section pages too; feeds and news sitemaps list articles.
        article = kind != "listing" and (origin != "sitemap" or kind == "article" or entry.date is not None)
        return self._page_request(entry.url, origin=origin, article=article)

    def doc_failed(self, failure):
        request = failure.request
        if failure.check(HttpError):
            status = failure.value.response.status
            self._inc(f"discovery/http_error/{status}")
            self.logger.warning("Could not fetch %s: HTTP %s", request.url, status)
        else:
            self._inc(f"discovery/failed/{failure.type.__name__}")
            self.logger.warning("Could not fetch %s: %s", request.url, failure.getErrorMessage())

    # -- pages -------------------------------------------------------------------------------

    def page_failed(self, failure):
        request = failure.request
        if failure.check(HttpError):
            self._answered(request, fetched=True)
            self._inc(f"pages/http_error/{failure.value.response.status}")
        elif failure.check(IgnoreRequest):
            # robots.txt, the offsite filter or the incremental middleware (an article already
            # archived) said no; each counts its own reason.
            self._answered(request, fetched=False)
            self._inc("pages/ignored")
        else:
            self._answered(request, fetched=False)
            self._inc(f"pages/failed/{failure.type.__name__}")

    async def parse_page(self, response: Response):
        self._answered(response.request, fetched=True)
        xml = discovery.xml_kind(response.body) if _looks_xml(response) else None
        if xml in ("rss", "rdf", "atom"):
            for obj in self.parse_feed(response):  # a feed given as a start URL
                yield obj
            return
        if xml in ("sitemapindex", "urlset"):
            for obj in self.parse_sitemap(response):
                yield obj
            return
        if not isinstance(response, TextResponse):
            self._inc("pages/not_html")
            self.logger.warning("Not an HTML page: %s", response.url)
            return
        # Classified, its links found and, for an article, extracted, in an extraction worker.
        listed = response.meta.get("news_origin") in ("feed", "news_sitemap")  # listed as an article
        found = await page_workers(self.crawler).run(news_page, captured_response(response), listed)
        if isinstance(found, Skip):  # the worker died or ran out of time on this page
            self._inc(f"pages/unreadable/{found.reason}")
            self.item_from(response, found)
            return
        if found.kind == "unreadable":
            self._inc(f"pages/unreadable/{found.problem.reason}")
            self.logger.warning("Unreadable page %s: %s", response.url, found.problem.message)
            return
        self._inc(f"pages/{found.kind}")
        if found.kind == "article":
            self.crawler.stats.inc_value("pages/article_candidates")
            item = self.item_from(response, found.record)
            if item is not None and self._recent_enough(item):
                self._inc("articles")
                yield item
        if found.kind == "other" or (found.kind == "article" and not self.follow):
            return
        for request in self._follow(response, found):
            yield request

    def _recent_enough(self, item) -> bool:
        if not self.since:
            return True
        published = parse_date(item.published) if item.published else None
        before = discovery.is_before(published, self.since)
        if before is None:
            self._inc("since/undated")  # kept: nothing says it is old
            return True
        if before:
            self._inc("since/skipped_after_extraction")
            self.logger.info("Published %s, before %s: not stored: %s", published, self.since, item.url)
            return False
        return True

    def _in_site(self, url: str) -> bool:
        return discovery.same_site(url, self.allowed_domains)

    def _follow(self, response: Response, found: NewsPage):
        """The page's links worth fetching: on the site, not obvious non-pages, pagination
        no deeper than max_pagination. With follow=0 only a listing's articles and next page."""
        next_url = found.next_url
        # The place of this page in a chain of list pages (a section's first page is 1).
        depth = response.meta.get("news_page_depth", 1)
        kinds = dict(found.links)
        # Articles first, then the next page, then the rest: under max_pages the budget goes
        # to articles rather than to the navigation bar at the top of the page.
        order = sorted(kinds, key=lambda u: 0 if kinds[u] == "article" else 1 if u == next_url else 2)
        for url in order:
            url_kind = kinds[url]
            if not self._in_site(url):
                self._inc("links/offsite")
                continue
            reason = pagetype.skip_reason(url)
            if reason:
                self._inc(f"links/skipped/{reason}")
                continue
            if url_kind == "other":
                self._inc("links/skipped/site_page")
                continue
            if url in self._too_old:
                self._inc("since/known_old")
                continue
            number = discovery.pagination_number(url)
            paginates = url == next_url or (number is not None and number > 1)
            if not self.follow and not (url_kind == "article" or paginates):
                continue
            page_depth = 1
            if paginates:
                page_depth = depth + 1
                if page_depth > self.max_pagination or (number or 0) > self.max_pagination:
                    self._inc("links/skipped/pagination_cap")
                    continue
            request = self._page_request(url, origin="link", article=url_kind == "article", page_depth=page_depth)
            if request is not None:
                yield request
