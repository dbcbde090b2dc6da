"""What every article spider shares: turning an article response into an Article item
(crawler/parsing.py's extraction step), and counting the pages that cannot be one.

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
from crawler.parsing import Skip, extract_response
from crawler.responses import captured_response


def split_arg(value) -> list[str]:
    """`-a start_urls=a,b` arrives as one string; accept lists too."""
    if not value:
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return list(value)


class ArticleSpider(scrapy.Spider):
    def article_item(self, response: Response) -> Article | None:
        """The response's record as extracted (the pipelines validate and normalise it),
        or None: the page cannot be an article, counted as `pages/skipped/<reason>`."""
        stats = self.crawler.stats
        stats.inc_value("pages/article_candidates")
        record = extract_response(captured_response(response))
        if isinstance(record, Skip):
            stats.inc_value(f"pages/skipped/{record.reason}")
            self.logger.warning("Skipped %s: %s", response.url, record.message)
            return None
        stats.inc_value("pages/extracted")
        return Article(**record)
