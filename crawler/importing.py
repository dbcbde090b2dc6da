"""Import: the news already captured in other tools' web archives (CC-NEWS, Heritrix,
`wget --warc-file`, Browsertrix, our own captures), stored as a crawl stores what it fetches.

Each file's records are read in order (archive/web_archive.py): what is not an HTTP response
(request, metadata, warcinfo records; dns: or ftp: captures), what the filters leave out and
what is over the size cap are counted and skipped here; a revisit record is resolved to the
payload it refers to; every other response goes to the extraction workers
(crawler/worker_pool.py) and through `parse_response` (crawler/parsing.py), the pure function
a crawled page goes through: Content-Encoding undone, problem checks, extraction, validation,
normalisation. Each article is then stored as it comes back, in file order, through the
archive's dedupe and store (`Archive.classify` / `Archive.store`, as the crawl's writer does),
`first_seen` its capture's WARC-Date. The store places a capture by its date, not by when it
comes (`Archive._seen_earlier`): a capture older than the article's last sighting goes into
its history where its date puts it, so that revisions are in date order whatever order the
files (or the records in them) come in, and among copies of one text the one captured first
is the original. The articles stored are committed with the file's progress, so a run killed
at any point resumes after the last record whose article is committed.

Storing as the workers answer, instead of after every file is read, keeps the single SQLite
writer busy while the workers extract: an import takes about the longer of the two, not
their sum, and the articles are searchable while the import goes on.
"""

from __future__ import annotations

import collections
import json
import logging
import os
import re
import socket
import sqlite3
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Callable, Iterable

import click

from archive import crawls, imports
from archive.dedupe import fingerprint_and_shingles
from archive.identity import MISSING, archive_kind, create_archive
from archive.incremental import iso, parse_time
from archive.lock import DEFAULT_LOCK_TIMEOUT, check_writable, lock_archive
from archive.store import Archive, build_new_archive, utc_now
from archive.warc import DamagedRange, WarcError, WarcRecord, WarcWriter, check_capture_dir, pointer_path
from archive.web_archive import ArchivedRecord, WaczError, archive_files, read_archive_file, read_payload
from crawler.extraction import ExtractionError, Page
from crawler.extraction.discovery import pagetype
from crawler.normalize import site_of
from crawler.page_work import MAX_PAGE_BYTES
from crawler.parsing import CapturedResponse, DecodingError, Skip, decode_content, last_header, parse_response
from crawler.worker_pool import (CALLER_BOUND_BATCH, DEFAULT_TIMEOUT, TaskError, TaskTimeout, WorkerDied,
                                 WorkerPool)

logger = logging.getLogger(__name__)

# The record types that hold an HTTP response; the others (request, metadata, warcinfo...)
# are counted apart from the responses skipped.
RESPONSE_TYPES = ("response", "resource", "revisit")
# Commit (the articles stored with the file's progress) after this many records or this
# many seconds, whichever comes first.
COMMIT_EVERY = 200
COMMIT_SECONDS = 1.0
# The writer's caches during an import (a crawl's writer: 64 MB, 4,096 shingle sets): the
# command stores while its workers extract, so what it grows to adds to theirs. Measured
# over a 10,000-record CC-NEWS-like file (bench_import.py), the shingle sets are what pays
# (near-duplicate candidates met again: 2,048 sets 4.5 ms of the command's CPU a record,
# 4,096 3.7, 8,192 3.35), the page cache much less; with these the import's peak memory at
# 10,000 records is 1.1 times that at 2,000.
IMPORT_CACHE_KIB = 16 * 1024
IMPORT_SHINGLE_CACHE_SIZE = 8192
# The HTTP headers a capture can be read with when the block is larger: a record over the
# size cap by its headers alone is still parsed.
HEADER_ALLOWANCE = 64 * 1024


class FilterError(ValueError):
    """A filter option that cannot be used; the message names it."""


