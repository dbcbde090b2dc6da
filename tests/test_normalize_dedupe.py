"""Pure normalisation and dedupe keys."""

from __future__ import annotations

import pytest

from archive.dedupe import content_hash, minhash_bands, shingles, similarity, url_key
from crawler.normalize import absolute_url, collapse_whitespace, normalize_body, parse_date, site_of


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2014-08-19 10:39", "2014-08-19T10:39:00+08:00"),
        ("2024-11-18 10:25:18", "2024-11-18T10:25:18+08:00"),
        ("发布时间：2005年5月7日 21:23", "2005-05-07T21:23:00+08:00"),
        ("2005-5-7 21:23:57", "2005-05-07T21:23:57+08:00"),
        ("2024-11-18T10:25:18Z", "2024-11-18T10:25:18+00:00"),
        ("2024-11-18T10:25:18-05:00", "2024-11-18T10:25:18-05:00"),
        ("Aug. 12, 2014", "2014-08-12"),
        ("2014-05-16", "2014-05-16"),
        ("no date here", None),
        ("2999-01-01", None),  # the future is a parse error
        ("1985-01-01", None),  # before the web
        ("2014-02-30", None),
    ],
)
def test_parse_date(text, expected):
    assert parse_date(text, "+08:00") == expected


def test_parse_date_without_default_offset_keeps_local_time_naive():
    assert parse_date("2014-08-19 10:39") == "2014-08-19T10:39:00"


@pytest.mark.parametrize(
    "a, b",
    [
        ("http://www.ecns.cn/a/1.shtml", "https://ecns.cn/a/1.shtml"),
        ("https://ecns.cn/a/1.shtml?utm_source=x&utm_medium=y", "https://ecns.cn/a/1.shtml"),
        ("https://ecns.cn/a/1.shtml#top", "https://ecns.cn/a/1.shtml"),
        ("https://ecns.cn/a?b=2&a=1", "https://ecns.cn/a?a=1&b=2"),
        ("https://ECNS.cn:443/a", "https://ecns.cn/a"),
    ],
)
def test_url_key_equates_url_forms_of_one_page(a, b):
    assert url_key(a) == url_key(b)


def test_url_key_keeps_what_identifies_a_page():
    assert url_key("https://ecns.cn/a?id=1") != url_key("https://ecns.cn/a?id=2")
    assert url_key("https://ecns.cn/a") != url_key("https://ecns.cn/b")
    assert url_key("https://news.ecns.cn/a") != url_key("https://ecns.cn/a")


def test_content_hash_ignores_whitespace_case_and_punctuation():
    assert content_hash("Hello,  world!\n\nBye.") == content_hash("hello world bye")
    assert content_hash("Hello world") != content_hash("Hello there world")


def test_minhash_finds_edited_copy_and_not_another_story():
    story = " ".join(f"word{i} sentence{i % 7} clause{i % 13}" for i in range(80))
    edited = story.replace("word5 ", "changed ") + " Source: Xinhua"
    other = " ".join(f"other{i} topic{i % 5}" for i in range(120))
    assert sum(a == b for a, b in zip(minhash_bands(story), minhash_bands(edited))) >= 1
    assert similarity(shingles(story), shingles(edited)) > 0.9
    assert similarity(shingles(story), shingles(other)) < 0.1
    assert minhash_bands("too short to fingerprint") is None


def test_chinese_text_is_fingerprinted_by_character():
    text = "北京市政府周二宣布了新的公共交通计划，将增加三条公交线路并延长夜间服务时间。" * 3
    assert minhash_bands(text) is not None
    assert content_hash(text) == content_hash(text.replace("，", " "))


def _resolved_by_urllib(base: str, href: str) -> str | None:
    """What absolute_url returned before it had a fast path for plain URLs."""
    from urllib.parse import urljoin, urlsplit, urlunsplit

    href = href.strip()
    if not href or href.lower().startswith(("javascript:", "mailto:", "tel:", "data:", "#")):
        return None
    try:
        parts = urlsplit(urljoin(base, href))
    except ValueError:
        return None
    if parts.scheme not in ("http", "https"):
        return None
    return urlunsplit((parts.scheme, parts.netloc.lower(), parts.path or "/", parts.query, ""))


@pytest.mark.parametrize("base", ["http://www.Ex.com/a/b.html", "https://ex.com", "http://ex.com:8080/x/",
                                  "http://ex.com/x?q=1", "", "ftp://x.com/"])
def test_absolute_url_fast_path_agrees_with_urllib(base):
    hrefs = [
        "http://A.com", "HTTP://a.com?", "http://a.com/?", "http://a.com/x?y#z", "http://a.com:80/x",
        "http://a.com:/x", "/x/../y", "/./x", "/x/.", "/x/..", "//cdn.com/x", "/x;p", "/x?a;b",
        "http://a.com/x;y", "http://user@a.com/", "http://[::1]/", "/x y", "/%41", "https://a.com#", "/",
        "/?q", "http://a.com/a//b", "http://a.com//b", "/a//b", "http://a.com/:x", "/:x", "http://a.com/x?#",
        "http://a.com/é", "http://a.com/x\\y", "x.html", "../x.html", "?page=2", "  /padded  ",
    ]
    for href in hrefs:
        assert absolute_url(base, href) == _resolved_by_urllib(base, href), (base, href)


def test_whitespace_and_urls():
    assert collapse_whitespace(" a\u00a0\u3000b \n c ") == "a b c"
    assert normalize_body("  one \n two\n\n\n\nthree  ") == "one two\n\nthree"
    assert absolute_url("http://www.ecns.cn/business/", "/a.shtml#x") == "http://www.ecns.cn/a.shtml"
    assert absolute_url("http://www.ecns.cn/", "javascript:void(0)") is None
    assert absolute_url("http://www.ecns.cn/", "mailto:x@y.z") is None
    assert site_of("http://www.ecns.cn/x") == "ecns.cn"
    assert site_of("https://news.bbc.co.uk/x") == "bbc.co.uk"
