"""Raw captures: every response the crawl receives, written to WARC files."""

from __future__ import annotations

import logging

from scrapy import Request, signals
from scrapy.exceptions import NotConfigured

from archive.warc import WarcError, WarcWriter, pointer_path
from crawler import checked_settings
from crawler.responses import header_pairs

logger = logging.getLogger(__name__)


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
        directory = checked_settings.capture_dir(settings)
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
