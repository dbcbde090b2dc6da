"""Item pipelines, in flow order: validate -> normalise -> dedupe -> store.

Each does one job over the Article record (through ItemAdapter) and counts what it did in
the crawl stats under its own prefix (`validate/`, `normalize/`, `dedupe/`, `store/`)."""

from __future__ import annotations

import logging
import re
import unicodedata

from itemadapter import ItemAdapter
from scrapy.exceptions import DropItem

from crawler.crawl_archive import STORAGE_ERRORS, NotStored, archive_failed, archive_for, failure
from crawler.normalize import absolute_url, collapse_whitespace, normalize_body, parse_date, site_of

logger = logging.getLogger(__name__)

# A page needs at least this much text to be an article rather than a stub or an index.
MIN_BODY_CHARS = 20


class CountingPipeline:
    """A pipeline that counts its work in the crawl's stats."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)


class ValidatePipeline(CountingPipeline):
    """Drops records that are not articles: no title, no body. Counted by reason."""

    def process_item(self, item):
        adapter = ItemAdapter(item)
        reason = None
        if not collapse_whitespace(adapter.get("title")):
            reason = "missing_title"
        elif len(collapse_whitespace(adapter.get("body"))) < MIN_BODY_CHARS:
            reason = "missing_body"
        if reason:
            self.stats.inc_value(f"validate/dropped/{reason}")
            raise DropItem(f"{reason}: {adapter.get('url')}")
        self.stats.inc_value("validate/passed")
        return item


_BCP47 = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")


def normalize_language(value: str | None) -> str | None:
    if not value:
        return None
    value = value.strip().replace("_", "-")
    primary, _, rest = value.partition("-")
    value = primary.lower() + ("-" + rest.upper() if len(rest) == 2 else ("-" + rest if rest else ""))
    return value if _BCP47.match(value) else None


class NormalizePipeline(CountingPipeline):
    """Whitespace, absolute URLs, ISO 8601 dates, BCP 47 language, the site's domain."""

    def process_item(self, item):
        adapter = ItemAdapter(item)
        before = dict(adapter.items())
        url = adapter["url"]
        # Stored text is NFC: a search typed with composed characters must find text the
        # page published decomposed (the extractor keeps the page's own form).
        adapter["title"] = unicodedata.normalize("NFC", collapse_whitespace(adapter.get("title")))
        adapter["body"] = unicodedata.normalize("NFC", normalize_body(adapter.get("body")))
        for name in ("source", "editor", "related_heading"):
            adapter[name] = collapse_whitespace(adapter.get(name)) or None
        adapter["authors"] = list(dict.fromkeys(a for a in map(collapse_whitespace, adapter.get("authors") or []) if a))
        for name in ("published", "updated"):
            value = adapter.get(name)
            # Already ISO from the extractor in the common case; re-parsing is a no-op then.
            adapter[name] = parse_date(value) if value else None
        canonical = absolute_url(url, adapter.get("canonical_url"))
        # A canonical link to another site names a different page, not this one's identity.
        adapter["canonical_url"] = canonical if canonical and site_of(canonical) == site_of(url) else None
        related = []
        for entry in adapter.get("related") or []:
            link = absolute_url(url, entry.get("url"))
            if link:
                related.append(
                    {
                        "title": collapse_whitespace(entry.get("title")) or None,
                        "url": link,
                        "published": parse_date(entry.get("published")) if entry.get("published") else None,
                    }
                )
        adapter["related"] = related
        adapter["language"] = normalize_language(adapter.get("language"))
        adapter["site"] = site_of(url)
        changed = sum(1 for key, value in adapter.items() if before.get(key) != value)
        self.stats.inc_value("normalize/items")
        if changed:
            self.stats.inc_value("normalize/fields_changed", changed)
        return item


class DedupePipeline(CountingPipeline):
    """Decides whether a record is a new article, one already archived (under this or
    another URL form), or the text of an archived article under a new URL."""

    def __init__(self, crawler):
        super().__init__(crawler)
        self.archive = archive_for(crawler)

    def process_item(self, item):
        adapter = ItemAdapter(item)
        if failure(self.crawler):
            self.stats.inc_value("dedupe/not_stored")
            raise NotStored(f"not stored, the archive failed: {adapter.get('url')}")
        try:
            decision = self.archive.classify(adapter.asdict())
        except STORAGE_ERRORS as exc:
            error = archive_failed(self.crawler, exc)
            raise NotStored(f"not stored: {error}") from None
        adapter["dedupe"] = decision
        self.stats.inc_value(f"dedupe/{decision.reason or decision.kind}")
        return item


class StorePipeline(CountingPipeline):
    """Writes the record to the archive as the dedupe decision says."""

    def __init__(self, crawler):
        super().__init__(crawler)
        self.archive = archive_for(crawler)

    def process_item(self, item):
        adapter = ItemAdapter(item)
        decision = adapter.get("dedupe")  # read before asdict(), which would flatten it
        record = adapter.asdict()
        record.pop("dedupe", None)
        if failure(self.crawler):
            self.stats.inc_value("store/not_stored")
            raise NotStored(f"not stored, the archive failed: {record['url']}")
        try:
            result = self.archive.store(record, decision)
        except STORAGE_ERRORS as exc:
            self.stats.inc_value("store/not_stored")
            error = archive_failed(self.crawler, exc)
            raise NotStored(f"not stored: {error}") from None
        self.stats.inc_value(f"store/{result.outcome}")
        if result.outcome == "duplicate":
            logger.info("Duplicate of article %s (%s): %s", result.article_id, result.reason, record["url"])
        return item
