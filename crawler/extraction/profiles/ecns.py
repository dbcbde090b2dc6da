"""Site profile for ECNS (ecns.cn), the English site of China News Service, in its two
template generations (`GENERATIONS`): each says where it prints each part of an article.

A page is not assigned a generation first (any page of the site may be read, not only one at
an article URL of either): each part is the first element of the page, in document order,
that a selector of either generation matches; the related list is the first generation's, in
the order listed, that the page prints. On every recorded page (fixtures/ecns) and every page
tests/benchmarks/pages.py generates, this finds the same elements as the selectors of the
page's own generation alone: the generations' class names do not collide.
"""

from __future__ import annotations

import re
from copy import deepcopy
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from lxml import etree

from archive.record import EXTRACTION_FIELDS as AUTHORITATIVE_FIELDS
from crawler.extraction.authors import authors_from_byline
from crawler.extraction.copyright import parse_copyright
from crawler.extraction.page import Page
from crawler.extraction.profiles.selectors import PageWalk, Selector, xpath
from crawler.extraction.source import source_from_attribution, source_from_dateline
from crawler.extraction.text import element_lines, element_text
from crawler.normalize import absolute_url, collapse_whitespace, parse_date

NAME = "ecns"
SITES = ("ecns.cn",)
OFFSET = "+08:00"  # ECNS prints Beijing time without an offset
LANGUAGE = "en"

_SITE_URL = r"^https?://(?:www\.)?ecns\.cn/"
# Section front pages (`/news/economy/`, `/business/`), where listings start.
SECTION_URL = re.compile(_SITE_URL + r"(?:news/)?[a-z]+/$", re.IGNORECASE)


def _article_url(path: str) -> re.Pattern:
    """An article URL of the site whose last segments are `path` (with the date it carries
    as groups y, m, d), a query string allowed."""
    return re.compile(_SITE_URL + r"(?:[a-z0-9_-]+/)+" + path + r"(?:\?[^#]*)?$", re.IGNORECASE)


@dataclass(frozen=True)
class Generation:
    """One generation of the article template: its URLs and where it prints each part."""

    name: str
    article_url: re.Pattern
    title: tuple[Selector, ...]  # the headline
    info: tuple[Selector, ...]  # the line under it holding the date and the source
    time: tuple[Selector, ...]  # inside the info line
    source: tuple[Selector, ...]  # inside the info line
    editor: tuple[Selector, ...]
    body: tuple[Selector, ...]  # the box of the article's paragraphs
    author: tuple[Selector, ...]  # inside the body box
    not_body: tuple[Selector, ...]  # inside the body box, but not the article's text
    related: tuple[Selector, ...]  # the related-articles box: a heading, then <li>s of link and date
    related_heading: tuple[Selector, ...]  # inside the related box
    footer: tuple[Selector, ...]  # holding the copyright notice


def _class(tag: str, value: str, test: str = "is", inside: Selector | None = None) -> Selector:
    return Selector(tag, "class", value, test, inside)


def _id(tag: str, value: str) -> Selector:
    return Selector(tag, "id", value)


# `/business/2014/08-19/130296.shtml`: div.left holding the h1, div.l_info (span.l_time,
# span.l_source, span.l_editor), div.left_zw#yanse, div.zt_list (div.zt_title; li: span
# date, link); div#footer.
GENERATION_2013 = Generation(
    name="2013-2018",
    article_url=_article_url(r"(?P<y>(?:19|20)\d{2})/(?P<m>\d{2})-(?P<d>\d{2})/\d+\.s?html?"),
    title=(Selector("h1", inside=_class("div", "left")),),
    info=(_class("div", "l_info"),),
    time=(_class("span", "l_time"),),
    source=(_class("span", "l_source"),),
    editor=(_class("span", "l_editor"),),
    body=(_id("div", "yanse"), _class("div", "left_zw", "part")),
    author=(),
    not_body=(_class("*", "pictext", "word"),),
    related=(_class("div", "zt_list"),),
    related_heading=(_class("div", "zt_title"),),
    footer=(_id("div", "footer"),),
)

