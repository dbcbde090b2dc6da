"""Each of the project's middlewares on its own, with a real crawler and archive (no crawl):
replay, capture, incremental and frontier."""

from __future__ import annotations

import asyncio
import json

import pytest
from scrapy import Request
from scrapy.exceptions import DownloadCancelledError, IgnoreRequest, NotConfigured
from scrapy.http import HtmlResponse, Response
from scrapy.utils.test import get_crawler

from archive import incremental
from crawler import settings as project_settings
from archive.warc import WarcWriter, locate, read_capture
from crawler.crawl_archive import NotStored, archive_for
from crawler.middlewares.capture import CaptureMiddleware
from crawler.middlewares.frontier import FrontierMiddleware, request_from_json, request_to_json
from crawler.middlewares.incremental import ArchiveSkip, IncrementalMiddleware
from crawler.middlewares.replay import ReplayMiddleware
from crawler.pipelines import Dropped
from crawler.spiders.ecns import EcnsSpider
from tests.conftest import FIXTURES, SEED_URL, load_recording, make_record

SEED_DIR = FIXTURES / "ecns" / "g1-seed-zhongguancun-shougang"
TRUNCATED_URL = "https://www.ecns.cn/news/society/2024-11-09/detail-ihejyrbd0351693.shtml"
NOW = "2024-11-18T12:00:00+08:00"


# The project's settings (crawler/settings.py), less its components: each test builds the
# one it tests.
COMPONENTS = {"DOWNLOADER_MIDDLEWARES", "SPIDER_MIDDLEWARES", "ITEM_PIPELINES", "EXTENSIONS"}
PROJECT_SETTINGS = {
    name: getattr(project_settings, name) for name in dir(project_settings) if name.isupper() and name not in COMPONENTS
}


CRAWLERS = []


def make_crawler(archive_path, **settings):
    crawler = get_crawler(EcnsSpider, {**PROJECT_SETTINGS, "ARCHIVE_PATH": str(archive_path), "ARCHIVE_BATCH_SIZE": 1,
                                       "CRAWL_NOW": NOW, **settings})
    crawler.stats.open_spider()
    crawler.spider = EcnsSpider.from_crawler(crawler)
    CRAWLERS.append(crawler)
    return crawler


@pytest.fixture(autouse=True)
def close_archives():
    """The archive writer each test's crawler started, stopped with the test."""
    yield
    while CRAWLERS:
        archive = getattr(CRAWLERS.pop(), "newsarchive_archive", None)
        if archive is not None:
            archive.close()


def committed(crawler):
    """The crawl's archive as a reader sees it once the writer has committed what was sent."""
    archive = archive_for(crawler)
    archive.call_now("flush")
    return archive.read


def run(coroutine):
    return asyncio.run(coroutine)


async def collect(agen) -> list:
    return [obj async for obj in agen]


async def as_async(items):
    for item in items:
        yield item


# -- replay ----------------------------------------------------------------------------------------


def test_replay_is_off_unless_a_source_is_set_and_refuses_two(archive_path):
    with pytest.raises(NotConfigured):
        ReplayMiddleware.from_crawler(make_crawler(archive_path))
    with pytest.raises(ValueError, match="not both"):
        ReplayMiddleware.from_crawler(make_crawler(archive_path, REPLAY_DIR=str(FIXTURES), REPLAY_WARC=str(FIXTURES)))
    with pytest.raises(ValueError, match="not a directory"):
        ReplayMiddleware.from_crawler(make_crawler(archive_path, REPLAY_DIR=str(archive_path)))


def test_replay_answers_from_recordings_and_404s_the_rest(archive_path):
    crawler = make_crawler(archive_path, REPLAY_DIR=str(FIXTURES / "ecns"))
    replay = ReplayMiddleware.from_crawler(crawler)
    info, body, _ = load_recording(SEED_DIR)
    response = run(replay.process_request(Request(SEED_URL)))
    assert isinstance(response, HtmlResponse)
    assert (response.status, response.body, response.flags) == (200, body, ["replay"])
    assert response.headers["Content-Type"] == info["headers"]["Content-Type"].encode()
    missing = run(replay.process_request(Request("http://www.ecns.cn/never/recorded.shtml")))
    assert (missing.status, missing.body, missing.flags) == (404, b"", ["replay", "replay-miss"])
    # A recording whose Content-Length says more than its body: cut short, as live.
    cut = run(replay.process_request(Request(TRUNCATED_URL)))
    assert cut.flags == ["replay", "dataloss"]
    stats = crawler.stats.get_stats()
    assert (stats["replay/hit"], stats["replay/miss"], stats["replay/dataloss"]) == (2, 1, 1)


