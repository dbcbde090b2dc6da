"""The generic `news` spider: sitemap and feed parsing (pure functions), its navigation
decisions (callbacks called directly), and real `scrapy crawl news` subprocesses over the
recorded Chinese site fixtures/huaxia-ribao for each entry mode and limit."""

from __future__ import annotations

import gzip

import pytest
from scrapy.http import HtmlResponse, Request, XmlResponse
from scrapy.utils.test import get_crawler
from sqlite_utils import Database

from crawler.extraction import Page
from crawler.extraction.discovery import (
    DiscoveryError,
    gunzip,
    is_before,
    listing_links,
    next_page_url,
    pagination_number,
    parse_feed,
    parse_feed_date,
    parse_since,
    parse_sitemap,
    robots_sitemaps,
    same_site,
)
from crawler.spiders.news import NewsSpider
from tests.conftest import FIXTURES, load_recording, recordings, scrapy_crawl

SITE = FIXTURES / "huaxia-ribao"
WWW = "https://www.huaxia-ribao.cn"


def fixture(slug: str) -> tuple[dict, bytes, dict]:
    return load_recording(SITE / slug)


def site_records(kind: str) -> dict[str, dict]:
    out = {}
    for directory in recordings("huaxia-ribao"):
        info, _, expected = load_recording(directory)
        if expected["kind"] == kind:
            out[info["url"]] = expected
    return out


ARTICLES = {url: e["record"] for url, e in site_records("article").items()}
OLD = {url for url, r in ARTICLES.items() if r["published"] < "2024-11-12"}  # two: 11-10 and 10-28


# -- sitemaps, feeds, robots.txt ---------------------------------------------------------------


def _documents(kind: str):
    return [pytest.param(d, id=f"{d.parent.name}/{d.name}") for d in recordings() if load_recording(d)[2]["kind"] == kind]


@pytest.mark.parametrize("directory", _documents("sitemap"))
def test_sitemaps_parse_to_their_expected_entries(directory):
    info, body, expected = load_recording(directory)
    doc = parse_sitemap(body, info["url"])
    assert [{"url": e.url, "lastmod": e.lastmod} for e in doc.sitemaps] == expected["sitemaps"]
    assert [e.as_dict() for e in doc.urls] == expected["urls"]


@pytest.mark.parametrize("directory", _documents("feed"))
def test_feeds_parse_to_their_expected_entries(directory):
    info, body, expected = load_recording(directory)
    doc = parse_feed(body, info["url"])
    assert (doc.format, doc.title) == (expected["format"], expected["title"])
    assert [e.as_dict() for e in doc.entries] == expected["entries"]


def test_gzipped_news_sitemap_gives_publication_dates():
    info, body, _ = fixture("sitemap-news-gz")
    assert body[:2] == b"\x1f\x8b"
    doc = parse_sitemap(body, info["url"])
    assert doc.kind == "urlset"
    assert all(e.published and e.published.endswith("+08:00") and e.date == e.published for e in doc.urls)


def test_feed_fixtures_cover_rss_in_gb2312_and_atom():
    formats = {}
    for param in _documents("feed"):
        info, body, expected = load_recording(param.values[0])
        formats[expected["format"]] = body[:60]
    assert b'encoding="gb2312"' in formats["rss"] and "atom" in formats


def test_atom_feed():
    atom = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://www.example.com/">
  <title>Example News</title>
  <entry>
    <title>Council approves plan</title>
    <link rel="alternate" type="text/html" href="/2024/11/18/council-approves-plan.html"/>
    <link rel="enclosure" href="/media/plan.pdf"/>
    <published>2024-11-18T02:25:18Z</published>
    <updated>2024-11-18T04:00:00Z</updated>
  </entry>
  <entry>
    <title>No link</title>
    <updated>2024-11-17T00:00:00Z</updated>
  </entry>
  <entry>
    <title>Bare link</title>
    <link href="https://www.example.com/2024/11/17/bare.html"/>
    <updated>2024-11-17T08:00:00+01:00</updated>
  </entry>
