"""Storage: the record written to the archive as the dedupe decision says."""

from __future__ import annotations

import logging

from itemadapter import ItemAdapter

from crawler.crawl_archive import STORAGE_ERRORS, NotStored, archive_failed, archive_for, failure
from crawler.pipelines import CountingPipeline

logger = logging.getLogger(__name__)


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
