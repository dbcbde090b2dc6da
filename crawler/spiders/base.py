"""What every article spider shares: turning an article response into an Article item, and
counting the pages that cannot be one.

The request meta convention every spider follows (crawler/spiders/*.py):

- `meta={"article": True}` on every request for a page the spider will parse as an
  article. Incremental crawling (crawler.middlewares.incremental.IncrementalMiddleware) checks these,
  and only these, against the archive before they are sent: an article already archived
  is not fetched again unless the revisit policy says it is due. Listing pages, section
  pages, sitemaps, feeds and robots.txt carry no mark and are always fetched.
- meta values must be JSON-able and callbacks must be methods of the spider, so a crawl
  with JOBDIR can write its queue to disk and resume it.
- `response.meta["warc"]` is set by the capture middleware: where the raw response was
  written. `article_item` copies it into the item, and the store into the article's row.
"""

from __future__ import annotations

from datetime import datetime, timezone

import scrapy
from scrapy.http import Response, TextResponse

from crawler.extraction import ExtractionError, extract_article
from crawler.extraction.page import sniff_binary
from crawler.items import Article

ARTICLE_FIELDS = {f for f in Article.__dataclass_fields__ if f not in ("dedupe", "fetched_at", "warc")}


def split_arg(value) -> list[str]:
    """`-a start_urls=a,b` arrives as one string; accept lists too."""
    if not value:
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return list(value)


def looks_truncated(body: bytes) -> bool:
    """An HTML page that stops before its end tags: cut in transfer or in storage."""
    tail = body[-4096:].lower()
    return b"</html" not in tail and b"</body" not in tail


def response_problem(body: bytes, *, is_text: bool, flags=(), content_type: str = "") -> tuple[str, str] | None:
    """(reason, message) when a fetched article page cannot be parsed as one; None if it can."""
    if "dataloss" in flags:
        return "truncated", "body shorter than its Content-Length"
    binary = sniff_binary(body)
    if binary or not is_text:
        return "not_html", f"response is {binary or content_type or 'not text'}, not HTML"
    if looks_truncated(body):
        return "truncated", "page ends before its closing tags"
    return None


class ArticleSpider(scrapy.Spider):
    def article_item(self, response: Response) -> Article | None:
        stats = self.crawler.stats
        stats.inc_value("pages/article_candidates")
        problem = response_problem(
            response.body,
            is_text=isinstance(response, TextResponse),
            flags=response.flags,
            content_type=response.headers.get("Content-Type", b"").decode("latin-1"),
        )
        if problem:
            return self._skip(response, *problem)
        headers = {k.decode("latin-1"): v[0].decode("latin-1") for k, v in response.headers.items() if v}
        try:
            record = extract_article(response.url, response.body, headers)
        except ExtractionError as exc:
            return self._skip(response, exc.reason, str(exc))
        stats.inc_value("pages/extracted")
        fields = {k: v for k, v in record.items() if k in ARTICLE_FIELDS}
        return Article(
            **fields,
            fetched_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
            warc=response.meta.get("warc") if response.request is not None else None,
        )

    def _skip(self, response: Response, reason: str, message: str) -> None:
        self.crawler.stats.inc_value(f"pages/skipped/{reason}")
        self.logger.warning("Skipped %s: %s", response.url, message)
        return None