</feed>"""
    doc = parse_feed(atom, "https://www.example.com/feed.atom")
    assert doc.format == "atom" and doc.title == "Example News"
    assert [e.as_dict() for e in doc.entries] == [
        {"url": "https://www.example.com/2024/11/18/council-approves-plan.html", "published": "2024-11-18T02:25:18+00:00",
         "lastmod": "2024-11-18T04:00:00+00:00", "title": "Council approves plan"},
        {"url": "https://www.example.com/2024/11/17/bare.html", "published": None,
         "lastmod": "2024-11-17T08:00:00+01:00", "title": "Bare link"},
    ]


def test_rss_1_0_and_guid_permalinks():
    rdf = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="https://www.example.com/"><title>Example</title></channel>
  <item rdf:about="https://www.example.com/a.html"><title>A</title><link>https://www.example.com/a.html</link><dc:date>2024-11-18</dc:date></item>
</rdf:RDF>"""
    assert [e.as_dict() for e in parse_feed(rdf).entries] == [
        {"url": "https://www.example.com/a.html", "published": "2024-11-18", "lastmod": None, "title": "A"}
    ]
    rss = b"""<rss version="2.0"><channel><title>T</title>
<item><title>G</title><guid>https://www.example.com/g.html</guid><pubDate>Mon, 18 Nov 2024 02:25:18 GMT</pubDate></item>
<item><title>Not a permalink</title><guid isPermaLink="false">tag:example,2024:1</guid></item>
</channel></rss>"""
    assert [e.as_dict() for e in parse_feed(rss).entries] == [
        {"url": "https://www.example.com/g.html", "published": "2024-11-18T02:25:18+00:00", "lastmod": None, "title": "G"}
    ]


def test_plain_text_sitemap_and_robots_sitemap_lines():
    doc = parse_sitemap(b"https://www.example.com/a.html\n\nhttps://www.example.com/b.html\nnot a url\n")
    assert doc.kind == "text" and [e.url for e in doc.urls] == ["https://www.example.com/a.html", "https://www.example.com/b.html"]
    _, robots, _ = fixture("robots-www")
    assert robots_sitemaps(robots) == [f"{WWW}/sitemap_index.xml"]
    assert robots_sitemaps("User-agent: *\nsitemap:https://a.example/s.xml\nSitemap: /relative.xml\n") == ["https://a.example/s.xml"]


def test_unusable_documents_raise_discovery_errors():
    with pytest.raises(DiscoveryError) as err:
        parse_sitemap(b"<html><body>Not found</body></html>")
    assert err.value.reason == "not_sitemap"
    with pytest.raises(DiscoveryError):
        parse_feed(b"")
    with pytest.raises(DiscoveryError) as err:
        parse_feed(b'<?xml version="1.0"?><urlset/>')
    assert err.value.reason == "not_feed"
    bomb = gzip.compress(b"<urlset>" + b" " * 2_000_000 + b"</urlset>")
    with pytest.raises(DiscoveryError) as err:
        gunzip(bomb, limit=1_000_000)
    assert err.value.reason == "too_big"
    # Entities are never expanded (no billion laughs, no local files).
    xxe = b'<?xml version="1.0"?><!DOCTYPE u [<!ENTITY x SYSTEM "file:///etc/passwd">]><urlset><url><loc>https://a.example/&x;</loc></url></urlset>'
    assert all("root:" not in e.url for e in parse_sitemap(xxe).urls)


@pytest.mark.parametrize(
    "text, iso",
    [
        ("Mon, 18 Nov 2024 10:25:18 +0800", "2024-11-18T10:25:18+08:00"),
        ("Sun, 10 Nov 2024 07:30:00 GMT", "2024-11-10T07:30:00+00:00"),
        ("18 Nov 2024 10:25 -0000", "2024-11-18T10:25:00+00:00"),
        ("2024-11-18T10:25:18+08:00", "2024-11-18T10:25:18+08:00"),
        ("2024-11-18T02:25:18Z", "2024-11-18T02:25:18+00:00"),
        ("2024-11-18", "2024-11-18"),
        ("", None),
        ("soon", None),
    ],
)
def test_feed_dates(text, iso):
    assert parse_feed_date(text) == iso


