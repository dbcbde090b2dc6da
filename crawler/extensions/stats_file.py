"""The crawl's final stats written to a JSON file."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from scrapy import signals
from scrapy.exceptions import NotConfigured


class StatsFile:
    """Writes the final crawl stats to STATS_FILE (JSON), for scripts and tests that run a
    crawl and check what it did."""

    def __init__(self, path: Path, stats):
        self.path = path
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler):
        path = crawler.settings.get("STATS_FILE")
        if not path:
            raise NotConfigured  # off by default: no message (Scrapy would log it as a warning)
        ext = cls(Path(path), crawler.stats)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_closed(self, spider, reason):
        stats = {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in self.stats.get_stats().items()}
        stats["finish_reason"] = reason
        self.path.write_text(json.dumps(stats, indent=2, sort_keys=True, default=str), encoding="utf-8")
