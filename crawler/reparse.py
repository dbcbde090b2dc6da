"""Re-parse: run today's extractor over the raw captures the archive's articles were parsed
from, offline, and update the articles through the store's dedupe/revision logic.

Each article row points to its WARC response record (archive/warc.py). The record becomes
the Scrapy response the spider saw (decompressed as the HTTP compression middleware would,
flagged "dataloss" when it was cut short), then goes the crawl's way: the spider's
`article_item` (problem checks and extraction), the Validate and Normalize pipelines, and
`Archive.store(..., reparsed=True)`: a changed text field makes a revision as a revisit
would; any other changed field is updated in place; last_seen is left alone.
"""

from __future__ import annotations

import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Callable, Iterable

from itemadapter import ItemAdapter
from scrapy import Request
from scrapy.exceptions import DropItem
from scrapy.http import Headers
from scrapy.responsetypes import responsetypes
from scrapy.utils.gz import gunzip

from archive.incremental import iso, parse_time
from archive.store import SAME_ARTICLE, Archive, Decision, record_url_keys
from archive.warc import Capture, WarcError, locate, read_capture
from crawler.pipelines.normalization import NormalizePipeline
from crawler.pipelines.validation import ValidatePipeline
from crawler.spiders.base import ArticleSpider


class CountingStats:
    """The slice of Scrapy's stats collector the spider and pipelines use."""

    def __init__(self):
        self.values: Counter = Counter()

    def inc_value(self, key, count=1, start=0):
        self.values[key] += count

    def set_value(self, key, value):
        self.values[key] = value

    def get_value(self, key, default=None):
        return self.values.get(key, default)


def decode_body(body: bytes, headers: Headers) -> tuple[bytes, Headers]:
    """The body as the spider sees it: Content-Encoding undone (gzip, deflate, br when the
    brotli module is installed), the header then removed, as Scrapy's middleware does."""
    encodings = [e.strip().lower() for e in headers.get(b"Content-Encoding", b"").decode("latin-1").split(",") if e.strip()]
    if not encodings:
        return body, headers
    for encoding in reversed(encodings):
        if encoding in ("gzip", "x-gzip"):
            body = gunzip(body)
        elif encoding == "deflate":
            try:
                body = zlib.decompress(body)
            except zlib.error:
                body = zlib.decompress(body, -15)
        elif encoding == "br":
            import brotli  # only needed for captures of brotli-compressed responses

            body = brotli.decompress(body)
        elif encoding != "identity":
            return body, headers  # unknown: leave it as received
    headers = headers.copy()
    del headers[b"Content-Encoding"]
    return body, headers


def response_from_capture(capture: Capture, pointer: dict | None = None):
    grouped: dict[str, list[str]] = {}
    for name, value in capture.headers:
        grouped.setdefault(name, []).append(value)
    headers = Headers(grouped)
    flags = ["warc"]
    declared = headers.get(b"Content-Length")
    if capture.truncated or (declared is not None and declared.isdigit() and int(declared) > len(capture.body)):
        flags.append("dataloss")
    body, headers = decode_body(capture.body, headers)
    request = Request(capture.url, meta={"warc": pointer} if pointer else {})
    cls = responsetypes.from_args(headers=headers, url=capture.url, body=body)
    return cls(url=capture.url, status=capture.status, headers=headers, body=body, request=request, flags=flags)


class Reparser:
    """Turns captures into normalised records the way a crawl does."""

    def __init__(self):
        self.stats = CountingStats()
        shim = SimpleNamespace(stats=self.stats, settings=None)
        self.spider = ArticleSpider(name="reparse")
        self.spider.crawler = shim
        self.validate = ValidatePipeline(shim)
        self.normalize = NormalizePipeline(shim)

    def _skipped(self) -> dict:
        return {k: v for k, v in self.stats.values.items() if k.startswith("pages/skipped/")}

    def record(self, capture: Capture, pointer: dict | None = None) -> tuple[dict | None, str | None]:
        """(record, None), or (None, why it gives no article)."""
        before = self._skipped()
        item = self.spider.article_item(response_from_capture(capture, pointer))
        if item is None:
            after = self._skipped()
            grown = [k for k in after if after[k] > before.get(k, 0)]
            return None, grown[0].rsplit("/", 1)[-1] if grown else "no_article"
        try:
            item = self.normalize.process_item(self.validate.process_item(item))
        except DropItem as exc:
            return None, str(exc).split(":", 1)[0]
        record = ItemAdapter(item).asdict()
        record.pop("dedupe", None)
        return record, None


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
    reparser: Reparser | None = None,
    seen_at: str | None = None,
    on_article: Callable[[dict], None] | None = None,
) -> ReparseSummary:
    """Re-extract each article of `rows` (from `select_articles`) from its capture and store
    the result over it. `search`: directories to look for moved WARC files in."""
    reparser = reparser or Reparser()
    summary = ReparseSummary()
    search = list(search)
    for row in rows:
        summary.articles += 1
        if on_article:
            on_article(row)
        if not row["warc_file"]:
            summary.no_capture += 1
            continue
        pointer = {"file": row["warc_file"], "offset": row["warc_offset"], "record_id": row["warc_record_id"]}
        try:
            capture = read_capture(locate(row["warc_file"], archive.path, search), row["warc_offset"], row["warc_record_id"])
        except WarcError as exc:
            summary.unreadable.append((row["id"], str(exc)))
            continue
        record, why = reparser.record(capture, pointer)
        if record is None:
            summary.not_articles[why] += 1
            continue
        decision = Decision(SAME_ARTICLE, record_url_keys(record), row["id"])
        result = archive.store(record, decision, seen_at=seen_at, reparsed=True)
        summary.outcomes[result.outcome] += 1
        summary.fields.update(result.changed)
    archive.flush()
    return summary
