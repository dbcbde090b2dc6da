"""The article's text: trafilatura over the already parsed tree, cross-checked against the
page's JSON-LD articleBody and a density-based container choice of our own."""

from __future__ import annotations

import re
from dataclasses import dataclass

import trafilatura

from crawler.extraction import boilerplate
from crawler.extraction.common import element_text
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


def headline_texts(page: Page, sd: Structured, title: str | None) -> list[str]:
    """Every form of the headline the page prints: the record's title, og:title, the first
    <h1>s and <title>; extractors often return one of them as the text's first line."""
    from crawler.extraction.generic import _h1_texts

    out = [title, sd.first_meta("og:title", "twitter:title")]
    out.extend(_h1_texts(page)[:2])
    head_title = page.tree.find(".//title")
    if head_title is not None:
        out.append(element_text(head_title))
    return [t for t in out if t]


def find_body(page: Page, sd: Structured, **options) -> tuple[str | None, str | None]:
    """(text, method) of the article's body."""
    found = extract_body(page, sd, **options)
    return found.text, found.method


@dataclass
class BodyResult:
    text: str | None = None
    method: str | None = None
    # The extractor's text before the furniture was cut: where the article sits in the
    # page, for finders that read the lines around it (Chinese bylines and dates).
    raw: str | None = None


def extract_body(page: Page, sd: Structured, *, chinese: bool = False, title: str | None = None,
                 authors: list[str] | None = None) -> BodyResult:
    # Old Chinese pages lay out the whole page with tables: read as tables, the navigation
    # comes with the text; their article tables are one cell of prose anyway.
    # trafilatura's fallbacks (readability, justext, a recall retry) cost seconds on huge
    # trees: above this many elements only its main pass runs.
    big = sum(1 for _ in page.tree.iter()) > MAX_ELEMENTS_FULL
    text = trafilatura_body(page, include_tables=not chinese, fast=big)
    if not looks_like_article(text):
        return BodyResult()
    index = boilerplate.TextIndex(page.tree.find("body"))
    paragraphs = boilerplate.clean(text.split("\n\n"), index, titles=headline_texts(page, sd, title),
                                   authors=list(authors or ()))
    cleaned = "\n\n".join(paragraphs)
    if cleaned != text and looks_like_article(cleaned):
        return BodyResult(cleaned, "trafilatura+clean", text)
    return BodyResult(text, "trafilatura", text)
