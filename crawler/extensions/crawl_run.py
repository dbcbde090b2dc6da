"""The crawl run's bookkeeping: the archive's lock, the `crawls` row, CRAWL_NOW, JOBDIR
after a kill."""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import socket
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.settings import SETTINGS_PRIORITIES

from archive import crawls
from archive.lock import lock_archive
from archive.store import ArchiveError
from crawler import checked_settings
from crawler import signals as project_signals
from crawler.crawl_archive import STORAGE_ERRORS, archive_failed, archive_for, failure

logger = logging.getLogger(__name__)


# Stats that are counted as dropped (by the reason after the prefix) and as errors.
DROPPED_PATTERN = re.compile(r"^(?!incremental/)[\w-]+/(?:dropped|skipped)/(?P<reason>[\w.-]+)$")
ERROR_PATTERNS = (
    (re.compile(r"^downloader/exception_type_count/(?:.*\.)?(?P<kind>\w+)$"), "{kind}"),
    (re.compile(r"^spider_exceptions/(?P<kind>\w+)$"), "spider_{kind}"),
    (re.compile(r"^httperror/response_ignored_status_count/(?P<kind>\d+)$"), "http_{kind}"),
)
NOT_ERRORS = {"IgnoreRequest", "ArchiveSkip"}
JOBDIR_MARKER = "newsarchive-run.json"
# Seconds the end of a run stopped by a storage error waits to be recorded (at least).
FINAL_UPDATE_WAIT = 10.0
# Set by the crawl command: the spider's -a arguments, recorded with the run.
SPIDER_ARGUMENTS_SETTING = "NEWSARCHIVE_SPIDER_ARGUMENTS"


def run_counts(stats: dict) -> dict:
    """The `crawls` row's counts from a crawl's stats."""
    dropped: Counter = Counter()
    errors: Counter = Counter()
    for key, value in stats.items():
        if not isinstance(value, int):
            continue
        if match := DROPPED_PATTERN.match(key):
            dropped[match["reason"]] += value
        elif key == "robotstxt/forbidden":
            dropped["robotstxt_forbidden"] += value
        for pattern, form in ERROR_PATTERNS:
            # A request deliberately not sent (robots.txt, the offsite filter, the archive
            # holds it) is no error: IgnoreRequest and its subclasses.
            if (match := pattern.match(key)) and match["kind"] not in NOT_ERRORS:
                errors[form.format(**match.groupdict())] += value
    return {
        # Every response received: articles, listings, robots.txt, redirects, each retry.
        "pages": stats.get("downloader/response_count", 0),
        "articles_new": stats.get("store/new", 0),
        "articles_revised": stats.get("store/revised", 0),
        "articles_unchanged": stats.get("store/unchanged", 0),
        "articles_duplicate": stats.get("store/duplicate", 0),
        "skipped": sum(v for k, v in stats.items() if k.startswith("incremental/skipped/")),
        "revisited": stats.get("incremental/revisit", 0),
        "dropped": dict(dropped),
        "errors": dict(errors),
        "stats": {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in stats.items()},
    }


SECRET_NAMES = re.compile(r"PASS|SECRET|TOKEN|KEY|AUTH|CREDENTIAL", re.IGNORECASE)


def cmdline_settings(settings) -> dict:
    """The settings given on the command line (-s, or Scrapyd's schedule.json), values of
    secret-looking ones (passwords, tokens, keys) masked."""
    priority = SETTINGS_PRIORITIES["cmdline"]
    return {
        name: "***" if SECRET_NAMES.search(name) else settings[name]
        for name in sorted(settings.attributes)
        if settings.getpriority(name) == priority and name != SPIDER_ARGUMENTS_SETTING
    }


