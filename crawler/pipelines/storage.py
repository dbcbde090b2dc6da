"""Dedupe and storage: the record handed to the archive's writer (crawler/crawl_archive.py,
archive/writer.py), which decides, in order with every other write, whether it is a new
article, one already archived (under this or another URL form: unchanged or revised), or a
copy of an archived article's text, and stores it so. The two are one step because the
decision must see every record stored before it."""

from __future__ import annotations

import logging

from itemadapter import ItemAdapter

from crawler.crawl_archive import STORAGE_ERRORS, NotStored, archive_failed, archive_for, failure
from crawler.pipelines import CountingPipeline

logger = logging.getLogger(__name__)


class StorePipeline(CountingPipeline):
    """Sends the record to the writer and waits for what became of it: counted as
    `dedupe/<decision>` (new, same_article, same_text, near_duplicate) and `store/<outcome>`
    (new, unchanged, revised, duplicate). While it waits the crawl goes on; when the writer
    falls behind, items wait here and Scrapy holds back new responses."""

    def __init__(self, crawler):
        super().__init__(crawler)
        self.archive = archive_for(crawler)

    async def process_item(self, item):
        adapter = ItemAdapter(item)
        keys = adapter.get("dedupe")  # the body's dedupe keys, computed with the extraction
        record = {name: value for name, value in adapter.items() if name != "dedupe"}
        if failure(self.crawler):
            self.stats.inc_value("store/not_stored")
            raise NotStored(f"not stored, the archive failed: {record['url']}")
        fingerprint = (keys["content_hash"], keys["bands"]) if keys else None
        try:
            result = await self.archive.call("store", record, None, fingerprint)
        except STORAGE_ERRORS as exc:
            self.stats.inc_value("store/not_stored")
            error = archive_failed(self.crawler, exc)
            raise NotStored(f"not stored: {error}") from None
        self.stats.inc_value(f"dedupe/{result['decision']}")
        self.stats.inc_value(f"store/{result['outcome']}")
        if result["outcome"] == "duplicate":
            logger.info("Duplicate of article %s (%s): %s", result["article_id"], result["reason"], record["url"])
        return item
