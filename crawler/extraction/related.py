"""The related-articles list: the links a page prints with the article to other articles of
the site ("Related", "Mehr zum Thema", "Les også:", "相关新闻", an unheaded box of teasers after
the text, a "READ MORE:" line inside it), as opposed to the site-wide chrome around it
(navigation, "most read", "latest", tag lists, the footer).

    find_related(page, model=None) -> (heading, [{"title", "url", "published"}, ...])

Every link of the page is a candidate, described by structural features (where it sits
relative to the story's text, inside navigation/aside/footer, in a list, how many links its
group holds, whether a date is printed with it, whether its URL is shaped like an article's
of the same site, the class words of its containers) and by the words of the heading over it,
in many languages, as one feature among the others. A logistic model scores each link; the
links scoring above its threshold, deduplicated by URL, in page order, are the list. The
model's weights (`related_model.json`) are fit on hand-labelled pages by
`tests/benchmarks/eval_fields.py --write-model`, which also measures them cross-validated by
site (each site's pages scored by weights fit on the other sites only).
"""

from __future__ import annotations

import json
import math
import operator
import re
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import islice
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit

from lxml import etree

from crawler.extraction.text import element_text
from crawler.extraction.vocabulary import CJK_CHAR, NON_TEXT_TAGS
from crawler.normalize import absolute_url, collapse_whitespace, parse_date, site_of

MODEL_PATH = Path(__file__).with_name("related_model.json")
MAX_ENTRIES = 40
# The longest text printed before a link that is read as its label (`READ MORE:`).
INLINE_LABEL_MAX = 40

