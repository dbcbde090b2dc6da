"""The source a story credits: the agency or outlet it came from, when that is not the site.

    find_source(page, sd, ...) -> (name, method)

What counts, first found first: the page's own declaration (JSON-LD `sourceOrganization`,
`isBasedOn`); a labelled credit line (`Source:`, `Quelle:`, `Fuente:`, `来源：`, `摘自《…》`); a
news agency in the byline (`By Associated Press`, `Adam Vidler and AP`, `Euronews with
Agencies`); the agency of a dateline (`WASHINGTON (AP) —`, `Berlin (dpa) -`); a wire tag after
the text (`sak/Reuters`, `(dpa)`, `dpa/AFP`); a press release's `Provided by X`; on Chinese pages
`【X报道】` opening the text or an outlet printed after the date in the header.

What never counts: a photo or media credit (captions, `Foto: AFP`), a list of references
(`Sources:`, `Quellen:`), a fact box's own source, a word that is no name (`转载`, `本站`, `网络`),
and the site itself (its name, domain, publisher, the site part of its <title>, its copyright
holder): the site's own stories credit no source.
"""

from __future__ import annotations

import re
from typing import Iterable

from lxml import etree

from crawler.extraction import structured as sd_mod
from crawler.extraction.sitenames import compact_key, site_names
from crawler.extraction.text import element_text
from crawler.extraction.vocabulary import CJK, HAN, NON_TEXT_TAGS, NOT_CREDIT_TAGS
from crawler.normalize import collapse_whitespace

# -- news organisations, datelines and attributions ---------------------------------------------

# Words that mark a name as a news organisation rather than a person.
OUTLET_WORDS = re.compile(
    r"(?i)\b(?:news|daily|times|post|agency|press|herald|journal|tribune|gazette|radio|tv|"
    r"television|broadcast\w*|media|network|online|weekly|evening|morning|wire|newspaper|"
    r"magazine|observer|review|reuters|xinhua|afp|ap|bloomberg|cgtn|cctv|cns|ecns|bbc|cnn|"
    r"nikkei|yonhap|kyodo|tass|sputnik|caixin|yicai|thepaper|people's daily|global times|"
    r"china daily)\b|\.(?:com|cn|net|org)\b"
)
_NAME = r"(?:the\s+)?(?P<name>[A-Z][\w.&'’-]*(?:\s+(?:of\s+|and\s+|&\s+)?[A-Z][\w.&'’-]*){0,5})"
# News agencies as they print their names, and the word for unnamed ones ("with agencies").
AGENCIES = (
    "Associated Press", "AP", "Reuters", "REUTERS", "Agence France-Presse", "AFP", "Deutsche Presse-Agentur",
    "dpa", "DPA", "dpa-AFX", "epd", "KNA", "APA", "SDA", "Keystone-SDA", "ANSA", "EFE", "Europa Press", "Lusa",
    "ANP", "Belga", "NTB", "TT", "Ritzau", "STT", "PAP", "ČTK", "CTK", "MTI", "Agerpres", "BTA", "Tanjug",
    "HINA", "Anadolu Ajansı", "Anadolu Agency", "Anadolu", "AA", "İHA", "DHA", "TASS", "ТАСС", "RIA Novosti",
    "РИА Новости", "Interfax", "Интерфакс", "Ukrinform", "Укрінформ", "UNIAN", "УНІАН", "Xinhua", "新华社",
    "中新社", "China News Service", "Kyodo News", "Kyodo", "共同通信", "Jiji Press", "時事通信", "Yonhap",
    "연합뉴스", "뉴시스", "Newsis", "PTI", "IANS", "ANI", "Bernama", "Antara", "AAP", "Canadian Press", "UPI",
    "Bloomberg", "Notimex", "Télam", "Agência Brasil", "Prensa Latina", "IRNA", "KUNA", "WAM", "PA Media",
    "Press Association", "SID", "AFX", "CNA", "Agencies", "agencies", "Agenturen", "agences", "agencias",
    "agenzie", "agências",
)
AGENCY_ALT = "|".join(re.escape(a) for a in sorted(AGENCIES, key=len, reverse=True))
AGENCY = re.compile(r"(?<![\w-])(?:" + AGENCY_ALT + r")(?![\w-])")

