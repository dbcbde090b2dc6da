"""What a crawl asks of each page it fetches, as functions the extraction workers run
(crawler/page_workers.py, crawler/worker_pool.py): the costly part of a page, pure, with
picklable arguments and results, so that it gives the same answer in a worker process and
in the crawl's own process (EXTRACTION_PROCESSES=0).

    article_page(CapturedResponse) -> dict | Skip
        the record as extracted (crawler/parsing.py's `extract_response`; the pipelines
        validate and normalise it) with its dedupe keys, or why there is none
    news_page(CapturedResponse, listed_as_article) -> NewsPage
        for the `news` spider, which meets pages it knows nothing about: what kind of page it
        is, its record when it is an article, and the links a listing or an article offers
    saved_page(path, url, id) -> dict
        `newsarchive extract`'s line for a page saved to a file

No Scrapy here.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from archive.dedupe import fingerprint
from crawler.extraction import ExtractionError, Page, discovery
from crawler.extraction.discovery import pagetype
from crawler.normalize import normalized_fields
from crawler.parsing import CapturedResponse, Skip, extract_page, extract_response, last_header


def dedupe_keys(record: dict[str, Any]) -> dict[str, Any]:
    """The body's content hash and MinHash bands (archive/dedupe.py) as the archive will
    compute them from the stored, normalised body: the writer then does not."""
    content_hash, bands = fingerprint(normalized_fields(record)["body"])
    return {"content_hash": content_hash, "bands": bands}


def article_page(response: CapturedResponse) -> dict[str, Any] | Skip:
    record = extract_response(response)
    if isinstance(record, dict):
        record["dedupe"] = dedupe_keys(record)
    return record


@dataclass
class NewsPage:
    """What the news spider needs of one fetched page."""

    kind: str  # "article", "listing", "other", or "unreadable" (then `problem` says why)
    problem: Skip | None = None
    record: dict[str, Any] | Skip | None = None  # for an article: article_page's answer
    # Every link of the page but itself, with the kind its URL looks like (pagetype.url_kind).
    links: list[tuple[str, str]] = field(default_factory=list)
    next_url: str | None = None


def news_page(response: CapturedResponse, listed_as_article: bool = False) -> NewsPage:
    """Classify the page (crawler/extraction/discovery/pagetype.py), find its links, and extract it
    when it is an article. `listed_as_article`: a feed or a news sitemap lists it as one."""
    headers = {"content-type": last_header(response.headers, "Content-Type") or ""}
    try:
        page = Page.from_bytes(response.url, response.body, headers)
    except ExtractionError as exc:
        return NewsPage("unreadable", problem=Skip(exc.reason, str(exc), "extraction"))
    kind = pagetype.page_kind(response.url, page)
    if kind == "other" and listed_as_article:
        kind = "article"
    links = discovery.page_links(page)
    result = NewsPage(
        kind,
        links=[(link.url, pagetype.url_kind(link.url)) for link in links if link.url != response.url],
        next_url=discovery.next_page_url(page, links),
    )
    if kind == "article":
        result.record = article_page(response)
    return result


# -- saved pages (`newsarchive extract`) ---------------------------------------------------------

# One page's bytes at most; bigger inputs are refused rather than read into memory.
MAX_PAGE_BYTES = 50 * 1024 * 1024


def read_page(path: str) -> bytes:
    p = Path(path)
    size = p.stat().st_size
    if size > MAX_PAGE_BYTES:
        raise ValueError(f"{path} is {size} bytes, over the {MAX_PAGE_BYTES} byte limit")
    data = p.read_bytes()
    if p.suffix == ".gz" or data[:2] == b"\x1f\x8b":
        with gzip.open(p, "rb") as fh:
            data = fh.read(MAX_PAGE_BYTES + 1)
        if len(data) > MAX_PAGE_BYTES:
            raise ValueError(f"{path} unpacks to over {MAX_PAGE_BYTES} bytes")
    return data


def saved_page(path: str, url: str | None, case_id=None) -> dict:
    """`newsarchive extract`'s line for one saved page: its record, or why there is none."""
    out: dict = {"id": case_id} if case_id is not None else {}
    try:
        body = read_page(path)
    except (OSError, ValueError) as exc:
        return {**out, "path": path, "url": url, "error": f"{type(exc).__name__}: {exc}"}
    record = extract_page(url or Path(path).resolve().as_uri(), body)
    if isinstance(record, Skip):
        return {**out, "path": path, "url": url, "error": f"{record.reason}: {record.message}"}
    return {**out, **record}
