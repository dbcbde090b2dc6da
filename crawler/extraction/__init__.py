"""Extraction: pure functions from a fetched page (url, bytes, headers) to the record.

    extract_article(url, body, headers) -> dict   the DESIGN.md record + "extraction"

Raises `ExtractionError` (with a short `reason`) for pages that cannot be an article:
empty, binary, unparsable.
"""

from __future__ import annotations

from typing import Any, Mapping

from crawler.extraction import cascade, ecns
from crawler.extraction.page import (
    EmptyPageError,
    ExtractionError,
    NotHTMLError,
    Page,
    TruncatedPageError,
)

# Site profiles, most specific first: (name, matches(page), extract(page)).
PROFILES = ((ecns.NAME, ecns.matches, ecns.extract),)

__all__ = [
    "EmptyPageError",
    "ExtractionError",
    "NotHTMLError",
    "Page",
    "TruncatedPageError",
    "extract_article",
    "extract_page",
]


def profile_for(page: Page):
    for name, matches, extract in PROFILES:
        if matches(page):
            return name, extract
    return None


def extract_page(page: Page) -> dict[str, Any]:
    return cascade.run(page, profile_for(page))


def extract_article(url: str, body: bytes, headers: Mapping[str, str] | None = None) -> dict[str, Any]:
    return extract_page(Page.from_bytes(url, body, headers))
