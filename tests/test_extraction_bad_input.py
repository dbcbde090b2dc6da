"""Hostile and broken pages: each yields a record with what it supports and nulls elsewhere,
or raises ExtractionError with a reason; none hangs or blows up."""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone

import lxml.html
import pytest

from crawler.extraction import EmptyPageError, ExtractionError, NotHTMLError, Page, extract_article
from crawler.normalize import absolute_url, parse_date
from tests.conftest import FIXTURES, load_recording

URL = "https://news.example.com/2024/05/01/story.html"

ARTICLE = (
    "<p>The city council approved the new budget on Tuesday, after a debate that lasted"
    " well into the night and drew hundreds of residents to the chamber.</p>"
    "<p>Officials said the plan raises spending on schools and public transport, while"
    " holding property taxes flat for the second year in a row.</p>"
    "<p>Opponents argued that the projections were too optimistic and warned of cuts"
    " later, but the measure passed by a vote of seven to two.</p>"
)


def page(head: str = "", body: str = ARTICLE) -> bytes:
    return f"<html><head><title>Budget passes</title>{head}</head><body><h1>Budget passes</h1>{body}</body></html>".encode()


def test_empty_bytes_raise_with_reason():
    for body in (b"", b"   \n\t  "):
        with pytest.raises(EmptyPageError) as info:
            extract_article(URL, body, {})
        assert info.value.reason == "empty"


def test_binary_file_raises_not_html():
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40
    with pytest.raises(NotHTMLError) as info:
        extract_article(URL, png, {"Content-Type": "text/html"})
    assert info.value.reason == "not_html"
    noise = bytes([0, 1, 2, 3, 0, 0, 255, 0]) * 2000
    with pytest.raises(ExtractionError):
        extract_article(URL, noise, {})


def test_twenty_megabyte_page_is_bounded_and_keeps_the_article():
    # What makes real pages this big: inline data blobs and endless link lists.
    blob = "<script>window.__STATE__=" + '{"k":"' + "x" * (20 * 1024 * 1024) + '"}</script>'
    links = "<div class='ad'><a href='/x'>link</a></div>" * 2_000
    body = page(body=ARTICLE + links + blob)
    assert len(body) > 20 * 1024 * 1024
    record = extract_article(URL, body, {})
    assert "city council approved the new budget" in record["body"]
    assert record["title"] == "Budget passes"


def test_ten_thousand_nested_divs():
    nested = "<div>" * 10_000 + ARTICLE + "</div>" * 10_000
    try:
        record = extract_article(URL, page(body=nested), {})
    except ExtractionError as exc:  # refusing is acceptable, with a reason
        assert exc.reason
        return
    assert record["title"] == "Budget passes"
    assert record["authors"] == []
    assert isinstance(record["body"], (str, type(None)))


def test_gbk_bytes_declaring_utf8_are_read_as_chinese():
    text = "<p>国务院新闻办公室今天举行新闻发布会，介绍今年以来国民经济运行情况。国家统计局新闻发言人表示，经济运行总体平稳，稳中有进。</p>" * 3
    html = (
        "<html><head><meta charset='utf-8'><title>国民经济运行总体平稳</title></head><body>"
        "<h1>国民经济运行总体平稳</h1><div>发布时间：2024-07-15 10:30 来源：新华社 记者 张伟</div>"
        f"{text}<div>责任编辑：李娜</div></body></html>"
    )
    record = extract_article("https://www.example.cn/a.html", html.encode("gbk"), {})
    assert record["title"] == "国民经济运行总体平稳"
    assert "国务院新闻办公室" in record["body"]
    assert "\ufffd" not in record["body"]
    assert record["published"] == "2024-07-15T10:30:00+08:00"
    assert record["language"] == "zh"
    assert record["authors"] == ["张伟"]
    assert record["editor"] == "李娜"
    assert record["source"] == "新华社"


def test_invalid_jsonld_is_ignored_and_the_page_still_extracts():
    broken = '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Broken", </script>'
    record = extract_article(URL, page(head=broken), {})
    assert record["title"] == "Budget passes"
    assert "city council" in record["body"]
    assert record["extraction"]["title"] != "jsonld"


@pytest.mark.parametrize("value", ["2999-01-01T10:00:00Z", "1970-01-01T00:00:00Z", "1850-06-01"])
def test_implausible_dates_are_not_published_dates(value):
    head = (
        f'<meta property="article:published_time" content="{value}">'
        f'<script type="application/ld+json">{json.dumps({"@type": "NewsArticle", "datePublished": value})}</script>'
    )
    record = extract_article(URL, page(head=head), {})
    published = record["published"]
    assert published is None or (1990 <= int(published[:4]) <= datetime.now(timezone.utc).year + 1)
    assert not (published or "").startswith(value[:4])


