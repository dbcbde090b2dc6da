"""The article's text: trafilatura over the already parsed tree, cross-checked against the
page's JSON-LD articleBody and a density-based container choice of our own."""

from __future__ import annotations

import re
from dataclasses import dataclass

import trafilatura

from crawler.extraction import boilerplate
from crawler.extraction.common import element_text
from crawler.extraction.page import Page
from crawler.extraction.structured import Structured, body_value
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


def descriptions(sd: Structured) -> list[str]:
    """The summaries the page declares (meta and JSON-LD descriptions): a standfirst printed
    under the headline is one of them."""
    from crawler.extraction.structured import text_value

    out = sd.all_meta("description", "og:description", "twitter:description")
    if sd.article:
        out.append(text_value(sd.article.get("description")) or "")
    return [d for d in dict.fromkeys(out) if len(d) >= 20]


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
                                   authors=list(authors or ()), deks=descriptions(sd))
    cleaned = "\n\n".join(paragraphs)
    if cleaned == text or not looks_like_article(cleaned):
        cleaned, method = text, "trafilatura"
    else:
        method = "trafilatura+clean"
    extended = extend_from_article_body(cleaned, sd)
    if extended != cleaned:
        return BodyResult(extended, method + "+jsonld", text)
    return BodyResult(cleaned, method, text)


_WORDS = re.compile(r"[\u3400-\u9fff]|[^\W\u3400-\u9fff]+")
_MARKUP_TOKEN = re.compile(r"^[\W_]*[A-Za-z_-]+[\W_]*$")  # `+++dropcap`: a CMS template token


def _shingles(text: str, n: int = 3) -> set:
    words = _WORDS.findall(text.casefold())
    return {tuple(words[i : i + n]) for i in range(max(1, len(words) - n + 1))}


def extend_from_article_body(text: str, sd: Structured) -> str:
    """The page's text continued from its JSON-LD articleBody where the page prints only the
    start of the story (a paywall, a lazily loaded rest): the articleBody's paragraphs after
    the last one the text holds are added. A teaser articleBody, one without paragraphs, or
    one that does not continue the text changes nothing."""
    value = None
    for obj in [sd.article, *sd.objects]:
        if obj and obj.get("articleBody"):
            value = body_value(obj.get("articleBody"))
            break
    if not value:
        return text
    # articleBody separates paragraphs with one newline or a blank line.
    paragraphs = [p for p in normalize_body(value.replace("\n", "\n\n")).split("\n\n") if not _MARKUP_TOKEN.match(p)]
    if len(paragraphs) < 3:
        return text
    have = _shingles(text)
    covered = [len(sh & have) >= 0.5 * len(sh) for sh in map(_shingles, paragraphs)]
    if not any(covered):
        return text
    last = max(i for i, c in enumerate(covered) if c)
    rest = paragraphs[last + 1 :]
    if sum(len(p) for p in rest) < 0.3 * len(text):
        return text
    return "\n\n".join([text, *rest])