# Headings (and inline labels) of related blocks, in many languages.
RELATED_WORDS = re.compile(
    r"(?i)\brelated\b|\brelevant\b|read\s+(?:more|also|next)|\bmore\s+(?:on|about|from|in)\b|"
    r"\bmore\s+(?:[\w'’-]+\s+){0,2}(?:news|stories|articles|coverage|reading)\b|see\s+also|also\s+read|"
    r"further\s+reading|explore\s+further|you\s+(?:may|might)\s+(?:also\s+)?(?:like|enjoy|be\s+interested)|"
    r"recommended|editors?['’]?\s+picks?|in\s+(?:this|the\s+same)\s+series|"
    r"mehr\s+zum\s+thema|zum\s+thema|lesen\s+sie\s+(?:auch|mehr)|auch\s+interessant|"
    r"könnte\s+sie\s+(?:auch\s+)?interessieren|weitere\s+(?:artikel|beiträge|informationen|meldungen|nachrichten|texte)|"
    r"verwandte|ähnliche|empfiehlt|empfehlungen|siehe\s+auch|"
    r"(?:à\s+)?lire\s+(?:aussi|également|plus)|sur\s+le\s+même\s+sujet|voir\s+aussi|articles?\s+liés|"
    r"noticias?\s+relacionadas?|te\s+puede\s+interesar|lee\s+(?:también|más)|leer\s+más|más\s+información|"
    r"leggi\s+anche|articoli\s+correlati|potrebbe\s+interessarti|leia\s+(?:também|mais)|veja\s+também|"
    r"notícias\s+relacionadas|saiba\s+mais|lees\s+ook|meer\s+over|gerelateerd|"
    r"les\s+også|læs\s+også|läs\s+också|lue\s+myös|relatert|relaterte|relaterade|mer\s+om|"
    r"czytaj\s+(?:też|także|również)|zobacz\s+(?:też|także)|powiązane|čtěte\s+také|olvassa\s+el|"
    r"читайте\s+(?:также|також)|по\s+теме|по\s+темі|похожие|схожі|ilgili\s+haber|benzer\s+haber|"
    r"bunlar\s+da\s+ilgini|関連記事|関連ニュース|あわせて読みたい|こちらもおすすめ|関連|관련\s*기사|관련\s*뉴스|"
    r"함께\s*볼|相关|相關|延伸阅读|延伸閱讀|推荐阅读|推薦閱讀|推荐文章|更多(?:新闻|阅读|报道)|热点推荐"
)
# Headings of site-wide lists that are not about this article.
OTHER_WORDS = re.compile(
    r"(?i)\blatest\b|\bnewest\b|\bmost\s+(?:read|popular|viewed|shared|commented|watched|recent)|\bpopular\b|"
    r"\btrending\b|\btop\s+(?:stories|news|headlines|articles)\b|\bfor\s+you\b|für\s+sie\b|pour\s+vous|para\s+ti\b|per\s+te\b|\bbreaking\b|\bheadlines\b|\bjust\s+in\b|"
    r"\btopics?\b|\btags?\b|\bnewsletter|\bpodcasts?\b|\bvideos?\b|\bjobs?\b|\bdeals?\b|\bsponsored\b|"
    r"\bpartner|\bpromoted\b|\bfrom\s+(?:the\s+)?web\b|around\s+the\s+web|\bdon['’]t\s+miss\b|"
    r"schlagzeilen|meistgelesen|meist\s+gelesen|neueste|\baktuell|beliebt|mehr\s+lesen\s+über|themen|"
    r"les\s+plus\s+lus|à\s+la\s+une|dernières|lo\s+más\s+leído|últimas|más\s+leídas|\bmest\s+lest|\bsiste\b|"
    r"più\s+letti|ultime|mais\s+lidas|últimas|populairste|nieuwste|najczęściej|najnowsze|"
    r"самое\s+популярное|последние|главное|en\s+çok\s+okunan|son\s+dakika|"
    r"最新|热门|熱門|排行|点击排行|图片|視頻|视频|专题|專題|ランキング|最新記事|많이\s*본|최신"
)
_HEADING_TAGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_RELATED_CLASS = re.compile(
    r"(?i)relat|similar|also|read-?more|readmore|more-?(?:stories|news|articles|on)|recommend|weitere|"
    r"mehr|zum-?thema|teaser|inline|xgxw|xiangguan|linked|topic-?box|see-?also|further"
)
_CHROME_CLASS = re.compile(
    r"(?i)\bnav|menu|footer|header|masthead|popular|most-?read|mostread|trending|latest|newest|ticker|"
    r"breaking|social|share|sharing|breadcrumb|comment|sponsor|promo|newsletter|sidebar|rail|widget|"
    r"outbrain|taboola|banner|\bads?\b|advert|subscribe|login|account|search|pagination|pager|skip|"
    r"top-?stories|most-?viewed|ranking|hot"
)
_TAG_URL = re.compile(
    r"(?i)/(?:tags?|topics?|thema|themen|schlagwort|schlagworte|category|categories|kategorie|section|sections|"
    r"author|authors|autor|autoren|person|people|profile|search|suche|rubrik|ressort|keyword|label|"
    r"subject|dossier)(?:/|$)|[?&](?:tag|q|s|keyword)="
)
_DATE_TEXT = re.compile(
    r"(?:19|20)\d{2}[-/.年]\s*\d{1,2}|\d{1,2}[./]\d{1,2}[./](?:19|20)?\d{2}\b|"
    r"(?i:\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{1,2}\b)|"
    r"\d{1,2}\.?\s+(?i:jan|feb|mär|mar|apr|mai|may|jun|jul|aug|sep|okt|oct|nov|dez|dec)[a-zä]*\b|"
    r"\d{1,2}月\d{1,2}日|\b\d+\s+(?i:hours?|minutes?|days?|stunden?|minuten|tagen?)\s+(?i:ago|her)\b"
)

_DIGIT = re.compile(r"\d")
_COUNT_LINKS = etree.XPath("count(.//a)")

FEATURES = (
    "title_words", "title_cjk", "title_like", "short_text", "same_site", "other_site", "url_article",
    "url_section", "url_tag", "in_nav", "in_header", "in_footer", "in_aside", "class_related",
    "class_chrome", "has_heading", "heading_related", "heading_other", "heading_near", "inline_label",
    "in_list", "in_paragraph", "standalone", "running_text", "inside_text", "after_text", "after_near",
    "before_text", "in_article", "group_size", "group_big", "date_near", "repeated", "elsewhere_chrome",
    "link_share", "group_title_like", "group_same_site", "group_related", "heading_site", "teaser_line",
)


