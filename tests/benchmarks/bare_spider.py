"""The crawl benchmark's baseline: a bare Scrapy spider that downloads the same pages as the
ECNS crawl (every listing and article URL of the generated site, from a file) and does
nothing with them. Run with `scrapy runspider` outside the project directory, so none of the
project's middlewares, extensions or pipelines load.

    scrapy runspider bare_spider.py -a urls=URLS.txt -a stats_file=STATS.json -s ...
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import scrapy


class BareSpider(scrapy.Spider):
    name = "bare"

    def __init__(self, *args, urls: str, stats_file: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.url_file = Path(urls)
        self.stats_file = Path(stats_file) if stats_file else None

    async def start(self):
        with self.url_file.open(encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    yield scrapy.Request(line.strip(), callback=self.parse)

    def parse(self, response):
        return None

    def closed(self, reason):
        if self.stats_file:
            stats = {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in self.crawler.stats.get_stats().items()}
            stats["finish_reason"] = reason
            self.stats_file.write_text(json.dumps(stats, indent=2, default=str), encoding="utf-8")
