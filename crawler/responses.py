"""Scrapy's responses and headers as plain data, and back: what crawler/parsing.py and the
WARC files (archive/warc.py) take, and what offline replay answers with."""

from __future__ import annotations

from datetime import datetime, timezone

from scrapy.http import Headers, Response

from crawler.parsing import CapturedResponse


def header_pairs(headers: Headers) -> list[tuple[str, str]]:
    """(name, value) pairs, a repeated header repeated."""
    return [
        (name.decode("latin-1"), value.decode("latin-1"))
        for name, values in headers.items()
        for value in values
    ]


def headers_from_pairs(pairs) -> Headers:
    grouped: dict[str, list[str]] = {}
    for name, value in pairs:
        grouped.setdefault(name, []).append(value)
    return Headers(grouped)


def captured_response(response: Response) -> CapturedResponse:
    """A response the spider received, fetched now; `meta["warc"]` says where the capture
    middleware wrote it."""
    request = response.request
    warc = request.meta.get("warc") if request is not None else None
    return CapturedResponse(
        url=response.url,
        body=response.body,
        status=response.status,
        headers=tuple(header_pairs(response.headers)),
        truncated="dataloss" in response.flags,
        meta={"warc": warc} if warc else {},
        fetched_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
    )
