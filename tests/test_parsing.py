"""The one function from a captured response to a record (crawler.parsing): typed skips,
Content-Encoding and response types as Scrapy's own, plain picklable data, no Scrapy, and
the same records as a crawl's spider and pipelines make."""

from __future__ import annotations

import gzip
import json
import pickle
import subprocess
import sys
import zlib

import brotli
import pytest
from itemadapter import ItemAdapter
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.http import HtmlResponse, Request, TextResponse
from scrapy.responsetypes import responsetypes
from scrapy.utils.test import get_crawler

from crawler.parsing import (
    EXTRACTION,
    RESPONSE,
    VALIDATION,
    CapturedResponse,
    DecodingError,
    Skip,
    decode_content,
    extract_page,
    is_text,
    parse_response,
    validate_record,
)
from crawler.pipelines import Dropped
from crawler.pipelines.normalization import NormalizePipeline
from crawler.pipelines.validation import ValidatePipeline
from crawler.responses import header_pairs, headers_from_pairs
from crawler.spiders.ecns import EcnsSpider
from tests.conftest import ROOT, load_recording, recorded_response, recordings

try:
    from compression import zstd  # Python 3.14
except ImportError:
    from backports import zstd

SEED = ROOT / "fixtures" / "ecns" / "g1-seed-zhongguancun-shougang"


def seed() -> CapturedResponse:
    return recorded_response(SEED)


def test_a_page_becomes_the_stored_record_with_its_capture_pointer():
    pointer = {"file": "archive.db-warc/x.warc.gz", "offset": 10, "record_id": "<urn:uuid:1>"}
    response = seed()
    record = parse_response(CapturedResponse(url=response.url, body=response.body, headers=response.headers,
                                             meta={"warc": pointer}, fetched_at="2024-11-18T04:00:00+00:00"))
    assert record["title"].startswith("Zhongguancun") and record["source"] == "Qianlong.com"
    assert record["warc"] == pointer and record["fetched_at"] == "2024-11-18T04:00:00+00:00"
    assert record["extraction"]["title"] == "profile:ecns"
    assert "dedupe" not in record