def test_replay_cancels_a_body_over_download_maxsize(archive_path):
    crawler = make_crawler(archive_path, REPLAY_DIR=str(FIXTURES / "ecns"), DOWNLOAD_MAXSIZE=1000)
    replay = ReplayMiddleware.from_crawler(crawler)
    with pytest.raises(DownloadCancelledError, match="larger than download max size"):
        run(replay.process_request(Request(SEED_URL)))
    assert crawler.stats.get_value("replay/over_maxsize") == 1


def test_replay_answers_from_warc_captures(archive_path, tmp_path):
    info, body, _ = load_recording(SEED_DIR)
    with WarcWriter(tmp_path / "warc", prefix="test") as writer:
        writer.write_exchange(url=SEED_URL, method="GET", request_headers=[("Host", "www.ecns.cn")], status=200,
                              response_headers=list(info["headers"].items()), body=body[:1000], truncated="disconnect")
    crawler = make_crawler(archive_path, REPLAY_WARC=str(tmp_path / "warc"))
    response = run(ReplayMiddleware.from_crawler(crawler).process_request(Request(SEED_URL)))
    assert response.body == body[:1000] and response.flags == ["replay", "dataloss"]
    assert run(ReplayMiddleware.from_crawler(crawler).process_request(Request(SEED_URL + "?x"))).status == 404


# -- capture ----------------------------------------------------------------------------------------


def test_capture_is_off_with_its_setting(archive_path):
    with pytest.raises(NotConfigured):
        CaptureMiddleware.from_crawler(make_crawler(archive_path, CAPTURE_ENABLED=False))


def test_capture_writes_each_response_and_points_the_request_at_it(archive_path):
    crawler = make_crawler(archive_path)
    capture = CaptureMiddleware.from_crawler(crawler)
    _, body, _ = load_recording(SEED_DIR)
    request = Request(SEED_URL, meta={"article": True})
    response = HtmlResponse(SEED_URL, body=body, headers={"Content-Type": "text/html"}, request=request,
                            flags=["dataloss"])
    assert capture.process_response(request, response) is response
    listing = Request("http://www.ecns.cn/business/")
    capture.process_response(listing, Response(listing.url, status=404, request=listing))
    capture.spider_closed("finished")
    pointer = request.meta["warc"]
    assert pointer["file"].startswith("archive.db-warc/")
    stored = read_capture(locate(pointer["file"], archive_path), pointer["offset"], pointer["record_id"])
    assert (stored.url, stored.status, stored.body, stored.truncated) == (SEED_URL, 200, body, "disconnect")
    assert listing.meta["warc"]["offset"] > pointer["offset"]
    stats = crawler.stats.get_stats()
    assert (stats["capture/records"], stats["capture/bytes"], stats["capture/files"]) == (2, len(body), 1)


# -- incremental ------------------------------------------------------------------------------------


def store_article(archive, url):
    archive.call_now("store", make_record(url=url))
    archive.call_now("flush")


def test_incremental_is_off_with_its_setting(archive_path):
    with pytest.raises(NotConfigured):
        IncrementalMiddleware.from_crawler(make_crawler(archive_path, INCREMENTAL_ENABLED=False))


def test_incremental_sends_new_articles_and_skips_archived_ones(archive_path):
    crawler = make_crawler(archive_path)
    middleware = IncrementalMiddleware.from_crawler(crawler)
    archived = "https://www.example.com/news/2013/old.html"
    store_article(archive_for(crawler), archived)
    assert middleware.process_request(Request("http://www.ecns.cn/business/")) is None  # not an article
    assert middleware.process_request(Request(SEED_URL, meta={"article": True})) is None
    with pytest.raises(ArchiveSkip, match="archived"):
        middleware.process_request(Request(archived, meta={"article": True}))
    # Another form of the same URL is the same article.
    with pytest.raises(ArchiveSkip):
        middleware.process_request(Request(archived + "?utm_source=feed", meta={"article": True}))
    # A request let through once is not checked again on its retries.
    retry = Request(SEED_URL, meta={"article": True, "incremental_checked": SEED_URL})
    assert middleware.process_request(retry) is None
    stats = crawler.stats.get_stats()
    assert (stats["incremental/new"], stats["incremental/skipped/archived"]) == (1, 2)
    # Deliberately not sent: no error, nothing to record.
    assert isinstance(ArchiveSkip("x"), IgnoreRequest) and not middleware.pending


