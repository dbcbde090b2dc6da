"""The article's text: trafilatura over the already parsed tree, cross-checked against the
page's JSON-LD articleBody and a density-based container choice of our own."""

from __future__ import annotations

import json
import re
from copy import deepcopy
from dataclasses import dataclass

import trafilatura
from lxml import etree
from lxml import html as lxml_html

from crawler.extraction import boilerplate
from crawler.extraction.justext_revision import linear_revision
from crawler.extraction.page import Page
from crawler.extraction.structured import Structured, body_value, text_value
from crawler.extraction.text import element_text
from crawler.extraction.titles import h1_texts
from crawler.extraction.vocabulary import CJK, CJK_CHAR, NON_TEXT_TAGS, OUTSIDE_TEXT_TAGS
from crawler.normalize import normalize_body

MAX_ELEMENTS_FULL = 30_000


# trafilatura's reading of a paragraph holding thousands of elements slows quadratically: 8,000
# inline elements (links, spans, bold) in one <p> cost it 3.5-6 s, 16,000 45 s, where the same
# inside a <div> or a list cost 0.2 s. No article prints such a paragraph (the most on the 927
# dev pages is 599, a tag cloud); a hostile or broken page does. On a copy of the tree (the
# related list and the other fields read the page's own elements), such a paragraph reaches
# trafilatura as its text alone, line breaks kept, or not at all when most of its text is
# links (a link farm, which trafilatura would have dropped for its link density).
MAX_ELEMENTS_IN_PARAGRAPH = 2000
_CROWDED_PARAGRAPHS = etree.XPath(f"//p[count(.//*) > {MAX_ELEMENTS_IN_PARAGRAPH}]")


def tree_for_trafilatura(tree):
    """The tree trafilatura reads: the page's own, or a copy without crowded paragraphs'
    elements (scripts and styles in them dropped, as a reader never sees them)."""
    if not _CROWDED_PARAGRAPHS(tree):
        return tree
    tree = deepcopy(tree)
    for paragraph in _CROWDED_PARAGRAPHS(tree):
        if paragraph.getparent() is None:
            continue  # inside a paragraph already read as text
        etree.strip_elements(paragraph, *NON_TEXT_TAGS, with_tail=False)
        linked = sum(len(a.text_content()) for a in paragraph.iter("a"))
        if linked > 0.5 * len(paragraph.text_content()):
            paragraph.drop_tree()
            continue
        for line_break in paragraph.iter("br"):
            line_break.tail = "\n" + (line_break.tail or "")
        etree.strip_tags(paragraph, "*")
        # strip_tags leaves one text node per former element and tail, which lxml joins on
        # every read of .text (trafilatura reads it often): set once, it is one.
        paragraph.text = paragraph.text
    return tree


def trafilatura_body(page: Page, **options) -> str:
    with linear_revision():  # its justext fallback, in linear time (justext_revision.py)
        document = trafilatura.bare_extraction(
            tree_for_trafilatura(page.tree), url=page.url or None, with_metadata=False, include_comments=False,
            include_tables=options.pop("include_tables", True), **options,
        )
    if document is None:
        return ""
    return normalize_body((document.text or "").replace("\n", "\n\n"))


_SENTENCE_END = re.compile(r"[.!?。！？…:;；：\"”»)）]\s*$|[.!?。！？]")


def prose_chars(body: str) -> int:
    """Characters in paragraphs that read as sentences, not as menu items or link lists."""
    total = 0
    for paragraph in body.split("\n\n"):
        cjk = len(CJK_CHAR.findall(paragraph))
        if len(paragraph) >= 150 or (cjk >= 15 and re.search(r"[，。！？；]", paragraph)) or \
                (len(paragraph.split()) >= 6 and _SENTENCE_END.search(paragraph)):
            total += len(paragraph)
    return total


def looks_like_article(body: str | None) -> bool:
    """False for what a generic extractor returns from a page without an article: the
    navigation, a list of headlines, a share bar."""
    if not body:
        return False
    prose = prose_chars(body)
    return prose >= 80 and prose >= 0.25 * len(body)


def headline_texts(page: Page, sd: Structured, title: str | None) -> list[str]:
    """Every form of the headline the page prints: the record's title, og:title, the first
    <h1>s and <title>; extractors often return one of them as the text's first line."""
    out = [title, sd.first_meta("og:title", "twitter:title")]
    out.extend(h1_texts(page)[:2])
    head_title = page.tree.find(".//title")
    if head_title is not None:
        out.append(element_text(head_title))
    return [t for t in out if t]


