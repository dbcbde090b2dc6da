"""Finding article URLs without extracting articles: pure functions over bytes or a parsed
`Page`; the spiders decide what to fetch.

    xmldocs.py   reading sitemap and feed XML (gzip, bounds), the entries they list, their dates
    sitemaps.py  parse_sitemap(body, base_url) -> SitemapDoc(sitemaps=[Entry], urls=[Entry])
                 robots_sitemaps(text) -> [url]: the `Sitemap:` lines of a robots.txt
    feeds.py     parse_feed(body, base_url) -> FeedDoc(format, title, entries=[Entry])
    since.py     parse_since(value), is_before(date, since) -> True / False / None (undated)
    links.py     page_links(page) -> [Link], next_page_url(page), same_site(url, domains)
    pagetype.py  what kind of page a URL or a fetched page is (skip_reason, url_kind,
                 pagination_number, page_kind) and a list page's article links

The public names of these modules are importable from here.
"""

from crawler.extraction.discovery.feeds import FeedDoc, parse_feed
from crawler.extraction.discovery.links import Link, next_page_url, page_links, same_site
from crawler.extraction.discovery.pagetype import listing_links, page_kind, pagination_number, skip_reason, url_kind
from crawler.extraction.discovery.since import is_before, parse_since
from crawler.extraction.discovery.sitemaps import SitemapDoc, parse_sitemap, robots_sitemaps
from crawler.extraction.discovery.xmldocs import DiscoveryError, Entry, gunzip, parse_feed_date, xml_kind

__all__ = [
    "DiscoveryError",
    "Entry",
    "FeedDoc",
    "Link",
    "SitemapDoc",
    "gunzip",
    "is_before",
    "listing_links",
    "next_page_url",
    "page_kind",
    "page_links",
    "pagination_number",
    "parse_feed",
    "parse_feed_date",
    "parse_since",
    "parse_sitemap",
    "robots_sitemaps",
    "same_site",
    "skip_reason",
    "url_kind",
    "xml_kind",
]