@dataclass(frozen=True)
class ImportFilters:
    sites: frozenset[str] = frozenset()
    url_pattern: re.Pattern | None = None
    since: str | None = None  # capture dates from (ISO 8601, UTC)
    until: str | None = None  # capture dates before
    articles_only: bool = False

    @classmethod
    def parse(cls, sites: Iterable[str] = (), url_pattern: str | None = None, since: str | None = None,
              until: str | None = None, articles_only: bool = False) -> "ImportFilters":
        """From the command's options; FilterError says which one is wrong."""
        try:
            pattern = re.compile(url_pattern) if url_pattern else None
        except re.error as exc:
            raise FilterError(f"--url-pattern is not a regular expression: {exc}") from None
        return cls(
            sites=frozenset(site_of(s if "://" in s else f"http://{s}") for s in sites),
            url_pattern=pattern,
            since=_moment("--since", since),
            until=_moment("--until", until, end_of_day=True),
            articles_only=articles_only,
        )

    def skip_reason(self, url: str, captured_at: str) -> str | None:
        if self.sites and site_of(url) not in self.sites:
            return "filtered_site"
        if self.url_pattern is not None and not self.url_pattern.search(url):
            return "filtered_url"
        if (self.since and captured_at < self.since) or (self.until and captured_at >= self.until):
            return "filtered_date"
        return None

    def arguments(self) -> dict[str, Any]:
        return {k: v for k, v in (("site", sorted(self.sites)), ("url_pattern", self.url_pattern and self.url_pattern.pattern),
                                  ("since", self.since), ("until", self.until), ("articles_only", self.articles_only)) if v}


def _moment(option: str, value: str | None, end_of_day: bool = False) -> str | None:
    """A filter's bound as a capture-date string to compare with: --until 2024-05-01 takes
    in the whole of that day (up to, not including, the next midnight UTC)."""
    if not value:
        return None
    moment = parse_time(value)
    if moment is None:
        raise FilterError(f"{option} is not a date or ISO 8601 time: {value!r}")
    if end_of_day and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        moment += timedelta(days=1)
    elif end_of_day:
        moment += timedelta(seconds=1)
    return iso(moment)


@dataclass
class ImportSummary:
    files: int = 0
    files_already_imported: int = 0
    records: int = 0  # whole records read
    other_records: int = 0  # request, metadata, warcinfo...: no HTTP response
    html: int = 0  # responses parsed as pages
    outcomes: Counter = field(default_factory=Counter)  # new, duplicate, revised, unchanged
    skipped: Counter = field(default_factory=Counter)  # reason -> responses
    damaged: int = 0  # damaged byte ranges (each costs the records it held)
    damaged_bytes: int = 0
    problems: list[str] = field(default_factory=list)  # files that could not be read
    interrupted: bool = False  # stopped by the user (Ctrl-C): the same command resumes

    @property
    def failed(self) -> bool:
        return bool(self.problems)

    @property
    def articles(self) -> int:
        return sum(self.outcomes.values())

    def counts(self) -> dict[str, Any]:
        """The `crawls` row's columns (archive/crawls.py)."""
        return {
            "pages": self.html,
            "articles_new": self.outcomes["new"],
            "articles_revised": self.outcomes["revised"],
            "articles_unchanged": self.outcomes["unchanged"],
            "articles_duplicate": self.outcomes["duplicate"],
            "skipped": sum(self.skipped.values()),
            "dropped": dict(self.skipped),
            "errors": {k: v for k, v in (("damaged_ranges", self.damaged), ("unreadable_files", len(self.problems))) if v},
            "stats": {"records": self.records, "other_records": self.other_records, "files": self.files,
                      "files_already_imported": self.files_already_imported, "damaged_bytes": self.damaged_bytes},
        }

    def lines(self) -> list[str]:
        out = list(self.problems)
        if self.interrupted:
            out.append("interrupted: run the same command again to go on from here")
        files = f"{self.files} file{'s' if self.files != 1 else ''}"
        if self.files_already_imported:
            files += f" ({self.files_already_imported} imported before: nothing to add)"
        out.append(f"{files}: {self.records:,} records read, {self.html:,} HTML responses, "
                   f"{self.other_records:,} without an HTTP response (request, metadata, warcinfo)")
        out.append(f"articles: {self.outcomes['new']:,} new, {self.outcomes['duplicate']:,} duplicate, "
                   f"{self.outcomes['revised']:,} revised, {self.outcomes['unchanged']:,} unchanged")
        if self.skipped:
            out.append("skipped: " + ", ".join(f"{reason} {n:,}" for reason, n in sorted(self.skipped.items())))
        if self.damaged:
            out.append(f"damaged: {self.damaged:,} byte range{'s' if self.damaged != 1 else ''} "
                       f"({self.damaged_bytes:,} bytes) holding no whole record; reading went on at the next record")
        return out