def test_since_comparisons():
    since = parse_since("2024-11-12")
    assert since == "2024-11-12"
    assert is_before("2024-11-10T15:30:00+08:00", since) is True
    assert is_before("2024-11-12T00:30:00+08:00", since) is False  # the day as the page states it
    assert is_before("2024-11-12", since) is False
    assert is_before(None, since) is None
    # Before fetching, a day of slack: a UTC date may be the next day in Beijing.
    from datetime import timedelta

    assert is_before("2024-11-11T20:00:00+00:00", since, slack=timedelta(days=1)) is False
    assert is_before("2024-11-10T20:00:00+00:00", since, slack=timedelta(days=1)) is True
    moment = parse_since("2024-11-12T08:00:00+08:00")
    assert is_before("2024-11-12T07:59:00+08:00", moment) is True
    assert is_before("2024-11-12T00:30:00+00:00", moment) is False
    with pytest.raises(ValueError):
        parse_since("last tuesday")


def test_listing_links_and_pagination_over_every_fixture_listing():
    listings = 0
    for directory in recordings():
        info, body, expected = load_recording(directory)
        if expected["kind"] != "listing":
            continue
        listings += 1
        page = Page.from_bytes(info["url"], body, info.get("headers"))
        assert listing_links(page) == (expected["article_urls"], expected["next_page"]), directory.name
    assert listings >= 19


def test_next_page_and_page_numbers():
    info, body, _ = fixture("listing-jingji")
    assert next_page_url(Page.from_bytes(info["url"], body, info["headers"])) == f"{WWW}/jingji/index_2.html"
    assert pagination_number(f"{WWW}/jingji/index_2.html") == 2
    assert pagination_number("https://www.example.com/news/page/7/") == 7
    assert pagination_number("https://www.example.com/news/?page=3&sort=new") == 3
    assert pagination_number(f"{WWW}/jingji/2024-11/18/content_5123401.html") is None
    assert same_site("https://tech.huaxia-ribao.cn/", ["huaxia-ribao.cn"])
    assert not same_site("https://www.huaxia-ribao.cn.evil.example/", ["huaxia-ribao.cn"])
    assert not same_site("https://www.dongfang-wanbao.cn/", ["huaxia-ribao.cn"])


# -- navigation: the spider's callbacks, called directly ---------------------------------------


def make_spider(**args) -> NewsSpider:
    crawler = get_crawler(NewsSpider, {"ROBOTSTXT_OBEY": False})
    spider = NewsSpider.from_crawler(crawler, **args)
    crawler.spider = spider
    return spider


def recorded_response(slug: str, cls=HtmlResponse, **meta):
    info, body, _ = fixture(slug)
    request = Request(info["url"], meta={"news_page": True, **meta})
    return cls(info["url"], body=body, headers=info["headers"], request=request)


def test_listing_requests_mark_articles_only():
    spider = make_spider(start_urls=f"{WWW}/")
    requests = list(spider.parse_page(recorded_response("home")))
    flagged = [r.url for r in requests if r.meta.get("article")]
    unflagged = [r.url for r in requests if "article" not in r.meta]
    assert sorted(flagged) == sorted(u for u in ARTICLES if u not in OLD)  # the home page lists six
    assert set(unflagged) == {f"{WWW}/jingji/", f"{WWW}/shehui/", "https://tech.huaxia-ribao.cn/",
                              f"{WWW}/tag/%E6%96%B0%E8%83%BD%E6%BA%90.html"}
    stats = spider.crawler.stats.get_stats()
    assert stats["news/pages/listing"] == 1
    assert stats["news/links/skipped/login"] == 2 and stats["news/links/skipped/calendar"] == 1
    assert stats["news/links/skipped/site_page"] == 3 and stats["news/links/skipped/feed"] == 1
    assert stats["news/links/offsite"] == 1


