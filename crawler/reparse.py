"""Re-parse: run today's extractor over the raw captures the archive's articles were parsed
from, offline, and update the articles through the store's dedupe/revision logic.

Each article row points to its WARC response record (archive/warc.py). The record goes
through the same steps as a crawled page (crawler/parsing.py: Content-Encoding undone,
problem checks, extraction, validation, normalisation), then `Archive.store(...,
reparsed=True)`: a changed text field makes a revision as a revisit would; any other
changed field is updated in place; last_seen is left alone.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from archive.incremental import iso, parse_time
from archive.identity import connect_readonly
from archive.store import SAME_ARTICLE, Archive, Decision, record_url_keys, unchanged_by_reparse
from archive.warc import WarcError, locate, read_capture
from crawler.parsing import CapturedResponse, Skip, parse_response
from crawler.worker_pool import (CALLER_BOUND_BATCH, DEFAULT_TIMEOUT, TaskError, TaskTimeout, WorkerDied,
                                 WorkerPool)


@dataclass
class ReparseSummary:
    articles: int = 0
    outcomes: Counter = field(default_factory=Counter)  # unchanged, revised, updated
    fields: Counter = field(default_factory=Counter)  # field name -> articles it changed in
    not_articles: Counter = field(default_factory=Counter)  # why a capture gave no article now
    unreadable: list = field(default_factory=list)  # (article id, message)
    no_capture: int = 0

    @property
    def reparsed(self) -> int:
        """Articles whose capture was read and run through the extractor again."""
        return self.articles - len(self.unreadable) - self.no_capture

    @property
    def failed(self) -> bool:
        """Some capture could not be read: the run did not do all it was asked to."""
        return bool(self.unreadable)

    def lines(self) -> list[str]:
        """The summary; a failed run's first line says how many captures could not be read."""
        out = []
        if self.unreadable:
            n = len(self.unreadable)
            out.append(f"{n} capture{'s' if n != 1 else ''} could not be read: "
                       f"{n} article{'s' if n != 1 else ''} left as {'they were' if n != 1 else 'it was'}")
            out.extend(f"  article {article_id}: {message}" for article_id, message in self.unreadable[:20])
            if n > 20:
                out.append(f"  and {n - 20} more")
        changed = self.outcomes["revised"] + self.outcomes["updated"]
        of = f" of {self.articles}" if self.reparsed != self.articles else ""
        out.append(
            f"re-parsed {self.reparsed}{of} articles: {changed} changed "
            f"({self.outcomes['revised']} with a new revision, {self.outcomes['updated']} updated in place), "
            f"{self.outcomes['unchanged']} unchanged"
        )
        if self.fields:
            out.append("fields changed: " + ", ".join(f"{name} {n}" for name, n in sorted(self.fields.items())))
        if self.not_articles:
            out.append("left as they were, the extractor now finds no article: "
                       + ", ".join(f"{k} {v}" for k, v in sorted(self.not_articles.items())))
        if self.no_capture:
            out.append(f"articles without a capture (archived before captures were kept): {self.no_capture}")
        return out


def select_articles(archive: Archive, site: str | None = None, since: str | None = None) -> list[dict]:
    where, params = [], []
    if site:
        where.append("site = ?")
        params.append(site)
    if since:
        moment = parse_time(since)
        if moment is None:
            raise ValueError(f"--since is not a date or ISO 8601 time: {since!r}")
        where.append("coalesce(fetched_at, last_seen) >= ?")
        params.append(iso(moment))
    sql = "select id, url, warc_file, warc_offset, warc_record_id from articles"
    if where:
        sql += " where " + " and ".join(where)
    return list(archive.db.query(sql + " order by id", params))


def reparse(
    archive: Archive,
    rows: Iterable[dict],
    *,
    search: Iterable[str | Path] = (),
    seen_at: str | None = None,
    on_article: Callable[[dict], None] | None = None,
    processes: int = 0,
    timeout: float = DEFAULT_TIMEOUT,
) -> ReparseSummary:
    """Re-extract each article of `rows` (from `select_articles`) from its capture and store
    the result over it. `search`: directories to look for moved WARC files in. `processes`:
    captures read, extracted and compared in that many worker processes
    (crawler/worker_pool.py), what changed stored here, in the rows' order; 0: all in this
    process."""
    summary = ReparseSummary()
    search = [str(path) for path in search]
    archive_path = str(archive.path)

    def jobs():
        for row in rows:
            summary.articles += 1
            if on_article:
                on_article(row)
            if not row["warc_file"]:
                summary.no_capture += 1
                continue
            yield (archive_path, search, {k: row[k] for k in ("id", "url", "warc_file", "warc_offset", "warc_record_id")})

    with WorkerPool(processes, timeout=timeout, preload=("crawler.reparse",)) as pool:
        for (_, _, row), future in pool.map_in_order(reparse_one, jobs(), batch=CALLER_BOUND_BATCH):
            try:
                kind, value = future.result()
            except (WorkerDied, TaskTimeout, TaskError) as exc:
                summary.not_articles[type(exc).__name__] += 1
                continue
            if kind == "unreadable":
                summary.unreadable.append((row["id"], value))
            elif kind == "skip":
                summary.not_articles[value] += 1
            elif kind == "unchanged":
                summary.outcomes["unchanged"] += 1
            else:
                decision = Decision(SAME_ARTICLE, record_url_keys(value), row["id"])
                result = archive.store(value, decision, seen_at=seen_at, reparsed=True)
                summary.outcomes[result.outcome] += 1
                summary.fields.update(result.changed)
    # With processes=0 the reader was this process's: closed, so that the archive's last
    # connection at close is the writer's (it takes the archive out of WAL mode at rest).
    while _readers:
        _readers.popitem()[1].close()
    archive.flush()
    return summary


# Per worker process: the archive's read-only connection, opened on first use.
_readers: dict[str, sqlite3.Connection] = {}


def reparse_one(archive_path: str, search: list[str], row: dict) -> tuple[str, Any]:
    """What a worker does for one article: read its capture, run it through the pure
    function, and compare the result with the stored article through a read-only
    connection of its own. ("unchanged", None) when storing it would write nothing, so that
    the command's one writing process handles only what changes (and the costly part of
    every article is spread over the workers); ("record", record) to store; ("skip",
    reason) when the capture no longer gives an article; ("unreadable", message)."""
    pointer = {"file": row["warc_file"], "offset": row["warc_offset"], "record_id": row["warc_record_id"]}
    try:
        capture = read_capture(locate(row["warc_file"], archive_path, search), row["warc_offset"],
                               row["warc_record_id"])
    except WarcError as exc:
        return "unreadable", str(exc)
    record = parse_response(CapturedResponse.from_warc(capture, meta={"warc": pointer}))
    if isinstance(record, Skip):
        return "skip", record.reason
    reader = _readers.get(archive_path)
    if reader is None:
        reader = _readers[archive_path] = connect_readonly(archive_path)
    if unchanged_by_reparse(reader, row["id"], record):
        return "unchanged", None
    return "record", record
