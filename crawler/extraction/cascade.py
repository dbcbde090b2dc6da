"""Fill each field of the record from the first extractor that is confident about it, and
record which one did (`record["extraction"]`)."""

from __future__ import annotations

from typing import Any, Callable

import trafilatura

from crawler.extraction.page import Page
from crawler.normalize import normalize_body, parse_date

FIELDS = (
    "title", "body", "published", "updated", "source", "authors", "editor", "language",
    "canonical_url", "related_heading", "related", "copyright",
)


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def generic_fields(page: Page) -> dict[str, Any]:
    """trafilatura over the already parsed tree: body and the metadata it finds."""
    document = trafilatura.bare_extraction(
        page.tree, url=page.url, with_metadata=True, include_comments=False, include_tables=False
    )
    if document is None:
        return {}
    data = document.as_dict() if hasattr(document, "as_dict") else dict(document)
    authors = [a.strip() for a in (data.get("author") or "").split(";") if a.strip()]
    return {
        "title": data.get("title"),
        "body": normalize_body((data.get("text") or "").replace("\n", "\n\n")),
        "published": parse_date(data.get("date")),
        "authors": authors,
        "language": data.get("language"),
    }


def run(page: Page, profile: tuple[str, Callable[[Page], dict]] | None) -> dict[str, Any]:
    record: dict[str, Any] = {"url": page.url, "site": page.site}
    methods: dict[str, str] = {}
    steps: list[tuple[str, Callable[[Page], dict]]] = []
    if profile:
        steps.append((f"profile:{profile[0]}", profile[1]))
    steps.append(("trafilatura", generic_fields))
    settled: set[str] = set()  # fields a step vouched for, even if empty
    for method, step in steps:
        missing = [f for f in FIELDS if f not in settled and _empty(record.get(f))]
        if not missing:
            break
        found = step(page)
        # A profile that recognised the page's template may vouch for fields it found empty
        # (an article area with no text): later, less specific steps must not fill them.
        for field in found.get("authoritative", ()):
            if field in missing and _empty(found.get(field)):
                missing.remove(field)
                settled.add(field)
                record[field] = found.get(field)
                methods[field] = method
        for field in missing:
            if not _empty(found.get(field)):
                record[field] = found[field]
                methods[field] = method
    for field in FIELDS:
        record.setdefault(field, [] if field in ("authors", "related") else None)
    record["extraction"] = methods
    return record
