"""What kind of page a URL is: an article, a listing (home, section, tag, topic or archive
page that lists articles), or something else (about and contact pages, error pages).

    skip_reason(url)     -> reason or None   obvious non-pages, never worth fetching
    url_kind(url)        -> "article" | "listing" | "other" | "unknown"   the URL's shape alone
    pagination_number(url) -> the page number a list URL asks for, or None
    page_kind(url, page) -> "article" | "listing" | "other"              after fetching
    page_evidence(url, page) -> Evidence                                  the scores behind it
    listing_links(page)  -> ([article url], next page url or None)      a list page's articles

`page_kind` adds up independent evidence: the schema.org type the page declares in JSON-LD
(NewsArticle / Article vs CollectionPage / ItemList), `og:type`, the URL's shape, and the
text itself: an article has several long paragraphs of prose outside links and lists; a
listing has links to article-shaped URLs and little prose of its own. Chinese characters
count three times (a 50-character Chinese paragraph says as much as 150 Latin letters).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote, urlsplit

from crawler.extraction.discovery.links import Link, in_chrome, next_page_url, page_links
from crawler.extraction.page import Page
from crawler.extraction.vocabulary import CJK_CHAR, NOT_PROSE_TAGS
from crawler.normalize import absolute_url, collapse_whitespace, site_of

# -- the URL alone ---------------------------------------------------------------------------

_EXTENSIONS = {
    "image": "jpg jpeg png gif webp bmp svg ico tif tiff avif heic",
    "media": "mp3 mp4 m4a m4v wav avi mov wmv flv mkv webm m3u8 ogg oga ogv swf",
    "document": "pdf doc docx xls xlsx ppt pptx odt ods rtf epub csv zip rar 7z gz tgz tar bz2 xz apk exe dmg msi iso",
    "asset": "css js mjs json woff woff2 ttf eot otf map",
    "feed": "xml rss atom rdf",
}
_EXT_REASON = {ext: reason for reason, exts in _EXTENSIONS.items() for ext in exts.split()}

_SEGMENT_REASON = {
    **{s: "login" for s in ("login", "logout", "signin", "sign-in", "signout", "signup", "sign-up", "register",
                            "passport", "account", "accounts", "sso", "oauth", "password", "subscribe", "cart")},
    **{s: "search" for s in ("search", "sousuo")},
    **{s: "share" for s in ("share", "sharer", "sharer.php", "share.php", "intent", "bookmark")},
    **{s: "print" for s in ("print", "printable")},
    **{s: "comments" for s in ("comment", "comments", "pinglun", "reply", "respond")},
    **{s: "calendar" for s in ("calendar", "calendars")},
    **{s: "feed" for s in ("rss", "feed", "feeds", "atom")},
    **{s: "asset" for s in ("static", "assets", "cdn-cgi", "wp-json", "wp-admin", "xmlrpc.php")},
}
_HOST_REASON = (
    (re.compile(r"^(?:passport|login|sso|account|accounts|auth|member|my|user|i)\."), "login"),
    (re.compile(r"^(?:search|so|s)\."), "search"),
    (re.compile(r"^(?:img|image|images|pic|pics|photo-cdn|static|css|js|cdn|res|assets?)\d*\."), "asset"),
)
_QUERY_REASON = {
    **{k: "search" for k in ("q", "query", "keyword", "keywords", "kw", "wd", "searchword", "search", "s")},
    **{k: "calendar" for k in ("date", "day", "month", "year", "ym", "ymd", "cal", "calendar")},
    **{k: "print" for k in ("print", "printable")},
    **{k: "share" for k in ("share", "shareurl")},
    **{k: "comments" for k in ("replytocom", "comment", "commentid")},
    **{k: "redirect" for k in ("redirect", "redirect_url", "return", "returnurl", "return_to", "url", "goto", "target")},
    **{k: "login" for k in ("action",)},
}
# A path that ends in a bare date (`/2024/`, `/2024/11/`, `/2024/11/18/`, `/2024-11-18/`):
# a day/month archive, reached from calendars that page back for ever.
_DATE_ARCHIVE = re.compile(r"/(?:19|20)\d{2}(?:[/_-](?:0?[1-9]|1[0-2])(?:[/_-](?:0?[1-9]|[12]\d|3[01]))?)?/?$")


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


def _segments(path: str) -> list[str]:
    return [unquote(s).lower() for s in path.split("/") if s]


def skip_reason(url: str) -> str | None:
    """Why a URL is not worth fetching as a page (`image`, `media`, `document`, `asset`,
    `feed`, `login`, `search`, `share`, `print`, `comments`, `calendar`, `redirect`,
    `scheme`), or None. Feeds and sitemaps are read only when given as entry points."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return "scheme"
    host = (parts.hostname or "").lower()
    for pattern, reason in _HOST_REASON:
        if pattern.match(host):
            return reason
    segments = _segments(parts.path)
    if segments:
        last = segments[-1]
        if "." in last:
            reason = _EXT_REASON.get(last.rsplit(".", 1)[1])
            if reason:
                return reason
    for segment in segments:
        reason = _SEGMENT_REASON.get(segment) or _SEGMENT_REASON.get(segment.rsplit(".", 1)[0])
        if reason:
            return reason
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        key = key.lower()
        reason = _QUERY_REASON.get(key)
        if reason == "redirect" and not re.match(r"(?i)^(?:https?:)?//|^/", value):
            continue
        if reason == "login" and "login" not in value.lower() and "register" not in value.lower():
            continue
        if reason:
            return reason
    if _DATE_ARCHIVE.search(parts.path) and not pagination_number(url):
        return "calendar"
    return None