# `/news/economy/2024-11-18/detail-ihekectp0358339.shtml`: div.content holding h1.title,
# div.info (span.time, span.source), div.article#yanse (p.author, div.pic with p.pictext,
# p.editor), div.related (h3; li: link, span date); <footer>.
GENERATION_2019 = Generation(
    name="2019-",
    article_url=_article_url(r"(?P<y>(?:19|20)\d{2})-(?P<m>\d{2})-(?P<d>\d{2})/detail-[a-z0-9]+\.s?html?"),
    title=(_class("h1", "title", "word"), Selector("h1", inside=_class("div", "content"))),
    info=(_class("div", "info"),),
    time=(_class("span", "time"),),
    source=(_class("span", "source"),),
    editor=(_class("*", "editor", "word"),),
    body=(_id("div", "yanse"), _class("div", "article", "part")),
    author=(_class("*", "author", "word"),),
    not_body=(
        _class("*", "pictext", "word"), _class("*", "editor", "word"), _class("*", "author", "word"),
        _class("*", "share", "word"), _class("*", "ad-", "part"), _class("*", "promo", "part"),
        _class("*", "related", "word"),
    ),
    related=(_class("div", "related", "word"),),
    related_heading=(Selector("h2"), Selector("h3"), Selector("h4")),
    footer=(Selector("footer"),),
)

GENERATIONS = (GENERATION_2013, GENERATION_2019)


def _all(part: str) -> tuple[Selector, ...]:
    return tuple(s for g in GENERATIONS for s in getattr(g, part))


# The parts looked for over the whole page, in one walk: the templates' (the related box per
# generation), and the page's <title> and canonical link.
_FIND_ON_PAGE = PageWalk({
    "title": _all("title"), "info": _all("info"), "body": _all("body"), "footer": _all("footer"),
    **{f"related {g.name}": g.related for g in GENERATIONS},
    "title tag": (Selector("title"),), "canonical link": (Selector("link", "rel", "canonical"),),
})
_EDITOR = xpath(_all("editor"), axis="//")  # an element of any tag: a query, not the walk
_TIME = xpath(_all("time"))
_SOURCE = xpath(_all("source"))
_AUTHOR = xpath(_all("author"))
_NOT_BODY = xpath(_all("not_body"))
# (part name, heading query) of each generation's related box, in the order they are preferred.
_RELATED = tuple((f"related {g.name}", xpath(g.related_heading)) for g in GENERATIONS)
_PARAGRAPHS = etree.XPath(".//p")


def matches(page: Page) -> bool:
    return page.site in SITES


def generation_of_url(url: str) -> Generation | None:
    """The generation whose article URLs `url` is one of."""
    return next((g for g in GENERATIONS if g.article_url.match(url)), None)


def is_article_url(url: str) -> bool:
    return generation_of_url(url) is not None


def date_from_url(url: str) -> str | None:
    for generation in GENERATIONS:
        match = generation.article_url.match(url)
        if match:
            return parse_date(f"{match['y']}-{match['m']}-{match['d']}")
    return None


def _first(nodes):
    return nodes[0] if nodes else None


def _canonical_href(tree, first) -> str | None:
    """The href of the page's first canonical link that has one; `first` is its first
    canonical link (which nearly always has)."""
    if first is None:
        return None
    href = first.get("href")
    if href is not None:
        return href
    return next((link.get("href") for link in tree.iter("link")
                 if link.get("rel") == "canonical" and link.get("href") is not None), None)


