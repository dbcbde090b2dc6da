"""Dedupe: is the record a new article, one already archived, or a copy of one?"""

from __future__ import annotations

from itemadapter import ItemAdapter

from crawler.crawl_archive import STORAGE_ERRORS, NotStored, archive_failed, archive_for, failure
from crawler.pipelines import CountingPipeline


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
