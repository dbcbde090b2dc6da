"""Reading sitemaps and feeds: XML, gzipped or not, read forgivingly and within bounds (no
entity is resolved, nothing is fetched, a gzip bomb stops at the sitemap protocol's size
limit); the URL entries they list and the dates they give (W3C datetimes, RFC 822)."""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from datetime import timezone
from email.utils import parsedate_to_datetime

from lxml import etree

from crawler.normalize import absolute_url, collapse_whitespace, parse_date

# The sitemap protocol's limit for one (uncompressed) file; also the cap for a feed. A
# gzip bomb stops here instead of filling memory.
MAX_XML_BYTES = 50 * 1024 * 1024


class DiscoveryError(ValueError):
    """A sitemap or feed that cannot be read; `reason` is a short stats key."""

    def __init__(self, message: str, reason: str = "invalid"):
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Entry:
    """One URL a sitemap or feed lists, with the dates it gives for it (ISO 8601)."""

    url: str
    published: str | None = None  # news:publication_date, RSS pubDate, Atom published
    lastmod: str | None = None  # sitemap lastmod, Atom updated
    title: str | None = None

    @property
    def date(self) -> str | None:
        """The best date for `since`: publication when given, else last modification
        (a page last modified before a day was also published before it)."""
        return self.published or self.lastmod

    def as_dict(self) -> dict:
        return {"url": self.url, "published": self.published, "lastmod": self.lastmod, "title": self.title}


_XML_PARSER_OPTIONS = dict(
    recover=True, resolve_entities=False, no_network=True, huge_tree=False,
    remove_comments=True, remove_pis=True, remove_blank_text=True,
)


def gunzip(body: bytes, limit: int = MAX_XML_BYTES) -> bytes:
    """Decompressed gzip bytes, refusing more than `limit` of them."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(body, limit + 1)
    except zlib.error as exc:
        raise DiscoveryError(f"bad gzip data: {exc}", "bad_gzip") from exc
    if len(out) > limit or inflater.unconsumed_tail:
        raise DiscoveryError(f"more than {limit} bytes once decompressed", "too_big")
    return out


def plain_xml(body: bytes) -> bytes:
    """The document's bytes, gunzipped when they are gzip (whatever the URL says), refused
    past MAX_XML_BYTES."""
    if body[:2] == b"\x1f\x8b":
        body = gunzip(body)
    if len(body) > MAX_XML_BYTES:
        raise DiscoveryError(f"more than {MAX_XML_BYTES} bytes", "too_big")
    return body


def xml_root(body: bytes):
    """The root element of an XML document (gzipped or not), read forgivingly and without
    ever resolving entities or fetching anything."""
    body = plain_xml(body)
    if not body.startswith(b"\xef\xbb\xbf"):
        body = body.lstrip()
    if not body:
        raise DiscoveryError("empty document", "empty")
    try:
        root = etree.fromstring(body, etree.XMLParser(**_XML_PARSER_OPTIONS))
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise DiscoveryError(f"not XML: {exc}", "not_xml") from exc
    if root is None:
        raise DiscoveryError("not XML", "not_xml")
    return root


def local_name(el) -> str:
    """An element's tag without its namespace, lowercased (`{...sitemap/0.9}urlset` -> `urlset`)."""
    tag = el.tag
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1].lower()


def children_named(el, name: str):
    """The element's children of local name `name`, in any namespace."""
    return [c for c in el if local_name(c) == name]


def child_text(el, *path: str) -> str | None:
    """Text of the first descendant along `path` (local names, any namespace)."""
    nodes = [el]
    for name in path:
        nodes = [c for n in nodes for c in children_named(n, name)]
        if not nodes:
            return None
    text = collapse_whitespace("".join(nodes[0].itertext()))
    return text or None


def xml_kind(body: bytes) -> str | None:
    """What an XML document is: "sitemapindex", "urlset", "rss", "rdf", "atom", or None."""
    try:
        root = xml_root(body)
    except DiscoveryError:
        return None
    name = local_name(root)
    return {"sitemapindex": "sitemapindex", "urlset": "urlset", "rss": "rss", "rdf": "rdf", "feed": "atom"}.get(name)


def parse_feed_date(text: str | None) -> str | None:
    """A sitemap or feed date as ISO 8601: W3C datetimes (`2024-11-18T10:25:18+08:00`,
    `2024-11-18`) and RFC 822 (`Mon, 18 Nov 2024 10:25:18 +0800`, `... GMT`)."""
    text = collapse_whitespace(text)
    if not text:
        return None
    if re.match(r"^(?:[A-Za-z]{3},?\s+)?\d{1,2}\s+[A-Za-z]{3}\s+\d{2,4}\s+\d", text):
        try:
            value = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            value = None
        if value is not None:
            if value.tzinfo is None:  # `-0000`: UTC with no claim about local time
                value = value.replace(tzinfo=timezone.utc)
            return value.isoformat(timespec="seconds")
    return parse_date(text)


def entry_url(base_url: str | None, href: str | None) -> str | None:
    """An entry's link, absolute (resolved against the document's URL) and without fragment."""
    href = collapse_whitespace(href)
    if not href:
        return None
    return absolute_url(base_url or href, href)