def import_record(meta: tuple, source: WarcRecord | CapturedResponse, pointer: dict, articles_only: bool,
                  max_page_bytes: int) -> dict[str, Any] | Skip:
    """What a worker does for one record read: its HTTP response parsed (a WARC record's;
    an ARC record or a resolved revisit comes parsed), then `import_page`; the article
    fetched at its capture's date. `meta`: (end offset, capture date), which comes back
    with the answer."""
    if isinstance(source, WarcRecord):
        try:
            capture = source.capture()
        except WarcError as exc:
            return Skip("bad_http", str(exc), "response")
        if len(capture.body) > max_page_bytes:
            return Skip("too_large", f"payload of {len(capture.body):,} bytes", "response")
        source = CapturedResponse.from_warc(capture, meta={"warc": pointer})
    record = import_page(source, articles_only)
    if isinstance(record, Skip):
        return record
    record["fetched_at"] = meta[1]  # the WARC-Date in the archive's form, as a crawl stores it
    return record


def import_page(response: CapturedResponse, articles_only: bool) -> dict[str, Any] | Skip:
    """`parse_response`, the listing check with --articles-only, and the body's dedupe keys
    (so the store need not compute them)."""
    record = parse_response(response)
    if isinstance(record, Skip):
        return record
    if articles_only and is_listing(response):
        return Skip("listing", "the page classifier calls it a listing", "classification")
    # The body's dedupe keys and shingles, so that the command, the one process every
    # worker waits on, need not make them.
    record["dedupe"] = fingerprint_and_shingles(record["body"])
    return record


def is_listing(response: CapturedResponse) -> bool:
    """Whether the page classifier (crawler/extraction/discovery/pagetype.py) calls the page
    a listing: a home, section or tag page."""
    try:
        body, headers = decode_content(response.body, response.headers)
        page = Page.from_bytes(response.url, body, {"content-type": last_header(headers, "Content-Type") or ""})
    except (DecodingError, ExtractionError):
        return False
    return pagetype.page_kind(response.url, page) == "listing"


def first_capture_date(path: Path, most: int = 50) -> str:
    """The capture date of the first HTTP response among the first `most` records of the
    file, in the archive's form; "~" (after every date) when there is none or the file
    cannot be read: such a file is read last, and its problems reported then."""
    try:
        for n, item in enumerate(read_archive_file(path)):
            if n >= most:
                break
            if isinstance(item, DamagedRange) or item.type not in RESPONSE_TYPES or not item.date:
                continue
            moment = parse_time(item.date)
            if moment is not None:
                return iso(moment)
    except (OSError, WaczError):
        pass
    return "~"


@dataclass
class _Pending:
    """A record sent to the workers, kept here for --copy."""

    record: ArchivedRecord
    capture: Any
    resolved: bool  # a revisit whose payload comes from another record