# Pages about the site rather than news: not articles, not worth crawling.
_SITE_INFO = re.compile(
    r"^(?:about|aboutus|about-us|about_us|contact|contactus|contact-us|contact_us|privacy|"
    r"privacy-policy|terms|terms-of-use|terms-of-service|tos|legal|imprint|impressum|disclaimer|"
    r"copyright|jobs|careers|job|join|joinus|advertise|advertising|ad|ads|adv|help|faq|"
    r"sitemap|site-map|map|feedback|subscribe|newsletter|services?|partners?|links|friendlinks|"
    r"guanyu|lianxi|gywm|lxwm|bqsm|mzsm)$"
)
# Path segments that name a list of articles.
_LISTING_SEGMENTS = frozenset(
    "tag tags topic topics category categories cat section sections channel channels column columns "
    "author authors archive archives list lists node subject subjects zhuanti special specials series "
    "label labels keyword keywords latest more index".split()
)
_LISTING_STEM = re.compile(r"^(?:index|list|default|more|home|main)(?:[_-]\d+)?$")
_PATH_DATE = re.compile(
    r"(?<!\d)(?:19|20)\d{2}(?:[/_.-]?(?:0[1-9]|1[0-2]))(?:[/_.-]?(?:[0-3]\d))?(?!\d)"
)
_ID_STEM = re.compile(
    r"\d{5,}|^(?:detail|article|content|art|doc|news|story|post|a|t|c)[_-]?[a-z]*\d{3,}|^detail-[a-z0-9]{6,}$"
)
_SLUG = re.compile(r"^[^\W\d_]+(?:[-_][^\W_]+){3,}$")
_ID_QUERY = re.compile(
    r"(?i)(?:^|&)(?:id|aid|idx|nid|sn|no|articleid|article_id|articleno|newsid|news_id|newsno|docid|doc_id|"
    r"contentid|content_id|itemid|postid|p|story|storyid)=\w*\d{3,}"
)
# Pages named after what they show: `news_view.html?idx=8576`, `detail.php?id=123`.
_VIEW_STEM = re.compile(r"(?i)(?:^|[_-])(?:view|read|detail|details|show|article|content|story|post)$")