def descriptions(sd: Structured) -> list[str]:
    """The summaries the page declares (meta and JSON-LD descriptions): a standfirst printed
    under the headline is one of them."""
    out = sd.all_meta("description", "og:description", "twitter:description")
    if sd.article:
        out.append(text_value(sd.article.get("description")) or "")
    return [d for d in dict.fromkeys(out) if len(d) >= 20]


@dataclass
class BodyResult:
    text: str | None = None
    method: str | None = None
    # The extractor's text before the furniture was cut: where the article sits in the
    # page, for finders that read the lines around it (Chinese bylines and dates).
    raw: str | None = None


def extract_body(page: Page, sd: Structured, *, chinese: bool = False, title: str | None = None,
                 authors: list[str] | None = None) -> BodyResult:
    # Old Chinese pages lay out the whole page with tables: read as tables, the navigation
    # comes with the text; their article tables are one cell of prose anyway.
    # trafilatura's fallbacks (readability, justext, a recall retry) cost seconds on huge
    # trees: above this many elements only its main pass runs.
    big = page.size > MAX_ELEMENTS_FULL
    text = trafilatura_body(page, include_tables=not chinese, fast=big)
    if not looks_like_article(text) or prose_chars(text) < 300:
        # Nothing (or a line) visible: the page may render its text from embedded data.
        embedded = embedded_text(page, sd)
        if looks_like_article(embedded) and prose_chars(embedded) >= max(500, 3 * prose_chars(text or "")):
            return BodyResult(embedded, "embedded-json", embedded)
    if not looks_like_article(text):
        return BodyResult()
    index = boilerplate.TextIndex(page.tree.find("body"))
    paragraphs = boilerplate.clean(text.split("\n\n"), index, titles=headline_texts(page, sd, title),
                                   authors=list(authors or ()), deks=descriptions(sd))
    paragraphs = drop_other_stories(paragraphs, page, index)
    cleaned = "\n\n".join(paragraphs)
    if cleaned == text or not looks_like_article(cleaned):
        cleaned, method = text, "trafilatura"
    else:
        method = "trafilatura+clean"
    cleaned, completed = complete_from_same_blocks(cleaned, page, index, seen=text)
    if completed:
        method += "+siblings"
    cleaned, embedded_posts = add_embedded_posts(cleaned, page, index)
    if embedded_posts:
        method += "+embeds"
    cleaned = restore_repeats(cleaned, page)
    extended = extend_from_article_body(cleaned, sd)
    if extended != cleaned:
        return BodyResult(extended, method + "+jsonld", text)
    return BodyResult(cleaned, method, text)


_REPEATABLE_BLOCKS = ("p", "li", "blockquote", "pre", "h2", "h3", "h4", "h5", "h6", "dd")


def restore_repeats(text: str, page: Page) -> str:
    """The text with each paragraph as many times as the story prints it: trafilatura keeps
    one copy of consecutive identical blocks (a refrain, a repeated notice) and can drop a
    later repeat. The extracted paragraphs are matched to the page's blocks in page order;
    an unmatched block with an extracted paragraph's text, in the same container as matched
    ones (not a teaser elsewhere), goes back in at its place when it repeats the block just
    before it, or stands alone (a run of such blocks is a second copy of the story, hidden
    or printed twice by the template, and stays out)."""
    if not text:
        return text
    paragraphs = text.split("\n\n")
    wanted = set(paragraphs)
    blocks = []  # (element, text, position among all the page's blocks)
    previous_text = None
    for position, element in enumerate(_outer_blocks(page.tree)):
        text_ = element_text(element)
        if text_ in wanted:
            blocks.append((element, text_, position, text_ == previous_text))
        previous_text = text_
    if len(blocks) <= len(paragraphs):
        return text  # nothing printed more often than extracted
    matched: list[int | None] = []  # the block each paragraph is, in page order
    start = 0
    for paragraph in paragraphs:
        k = next((k for k in range(start, len(blocks)) if blocks[k][1] == paragraph), None)
        matched.append(k)
        if k is not None:
            start = k + 1
    used = {k for k in matched if k is not None}
    containers = {blocks[k][0].getparent() for k in used}
    unmatched = {k for k in range(len(blocks)) if k not in used and blocks[k][0].getparent() in containers}
    positions = {blocks[k][2] for k in unmatched}
    spare = sorted(
        k for k in unmatched
        if blocks[k][3]  # repeats the block just before it
        or (blocks[k][2] - 1 not in positions and blocks[k][2] + 1 not in positions)
    )
    if not spare:
        return text
    out: list[str] = []
    last = -1
    for paragraph, k in zip(paragraphs, matched):
        if k is not None:
            out.extend(blocks[j][1] for j in spare if last < j < k)
            last = k
        out.append(paragraph)
    out.extend(blocks[j][1] for j in spare if j > last)
    return "\n\n".join(out)