class Importer:
    """One import run over an open archive (created by the caller when none existed): the
    caller holds the archive's lock."""

    def __init__(self, archive: Archive, *, filters: ImportFilters = ImportFilters(), processes: int = 0,
                 copy_to: WarcWriter | None = None, timeout: float = DEFAULT_TIMEOUT,
                 on_progress: Callable[[int], None] | None = None, max_page_bytes: int = MAX_PAGE_BYTES):
        self.archive = archive
        self.db = archive.db
        self.filters = filters
        # Files are resumed, or known as imported, per set of filters.
        self.filters_key = json.dumps(filters.arguments(), sort_keys=True)
        self.processes = processes
        self.copy_to = copy_to
        self.timeout = timeout
        self.max_page_bytes = max_page_bytes
        self.on_progress = on_progress or (lambda advanced: None)
        self.summary = ImportSummary()
        self._pointers: dict[Path, str] = {}
        self._absolute_paths: dict[Path, str] = {}
        # The files that could not be read, by path: a line each in the summary.
        self._file_problems: dict[Path, str] = {}
        # (payload digest, file, offset) of the responses read since the last commit.
        self._payloads: list[tuple[str, str, int]] = []
        # This importer commits, so that a file's progress is committed with the articles
        # read before it.
        archive.batch_size = 1 << 30

    # -- read, parse, store ------------------------------------------------------------------

    def read_files(self, files: Iterable[Path]) -> None:
        """The files oldest first, by the date of the first capture in each: articles are
        stored in file order, and files that each hold one stretch of time (CC-NEWS,
        Heritrix, wget) then come in date order, whatever order they were given in. (The
        store places a capture older than what it holds by its date anyway; in date order,
        a text that comes back after another keeps its exact history.)"""
        given = [Path(path) for path in files]
        self._file_problems.clear()
        try:
            with WorkerPool(self.processes, timeout=self.timeout, preload=("crawler.importing",)) as pool:
                for path in sorted(given, key=first_capture_date):
                    self.read_file(pool, path)
        finally:
            # The files that could not be read, reported in the order they were given.
            self.summary.problems.extend(self._file_problems[p] for p in given if p in self._file_problems)

    def read_file(self, pool: WorkerPool, path: Path) -> None:
        summary = self.summary
        summary.files += 1
        try:
            identity, size = imports.file_identity(path)
        except OSError as exc:
            self._unreadable(path, exc)
            return
        progress = imports.file_progress(self.db, identity, self.filters_key)
        if progress and progress["finished"]:
            summary.files_already_imported += 1
            self.on_progress(size)
            return
        start = progress["done_offset"] if progress else 0
        imports.begin_file(self.db, identity, self.filters_key, str(path), size, utc_now())
        self.on_progress(start)
        pending: collections.deque[_Pending] = collections.deque()
        done = start
        since_commit, committed = 0, time.monotonic()
        error: list[OSError | WaczError] = []

        def responses():
            try:
                for item in read_archive_file(path, start):
                    work = self._read_one(path, item)
                    if work is not None:
                        pending.append(work[1])
                        yield work[0]
            except (OSError, WaczError) as exc:
                error.append(exc)

        def commit() -> None:
            # The file's progress in the transaction of the articles it stored.
            imports.remember_payloads(self.db, self._payloads)
            self._payloads.clear()
            imports.advance_file(self.db, identity, self.filters_key, done, utc_now())
            self.archive.flush()

        for ((end, captured_at), *_), future in pool.map_in_order(import_record, responses(), batch=CALLER_BOUND_BATCH):
            work = pending.popleft()
            try:
                result = future.result()
            except (WorkerDied, TaskTimeout, TaskError) as exc:
                result = Skip(type(exc).__name__, str(exc), "worker")
            self._count_parsed(result)
            if isinstance(result, Skip):
                if result.reason == "bad_http":
                    logger.info("%s at offset %s: %s", path, work.record.offset, result.message)
            else:
                if self.copy_to is not None:
                    result["warc"] = self._copy(work)
                self._store(result, captured_at)
            self.on_progress(end - done)
            done = end
            since_commit += 1
            if since_commit >= COMMIT_EVERY or time.monotonic() - committed >= COMMIT_SECONDS:
                commit()
                since_commit, committed = 0, time.monotonic()
        if error:
            commit()
            self._unreadable(path, error[0])
            return
        imports.remember_payloads(self.db, self._payloads)
        self._payloads.clear()
        imports.finish_file(self.db, identity, self.filters_key, utc_now())
        self.archive.flush()
        self.on_progress(size - done)

    def _unreadable(self, path: Path, exc: OSError | WaczError) -> None:
        if isinstance(exc, WaczError):
            self._file_problems[path] = f"{path}: {exc}"
        else:
            self._file_problems[path] = f"{path}: cannot read: {exc.strerror or type(exc).__name__}"

    def _read_one(self, path: Path, item) -> tuple[tuple, _Pending] | None:
        """The work for one record read: (map_in_order's item, what --copy needs), or None
        when the record is counted and skipped here."""
        summary = self.summary
        if isinstance(item, DamagedRange):
            summary.damaged += 1
            summary.damaged_bytes += item.length
            logger.warning("%s: damaged: %s", path, item.describe())
            return None
        summary.records += 1
        if item.type not in RESPONSE_TYPES:
            if item.type == "unparsed":
                summary.skipped["bad_http"] += 1
            else:
                summary.other_records += 1
            return None
        url = item.url or ""
        if not url.lower().startswith(("http://", "https://")):
            summary.skipped["not_http"] += 1
            return None
        moment = parse_time(item.date) if item.date else None
        if moment is None:
            summary.skipped["no_date"] += 1
            return None
        captured_at = iso(moment)
        reason = self.filters.skip_reason(url, captured_at)
        if reason:
            summary.skipped[reason] += 1
            return None
        if item.size > self.max_page_bytes + HEADER_ALLOWANCE:
            summary.skipped["too_large"] += 1
            return None
        pointer = {"file": self._pointer_path(path), "offset": item.offset, "record_id": item.record_id}
        if item.type == "response" and item.payload_digest:
            self._payloads.append((item.payload_digest, self._absolute(path), item.offset))
        meta = (item.end, captured_at)
        work = (self.filters.articles_only, self.max_page_bytes)
        if item.type != "revisit" and item.warc is not None:
            # A WARC record's HTTP response is parsed by the worker.
            return (meta, item.warc, pointer, *work), _Pending(item, None, False)
        try:
            capture, pointer = self._resolve_revisit(item) if item.type == "revisit" else (item.capture(), pointer)
        except WarcError as exc:
            reason = "revisit_unresolved" if item.type == "revisit" else "bad_http"
            summary.skipped[reason] += 1
            logger.info("%s at offset %s: %s", path, item.offset, exc)
            return None
        if len(capture.body) > self.max_page_bytes:
            summary.skipped["too_large"] += 1
            return None
        response = CapturedResponse.from_warc(capture, meta={"warc": pointer})
        return (meta, response, pointer, *work), _Pending(item, capture, item.type == "revisit")

    def _pointer_path(self, path: Path) -> str:
        """How article rows name the file (archive/warc.py), worked out once per file."""
        if path not in self._pointers:
            self._pointers[path] = pointer_path(path, self.archive.path)
        return self._pointers[path]

    def _absolute(self, path: Path) -> str:
        if path not in self._absolute_paths:
            self._absolute_paths[path] = str(path.resolve())
        return self._absolute_paths[path]

    def _resolve_revisit(self, item: ArchivedRecord) -> tuple[Any, dict]:
        """A revisit record as the response it stands for: its own URL, date and (when it has
        them) HTTP status and headers, the payload of the record with the same payload
        digest. WarcError when that record is not known or not readable."""
        imports.remember_payloads(self.db, self._payloads)  # those read since the last commit too
        self._payloads.clear()
        location = imports.payload_location(self.db, item.payload_digest) if item.payload_digest else None
        if location is None:
            raise WarcError("revisit of a payload not met before (no earlier response with its digest)")
        file, offset = location
        original = read_payload(file, offset)
        try:
            own = item.capture()  # a revisit may keep the response's status and headers
        except WarcError:
            own = None
        original.url = item.url or original.url
        original.date = item.date
        if own is not None and own.headers and 200 <= own.status < 300:
            original.status, original.headers = own.status, own.headers
        pointer = {"file": pointer_path(file, self.archive.path), "offset": offset, "record_id": original.record_id}
        return original, pointer

    def _count_parsed(self, result) -> None:
        if isinstance(result, Skip):
            self.summary.skipped[result.reason] += 1
            if result.reason in ("not_html", "undecodable", "bad_http", "too_large"):
                return
        self.summary.html += 1

    def _copy(self, work: _Pending) -> dict:
        """Copy the record into the archive's capture directory; the article's pointer."""
        item, capture = work.record, work.capture
        if item.warc is not None and not work.resolved:
            written = self.copy_to.copy_record(item.warc.data, item.record_id or "")
        else:
            written = self.copy_to.write_response(url=capture.url, date=item.date, status=capture.status,
                                                  headers=capture.headers, body=capture.body,
                                                  protocol=capture.protocol or None)
        return {"file": pointer_path(written.file, self.archive.path), "offset": written.offset,
                "record_id": written.record_id}

    def _store(self, record: dict[str, Any], captured_at: str) -> None:
        """One article through the archive's dedupe and store, seen at its capture's date."""
        content_hash, bands, *shingles = record.pop("dedupe")  # no shingles from a queue of JSON
        bands = [tuple(b) for b in bands] if bands else None
        decision = self.archive.classify(record, (content_hash, bands, *shingles))
        result = self.archive.store(record, decision, seen_at=captured_at)
        self.summary.outcomes[result.outcome] += 1

    def store_queue(self, on_article: Callable[[], None] | None = None) -> None:
        """The articles an import of an earlier version queued and did not store (it read
        every file, then stored in capture-date order): stored in that order, each leaving
        the queue in the transaction that stores it. Empty for imports of this version."""
        stored, committed = 0, time.monotonic()
        for queue_id, captured_at, record in imports.queued_articles(self.db):
            self._store(record, captured_at)
            imports.dequeue(self.db, queue_id)
            stored += 1
            if stored % COMMIT_EVERY == 0 or time.monotonic() - committed >= COMMIT_SECONDS:
                self.archive.flush()
                committed = time.monotonic()
            if on_article:
                on_article()
        self.archive.flush()


