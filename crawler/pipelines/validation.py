"""Validation: records that are not articles are dropped."""

from __future__ import annotations

from itemadapter import ItemAdapter
from scrapy.exceptions import DropItem

from crawler.normalize import collapse_whitespace
from crawler.pipelines import CountingPipeline

# A page needs at least this much text to be an article rather than a stub or an index.
MIN_BODY_CHARS = 20


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