@pytest.mark.parametrize(
    "change, reason, step",
    [
        ({"status": 404}, "http_404", RESPONSE),
        ({"status": 500}, "http_500", RESPONSE),
        ({"truncated": True}, "truncated", RESPONSE),
        ({"body": b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n"}, "not_html", RESPONSE),
        ({"headers": (("Content-Type", "image/png"),), "body": b"\x01\x02 not text \x03"}, "not_html", RESPONSE),
        ({"body": b"<html><body><p>cut here"}, "truncated", RESPONSE),
        ({"headers": (("Content-Encoding", "gzip"),), "body": b"not gzip at all"}, "undecodable", RESPONSE),
        ({"body": b"<!-- nothing --></html>"}, "unparsable", EXTRACTION),
        ({"body": b"<html><head><title>Index</title></head><body><p>Hi.</p></body></html>"}, "missing_body", VALIDATION),
        ({"body": b"<html><body><p>" + b"No headline anywhere on this page, only text. " * 8 + b"</p></body></html>"},
         "missing_title", VALIDATION),
    ],
)
def test_each_reason_a_response_gives_no_article_is_typed(change, reason, step):
    fields = {"url": "https://www.example.com/news/2024/a", "body": seed().body, "headers": seed().headers}
    fields.update(change)
    result = parse_response(CapturedResponse(**fields))
    assert isinstance(result, Skip), result
    assert (result.reason, result.step) == (reason, step)
    assert result.message


def test_validation_alone():
    assert validate_record({"url": "u", "title": "T", "body": "x" * 20}) is None
    assert validate_record({"url": "u", "title": " \n ", "body": "x" * 20}).reason == "missing_title"
    assert validate_record({"url": "u", "title": "T", "body": "too short"}).reason == "missing_body"


def test_arguments_and_results_are_plain_picklable_data():
    response = seed()
    assert pickle.loads(pickle.dumps(response)) == response
    record = parse_response(response)
    assert pickle.loads(pickle.dumps(record)) == record
    json.dumps(record)  # plain data all the way down
    skip = parse_response(CapturedResponse(url=response.url, body=b"", status=503))
    assert pickle.loads(pickle.dumps(skip)) == skip


@pytest.mark.subprocess
def test_importing_it_imports_no_scrapy():
    code = "import sys, crawler.parsing, crawler.reparse; print(sorted(m for m in sys.modules if m.split('.')[0] in ('scrapy', 'twisted')))"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize(
    "codings, encode",
    [
        ("gzip", gzip.compress),
        ("x-gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda b: zlib.compress(b)[2:-4]),  # raw deflate, as some servers send
        ("br", brotli.compress),
        ("gzip, br", lambda b: brotli.compress(gzip.compress(b))),
        ("zstd", zstd.compress),
        ("identity-ish, gzip", gzip.compress),  # an unknown coding under a known one is left
    ],
)
def test_content_encoding_is_undone_as_scrapys_middleware_does(codings, encode):
    body = seed().body
    encoded = encode(body)
    headers = (("Content-Type", "text/html"), ("Content-Encoding", codings))
    decoded, left = decode_content(encoded, headers)
    scrapy_response = HttpCompressionMiddleware.from_crawler(get_crawler()).process_response(
        Request("https://www.ecns.cn/a"),
        HtmlResponse("https://www.ecns.cn/a", body=encoded, headers=headers_from_pairs(headers)),
    )
    assert decoded == scrapy_response.body
    assert sorted(left) == sorted(header_pairs(scrapy_response.headers))


def test_a_gzip_stream_cut_short_gives_what_it_holds():
    body = seed().body
    cut = gzip.compress(body)[: len(body) // 3]
    decoded, _ = decode_content(cut, (("Content-Encoding", "gzip"),))
    assert 0 < len(decoded) < len(body) and body.startswith(decoded)
    with pytest.raises(DecodingError):
        decode_content(b"\x1f\x8b\x08 garbage", (("Content-Encoding", "gzip"),))


@pytest.mark.parametrize(
    "url, headers, body",
    [
        ("https://h/a.shtml", (), b"\x01binary"),
        ("https://h/a", (("Content-Type", "text/html; charset=gbk"),), b"<html>"),
        ("https://h/a", (("Content-Type", "application/pdf"),), b"\x01\x02"),
        ("https://h/a", (("Content-Type", "application/pdf"),), b"plain words"),
        ("https://h/a.pdf", (("Content-Type", "application/octet-stream"),), b"\x01\x02"),
        ("https://h/a", (("Content-Type", "application/xhtml+xml"),), b"\x01"),
        ("https://h/a", (("Content-Type", "application/json"),), b"{}"),
        ("https://h/a", (("Content-Type", "text/html"), ("Content-Encoding", "zz")), b"\x01\x02"),
        ("https://h/a", (("Content-Disposition", 'attachment; filename="a.html"'),), b"\x01"),
        ("https://h/a", (("Content-Disposition", "attachment"),), b"\x01"),
        ("https://h/feed.rss", (), b"\x01"),
        ("https://h/a.xhtml", (), b"\x01"),
        ("https://h/a.html.gz", (), b"\x01"),
        ("https://h/a", (), b"<html><p>text, no type</p>"),
        ("https://h/a", (("Content-Type", "text/plain"), ("Content-Type", "image/png")), b"\x01"),
    ],
)
def test_text_or_not_as_scrapys_response_types_say(url, headers, body):
    scrapy_class = responsetypes.from_args(headers=headers_from_pairs(headers), url=url, body=body)
    assert is_text(url, headers, body) == issubclass(scrapy_class, TextResponse)


def test_every_recording_is_text_or_not_as_scrapy_says():
    for directory in recordings():
        response = recorded_response(directory)
        scrapy_class = responsetypes.from_args(headers=headers_from_pairs(response.headers), url=response.url,
                                               body=response.body)
        assert is_text(response.url, response.headers, response.body) == issubclass(scrapy_class, TextResponse)


def test_extract_page_is_the_extraction_step_alone():
    response = seed()
    record = extract_page(response.url, response.body)
    assert record["title"].startswith("Zhongguancun") and "extraction" in record
    assert extract_page(response.url, b"").reason == "empty"


@pytest.mark.parametrize("directory", [pytest.param(d, id=d.name) for d in recordings("ecns")])
def test_a_crawls_spider_and_pipelines_make_the_same_record(directory):
    """The crawl runs the steps where Scrapy puts them (spider: extraction; pipelines:
    validation and normalisation): same record, same reason, whichever way."""
    response = recorded_response(directory)
    crawler = get_crawler(EcnsSpider, {"ARCHIVE_PATH": str(directory / "unused.db")})
    crawler.stats.open_spider()
    spider = EcnsSpider.from_crawler(crawler)
    cls = responsetypes.from_args(headers=headers_from_pairs(response.headers), url=response.url, body=response.body)
    scrapy_response = cls(response.url, status=response.status, headers=headers_from_pairs(response.headers),
                          body=response.body, request=Request(response.url),
                          flags=["dataloss"] if response.truncated else [])
    result = parse_response(response)
    if response.status >= 400:
        assert result.reason == f"http_{response.status}"  # Scrapy's HttpErrorMiddleware keeps these from spiders
        return
    item = spider.article_item(scrapy_response)
    if isinstance(result, Skip) and result.step != VALIDATION:
        assert item is None and crawler.stats.get_value(f"pages/skipped/{result.reason}") == 1
        return
    try:
        item = NormalizePipeline.from_crawler(crawler).process_item(ValidatePipeline.from_crawler(crawler).process_item(item))
    except Dropped as exc:
        assert isinstance(result, Skip) and exc.reason == result.reason
        return
    crawled = ItemAdapter(item).asdict()
    crawled.pop("dedupe")
    assert {k: v for k, v in crawled.items() if k != "fetched_at"} == {k: v for k, v in result.items() if k != "fetched_at"}
    info, _, expected = load_recording(directory)
    assert expected["kind"] == "article"