def url_kind(url: str) -> str:
    """What the URL's shape says the page is: "article" (a date or a long id or a slug in
    its last part), "listing" (home, section, tag, pagination), "other" (about, contact and
    other site pages, or an obvious non-page), or "unknown"."""
    if skip_reason(url):
        return "other"
    parts = urlsplit(url)
    segments = _segments(parts.path)
    if not segments:
        return "article" if _ID_QUERY.search(parts.query) else "listing"
    last = segments[-1]
    stem = last.rsplit(".", 1)[0] if "." in last else last
    if any(_SITE_INFO.match(s.rsplit(".", 1)[0]) for s in segments[:2]):
        return "other"
    if _ID_QUERY.search(parts.query) and (_VIEW_STEM.search(stem) or not pagination_number(url)):
        return "article"
    if _LISTING_STEM.match(stem) and len(segments) >= 3 and _PATH_DATE.search("/".join(segments[:-1])):
        # `/2019/11/18/politics/some-story/index.html`: the story is the directory.
        stem = segments[-2]
    elif pagination_number(url) or _LISTING_STEM.match(stem):
        return "listing"
    if any(s in _LISTING_SEGMENTS for s in segments[:-1]) or (stem in _LISTING_SEGMENTS and parts.path.endswith("/")):
        return "listing"
    ends_with_slash = parts.path.endswith("/")
    if not ends_with_slash or len(segments) > 2:
        dated = bool(_PATH_DATE.search("/".join(segments[:-1] if not ends_with_slash else segments[:-1])))
        if _ID_STEM.search(stem) or (dated and len(stem) >= 3) or (_SLUG.match(stem) and len(stem) >= 20):
            return "article"
    if ends_with_slash and len(segments) <= 2 and not any(ch.isdigit() for ch in parts.path):
        return "listing"
    return "unknown"


# -- the fetched page ---------------------------------------------------------------------------

ARTICLE_TYPES = frozenset(
    "article newsarticle reportagenewsarticle analysisnewsarticle opinionnewsarticle backgroundnewsarticle "
    "reviewnewsarticle askpublicnewsarticle satiricalarticle blogposting liveblogposting report "
    "scholarlyarticle techarticle".split()
)
LISTING_TYPES = frozenset("collectionpage itemlist searchresultspage profilepage".split())

_INLINE = frozenset("a span strong b em i u font small big sub sup abbr cite q mark time label code br img".split())
_PROSE_TAGS = ("p", "div", "td", "section", "article", "blockquote")
_TEASER_CLASS = re.compile(r"(?i)summary|desc|intro|abstract|excerpt|teaser|lead|brief|zhaiyao|txt-?info")
_RELATED_CLASS = re.compile(r"(?i)related|relate|xgxw|recommend|more-?news|read-?more")
_CUES = re.compile(
    r"责任编辑|编辑[:：]|来源[:：]|作者[:：]|记者|通讯员|发布时间|发布日期|原标题|[（(]记者|电[（(]|"
    r"\bEditor\s*:|\bSource\s*:|\bBy\s+[A-Z][a-z]+|\bReporter\s*:|\(Xinhua\)|\bUpdated\s*:|\bPublished\s*:"
)
PROSE_MIN_WEIGHT = 150  # a paragraph of ~150 Latin letters or ~50 Chinese characters


def text_weight(text: str) -> int:
    cjk = len(CJK_CHAR.findall(text))
    return len(text) + 2 * cjk


@dataclass
class Evidence:
    kind: str
    score: float
    reasons: list[str] = field(default_factory=list)
    features: dict = field(default_factory=dict)


