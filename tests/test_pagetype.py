"""The page classifier (crawler/extraction/discovery/pagetype.py): its accuracy over every
recorded page of every fixture site, and the URL pre-filter the news spider applies before
fetching."""

from __future__ import annotations

import pytest

from crawler.extraction import Page
from crawler.extraction.discovery.pagetype import page_evidence, page_kind, skip_reason, url_kind
from tests.conftest import load_recording, recordings

# expected.json kind -> what page_kind must say
LABELS = {"article": "article", "listing": "listing", "other": "other"}
MIN_ACCURACY = 0.95


def labelled_pages() -> list[tuple[str, str, str, Page]]:
    """(fixture, label, url, page) for every recorded HTML page labelled article, listing
    or other, across all fixture sites."""
    out = []
    for directory in recordings():
        info, body, expected = load_recording(directory)
        label = LABELS.get(expected["kind"])
        if label is None:
            continue
        page = Page.from_bytes(info["url"], body, info.get("headers"))
        out.append((f"{directory.parent.name}/{directory.name}", label, info["url"], page))
    return out


def test_classifier_accuracy_over_all_fixture_sites():
    pages = labelled_pages()
    sites = {name.split("/")[0] for name, *_ in pages}
    assert {"ecns", "huaxia-ribao", "kestrelbay-courier"} <= sites
    assert {label for _, label, _, _ in pages} == {"article", "listing", "other"}
    wrong = []
    for name, label, url, page in pages:
        evidence = page_evidence(url, page)
        if evidence.kind != label:
            wrong.append((name, label, evidence.kind, evidence.reasons))
    accuracy = 1 - len(wrong) / len(pages)
    print(f"\npage_kind accuracy: {accuracy:.3f} ({len(pages) - len(wrong)}/{len(pages)} recorded pages)")
    assert accuracy >= MIN_ACCURACY, wrong
    # The costly mistake: a list page stored as an article.
    assert not [w for w in wrong if w[1] == "listing" and w[2] == "article"], wrong


def test_error_pages_are_not_articles():
    for directory in recordings():
        info, body, expected = load_recording(directory)
        if expected["kind"] == "skip" and expected["reason"] == "http_error":
            assert page_kind(info["url"], body) != "article", directory.name


@pytest.mark.parametrize(
    "url, kind",
    [
        ("https://www.huaxia-ribao.cn/jingji/2024-11/18/content_5123401.html", "article"),
        ("https://tech.huaxia-ribao.cn/2024-11/15/content_5120877.html", "article"),
        ("http://www.ecns.cn/business/2014/08-19/130296.shtml", "article"),
        ("https://www.ecns.cn/news/economy/2024-11-18/detail-ihekectp0358339.shtml", "article"),
        ("http://ecns.cn/news/economy/2024-11-18/detail-ihekectp0358339.shtml?utm_source=twitter", "article"),
        ("http://www.people.com.cn/n1/2024/1118/c1004-40321234.html", "article"),
        ("https://www.example.com/2019/11/18/politics/some-story-slug/index.html", "article"),
        ("https://www.example.com/world/council-approves-new-transport-plan-for-the-city", "article"),
        ("http://www.example.co.kr/news/news_view.html?idx=8576&page=1", "article"),
        ("https://www.huaxia-ribao.cn/", "listing"),
        ("https://www.huaxia-ribao.cn/jingji/", "listing"),
        ("https://www.huaxia-ribao.cn/jingji/index_2.html", "listing"),
        ("https://www.huaxia-ribao.cn/tag/%E6%96%B0%E8%83%BD%E6%BA%90.html", "listing"),
        ("https://www.example.com/category/world/page/3/", "listing"),
        ("https://www.example.com/news/?page=2", "listing"),
        ("https://www.huaxia-ribao.cn/about/", "other"),
        ("https://www.ecns.cn/aboutus.shtml", "other"),
        ("https://www.ecns.cn/contactus.shtml", "other"),
        ("https://www.huaxia-ribao.cn/uploads/2024/11/18/lenglian_01.jpg", "other"),
        ("https://www.example.com/news/economy/some/deeper/path/", "unknown"),
    ],
)
def test_url_kind(url, kind):
    assert url_kind(url) == kind


