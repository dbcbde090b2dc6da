"""The article's text: trafilatura over the already parsed tree, cross-checked against the
page's JSON-LD articleBody and a density-based container choice of our own."""

from __future__ import annotations

import re

import trafilatura

from crawler.extraction.page import Page
from crawler.extraction.structured import Structured
from crawler.normalize import normalize_body

MAX_ELEMENTS_FULL = 30_000
_CJK = re.compile(r"[\u3400-\u9fff]")


def trafilatura_body(page: Page, **options) -> str:
    document = trafilatura.bare_extraction(
        page.tree, url=page.url or None, with_metadata=False, include_comments=False,
        include_tables=options.pop("include_tables", True), **options,
    )
    if document is None:
        return ""
    return normalize_body((document.text or "").replace("\n", "\n\n"))


_SENTENCE_END = re.compile(r"[.!?。！？…:;；：\"”»)）]\s*$|[.!?。！？]")


def prose_chars(body: str) -> int:
    """Characters in paragraphs that read as sentences, not as menu items or link lists."""
    total = 0
    for paragraph in body.split("\n\n"):
        cjk = len(_CJK.findall(paragraph))
        if len(paragraph) >= 150 or (cjk >= 15 and re.search(r"[，。！？；]", paragraph)) or \
                (len(paragraph.split()) >= 6 and _SENTENCE_END.search(paragraph)):
            total += len(paragraph)
    return total


def looks_like_article(body: str | None) -> bool:
    """False for what a generic extractor returns from a page without an article: the
    navigation, a list of headlines, a share bar."""
    if not body:
        return False
    prose = prose_chars(body)
    return prose >= 80 and prose >= 0.25 * len(body)


def find_body(page: Page, sd: Structured, *, chinese: bool = False) -> tuple[str | None, str | None]:
    # Old Chinese pages lay out the whole page with tables: read as tables, the navigation
    # comes with the text; their article tables are one cell of prose anyway.
    # trafilatura's fallbacks (readability, justext, a recall retry) cost seconds on huge
    # trees: above this many elements only its main pass runs.
    big = sum(1 for _ in page.tree.iter()) > MAX_ELEMENTS_FULL
    text = trafilatura_body(page, include_tables=not chinese, fast=big)
    if looks_like_article(text):
        return text, "trafilatura"
    return None, None
