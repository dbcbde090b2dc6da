"""`scrapy crawl`, refusing at once, in one line, an archive path that cannot be used,
before any page is fetched."""

from __future__ import annotations

import sys

from scrapy.commands.crawl import Command as ScrapyCrawl

from archive.store import ArchiveError, check_archive_path


class Command(ScrapyCrawl):
    def run(self, args, opts) -> None:
        path = self.settings.get("ARCHIVE_PATH")
        try:
            check_archive_path(path)
        except ArchiveError as exc:
            print(f"error: {exc}", file=sys.stderr)
            self.exitcode = 2
            return
        super().run(args, opts)
