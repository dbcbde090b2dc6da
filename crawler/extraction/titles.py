"""The headline inside a <title> that carries more than the headline.

Older news pages and blogs often declare no og:title or JSON-LD headline, and their <title>
reads `Headline - Site name` or `Site name: Headline`, where the site's name is not one the
page declares elsewhere (no og:site_name), so it cannot be recognised as a name. The
headline is then the part of the <title> that the page also prints in its body as a
heading or a title box. A blog's <h1> (or its og:title) is often the blog's name: when it
is one part of the <title> and another part is printed as a heading, that other part is
the headline."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from crawler.extraction.common import element_text

_TITLE_ATTR = re.compile(r"(?i)title|headline|heading|subject")
# How many body elements are looked at: the headline is printed near the top.
MAX_ELEMENTS = 3000


# `Site name: Headline` without a space before the colon, beside the separators generic.py knows.
_COLON = re.compile(r"(?<=\w):\s+")


_HOME_PATHS = frozenset(("", "/", "/index.html", "/index.htm", "/index.php", "/blog", "/blog/"))


def _links_home(el) -> bool:
    """Whether a heading is a link to the site's front page: the site's name, not a headline."""
    links = [el] if el.tag == "a" else []
    links.extend(el.iter("a"))
    links.extend(el.iterancestors("a"))
    for link in links:
        href = (link.get("href") or "").strip()
        if href and urlsplit(href).path in _HOME_PATHS and not urlsplit(href).query:
            return True
    return False


def printed_segment(body, title: str | None, separator: re.Pattern, other_than: str | None = None) -> str | None:
    """The one segment of `title` (split at `separator`, or at `Name: `) that the page prints
    as a heading (<h1>-<h4>, or an element whose class or id says title/headline), or None
    when none or several are. With `other_than`, only when `other_than` is itself a
    segment of `title` (the site's name), and another segment is the printed one."""
    from crawler.extraction.generic import compact_key

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
            if key in wanted and not _links_home(el):
                found.add(key)
    return wanted[found.pop()] if len(found) == 1 else None
