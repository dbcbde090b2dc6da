"""The links of a fetched page: every web link with its text, rel and class, and whether it
sits in the site's chrome (navigation, header, footer, sidebars); the page's next page in a
paginated list; and whether a URL is on the crawl's domains."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from crawler.extraction.page import Page
from crawler.extraction.vocabulary import PAGE_CHROME_TAGS
from crawler.normalize import absolute_url, collapse_whitespace

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


def in_chrome(node, compound: bool = True) -> bool:
    """Whether an element sits inside the page's chrome (an ancestor up to <body> is; see
    `chrome_element`)."""
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
                chrome=in_chrome(node),
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


def same_site(url: str, domains) -> bool:
    """Whether `url` is on one of the registered `domains` or a subdomain of one."""
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    return any(host == d or host.endswith("." + d) for d in domains)
