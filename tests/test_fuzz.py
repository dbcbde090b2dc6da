"""Fuzzed: the extractor (`extract_article`) and the search-query parser under Hypothesis.

Random and mutated HTML (from the recorded pages in fixtures/) raises nothing but
ExtractionError and its subclasses, and gives a record that can be stored as JSON; random
queries (operators, quotes, parentheses, NEAR, column filters, CJK, punctuation, very long
and deeply nested) give a result or a SearchError whose message is one short printable
line. Each input has a deadline, generous for a shared 2-core machine: a hang or a
runaway (quadratic) case fails it. Derandomized, no example database: CI runs the same
examples every time. The findings are regular tests in test_extraction_bad_input.py and
test_search.py."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive import read as lib
from crawler.extraction import ExtractionError, extract_article
from tests.conftest import FIXTURES
from tests.test_search_fixtures import build_query_archive

FUZZ = settings(
    derandomize=True,
    database=None,
    deadline=timedelta(seconds=5),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# -- extraction ---------------------------------------------------------------------------

PAGES = sorted(p for p in FIXTURES.rglob("body.*") if p.suffix in (".html", ".txt", ".xml"))
PAGE_BYTES = [p.read_bytes() for p in PAGES]

TAGS = ["div", "p", "span", "a", "h1", "h2", "article", "section", "main", "header", "footer", "time",
        "ul", "li", "table", "tr", "td", "br", "img", "script", "style", "meta", "title", "strong", "em",
        "blockquote", "figure", "figcaption", "nav", "aside", "iframe", "svg", "noscript", "template"]
ATTRIBUTES = ["class", "id", "itemprop", "property", "name", "content", "datetime", "href", "rel", "lang",
              "charset", "http-equiv", "type", "style"]
VALUES = ["article", "content", "byline", "author", "date", "source", "editor", "related", "copyright",
          "headline", "datePublished", "og:title", "article:published_time", "description", "main",
          "text/html; charset=gbk", "application/ld+json", "canonical", "2024-11-18T10:25:00+08:00",
          "javascript:alert(1)", "zh-CN", "", "\x00", "'\"><", "来源：新华社", "责任编辑：李娜", "©2024",
          "http://[bad/", "https://]x/", "http://x:99999999/", "//", "/../../a", "?q=1#f", "mailto:"]
TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=80) | st.sampled_from(
    ["Source: Xinhua", "By Zhang Wei", "Editor: Li Yan", "2024-11-18 10:25", "Related news",
     "Copyright ©1999-2024 Example. All rights reserved.", "发布时间：2024-07-15 10:30 来源：新华社 记者 张伟",
     "国务院新闻办公室今天举行新闻发布会。", "&amp;&#0;&#x110000;&bogus;", "<![CDATA[x]]>", "<!--", "-->"])


def element(children):
    attrs = st.lists(st.tuples(st.sampled_from(ATTRIBUTES), st.sampled_from(VALUES) | TEXT), max_size=3)

    def render(tag, pairs, inner):
        attributes = "".join(f' {name}="{value}"' for name, value in pairs)
        return f"<{tag}{attributes}>{''.join(inner)}</{tag}>"

    return st.builds(render, st.sampled_from(TAGS), attrs, st.lists(children, max_size=5))


HTML = st.recursive(TEXT, element, max_leaves=60).map(lambda body: f"<html><head></head><body>{body}</body></html>")
JSON_LD = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["@type", "headline", "author", "datePublished", "dateModified", "name", "@graph",
                         "publisher", "articleBody", "inLanguage", "url", "mainEntityOfPage"]) | TEXT,
        inner, max_size=5),
    max_leaves=20,
)
CONTENT_TYPES = st.sampled_from([None, "text/html", "text/html; charset=utf-8", "text/html; charset=gbk",
                                 "text/html; charset=bogus-charset", "text/html; charset=", "application/pdf",
                                 "text/html; charset=utf-16", "text/plain; charset=iso-8859-1"])


def headers_for(content_type):
    return {"Content-Type": content_type} if content_type else {}


@pytest.fixture(scope="module", autouse=True)
def warm_extractor():
    """One extraction before the timed ones: the first loads what the extractor loads once."""
    extract_article("https://www.example.com/a.html", PAGE_BYTES[0], {})


def check_extraction(url: str, body: bytes, headers: dict) -> None:
    try:
        record = extract_article(url, body, headers)
    except ExtractionError as exc:
        assert exc.reason
        return
    json.dumps(record)  # storable


@st.composite
def mutated_page(draw):
    """A recorded page with a few byte-level edits: cut, deleted, repeated or random bytes,
    a tag's text inserted."""
    data = bytearray(draw(st.sampled_from(PAGE_BYTES)))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        size = draw(st.integers(0, 400))
        edit = draw(st.sampled_from(["cut", "delete", "repeat", "random", "insert"]))
        if edit == "cut":
            del data[at:]
        elif edit == "delete":
            del data[at:at + size]
        elif edit == "repeat":
            data[at:at] = data[at:at + size] * draw(st.integers(2, 20))
        elif edit == "random":
            data[at:at + size] = draw(st.binary(max_size=size))
        else:
            data[at:at] = draw(st.sampled_from(["<div>", "</div>", "<p>", "</body>", "<html>", "<script>",
                                                 "<!--", "]]>", "<meta charset='gbk'>", "\x00", "\ufeff",
                                                 "<", ">", "&", '"', "'", "[", "]", "\x1f", "\x0c",
                                                 '<a href="http://[x/">', "<footer>", "</footer>"])).encode()
    return bytes(data)


