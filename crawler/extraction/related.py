"""The related-articles block every news site prints with the article ("Related", "Read more",
"相关新闻").

It works on structure and wording, never on one site's class names: a block is related
when its heading says so (or its class/id says `related`) and it holds links to other
pages of the same site.
"""

from __future__ import annotations

import re

from crawler.extraction.common import element_text
from crawler.normalize import absolute_url, collapse_whitespace, parse_date, site_of

RELATED_HEADING = re.compile(
    r"(?i)^\W*(?:related(?:\s+(?:news|stories|articles|content|coverage|links|reading|posts))?|"
    r"read\s+(?:more|also|next)|more\s+(?:on|from|about|stories|news)\b.{0,30}|"
    r"more\s+(?:[\w-]+\s+){1,2}(?:news|stories|articles|headlines|coverage)|see\s+also|also\s+read|"
    r"you\s+(?:may|might)\s+(?:also\s+)?(?:like|be\s+interested\s+in)|recommended(?:\s+for\s+you)?|"
    r"further\s+reading|lesen\s+sie\s+(?:auch|mehr)|mehr\s+zum\s+thema|weitere\s+artikel|"
    r"à\s+lire\s+(?:aussi|également)|sur\s+le\s+même\s+sujet|lee\s+también|leer\s+más|leggi\s+anche|"
    r"相关(?:新闻|阅读|报道|链接|文章|推荐|内容)?|相關(?:新聞|閱讀|報導|連結|文章)?|延伸阅读|推荐阅读|更多(?:新闻|阅读))\W*$"
)
_RELATED_ATTR = re.compile(
    r"(?i)(?:^|[\s_-])(?:related|relate|read-?more|more-?(?:stories|news|articles)|recommended|recommendations|"
    r"xgxw|xiangguan)(?:$|[\s_-])"
)
_HEADING_TAGS = ("h2", "h3", "h4", "h5", "h6", "strong", "b", "dt", "th")
# Containers that may hold a heading as their own text: `<div class="title">相关新闻</div>`.
_TEXT_HEADING_TAGS = ("span", "div", "p", "td", "header", "em", "font")
_LIST_TAGS = ("ul", "ol", "div", "dl", "table", "section", "nav", "aside")
MAX_ENTRIES = 30


def _entries(container, base_url: str, page_url: str) -> list[dict]:
    out, seen = [], set()
    page_url = (page_url or "").split("#")[0]
    for link in container.iter("a"):
        title = element_text(link)
        url = absolute_url(base_url, link.get("href"))
        if not url or url == page_url or url in seen:
            continue
        cjk = len(re.findall(r"[\u3400-\u9fff]", title))
        if len(title) < 12 and cjk < 5:
            continue
        seen.add(url)
        # A date printed next to the link, in the same list item.
        holder = link.getparent()
        for _ in range(2):
            if holder is None or holder.tag in ("li", "tr", "dd", "p"):
                break
            holder = holder.getparent()
        published = None
        if holder is not None and holder is not container:
            rest = element_text(holder).replace(title, " ")
            published = parse_date(rest)
        out.append({"title": title, "url": url, "published": published})
        if len(out) >= MAX_ENTRIES:
            break
    return out


def _inline(heading) -> bool:
    """Whether a heading is a label run into a paragraph rather than a block of its own."""
    if heading.tag not in ("strong", "b", "em", "span", "font"):
        return False
    parent = heading.getparent()
    return parent is not None and parent.tag == "p"


def _block_after_heading(heading):
    """The element holding the links a heading introduces: its next sibling, or the
    heading's parent when the links are the heading's siblings."""
    sibling = heading.getnext()
    while sibling is not None and not isinstance(sibling.tag, str):
        sibling = sibling.getnext()
    if sibling is not None and sibling.tag in _LIST_TAGS and sibling.find(".//a") is not None:
        return sibling
    parent = heading.getparent()
    return parent


def find_related(page) -> tuple[str | None, list[dict]]:
    """(heading, entries) of the page's related-articles block; (None, []) when it has none."""
    tree, url = page.tree, page.url or ""
    site = site_of(url) if url else None
    body = tree.find("body")
    if body is None:
        return None, []
    candidates = []
    for node in body.iter(*_HEADING_TAGS, *_TEXT_HEADING_TAGS):
        if node.tag in _TEXT_HEADING_TAGS:
            text = collapse_whitespace(node.text)
        else:
            if len(node) > 3:
                continue
            text = element_text(node)
        if not text or len(text) > 40 or not RELATED_HEADING.match(text):
            continue
        if node.tag == "a" or node.getparent() is not None and node.getparent().tag == "a":
            continue
        block = _block_after_heading(node)
        if block is None or block.tag in ("body", "html") or len(block.xpath(".//a")) > 80:
            continue
        entries = _entries(block, url, url)
        if entries:
            candidates.append((text, entries, _inline(node)))
            if not candidates[-1][2]:
                break
    # A label inside a paragraph of the story (`<p><b>READ MORE:</b> <a>…</a></p>`) links one
    # teaser; a block of its own with a heading below the story is the related list.
    candidates.sort(key=lambda c: c[2])
    candidates = [c[:2] for c in candidates]
    if not candidates:
        for node in body.iter(*_LIST_TAGS):
            attrs = f"{node.get('class') or ''} {node.get('id') or ''}"
            if not _RELATED_ATTR.search(attrs):
                continue
            entries = _entries(node, url, url)
            if entries:
                heading = None
                for h in node.iter("h2", "h3", "h4", "h5", "strong"):
                    text = element_text(h)
                    if text and len(text) <= 40 and not h.xpath("ancestor::a"):
                        heading = text
                        break
                candidates.append((heading, entries))
                break
    if not candidates:
        return None, []
    heading, entries = candidates[0]
    if site:
        same_site = [e for e in entries if site_of(e["url"]) == site]
        entries = same_site or entries
    return heading, entries
