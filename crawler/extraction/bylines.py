"""trafilatura's printed-byline finder (`trafilatura.metadata.extract_author`), in one pass
over the page instead of a copy of it.

trafilatura copies the whole tree, deletes from the copy the comments, sidebars, dates,
`<time>` and `<figure>` elements (AUTHOR_DISCARD_XPATHS), then runs three XPaths whose
EXSLT `re:test` calls Python for every element (AUTHOR_XPATHS); that was 9 ms a page,
the copy a third of it. Every test in those XPaths reads only an element's tag and
attributes, so the same answer comes from reading each element once: an element is a
candidate of the first XPath whose test it passes, and is gone from the copy when it or an
element above it passes a discard test. Where the winning element holds a deleted element
(its text in the copy differs), trafilatura itself answers.

The tests are trafilatura 2.3's, written out; `tests/test_extraction_generic.py` checks this
module against trafilatura's own function on every recorded page, so a trafilatura release
that changes them fails there.
"""

from __future__ import annotations

import re

from lxml import etree
from trafilatura.json_metadata import normalize_authors
from trafilatura.metadata import extract_author
from trafilatura.utils import trim

_LEN_LIMIT = 120

_FIRST_TAGS = frozenset(("a", "address", "div", "link", "p", "span", "strong"))
_FIRST_CLASS = re.compile(r"author-?name|AuthorName|authorName")
_SECOND_TAGS = frozenset(("a", "div", "h3", "h4", "p", "span"))
_SECOND_ID = re.compile(r"author|zuozhe|bianji|xiaobian")
_SECOND_CLASS = re.compile(r"author|channel-name|zuozhe|bianji|xiaobian|submitted-by|posted-by|journalist-name")
_THIRD_ID = re.compile(r"[Aa]uthor")
_THIRD_CLASS = re.compile(r"[Aa]uthor|screenname|writer|[Bb]yline")
_DISCARD_TAGS = frozenset(("a", "div", "section", "span"))
_DISCARD_ID = re.compile(r"^comments|comment-?list|ProductReviews")
_DISCARD_CLASS = re.compile(
    r"^[Cc]omments|commentlist|comments-list|sidebar|is-hidden|quote|embedly-instagram|"
    r"article-(?:share|support)|print|category|meta-date|meta-reviewer"
)


def _rank(el, tag: str, cls: str | None, ident: str | None, rel_elements: bool) -> int:
    """Which of trafilatura's author XPaths (0, 1, 2) the element answers first; 3 for none."""
    attrib = el.attrib
    itemprop = attrib.get("itemprop")
    if tag == "author" or tag in _FIRST_TAGS and (
        attrib.get("rel") == "author" or ident == "author" or cls == "author" or itemprop == "author name"
        or attrib.get("data-testid") in ("AuthorCard", "AuthorURL")
        or (cls is not None and _FIRST_CLASS.search(cls))
        # `rel='me'` without its @ in trafilatura's XPath: a child element <rel> reading "me".
        or rel_elements and any(child.tag == "rel" and child.xpath("string()") == "me" for child in el)
    ):
        return 0
    if tag in _SECOND_TAGS and (
        cls in ("byline", "username", "byl", "BBL") or (itemprop is not None and "author" in itemprop)
        or (ident is not None and _SECOND_ID.search(ident)) or (cls is not None and _SECOND_CLASS.search(cls))
    ):
        return 1
    if (
        "Byline" in (attrib.get("data-component") or "") or (itemprop is not None and "author" in itemprop)
        or (ident is not None and _THIRD_ID.search(ident)) or (cls is not None and _THIRD_CLASS.search(cls))
    ):
        return 2
    return 3


def _discarded(el, tag: str, cls: str | None, ident: str | None) -> bool:
    if tag in ("time", "figure"):
        return True
    if tag not in _DISCARD_TAGS:
        return False
    return (
        ident == "comments" or cls in ("comments", "title", "date")
        or (ident is not None and _DISCARD_ID.search(ident)) or (cls is not None and _DISCARD_CLASS.search(cls))
        or "Figure" in (el.get("data-component") or "")
    )


def printed_byline(tree) -> str | None:
    """What `trafilatura.metadata.extract_author(tree)` returns, the tree left as it is."""
    candidates: tuple[list, list, list] = ([], [], [])
    gone: set = set()  # deleted from trafilatura's copy: a discarded element and all below it
    holds_gone: set = set()  # elements above a deleted one
    # trafilatura reads a copy of the element it is given: that element is the copy's root.
    root = tree.getroot() if isinstance(tree, etree._ElementTree) else tree
    rel_elements = root.find(".//rel") is not None  # <rel> is no HTML element: almost never there
    for el in root.iter():
        tag = el.tag
        if not isinstance(tag, str):
            continue
        parent = el.getparent()
        if parent in gone:
            gone.add(el)
            continue
        cls, ident = el.get("class"), el.get("id")
        if el is not root and _discarded(el, tag, cls, ident):
            gone.add(el)
            node = parent
            while node is not None and node not in holds_gone:
                holds_gone.add(node)
                node = node.getparent()
            continue
        if cls is None and ident is None and tag not in _FIRST_TAGS and tag != "author" and not el.attrib:
            continue  # no test can pass: every one reads the tag or an attribute
        rank = _rank(el, tag, cls, ident, rel_elements)
        if rank < 3:
            candidates[rank].append(el)
    for found in candidates:
        for el in found:
            if el in holds_gone:
                return extract_author(tree)  # its text in the copy lacks what was deleted
            content = trim(" ".join(el.itertext()))
            if content and 2 < len(content) < _LEN_LIMIT:
                return normalize_authors(None, content)
    return None