def test_article_page_yields_its_item_then_its_links():
    spider = make_spider(start_urls=f"{WWW}/")
    out = list(spider.parse_page(recorded_response("article-jingji-cold-chain-jsonld", article=True)))
    items = [o for o in out if not isinstance(o, Request)]
    assert len(items) == 1 and items[0].url == f"{WWW}/jingji/2024-11/18/content_5123401.html"
    requests = [o for o in out if isinstance(o, Request)]
    assert not any(r.url.endswith((".jpg", ".pdf")) for r in requests)
    stats = spider.crawler.stats.get_stats()
    assert stats["news/links/skipped/image"] == 1 and stats["news/articles"] == 1


def test_sitemap_and_feed_entries_are_article_requests():
    spider = make_spider(sitemap=f"{WWW}/sitemap_index.xml")
    index = list(spider.parse_sitemap(recorded_response("sitemap-index", XmlResponse)))
    assert [r.url for r in index] == [f"{WWW}/sitemap.xml", f"{WWW}/sitemap_news.xml.gz"]
    assert not any("article" in r.meta for r in index)
    urlset = list(spider.parse_sitemap(recorded_response("sitemap-urlset", XmlResponse)))
    assert {r.url for r in urlset if r.meta.get("article")} == set(ARTICLES)
    assert {r.url for r in urlset if "article" not in r.meta} == {f"{WWW}/", f"{WWW}/jingji/", f"{WWW}/shehui/"}
    spider = make_spider(feed=f"{WWW}/rss.xml", since="2024-11-12")
    feed = list(spider.parse_feed(recorded_response("feed-rss", XmlResponse)))
    assert len(feed) == 5 and all(r.meta["article"] for r in feed)  # the sixth is dated 11-10
    assert spider.crawler.stats.get_value("news/since/skipped_before_fetch") == 1


def test_a_feed_or_sitemap_given_as_a_start_url_is_read_as_one():
    spider = make_spider(start_urls=f"{WWW}/rss.xml")
    feed = list(spider.parse_page(recorded_response("feed-rss", XmlResponse)))
    assert len(feed) == 6 and all(r.meta["article"] for r in feed)
    assert spider.crawler.stats.get_value("news/feeds/entries") == 6
    spider = make_spider(start_urls=f"{WWW}/sitemap_news.xml.gz")
    sitemap = list(spider.parse_page(recorded_response("sitemap-news-gz", XmlResponse)))
    assert len(sitemap) == 3 and all(r.meta["article"] for r in sitemap)


def test_since_never_skips_list_pages_by_their_sitemap_date():
    spider = make_spider(sitemap=f"{WWW}/sitemap.xml", since="2026-01-01")
    requests = list(spider.parse_sitemap(recorded_response("sitemap-urlset", XmlResponse)))
    assert {r.url for r in requests} == {f"{WWW}/", f"{WWW}/jingji/", f"{WWW}/shehui/"}
    assert spider.crawler.stats.get_value("news/since/skipped_before_fetch") == 8


def test_pagination_is_capped():
    spider = make_spider(start_urls=f"{WWW}/jingji/", max_pagination="2")
    first = list(spider.parse_page(recorded_response("listing-jingji")))
    page2 = [r for r in first if r.url.endswith("index_2.html")]
    assert len(page2) == 1 and page2[0].meta["news_page_depth"] == 2
    # The same next link reached as the second page of a chain would be a third page.
    spider = make_spider(start_urls=f"{WWW}/jingji/", max_pagination="2")
    again = list(spider.parse_page(recorded_response("listing-jingji", news_page_depth=2)))
    assert not [r for r in again if r.url.endswith("index_2.html")]
    assert spider.crawler.stats.get_value("news/links/skipped/pagination_cap") == 1
    # And a page number beyond the cap is never fetched, however it was reached.
    spider = make_spider(start_urls=f"{WWW}/jingji/", max_pagination="1")
    capped = list(spider.parse_page(recorded_response("listing-jingji")))
    assert not [r for r in capped if r.url.endswith("index_2.html")]


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="start_urls=URL"):
        NewsSpider()
    with pytest.raises(ValueError, match="max_pages"):
        NewsSpider(start_urls=f"{WWW}/", max_pages="many")
    with pytest.raises(ValueError, match="since"):
        NewsSpider(start_urls=f"{WWW}/", since="yesterday-ish")
    with pytest.raises(ValueError, match="not an http"):
        NewsSpider(feed="ftp://www.huaxia-ribao.cn/rss.xml")
    spider = NewsSpider(sitemap=f"{WWW}/robots.txt", feed="https://tech.huaxia-ribao.cn/rss.xml")
    assert spider.allowed_domains == ["huaxia-ribao.cn"]


