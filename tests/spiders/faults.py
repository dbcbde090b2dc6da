"""The faulty extraction of the ecns_faulty spider, in a module of its own that imports
only what the workers have preloaded: a new worker imports it in milliseconds, well inside
the tests' 2-second EXTRACTION_TIMEOUT even on a loaded machine (importing the spider's
module, and Scrapy with it, in each new worker did not fit)."""

from __future__ import annotations

import os
import time

from crawler.page_work import article_page


def faulty_article_page(response, fault: str, urls: tuple[str, ...]):
    if response.url in urls:
        if fault == "die":
            os._exit(11)
        time.sleep(3600)
    return article_page(response)
