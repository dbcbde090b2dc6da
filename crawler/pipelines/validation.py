"""Validation: records that are not articles (no title, no body) are dropped."""

from __future__ import annotations

from itemadapter import ItemAdapter

from crawler.parsing import validate_record
from crawler.pipelines import CountingPipeline, Dropped


class ValidatePipeline(CountingPipeline):
    """Drops records that are not articles (crawler.parsing.validate_record). Counted by
    reason: `validate/dropped/missing_title`, `validate/dropped/missing_body`."""

    def process_item(self, item):
        adapter = ItemAdapter(item)
        problem = validate_record(adapter)
        if problem:
            self.stats.inc_value(f"validate/dropped/{problem.reason}")
            raise Dropped(problem.reason, adapter.get("url"))
        self.stats.inc_value("validate/passed")
        return item
