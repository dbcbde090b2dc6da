"""`scrapy crawl ecns_faulty -s FAULT_URLS=URL,URL -s FAULT=die|hang`: the ECNS crawl whose
extraction worker dies (`os._exit`) or hangs on the pages named; every other page as the
real spider extracts it."""

from __future__ import annotations

from crawler.page_workers import page_workers
from crawler.responses import captured_response
from crawler.spiders.ecns import EcnsSpider
from tests.spiders.faults import faulty_article_page


class FaultyEcnsSpider(EcnsSpider):
    name = "ecns_faulty"

    async def article_item(self, response):
        self.crawler.stats.inc_value("pages/article_candidates")
        settings = self.crawler.settings
        urls = tuple(u for u in (settings.get("FAULT_URLS") or "").split(",") if u)
        record = await page_workers(self.crawler).run(faulty_article_page, captured_response(response),
                                                      settings.get("FAULT", "die"), urls)
        return self.item_from(response, record)
