"""What every article spider shares: turning an article response into an Article item
(crawler/page_work.py's extraction, in the crawl's extraction workers), and counting the
pages that cannot be one.

The request meta convention every spider follows (crawler/spiders/*.py):

- `meta={"article": True}` on every request for a page the spider will parse as an
  article. Incremental crawling (crawler/middlewares/incremental.py) checks these, and
  only these, against the archive before they are sent: an article already archived is
  not fetched again unless the revisit policy says it is due. Listing pages, section
  pages, sitemaps, feeds and robots.txt carry no mark and are always fetched.
- meta values must be JSON-able and callbacks must be methods of the spider, so a crawl
  with JOBDIR can write its queue to disk and resume it.
- `response.meta["warc"]` is set by the capture middleware: where the raw response was
  written. `article_item` copies it into the item, and the store into the article's row.
"""

from __future__ import annotations

import scrapy
from scrapy.http import Response

from crawler.items import Article
from crawler.page_work import article_page
from crawler.page_workers import page_workers
from crawler.parsing import Skip
from crawler.responses import captured_response
from crawler.signals import page_skipped


def split_arg(value) -> list[str]:
    """`-a start_urls=a,b` arrives as one string; accept lists too."""
    if not value:
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return list(value)


class ArticleSpider(scrapy.Spider):
    async def article_item(self, response: Response) -> Article | None:
        """The response's record as extracted, in an extraction worker (crawler/
        page_workers.py; the pipelines validate and normalise it), or None: the page cannot
        be an article, counted as `pages/skipped/<reason>`."""
        self.crawler.stats.inc_value("pages/article_candidates")
        record = await page_workers(self.crawler).run(article_page, captured_response(response))
        return self.item_from(response, record)

    def item_from(self, response: Response, record: dict | Skip) -> Article | None:
        """The item of an extraction's answer, or None for a Skip (counted, logged, and
        told to the crawl's other components: `signals.page_skipped`)."""
        stats = self.crawler.stats
        if isinstance(record, Skip):
            stats.inc_value(f"pages/skipped/{record.reason}")
            self.logger.warning("Skipped %s: %s", response.url, record.message)
            self.crawler.signals.send_catch_log(signal=page_skipped, response=response, skip=record)
            return None
        stats.inc_value("pages/extracted")
        return Article(**record)
