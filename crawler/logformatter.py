"""Log lines for dropped items that name the page and the reason, not the whole record."""

from __future__ import annotations

import logging

from scrapy.logformatter import LogFormatter


class ConciseLogFormatter(LogFormatter):
    def dropped(self, item, exception, response, spider=None, *args, **kwargs):
        # A DropItem may say how loud it is (crawler.crawl_archive.NotStored: quiet, since
        # the storage error that caused it is logged once).
        level = getattr(exception, "log_level", None) or logging.WARNING
        return {
            "level": getattr(logging, level) if isinstance(level, str) else level,
            "msg": "Dropped %(reason)s",
            "args": {"reason": exception},
        }