URLS = st.sampled_from(["https://www.ecns.cn/news/2024-11-18/detail-ihekectp0358339.shtml",
                        "http://www.ecns.cn/business/2014/08-19/130296.shtml",
                        "https://www.example.com/news/2024/a.html", "https://news.example.cn/a/b/c.html",
                        "http://127.0.0.1/", "file:///tmp/page.html", "https://例子.中国/新闻/1.html"])


@settings(FUZZ, max_examples=80)
@given(url=URLS, body=mutated_page(), content_type=CONTENT_TYPES)
def test_mutated_recorded_pages(url, body, content_type):
    check_extraction(url, body, headers_for(content_type))


@settings(FUZZ, max_examples=80)
@given(url=URLS, html=HTML, ld=JSON_LD, lang=st.sampled_from(["en", "zh", "zh-CN", "", "x" * 300]),
       content_type=CONTENT_TYPES, encoding=st.sampled_from(["utf-8", "gbk", "utf-16", "latin-1"]))
def test_random_html(url, html, ld, lang, content_type, encoding):
    script = f'<script type="application/ld+json">{json.dumps(ld)}</script>'
    page = html.replace("<html><head>", f'<html lang="{lang}"><head>{script}', 1)
    check_extraction(url, page.encode(encoding, errors="replace"), headers_for(content_type))


@settings(FUZZ, max_examples=40)
@given(url=URLS, body=st.binary(max_size=2000), content_type=CONTENT_TYPES)
def test_random_bytes(url, body, content_type):
    check_extraction(url, body, headers_for(content_type))


# -- search queries -----------------------------------------------------------------------

WORDS = ["steel", "Shougang", "science", "park", "reported", "zhongguan*", "^steel", "s", "a", "the", "and",
         "首钢", "中关村", "经济", "钢", "人工智能", "村科学普及活动", "한국어", "日本語", "U.S.", "COVID-19",
         "Qianlong.com", "e-mail", "'", "--", ";", "%", "_", "\\", "*", "^", ":", "+", "-", "{", "}", "[", "]",
         "\x00", "\x1b[31m", "\u200b", "🙂", "ǅ", "ß", "NEAR", "near", "and", "x" * 200]
SYNTAX = ["AND", "OR", "NOT", "NEAR(", "NEAR", "(", ")", '"', ",", "5", ",5", "0", "-1", "999999999999",
          "title:", "body:", "foo:", "title:(", "{title body}:", "*", "^"]
TOKEN = st.sampled_from(WORDS + SYNTAX) | st.text(max_size=12)
SEPARATOR = st.sampled_from([" ", "", "  ", "\t", "\n", "\u3000"])


@st.composite
def query(draw):
    parts = draw(st.lists(st.tuples(TOKEN, SEPARATOR), min_size=1, max_size=30))
    text = "".join(token + sep for token, sep in parts)
    nesting = draw(st.sampled_from([0, 0, 0, 3, 40, 120, 400]))
    if nesting:
        text = "(" * nesting + text + ")" * draw(st.sampled_from([nesting, nesting - 1, 0]))
    return text


def check_query(db, text: str) -> None:
    try:
        result = lib.search(db, text, limit=5)
    except lib.SearchError as exc:
        message = str(exc)
        assert message and len(message) <= 300, message
        assert re.search(r"[\x00-\x1f\x7f-\x9f]", message) is None, message
        return
    assert result.total >= len(result.hits)


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    database = lib.connect(build_query_archive(tmp_path_factory.mktemp("fuzz") / "archive.db"))
    yield database
    database.close()


@settings(FUZZ, max_examples=400)
@given(text=query())
def test_queries_with_operators(db, text):
    check_query(db, text)


@settings(FUZZ, max_examples=150)
@given(text=st.text(max_size=1200))
def test_random_text_queries(db, text):
    check_query(db, text)
