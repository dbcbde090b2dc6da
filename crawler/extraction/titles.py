"""The headline: the title each source of the page declares (og:title, the JSON-LD headline,
the first <h1>, twitter:title, title meta, <title>), cleaned of the site's name, sections
and dates around it, first of them in a fixed order.

Older news pages and blogs often declare no og:title or JSON-LD headline, and their <title>
reads `Headline - Site name` or `Site name: Headline`, where the site's name is not one the
page declares elsewhere (no og:site_name), so it cannot be recognised as a name. The
headline is then the part of the <title> that the page also prints in its body as a
heading or a title box. A blog's <h1> (or its og:title) is often the blog's name: when it
is one part of the <title> and another part is printed as a heading, that other part is
the headline. An <h1> that links to the site's front page or to a folder above the page is
the site's (or the blog's) name printed as its logo: never the headline, and one more name
to clean from the <title>. A page read without its URL knows its site by its canonical link.
"""

from __future__ import annotations

import re
from itertools import islice
from urllib.parse import urlsplit

from crawler.extraction import structured as sd_mod
from crawler.extraction.page import Page
from crawler.extraction.sitenames import compact_key, is_site_name, norm_key, site_names
from crawler.extraction.structured import Structured
from crawler.extraction.text import element_text
from crawler.extraction.vocabulary import CJK
from crawler.normalize import collapse_whitespace

# Separators between a headline and the site's name or section in <title> and og:title.
_TITLE_SEP = re.compile(
    r"\s+[|\-–—·•:~»«/‹›]\s+|\s*[|｜ㅣ_：]\s*|\s*[-–—]\s*(?=[^\s]*[" + CJK + r"])|"
    r"\s+:(?=\S)"  # `Headline :Site`: a space only before the colon
)
# A mark some templates print before or after the whole title (`» Headline`), with a space
# between: `»Quote«` opens many headlines in the languages that quote with guillemets.
_EDGE_MARK = re.compile(r"^[»«·•~|]+\s+|\s+[»«·•~|]+$")
_DATE_SEGMENT = re.compile(r"^[\d\s./-]{6,12}$")


def clean_title(title: str | None, names: list[str]) -> str | None:
    """`Headline | Section | Site | 28.04.2023` -> `Headline`: trailing (and leading)
    segments that name the site, or are dates, are dropped; the headline stays whole."""
    title = collapse_whitespace(title)
    if not title:
        return None
    for name in names:
        if len(name) >= 3 and title.lower().startswith(name.lower()):
            rest = re.match(r"\s*[:|｜\-–—]\s+(.{8,})$", title[len(name):])
            if rest:
                title = rest.group(1)  # `Site: Headline`
                break
    else:
        pieces = _COLON.split(title, maxsplit=1)
        if len(pieces) == 2 and len(pieces[1]) >= 8 and \
                compact_key(pieces[0]) in {compact_key(name) for name in names}:
            title = pieces[1]  # `Site Name: Headline`, the name spelt with spaces (`Harbour Notes`)
    title = _EDGE_MARK.sub("", title) or title
    parts = _TITLE_SEP.split(title)
    seps = _TITLE_SEP.findall(title)
    if len(parts) == 1:
        return title
    # Drop site/date segments from the end, then from the start.
    end = len(parts)
    dropped_end = False
    while end > 1 and (is_site_name(parts[end - 1], names) or _DATE_SEGMENT.match(parts[end - 1].strip())):
        end -= 1
        dropped_end = True
    start = 0
    while start < end - 1 and is_site_name(parts[start], names):
        start += 1
    if dropped_end:
        # Sections between the headline and the site's name: `Headline | Europa | DW`.
        while end - start > 1 and len(parts[end - 1].split()) <= 2 and len(parts[end - 1]) <= 20 and \
                seps[end - 2].strip() in ("|", "｜", "ㅣ", "_") and len(" ".join(parts[start:end - 1])) >= 10:
            end -= 1
    if start == 0 and end == len(parts):
        return title
    out = parts[start]
    for i in range(start + 1, end):
        out += seps[i - 1] + parts[i]
    return _EDGE_MARK.sub("", out.strip()) or title


def h1_texts(page: Page, *, fronts: frozenset[str] | None = None) -> list[str]:
    """The page's first <h1> texts; given `fronts` (the folders above the page), not one that
    links to the site's front page or to one of them (a blog's or section's name as its logo)."""
    out = []
    for node in page.tree.iter("h1"):
        text = element_text(node)
        if 3 <= len(text) <= 400 and not (fronts is not None and _links_home(node, fronts)):
            out.append(text)
        if len(out) >= 3:
            break
    return out


def _logo_names(page: Page, fronts: frozenset[str]) -> list[str]:
    out = []
    for node in islice(page.tree.iter("h1"), 3):
        text = element_text(node)
        if 2 <= len(text) <= 60 and _links_home(node, fronts):
            out.append(text)
    return out


def _folders_above(page: Page) -> frozenset[str]:
    """The folders above the page's own path (`/thoughts/` over `/thoughts/archives/123`),
    from its URL or, read without one, its canonical link."""
    url = page.url or next(iter(page.tree.xpath("//head/link[@rel='canonical']/@href")), "")
    try:
        path = urlsplit(url.strip()).path
    except ValueError:
        return frozenset()
    folders = path.rstrip("/").split("/")[1:-1]  # `/a/b/story/` is the page, under /a/ and /a/b/
    return frozenset("/" + "/".join(folders[:i]) + "/" for i in range(1, len(folders) + 1))


