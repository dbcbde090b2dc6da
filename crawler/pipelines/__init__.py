"""Item pipelines, in flow order: validate -> normalise -> dedupe -> store, one a module.

Each does one job over the Article record (through ItemAdapter) and counts what it did in
the crawl stats under its own prefix (`validate/`, `normalize/`, `dedupe/`, `store/`).
Validation and normalisation are the steps of crawler/parsing.py's pure function, run where
Scrapy runs pipelines."""

from scrapy.exceptions import DropItem


class CountingPipeline:
    """A pipeline that counts its work in the crawl's stats."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)


class Dropped(DropItem):
    """A record a pipeline drops, and why as data: `reason` is a stats key (missing_body),
    which the incremental middleware records the page's URL as failed with."""

    def __init__(self, reason: str, url: str | None):
        super().__init__(f"{reason}: {url}")
        self.reason = reason