_DATELINE = re.compile(
    r"^\s*(?:[A-ZÀ-Þ][\w.'-]*(?:[ ,/]+[A-ZÀ-Þ][\w.'-]*){0,4},?\s+"
    r"(?:[A-Z][a-z]{2,8}\.?\s+\d{1,2}(?:,\s*\d{4})?\s*)?)?"
    r"\((?P<name>[A-Z][\w.&' -]{0,40}?|" + AGENCY_ALT + r")(?:/[\w.&' -]{1,20})?\)\s*(?:--|—|–|-|:)"
)
_ATTRIBUTIONS = (
    re.compile(r"[,;]\s+" + _NAME + r"\s+(?:reported|reports|has reported)\b"),
    re.compile(r"(?i:according to)\s+(?:a\s+report\s+(?:by|from|in)\s+)?" + _NAME),
    re.compile(r"(?i:reported by)\s+" + _NAME),
)


def source_from_dateline(first_paragraph: str | None) -> str | None:
    """`Beijing, Aug. 12 (Xinhua) -- ...` -> `Xinhua`; `(ECNS) -- ...` -> `ECNS`; `Berlin (dpa) - ...`
    -> `dpa`."""
    if not first_paragraph:
        return None
    match = _DATELINE.match(first_paragraph)
    return match.group("name").strip() if match else None


def source_from_attribution(paragraphs: Iterable[str]) -> str | None:
    """The outlet a body credits: `..., Qianlong.com reported.`, `according to China Daily`.
    Only names that look like news organisations count: people are quoted, not credited."""
    for paragraph in paragraphs:
        for pattern in _ATTRIBUTIONS:
            for match in pattern.finditer(paragraph):
                name = match.group("name").strip(" .,'’")
                name = re.sub(r"^(?:the|The)\s+", "", name)
                if OUTLET_WORDS.search(name):
                    return name
    return None


# -- the credited source ----------------------------------------------------------------------

# Labels of one credited source; plural ones (`Sources:`, `Quellen:`) head reference lists.
_LABEL = re.compile(
    r"(?i)^\s*(?:source|quelle|fuente|fonte|bron|kilde|källa|lähde|źródło|zdroj|forrás|sursa|kaynak|πηγή|"
    r"источник|джерело|出典|출처|来源|來源|稿源|消息来源|文章来源|本文来源)\s*[:：]\s*"
)
_PHOTO = re.compile(
    r"(?i)\b(?:foto|fotos|photo|photos|photograph|bild|bilder|image|images|picture|imagen|fotografía|zdjęcie|"
    r"фото|video|grafik|graphic|illustration|karte|map)\b|图片|图/|摄影|摄|写真|사진"
)
# Where a credit is never the story's: captions and media, lists and boxes beside the story.
_NOT_CREDIT_AREA = re.compile(
    r"(?i)caption|figure|photo|image|img|media|gallery|related|comment|footer|sidebar|nav|menu|teaser|promo|"
    r"fact|infobox|info-box|newsletter|widget|recommend|popular|trending|ticker|breadcrumb"
)
# Words that fill a source field without naming anyone.
_NOT_A_NAME = re.compile(
    r"^(?:转载|轉載|转自网络|网络|網絡|互联网|网友|本站|本网|本網|本报|原创|原創|综合|未知|不详|佚名|作者|"
    r"unknown|n/?a|none|internet|web|online|staff|own|eigene?)$",
    re.IGNORECASE,
)


def find_source(page, sd, *, body: str | None = None, authors: list[str] | None = None,
                zh_text: str | None = None, zone: tuple[int, int, int] | None = None,
                holder: str | None = None) -> tuple[str | None, str | None]:
    """(credited source, how it was found); (None, None) when the story credits none but the site."""
    names = _site_names(page, sd, holder)
    finders = (
        ("jsonld", lambda: _declared(sd)),
        ("source-label", lambda: _labelled(page)),
        ("chinese-credit", lambda: chinese_source(zh_text, zone) if zh_text and zone else None),
        ("byline-agency", lambda: _byline_agency(page, sd, authors)),
        ("dateline", lambda: source_from_dateline(body.split("\n\n", 1)[0]) if body else None),
        ("wire-tag", lambda: _wire_tag(page, body)),
        ("provided-by", lambda: _provided_by(page)),
    )
    for method, finder in finders:
        for name in _as_list(finder()):
            name = _clean(name)
            if name and not _is_site(name, names):
                return name, method
    return None, None