@pytest.mark.parametrize(
    "url, reason",
    [
        ("https://www.huaxia-ribao.cn/uploads/2024/11/18/lenglian_01.jpg", "image"),
        ("https://www.huaxia-ribao.cn/uploads/2024/11/10/znhgz_zhinan.pdf", "document"),
        ("https://www.example.com/video/clip.mp4", "media"),
        ("https://www.huaxia-ribao.cn/rss.xml", "feed"),
        ("https://www.example.com/feed/", "feed"),
        ("https://passport.huaxia-ribao.cn/login?from=www", "login"),
        ("https://www.example.com/user/login.html", "login"),
        ("https://www.huaxia-ribao.cn/search/?q=%E5%86%B7%E9%93%BE", "search"),
        ("https://www.example.com/?s=election", "search"),
        ("https://www.example.com/share.php?url=https%3A%2F%2Fwww.example.com%2Fa", "share"),
        ("https://www.example.com/news/a.html?print=1", "print"),
        ("https://www.example.com/comment/?id=5123401", "comments"),
        ("https://www.huaxia-ribao.cn/history/?date=2024-11-17", "calendar"),
        ("https://www.example.com/2024/11/", "calendar"),
        ("https://www.example.com/events/calendar/2031-01", "calendar"),
        ("https://www.example.com/out?url=https://elsewhere.example.org/", "redirect"),
        ("https://www.example.com/css/main.css", "asset"),
        ("mailto:webmaster@huaxia-ribao.cn", "scheme"),
        ("javascript:void(0)", "scheme"),
    ],
)
def test_skip_reason(url, reason):
    assert skip_reason(url) == reason


@pytest.mark.parametrize(
    "url",
    [
        "https://www.huaxia-ribao.cn/jingji/2024-11/18/content_5123401.html",
        "https://www.huaxia-ribao.cn/jingji/index_2.html",
        "https://www.example.com/news/researchers-find-new-species-in-the-andes",  # "search" inside a word
        "https://www.example.com/2024/11/18/council-approves-plan/",
    ],
)
def test_pages_are_not_skipped(url):
    assert skip_reason(url) is None


def _page(body: str, url: str = "https://www.example.com/x") -> Page:
    return Page.from_text(url, f"<html><head>{body[0]}</head><body>{body[1]}</body></html>")


PARA = "The council approved a new plan for public transport on Tuesday, after months of debate among residents, business owners and transport experts about the old tram lines. "
ZH_PARA = "随着冬季水果进口量逐步增加，我国冷链物流行业正在加快扩充仓储和运输能力，多个港口和内陆枢纽近期新建了一批冷库，经营企业表示需求保持稳定增长。"


def test_structured_data_decides_an_ambiguous_url():
    jsonld = '<script type="application/ld+json">{"@context":"https://schema.org","@type":"%s","headline":"x"}</script>'
    article = _page((jsonld % "NewsArticle", f"<h1>Plan</h1><p>{PARA}</p><p>{PARA}</p>"), "https://www.example.com/x/")
    listing = _page((jsonld % "CollectionPage", "<h1>World</h1>" + "".join(
        f'<li><a href="/world/2024/11/{i:02d}/story-{i}.html">Story {i}</a></li>' for i in range(1, 9))), "https://www.example.com/x/")
    assert page_kind(article.url, article) == "article"
    assert page_kind(listing.url, listing) == "listing"


def test_text_density_decides_without_structured_data():
    url = "https://www.example.com/p/abc"
    prose = _page(("", "<div class='nav'><a href='/a/'>A</a></div><h1>Plan</h1>" + f"<p>{PARA}</p>" * 4), url)
    chinese = _page(("", "<h1>冷链物流</h1>" + f"<p>{ZH_PARA}</p>" * 3 + "<p>（责任编辑：王芳）</p>"), url)
    # A list whose items carry summaries: the summaries are teasers, not prose.
    teasers = _page(("", "".join(
        f'<div class="item"><h3><a href="/news/2024/11/{i:02d}/story-number-{i}-of-the-day.html">Story {i}</a></h3><p>{PARA}</p></div>'
        for i in range(1, 7))), url)
    empty = _page(("", "<h1>Page not found</h1><p>Sorry.</p>"), url)
    assert page_kind(url, prose) == "article"
    assert page_kind(url, chinese) == "article"
    assert page_kind(url, teasers) == "listing"
    assert page_kind(url, empty) == "other"


def test_page_kind_accepts_bytes_and_text():
    html = f"<html><body><h1>Plan</h1><p>{PARA}</p><p>{PARA}</p><p>{PARA}</p></body></html>"
    url = "https://www.example.com/2024/11/18/council-approves-plan.html"
    assert page_kind(url, html) == page_kind(url, html.encode()) == "article"
