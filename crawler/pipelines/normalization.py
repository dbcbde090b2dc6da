"""Normalisation: each field in the form the archive stores."""

from __future__ import annotations

from itemadapter import ItemAdapter

from crawler.normalize import normalized_fields
from crawler.pipelines import CountingPipeline


class NormalizePipeline(CountingPipeline):
    """Whitespace, absolute URLs, ISO 8601 dates, BCP 47 language, the site's domain, text
    in NFC (crawler.normalize.normalized_fields). Counts the items and the fields changed."""

    def process_item(self, item):
        adapter = ItemAdapter(item)
        changed = 0
        for name, value in normalized_fields(adapter).items():
            if adapter.get(name) != value:
                changed += 1
            adapter[name] = value
        self.stats.inc_value("normalize/items")
        if changed:
            self.stats.inc_value("normalize/fields_changed", changed)
        return item