def _as_list(found) -> list[str]:
    if not found:
        return []
    return [found] if isinstance(found, str) else list(found)


def _clean(name: str | None) -> str | None:
    name = collapse_whitespace(name).strip(" .,;:|·•-–—()[]【】《》<>\"'“”")
    if not name or len(name) > 60 or len(name.split()) > 6 or re.search(r"https?://|www\.|@", name):
        return None
    if _NOT_A_NAME.match(name) or not re.search(r"[^\W\d_]", name):
        return None
    return name


# -- the site's own names ------------------------------------------------------------------------------

_TITLE_SEP = re.compile(r"\s+[|\-–—·•:~»/]\s+|\s*[|｜_]\s*|\s*[-–—]\s*(?=[" + CJK + r"])")


def _site_names(page, sd, holder: str | None) -> list[str]:
    names = site_names(page, sd)
    if holder:
        names.append(holder)
    title = page.tree.find(".//title")
    if title is not None:
        parts = [p for p in _TITLE_SEP.split(element_text(title)) if p.strip()]
        if len(parts) > 1:
            headline = max(parts, key=len)
            names.extend(p for p in parts if p is not headline and len(p) <= 40)
    return names


def _is_site(name: str, names: list[str]) -> bool:
    key = compact_key(name)
    if not key:
        return True
    for other in names:
        other = compact_key(re.sub(r"(?i)^www\.|\.(?:com|net|org|cn|co|de|uk|fr|it|es|jp|kr|tr|ru|ua|au|na|no)\b.*$", "", other.strip()))
        if len(other) < 2:
            continue
        if key == other or (len(key) >= 3 and (key in other or other in key)):
            return True
    return False


# -- declared ------------------------------------------------------------------------------------------


def _declared(sd) -> list[str]:
    out = []
    for key in ("sourceOrganization", "isBasedOn"):
        value = sd.article.get(key) if sd.article else None
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, dict):
                name = sd_mod.text_value(item.get("name"))
            else:
                name = sd_mod.text_value(item)
            if name and not name.startswith("http"):
                out.append(name)
    return out


# -- labelled credit lines -------------------------------------------------------------------------------


def _in_story_area(node) -> bool:
    """Whether a node is outside captions, media, boxes and lists beside the story, and the
    page's navigation and footer."""
    for anc in [node, *node.iterancestors()]:
        if anc.tag in ("body", "html"):
            return True
        if not isinstance(anc.tag, str) or anc.tag in NOT_CREDIT_TAGS or anc.tag in NON_TEXT_TAGS:
            return False
        if "-" in anc.tag and _NOT_CREDIT_AREA.search(anc.tag):  # custom elements: <x-factbox>
            return False
        if _NOT_CREDIT_AREA.search(f"{anc.get('class') or ''} {anc.get('id') or ''}"):
            return False
    return True


def _labelled(page) -> list[str]:
    """`<p>Quelle: dpa</p>`, `<span>来源：[国际金融报]</span>`: a label and one name, as a line."""
    body = page.tree.find("body")
    out: list[str] = []
    if body is None:
        return out
    for node in body.iter():
        if not isinstance(node.tag, str) or node.tag in NON_TEXT_TAGS:
            continue
        text = node.text
        if not text or not _LABEL.match(text):
            continue
        holder = node if _LABEL.sub("", text).strip() else node.getparent()
        if holder is None or holder.tag in ("body", "html") or not _in_story_area(holder):
            continue
        line = element_text(holder)
        if len(line) > 120:
            continue
        value = _LABEL.sub("", line)
        # The name ends where the next field of the line starts: `来源：X 编辑：Y`, `Quelle: dpa | 12:00`.
        value = re.split(r"\s{2,}|[|｜]|\s(?=\S{1,6}[:：])|(?<=\S)\s+(?=\d{1,4}[-./年])", value.strip())[0]
        value = value.strip(" []【】")
        if _PHOTO.search(line[: line.find(value)] if value in line else line):
            continue
        out.append(value)
    return out


# -- agencies in the byline -------------------------------------------------------------------------------

_BYLINE_META = ("article:author", "author", "articleauthor", "byl", "sailthru.author", "parsely-author", "dc.creator")