class _Progress:
    """The progress bar on a terminal (stderr), by bytes of all the files: records, pages and
    articles stored, pages/s, the ETA (before it, when an earlier version's import left
    articles queued, storing them, by articles). Nothing when stderr is not a terminal."""

    def __init__(self, summary: ImportSummary):
        self.summary = summary
        self.started = time.monotonic()
        self.bar = None
        self.on_terminal = sys.stderr.isatty()

    def _open(self, length: int, label: str, describe=None) -> None:
        self.close()
        if self.on_terminal:
            self.bar = click.progressbar(length=max(1, length), label=label, file=sys.stderr,
                                         item_show_func=describe, show_eta=True, show_percent=True)
            self.bar.__enter__()

    def reading(self, total_bytes: int) -> None:
        self._open(total_bytes, "reading", self.describe)

    def storing(self, articles: int) -> None:
        self._open(articles, "storing")

    def describe(self, _item=None) -> str:
        summary = self.summary
        elapsed = max(1e-6, time.monotonic() - self.started)
        return (f"{summary.records:,} records, {summary.html:,} pages, {summary.articles:,} articles, "
                f"{summary.html / elapsed:,.0f} pages/s")

    def advance(self, advanced: int = 1) -> None:
        if self.bar is not None and advanced:
            self.bar.update(advanced)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


