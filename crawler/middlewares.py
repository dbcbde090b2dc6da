"""Downloader middlewares: offline replay of recorded pages."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from scrapy import Request
from scrapy.exceptions import NotConfigured
from scrapy.http import Headers
from scrapy.responsetypes import responsetypes

logger = logging.getLogger(__name__)


def load_recordings(root: str | Path) -> dict[str, Path]:
    """URL -> directory of every recording (a directory with info.json) under `root`."""
    recordings: dict[str, Path] = {}
    for info_path in sorted(Path(root).rglob("info.json")):
        info = json.loads(info_path.read_text(encoding="utf-8"))
        recordings[info["url"]] = info_path.parent
    return recordings


class ReplayMiddleware:
    """Answers every request from recorded pages (REPLAY_DIR), so a crawl runs offline
    through the real scheduler, middlewares and pipelines. A request with no recording gets
    an empty 404, counted as `replay/miss`; nothing ever reaches the network."""

    def __init__(self, root: Path, stats):
        self.recordings = load_recordings(root)
        if not self.recordings:
            raise ValueError(f"REPLAY_DIR {root} holds no recordings (no info.json files)")
        self.stats = stats
        logger.info("Replaying %d recorded responses from %s", len(self.recordings), root)

    @classmethod
    def from_crawler(cls, crawler):
        root = crawler.settings.get("REPLAY_DIR")
        if not root:
            raise NotConfigured("REPLAY_DIR not set")
        if not Path(root).is_dir():
            raise ValueError(f"REPLAY_DIR is not a directory: {root}")
        return cls(Path(root), crawler.stats)

    def process_request(self, request: Request):
        directory = self.recordings.get(request.url)
        if directory is None:
            self.stats.inc_value("replay/miss")
            logger.info("No recording for %s: answering 404", request.url)
            return responsetypes.from_args(url=request.url, body=b"")(
                url=request.url, status=404, body=b"", request=request, flags=["replay", "replay-miss"]
            )
        info = json.loads((directory / "info.json").read_text(encoding="utf-8"))
        body = (directory / info.get("body", "body.html")).read_bytes()
        headers = Headers(info.get("headers") or {})
        flags = ["replay"]
        declared = headers.get(b"Content-Length")
        if declared is not None and int(declared) > len(body):
            # What the live downloader reports for a connection cut mid-body.
            flags.append("dataloss")
            self.stats.inc_value("replay/dataloss")
        self.stats.inc_value("replay/hit")
        cls = responsetypes.from_args(headers=headers, url=request.url, body=body)
        return cls(
            url=request.url,
            status=int(info.get("status", 200)),
            headers=headers,
            body=body,
            request=request,
            flags=flags,
        )
