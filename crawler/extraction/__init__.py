"""Extraction: pure functions from a fetched page (url, bytes, headers) to the record.

    extract_article(url, body, headers) -> dict   the record (archive/record.py) + "extraction"

Raises `ExtractionError` (with a short `reason`) for pages that cannot be an article:
empty, binary, unparsable.

How a page becomes the record, file by file (each answers one question):

    page.py          the fetched page, decoded (decoding.py) and parsed once
    cascade.py       which method fills each field, in what order
    profiles/        site profiles: where a known site's templates print each field
    structured.py    what the page declares about itself (JSON-LD, meta tags, <time>)
    titles.py        the headline            dates.py     when published and updated
    authors.py       who wrote it            language.py  its language
    bylines.py       trafilatura's printed-byline finder, in one pass over the page
    canonical.py     its canonical URL       body.py      the article's text
    boilerplate.py   which paragraphs of an extracted text are page furniture
    justext_revision.py  trafilatura's justext fallback classifying in linear time
    chinese.py       what Chinese pages print as text (dates, bylines, editors)
    source.py        the agency or outlet the story credits
    related.py       the related-articles list (a model: related_model.json)
    copyright.py     the copyright notice
    sitenames.py     the names the site goes by (told apart from authors, sources, headlines)
    text.py          the text of an element    vocabulary.py  tag sets and CJK character classes

`discovery/` finds article URLs without extracting articles (sitemaps, feeds, robots.txt,
a page's links, what kind of page a URL or a page is) for the spiders.
"""

from __future__ import annotations

from typing import Any, Mapping

from crawler.extraction import cascade
from crawler.extraction.page import (
    EmptyPageError,
    ExtractionError,
    NotHTMLError,
    Page,
    TruncatedPageError,
)
from crawler.extraction.profiles import profile_for

__all__ = [
    "EmptyPageError",
    "ExtractionError",
    "NotHTMLError",
    "Page",
    "TruncatedPageError",
    "extract_article",
    "extract_page",
]


def extract_page(page: Page) -> dict[str, Any]:
    return cascade.run(page, profile_for(page))


def extract_article(url: str, body: bytes, headers: Mapping[str, str] | None = None) -> dict[str, Any]:
    return extract_page(Page.from_bytes(url, body, headers))