# -- real crawls ----------------------------------------------------------------------------------


# This module's crawls: the news spider over a recorded site, without AutoThrottle's delays.
NO_THROTTLE = "AUTOTHROTTLE_ENABLED=0"
NEWS_CRAWL = {"spider": "news", "replay": SITE, "log_level": "INFO", "stats": True}


def archived(db: Database) -> dict[str, dict]:
    return {row["url"]: row for row in db["articles"].rows}


def assert_stored_right(db: Database, urls) -> None:
    rows = archived(db)
    assert set(rows) == set(urls)
    keys = [row["url_key"] for row in rows.values()]
    assert len(keys) == len(set(keys))
    for url, row in rows.items():
        want = ARTICLES[url]
        assert row["title"] == want["title"], url
        assert len(row["body"]) > 100, url
        for field in ("published", "language", "site", "canonical_url"):
            assert row[field] == want[field], (url, field)


@pytest.fixture(scope="module")
def tmp(tmp_path_factory):
    return tmp_path_factory.mktemp("news")


@pytest.mark.subprocess
def test_start_urls_crawl_archives_every_article_once(tmp):
    done = scrapy_crawl(tmp / "start.db", NO_THROTTLE, args=[f"start_urls={WWW}/"], **NEWS_CRAWL)
    stats, db, log = done.stats, done.db, done.stderr
    assert_stored_right(db, ARTICLES)
    # home, 2 x 2 section pages, the tech home and the tag page: listings, never articles
    assert stats["news/pages/listing"] == 7 and stats["news/pages/article"] == 8
    assert stats["news/pages/fetched"] == 15 and stats["news/requests/article"] == 8
    assert stats["store/new"] == 8 and stats["finish_reason"] == "finished"
    assert stats["news/links/skipped/image"] >= 1 and stats["news/links/skipped/document"] >= 1
    assert stats["news/links/skipped/login"] >= 1 and stats["news/links/skipped/calendar"] >= 1
    assert stats["news/links/offsite"] >= 1
    assert "replay/miss" not in stats, [l for l in log.splitlines() if "No recording" in l]
    # A second crawl of the same site adds nothing.
    # A second crawl of the same site adds nothing: its articles are either skipped before
    # fetching (meta["article"] and the incremental middleware) or found unchanged.
    done = scrapy_crawl(tmp / "start.db", NO_THROTTLE, args=[f"start_urls={WWW}/"], **NEWS_CRAWL)
    again, db = done.stats, done.db
    assert again.get("store/new", 0) == 0
    assert again.get("store/unchanged", 0) + again.get("incremental/skipped/archived", 0) == 8
    assert db["articles"].count == 8


@pytest.mark.subprocess
def test_sitemap_crawl_from_robots_txt(tmp):
    done = scrapy_crawl(tmp / "sitemap.db", NO_THROTTLE, args=[f"sitemap={WWW}/robots.txt", "follow=0"], **NEWS_CRAWL)
    stats, db = done.stats, done.db
    assert_stored_right(db, ARTICLES)
    assert stats["news/robots/sitemaps"] == 1
    assert stats["news/sitemaps/fetched"] == 3  # the index, the urlset, the gzipped news sitemap
    assert stats["news/sitemaps/children"] == 2 and stats["news/sitemaps/urls"] == 14
    assert stats["news/requests/article"] == 8
    assert "replay/miss" not in stats