def body_paragraphs(container) -> list[str]:
    """The text of the body box's paragraphs, without the parts of it that are not the
    article's text (captions, byline, editor, share bar, promotions, related list)."""
    if container is None:
        return []
    excluded = _NOT_BODY(container)
    paragraphs = _PARAGRAPHS(container)
    if excluded:
        dropped = set(excluded)
        kept = [p for p in paragraphs if p not in dropped and not any(a in dropped for a in p.iterancestors())]
        inside_kept = set(kept)
        if not any(a in inside_kept for node in excluded for a in node.iterancestors()):
            paragraphs = kept
        else:  # an excluded part inside a paragraph: drop it from a copy
            return _body_paragraphs_copy(container)
    texts = [element_text(p) for p in paragraphs]
    if not any(texts):
        return _body_paragraphs_copy(container)
    return [t for t in texts if t]


def _body_paragraphs_copy(container) -> list[str]:
    container = deepcopy(container)  # the page's tree is shared with the other extractors
    for node in _NOT_BODY(container):
        node.drop_tree()
    paragraphs = [element_text(p) for p in _PARAGRAPHS(container)]
    if not any(paragraphs):
        # Some old pages set the text with <br> instead of <p>.
        paragraphs = element_lines(container)
    return [p for p in paragraphs if p]


def _related(page_url: str, found: dict[str, Any]) -> tuple[str | None, list[dict[str, Any]]]:
    """(heading, entries) of the related box of the first generation that the page prints."""
    for part, heading_of in _RELATED:
        box = found.get(part)
        if box is not None:
            break
    else:
        return None, []
    heading = element_text(_first(heading_of(box)))
    entries = []
    for li in box.iter("li"):
        link = next((a for a in li.iter("a") if a.get("href") is not None), None)
        if link is None:
            continue
        date_text = " ".join(element_text(s) for s in li.iter("span"))
        entries.append(
            {
                "title": element_text(link) or None,
                "url": _absolute_url(page_url, link.get("href")),
                "published": _parse_date(date_text),
            }
        )
    return heading or None, entries


_DATES: dict[tuple[str, str | None], str] = {}


def _parse_date(text: str, offset: str | None = None) -> str | None:
    """`parse_date`, remembering what it found: a date found plausible stays so (only
    dates in the future are refused, and time only moves on)."""
    found = _DATES.get((text, offset))
    if found is None:
        found = parse_date(text, offset)
        if found is not None:
            if len(_DATES) >= 20_000:
                _DATES.clear()
            _DATES[(text, offset)] = found
    return found


_BASES: dict[str, tuple[str, str]] = {}


def _absolute_url(base: str, href: str | None) -> str | None:
    """`absolute_url(base, href)` without `urljoin` for the two forms ECNS pages use, an
    absolute http(s) URL and a root-relative path with no dot or empty segments, where
    joining changes nothing but the host."""
    if href:
        h = href.strip()
        if h.startswith(("http://", "https://")) and "#" not in h and "[" not in h and "]" not in h:
            parts = urlsplit(h)
            if parts.netloc:
                return urlunsplit((parts.scheme, parts.netloc.lower(), parts.path or "/", parts.query, ""))
        elif h.startswith("/") and not h.startswith("//") and "/." not in h and "//" not in h and "#" not in h:
            origin = _BASES.get(base)
            if origin is None:
                b = urlsplit(base)
                origin = _BASES[base] = (b.scheme, b.netloc)
                if len(_BASES) > 10_000:
                    _BASES.clear()
            if origin[0] in ("http", "https") and origin[1]:
                parts = urlsplit(h)
                return urlunsplit((origin[0], origin[1].lower(), parts.path or "/", parts.query, ""))
    return absolute_url(base, href)


_FOOTERS: dict[bytes, dict | None] = {}


def _copyright(footer) -> dict | None:
    if footer is None:
        return None
    # A site prints the same footer on every page: read each distinct one once.
    key = etree.tostring(footer, with_tail=False)
    if key not in _FOOTERS:
        if len(_FOOTERS) >= 1000:
            _FOOTERS.clear()
        _FOOTERS[key] = _read_footer(footer)
    found = _FOOTERS[key]
    if found is None:
        return None
    return {**found, "years": list(found["years"]) if found.get("years") is not None else None}