def test_parse_date_rejects_future_and_pre_1990():
    now = datetime(2024, 6, 1, tzinfo=timezone.utc)
    assert parse_date("2030-01-01", now=now) is None
    assert parse_date("1989-12-31", now=now) is None
    assert parse_date("2024-05-31", now=now) == "2024-05-31"


def test_page_without_article_has_null_body_not_navigation():
    nav = "".join(f"<li><a href='/s/{i}'>Section {i}</a></li>" for i in range(40))
    record = extract_article(URL, page(body=f"<nav><ul>{nav}</ul></nav>"), {})
    assert record["body"] in (None, "")
    assert record["title"] == "Budget passes"


@pytest.mark.parametrize("depth", [300, 1000, 1800])
@pytest.mark.parametrize("tag", ["div", "font", "blockquote", "td"])
def test_a_deeply_nested_page_keeps_its_body(depth, tag):
    """libxml2 stops at 256 levels by default and drops what is deeper; broken templates
    nest unclosed elements that deep."""
    nested = f"<{tag}>" * depth + ARTICLE + f"</{tag}>" * depth
    record = extract_article(URL, page(body=nested), {})
    assert record["body"].split("\n\n") == [
        "The city council approved the new budget on Tuesday, after a debate that lasted well into the night "
        "and drew hundreds of residents to the chamber.",
        "Officials said the plan raises spending on schools and public transport, while holding property "
        "taxes flat for the second year in a row.",
        "Opponents argued that the projections were too optimistic and warned of cuts later, but the measure "
        "passed by a vote of seven to two.",
    ]


@pytest.mark.parametrize("headline", [7, 3.5, True, ["", 12], {"@value": 9}])
def test_a_json_ld_headline_that_is_not_text_is_never_the_title(headline):
    data = json.dumps({"@context": "https://schema.org", "@type": "NewsArticle", "headline": headline})
    record = extract_article(URL, page(head=f'<script type="application/ld+json">{data}</script>'), {})
    assert record["title"] == "Budget passes"


@pytest.mark.parametrize("prefix", [
    b'<?xml version="1.0" encoding="ISO-8859-1"?>\n',
    b'\x00\x00<?xml version="1.0" encoding="utf-8"?>',
    b'\xef\xbb\xbf<?xml version="1.0" encoding="utf-8"?>',
    b'<!-- generated -->\n<?xml version="1.0" encoding="utf-8"?>',
])
def test_a_page_opening_with_an_xml_declaration_is_extracted(prefix):
    record = extract_article(URL, prefix + page(), {"Content-Type": "text/html"})
    assert record["title"] == "Budget passes"
    assert record["body"].startswith("The city council approved the new budget")


def test_paragraphs_the_page_repeats_stay_repeated():
    refrain = "<p>Update: this story will be updated as the council publishes the final figures tonight.</p>"
    body = ARTICLE.replace("</p><p>Officials", "</p>" + refrain * 3 + "<p>Officials") + refrain
    paragraphs = extract_article(URL, page(body=body), {})["body"].split("\n\n")
    update = "Update: this story will be updated as the council publishes the final figures tonight."
    assert paragraphs[1:4] == [update] * 3  # three in a row, as printed
    assert paragraphs.count(update) == 4 and paragraphs[-1] == update


# Found by fuzzing (tests/test_fuzz.py):


def test_control_characters_in_a_page_are_dropped():
    # lxml keeps them from HTML, then refuses any text set with them (a line break added
    # after a footer's lines): the ECNS footer reader raised ValueError.
    footer = "<footer><div>Copyright\x0c ©2024\x01 Example</div><div></div>\x1f</footer>"
    for url in (URL, "https://www.ecns.cn/news/2024-11-18/detail-ihekectp0358339.shtml"):
        text = ARTICLE.replace("budget", "bud\x1fget", 1).replace("night and", "night\x0cand", 1)
        record = extract_article(url, page(body=text + footer), {})
        assert "approved the new budget" in record["body"] and "the night and drew" in record["body"]
        assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f]", json.dumps(record, ensure_ascii=False))


def test_links_that_are_not_urls_are_left_out():
    # A bracket in the host is taken for a broken IPv6 address: urljoin raised ValueError.
    assert absolute_url(URL, "https://]]>www.example.com/local/") is None
    record = extract_article(URL, page(head='<link rel="canonical" href="https://]]>www.example.com/local/">'), {})
    assert record["canonical_url"] is None and "approved the new budget" in record["body"]
    info, body, _ = load_recording(FIXTURES / "ecns" / "g1-seed-zhongguancun-shougang")
    broken = body.replace(b'<a href="/business/2013/09-13/82570.shtml"',
                          b'<a href="http://[www.ecns.cn/business/2013/09-13/82570.shtml"')
    assert broken != body
    related = extract_article(info["url"], broken, {})["related"]
    entry = next(r for r in related if r["title"] == "Zhongguancun may host private bank")
    assert entry["url"] is None and len(related) == 6


