"""The names a site goes by (og:site_name, application names, its publisher, its domain), and
how names are compared: a headline's segment, an author or a credited source that is the site
itself is told apart by them."""

from __future__ import annotations

import re
import unicodedata

from crawler.extraction import structured as sd_mod
from crawler.extraction.page import Page
from crawler.extraction.structured import Structured
from crawler.normalize import site_of

_WORD = re.compile(r"\w+", re.UNICODE)


def norm_key(text: str | None) -> str:
    """Case, width, accents of punctuation and spacing ignored."""
    text = unicodedata.normalize("NFKC", text or "").casefold()
    return " ".join(_WORD.findall(text))


def compact_key(text: str | None) -> str:
    return norm_key(text).replace(" ", "").replace("_", "")


def site_names(page: Page, sd: Structured) -> list[str]:
    """Names the site goes by: og:site_name, application names, the publisher, the domain
    (of a page read without its URL, the one its canonical link or og:url names)."""
    names = sd.all_meta("og:site_name", "application-name", "apple-mobile-web-app-title",
                        "al:android:app_name", "al:ios:app_name", "twitter:site", "publisher",
                        "dc.publisher")
    publisher = sd_mod.publisher_name(sd.article, sd.objects)
    if publisher:
        names.append(publisher)
    site = page.site or _declared_site(page, sd)
    if site:
        names.append(site)
        names.append(site.split(".")[0])
    out = []
    for name in names:
        name = name.lstrip("@").strip()
        if name and len(name) <= 60 and name not in out:
            out.append(name)
    return out


def _declared_site(page: Page, sd: Structured) -> str:
    """The site a page read without its URL (a saved file) names itself by: the host of its
    canonical link or og:url, where absolute."""
    for href in [*page.tree.xpath("//head/link[@rel='canonical']/@href")[:1], sd.first_meta("og:url")]:
        href = (href or "").strip()
        if re.match(r"(?i)https?://[^/]", href):
            return site_of(href)
    return ""


def is_site_name(segment: str, names: list[str]) -> bool:
    key = compact_key(segment)
    if not key:
        return True
    for name in names:
        other = compact_key(name)
        if not other or len(other) < 2:
            continue
        if key == other or (len(other) >= 3 and other in key and len(key) <= len(other) + 12) or \
                (len(key) >= 3 and key in other):
            return True
    return False
