"""The page's canonical URL: its <link rel="canonical"> in <head>, else og:url, made absolute."""

from __future__ import annotations

from crawler.extraction.page import Page
from crawler.extraction.structured import Structured
from crawler.normalize import absolute_url


def find_canonical(page: Page, sd: Structured) -> tuple[str | None, str | None]:
    for href in page.tree.xpath("//head/link[@rel='canonical']/@href")[:1]:
        url = absolute_url(page.url, href)
        if url:
            return url, "link"
    og = sd.first_meta("og:url")
    if og:
        url = absolute_url(page.url, og)
        if url:
            return url, "og"
    return None, None
