"""A site profile's selectors (crawler/extraction/profiles/selectors.py) are declared once and
read two ways, the page walk and the compiled XPath: both must find what `Selector.matches`
says, on every recorded ECNS page and on hand-made markup."""

from __future__ import annotations

import lxml.html
import pytest

from crawler.extraction import ExtractionError, Page
from crawler.extraction.profiles import ecns
from crawler.extraction.profiles.selectors import PageWalk, Selector, xpath
from tests.conftest import load_recording, recordings

HTML = """<html><head><title>T</title></head><body>
<div class="content"><h1>Plain headline</h1>
  <div class="info x"><span class="time">2024-11-18</span><span class="times">not it</span></div>
  <div class="article-body" id="yanse"><p class="author byline">By A</p><p>Text <span class="ad-box">ad</span></p></div>
  <div class="relatedness"><h3>Not related</h3></div><div class="box related"><h2>Related</h2></div>
</div><footer>(c) 2024</footer></body></html>"""

SELECTORS = {
    "title": (Selector("h1", "class", "title", "word"), Selector("h1", inside=Selector("div", "class", "content"))),
    "info": (Selector("div", "class", "info", "word"),),
    "body": (Selector("div", "id", "yanse"), Selector("div", "class", "article", "part")),
    "related": (Selector("div", "class", "related", "word"),),
    "footer": (Selector("div", "id", "footer"), Selector("footer")),
}


def _first_matching(tree, selectors):
    return next((el for el in tree.iter() if isinstance(el.tag, str) and any(s.matches(el) for s in selectors)), None)


def _trees():
    trees = [lxml.html.document_fromstring(HTML)]
    for directory in recordings("ecns"):
        info, body, _ = load_recording(directory)
        try:
            trees.append(Page.from_bytes(info["url"], body, info.get("headers")).tree)
        except ExtractionError:
            continue
    return trees


def test_the_walk_finds_the_first_element_each_part_matches():
    walk = PageWalk(SELECTORS)
    for tree in _trees():
        found = walk(tree)
        for part, selectors in SELECTORS.items():
            assert found.get(part) is _first_matching(tree, selectors), part


def test_the_hand_made_page_is_read_by_words_parts_and_ancestors():
    found = PageWalk(SELECTORS)(lxml.html.document_fromstring(HTML))
    assert found["title"].text == "Plain headline"  # an h1 inside div.content
    assert found["info"].get("class") == "info x"  # a word of the class
    assert found["body"].get("id") == "yanse"
    assert found["related"].get("class") == "box related"  # `relatedness` is not the word
    assert found["footer"].tag == "footer"


@pytest.mark.parametrize("selectors", [
    (Selector("span", "class", "time"),),
    (Selector("*", "class", "author", "word"),),
    (Selector("span", "class", "l_editor"), Selector("*", "class", "editor", "word")),
    (Selector("*", "class", "ad-", "part"), Selector("*", "class", "byline", "word")),
    (Selector("h2"), Selector("h3")),
    *(selectors for part in ("time", "source", "editor", "author", "not_body", "related_heading", "title", "body")
      for selectors in [tuple(s for g in ecns.GENERATIONS for s in getattr(g, part))] if selectors),
])
def test_the_xpath_finds_every_element_the_selectors_match_in_page_order(selectors):
    query = xpath(selectors)
    for tree in _trees():
        want = [el for el in tree.iter() if isinstance(el.tag, str) and any(s.matches(el) for s in selectors)]
        assert query(tree) == [el for el in want if el is not tree]


def test_a_part_of_any_tag_is_not_walked_for():
    with pytest.raises(ValueError):
        PageWalk({"editor": (Selector("*", "class", "editor", "word"),)})
