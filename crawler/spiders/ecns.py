"""ECNS (ecns.cn): section listings -> their pages -> articles -> related articles."""

from __future__ import annotations

import scrapy

from crawler.extraction import ExtractionError, Page
from crawler.extraction.profiles import ecns
from crawler.spiders.base import ArticleSpider, split_arg

DEFAULT_START_URLS = (
    "https://www.ecns.cn/news/economy/",
    "https://www.ecns.cn/news/society/",
    "http://www.ecns.cn/business/",
)


class EcnsSpider(ArticleSpider):
    name = "ecns"
    allowed_domains = ["ecns.cn"]

    def __init__(self, *args, start_urls=None, follow_sections="1", **kwargs):
        super().__init__(*args, **kwargs)
        self.start_urls = split_arg(start_urls) or list(DEFAULT_START_URLS)
        # `-a follow_sections=0` keeps the crawl to the given sections.
        self.follow_sections = str(follow_sections).lower() not in ("0", "false", "no")

    async def start(self):
        for url in self.start_urls:
            if ecns.is_article_url(url):
                yield scrapy.Request(url, callback=self.parse_article, meta={"article": True})
            else:
                yield scrapy.Request(url, callback=self.parse_listing)

    def parse_listing(self, response):
        stats = self.crawler.stats
        try:
            page = Page.from_bytes(response.url, response.body, {"content-type": response.headers.get("Content-Type", b"").decode("latin-1")})
        except ExtractionError as exc:
            stats.inc_value(f"listing/skipped/{exc.reason}")
            self.logger.warning("Skipped listing %s: %s", response.url, exc)
            return
        article_urls, next_page = ecns.extract_listing(page)
        stats.inc_value("listing/pages")
        if not article_urls:
            stats.inc_value("listing/no_article_links")
            self.logger.warning("Listing page with no article links: %s", response.url)
        for url in article_urls:
            yield scrapy.Request(url, callback=self.parse_article, meta={"article": True})
        if next_page:
            yield scrapy.Request(next_page, callback=self.parse_listing)
        if self.follow_sections:
            for url in ecns.section_links(page):
                yield scrapy.Request(url, callback=self.parse_listing)

    async def parse_article(self, response):
        item = await self.article_item(response)
        if item is None:
            return
        yield item
        for entry in item.related:
            if entry.get("url") and ecns.is_article_url(entry["url"]):
                yield scrapy.Request(entry["url"], callback=self.parse_article, meta={"article": True})