def _outer_blocks(tree) -> list:
    """The repeatable blocks not inside another one, in page order (one walk of the tree,
    not a climb to the root from each block)."""
    out, inside = [], 0
    for event, element in etree.iterwalk(tree, events=("start", "end"), tag=_REPEATABLE_BLOCKS):
        if event == "start":
            if not inside:
                out.append(element)
            inside += 1
        else:
            inside -= 1
    return out


_WORDS = re.compile(rf"[{CJK}]|[^\W{CJK}]+")
_MARKUP_TOKEN = re.compile(r"^[\W_]*[A-Za-z_-]+[\W_]*$")  # `+++dropcap`: a CMS template token


def _shingles(text: str, n: int = 3) -> set:
    words = _WORDS.findall(text.casefold())
    return {tuple(words[i : i + n]) for i in range(max(1, len(words) - n + 1))}


def extend_from_article_body(text: str, sd: Structured) -> str:
    """The page's text continued from its JSON-LD articleBody where the page prints only the
    start of the story (a paywall, a lazily loaded rest): the articleBody's paragraphs after
    the last one the text holds are added. A teaser articleBody, one without paragraphs, or
    one that does not continue the text changes nothing."""
    value = None
    for obj in [sd.article, *sd.objects]:
        if obj and obj.get("articleBody"):
            value = body_value(obj.get("articleBody"))
            break
    if not value:
        return text
    # articleBody separates paragraphs with one newline or a blank line.
    paragraphs = [p for p in normalize_body(value.replace("\n", "\n\n")).split("\n\n") if not _MARKUP_TOKEN.match(p)]
    if len(paragraphs) < 3:
        return text
    have = _shingles(text)
    covered = [len(sh & have) >= 0.5 * len(sh) for sh in map(_shingles, paragraphs)]
    if not any(covered):
        return text
    last = max(i for i, c in enumerate(covered) if c)
    rest = paragraphs[last + 1 :]
    if sum(len(p) for p in rest) < 0.3 * len(text):
        return text
    return "\n\n".join([text, *rest])



# -- other stories printed after the article ---------------------------------------------------


def _headline_article(page: Page):
    """The <article> element holding the page's first <h1>, if one does."""
    for h1 in page.tree.iter("h1"):
        if element_text(h1):
            for anc in h1.iterancestors("article"):
                return anc
            return None
    return None


def drop_other_stories(paragraphs: list[str], page: Page, index: boilerplate.TextIndex) -> list[str]:
    """The paragraphs less those printed inside an <article> outside the one holding the
    headline: when the headline sits in an <article>, that element is the story, and another
    <article> beside it (a "you may also like" list of whole posts, the next story of an
    endless scroll) is another story, however long. Pages whose headline is outside any
    <article> (live blogs of one <article> per entry) are left as they are."""
    story = _headline_article(page)
    if story is None:
        return paragraphs
    kept, dropped = [], 0
    for para in paragraphs:
        found = index.locate(para)
        if found is not None:
            node = found[0]
            inside = [node] if node.tag == "article" else []
            inside.extend(node.iterancestors("article"))
            if inside and story not in inside:
                dropped += 1
                continue
        kept.append(para)
    # The story's own text must remain, and read as the article.
    if not dropped or not kept or prose_chars("\n\n".join(kept)) < 200:
        return paragraphs
    return kept


# -- the rest of a text split over several boxes ------------------------------------------------