_FEATURE_ORDER = list(FEATURES)


@dataclass
class Candidate:
    """One link of the page, with what the model reads about it."""

    url: str
    title: str
    node: object = field(repr=False)
    heading: str | None
    features: dict[str, float]


# -- the model ---------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def default_model() -> dict:
    return json.loads(MODEL_PATH.read_text(encoding="utf-8"))


def score(candidate: Candidate, model: dict, terms: tuple | None = None) -> float:
    """The model's probability that the link belongs to the article's related list; `terms`
    are the model's (`model_terms`), computed once for all of a page's links."""
    constant, coefficients = terms if terms is not None else model_terms(model)
    features = candidate.features
    values = features.values() if list(features) == _FEATURE_ORDER else [features.get(n, 0.0) for n in FEATURES]
    z = constant + sum(map(operator.mul, coefficients, values))
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


def model_terms(model: dict) -> tuple[float, tuple[float, ...]]:
    """The model as one linear form over FEATURES, in their order: (constant, coefficients);
    each feature's mean and scale folded in once instead of once per link."""
    coefficients = dict.fromkeys(FEATURES, 0.0)
    constant = model["bias"]
    for name, weight, mean, scale in zip(model["features"], model["weights"], model["mean"], model["scale"]):
        coefficients[name] += weight / scale
        constant -= weight * mean / scale
    return constant, tuple(coefficients.values())


def find_related(page, model: dict | None = None) -> tuple[str | None, list[dict]]:
    """(heading, entries) of the page's related-articles list; (None, []) when it has none."""
    return choose(candidates(page), model or default_model())


def choose(found: list[Candidate], model: dict) -> tuple[str | None, list[dict]]:
    picked: dict[str, tuple[float, Candidate]] = {}
    order: list[str] = []
    terms = model_terms(model)
    for candidate in found:
        p = score(candidate, model, terms)
        if p < model["threshold"]:
            continue
        if candidate.url not in picked:
            order.append(candidate.url)
            picked[candidate.url] = (p, candidate)
        elif len(candidate.title) > len(picked[candidate.url][1].title):
            picked[candidate.url] = (max(p, picked[candidate.url][0]), candidate)
    chosen = [picked[url][1] for url in order][:MAX_ENTRIES]
    # A list of articles names them by their headlines: links that are all a word or two
    # (a place, a team, "here") are links in the story's prose, not a related list.
    if all(c.features["short_text"] for c in chosen):
        return None, []
    # The heading of the most entries; on a tie, a block's own heading after the text beats a
    # `READ MORE:` label inside it.
    headings: dict[str, list[float]] = {}
    for c in chosen:
        if c.heading:
            count, own_block = headings.get(c.heading, [0, 0.0])
            headings[c.heading] = [count + 1, max(own_block, 1.0 - c.features["inside_text"])]
    heading = max(headings, key=lambda h: headings[h]) if headings else None
    return heading, [{"title": c.title, "url": c.url, "published": _printed_date(c)} for c in chosen]


# -- candidates and their features ----------------------------------------------------------------------


def page_base(page) -> str:
    """The URL relative links resolve against: the page's (or its <base>), else, for a page
    read without its URL, the one it names itself by (<base>, canonical link, og:url)."""
    base = page.url or ""
    for xpath in ("//base/@href", "//link[@rel='canonical']/@href", "//meta[@property='og:url']/@content"):
        if base and xpath != "//base/@href":
            break
        for value in page.tree.xpath(xpath)[:1]:
            joined = absolute_url(base, value.strip()) if base else _absolute_only(value)
            if joined:
                base = joined
    return base


# The levels of containers whose class and id words the class features read (the link's
# parent and seven above it). Neither class pattern matches a space, so a match in one level's
# "class id" is a match in all of them joined.
CLASS_LEVELS = 8


