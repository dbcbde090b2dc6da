"""When the article was published and last updated, from what the page declares: the JSON-LD
article's dates, date meta tags (article:published_time, Dublin Core, parse.ly, sailthru...),
and <time> elements outside related lists, comments and navigation; as a last resort
htmldate's heuristics. A modified date is never the published one. Chinese pages' dates
printed as text are read by chinese.py.

Each finder returns `(value, method)` so the cascade can record where a date came from.
"""

from __future__ import annotations

import contextvars
import re
from typing import Any

import htmldate
import htmldate.extractors

from crawler.extraction import structured as sd_mod
from crawler.extraction.page import Page
from crawler.extraction.structured import Structured
from crawler.normalize import parse_date

PUBLISHED_META = (
    "article:published_time", "og:article:published_time", "article:published", "og:published_time",
    "datepublished", "publishdate", "publish-date", "publish_date", "pubdate", "date.published",
    "dc.date.issued", "dcterms.issued", "dcterms.created", "dc.date.created", "parsely-pub-date",
    "sailthru.date", "cxenseparse:recs:publishtime", "article.published", "published",
    "published_time", "release_date", "original-publish-date", "datecreated", "dc.date",
    "dcterms.date", "date", "citation_publication_date", "citation_date", "weibo: article:create_at",
)
UPDATED_META = (
    "article:modified_time", "og:updated_time", "datemodified", "dc.date.modified",
    "dcterms.modified", "last-modified", "lastmod", "article.updated", "modified_time",
    "sailthru.lastmodifieddate",
)
_PUBLISH_HINT = re.compile(r"(?i)publish|posted|created|pubdate|article[-_]?date|dateline|entry-date|meta-date|byline|timestamp")
_NOT_ARTICLE_HINT = re.compile(r"(?i)related|comment|sidebar|teaser|recommend|footer|nav|widget|promo|more-|trending|popular")


def _date_value(value: Any, offset: str | None) -> str | None:
    text = sd_mod.text_value(value)
    if not text:
        return None
    if re.fullmatch(r"\d{10}(\d{3})?", text):  # epoch seconds or milliseconds
        return None
    return parse_date(text, offset)


def _ancestor_hint(node, pattern, levels: int = 4) -> bool:
    for _ in range(levels):
        if node is None:
            return False
        if pattern.search(" ".join(filter(None, (node.get("class"), node.get("id"), node.get("itemprop"))))):
            return True
        node = node.getparent()
    return False


def find_published(page: Page, sd: Structured, offset: str | None = None) -> tuple[str | None, str | None]:
    article = sd.article
    for key in ("datePublished", "dateCreated", "uploadDate"):
        if article.get(key):
            value = _date_value(article.get(key), offset)
            if value:
                return value, "jsonld"
    for name in PUBLISHED_META:
        for value in sd.meta.get(name, ()):
            value = _date_value(value, offset)
            if value:
                return value, "meta"
    value = time_element_date(page, offset)
    if value:
        return value, "time"
    return None, None


def time_element_date(page: Page, offset: str | None = None) -> str | None:
    times = sd_mod.time_elements(page.tree)
    fallback = None
    for raw, node in times:
        if _ancestor_hint(node, _NOT_ARTICLE_HINT, 6) or node.xpath("ancestor::a|ancestor::footer|ancestor::aside|ancestor::nav"):
            continue
        value = parse_date(raw, offset)
        if not value:
            continue
        if node.get("pubdate") is not None or _ancestor_hint(node, _PUBLISH_HINT):
            return value
        if fallback is None and not _ancestor_hint(node, re.compile(r"(?i)modif|updat"), 2):
            fallback = value
    return fallback


def find_updated(page: Page, sd: Structured, offset: str | None = None) -> tuple[str | None, str | None]:
    if sd.article.get("dateModified"):
        value = _date_value(sd.article.get("dateModified"), offset)
        if value:
            return value, "jsonld"
    for name in UPDATED_META:
        for value in sd.meta.get(name, ()):
            value = _date_value(value, offset)
            if value:
                return value, "meta"
    return None, None


# htmldate hands each date-like string its own parsers cannot read to dateparser, which tries
# every locale it knows: 20-25 ms a string. A page of comments, each with its timestamp
# ("on Tuesday July 24, @07:29AM"), sent 170 of them, 4 s for one page, and a hostile page
# could send thousands. Within one page, a string shaped like one dateparser could not read
# (the same words, digits in the same places: the same template) is not sent again, and no
# more than MAX_DATEPARSER_CALLS are sent in all. Outside htmldate_published (trafilatura's
# own metadata pass) the parser is called as htmldate calls it.
MAX_DATEPARSER_CALLS = 12
_A_DIGIT = re.compile(r"\d")
_dateparser_budget: contextvars.ContextVar[dict | None] = contextvars.ContextVar("dateparser_budget", default=None)
# htmldate's one call site of dateparser (htmldate 1.11); a release without it leaves htmldate
# as it is, and the tests of the budget fail.
_htmldate_dateparser = getattr(htmldate.extractors, "_external_date", None)


def _dateparser_within_budget(string: str):
    budget = _dateparser_budget.get()
    if budget is None:
        return _htmldate_dateparser(string)
    shape = _A_DIGIT.sub("0", string)
    if shape in budget["unread"] or budget["calls"] >= MAX_DATEPARSER_CALLS:
        budget["skipped"] += 1
        return None
    budget["calls"] += 1
    found = _htmldate_dateparser(string)
    if found is None:
        budget["unread"].add(shape)
    return found


if _htmldate_dateparser is not None:
    htmldate.extractors._external_date = _dateparser_within_budget


def htmldate_published(page: Page, offset: str | None, extensive: bool = True) -> str | None:
    """The publication date htmldate's heuristics find in the tree (URL, headers, text), or
    None; `extensive=False` skips its costly search over the whole text."""
    token = _dateparser_budget.set({"calls": 0, "skipped": 0, "unread": set()})
    try:
        found = htmldate.find_date(page.tree, url=page.url or None, original_date=True, extensive_search=extensive)
    except Exception:  # htmldate raises on odd trees; a missing date is the honest answer
        return None
    finally:
        budget = _dateparser_budget.get()
        _dateparser_budget.reset(token)
        # htmldate keeps its answers per string: one left unread here must not be the answer
        # on the next page, or a record would depend on the pages read before it.
        if budget["skipped"] and hasattr(htmldate.extractors.try_date_expr, "cache_clear"):
            htmldate.extractors.try_date_expr.cache_clear()
    return parse_date(found, offset) if found else None