def _read_footer(footer) -> dict | None:
    lines = [line for line in element_lines(footer)]
    # The copyright statement and the lines that continue it ("Reproduction ... prohibited").
    start = next((i for i, l in enumerate(lines) if re.search(r"(?i)copyright|©", l)), None)
    if start is None:
        return None
    kept = [lines[start]]
    for line in lines[start + 1 :]:
        if re.search(r"(?i)rights reserved|reproduction|prohibited|permission|chinanews\.com", line):
            kept.append(line)
        else:
            break
    return parse_copyright(" ".join(kept))


def strip_label(text: str | None, *labels: str) -> str | None:
    """`Source: Xinhua` -> `Xinhua` for label `source`."""
    if not text:
        return None
    text = collapse_whitespace(text)
    pattern = r"^(?:" + "|".join(re.escape(l) for l in labels) + r")\s*[:：]?\s*"
    text = re.sub(pattern, "", text, flags=re.IGNORECASE).strip()
    return text or None


def extract(page: Page) -> dict[str, Any]:
    """The fields ECNS pages carry, as the record names them."""
    tree = page.tree
    record: dict[str, Any] = {}
    found = _FIND_ON_PAGE(tree)

    title = element_text(found.get("title"))
    if not title:
        title = re.sub(r"\s*[-|]\s*ECNS\s*$", "", element_text(found.get("title tag")))
    record["title"] = title or None

    info = found.get("info")
    scope = info if info is not None else tree
    record["published"] = _parse_date(element_text(_first(_TIME(scope))), OFFSET) or date_from_url(page.url)

    container = found.get("body")
    authors: list[str] = []
    editor = None
    if container is not None:
        author_el = _first(_AUTHOR(container))
        if author_el is not None:
            authors = authors_from_byline(element_text(author_el))
    editor_el = _first(_EDITOR(tree))
    if editor_el is not None:
        editor = strip_label(element_text(editor_el), "editor", "web editor", "edited by")
    paragraphs = body_paragraphs(container)
    if paragraphs and not authors:
        authors = authors_from_byline(paragraphs[0])
        if authors:
            paragraphs = paragraphs[1:]
    record["body"] = "\n\n".join(paragraphs) or None
    if container is not None:
        # The template is recognised, so where a field would be is known: one the page
        # leaves empty is empty (an article area with no text has no article), and text
        # found elsewhere on it (navigation, lists) by generic methods must not stand in.
        record["authoritative"] = AUTHORITATIVE_FIELDS
    record["authors"] = authors
    record["editor"] = editor

    source = strip_label(element_text(_first(_SOURCE(scope))), "source")
    if not source and paragraphs:
        source = source_from_dateline(paragraphs[0]) or source_from_attribution(paragraphs)
    record["source"] = source

    canonical = _canonical_href(tree, found.get("canonical link"))
    record["canonical_url"] = absolute_url(page.url, canonical) if canonical else None
    record["language"] = LANGUAGE
    record["related_heading"], record["related"] = _related(page.url, found)
    record["copyright"] = _copyright(found.get("footer"))
    return record


def section_links(page: Page) -> list[str]:
    """Other sections' front pages linked from a page (navigation bars): how a crawl
    started from one section finds the rest of the site."""
    urls = (absolute_url(page.url, href) for href in page.tree.xpath("//a/@href"))
    return list(dict.fromkeys(u for u in urls if u and SECTION_URL.match(u)))


def extract_listing(page: Page) -> tuple[list[str], str | None]:
    """Article links of a section page, in page order, and its next page."""
    seen: dict[str, None] = {}
    for href in page.tree.xpath("//a/@href"):
        url = absolute_url(page.url, href)
        if url and is_article_url(url):
            seen.setdefault(url)
    next_page = None
    for link in page.tree.xpath("//a[@href]"):
        text = collapse_whitespace(link.text_content()).lower()
        if "next" in (link.get("class") or "") or text in ("next", "next page", ">", "»", "下一页") or link.get("rel") == "next":
            next_page = absolute_url(page.url, link.get("href"))
            break
    return list(seen), next_page