class _Ancestry(NamedTuple):
    """What an element and its ancestors are, for the links below it (a tuple: one is made for
    each element above a link, and a frozen dataclass takes three times as long to make)."""

    non_text: bool = False  # inside a script, style...
    chrome: bool = False  # inside the site's nav, header or footer
    nav: bool = False
    header: bool = False  # the site's <header>
    footer: bool = False  # the site's footer (or other chrome that is not a <header> or <nav>)
    aside: bool = False
    article: bool = False
    # How many levels up the nearest "class id" naming a related box (or the site's chrome)
    # is: 0 for the element's own; the features look eight levels up, the element included.
    related_class_at: int = CLASS_LEVELS
    chrome_class_at: int = CLASS_LEVELS

    def below(self, node, chrome: bool) -> "_Ancestry":
        tag = node.tag
        related_class, chrome_class = _class_marks(node.get("class") or "", node.get("id") or "")
        return _Ancestry(
            self.non_text or tag in NON_TEXT_TAGS,
            self.chrome or chrome,
            self.nav or tag == "nav" or node.get("role") == "navigation",
            self.header or (tag == "header" and chrome),
            self.footer or (chrome and tag not in ("header", "nav")),
            self.aside or tag == "aside",
            self.article or tag == "article" or node.get("itemprop") == "articleBody",
            0 if related_class else min(CLASS_LEVELS, self.related_class_at + 1),
            0 if chrome_class else min(CLASS_LEVELS, self.chrome_class_at + 1),
        )


_ROOT = _Ancestry()
# How many levels, the link's own first, a heading over its group is looked for before.
HEADING_LEVELS = 8
_UNSET = object()


@lru_cache(maxsize=8192)
def _class_marks(classes: str, id_: str) -> tuple[bool, bool]:
    """Whether an element's class and id name a related box, and the site's chrome; a page's
    elements share a few dozen class lists, and a site's pages the same ones."""
    names = f"{classes} {id_}"
    return bool(_RELATED_CLASS.search(names)), bool(_CHROME_CLASS.search(names))