def _byline_nodes(tree, limit: int) -> list:
    """The first `limit` elements that hold bylines, in page order: rel/itemprop author,
    <address>, a class naming a byline, an author or a contributor, an id naming a byline. A
    loop over the elements (comments skipped by lxml), four times faster than the XPath saying
    the same (translate() per element), that stops at the limit."""
    out = []
    for node in tree.iter(etree.Element):
        if len(out) >= limit:
            break
        tag = node.tag
        classes = node.get("class")
        if classes:
            classes = classes.lower()
            if "byline" in classes or "author" in classes or "contribut" in classes:
                out.append(node)
                continue
        id_ = node.get("id")
        if (id_ and "byline" in id_.lower()) or tag == "address" or node.get("rel") == "author" \
                or node.get("itemprop") == "author" or node.get("data-link-name") == "byline" \
                or "byline" in (node.get("data-component") or ""):
            out.append(node)
    return out


def _byline_agency(page, sd, authors: list[str] | None) -> list[str]:
    """Agencies named where the story's writers are: `By Associated Press`, `Adam Vidler and
    AP`, `By Euronews with Agencies`, `Associated Press in Valencia`."""
    texts = list(authors or [])
    for name, kind in sd_mod.people(sd.article.get("author") if sd.article else None, sd.objects):
        texts.append(name)
    for key in _BYLINE_META:
        texts.extend(v for v in sd.all_meta(key) if not v.startswith("http"))
    for node in _byline_nodes(page.tree, 20):
        if node.tag in ("html", "body", "article", "main", "section", "meta", "link", "script") or not _in_story_area(node):
            continue
        text = element_text(node)
        if text and len(text) <= 120:
            texts.append(text)
    out = []
    for text in texts:
        if _PHOTO.search(text):
            continue
        for match in AGENCY.finditer(text):
            out.append(match.group(0))
    return out


# -- datelines and wire tags -------------------------------------------------------------------------------

# `sak/Reuters`, `dpa/AFP`, `(dpa)`, `AFP/dpa/bb`, `Mit Material von dpa`, `With reporting by Reuters`.
_WIRE_TAG = re.compile(
    r"^\(?\s*(?:(?:[a-zäöü]{2,5}|" + AGENCY_ALT + r")\s*/\s*)*(?P<name>" + AGENCY_ALT + r")"
    r"(?:\s*/\s*(?:[a-zäöü]{2,5}|" + AGENCY_ALT + r"))*\s*\)?$"
)
_WIRE_PHRASE = re.compile(
    r"(?i)^\(?\s*(?:mit\s+material\s+(?:von|der|des)|material\s+(?:from|von)|with\s+(?:additional\s+)?(?:wire\s+)?"
    r"(?:reporting|material)\s+(?:from|by)|additional\s+reporting\s+by|avec|con|with|mit|quelle)\s*:?\s+(?:(?:der\s+)?"
    r"nachrichtenagentur(?:en)?\s+|the\s+)?(?P<name>" + AGENCY_ALT + r")\b"
)


def _wire_tag(page, body: str | None) -> list[str]:
    """A wire tag closing the story: the text's last lines, or a short element of its own; or
    an agency's name alone opening the text (`AA`, `AP`), as sites print the credit above it."""
    out = []
    if body:
        first = collapse_whitespace(body.split("\n\n", 1)[0])
        if AGENCY.fullmatch(first):
            out.append(first)
        for paragraph in body.split("\n\n")[-3:][::-1]:
            out.extend(_tag_of(paragraph))
    root = page.tree.find("body")
    if root is not None:
        for node in root.iter("p", "div", "span", "em", "i", "small", "strong", "b"):
            text = collapse_whitespace(_short_text(node, 60)) if len(node) <= 3 else ""
            if not text or len(text) > 60:
                continue
            tags = _tag_of(text, whole=True)  # rare: asked first, before the costlier tests
            if tags and not _PHOTO.search(text) and _in_story_area(node):
                out.extend(tags)
    return out


def _short_text(node, limit: int) -> str:
    """The node's text, or "" when it has more than `limit` characters that are not
    whitespace (so more than `limit` once collapsed): read no further than that."""
    parts, solid = [], 0
    for piece in node.itertext():
        solid += len("".join(piece.split()))
        if solid > limit:
            return ""
        parts.append(piece)
    return "".join(parts)


