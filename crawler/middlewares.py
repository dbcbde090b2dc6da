"""Downloader middlewares, in the order a request meets them:

- IncrementalMiddleware (75, after the offsite filter, before robots.txt): article requests (`meta["article"]`) the
  archive already holds are dropped before they are sent, unless a revisit is due.
- CaptureMiddleware (920, below the HTTP cache): every response received is written to WARC, before anything
  (decompression, redirects, retries) changes or consumes it.
- ReplayMiddleware (950, last before the network): answers every request from recorded
  pages (REPLAY_DIR) or from WARC captures (REPLAY_WARC) instead of the network.

and one spider middleware:

- FrontierMiddleware (600): article links found on article pages are kept in the archive
  until they are archived, so a killed crawl's next run still fetches them.

Each raises NotConfigured when its setting is off and counts its work in the stats under
its own prefix (`incremental/`, `capture/`, `replay/`).
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from pathlib import Path

from scrapy import Request, signals
from scrapy.exceptions import DownloadCancelledError, IgnoreRequest, NotConfigured
from scrapy.http import Headers
from scrapy.responsetypes import responsetypes
from scrapy.utils.asyncio import sleep

from archive import incremental
from archive.warc import WarcError, WarcWriter, pointer_path, read_capture, scan, warc_files
from crawler import scheduling
from crawler.crawl_archive import STORAGE_ERRORS, NotStored, archive_failed, archive_for, failure

logger = logging.getLogger(__name__)


# -- offline replay ------------------------------------------------------------------------


def load_recordings(root: str | Path) -> dict[str, Path]:
    """URL -> directory of every recording (a directory with info.json) under `root`."""
    recordings: dict[str, Path] = {}
    for info_path in sorted(Path(root).rglob("info.json")):
        info = json.loads(info_path.read_text(encoding="utf-8"))
        recordings[info["url"]] = info_path.parent
    return recordings


def headers_from_pairs(pairs) -> Headers:
    grouped: dict[str, list[str]] = {}
    for name, value in pairs:
        grouped.setdefault(name, []).append(value)
    return Headers(grouped)


class RecordedPages:
    """Recordings in the fixtures format (fixtures/README.md): a directory per page."""

    def __init__(self, root: Path):
        self.recordings = load_recordings(root)
        if not self.recordings:
            raise ValueError(f"REPLAY_DIR {root} holds no recordings (no info.json files)")
        logger.info("Replaying %d recorded responses from %s", len(self.recordings), root)

    def lookup(self, url: str):
        directory = self.recordings.get(url)
        if directory is None:
            return None
        info = json.loads((directory / "info.json").read_text(encoding="utf-8"))
        body = (directory / info.get("body", "body.html")).read_bytes()
        return int(info.get("status", 200)), Headers(info.get("headers") or {}), body, []


class WarcCaptures:
    """Response records of WARC files (a crawl's captures): the last capture of a URL wins.
    Every whole record of a damaged file is used (a crash's cut, overwritten bytes); its
    damaged ranges are logged and the file counted as `replay/warc_damaged`."""

    def __init__(self, root: Path, stats):
        self.index: dict[str, tuple[Path, int, str]] = {}
        for path in warc_files([root]):
            result = scan(path)
            if not result.ok:
                stats.inc_value("replay/warc_damaged")
                logger.warning("Damaged capture file: %s", result.describe())
            for entry in result.records:
                if entry["type"] == "response":
                    self.index[entry["url"]] = (path, entry["offset"], entry["record_id"])
        if not self.index:
            raise ValueError(f"REPLAY_WARC {root} holds no WARC response records")
        logger.info("Replaying %d captured responses from %s", len(self.index), root)

    def lookup(self, url: str):
        found = self.index.get(url)
        if found is None:
            return None
        capture = read_capture(*found)
        flags = ["dataloss"] if capture.truncated else []
        return capture.status, headers_from_pairs(capture.headers), capture.body, flags


class ReplayMiddleware:
    """Answers every request from recorded pages (REPLAY_DIR) or from WARC captures
    (REPLAY_WARC, a directory or file), so a crawl runs offline through the real scheduler,
    middlewares and pipelines. A request with no recording gets an empty 404, counted as
    `replay/miss`; nothing ever reaches the network. REPLAY_DELAY makes every answer take
    that many seconds (a slow site, e.g. to stop a crawl midway in a test)."""

    def __init__(self, source, stats, delay: float = 0.0, maxsize: int = 0):
        self.source = source
        self.stats = stats
        self.delay = delay
        self.maxsize = maxsize

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        root, warc = settings.get("REPLAY_DIR"), settings.get("REPLAY_WARC")
        if not root and not warc:
            raise NotConfigured  # a live crawl: the usual case, no message (Scrapy logs one as a warning)
        if root and warc:
            raise ValueError("set REPLAY_DIR or REPLAY_WARC, not both")
        if root:
            if not Path(root).is_dir():
                raise ValueError(f"REPLAY_DIR is not a directory: {root}")
            source = RecordedPages(Path(root))
        else:
            if not Path(warc).exists():
                raise ValueError(f"REPLAY_WARC does not exist: {warc}")
            source = WarcCaptures(Path(warc), crawler.stats)
        return cls(source, crawler.stats, settings.getfloat("REPLAY_DELAY", 0.0), settings.getint("DOWNLOAD_MAXSIZE"))

    async def process_request(self, request: Request):
        if self.delay:
            await sleep(self.delay)
        found = self.source.lookup(request.url)
        if found is None:
            self.stats.inc_value("replay/miss")
            logger.info("No recording for %s: answering 404", request.url)
            return responsetypes.from_args(url=request.url, body=b"")(
                url=request.url, status=404, body=b"", request=request, flags=["replay", "replay-miss"]
            )
        status, headers, body, flags = found
        maxsize = request.meta.get("download_maxsize", self.maxsize)
        if maxsize and len(body) > maxsize:
            # What the live downloader does with a body over DOWNLOAD_MAXSIZE (same message).
            self.stats.inc_value("replay/over_maxsize")
            raise DownloadCancelledError(
                f"Received {len(body)} bytes which is larger than download max size ({maxsize}) in request {request}."
            )
        flags = ["replay", *flags]
        declared = headers.get(b"Content-Length")
        if declared is not None and int(declared) > len(body) and "dataloss" not in flags:
            # What the live downloader reports for a connection cut mid-body.
            flags.append("dataloss")
        if "dataloss" in flags:
            self.stats.inc_value("replay/dataloss")
        self.stats.inc_value("replay/hit")
        cls = responsetypes.from_args(headers=headers, url=request.url, body=body)
        return cls(url=request.url, status=status, headers=headers, body=body, request=request, flags=flags)


# -- raw captures ------------------------------------------------------------------------------


def header_pairs(headers: Headers) -> list[tuple[str, str]]:
    return [
        (name.decode("latin-1"), value.decode("latin-1"))
        for name, values in headers.items()
        for value in values
    ]


class CaptureMiddleware:
    """Writes every response the crawl receives (articles, listings, feeds, robots.txt,
    redirects, error pages, each retry) with its request to WARC files in CAPTURE_DIR, as
    the downloader delivered it: before decompression, redirects and retries. Sets
    `request.meta["warc"]` to where the response record is, which article items carry to
    the archive. CAPTURE_ENABLED=False turns it off."""

    def __init__(self, writer: WarcWriter, archive_path: str, stats):
        self.writer = writer
        self.archive_path = archive_path
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        if not settings.getbool("CAPTURE_ENABLED"):
            raise NotConfigured("CAPTURE_ENABLED is off")
        directory = scheduling.capture_dir(settings)
        spider = crawler.spider.name if crawler.spider else "crawl"
        try:
            writer = WarcWriter(
                directory,
                prefix=settings.get("CAPTURE_FILE_PREFIX") or f"{settings.get('BOT_NAME')}-{spider}",
                max_file_size=settings.getint("CAPTURE_MAX_FILE_SIZE"),
                info={"isPartOf": f"{settings.get('BOT_NAME')}-{spider}",
                      "http-header-user-agent": settings.get("USER_AGENT"),
                      "robots": "obey" if settings.getbool("ROBOTSTXT_OBEY") else "ignore"},
            )
        except WarcError as exc:
            raise ValueError(str(exc)) from None
        mw = cls(writer, settings.get("ARCHIVE_PATH"), crawler.stats)
        crawler.signals.connect(mw.spider_closed, signal=signals.spider_closed)
        logger.info("Capturing responses as WARC in %s", directory)
        return mw

    def process_response(self, request: Request, response):
        request_headers = header_pairs(request.headers)
        if not any(name.lower() == "host" for name, _ in request_headers):
            host = request.url.split("://", 1)[-1].split("/", 1)[0]
            request_headers.insert(0, ("Host", host))
        pointer = self.writer.write_exchange(
            url=response.url,
            method=request.method,
            request_headers=request_headers,
            request_body=request.body,
            status=response.status,
            response_headers=header_pairs(response.headers),
            body=response.body,
            protocol=getattr(response, "protocol", None),
            truncated="disconnect" if "dataloss" in response.flags else None,
            extra={"WARC-Newsarchive-Article": "1"} if request.meta.get("article") else None,
        )
        request.meta["warc"] = {
            "file": pointer_path(pointer.file, self.archive_path),
            "offset": pointer.offset,
            "record_id": pointer.record_id,
        }
        self.stats.inc_value("capture/records")
        self.stats.inc_value("capture/bytes", len(response.body))
        self.stats.set_value("capture/files", len(self.writer.files))
        return response

    def spider_closed(self, reason):
        self.writer.close()


# -- incremental crawling ----------------------------------------------------------------------


class ArchiveSkip(IgnoreRequest):
    """An article request not sent because of what the archive holds."""


def request_state(request: Request) -> dict:
    """What the frontier keeps of an article request: JSON, the callback by name (requests
    of this convention carry JSON-able meta and spider-method callbacks)."""
    return {
        "url": request.url,
        "callback": getattr(request.callback, "__name__", None),
        "errback": getattr(request.errback, "__name__", None),
        "meta": {k: v for k, v in request.meta.items() if k in ("article",) or not k.startswith(("download_", "depth"))},
        "priority": request.priority,
        "cb_kwargs": request.cb_kwargs,
    }


def request_from_state(state: dict, spider) -> Request | None:
    callback = getattr(spider, state["callback"], None) if state.get("callback") else None
    errback = getattr(spider, state["errback"], None) if state.get("errback") else None
    if state.get("callback") and callback is None:
        return None  # the spider no longer has that method
    return Request(state["url"], callback=callback, errback=errback, meta=dict(state.get("meta") or {}),
                   priority=state.get("priority", 0), cb_kwargs=dict(state.get("cb_kwargs") or {}))


class IncrementalMiddleware:
    """Drops article requests (`meta["article"]`, see crawler/spiders/base.py) for pages the
    archive already holds, before they are sent, unless the revisit policy
    (INCREMENTAL_REVISIT) says they are due; retries article pages that gave no article
    (INCREMENTAL_RETRY_FAILED) with a doubling delay. Other requests pass untouched.

    Stats: `incremental/new`, `incremental/revisit`, `incremental/retry` (sent) and
    `incremental/skipped/archived|duplicate|failed` (not sent); `incremental/failed/<reason>`
    for article pages recorded as failed when the crawl closes."""

    def __init__(self, crawler, archive, revisit, retry):
        self.crawler = crawler
        self.settings = crawler.settings
        self.stats = crawler.stats
        self.archive = archive
        self.revisit = revisit
        self.retry = retry
        # Article requests answered but not (yet) archived, by URL: what to record as failed
        # at the end. Entries leave when their item is stored, so this stays small.
        self.pending: dict[str, str] = {}
        self.recovered: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        if not settings.getbool("INCREMENTAL_ENABLED"):
            raise NotConfigured("INCREMENTAL_ENABLED is off")
        mw = cls(crawler, None, scheduling.revisit_policy(settings), scheduling.retry_policy(settings))
        # Connected before the archive is opened: the archive closes on spider_closed, after
        # the handlers connected before it, and the failures are written to it.
        crawler.signals.connect(mw.record_failures, signal=scheduling.run_closing)
        crawler.signals.connect(mw.record_failures, signal=signals.spider_closed)
        mw.archive = archive_for(crawler)
        scheduling.apply_crawl_now(settings, mw.archive)
        crawler.signals.connect(mw.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(mw.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(mw.item_error, signal=signals.item_error)
        logger.info("Incremental crawl: %s; failed article pages retried after %s, doubling",
                    mw.revisit.describe(), mw.retry.after)
        return mw

    def process_request(self, request: Request):
        if not request.meta.get("article") or request.meta.get("incremental_checked") == request.url:
            return None  # not an article, or a retry of a request already let through
        request.meta["incremental_checked"] = request.url
        if failure(self.crawler):
            raise IgnoreRequest(f"the archive failed: {request.url}")
        try:
            state = incremental.url_state(self.archive.db, request.url)
        except STORAGE_ERRORS as exc:
            archive_failed(self.crawler, exc)
            raise IgnoreRequest(f"the archive failed: {request.url}") from None
        verdict = incremental.decide(state, now=scheduling.now(self.settings), revisit=self.revisit, retry=self.retry)
        if verdict in (incremental.NEW, incremental.REVISIT, incremental.RETRY):
            self.stats.inc_value(f"incremental/{verdict}")
            if verdict == incremental.RETRY:
                self.recovered.add(request.url)
            return None
        self.stats.inc_value(f"incremental/skipped/{verdict}")
        if verdict in (incremental.ARCHIVED, incremental.DUPLICATE):
            self._write(incremental.forget_link, request.url)  # a failed link stays, for its retry
        logger.debug("Not fetching %s: %s", request.url, verdict)
        raise ArchiveSkip(f"{verdict}: {request.url}")

    def process_response(self, request: Request, response):
        if request.meta.get("article"):
            self.pending[request.url] = f"http_{response.status}" if response.status >= 400 else "no_article"
        return response

    def process_exception(self, request: Request, exception):
        if not request.meta.get("article"):
            return None
        if isinstance(exception, IgnoreRequest) and not isinstance(exception, ArchiveSkip):
            # Refused by robots.txt or the offsite filter: it never will be fetched.
            self._write(incremental.forget_link, request.url)
        elif isinstance(exception, DownloadCancelledError) and "max size" in str(exception):
            # Over DOWNLOAD_MAXSIZE: it would be cut again on every run; retried as failures are.
            self.pending[request.url] = "too_big"
        return None

    def _url(self, response) -> str | None:
        request = getattr(response, "request", None)
        return request.url if request is not None else None

    def _write(self, change, *args) -> bool:
        """Apply an incremental-state change to the archive; a storage error stops the crawl
        (crawler.crawl_archive) and the change is left for the next run."""
        if failure(self.crawler):
            return False
        try:
            change(self.archive.db, *args)
        except STORAGE_ERRORS as exc:
            archive_failed(self.crawler, exc)
            return False
        return True

    def item_scraped(self, item, response):
        url = self._url(response)
        if url is None:
            return
        self.pending.pop(url, None)
        at = self.archive.clock()
        self._write(incremental.forget_link, url)
        if url in self.recovered:
            self._write(incremental.clear_failure, url)
        redirects = response.meta.get("redirect_urls") or []
        if redirects and not failure(self.crawler):
            # The URLs that redirected here are this article too: skip them next time.
            try:
                added = incremental.add_url_aliases(self.archive.db, response.url, redirects, at)
            except STORAGE_ERRORS as exc:
                archive_failed(self.crawler, exc)
                return
            self.stats.inc_value("incremental/aliases", added)
            for alias in redirects:
                self._write(incremental.forget_link, alias)

    def item_dropped(self, item, response, exception):
        url = self._url(response)
        if isinstance(exception, NotStored):
            # Our failure to store it, not the page's: fetch it again next run.
            if url is not None:
                self.pending.pop(url, None)
        elif url is not None:
            reason = str(exception).split(":", 1)[0].strip().replace(" ", "_")[:60] or "dropped"
            self.pending[url] = reason

    def item_error(self, item, response, failure):
        # Our own failure to store it, not the page's: fetch it again next run.
        url = self._url(response)
        if url is not None:
            self.pending.pop(url, None)

    def record_failures(self):
        """Record the article pages answered without giving an article, once, when the
        crawl closes (on `run_closing`, so the run's counts include them)."""
        if not self.pending:
            return
        if failure(self.crawler):
            logger.warning("Not recording %d failed article pages: the archive failed", len(self.pending))
            self.pending.clear()
            return
        if getattr(self.crawler, "newsarchive_archive", None) is not self.archive:
            logger.error("Archive closed before %d failed article pages were recorded", len(self.pending))
            return
        at = self.archive.clock()
        counts = Counter(self.pending.values())
        for url, why in self.pending.items():
            if not self._write(incremental.record_failure, url, why, at):
                break
        for why, n in counts.items():
            self.stats.inc_value(f"incremental/failed/{why}", n)
        self.pending.clear()


class FrontierMiddleware:
    """Spider middleware that keeps, in the archive, the article links found on article
    pages (related lists) until they are archived, and hands them to the crawl again at its
    next start. Without it a crawl killed after storing an article but before fetching its
    links would lose them: the article is archived, so it is not fetched (nor its links
    found) again. The links of a page are written before its record (the record is held
    back until the callback ends), so a committed article never has unrecorded links.

    Stats: `frontier/remembered`, `frontier/resumed`. On with INCREMENTAL_ENABLED."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.stats = crawler.stats
        self.archive = None

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("INCREMENTAL_ENABLED"):
            raise NotConfigured("INCREMENTAL_ENABLED is off")
        mw = cls(crawler)
        mw.archive = archive_for(crawler)
        return mw

    async def process_start(self, start):
        async for obj in start:
            yield obj
        spider = self.crawler.spider
        for entry in incremental.frontier(self.archive.db):
            request = request_from_state(entry["request"], spider)
            if request is not None:
                self.stats.inc_value("frontier/resumed")
                yield request

    async def process_spider_output(self, response, result):
        request = getattr(response, "request", None)
        if request is None or not request.meta.get("article"):
            async for obj in result:
                yield obj
            return
        held = []
        async for obj in result:
            if isinstance(obj, Request):
                if obj.meta.get("article") and not failure(self.crawler):
                    try:
                        incremental.remember_link(self.archive.db, obj.url, request_state(obj), response.url,
                                                  self.archive.clock())
                    except STORAGE_ERRORS as exc:
                        archive_failed(self.crawler, exc)
                    else:
                        self.stats.inc_value("frontier/remembered")
                yield obj
            else:
                held.append(obj)
        for obj in held:
            yield obj