def test_a_form_page_parses_to_plain_html_elements():
    # The parser picks every element's class in C (lxml.html's form classes cost a Python
    # call per element touched); a page's forms, inputs and labels still read as text.
    parsed = Page.from_text("https://example.com/a", "<html><body><form><label>Name <input name=q></label>"
                          "<select><option>One</option></select></form><p>Story text.</p></body></html>")
    assert {type(el) for el in parsed.tree.iter()} == {lxml.html.HtmlElement}
    assert parsed.tree.find(".//form").text_content() == "Name One"


def test_a_paragraph_of_thousands_of_links_is_not_read_as_text_but_stays_in_the_page():
    # One <p> holding 3,000 links (a link farm): trafilatura's reading of it grows
    # quadratically (16,000 cost 45 s), so it is handed a copy of the tree without it.
    from crawler.extraction.body import MAX_ELEMENTS_IN_PARAGRAPH, tree_for_trafilatura

    farm = "<p>" + "".join(f'<a href="/tag/t{i}">tag{i}</a> ' for i in range(3000)) + "</p>"
    assert 3000 > MAX_ELEMENTS_IN_PARAGRAPH
    source = Page.from_bytes(URL, page(body=ARTICLE + farm))
    given = tree_for_trafilatura(source.tree)
    assert given is not source.tree
    assert not any("tag17" in (p.text_content()) for p in given.iter("p"))
    assert len(source.tree.findall(".//a")) == 3000  # the page itself is left as it was
    record = extract_article(URL, page(body=ARTICLE + farm))
    assert "council approved the new budget" in record["body"] and "tag17" not in record["body"]


def test_a_paragraph_of_thousands_of_inline_elements_is_read_as_its_text():
    from crawler.extraction.body import tree_for_trafilatura

    lines = "<p>" + "".join(f"<span>Line {i} of the long old report.</span><br>" for i in range(1500)) + "</p>"
    source = Page.from_bytes(URL, page(body=ARTICLE + lines))
    crowded = [p for p in tree_for_trafilatura(source.tree).iter("p") if "Line 1499" in p.text_content()]
    assert len(crowded) == 1 and len(crowded[0]) == 0 and "\n" in crowded[0].text
    record = extract_article(URL, page(body=ARTICLE + lines))
    assert "Line 1499 of the long old report." in record["body"]


def test_an_ordinary_page_is_read_from_its_own_tree():
    from crawler.extraction.body import tree_for_trafilatura

    source = Page.from_bytes(URL, page())
    assert tree_for_trafilatura(source.tree) is source.tree


class _Paragraph:
    """What justext's classification reads and writes of a paragraph."""

    def __init__(self, cf_class: str, heading: bool, text: str, class_type: str = ""):
        self.cf_class, self.heading, self.text, self.class_type = cf_class, heading, text, class_type


def test_the_linear_justext_revision_gives_justexts_classes():
    import random

    import justext.core

    from crawler.extraction.justext_revision import revise_paragraph_classification

    rnd = random.Random(5)
    kinds = ("short", "neargood", "good", "bad")
    for run in range(3000):
        n = rnd.randint(0, 40)
        weights = [rnd.random() for _ in kinds]
        spec = [(rnd.choices(kinds, weights)[0], rnd.random() < 0.3, "x" * rnd.choice((0, 1, 20, 60, 200)),
                 rnd.choice(("", "good", "bad")) if run % 3 == 0 else "") for _ in range(n)]
        theirs = [_Paragraph(*s) for s in spec]
        ours = [_Paragraph(*s) for s in spec]
        distance = rnd.choice((0, 50, 150))
        justext.core.revise_paragraph_classification(theirs, distance)
        revise_paragraph_classification(ours, distance)
        assert [p.class_type for p in ours] == [p.class_type for p in theirs], spec


def test_a_page_of_thousands_of_short_paragraphs_uses_the_linear_revision(monkeypatch):
    # 3,000 headings each over one short line: trafilatura falls back to justext, whose
    # revision would walk the paragraphs once for each short one.
    from crawler.extraction import justext_revision

    calls = []
    real = justext_revision.revise_paragraph_classification
    monkeypatch.setattr(justext_revision, "revise_paragraph_classification",
                        lambda paragraphs, *args: calls.append(len(paragraphs)) or real(paragraphs, *args))
    body = "<article>" + ARTICLE + "</article>" + "".join(f"<h2>Heading {i}</h2><p>x</p>" for i in range(3000))
    record = extract_article(URL, page(body=body))
    assert calls and max(calls) > 1000
    assert "council approved the new budget" in record["body"]