def _tag_of(text: str, whole: bool = False) -> list[str]:
    text = collapse_whitespace(text)
    for pattern in (_WIRE_TAG, _WIRE_PHRASE):
        match = pattern.match(text)
        if match:
            name = match.group("name")
            # A bare agency name alone on a line is as often a photo credit: it needs the
            # initials, a second agency or brackets that make it a wire tag.
            if pattern is _WIRE_TAG and text == name:
                return []
            return [name]
    if not whole:
        match = re.search(r"(?:^|\s)\((?P<name>" + AGENCY_ALT + r")(?:/[\w]{1,5})?\)\s*$", text)
        if match:
            return [match.group("name")]
    return []


_PROVIDED = re.compile(r"(?i)^\s*(?:materials?\s+)?provided\s+by\s*:?\s+(?P<name>.+)$")


def _provided_by(page) -> list[str]:
    """A press release's provider: `Provided by European Space Agency`."""
    root = page.tree.find("body")
    out = []
    if root is None:
        return out
    for node in root.iter("p", "div", "span"):
        text = node.text
        if not text or not re.match(r"(?i)\s*(?:materials?\s+)?provided\s+by\b", text):
            continue
        line = element_text(node)
        match = _PROVIDED.match(line)
        if match and len(line) <= 100 and _in_story_area(node):
            out.append(match.group("name"))
    return out


# -- Chinese credits -------------------------------------------------------------------------------------

_ZH_SOURCE_LABEL = re.compile(r"(?:来源|稿源|來源|出处|出自)\s*[:：]\s*")
_ZH_OUTLET = r"[" + HAN + r"·—]{2,14}?(?:日报|晚报|早报|商报|时报|周刊|周报|快报|青年报|报|网|社|杂志|电视台|广播电台|新闻|在线)"
_ZH_OPENING = re.compile(r"【\s*(?P<name>[" + HAN + r"A-Za-z]{2,12}?)\s*(?:\d{4}年\d{1,2}月\d{1,2}日)?\s*(?:讯|报道|消息|电)\s*】")
_ZH_EXCERPT = re.compile(r"(?:摘自|选自|转自|原载|原载于|转载自|刊于)\s*[:：]?\s*《(?P<name>[^》]{2,30})》")
_ZH_DATE_OUTLET = re.compile(
    r"(?:19|20)\d{2}[-/.年]\d{1,2}[-/.月]\d{1,2}日?(?:\s*\d{1,2}[:：]\d{2}(?:[:：]\d{2})?)?\s+(?P<name>" + _ZH_OUTLET + r")(?=\s|$)"
)


def chinese_source(text: str, zone: tuple[int, int, int]) -> list[str]:
    """Credits Chinese pages print in the header zone or after the text: `来源：国际金融报`,
    `【看中国2005年07月03日报道】`, `2022-02-13 09:57 光明网`, `(摘自《X》2000年第2期)`."""
    title_pos, body_start, body_end = zone
    if body_start < 0:
        return []
    head_start = title_pos if 0 <= title_pos < body_start else max(0, body_start - 600)
    end = body_end if body_end > 0 else body_start
    head = text[head_start : min(len(text), body_start + 80)]
    opening = text[head_start : min(len(text), body_start + 300)]
    tail = text[max(body_start + 80, end - 40) : min(len(text), end + 300)]
    closing = text[max(body_start, end - 400) : min(len(text), end + 300)]
    out = []
    for segment in (head, tail):
        match = _ZH_SOURCE_LABEL.search(segment)
        if match:
            value = re.split(r"\s+|[|｜\]】）)]|作者|编辑|责任编辑|时间|日期|发布",
                             segment[match.end() : match.end() + 40].lstrip(" [【（("))[0]
            value = value.strip(" []【】（）()")
            if 2 <= len(value) <= 30 and not re.match(r"\d", value) and not re.search(r"[=<>\"']", value):
                out.append(value)
    match = _ZH_OPENING.search(opening)
    if match:
        out.append(match.group("name"))
    match = _ZH_DATE_OUTLET.search(head)
    if match:
        out.append(match.group("name"))
    match = _ZH_EXCERPT.search(closing)
    if match:
        out.append(match.group("name"))
    return out