class _Memo:
    """What several links of one page ask about the same elements (their text, whether they
    are the site's chrome, the heading before them, how many links they hold), computed once
    per element: a page has hundreds of links sharing a few dozen containers."""

    def __init__(self, body=None):
        self.body = body
        self.link_holders: set | None = None
        self.texts: dict = {}
        self.chrome: dict = {}
        self.headings: dict = {}
        self.before: dict = {}
        self.link_counts: dict = {}
        self.labels: dict = {}
        self.matches: dict = {}
        self.ancestry: dict = {}
        self.sites: dict = {}
        self.dates: dict = {}
        self.over: dict = {}
        self.urls: dict = {}

    def site(self, url: str) -> str:
        host = url.split("/", 3)[2] if url.count("/") >= 2 else url
        found = self.sites.get(host)
        if found is None:
            found = self.sites[host] = site_of(url)
        return found

    def url_facts(self, url: str) -> tuple[str, float, float, float]:
        """(site, article-shaped, section-shaped, tag page) of a URL; a page links most of
        its URLs more than once (menus, teasers with a picture and a headline)."""
        found = self.urls.get(url)
        if found is None:
            path = _host_and_path(url)[1]
            found = self.urls[url] = (
                self.site(url),
                float(_article_shaped(path)),
                float(path.count("/") <= 2 and not _DIGIT.search(path) and len(path) < 30),
                float(bool(_TAG_URL.search(url))),
            )
        return found

    def above(self, el) -> "_Ancestry":
        """What the element and everything above it are (chrome, nav, aside, article...),
        built from its parent's answer: each element of the page is asked once."""
        found = self.ancestry.get(el)
        if found is not None:
            return found
        chain = []
        node = el
        while node is not None and node not in self.ancestry:
            chain.append(node)
            node = node.getparent()
        known = self.ancestry.get(node) if node is not None else _ROOT
        for node in reversed(chain):
            known = self.ancestry[node] = known.below(node, self.is_chrome(node))
        return self.ancestry[el]

    def search(self, pattern: re.Pattern, text: str) -> bool:
        """`pattern.search(text)`, once per distinct text (headings, class lists and labels
        repeat over a page's links)."""
        key = (id(pattern), text)  # a Pattern hashes its whole compiled program each time
        found = self.matches.get(key)
        if found is None:
            found = self.matches[key] = bool(pattern.search(text))
        return found

    def date_beside(self, block, block_text: str, title: str) -> bool:
        """Whether the block prints a date outside the link's own text. The block's dates are
        found once, for all its links (a box of a hundred dated links would otherwise be
        copied and searched a hundred times); a date overlapping the link's text is its own.
        Every date form has a digit: most blocks have none, and are not searched."""
        found = self.dates.get(block)
        if found is None:
            # The block's dates as far as read, and the search that reads on: most links stop
            # at its first date, so a long block is rarely searched to its end.
            found = self.dates[block] = ([], _DATE_TEXT.finditer(block_text) if _DIGIT.search(block_text) else None)
        spans, more = found
        width = len(title)
        i = 0
        while True:
            if i == len(spans):
                match = next(more, None) if more is not None else None
                if match is None:
                    return False
                spans.append(match.span())
            start, end = spans[i]
            # An occurrence of the title overlapping [start, end) lies within this window.
            if not width or block_text.find(title, max(0, start - width + 1), end - 1 + width) < 0:
                return True
            i += 1

    def label_before(self, parent, child) -> str | None:
        """The text of `parent` before its child `child` (its own text, earlier children and
        their tails) on one line, for every child at once; None where it is longer than an
        inline label can be. The text only grows from one child to the next, so past that
        length the rest are None without reading them (a box of a thousand links would
        otherwise join a thousand growing prefixes)."""
        before = self.labels.get(parent)
        if before is None:
            before = self.labels[parent] = {}
            parts = [parent.text or ""]
            for node in parent:
                text = collapse_whitespace(" ".join(parts))
                if len(text) > INLINE_LABEL_MAX:
                    break
                before[node] = text
                parts.append(self.text(node) if isinstance(node.tag, str) else "")
                parts.append(node.tail or "")
        return before.get(child)

    def text(self, el) -> str:
        found = self.texts.get(el)
        if found is None:
            found = self.texts[el] = element_text(el)
        return found

    def is_chrome(self, el) -> bool:
        found = self.chrome.get(el)
        if found is None:
            found = self.chrome[el] = _is_chrome(el)
        return found

    def heading_text(self, el) -> str | None:
        if el not in self.headings:
            self.headings[el] = _heading_text(el, self)
        return self.headings[el]

    def heading_before(self, el) -> str | None:
        """The first heading among the (up to twelve) elements before `el`, nearest first; the
        links of one box all ask about the same containers."""
        found = self.before.get(el, _UNSET)
        if found is not _UNSET:
            return found
        found = None
        sibling = el.getprevious()
        seen = 0
        while sibling is not None and seen < 12:
            if isinstance(sibling.tag, str) and sibling.tag not in NON_TEXT_TAGS:
                found = self.heading_text(sibling)
                if found:
                    break
                seen += 1
            sibling = sibling.getprevious()
        self.before[el] = found = found or None
        return found

    def heading_over(self, node, depth: int) -> tuple[str | None, int]:
        """_heading_for from `node`, `depth` levels above the link: the links of one box
        share their containers, whose answer is found once for all of them."""
        key = (node, depth)
        found = self.over.get(key)
        if found is None:
            text = self.heading_before(node)
            if text:
                found = (text, depth)
            else:
                parent = node.getparent()
                if depth + 1 >= HEADING_LEVELS or parent is None or parent.tag in ("body", "html"):
                    found = (None, 0)
                else:
                    found = self.heading_over(parent, depth + 1)
            self.over[key] = found
        return found

    def holds_links(self, el) -> bool:
        """Whether a link is inside the element (links_in(el) > 0): the elements above each
        of the page's links, marked in one pass that stops where an earlier link's marks
        begin, instead of counting the links of each element asked about."""
        if self.link_holders is None:
            holders = self.link_holders = set()
            for a in self.body.iter("a") if self.body is not None else ():
                node = a.getparent()
                while node is not None and node not in holders:
                    holders.add(node)
                    node = node.getparent()
        return el in self.link_holders

    def links_in(self, el) -> int:
        found = self.link_counts.get(el)
        if found is None:
            found = self.link_counts[el] = int(_COUNT_LINKS(el))
        return found


