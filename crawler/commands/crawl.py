"""`scrapy crawl`, refusing at once, in one line and with exit status 2, what would stop the
crawl later: an archive path that cannot be used or a file that is not an archive, an
archive that cannot be written (read-only file or mount, another program holding SQLite's
lock past ARCHIVE_LOCK_TIMEOUT), a capture directory that cannot be written, a setting or
spider argument that cannot be read, an archive another run is writing. The checks run
before Scrapy starts (no log lines, nothing fetched) and create nothing but the archive
itself, where no file was. A crawl stopped by a storage error (crawler.crawl_archive) exits
with status 1."""

from __future__ import annotations

import sys

from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.spiderloader import get_spider_loader

from archive.identity import MISSING, ArchiveError, archive_kind, create_archive
from archive.lock import check_writable, lock_archive
from archive.store import build_new_archive
from archive.warc import WarcError
from crawler import checked_settings
from crawler.crawl_archive import FAILED_REASONS, failure
from crawler.distributed.worker_checks import WORKER_FAILED_REASONS, WorkerRefused, check_worker
from crawler.extensions.crawl_run import SPIDER_ARGUMENTS_SETTING


class Command(ScrapyCrawl):
    lock = None
    crawler = None

    def process_options(self, args, opts) -> None:
        super().process_options(args, opts)
        if len(args) != 1:
            return  # Scrapy's own usage error, from run()
        try:
            self.check(args[0], opts.spargs)
        except (ArchiveError, WarcError, checked_settings.SettingError, WorkerRefused) as exc:
            if self.lock is not None:
                self.lock.release()
            print(f"error: {exc}", file=sys.stderr)
            sys.exit(2)

    def check(self, spider: str, arguments: dict) -> None:
        settings = self.settings
        checked_settings.check_values(settings)
        checked_settings.apply_contact(settings)
        checked_settings.check_spider_arguments(get_spider_loader(settings), spider, arguments)
        if settings.get("REDIS_URL"):
            # A worker of a run over many machines: no archive here (crawler/distributed/).
            check_worker(settings, spider)
            settings.set(SPIDER_ARGUMENTS_SETTING, dict(arguments), priority="cmdline")
            return
        path = settings.get("ARCHIVE_PATH")
        # An existing file: an archive this crawl can write, or nothing else is touched. A
        # missing one is created last, when everything else is known to be usable.
        missing = archive_kind(path) == MISSING
        if not missing:
            self.take_archive(path)
        checked_settings.check_directories(settings)
        if missing:
            create_archive(path, build_new_archive)
            self.take_archive(path)
        settings.set(SPIDER_ARGUMENTS_SETTING, dict(arguments), priority="cmdline")

    def take_archive(self, path) -> None:
        if self.settings.getbool("CRAWLS_ENABLED", True):
            # Held until the process exits; the crawl's extension takes it again (re-entrant).
            self.lock = lock_archive(path)
        check_writable(path, timeout=checked_settings.lock_timeout(self.settings))

    def _create_crawler(self, spname):
        self.crawler = super()._create_crawler(spname)
        return self.crawler

    def run(self, args, opts) -> None:
        try:
            super().run(args, opts)
        finally:
            if self.lock is not None:
                self.lock.release()
        reason = self.crawler.stats.get_value("finish_reason") if self.crawler is not None else None
        if reason in FAILED_REASONS or reason in WORKER_FAILED_REASONS or (self.crawler is not None and failure(self.crawler)):
            self.exitcode = 1
