"""Log lines for dropped items that name the page and the reason, not the whole record."""

from __future__ import annotations

import logging

from scrapy.logformatter import LogFormatter


class ConciseLogFormatter(LogFormatter):
    def dropped(self, item, exception, response, spider=None, *args, **kwargs):
        return {
            "level": logging.WARNING,
            "msg": "Dropped %(reason)s",
            "args": {"reason": exception},
        }
