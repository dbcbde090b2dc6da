"""Fill each field of the record from the first extractor that is confident about it, and
record which one did (`record["extraction"]`).

Order: the site profile (when one matches) -> structured data the page declares (JSON-LD,
meta, <time>) -> generic extraction over the visible page (body, bylines, Chinese credits
and dates, related lists, copyright footer) -> date heuristics (htmldate)."""

from __future__ import annotations

from typing import Any, Callable

from archive.record import EXTRACTION_FIELDS as FIELDS
from crawler.extraction import body as body_mod
from crawler.extraction import chinese, copyright, related, source, structured
from crawler.extraction.authors import find_authors
from crawler.extraction.canonical import find_canonical
from crawler.extraction.dates import find_published, find_updated, htmldate_published
from crawler.extraction.language import find_language
from crawler.extraction.page import Page
from crawler.extraction.text import visible_text
from crawler.extraction.titles import find_title


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


class Record:
    """The record being filled, and which method filled each field."""

    def __init__(self, page: Page):
        self.data: dict[str, Any] = {"url": page.url, "site": page.site}
        self.methods: dict[str, str] = {}
        # Fields a site profile vouched for, even when it found them empty: a recognised
        # template says where each field would be, so text found elsewhere on the page by
        # generic methods (navigation, sidebars) must not stand in for a missing one.
        self.settled: set[str] = set()

    def missing(self, field: str) -> bool:
        return field not in self.settled and _empty(self.data.get(field))

    def offer(self, field: str, value: Any, method: str | None) -> bool:
        """Set `field` unless an earlier method already did."""
        if method is None or _empty(value) or not self.missing(field):
            return False
        self.data[field] = value
        self.methods[field] = method
        return True

    def finish(self) -> dict[str, Any]:
        for field in FIELDS:
            self.data.setdefault(field, [] if field in ("authors", "related") else None)
        self.data["extraction"] = self.methods
        return self.data


def run(page: Page, profile: tuple[str, Callable[[Page], dict]] | None) -> dict[str, Any]:
    record = Record(page)
    if profile:
        found = profile[1](page)
        method = f"profile:{profile[0]}"
        for field in FIELDS:
            record.offer(field, found.get(field), method)
        for field in found.get("authoritative", ()):
            record.settled.add(field)
            record.methods.setdefault(field, method)
        if record.settled.issuperset(FIELDS):
            return record.finish()

    sd = structured.parse(page.tree)
    body_el = page.tree.find("body")
    text = visible_text(body_el if body_el is not None else page.tree)
    language, language_method = find_language(page, sd)
    zh = chinese.is_chinese(language, text[len(text) // 3 :] or text)
    offset = chinese.OFFSET if zh else None
    if zh and (not language or language != "zh"):
        language, language_method = "zh", "text"
    record.offer("language", language, language_method)

    # On huge trees (hostile or broken pages) the costly DOM searches are skipped.
    huge = page.size > body_mod.MAX_ELEMENTS_FULL
    for field, finder in (
        ("title", find_title),
        ("updated", find_updated),
        ("canonical_url", find_canonical),
    ):
        if record.missing(field):
            record.offer(field, *finder(page, sd))
    if record.missing("authors"):
        record.offer("authors", *find_authors(page, sd, dom=not huge))
    if record.missing("published"):
        record.offer("published", *find_published(page, sd, offset))

    body_raw = None
    if record.missing("body"):
        found = body_mod.extract_body(page, sd, chinese=zh, title=record.data.get("title"),
                                      authors=record.data.get("authors"))
        record.offer("body", found.text, found.method)
        body_raw = found.raw

    if zh:
        # The zone is where the extractor found the text, furniture included: bylines and
        # dates are printed in the lines the cleaning cuts.
        zone = chinese.article_zone(text, record.data.get("title"), body_raw or record.data.get("body"))
        if record.missing("published"):
            record.offer("published", chinese.find_date(text, zone), "chinese-text")
        credits = chinese.find_credits(text, zone, body_raw or record.data.get("body"), record.data.get("title"))
        for field in ("authors", "editor"):
            record.offer(field, credits.get(field), "chinese-byline")

    if record.missing("published"):
        record.offer("published", htmldate_published(page, offset, extensive=not huge), "htmldate")

    if record.missing("related"):
        heading, entries = related.find_related(page)
        if record.offer("related", entries, "generic"):
            record.offer("related_heading", heading, "generic")
    if record.missing("copyright"):
        record.offer("copyright", copyright.find_copyright(page), "generic")
    if record.missing("source"):
        # The copyright holder is one more name of the site, which a story never credits.
        holder = (record.data.get("copyright") or {}).get("holder")
        record.offer("source", *source.find_source(
            page, sd, body=record.data.get("body"), authors=record.data.get("authors"),
            zh_text=text if zh else None, zone=zone if zh else None, holder=holder))
    return record.finish()