def test_incremental_records_why_article_pages_gave_no_article(archive_path):
    crawler = make_crawler(archive_path)
    middleware = IncrementalMiddleware.from_crawler(crawler)
    urls = [f"https://www.example.com/news/{name}.html" for name in ("gone", "pdf", "empty", "unstored", "stored")]
    for url, status in zip(urls, (404, 200, 200, 200, 200)):
        request = Request(url, meta={"article": True})
        middleware.process_response(request, Response(url, status=status, request=request))
    responses = {url: Response(url, request=Request(url)) for url in urls}
    # The validate pipeline's reason comes as data; a record the archive could not take is
    # not the page's fault; a stored one is no failure.
    middleware.item_dropped({}, responses[urls[2]], Dropped("missing_body", urls[2]))
    middleware.item_dropped({}, responses[urls[3]], NotStored("not stored"))
    middleware.item_scraped({}, responses[urls[4]])
    middleware.record_failures()
    db = committed(crawler)
    failed = {row["url"].rsplit("/", 1)[-1]: row["reason"] for row in db.query("select url, reason from failed_urls")}
    assert failed == {"gone.html": "http_404", "pdf.html": "no_article", "empty.html": "missing_body"}
    stats = crawler.stats.get_stats()
    assert stats["incremental/failed/http_404"] == stats["incremental/failed/missing_body"] == 1
    # Failed pages are not fetched again until their retry is due (INCREMENTAL_RETRY_FAILED).
    with pytest.raises(ArchiveSkip, match="failed"):
        middleware.process_request(Request(urls[0], meta={"article": True}))


def test_incremental_retries_a_failed_page_when_due_and_clears_it_once_stored(archive_path):
    crawler = make_crawler(archive_path, INCREMENTAL_RETRY_FAILED="1h")
    middleware = IncrementalMiddleware.from_crawler(crawler)
    archive = archive_for(crawler)
    archive.call_now("record_failure", SEED_URL, "http_500", "2024-11-18T00:00:00+00:00")
    archive.call_now("flush")
    request = Request(SEED_URL, meta={"article": True})
    assert middleware.process_request(request) is None
    assert crawler.stats.get_value("incremental/retry") == 1
    middleware.item_scraped({}, Response(SEED_URL, request=request))
    assert incremental.url_state(committed(crawler), SEED_URL) is None


def test_incremental_remembers_redirects_to_an_archived_article(archive_path):
    crawler = make_crawler(archive_path)
    middleware = IncrementalMiddleware.from_crawler(crawler)
    archive = archive_for(crawler)
    target = "https://www.example.com/news/2024/a.html"
    store_article(archive, target)
    old = "https://www.example.com/?p=42"
    request = Request(target, meta={"article": True, "redirect_urls": [old]})
    middleware.item_scraped({}, Response(target, request=request))
    committed(crawler)
    assert crawler.stats.get_value("incremental/aliases") == 1
    with pytest.raises(ArchiveSkip):
        middleware.process_request(Request(old, meta={"article": True}))


# -- frontier ---------------------------------------------------------------------------------------


def test_frontier_is_off_with_incremental_crawling(archive_path):
    with pytest.raises(NotConfigured):
        FrontierMiddleware.from_crawler(make_crawler(archive_path, INCREMENTAL_ENABLED=False))


