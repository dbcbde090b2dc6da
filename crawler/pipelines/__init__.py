"""Item pipelines, in flow order: validate -> normalise -> dedupe -> store, one a module.

Each does one job over the Article record (through ItemAdapter) and counts what it did in
the crawl stats under its own prefix (`validate/`, `normalize/`, `dedupe/`, `store/`)."""


class CountingPipeline:
    """A pipeline that counts its work in the crawl's stats."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)
