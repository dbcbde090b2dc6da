"""Sitemaps: an index of child sitemaps, a urlset of pages (with Google News tags), a plain
list of URLs; and the `Sitemap:` lines of a robots.txt that name them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from crawler.extraction.discovery.xmldocs import (
    DiscoveryError,
    Entry,
    child_text,
    children_named,
    entry_url,
    local_name,
    parse_feed_date,
    plain_xml,
    xml_root,
)

@dataclass
class SitemapDoc:
    kind: str  # "sitemapindex" | "urlset" | "text"
    sitemaps: list[Entry] = field(default_factory=list)  # child sitemaps of an index
    urls: list[Entry] = field(default_factory=list)  # pages of a urlset


def parse_sitemap(body: bytes, base_url: str | None = None) -> SitemapDoc:
    """A sitemap index (child sitemaps with their lastmod), a urlset (pages with lastmod,
    and for Google News sitemaps news:publication_date and news:title), or a plain-text
    sitemap (one URL a line). gzip is recognised by its bytes, whatever the URL says."""
    plain = plain_xml(body)
    head = plain[:512].lstrip().lower()
    if head.startswith(b"http://") or head.startswith(b"https://"):
        return _text_sitemap(plain, base_url)
    root = xml_root(plain)
    kind = local_name(root)
    if kind == "sitemapindex":
        doc = SitemapDoc("sitemapindex")
        for node in children_named(root, "sitemap"):
            url = entry_url(base_url, child_text(node, "loc"))
            if url:
                doc.sitemaps.append(Entry(url, lastmod=parse_feed_date(child_text(node, "lastmod"))))
        return doc
    if kind == "urlset":
        doc = SitemapDoc("urlset")
        for node in children_named(root, "url"):
            url = entry_url(base_url, child_text(node, "loc"))
            if not url:
                continue
            news = children_named(node, "news")
            published = title = None
            if news:
                published = parse_feed_date(child_text(news[0], "publication_date"))
                title = child_text(news[0], "title")
            doc.urls.append(Entry(url, published=published, lastmod=parse_feed_date(child_text(node, "lastmod")), title=title))
        return doc
    raise DiscoveryError(f"not a sitemap: root element <{kind}>", "not_sitemap")


def _text_sitemap(body: bytes, base_url: str | None) -> SitemapDoc:
    doc = SitemapDoc("text")
    for line in body.decode("utf-8", errors="replace").splitlines():
        url = entry_url(base_url, line.strip()) if line.strip().lower().startswith(("http://", "https://")) else None
        if url:
            doc.urls.append(Entry(url))
    return doc


def robots_sitemaps(text: str | bytes) -> list[str]:
    """The `Sitemap:` URLs of a robots.txt, in order."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    out: list[str] = []
    for line in text.splitlines():
        match = re.match(r"^\s*sitemap\s*:\s*(\S+)", line, re.IGNORECASE)
        if match and match.group(1).lower().startswith(("http://", "https://")) and match.group(1) not in out:
            out.append(match.group(1))
    return out