def candidates(page) -> list[Candidate]:
    body = page.tree.find("body")
    if body is None:
        return []
    base = page_base(page)
    site = site_of(base) if base else _main_site(body)
    # The site's name as headings print it: `More Great WIRED Stories` is the whole site's list.
    site_word = site.split(".")[0].casefold() if len(site.split(".")[0]) >= 3 else ""
    self_url = (base or "").split("#")[0]
    sections = _sections_of(self_url)
    elements = [el for el in body.iter() if isinstance(el.tag, str)]
    order = {el: i for i, el in enumerate(elements)}
    n = max(1, len(elements))
    text_box = _text_box(body)
    box_start = order.get(text_box, 0)
    box_end = box_start + sum(1 for el in text_box.iter() if isinstance(el.tag, str)) if text_box is not None else 0

    memo = _Memo(body)
    links = []
    url_counts: dict[str, int] = {}
    chrome_urls: set[str] = set()
    # Each href's URL, None where it is no candidate (the page itself, one of its sections).
    urls: dict[str, str | None] = {}
    for a in body.iter("a"):
        href = a.get("href")
        url = urls.get(href, "")
        if url == "":
            url = absolute_url(base, href) if base else _absolute_only(href)
            if url and (url.split("#")[0] == self_url or (sections and _section_key(url) in sections)):
                url = None
            urls[href] = url
        if not url:
            continue
        parent = a.getparent()
        above = memo.above(parent) if parent is not None else _ROOT
        if above.non_text:
            continue
        url_counts[url] = url_counts.get(url, 0) + 1
        if above.chrome:
            chrome_urls.add(url)
        title = memo.text(a)
        if not title:
            continue
        links.append((a, url, title, above))

    out = []
    for a, url, title, above in links:
        f = dict.fromkeys(FEATURES, 0.0)
        words = len(title.split())
        cjk = len(CJK_CHAR.findall(title))
        f["title_words"] = min(words, 20) / 20
        f["title_cjk"] = min(cjk, 30) / 30
        f["title_like"] = float(words >= 4 or cjk >= 8)
        f["short_text"] = float(words <= 2 and cjk < 4)
        link_site, f["url_article"], f["url_section"], f["url_tag"] = memo.url_facts(url)
        f["same_site"] = float(bool(site) and link_site == site)
        f["other_site"] = float(bool(site) and link_site != site)
        f["in_nav"] = float(above.nav)
        f["in_header"] = float(above.header)
        f["in_footer"] = float(above.footer)
        f["in_aside"] = float(above.aside)
        f["class_related"] = float(above.related_class_at < CLASS_LEVELS)
        f["class_chrome"] = float(above.chrome_class_at < CLASS_LEVELS)
        heading, depth = _heading_for(a, memo)
        if heading:
            f["has_heading"] = 1.0
            f["heading_related"] = float(memo.search(RELATED_WORDS, heading))
            f["heading_other"] = float(memo.search(OTHER_WORDS, heading))
            f["heading_near"] = 1.0 - depth / 8
            f["heading_site"] = float(bool(site_word) and site_word in heading.casefold().replace(" ", ""))
        label = _inline_label(a, memo)
        f["inline_label"] = float(bool(label and memo.search(RELATED_WORDS, label)))
        item = _item_of(a)
        f["in_list"] = float(item is not None and item.tag in ("li", "dd", "dt"))
        block = item if item is not None else a.getparent()
        f["in_paragraph"] = float(block is not None and block.tag == "p")
        block_text = memo.text(block) if block is not None else title
        f["standalone"] = float(len(title) >= 0.6 * max(1, len(block_text)))
        f["running_text"] = float(block is not None and block.tag == "p" and len(block_text) > 2 * len(title) + 60)
        f["link_share"] = min(1.0, len(title) / max(1, len(block_text)))
        # A line of its own inside the story's text that is one link: an inline teaser.
        f["teaser_line"] = float(bool(f["standalone"]) and f["title_like"] > 0 and block is not None
                                 and block.tag in ("p", "li", "div", "h2", "h3", "h4", "strong"))
        i = order.get(a, 0)
        if text_box is not None:
            f["inside_text"] = float(box_start <= i < box_end)
            f["after_text"] = float(i >= box_end)
            f["after_near"] = float(box_end <= i < box_end + 0.2 * n)
            f["before_text"] = float(i < box_start)
        f["in_article"] = float(above.article)
        size = _group_size(a, memo)
        f["group_size"] = math.log1p(size) / math.log(50)
        f["group_big"] = float(size > 25)
        if block is not None:
            f["date_near"] = float(memo.date_beside(block, block_text, title))
        f["repeated"] = float(url_counts.get(url, 0) > 2)
        f["elsewhere_chrome"] = float(url in chrome_urls)
        out.append(Candidate(url=url, title=title, node=a, heading=heading, features=f))
    _group_features(out)
    return out