@pytest.mark.subprocess
def test_feed_crawl_fetches_the_feed_entries(tmp):
    done = scrapy_crawl(tmp / "feed.db", NO_THROTTLE, args=[f"feed={WWW}/rss.xml", "follow=0"], **NEWS_CRAWL)
    stats, db = done.stats, done.db
    _, _, feed = fixture("feed-rss")
    urls = [e["url"] for e in feed["entries"]]
    assert_stored_right(db, urls)
    assert stats["news/feeds/fetched"] == 1 and stats["news/feeds/entries"] == len(urls) == 6
    assert stats["news/pages/fetched"] == 6 and "news/pages/listing" not in stats
    # Following links from the feed's articles reaches the rest of the site.
    done = scrapy_crawl(tmp / "feed-follow.db", NO_THROTTLE, args=[f"feed={WWW}/rss.xml"], **NEWS_CRAWL)
    stats, db = done.stats, done.db
    assert_stored_right(db, ARTICLES)


@pytest.mark.subprocess
def test_max_pages_stops_the_crawl_cleanly(tmp):
    done = scrapy_crawl(tmp / "max.db", NO_THROTTLE, args=[f"start_urls={WWW}/", "max_pages=3"], **NEWS_CRAWL)
    stats, db, log = done.stats, done.db, done.stderr
    assert stats["finish_reason"] == "max_pages"
    assert stats["news/pages/fetched"] == 3
    assert stats["news/max_pages/not_fetched"] >= 1
    # Articles are fetched before the navigation: the home page and two of its articles.
    assert stats["news/pages/listing"] == 1 and db["articles"].count == 2
    assert "Traceback" not in log


@pytest.mark.subprocess
def test_since_skips_old_articles_before_or_after_fetching(tmp):
    done = scrapy_crawl(tmp / "since-sitemap.db", NO_THROTTLE, args=[f"sitemap={WWW}/sitemap_index.xml", "since=2024-11-12"],
                        **NEWS_CRAWL)
    stats, db = done.stats, done.db
    assert_stored_right(db, set(ARTICLES) - OLD)
    assert stats["news/since/skipped_before_fetch"] == 2  # their sitemap lastmod is older
    assert "news/since/skipped_after_extraction" not in stats  # links to them are not followed either
    done = scrapy_crawl(tmp / "since-links.db", NO_THROTTLE, args=[f"start_urls={WWW}/", "since=2024-11-12"],
                        **NEWS_CRAWL)
    stats, db = done.stats, done.db
    assert_stored_right(db, set(ARTICLES) - OLD)
    assert stats["news/since/skipped_after_extraction"] == 2  # only the page says how old it is


@pytest.mark.subprocess
def test_bad_arguments_stop_the_crawl(tmp):
    proc = scrapy_crawl(tmp / "bad.db", spider="news", replay=SITE, args=["max_pages=0", f"start_urls={WWW}/"],
                        check=False, timeout=120)
    assert proc.returncode != 0
    assert "max_pages must be at least 1" in proc.stderr


# -- the English site: JSON-LD pages and an Atom feed -----------------------------------------

ENGLISH = FIXTURES / "kestrelbay-courier"
COURIER = "https://www.kestrelbay-courier.com"


def english_articles() -> dict[str, dict]:
    out = {}
    for directory in recordings("kestrelbay-courier"):
        info, _, expected = load_recording(directory)
        if expected["kind"] == "article":
            out[info["url"]] = expected["record"]
    return out


@pytest.mark.subprocess
@pytest.mark.parametrize(
    "entry", [f"feed={COURIER}/feeds/all.atom.xml", f"start_urls={COURIER}/", f"sitemap={COURIER}/robots.txt"]
)
def test_english_site_is_archived_from_each_entry_point(tmp, entry):
    done = scrapy_crawl(tmp / f"{entry.split('=')[0]}-en.db", NO_THROTTLE, args=[entry], **{**NEWS_CRAWL, "replay": ENGLISH})
    stats, db = done.stats, done.db
    want = english_articles()
    rows = {row["url"]: row for row in db["articles"].rows}
    assert set(rows) == set(want)
    for url, row in rows.items():
        for field in ("title", "published", "updated", "language", "site", "canonical_url"):
            assert row[field] == want[url][field], (url, field)
        assert row["body"]
    # home, two pages of Local, Briefs, two author pages: none of them is an article
    assert stats["news/pages/listing"] == 6 and stats["news/pages/article"] == 4
    assert "replay/miss" not in stats
    assert stats["news/links/skipped/login"] >= 1 and stats["news/links/skipped/search"] >= 1