def run_import(paths: Iterable[str], archive_path: str, *, filters: ImportFilters = ImportFilters(),
               copy: bool = False, processes: int = 0, lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
               timeout: float = DEFAULT_TIMEOUT, max_page_bytes: int = MAX_PAGE_BYTES) -> ImportSummary:
    """`newsarchive import`: the files under `paths` into the archive at `archive_path`
    (created if no file is there; another program's file is refused), under the archive's
    lock, with a row in `crawls` (spider `import`). Raises ArchiveError (one line) when the
    archive cannot be opened, locked or written."""
    paths = [str(p) for p in paths]
    files, problems = archive_files(paths)
    if not files:
        return ImportSummary(problems=problems)
    # As a crawl does: an existing file must be an archive this run can write before anything
    # is made beside it; a missing one is created last, when all else is known to be usable.
    missing = archive_kind(archive_path) == MISSING
    lock = None if missing else lock_archive(archive_path, purpose="import")
    try:
        capture_dir = Path(archive_path).with_name(Path(archive_path).name + "-warc")
        if copy:
            check_capture_dir(capture_dir)
        if missing:
            create_archive(archive_path, build_new_archive)
            lock = lock_archive(archive_path, purpose="import")
        check_writable(archive_path, timeout=lock_timeout)
        return _run(files, problems, paths, archive_path, filters=filters, copy_dir=capture_dir if copy else None,
                    processes=processes, lock_timeout=lock_timeout, timeout=timeout, max_page_bytes=max_page_bytes)
    finally:
        if lock is not None:
            lock.release()