def _group_features(found: list[Candidate]) -> None:
    """What the links around each link are like: the box of teasers a link stands in (its
    nearest container holding another candidate) is related or chrome as a whole."""
    members: dict = {}
    for c in found:
        node = c.node.getparent()
        for _ in range(5):
            if node is None or node.tag in ("body", "html"):
                break
            members.setdefault(node, []).append(c)
            node = node.getparent()
    # Each box's figures once: a box of many links would otherwise be summed for each of them.
    totals: dict = {}
    for node, group in members.items():
        if len({m.url for m in group}) >= 2:
            totals[node] = (sum(m.features["title_like"] for m in group) / len(group),
                            sum(m.features["same_site"] for m in group) / len(group),
                            max(max(m.features["heading_related"], m.features["inline_label"]) for m in group))
    for c in found:
        node = c.node.getparent()
        figures = None
        for _ in range(5):
            if node is None or node.tag in ("body", "html"):
                break
            figures = totals.get(node)
            if figures is not None:
                break
            node = node.getparent()
        if figures is None:
            figures = (c.features["title_like"], c.features["same_site"],
                       max(c.features["heading_related"], c.features["inline_label"]))
        c.features["group_title_like"], c.features["group_same_site"], c.features["group_related"] = figures


def _main_site(body) -> str:
    """The site a page read without any URL belongs to: the one most of its absolute links
    point to."""
    counts: dict[str, int] = {}
    for href in body.xpath(".//a/@href"):
        url = _absolute_only(href)
        if url:
            counts[site_of(url)] = counts.get(site_of(url), 0) + 1
    return max(counts, key=counts.get) if counts else ""


def _absolute_only(href: str | None) -> str | None:
    """Without a base URL only absolute links can be followed."""
    href = (href or "").strip()
    return absolute_url(href, href) if re.match(r"(?i)https?://", href) else None


def _is_chrome(node) -> bool:
    """The site's navigation, header or footer; an article's own <header>/<footer> is not."""
    if node.tag == "nav" or node.get("role") in ("navigation", "contentinfo", "banner"):
        return True
    if node.tag in ("header", "footer"):
        return not any(anc.tag in ("article", "main") for anc in node.iterancestors())
    return False


def _article_shaped(path: str) -> bool:
    """A path that names one article: a long slug, an id, a dated folder, `.html` with digits."""
    segments = [s for s in path.split("/") if s]
    if not segments:
        return False
    last = segments[-1]
    return bool(
        re.search(r"\d{4,}", path)
        or last.count("-") >= 3
        or re.search(r"(?:19|20)\d{2}/\d{1,2}", path)
        or (re.search(r"\.s?html?$", last) and re.search(r"\d", last))
    )


# The host and path of a plain web URL, as urlsplit reads them (4 times faster; a page's links
# are 150 a page); any other URL (control characters, brackets, spaces) goes to urlsplit.
_PLAIN_WEB_URL = re.compile(r"(?i)https?://([^/?#\[\]\s\x00-\x1f]*)([^?#\[\]\s\x00-\x1f]*)(?:[?#][^\[\]\s\x00-\x1f]*)?")


def _host_and_path(url: str) -> tuple[str, str]:
    match = _PLAIN_WEB_URL.fullmatch(url)
    if match is not None:
        return match.group(1), match.group(2)
    parts = urlsplit(url)
    return parts.netloc, parts.path


def _section_key(url: str) -> str:
    host, path = _host_and_path(url)
    return host.lower().removeprefix("www.") + path.rstrip("/")


