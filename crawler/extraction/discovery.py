"""Finding article URLs without extracting articles: sitemaps (index, urlset, Google News,
gzipped or plain text), RSS 2.0 / RSS 1.0 / Atom feeds, the `Sitemap:` lines of robots.txt,
and the links of a fetched page (its next page, its pagination number, its list of article
links). Pure functions over bytes or a parsed `Page`; the spider decides what to fetch.

    parse_sitemap(body, base_url) -> SitemapDoc(sitemaps=[Entry], urls=[Entry])
    parse_feed(body, base_url)    -> FeedDoc(format, title, entries=[Entry])
    robots_sitemaps(text)         -> [url]
    page_links(page)              -> [Link]
    next_page_url(page)           -> url or None
    listing_links(page)           -> ([article url], next page url or None)
    is_before(date, since)        -> True / False / None (undated)
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit

from lxml import etree

from crawler.extraction.page import Page
from crawler.extraction.vocabulary import PAGE_CHROME_TAGS
from crawler.normalize import absolute_url, collapse_whitespace, parse_date, site_of

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


@dataclass
class SitemapDoc:
    kind: str  # "sitemapindex" | "urlset" | "text"
    sitemaps: list[Entry] = field(default_factory=list)  # child sitemaps of an index
    urls: list[Entry] = field(default_factory=list)  # pages of a urlset


@dataclass
class FeedDoc:
    format: str  # "rss" | "rdf" | "atom"
    title: str | None = None
    entries: list[Entry] = field(default_factory=list)


# -- XML ---------------------------------------------------------------------------------

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


def _plain(body: bytes) -> bytes:
    if body[:2] == b"\x1f\x8b":
        body = gunzip(body)
    if len(body) > MAX_XML_BYTES:
        raise DiscoveryError(f"more than {MAX_XML_BYTES} bytes", "too_big")
    return body


def xml_root(body: bytes):
    """The root element of an XML document (gzipped or not), read forgivingly and without
    ever resolving entities or fetching anything."""
    body = _plain(body)
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


def _local(el) -> str:
    tag = el.tag
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1].lower()


def _children(el, name: str):
    return [c for c in el if _local(c) == name]


def _child_text(el, *path: str) -> str | None:
    """Text of the first descendant along `path` (local names, any namespace)."""
    nodes = [el]
    for name in path:
        nodes = [c for n in nodes for c in _children(n, name)]
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
    name = _local(root)
    return {"sitemapindex": "sitemapindex", "urlset": "urlset", "rss": "rss", "rdf": "rdf", "feed": "atom"}.get(name)


# -- dates -------------------------------------------------------------------------------


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


def _as_datetime(value: str) -> datetime | date | None:
    try:
        if len(value) == 10:
            return date.fromisoformat(value)
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def parse_since(value: str | None) -> str | None:
    """`-a since=` as ISO 8601 (`2024-11-12` or `2024-11-12T08:00:00+08:00`); raises
    ValueError when it is not a date."""
    if value is None or not str(value).strip():
        return None
    parsed = parse_date(str(value))
    if not parsed:
        raise ValueError(f"since: not a date: {value!r} (use YYYY-MM-DD)")
    return parsed


def is_before(value: str | None, since: str, *, slack: timedelta = timedelta(0)) -> bool | None:
    """Whether a publication date is before `since`; None when there is no usable date.

    A day (`since=2024-11-12`) is compared with the date as the page states it, in its own
    offset: an article of `2024-11-12T00:30:00+08:00` is not before it. A moment is compared
    as a moment. `slack` widens the window backwards: dates read from sitemaps and feeds are
    often in UTC while the article prints local time, so before fetching the spider only
    skips what is older than `since` by more than a day."""
    if not value:
        return None
    when, bound = _as_datetime(value), _as_datetime(since)
    if when is None or bound is None:
        return None
    if isinstance(bound, datetime):
        if isinstance(when, datetime):
            return when < bound - slack
        return when < (bound - slack).date()
    # `since` is a day: compare days (the value's own calendar day)
    day = when.date() if isinstance(when, datetime) else when
    return day < bound - slack


# -- sitemaps ----------------------------------------------------------------------------


def _url(base_url: str | None, href: str | None) -> str | None:
    href = collapse_whitespace(href)
    if not href:
        return None
    return absolute_url(base_url or href, href)


def parse_sitemap(body: bytes, base_url: str | None = None) -> SitemapDoc:
    """A sitemap index (child sitemaps with their lastmod), a urlset (pages with lastmod,
    and for Google News sitemaps news:publication_date and news:title), or a plain-text
    sitemap (one URL a line). gzip is recognised by its bytes, whatever the URL says."""
    plain = _plain(body)
    head = plain[:512].lstrip().lower()
    if head.startswith(b"http://") or head.startswith(b"https://"):
        return _text_sitemap(plain, base_url)
    root = xml_root(plain)
    kind = _local(root)
    if kind == "sitemapindex":
        doc = SitemapDoc("sitemapindex")
        for node in _children(root, "sitemap"):
            url = _url(base_url, _child_text(node, "loc"))
            if url:
                doc.sitemaps.append(Entry(url, lastmod=parse_feed_date(_child_text(node, "lastmod"))))
        return doc
    if kind == "urlset":
        doc = SitemapDoc("urlset")
        for node in _children(root, "url"):
            url = _url(base_url, _child_text(node, "loc"))
            if not url:
                continue
            news = _children(node, "news")
            published = title = None
            if news:
                published = parse_feed_date(_child_text(news[0], "publication_date"))
                title = _child_text(news[0], "title")
            doc.urls.append(Entry(url, published=published, lastmod=parse_feed_date(_child_text(node, "lastmod")), title=title))
        return doc
    raise DiscoveryError(f"not a sitemap: root element <{kind}>", "not_sitemap")


def _text_sitemap(body: bytes, base_url: str | None) -> SitemapDoc:
    doc = SitemapDoc("text")
    for line in body.decode("utf-8", errors="replace").splitlines():
        url = _url(base_url, line.strip()) if line.strip().lower().startswith(("http://", "https://")) else None
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


# -- feeds -------------------------------------------------------------------------------


def _atom_link(entry) -> str | None:
    best = None
    for link in _children(entry, "link"):
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
    kind = _local(root)
    if kind == "rss":
        channel = (_children(root, "channel") or [root])[0]
        doc = FeedDoc("rss", title=_child_text(channel, "title"))
        for item in _children(channel, "item"):
            link = _child_text(item, "link")
            if not link:
                guid = (_children(item, "guid") or [None])[0]
                if guid is not None and (guid.get("isPermaLink") or "true").lower() != "false":
                    link = collapse_whitespace(guid.text)
            url = _url(base_url, link)
            if url:
                published = parse_feed_date(_child_text(item, "pubdate") or _child_text(item, "date"))
                doc.entries.append(Entry(url, published=published, title=_child_text(item, "title")))
        return doc
    if kind == "rdf":
        channel = (_children(root, "channel") or [root])[0]
        doc = FeedDoc("rdf", title=_child_text(channel, "title"))
        for item in _children(root, "item"):
            url = _url(base_url, _child_text(item, "link") or item.get("{http://www.w3.org/1999/02/22-rdf-syntax-ns#}about"))
            if url:
                doc.entries.append(Entry(url, published=parse_feed_date(_child_text(item, "date")), title=_child_text(item, "title")))
        return doc
    if kind == "feed":
        doc = FeedDoc("atom", title=_child_text(root, "title"))
        base = root.get("{http://www.w3.org/XML/1998/namespace}base")
        feed_base = urljoin(base_url, base) if base and base_url else (base or base_url)
        for entry in _children(root, "entry"):
            url = _url(feed_base, _atom_link(entry))
            if url:
                doc.entries.append(
                    Entry(
                        url,
                        published=parse_feed_date(_child_text(entry, "published") or _child_text(entry, "issued")),
                        lastmod=parse_feed_date(_child_text(entry, "updated") or _child_text(entry, "modified")),
                        title=_child_text(entry, "title"),
                    )
                )
        return doc
    raise DiscoveryError(f"not a feed: root element <{kind}>", "not_feed")


# -- links of a page -----------------------------------------------------------------------


@dataclass(frozen=True)
class Link:
    url: str
    text: str
    rel: str = ""
    cls: str = ""
    chrome: bool = False  # inside navigation, header, footer or a sidebar


_CHROME_WORDS = frozenset(
    "nav navbar navigation menu header footer foot sidebar side aside topbar top_bar breadcrumb "
    "breadcrumbs crumb crumbs position hot rank ranking popular mostread most-read recommend".split()
)


def _chrome_token(token: str, compound: bool = True) -> bool:
    """`nav`, `sidebar`, `right-side`, `r_side`, `site-footer`: a class or id that names a
    part of the page frame (as a whole word, or the first or last word of a compound)."""
    token = token.lower()
    if token in _CHROME_WORDS:
        return True
    if not compound:
        return False
    parts = [p for p in re.split(r"[-_]+", token) if p]
    return len(parts) > 1 and (parts[0] in _CHROME_WORDS or parts[-1] in _CHROME_WORDS)


def chrome_element(node, compound: bool = True) -> bool:
    """Whether an element is navigation, header, footer or a sidebar (by tag, class or
    id). `compound=False` only believes whole words (`sidebar`, not `pg-rail__side`)."""
    if node.tag in PAGE_CHROME_TAGS:
        return True
    return any(_chrome_token(t, compound) for t in f"{node.get('class') or ''} {node.get('id') or ''}".split())


def _base_url(page: Page) -> str:
    for href in page.tree.xpath("//head/base/@href")[:1]:
        joined = absolute_url(page.url, href)
        if joined:
            return joined
    return page.url


def _in_chrome(node, compound: bool = True) -> bool:
    node = node.getparent()
    while node is not None and node.tag not in ("body", "html"):
        if chrome_element(node, compound):
            return True
        node = node.getparent()
    return False


def page_links(page: Page) -> list[Link]:
    """Every web link of the page, absolute and without fragment, in page order (repeats
    kept: the first one is the one to follow). mailto:, javascript: and the like are left
    out."""
    base = _base_url(page)
    out = []
    for node in page.tree.iter("a", "area"):
        url = absolute_url(base, node.get("href"))
        if not url:
            continue
        out.append(
            Link(
                url=url,
                text=collapse_whitespace(node.text_content()) if node.tag == "a" else collapse_whitespace(node.get("alt")),
                rel=(node.get("rel") or "").lower(),
                cls=(node.get("class") or "").lower(),
                chrome=_in_chrome(node),
            )
        )
    return out


_NEXT_TEXT = re.compile(r"(?i)^(?:下一页|下页|后一页|下一頁|next|next page|next ›|next »|older|older posts|older entries|›|»|>|>>|→)$")
_NEXT_CLASS = re.compile(r"(?i)(?:^|[\s_-])(?:next|pagination-next|page-next|nextpage)(?:$|[\s_-])")


def next_page_url(page: Page, links: list[Link] | None = None) -> str | None:
    """The page after this one in a paginated list: `<link rel=next>`, `<a rel=next>`, an
    anchor of class `next`, or one reading "下一页" / "Next" / "»"."""
    for href in page.tree.xpath("//link[@rel='next']/@href")[:1]:
        url = absolute_url(_base_url(page), href)
        if url and url != page.url:
            return url
    for link in links if links is not None else page_links(page):
        if link.url == page.url:
            continue
        if "next" in link.rel.split() or _NEXT_CLASS.search(link.cls) or _NEXT_TEXT.match(link.text):
            return link.url
    return None


_PAGE_NUMBER = (
    re.compile(r"/page/(\d+)/?$", re.IGNORECASE),
    re.compile(r"/(?:index|list|default|more)[_-](\d+)\.\w+$", re.IGNORECASE),
    re.compile(r"[?&](?:page|pg|pn|paged|pageno|pagenum|page_no|pageindex|curpage)=(\d+)(?:&|$)", re.IGNORECASE),
)


def pagination_number(url: str) -> int | None:
    """The page number a list URL asks for (`index_3.html`, `/page/3/`, `?page=3`)."""
    for pattern in _PAGE_NUMBER:
        match = pattern.search(url)
        if match:
            return int(match.group(1))
    return None


def listing_links(page: Page) -> tuple[list[str], str | None]:
    """A list page's article links outside the site's navigation, header, footer and
    sidebars, on the page's own site, in page order, and its next page."""
    from crawler.extraction.pagetype import url_kind  # the URL shapes live there

    links = page_links(page)
    site = site_of(page.url)
    seen: dict[str, None] = {}
    for link in links:
        if link.chrome or site_of(link.url) != site or link.url == page.url:
            continue
        if url_kind(link.url) == "article":
            seen.setdefault(link.url)
    return list(seen), next_page_url(page, links)


def same_site(url: str, domains) -> bool:
    """Whether `url` is on one of the registered `domains` or a subdomain of one."""
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    return any(host == d or host.endswith("." + d) for d in domains)
