"""The language the page declares: <html lang>, the JSON-LD article's inLanguage, or a
language meta tag, as its primary subtag (`de-AT` -> `de`). Chinese text on a page that
declares nothing else is recognised by chinese.is_chinese."""

from __future__ import annotations

import re

from crawler.extraction import structured as sd_mod
from crawler.extraction.page import Page
from crawler.extraction.structured import Structured


def find_language(page: Page, sd: Structured) -> tuple[str | None, str | None]:
    candidates = (
        ("html", page.lang),
        ("jsonld", sd_mod.text_value(sd.article.get("inLanguage")) if sd.article else None),
        ("meta", sd.first_meta("og:locale", "content-language", "language", "dc.language", "lang")),
    )
    for method, value in candidates:
        if value:
            match = re.match(r"^\s*([A-Za-z]{2,3})(?:[-_]([A-Za-z]{2,4}|\d{3}))?\b", value)
            if match and match.group(1).lower() not in ("und", "xx"):
                return match.group(1).lower(), method
    return None, None
