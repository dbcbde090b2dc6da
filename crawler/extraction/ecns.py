"""Site profile for ECNS (ecns.cn), the English site of China News Service.

Two template generations: 2013-2018 pages (`/business/2014/08-19/130296.shtml`: div.left
holding h1, div.l_info, div.left_zw, div.zt_list) and 2019-on pages
(`/news/economy/2024-11-18/detail-ihekectp0358339.shtml`: h1.title, div.info,
div.article, div.related). Both share the body container id `yanse`.
"""

from __future__ import annotations

import re
from copy import deepcopy
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from lxml import etree

from archive.record import EXTRACTION_FIELDS as AUTHORITATIVE_FIELDS
from crawler.extraction.authors import authors_from_byline
from crawler.extraction.copyright import parse_copyright
from crawler.extraction.page import Page
from crawler.extraction.source import source_from_attribution, source_from_dateline
from crawler.extraction.text import element_lines, element_text
from crawler.normalize import absolute_url, collapse_whitespace, parse_date

NAME = "ecns"
SITES = ("ecns.cn",)
OFFSET = "+08:00"  # ECNS prints Beijing time without an offset
LANGUAGE = "en"

ARTICLE_URL = re.compile(
    r"^https?://(?:www\.)?ecns\.cn/(?:[a-z0-9_-]+/)+"
    r"(?:(?P<y1>(?:19|20)\d{2})/(?P<m1>\d{2})-(?P<d1>\d{2})/\d+\.s?html?"
    r"|(?P<y2>(?:19|20)\d{2})-(?P<m2>\d{2})-(?P<d2>\d{2})/detail-[a-z0-9]+\.s?html?)(?:\?[^#]*)?$",
    re.IGNORECASE,
)
# Section front pages (`/news/economy/`, `/business/`), where listings start.
SECTION_URL = re.compile(r"^https?://(?:www\.)?ecns\.cn/(?:news/)?[a-z]+/$", re.IGNORECASE)

# Containers of the article's own parts, newest template first.
TITLE = "//h1[contains(concat(' ', @class, ' '), ' title ')] | //div[@class='left']//h1 | //div[@class='content']//h1"
BODY = "//div[@id='yanse'] | //div[contains(@class, 'left_zw')] | //div[contains(@class, 'article')]"
TIME = ".//span[@class='l_time' or @class='time']"
SOURCE = ".//span[@class='l_source' or @class='source']"
EDITOR = "//span[@class='l_editor'] | //*[contains(concat(' ', @class, ' '), ' editor ')]"
AUTHOR = ".//*[contains(concat(' ', @class, ' '), ' author ')]"
INFO = "//div[@class='l_info' or @class='info']"
# Inside the body container but not the article's text.
NOT_BODY = (
    ".//*[contains(concat(' ', @class, ' '), ' pictext ')"
    " or contains(concat(' ', @class, ' '), ' editor ')"
    " or contains(concat(' ', @class, ' '), ' author ')"
    " or contains(concat(' ', @class, ' '), ' share ')"
    " or contains(@class, 'ad-') or contains(@class, 'promo')"
    " or contains(concat(' ', @class, ' '), ' related ')]"
)
RELATED_OLD = "//div[@class='zt_list']"
RELATED_NEW = "//div[contains(concat(' ', @class, ' '), ' related ')]"
FOOTER = "//div[@id='footer'] | //footer"
CANONICAL = "//link[@rel='canonical']/@href"


# The same queries compiled once (a query string given to .xpath() is compiled on every
# call), in forms that walk the page once and test the cheap condition first.
_TIME = etree.XPath(TIME)
_SOURCE = etree.XPath(SOURCE)
_AUTHOR = etree.XPath(AUTHOR)
_NOT_BODY = etree.XPath(NOT_BODY)
_PARAGRAPHS = etree.XPath(".//p")
_RELATED_TITLE_OLD = etree.XPath(".//div[@class='zt_title']")
_RELATED_TITLE_NEW = etree.XPath(".//h2 | .//h3 | .//h4")
# The first match of each page-wide query above (TITLE, //title, INFO, BODY, EDITOR,
# CANONICAL, RELATED_OLD, RELATED_NEW, FOOTER), found in one walk over the elements of the
# tags they name (lxml filters the tags in C) and one query for EDITOR, which names any tag.
_ANCHOR_TAGS = ("h1", "title", "footer", "link", "div")
_EDITOR_CANDIDATES = etree.XPath(
    "//*[contains(@class, 'editor')][(self::span and @class='l_editor') or contains(concat(' ', @class, ' '), ' editor ')]"
)


def _anchors(tree) -> dict[str, Any]:
    found: dict[str, Any] = {}
    editor = _first(_EDITOR_CANDIDATES(tree))
    if editor is not None:
        found["editor"] = editor
    for el in tree.iter(_ANCHOR_TAGS):
        tag = el.tag
        cls = el.get("class") or ""
        spaced = f" {cls} "
        if tag == "h1":
            if "title" not in found and (
                " title " in spaced
                or any(a.tag == "div" and a.get("class") in ("left", "content") for a in el.iterancestors())
            ):
                found["title"] = el
        elif tag == "title":
            found.setdefault("title_tag", el)
        elif tag == "footer":
            found.setdefault("footer", el)
        elif tag == "link":
            if "canonical" not in found and el.get("rel") == "canonical" and el.get("href") is not None:
                found["canonical"] = el.get("href")
        elif tag == "div":
            div_id = el.get("id")
            if div_id == "yanse" or "left_zw" in cls or "article" in cls:
                found.setdefault("body", el)
            if div_id == "footer":
                found.setdefault("footer", el)
            if cls in ("l_info", "info"):
                found.setdefault("info", el)
            if cls == "zt_list":
                found.setdefault("related_old", el)
            if " related " in spaced:
                found.setdefault("related_new", el)
    return found


def matches(page: Page) -> bool:
    return page.site in SITES


def is_article_url(url: str) -> bool:
    return bool(ARTICLE_URL.match(url))


def date_from_url(url: str) -> str | None:
    match = ARTICLE_URL.match(url)
    if not match:
        return None
    y, m, d = (match["y1"], match["m1"], match["d1"]) if match["y1"] else (match["y2"], match["m2"], match["d2"])
    return parse_date(f"{y}-{m}-{d}")


def _first(nodes):
    return nodes[0] if nodes else None


def body_paragraphs(container) -> list[str]:
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


def _related(page_url: str, old, find_new) -> tuple[str | None, list[dict[str, Any]]]:
    if old is not None:
        heading = element_text(_first(_RELATED_TITLE_OLD(old)))
        items = old.iter("li")
    else:
        new = find_new()
        if new is None:
            return None, []
        heading = element_text(_first(_RELATED_TITLE_NEW(new)))
        items = new.iter("li")
    entries = []
    for li in items:
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
    found = _anchors(tree)

    title = element_text(found.get("title"))
    if not title:
        title = re.sub(r"\s*[-|]\s*ECNS\s*$", "", element_text(found.get("title_tag")))
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
    editor_el = found.get("editor")
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

    canonical = found.get("canonical")
    record["canonical_url"] = absolute_url(page.url, canonical) if canonical else None
    record["language"] = LANGUAGE
    record["related_heading"], record["related"] = _related(page.url, found.get("related_old"), lambda: found.get("related_new"))
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