_TEXT_BLOCKS = ("p", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre")


def _signature(el) -> tuple[str, str] | None:
    cls = " ".join((el.get("class") or "").split())
    return (el.tag, cls) if cls else None


def _scope(el):
    """The article box a paragraph sits in: its nearest <article>, else <main>, else <body>."""
    for tag in ("article", "main", "body"):
        for anc in el.iterancestors(tag):
            return anc
    return None


def complete_from_same_blocks(text: str, page: Page, index: boilerplate.TextIndex,
                             seen: str = "") -> tuple[str, bool]:
    """The text with the paragraphs the extractor left out of the article's own boxes: a
    story split by ads into several boxes of one class (`div.article__body`, …), or
    paragraphs of the story's paragraph class printed after a paywall notice. Only boxes of
    the class holding most of the extracted paragraphs, inside the same <article> (or
    <main>), outside asides and navigation, and reading as prose, are added, in page order."""
    paragraphs = text.split("\n\n")
    blocks = []
    for para in paragraphs:
        found = index.locate(para)
        blocks.append(boilerplate.block_ancestor(found[0]) if found else None)
    located = [b for b in blocks if b is not None and b.tag in _TEXT_BLOCKS]
    if len(located) < 3:
        return text, False
    scope = _scope(located[0])
    if scope is None:
        return text, False
    counts: dict = {}
    for block in located:
        for el in (block, block.getparent()):
            sig = _signature(el) if el is not None else None
            if sig:
                counts.setdefault(sig, set()).add(el)
    # What the extractor returned (before the furniture was cut) is never added back.
    have = {boilerplate.compact(p) for p in paragraphs + seen.split("\n\n")}
    added: dict = {}  # element -> text, new paragraphs
    for sig, elements in counts.items():
        holders = sum(1 for b in located if b in elements or b.getparent() in elements)
        if holders < 0.5 * len(located) or holders < 3:
            continue
        for el in scope.iter(sig[0]):
            if el in elements or _signature(el) != sig or _outside_text(el, scope):
                continue
            parts = [el] if el.tag in _ADDED_BLOCKS else [c for c in el.iter(*_ADDED_BLOCKS) if c is not el]
            heading = None
            for part in parts:
                if part in added:
                    continue
                value = element_text(part)
                key = boilerplate.compact(value)
                if not key or key in have or (len(key) >= 40 and any(key in h for h in have)):
                    heading = None
                    continue
                if part.tag in ("h2", "h3", "h4"):
                    heading = (part, value) if len(value) <= 150 else None
                    continue
                if not _prose_paragraph(part, value):
                    heading = None
                    continue
                if heading is not None:  # a subhead counts only above a paragraph added with it
                    added[heading[0]] = heading[1]
                    heading = None
                added[part] = value
                have.add(key)
    prose = [v for el, v in added.items() if el.tag not in ("h2", "h3", "h4")]
    if len(prose) < 3 or sum(map(len, prose)) < 400 or sum(map(len, prose)) > 3 * len(text):
        return text, False
    # Page order: every element's position in one walk over the scope.
    position = {el: i for i, el in enumerate(scope.iter())}
    insertions = [(float(position.get(el, 1e12)), value) for el, value in added.items()]
    return _merge_in_page_order(paragraphs, blocks, position, insertions), True


def _merge_in_page_order(paragraphs: list[str], blocks: list, position: dict,
                         insertions: list[tuple[float, str]]) -> str:
    """The text with `insertions` ((position in the page, paragraph)) placed among its
    paragraphs by where each paragraph's block sits in the page (`position`); a paragraph
    not located stays right after the one before it."""
    ordered: list[tuple[float, int, str]] = []
    at = -1.0
    for i, (para, block) in enumerate(zip(paragraphs, blocks)):
        pos = position.get(block) if block is not None else None
        at = float(pos) if pos is not None else at + 1e-3
        ordered.append((at, i, para))
    ordered.extend((pos, len(paragraphs) + j, value) for j, (pos, value) in enumerate(insertions))
    ordered.sort()
    return "\n\n".join(p for _, _, p in ordered)


_ADDED_BLOCKS = ("p", "h2", "h3", "h4", "blockquote")


# -- posts quoted from social networks -----------------------------------------------------------

# The markup the networks' embed codes print before their script replaces it.
_EMBED_NAMES = re.compile(r"twitter-tweet|instagram-media|tiktok-embed|bluesky-embed|mastodon-embed")
_EMBED_CLASS = re.compile(r"(?:^|\s)(?:twitter-tweet|instagram-media|tiktok-embed|bluesky-embed|mastodon-embed)(?:\s|$)")


def _embed_paragraphs(quote) -> list[str]:
    """A quoted post as the reader sees it: its paragraphs, then its attribution line
    (`— Name (@handle) November 18, 2019`: the quote's text outside its paragraphs)."""
    texts = [t for t in (element_text(p) for p in quote.iter("p")) if t]
    outside = [quote.text or ""]
    for child in quote:
        if isinstance(child.tag, str) and child.tag not in ("p", "div", "script", "style", "figure"):
            outside.append(element_text(child))
        outside.append(child.tail or "")
    attribution = " ".join(" ".join(outside).split())
    return texts + ([attribution] if texts and attribution else [])


def add_embedded_posts(text: str, page: Page, index: boilerplate.TextIndex) -> tuple[str, bool]:
    """The text with the social-network posts the story quotes (tweets and the like, printed
    as `<blockquote class="twitter-tweet">` between its paragraphs): generic extractors drop
    them as widgets, but they are what the story quotes. Only posts inside the article's
    box, between its first and last extracted paragraph or inside the box holding its text,
    are added, in page order."""
    if not _EMBED_NAMES.search(page.html):
        return text, False
    paragraphs = text.split("\n\n")
    blocks = []
    for para in paragraphs:
        found = index.locate(para)
        blocks.append(boilerplate.block_ancestor(found[0]) if found else None)
    located = [b for b in blocks if b is not None]
    if len(located) < 2:
        return text, False
    scope = _scope(located[0])
    if scope is None:
        return text, False
    position = {el: i for i, el in enumerate(scope.iter())}
    spots = [position[b] for b in located if b in position]
    if len(spots) < 2:
        return text, False
    first, last = min(spots), max(spots)
    # The story's text box: the smallest element holding its first and last paragraph. A
    # post inside it after the last paragraph (a story ending on a quote) is the story's too.
    container = next((a for a in located[0].iterancestors() if located[-1] in a.iterdescendants()), scope)
    have = {boilerplate.compact(p) for p in paragraphs}
    insertions: list[tuple[float, str]] = []
    for quote in scope.iter("blockquote"):
        pos = position.get(quote)
        if pos is None or pos < first or not _EMBED_CLASS.search(quote.get("class") or ""):
            continue
        if pos > last and container not in quote.iterancestors():
            continue
        for j, value in enumerate(_embed_paragraphs(quote)):
            key = boilerplate.compact(value)
            if key and key not in have:
                have.add(key)
                insertions.append((pos + j * 1e-6, value))
    if not insertions:
        return text, False
    return _merge_in_page_order(paragraphs, blocks, position, insertions), True


def _prose_paragraph(el, value: str) -> bool:
    """A paragraph of story text: a sentence or more, little of it link text."""
    if len(CJK_CHAR.findall(value)) >= 20:
        prose = bool(re.search(r"[，。！？；]", value))
    else:
        prose = len(value.split()) >= 12 and bool(_SENTENCE_END.search(value))
    if not prose or boilerplate._CALL_TO_ACTION.search(value[:200]) and len(value) <= 200:
        return False
    linked = sum(len(element_text(a)) for a in el.iter("a"))
    return linked <= 0.3 * len(value)


_OUTSIDE_ATTR = re.compile(
    r"(?i)comment|newsletter|subscri|sign-?up|related|promo|share|social|recommend|teaser|widget|sidebar|"
    r"footer|author-?bio|outbrain|taboola|advert|embed|more-|newsfeed|trending|popular"
)


def _outside_text(el, scope) -> bool:
    """Whether an element sits in the page's furniture (asides, comments, newsletter boxes)
    between itself and the article box."""
    node = el
    while node is not None and node is not scope:
        if node.tag in OUTSIDE_TEXT_TAGS or _OUTSIDE_ATTR.search(f"{node.get('class') or ''} {node.get('id') or ''}"):
            return True
        node = node.getparent()
    return False


# -- text the page renders from embedded data --------------------------------------------------

_JSON_STRING = re.compile(r'"((?:[^"\\]|\\.){120,})"')
_INNER_JSON_STRING = re.compile(r'"((?:[^"\\]|\\.){40,})"')
_HTML_BLOCK = re.compile(r"(?i)<(?:p|br|div|h[2-6]|li|blockquote)\b")
_SCRIPT_TYPES = ("", "text/javascript", "application/javascript", "module", "application/json")
MAX_SCRIPT_CHARS = 3_000_000


_FLIGHT_ROW = re.compile(r"^\s*\w{1,8}:(?=[\[{\"])")


def _serialised(value: str) -> bool:
    """Whether a string holds serialised JSON (a Next.js flight row `8:["$","p",…]`, an
    escaped state object) rather than text that quotes someone."""
    if value.count('":"') + value.count('","') + value.count('":{') >= 3:
        return True
    stripped = _FLIGHT_ROW.sub("", value).strip()
    if stripped[:1] in ("[", "{"):
        try:
            json.loads(stripped)
            return True
        except ValueError:
            return False
    return False


def _json_strings(text: str, depth: int = 0):
    """(offset, value) of the long string literals in a script, decoded; strings holding
    serialised JSON themselves (Next.js flight chunks) are opened once more."""
    for match in (_INNER_JSON_STRING if depth else _JSON_STRING).finditer(text):
        try:
            value = json.loads(f'"{match.group(1)}"')
        except ValueError:
            continue
        if depth == 0 and _serialised(value):
            for offset, inner in _json_strings(value, depth + 1):
                yield match.start() + offset / max(1, len(value)), inner
        else:
            yield match.start(), value


def _html_paragraphs(value: str) -> list[str]:
    try:
        root = lxml_html.fragment_fromstring(value, create_parent="div")
    except (etree.ParserError, ValueError):
        return []
    for node in list(root.iter("figure", "figcaption", "script", "style", "aside")):
        if node.getparent() is not None:
            node.drop_tree()
    for node in list(root.iter()):
        if isinstance(node.tag, str) and boilerplate._CAPTION_ATTR.search(node.get("class") or "") and node.getparent() is not None:
            node.drop_tree()
    blocks = [el for el in root.iter("p", "h2", "h3", "h4", "li", "blockquote")
              if not any(a.tag in ("p", "li", "blockquote") for a in el.iterancestors())]
    if not blocks:
        for br in root.iter("br"):
            br.tail = "\n\n" + (br.tail or "")
        return [p for p in normalize_body(root.text_content()).split("\n\n") if p]
    return [t for t in (element_text(el) for el in blocks) if t]


_CODE_CHARS = re.compile(r"[{}\[\];=<>|&$]")
_CODE_WORDS = re.compile(r"\bfunction\s*\(|\breturn\b|\bvar\s|\bthis\.|=>|\btypeof\b|\bnull\b|\bdocument\.")


def looks_like_code(text: str) -> bool:
    """Script source rather than prose: many brackets, semicolons and operators, or the
    keywords of JavaScript (a minified script's string literals hold both)."""
    if not text:
        return False
    return len(_CODE_CHARS.findall(text)) > 0.02 * len(text) or len(_CODE_WORDS.findall(text)) >= 3


def embedded_text(page: Page, sd: Structured) -> str:
    """The article's text from the data the page embeds for its scripts to render, when the
    visible page has none: the JSON-LD articleBody, else the string of embedded JSON
    (__NEXT_DATA__, Next.js flight chunks, __NUXT__, a store's dehydrated state) with the most
    prose, HTML read as paragraphs; else the longest run of prose strings in page order."""
    for obj in [sd.article, *sd.objects]:
        value = body_value(obj.get("articleBody")) if obj else None
        if value and prose_chars(normalize_body(value.replace("\n", "\n\n"))) >= 500:
            return normalize_body(value.replace("\n", "\n\n"))
    best, best_prose = "", 0
    strings: list[tuple[float, str]] = []
    base = 0
    for script in page.tree.iter("script"):
        kind = (script.get("type") or "").lower()
        text = script.text or ""
        if script.get("src") or kind not in _SCRIPT_TYPES or len(text) < 120 or len(text) > MAX_SCRIPT_CHARS:
            continue
        for offset, value in _json_strings(text):
            if _HTML_BLOCK.search(value):
                candidate = "\n\n".join(_html_paragraphs(value))
            else:
                candidate = normalize_body(value.replace("\n", "\n\n"))
            if looks_like_code(candidate):
                continue
            prose = prose_chars(candidate)
            if prose > best_prose:
                best, best_prose = candidate, prose
            if prose and prose >= 0.8 * len(candidate):
                strings.append((base + offset, candidate))
        base += len(text) + 1
    # Text printed one paragraph per string: the densest run of prose strings.
    run_best, run, last = "", [], None
    for offset, value in strings:
        if last is not None and offset - last > 3000:
            run = []
        if value not in run:
            run.append(value)
        last = offset
        joined = "\n\n".join(run)
        if len(joined) > len(run_best):
            run_best = joined
    if prose_chars(run_best) > 1.5 * best_prose:
        return run_best
    return best
