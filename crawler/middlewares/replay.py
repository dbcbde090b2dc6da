"""Offline replay: every request answered from recorded pages or WARC captures."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from scrapy import Request
from scrapy.exceptions import DownloadCancelledError, NotConfigured
from scrapy.http import Headers
from scrapy.responsetypes import responsetypes
from scrapy.utils.asyncio import sleep

from archive.warc import read_capture, scan, warc_files
from crawler.responses import headers_from_pairs

logger = logging.getLogger(__name__)


def load_recordings(root: str | Path) -> dict[str, Path]:
    """URL -> directory of every recording (a directory with info.json) under `root`."""
    recordings: dict[str, Path] = {}
    for info_path in sorted(Path(root).rglob("info.json")):
        info = json.loads(info_path.read_text(encoding="utf-8"))
        recordings[info["url"]] = info_path.parent
    return recordings


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