def jsonld_types(page: Page) -> set[str]:
    """Every schema.org @type the page's JSON-LD declares (lowercased, without prefix)."""
    found: set[str] = set()

    def walk(value, depth=0):
        if depth > 6:
            return
        if isinstance(value, list):
            for item in value:
                walk(item, depth + 1)
        elif isinstance(value, dict):
            types = value.get("@type")
            for t in types if isinstance(types, list) else [types]:
                if isinstance(t, str):
                    found.add(t.lower().rsplit("/", 1)[-1].rsplit(":", 1)[-1])
            for key in ("@graph", "mainEntity", "mainEntityOfPage"):
                if isinstance(value.get(key), (dict, list)):
                    walk(value[key], depth + 1)

    for script in page.tree.iter("script"):
        if "ld+json" not in (script.get("type") or "").lower() or not script.text:
            continue
        try:
            walk(json.loads(script.text.strip().rstrip(";")))
        except ValueError:
            continue
    return found


def _og_type(page: Page) -> str:
    for node in page.tree.iter("meta"):
        if (node.get("property") or node.get("name") or "").lower() == "og:type":
            return (node.get("content") or "").strip().lower()
    return ""


def _own_text(el) -> tuple[str, str]:
    """The element's text outside its block children (a <p>, or a <div> whose text is set
    with <br>), and the part of it that is link text."""
    parts, links = [el.text or ""], []
    for child in el:
        if isinstance(child.tag, str) and child.tag in _INLINE:
            if child.tag == "br":
                parts.append(" ")
            else:
                parts.append(child.text_content())
                anchors = [child] if child.tag == "a" else list(child.iter("a"))
                links.extend(a.text_content() for a in anchors)
        parts.append(child.tail or "")
    return collapse_whitespace("".join(parts)), collapse_whitespace(" ".join(links))


def _is_teaser(el) -> bool:
    if _TEASER_CLASS.search(el.get("class") or ""):
        return True
    parent = el.getparent()
    for holder in (parent, parent.getparent() if parent is not None else None):
        if holder is None:
            continue
        # A heading that links to a story, then its summary: a list item of a listing.
        if holder.xpath("./h2//a|./h3//a|./h4//a|./h5//a|./dt//a"):
            return True
    return False


def _excluded(el) -> bool:
    node = el.getparent()
    while node is not None and node.tag not in ("body", "html"):
        if node.tag in NOT_PROSE_TAGS:
            return True
        if _RELATED_CLASS.search(f"{node.get('class') or ''} {node.get('id') or ''}"):
            return True
        node = node.getparent()
    return in_chrome(el, compound=False)


def prose_paragraphs(page: Page) -> list[str]:
    """The page's paragraphs of prose: long, mostly not links, outside navigation, lists,
    sidebars, related blocks and teasers."""
    body = page.tree.find("body")
    if body is None:
        return []
    out = []
    for el in body.iter(*_PROSE_TAGS):
        text, link_text = _own_text(el)
        weight = text_weight(text)
        if weight < PROSE_MIN_WEIGHT:
            continue
        if text_weight(link_text) > 0.3 * weight or _excluded(el) or _is_teaser(el):
            continue
        out.append(text)
    return out


def _article_links(url: str, links: list[Link]) -> list[str]:
    site = site_of(url)
    seen: dict[str, None] = {}
    for link in links:
        if link.chrome or link.url == url or site_of(link.url) != site:
            continue
        if url_kind(link.url) == "article":
            seen.setdefault(link.url)
    return list(seen)


def listing_links(page: Page) -> tuple[list[str], str | None]:
    """A list page's article links outside the site's navigation, header, footer and
    sidebars, on the page's own site, in page order, and its next page."""
    links = page_links(page)
    return _article_links(page.url, links), next_page_url(page, links)


def _linked_headlines(url: str, page: Page) -> int:
    """Headings (h2-h4) that link to another article of the site: the cards of a list."""
    site = site_of(url)
    count = 0
    for heading in page.tree.xpath("//body//*[self::h2 or self::h3 or self::h4][.//a[@href]]"):
        href = absolute_url(page.url, heading.xpath(".//a/@href")[0])
        if href and href != url and site_of(href) == site and url_kind(href) == "article" and not in_chrome(heading):
            count += 1
    return count