def _run(files: list[Path], problems: list[str], paths: list[str], archive_path: str, *, filters: ImportFilters,
         copy_dir: Path | None, processes: int, lock_timeout: float, timeout: float,
         max_page_bytes: int) -> ImportSummary:
    """The import itself, the archive locked and known writable."""
    with Archive(archive_path, lock_timeout=lock_timeout, cache_kib=IMPORT_CACHE_KIB,
                 shingle_cache_size=IMPORT_SHINGLE_CACHE_SIZE) as archive:
        now = utc_now()
        crawls.mark_killed(archive.db, now)
        crawl_id = crawls.start_crawl(archive.db, spider="import",
                                      arguments={"files": paths, **filters.arguments(),
                                                 **({"copy": True} if copy_dir else {})},
                                      started=now, pid=os.getpid(), host=socket.gethostname())
        archive.flush()
        copy_to = None
        if copy_dir is not None:
            copy_to = WarcWriter(copy_dir, prefix="newsarchive-import", info={"isPartOf": "newsarchive-import"})
        importer = Importer(archive, filters=filters, processes=processes, copy_to=copy_to, timeout=timeout,
                            max_page_bytes=max_page_bytes)
        importer.summary.problems.extend(problems)
        total = 0
        for path in files:
            try:
                total += path.stat().st_size
            except OSError:
                pass
        progress = _Progress(importer.summary)
        importer.on_progress = progress.advance
        outcome = crawls.FINISHED
        try:
            left = imports.queued_count(archive.db)
            if left:
                progress.storing(left)
                importer.store_queue(on_article=progress.advance)
            progress.reading(total)
            importer.read_files(files)
        except BaseException as exc:
            # What is committed is whole (a file's progress with the articles stored before
            # it): the rest is undone, and the same command resumes from there.
            archive.db.conn.rollback()
            if not isinstance(exc, KeyboardInterrupt):
                _record_failure(archive, crawl_id, importer.summary, exc)
                raise
            importer.summary.interrupted = True
            outcome = crawls.SHUTDOWN
        finally:
            progress.close()
            if copy_to is not None:
                copy_to.close()
        crawls.update_crawl(archive.db, crawl_id, importer.summary.counts(), at=utc_now(), outcome=outcome,
                            finished=utc_now())
        archive.flush()
    return importer.summary


def _record_failure(archive: Archive, crawl_id: int, summary: ImportSummary, exc: BaseException) -> None:
    """The run's row says how it ended, when the archive can still be written."""
    try:
        crawls.update_crawl(archive.db, crawl_id, {**summary.counts(), "errors": {"failed": str(exc)[:200]}},
                            at=utc_now(), outcome="failed", finished=utc_now())
        archive.flush()
    except sqlite3.Error:
        pass  # the error that stopped the import is the one to report