def _sections_of(url: str) -> frozenset[str]:
    """The folders above the page's own URL (`/sport/fuechse/` over
    `/sport/fuechse/article123/title.html`): the page's own sections, never a related article."""
    if not url:
        return frozenset()
    key = _section_key(url)
    host, _, path = key.partition("/")
    folders = path.split("/")[:-1]
    return frozenset(host + "/" + "/".join(folders[:i]) for i in range(1, len(folders) + 1))


def _text_box(body):
    """The element holding the story's paragraphs: the one with the most paragraph text of its
    own (children `<p>`, or text broken by `<br>` in older pages)."""
    best, best_len = None, 0
    totals: dict = {}
    for p in body.iter("p", "br"):
        parent = p.getparent()
        if parent is None:
            continue
        length = len(collapse_whitespace(p.text_content() if p.tag == "p" else (p.tail or "")))
        if length >= 30:
            totals[parent] = totals.get(parent, 0) + length
    for parent, length in totals.items():
        if length > best_len:
            best, best_len = parent, length
    return best


def _heading_text(el, memo: _Memo) -> str | None:
    """The text of an element that reads as a heading: h1-h6, or a short line with no link;
    never a date or a number."""
    text = _heading_candidate(el, memo)
    if text and re.search(r"[^\W\d_]", _DATE_TEXT.sub("", text)):
        return text
    return None


def _heading_candidate(el, memo: _Memo) -> str | None:
    if not isinstance(el.tag, str) or el.tag in NON_TEXT_TAGS:
        return None
    if el.tag == "img":
        alt = (el.get("alt") or "").strip()
        return alt if 0 < len(alt) <= 40 else None
    if el.tag in _HEADING_TAGS:
        text = memo.text(el)
        return text if 0 < len(text) <= 80 else None
    if memo.holds_links(el):
        return None
    text = memo.text(el)
    if 0 < len(text) <= 50:
        return text
    if not text:
        img = el.find(".//img[@alt]")
        if img is not None:
            return _heading_candidate(img, memo)
    return None


def _heading_for(link, memo: _Memo) -> tuple[str | None, int]:
    """The heading over a link's group: the nearest heading-like element before the link or
    before one of its containers, up to eight levels up (`HEADING_LEVELS`), and how many
    levels up. Earlier items of the same list (they hold links of their own) are passed over,
    never read as the heading."""
    return memo.heading_over(link, 0)


def _inline_label(link, memo: _Memo) -> str | None:
    """A label printed before a link on its own line: `<p><b>READ MORE:</b> <a>…</a></p>`."""
    parent = link.getparent()
    if parent is None:
        return None
    text = memo.label_before(parent, link)
    if text == "" and parent.tag in ("span", "strong", "b", "em"):
        return _inline_label(parent, memo)
    return text or None


def _item_of(link):
    """The list item, row or paragraph a link stands in."""
    node = link.getparent()
    for _ in range(4):
        if node is None or node.tag in ("body", "html"):
            return None
        if node.tag in ("li", "dd", "dt", "tr", "p"):
            return node
        node = node.getparent()
    return None


def _group_size(link, memo: _Memo) -> int:
    """How many links the smallest list or box around the link holds."""
    ancestors = list(islice(link.iterancestors(), 6))
    for anc in ancestors:
        if anc.tag in ("ul", "ol", "dl", "table", "section", "aside", "nav"):
            return memo.links_in(anc)
    parent = ancestors[1] if len(ancestors) > 1 else None
    return memo.links_in(parent) if parent is not None else 1


def _printed_date(candidate: Candidate) -> str | None:
    item = _item_of(candidate.node)
    if item is None:
        return None
    rest = element_text(item).replace(candidate.title, " ")
    if not _DATE_TEXT.search(rest):
        return None
    # `30.04.2024`, as most of Europe prints a day.
    rest = re.sub(r"\b(\d{1,2})\.(\d{1,2})\.((?:19|20)\d{2})\b", lambda m: f"{m[3]}-{int(m[2]):02d}-{int(m[1]):02d}", rest)
    return parse_date(rest)
