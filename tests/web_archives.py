"""Web archive files as other tools write them, made from the recorded pages, for the import
tests and benchmark: CC-NEWS-like WARC (warcio's writer, one gzip member per record, many
sites), WARC with revisit records, ARC 1.0 (written by hand: no library here writes ARC)."""

from __future__ import annotations

import gzip
import io
import json
import random
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from tests.conftest import recordings


@dataclass
class Page:
    url: str
    body: bytes
    headers: list[tuple[str, str]]
    status: int = 200
    kind: str = "article"  # expected.json's kind


def recorded_pages(site: str = "ecns") -> list[Page]:
    """The recorded pages of a site (fixtures/<site>/*/), as they were served."""
    pages = []
    for directory in recordings(site):
        info = json.loads((directory / "info.json").read_text(encoding="utf-8"))
        expected = json.loads((directory / "expected.json").read_text(encoding="utf-8"))
        body = (directory / info.get("body", "body.html")).read_bytes()
        headers = [(k, v) for k, v in (info.get("headers") or {}).items()]
        pages.append(Page(info["url"], body, headers, int(info.get("status", 200)), expected["kind"]))
    return pages


def warc_date(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_response(writer: WARCWriter, url: str, body: bytes, headers, date: datetime, status: int = 200,
                   protocol: str = "HTTP/1.1"):
    """One response record; returns the record (its ids and digests)."""
    http = StatusAndHeaders(f"{status} {'OK' if status == 200 else 'Error'}", list(headers), protocol=protocol)
    record = writer.create_warc_record(url, "response", payload=io.BytesIO(body), length=len(body),
                                       warc_headers_dict={"WARC-Date": warc_date(date)}, http_headers=http)
    writer.write_record(record)
    return record


def cc_news_warc(path: Path, pages: list[Page], start: datetime, step: timedelta = timedelta(seconds=7)) -> Path:
    """A CC-NEWS-like .warc.gz: a warcinfo record, then one response record per page (one
    gzip member each), dated `start`, `start + step`..."""
    with open(path, "wb") as fh:
        writer = WARCWriter(fh, gzip=True, warc_version="1.0")
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "test CC-NEWS-like writer",
                                                                      "isPartOf": "CC-NEWS"}))
        for n, page in enumerate(pages):
            write_response(writer, page.url, page.body, page.headers, start + n * step, page.status)
    return path


def arc_file(path: Path, pages: list[Page], start: datetime, compressed: bool = False) -> Path:
    """An ARC 1.0 file (the Internet Archive's format before WARC): a filedesc record, then
    one record per page: a header line (URL, IP, date, type, length) and the HTTP response."""
    def record(header: str, block: bytes) -> bytes:
        return header.encode("utf-8") + b"\n" + block + b"\n"

    head = b"1 0 Test archive\nURL IP-address Archive-date Content-type Archive-length\n"
    stamp = start.strftime("%Y%m%d%H%M%S")
    records = [record(f"filedesc://{path.name} 0.0.0.0 {stamp} text/plain {len(head)}", head)]
    for n, page in enumerate(pages):
        http = f"HTTP/1.0 {page.status} OK\r\n".encode() + b"".join(
            f"{k}: {v}\r\n".encode("utf-8") for k, v in page.headers if k.lower() != "content-length"
        ) + f"Content-Length: {len(page.body)}\r\n\r\n".encode() + page.body
        content_type = next((v for k, v in page.headers if k.lower() == "content-type"), "text/html").split(";")[0]
        stamp = (start + timedelta(seconds=n)).strftime("%Y%m%d%H%M%S")
        records.append(record(f"{page.url} 127.0.0.1 {stamp} {content_type} {len(http)}", http))
    data = b"".join(gzip.compress(r) for r in records) if compressed else b"".join(records)
    path.write_bytes(data)
    return path


def raw_response_record(url: str, http: bytes, date: datetime, version: str = "1.0", compress: bool = True) -> bytes:
    """One response record written byte by byte, gzipped as a member of its own: for HTTP
    blocks no writer would produce (header bytes that are not UTF-8), and WARC versions
    current writers no longer write (0.17, 0.18)."""
    import uuid

    head = (f"WARC/{version}\r\nWARC-Type: response\r\nWARC-Target-URI: {url}\r\nWARC-Date: {warc_date(date)}\r\n"
            f"WARC-Record-ID: <urn:uuid:{uuid.uuid4()}>\r\nContent-Type: application/http; msgtype=response\r\n"
            f"Content-Length: {len(http)}\r\n\r\n").encode("ascii")
    record = head + http + b"\r\n\r\n"
    return gzip.compress(record) if compress else record


_PARAGRAPH = re.compile(rb"(<p\b[^>]*>)(.*?)(</p>)", re.S | re.I)
_TAG = re.compile(rb"<[^>]+>")


def varied_pages(count: int, sites: tuple[str, ...] = ("ecns", "kestrelbay-courier"), seed: int = 13) -> list[Page]:
    """`count` article pages made from the recorded ones, each under a URL of its own on one
    of 97 sites, its paragraphs drawn at random from the paragraphs of its site's recorded
    articles plus a sentence of its own: mostly distinct articles (a few near duplicates)."""
    rng = random.Random(seed)
    bases = [p for site in sites for p in recorded_pages(site) if p.kind == "article"]
    pools: dict[str, list[bytes]] = {}
    for page in bases:
        host = page.url.split("/")[2]
        pools.setdefault(host, []).extend(
            text for _, text, _ in _PARAGRAPH.findall(page.body) if len(_TAG.sub(b"", text).strip()) > 60)
    out = []
    for n in range(count):
        base = bases[n % len(bases)]
        pool = pools[base.url.split("/")[2]]
        scheme, _, _, *path = base.url.split("/")
        stem, dot, ext = path[-1].rpartition(".")
        path[-1] = f"{stem}-{n}{dot}{ext}" if dot else f"{path[-1]}-{n}"
        url = f"{scheme}//www.newsroom{n % 97}.org/" + "/".join(path)

        def replace(match, n=n):
            text = b" ".join(rng.sample(pool, 2)) if pool else match.group(2)
            return match.group(1) + text + b" Report %d." % n + match.group(3)

        out.append(Page(url, _PARAGRAPH.sub(replace, base.body), base.headers, base.status, base.kind))
    return out
