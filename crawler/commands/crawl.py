"""`scrapy crawl`, refusing at once, in one line, what would stop the crawl later: an archive
path that cannot be used, a capture directory that cannot be written, a setting that cannot
be read, an archive another run is writing. Nothing is fetched before these checks pass."""

from __future__ import annotations

import sys

from scrapy.commands.crawl import Command as ScrapyCrawl

from archive.lock import lock_archive
from archive.store import ArchiveError, check_archive_path
from archive.warc import WarcError
from crawler import scheduling
from crawler.extensions import SPIDER_ARGUMENTS_SETTING


class Command(ScrapyCrawl):
    def run(self, args, opts) -> None:
        path = self.settings.get("ARCHIVE_PATH")
        try:
            check_archive_path(path)
            scheduling.check_settings(self.settings)
            # Held until the process exits; the crawl's extension takes it again (re-entrant).
            lock = lock_archive(path) if self.settings.getbool("CRAWLS_ENABLED", True) else None
        except (ArchiveError, WarcError, scheduling.SettingError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            self.exitcode = 2
            return
        self.settings.set(SPIDER_ARGUMENTS_SETTING, dict(opts.spargs), priority="cmdline")
        try:
            super().run(args, opts)
        finally:
            if lock is not None:
                lock.release()