def test_frontier_keeps_an_article_pages_article_links_before_its_record(archive_path):
    crawler = make_crawler(archive_path)
    frontier = FrontierMiddleware.from_crawler(crawler)
    spider = crawler.spider
    page = Request(SEED_URL, meta={"article": True})
    response = HtmlResponse(SEED_URL, body=b"<html></html>", request=page)
    link = Request("http://www.ecns.cn/business/2013/09-13/82570.shtml", callback=spider.parse_article,
                   meta={"article": True, "depth": 2, "download_slot": "www.ecns.cn"}, priority=3)
    listing = Request("http://www.ecns.cn/business/", callback=spider.parse_listing)
    item = {"url": SEED_URL}
    sent = []
    archive = archive_for(crawler)
    real_send = archive.send
    archive.send = lambda name, *args: sent.append((name, [link[0] for link in args[0]])) or real_send(name, *args)

    async def watched():  # what was sent to the writer when the item came out
        out = []
        async for obj in frontier.process_spider_output(response, as_async([item, link, listing])):
            out.append((obj, list(sent)))
        return out

    out = run(watched())
    # The links kept (sent to the writer) before the item goes on to be stored; the item
    # before the links, so that it is stored before they are scheduled.
    assert [obj for obj, _ in out] == [item, link, listing]
    assert out[0][1] == [("remember_links", [link.url])]
    rows = list(committed(crawler).query("select url, request, found_on from frontier"))
    assert [(r["url"], r["found_on"]) for r in rows] == [(link.url, SEED_URL)]
    state = json.loads(rows[0]["request"])
    assert state["callback"] == "parse_article" and state["meta"] == {"article": True} and state["priority"] == 3
    # On a listing page nothing is kept.
    listing_response = HtmlResponse(listing.url, body=b"<html></html>", request=listing)
    run(collect(frontier.process_spider_output(listing_response, as_async([link]))))
    assert crawler.stats.get_value("frontier/remembered") == 1


def test_frontier_hands_kept_links_back_at_the_start_old_rows_included(archive_path):
    crawler = make_crawler(archive_path)
    frontier = FrontierMiddleware.from_crawler(crawler)
    spider = crawler.spider
    archive = archive_for(crawler)
    new = Request("http://www.ecns.cn/a.shtml", callback=spider.parse_article, meta={"article": True},
                  headers={"Referer": "http://www.ecns.cn/é"}, cb_kwargs={"n": 1})
    archive.call_now("remember_links", [(new.url, request_to_json(new, spider), SEED_URL, "2024-11-18T00:00:00+00:00")])
    # Written by the frontier's earlier format: read as it is, no migration.
    old = {"url": "http://www.ecns.cn/b.shtml", "callback": "parse_article", "errback": None,
           "meta": {"article": True}, "priority": 0, "cb_kwargs": {}}
    archive.call_now("remember_links", [(old["url"], old, SEED_URL, "2024-11-18T00:00:01+00:00")])
    gone = {**old, "url": "http://www.ecns.cn/c.shtml", "callback": "parse_removed_long_ago"}
    archive.call_now("remember_links", [(gone["url"], gone, SEED_URL, "2024-11-18T00:00:02+00:00")])
    committed(crawler)
    start = Request("http://www.ecns.cn/business/", callback=spider.parse_listing)
    out = run(collect(frontier.process_start(as_async([start]))))
    assert [r.url for r in out] == [start.url, new.url, old["url"]]
    resumed_new, resumed_old = out[1], out[2]
    assert resumed_new.callback == spider.parse_article and resumed_new.cb_kwargs == {"n": 1}
    assert resumed_new.headers["Referer"] == new.headers["Referer"]
    assert resumed_old.callback == spider.parse_article and resumed_old.meta == {"article": True}
    assert crawler.stats.get_value("frontier/resumed") == 2
    assert request_from_json(gone, spider) is None


def test_incremental_forgets_refused_links_and_records_pages_over_the_size_cap(archive_path):
    crawler = make_crawler(archive_path)
    middleware = IncrementalMiddleware.from_crawler(crawler)
    archive = archive_for(crawler)
    refused, big = "https://www.example.com/news/private.html", "https://www.example.com/news/huge.html"
    for url in (refused, big):
        archive.call_now("remember_links", [(url, {"url": url}, SEED_URL, "2024-11-18T00:00:00+00:00")])
    # robots.txt or the offsite filter said no: it never will be fetched, so not kept.
    middleware.process_exception(Request(refused, meta={"article": True}), IgnoreRequest("Forbidden by robots.txt"))
    # Over DOWNLOAD_MAXSIZE: recorded as failed, retried as failures are.
    cancelled = DownloadCancelledError(
        f"Received 30000 bytes which is larger than download max size (20000) in request <GET {big}>.")
    middleware.process_exception(Request(big, meta={"article": True}), cancelled)
    assert [row["url"] for row in incremental.frontier(committed(crawler))] == [big]
    assert middleware.pending == {big: "too_big"}
