"""Feeds: RSS 2.0, RSS 1.0 (RDF) and Atom, their entries' links, dates and titles."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urljoin

from crawler.extraction.discovery.xmldocs import (
    DiscoveryError,
    Entry,
    child_text,
    children_named,
    entry_url,
    local_name,
    parse_feed_date,
    xml_root,
)
from crawler.normalize import collapse_whitespace

@dataclass
class FeedDoc:
    format: str  # "rss" | "rdf" | "atom"
    title: str | None = None
    entries: list[Entry] = field(default_factory=list)


def _atom_link(entry) -> str | None:
    best = None
    for link in children_named(entry, "link"):
        rel = (link.get("rel") or "alternate").lower()
        href = link.get("href")
        if not href or rel != "alternate":
            continue
        if (link.get("type") or "text/html").lower() in ("text/html", "application/xhtml+xml"):
            return href
        best = best or href
    return best


def parse_feed(body: bytes, base_url: str | None = None) -> FeedDoc:
    """RSS 2.0 (`item/link`, else a permalink `guid`; `pubDate` or `dc:date`), RSS 1.0 and
    Atom (`link rel=alternate`, `published`, `updated`). Relative links are resolved
    against the feed's URL."""
    root = xml_root(body)
    kind = local_name(root)
    if kind == "rss":
        channel = (children_named(root, "channel") or [root])[0]
        doc = FeedDoc("rss", title=child_text(channel, "title"))
        for item in children_named(channel, "item"):
            link = child_text(item, "link")
            if not link:
                guid = (children_named(item, "guid") or [None])[0]
                if guid is not None and (guid.get("isPermaLink") or "true").lower() != "false":
                    link = collapse_whitespace(guid.text)
            url = entry_url(base_url, link)
            if url:
                published = parse_feed_date(child_text(item, "pubdate") or child_text(item, "date"))
                doc.entries.append(Entry(url, published=published, title=child_text(item, "title")))
        return doc
    if kind == "rdf":
        channel = (children_named(root, "channel") or [root])[0]
        doc = FeedDoc("rdf", title=child_text(channel, "title"))
        for item in children_named(root, "item"):
            url = entry_url(base_url, child_text(item, "link") or item.get("{http://www.w3.org/1999/02/22-rdf-syntax-ns#}about"))
            if url:
                doc.entries.append(Entry(url, published=parse_feed_date(child_text(item, "date")), title=child_text(item, "title")))
        return doc
    if kind == "feed":
        doc = FeedDoc("atom", title=child_text(root, "title"))
        base = root.get("{http://www.w3.org/XML/1998/namespace}base")
        feed_base = urljoin(base_url, base) if base and base_url else (base or base_url)
        for entry in children_named(root, "entry"):
            url = entry_url(feed_base, _atom_link(entry))
            if url:
                doc.entries.append(
                    Entry(
                        url,
                        published=parse_feed_date(child_text(entry, "published") or child_text(entry, "issued")),
                        lastmod=parse_feed_date(child_text(entry, "updated") or child_text(entry, "modified")),
                        title=child_text(entry, "title"),
                    )
                )
        return doc
    raise DiscoveryError(f"not a feed: root element <{kind}>", "not_feed")