# Which declared headline wins, first to last (each cleaned of the site's name first).
TITLE_ORDER = ("og", "jsonld", "h1", "twitter", "meta", "title")


def find_title(page: Page, sd: Structured) -> tuple[str | None, str | None]:
    fronts = _folders_above(page)
    # An <h1> linking to the front page prints the site's name (its logo): one more name to
    # clean from the <title>, where the page declares none (`Headline | PhoneNotes.Example`).
    names = site_names(page, sd) + _logo_names(page, fronts)
    head_title = page.tree.find(".//title")
    raw = {
        "jsonld": sd_mod.text_value(sd.article.get("headline")) if sd.article else None,
        "og": sd.first_meta("og:title"),
        "twitter": sd.first_meta("twitter:title"),
        "h1": (h1_texts(page, fronts=fronts) or [None])[0],
        "meta": sd.first_meta("sailthru.title", "parsely-title", "dc.title", "title", "headline"),
        "title": element_text(head_title) if head_title is not None else None,
    }
    cleaned = {k: clean_title(v, names) for k, v in raw.items() if v}
    # Cross-check: a candidate that is another candidate plus `| extra` is that candidate.
    keys = {k: norm_key(v) for k, v in cleaned.items()}
    for k, v in list(cleaned.items()):
        for other, value in cleaned.items():
            if other == k or len(keys[other]) < 8:
                continue
            if keys[k] != keys[other] and v.startswith(value) and _TITLE_SEP.match(v[len(value):]):
                cleaned[k] = value
                keys[k] = keys[other]
    # Votes among sources did worse than a fixed order. Where og:title and the JSON-LD
    # headline differ, og:title (the headline the publisher shows when the page is shared)
    # is more often the article's displayed headline; the JSON-LD one is often an SEO variant.
    for method in TITLE_ORDER:
        value = cleaned.get(method)
        if value and not is_site_name(value, names[:3]):
            if method == "title":  # `Headline - Site` whose site name the page never declares
                value = printed_segment(page.tree.find("body"), value, _TITLE_SEP, fronts=fronts) or value
            elif method == "h1" and raw.get("title"):  # a blog's name as its <h1>
                value = printed_segment(page.tree.find("body"), raw["title"], _TITLE_SEP,
                                        other_than=value, fronts=fronts) or value
            return value, method
    return None, None


# -- the headline inside a <title> of several parts ----------------------------------------



_TITLE_ATTR = re.compile(r"(?i)title|headline|heading|subject")
# How many body elements are looked at: the headline is printed near the top.
MAX_ELEMENTS = 3000


# `Site name: Headline` without a space before the colon, beside the separators above.
_COLON = re.compile(r"(?<=\w):\s+")


_HOME_PATHS = frozenset(("", "/", "/index.html", "/index.htm", "/index.php", "/blog", "/blog/"))


def _links_home(el, fronts: frozenset[str] = frozenset()) -> bool:
    """Whether a heading is a link to the site's front page (or to one of `fronts`, the
    folders above the page): the site's name, not a headline."""
    links = [el] if el.tag == "a" else []
    links.extend(el.iter("a"))
    links.extend(el.iterancestors("a"))
    for link in links:
        href = (link.get("href") or "").strip()
        try:
            parts = urlsplit(href)
        except ValueError:
            continue
        if href and not parts.query and (parts.path in _HOME_PATHS or parts.path in fronts or parts.path + "/" in fronts):
            return True
    return False


def printed_segment(body, title: str | None, separator: re.Pattern, other_than: str | None = None,
                    fronts: frozenset[str] = frozenset()) -> str | None:
    """The one segment of `title` (split at `separator`, or at `Name: `) that the page prints
    as a heading (<h1>-<h4>, or an element whose class or id says title/headline), or None
    when none or several are. With `other_than`, only when `other_than` is itself a
    segment of `title` (the site's name), and another segment is the printed one."""
    if body is None or not title:
        return None
    segments = [s.strip() for s in separator.split(title) if s and s.strip()]
    if len(segments) < 2:
        segments = [s.strip() for s in _COLON.split(title, maxsplit=1) if s.strip()]
    if len(segments) < 2:
        return None
    if other_than is not None:
        name = compact_key(other_than)
        if name not in {compact_key(s) for s in segments}:
            return None
        segments = [s for s in segments if compact_key(s) != name]
    wanted = {compact_key(s): s for s in segments if len(compact_key(s)) >= 8}
    if not wanted:
        return None
    found: set[str] = set()
    for i, el in enumerate(body.iter()):
        if i >= MAX_ELEMENTS:
            break
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag in ("h1", "h2", "h3", "h4") or (tag and _TITLE_ATTR.search(f"{el.get('class') or ''} {el.get('id') or ''}")):
            key = compact_key(element_text(el))
            if key in wanted and not _links_home(el, fronts):
                found.add(key)
    return wanted[found.pop()] if len(found) == 1 else None