def page_evidence(url: str, page: Page) -> Evidence:
    """The scores behind `page_kind`: positive is article, negative is listing."""
    reasons: list[str] = []
    score = 0.0

    def add(points: float, why: str) -> None:
        nonlocal score
        score += points
        reasons.append(f"{points:+g} {why}")

    types = jsonld_types(page)
    if types & ARTICLE_TYPES:
        add(3, f"JSON-LD {sorted(types & ARTICLE_TYPES)[0]}")
    elif types & LISTING_TYPES:
        add(-3, f"JSON-LD {sorted(types & LISTING_TYPES)[0]}")
    og = _og_type(page)
    if og == "article":
        add(1.5, "og:type article")
    elif og in ("website", "blog", "profile"):
        add(-0.5, f"og:type {og}")
    shape = url_kind(url)
    if shape == "article":
        add(1.5, "article-shaped URL")
    elif shape == "listing":
        add(-1.5, "listing-shaped URL")
    elif shape == "other":
        add(-1, "site-page URL")

    paragraphs = prose_paragraphs(page)
    weight = sum(text_weight(p) for p in paragraphs)
    if len(paragraphs) >= 3 and weight >= 700:
        add(2.5, f"{len(paragraphs)} paragraphs of prose")
    elif weight >= 700:
        add(1.5, f"{len(paragraphs)} long paragraph(s) of prose")
    elif len(paragraphs) >= 2 and weight >= 400:
        add(1.5, f"{len(paragraphs)} paragraphs of prose")
    elif paragraphs:
        add(0.25, "one paragraph of prose")
    else:
        add(-2, "no prose")

    links = page_links(page)
    article_links = _article_links(url, links)
    if len(article_links) >= 3 and weight < 400:
        add(-1.5, f"{len(article_links)} article links, little prose")
    elif len(article_links) >= 12 and len(paragraphs) < 3:
        add(-1, f"{len(article_links)} article links")
    headlines = _linked_headlines(url, page)
    if headlines >= 2 and weight < 700:
        add(-1, f"{headlines} linked headlines")
    h1s = len(page.tree.xpath("//body//h1"))
    if h1s == 1:
        add(0.3, "one <h1>")
    elif h1s == 0:
        add(-0.3, "no <h1>")
    head_text = collapse_whitespace(page.tree.find("body").text_content() if page.tree.find("body") is not None else "")
    if _CUES.search(head_text[:6000]):
        add(0.5, "byline/source/editor cue")
    next_url = next_page_url(page, links)
    if next_url and len(paragraphs) < 3:
        add(-0.5, "next-page link")

    features = {
        "jsonld_types": sorted(types),
        "og_type": og,
        "url_kind": shape,
        "prose_paragraphs": len(paragraphs),
        "prose_weight": weight,
        "article_links": len(article_links),
        "linked_headlines": headlines,
        "h1": h1s,
        "next_page": next_url,
    }
    if shape == "other" and not types & ARTICLE_TYPES:
        kind = "other"
    elif score >= 0.5:
        kind = "article"
    elif score <= -1:
        listingish = article_links or shape == "listing" or types & LISTING_TYPES or next_url
        kind = "listing" if listingish else "other"
    elif len(paragraphs) >= 2:
        kind = "article"
    elif len(article_links) >= 3 or headlines >= 2:
        kind = "listing"
    else:
        kind = "other"
    return Evidence(kind=kind, score=round(score, 2), reasons=reasons, features=features)


def page_kind(url: str, page: Page | bytes | str) -> str:
    """"article", "listing" or "other" for a fetched page (a `Page`, or its bytes/text)."""
    if isinstance(page, bytes):
        page = Page.from_bytes(url, page)
    elif isinstance(page, str):
        page = Page.from_text(url, page)
    return page_evidence(url, page).kind