class CrawlRun:
    """The bookkeeping of one crawl run over the archive:

    - holds the archive's lock for the run (archive/lock.py): a second run on the same
      archive refuses to start;
    - marks runs left `running` by a killed process as `killed`, then records this run in
      the `crawls` table, its counts rewritten every CRAWLS_UPDATE_INTERVAL seconds and its
      end (finished, shutdown, ...) when it closes;
    - CRAWL_NOW: the archive stamps first_seen/last_seen with that time instead of the clock;
    - JOBDIR: a job directory left by a killed run is reset before the scheduler opens it
      (its queue and seen-requests file are not consistent after a SIGKILL: Scrapy saves
      them only on a clean stop); the archive then tells the new run what is done.
    """

    def __init__(self, crawler, lock):
        self.crawler = crawler
        self.settings = crawler.settings
        self.stats = crawler.stats
        self.lock = lock
        self.crawl_id: int | None = None
        self.interval = self.settings.getfloat("CRAWLS_UPDATE_INTERVAL", 60.0)
        self.last_update = 0.0
        self.marker: Path | None = None

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        if not settings.getbool("CRAWLS_ENABLED", True):
            raise NotConfigured("CRAWLS_ENABLED is off")
        try:
            lock = lock_archive(settings.get("ARCHIVE_PATH"))
        except ArchiveError as exc:
            logger.error("%s", exc)
            raise
        ext = cls(crawler, lock)
        if checked_settings.missing_contact(settings):
            logger.warning("The User-Agent names no contact: set -s CONTACT=https://your.site/about-this-crawler "
                           "(or mailto:you@example.org) so the sites you crawl can reach you")
        ext.reset_killed_jobdir()
        # Connected before anything opens the archive, so that these run before it closes.
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(ext.response_received, signal=signals.response_received)
        # After spider_closed, when the archive is closed: the lock is an open descriptor of
        # the archive file, and closing it must not happen while SQLite still writes.
        crawler.signals.connect(ext.lock.release, signal=signals.engine_stopped)
        return ext

    @property
    def archive(self):
        return archive_for(self.crawler)

    def reset_killed_jobdir(self) -> None:
        jobdir = self.settings.get("JOBDIR")
        if not jobdir:
            return
        jobdir = Path(jobdir)
        self.marker = jobdir / JOBDIR_MARKER
        if self.marker.exists():
            try:
                left = json.loads(self.marker.read_text(encoding="utf-8"))
            except ValueError:
                left = {}
            logger.warning(
                "JOBDIR %s was left by a run that did not stop cleanly (pid %s, started %s): its "
                "queue cannot be trusted, starting the job over (the archive skips what is done)",
                jobdir, left.get("pid"), left.get("started"),
            )
            for name in ("requests.queue", "requests.seen"):
                path = jobdir / name
                if path.is_dir():
                    shutil.rmtree(path)
                elif path.exists():
                    path.unlink()
            self.stats.set_value("jobdir/reset", 1)
        jobdir.mkdir(parents=True, exist_ok=True)
        self.marker.write_text(
            json.dumps({"pid": os.getpid(), "started": datetime.now(timezone.utc).isoformat(timespec="seconds")}),
            encoding="utf-8",
        )

    def _now(self) -> str:
        return datetime.now(timezone.utc).isoformat(timespec="seconds")

    def spider_opened(self, spider):
        archive = self.archive
        checked_settings.apply_crawl_now(self.settings, archive)
        try:
            killed = crawls.mark_killed(archive.db, self._now())
            self.crawl_id = crawls.start_crawl(
                archive.db,
                spider=spider.name,
                arguments={"args": self.settings.getdict(SPIDER_ARGUMENTS_SETTING),
                           "settings": cmdline_settings(self.settings)},
                started=self._now(),
                pid=os.getpid(),
                host=socket.gethostname(),
            )
            archive.flush()  # the row is visible (as running) at once
        except STORAGE_ERRORS as exc:
            archive_failed(self.crawler, exc)
            return
        if killed:
            logger.warning("Crawl run(s) %s never finished (killed): marked so in the crawls table",
                           ", ".join(map(str, killed)))
        self.stats.set_value("crawls/id", self.crawl_id)
        self.last_update = time.monotonic()

    def response_received(self):
        if (self.crawl_id is not None and not failure(self.crawler)
                and time.monotonic() - self.last_update >= self.interval):
            try:
                self.update()
            except STORAGE_ERRORS as exc:
                archive_failed(self.crawler, exc)

    def update(self, **end) -> None:
        archive = self.archive
        crawls.update_crawl(archive.db, self.crawl_id, run_counts(self.stats.get_stats()), at=self._now(), **end)
        archive.flush()
        self.last_update = time.monotonic()

    def spider_closed(self, spider, reason):
        try:
            self.crawler.signals.send_catch_log(signal=project_signals.run_closing, reason=reason)
            if self.crawl_id is not None:
                try:
                    if failure(self.crawler):
                        # The run's end is worth a longer wait than one more article.
                        self.archive.wait_for_locks(max(self.archive.lock_timeout, FINAL_UPDATE_WAIT))
                    self.update(outcome=reason, finished=self._now())
                except STORAGE_ERRORS as exc:
                    logger.error("The run's end could not be recorded in the crawls table: %s", self.archive.error(exc))
            if self.marker is not None and self.marker.exists():
                self.marker.unlink()  # the scheduler has saved the job's queue by now
        finally:
            if failure(self.crawler):
                logger.error("The crawl stopped because the archive could not be written: %s", failure(self.crawler))
