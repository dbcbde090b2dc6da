"""Generic metadata on any page: title, dates, authors, language, canonical URL.

Each finder returns `(value, method)` so the cascade can record where a field came from.
Structured data (structured.py) is preferred, but cross-checked against the visible page:
a title with the site's name appended loses to the same title without it, an author that
is the site itself (its publisher's name) is credited only when no person is, a modified
date is never the published one.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from crawler.extraction import structured as sd_mod
from crawler.extraction import titles
from crawler.extraction.common import OUTLET_WORDS, element_text, split_names
from crawler.extraction.page import Page
from crawler.extraction.structured import Structured
from crawler.extraction.vocabulary import HAN_BASIC, HANGUL, KANA_TO_HAN, NOT_STORY_BOX_TAGS
from crawler.normalize import collapse_whitespace, parse_date

# -- comparing strings -------------------------------------------------------------------

_WORD = re.compile(r"\w+", re.UNICODE)


def norm_key(text: str | None) -> str:
    """Case, width, accents of punctuation and spacing ignored."""
    text = unicodedata.normalize("NFKC", text or "").casefold()
    return " ".join(_WORD.findall(text))


def compact_key(text: str | None) -> str:
    return norm_key(text).replace(" ", "").replace("_", "")


# -- site names --------------------------------------------------------------------------


def site_names(page: Page, sd: Structured) -> list[str]:
    """Names the site goes by: og:site_name, application names, the publisher, the domain."""
    names = sd.all_meta("og:site_name", "application-name", "apple-mobile-web-app-title",
                        "al:android:app_name", "al:ios:app_name", "twitter:site", "publisher",
                        "dc.publisher")
    publisher = sd_mod.publisher_name(sd.article, sd.objects)
    if publisher:
        names.append(publisher)
    if page.site:
        names.append(page.site)
        names.append(page.site.split(".")[0])
    out = []
    for name in names:
        name = name.lstrip("@").strip()
        if name and len(name) <= 60 and name not in out:
            out.append(name)
    return out


def _is_site_name(segment: str, names: list[str]) -> bool:
    key = compact_key(segment)
    if not key:
        return True
    for name in names:
        other = compact_key(name)
        if not other or len(other) < 2:
            continue
        if key == other or (len(other) >= 3 and other in key and len(key) <= len(other) + 12) or \
                (len(key) >= 3 and key in other):
            return True
    return False


# -- titles ------------------------------------------------------------------------------

# Separators between a headline and the site's name or section in <title> and og:title.
_TITLE_SEP = re.compile(r"\s+[|\-–—·•:~»/‹›]\s+|\s*[|｜ㅣ_：]\s*|\s*[-–—]\s*(?=[^\s]*[" + KANA_TO_HAN + HANGUL + r"])")
_DATE_SEGMENT = re.compile(r"^[\d\s./-]{6,12}$")


def clean_title(title: str | None, names: list[str]) -> str | None:
    """`Headline | Section | Site | 28.04.2023` -> `Headline`: trailing (and leading)
    segments that name the site, or are dates, are dropped; the headline stays whole."""
    title = collapse_whitespace(title)
    if not title:
        return None
    for name in names:
        if len(name) >= 3 and title.lower().startswith(name.lower()):
            rest = re.match(r"\s*[:|｜\-–—]\s+(.{8,})$", title[len(name):])
            if rest:
                title = rest.group(1)  # `Site: Headline`
                break
    parts = _TITLE_SEP.split(title)
    seps = _TITLE_SEP.findall(title)
    if len(parts) == 1:
        return title
    # Drop site/date segments from the end, then from the start.
    end = len(parts)
    dropped_end = False
    while end > 1 and (_is_site_name(parts[end - 1], names) or _DATE_SEGMENT.match(parts[end - 1].strip())):
        end -= 1
        dropped_end = True
    start = 0
    while start < end - 1 and _is_site_name(parts[start], names):
        start += 1
    if dropped_end:
        # Sections between the headline and the site's name: `Headline | Europa | DW`.
        while end - start > 1 and len(parts[end - 1].split()) <= 2 and len(parts[end - 1]) <= 20 and \
                seps[end - 2].strip() in ("|", "｜", "ㅣ", "_") and len(" ".join(parts[start:end - 1])) >= 10:
            end -= 1
    if start == 0 and end == len(parts):
        return title
    out = parts[start]
    for i in range(start + 1, end):
        out += seps[i - 1] + parts[i]
    return out.strip() or title


def _h1_texts(page: Page) -> list[str]:
    out = []
    for node in page.tree.iter("h1"):
        text = element_text(node)
        if 3 <= len(text) <= 400:
            out.append(text)
        if len(out) >= 3:
            break
    return out


# Which declared headline wins, first to last (each cleaned of the site's name first).
TITLE_ORDER = ("og", "jsonld", "h1", "twitter", "meta", "title")


def find_title(page: Page, sd: Structured) -> tuple[str | None, str | None]:
    names = site_names(page, sd)
    head_title = page.tree.find(".//title")
    raw = {
        "jsonld": sd_mod.text_value(sd.article.get("headline")) if sd.article else None,
        "og": sd.first_meta("og:title"),
        "twitter": sd.first_meta("twitter:title"),
        "h1": (_h1_texts(page) or [None])[0],
        "meta": sd.first_meta("sailthru.title", "parsely-title", "dc.title", "title", "headline"),
        "title": element_text(head_title) if head_title is not None else None,
    }
    cleaned = {k: clean_title(v, names) for k, v in raw.items() if v}
    # Cross-check: a candidate that is another candidate plus `| extra` is that candidate.
    keys = {k: norm_key(v) for k, v in cleaned.items()}
    for k, v in list(cleaned.items()):
        for other, value in cleaned.items():
            if other == k or len(keys[other]) < 8:
                continue
            if keys[k] != keys[other] and v.startswith(value) and _TITLE_SEP.match(v[len(value):]):
                cleaned[k] = value
                keys[k] = keys[other]
    # Votes among sources did worse than a fixed order. Where og:title and the JSON-LD
    # headline differ, og:title (the headline the publisher shows when the page is shared)
    # is more often the article's displayed headline; the JSON-LD one is often an SEO variant.
    for method in TITLE_ORDER:
        value = cleaned.get(method)
        if value and not _is_site_name(value, names[:3]):
            if method == "title":  # `Headline - Site` whose site name the page never declares
                value = titles.printed_segment(page.tree.find("body"), value, _TITLE_SEP) or value
            elif method == "h1" and raw.get("title"):  # a blog's name as its <h1>
                value = titles.printed_segment(page.tree.find("body"), raw["title"], _TITLE_SEP,
                                               other_than=value) or value
            return value, method
    return None, None


# -- dates -------------------------------------------------------------------------------

PUBLISHED_META = (
    "article:published_time", "og:article:published_time", "article:published", "og:published_time",
    "datepublished", "publishdate", "publish-date", "publish_date", "pubdate", "date.published",
    "dc.date.issued", "dcterms.issued", "dcterms.created", "dc.date.created", "parsely-pub-date",
    "sailthru.date", "cxenseparse:recs:publishtime", "article.published", "published",
    "published_time", "release_date", "original-publish-date", "datecreated", "dc.date",
    "dcterms.date", "date", "citation_publication_date", "citation_date", "weibo: article:create_at",
)
UPDATED_META = (
    "article:modified_time", "og:updated_time", "datemodified", "dc.date.modified",
    "dcterms.modified", "last-modified", "lastmod", "article.updated", "modified_time",
    "sailthru.lastmodifieddate",
)
_PUBLISH_HINT = re.compile(r"(?i)publish|posted|created|pubdate|article[-_]?date|dateline|entry-date|meta-date|byline|timestamp")
_NOT_ARTICLE_HINT = re.compile(r"(?i)related|comment|sidebar|teaser|recommend|footer|nav|widget|promo|more-|trending|popular")


def _date_value(value: Any, offset: str | None) -> str | None:
    text = sd_mod.text_value(value)
    if not text:
        return None
    if re.fullmatch(r"\d{10}(\d{3})?", text):  # epoch seconds or milliseconds
        return None
    return parse_date(text, offset)


def _ancestor_hint(node, pattern, levels: int = 4) -> bool:
    for _ in range(levels):
        if node is None:
            return False
        if pattern.search(" ".join(filter(None, (node.get("class"), node.get("id"), node.get("itemprop"))))):
            return True
        node = node.getparent()
    return False


def find_published(page: Page, sd: Structured, offset: str | None = None) -> tuple[str | None, str | None]:
    article = sd.article
    for key in ("datePublished", "dateCreated", "uploadDate"):
        if article.get(key):
            value = _date_value(article.get(key), offset)
            if value:
                return value, "jsonld"
    for name in PUBLISHED_META:
        for value in sd.meta.get(name, ()):
            value = _date_value(value, offset)
            if value:
                return value, "meta"
    value = time_element_date(page, offset)
    if value:
        return value, "time"
    return None, None


def time_element_date(page: Page, offset: str | None = None) -> str | None:
    times = sd_mod.time_elements(page.tree)
    fallback = None
    for raw, node in times:
        if _ancestor_hint(node, _NOT_ARTICLE_HINT, 6) or node.xpath("ancestor::a|ancestor::footer|ancestor::aside|ancestor::nav"):
            continue
        value = parse_date(raw, offset)
        if not value:
            continue
        if node.get("pubdate") is not None or _ancestor_hint(node, _PUBLISH_HINT):
            return value
        if fallback is None and not _ancestor_hint(node, re.compile(r"(?i)modif|updat"), 2):
            fallback = value
    return fallback


def find_updated(page: Page, sd: Structured, offset: str | None = None) -> tuple[str | None, str | None]:
    if sd.article.get("dateModified"):
        value = _date_value(sd.article.get("dateModified"), offset)
        if value:
            return value, "jsonld"
    for name in UPDATED_META:
        for value in sd.meta.get(name, ()):
            value = _date_value(value, offset)
            if value:
                return value, "meta"
    return None, None


# -- authors -----------------------------------------------------------------------------

_BY_PREFIX = re.compile(
    r"^\s*(?:(?:written|text|story|words|reporting|photos?|video)\s+)?(?:by|von|par|por|di|da|door|af|av|od|"
    r"de|tekst|texte|text|autor(?:in)?|author|reporter|redakcja)\b\s*[:：]?\s*",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"\S+@\S+\.\w+")
_ROLE_TAIL = re.compile(
    r"(?i)\s*[,|/–—-]\s*(?:senior|chief|staff|special|political|foreign|contributing|deputy|"
    r"editor|reporter|correspondent|writer|journalist|columnist|redakteur\w*|korrespondent\w*|"
    r"journalist\w*|photographer|producer|analyst|ressortleiter\w*|in\s)\b.*$"
)
_NOT_NAME = re.compile(
    r"(?i)https?://|www\.|\.com\b|\d{3,}|:|^[a-z0-9]+(?:-[a-z0-9]+)+$|"
    r"^(?:admin|administrator|editor|staff|redaktion|journalist|reporter|redakteur\w*|unknown|anonymous|none|null|"
    r"follow|folgen|suivre|seguir|segui|volgen|følg|följ|share|teilen|more|mehr|e-?mail|twitter|facebook|"
    r"instagram|linkedin|whatsapp|profil|profile|contact|kontakt)$"
)
_ROLE_ONLY = re.compile(
    r"(?i)^(?:(?:senior|chief|staff|special|political|foreign|contributing|deputy|associate|executive|managing|"
    r"news|sports|business|lifestyle|science|health|tech(?:nology)?|digital|web|online)\s+)*"
    r"(?:reporter|editor|correspondent|writer|journalist|columnist|photographer|producer|analyst|contributor)s?$"
)
# Role words that follow a name in bylines: `신현주 기자`, `山田太郎 記者`.
_ROLE_SUFFIX = re.compile(r"\s*(?:기자|특파원|선임기자|記者|特派員|编辑|編集委員)$")
_BY_INSIDE = re.compile(r"^.{2,40}?\s(?i:von|by|par|por|di|door|av|af)\s+(?=[A-ZÀ-ÖØ-Þ])")
# One word starting lower-case with a capital inside is a brand (`iStockphoto`), not a person.
_BRAND = re.compile(r"^[a-z]+[A-Z]\w*$")


# `赵 培`: a Chinese name spaced out to a width.
_SPACED_HAN_NAME = re.compile(r"[" + HAN_BASIC + r"](?:\s+[" + HAN_BASIC + r"])+")


def clean_person(name: str | None) -> str | None:
    name = collapse_whitespace(name)
    if not name:
        return None
    name = _EMAIL.sub("", name)
    name = _BY_PREFIX.sub("", name)
    name = _ROLE_TAIL.sub("", name)
    name = _ROLE_SUFFIX.sub("", name)
    name = name.strip(" ,.;:|·•-–—()[]【】")
    if _SPACED_HAN_NAME.fullmatch(name):
        name = name.replace(" ", "")  # `赵 培`: a Chinese name spaced out to a width
    if not name or _NOT_NAME.search(name) or _ROLE_ONLY.match(name) or _BRAND.match(name) or len(name) > 60 or len(name.split()) > 6:
        return None
    return name


def _split_people(text: str) -> list[str]:
    text = _BY_PREFIX.sub("", collapse_whitespace(text))
    text = _BY_INSIDE.sub("", text)  # `Capital Von Jemima Kelly` -> `Jemima Kelly`
    out = []
    for part in split_names(text.replace(" und ", " and ").replace(" et ", " and ").replace(" y ", " and ").replace(" e ", " and ")):
        name = clean_person(part)
        if name and name not in out:
            out.append(name)
    return out


# Chinese names of organisations end in what they are: `大汉网络`, `新华社`, `人民日报`, `XX公司`.
_ZH_ORG = re.compile(
    r"[" + HAN_BASIC + r"]{1,20}(?:网络|网站|网|公司|集团|科技|传媒|媒体|日报|晚报|早报|报社|报|杂志社|杂志|出版社|电视台|"
    r"广播电台|通讯社|新闻社|社|中心|政府|委员会|协会|研究院|研究所|大学|学院|频道|工作室)$"
)


def _is_org(name: str, names: list[str]) -> bool:
    return _is_site_name(name, names) or bool(OUTLET_WORDS.search(name)) or bool(_ZH_ORG.fullmatch(name))


_NAME_SHAPE = re.compile(
    r"^(?:[A-ZÀ-ÖØ-ÞĀ-ž][\w'’.-]*|[a-z]{1,3}|[" + KANA_TO_HAN + HANGUL + r"]{2,8})(?:\s+(?:[A-ZÀ-ÖØ-ÞĀ-ž][\w'’.-]*|"
    r"van|von|de|der|den|da|di|du|la|le|bin|al|el|[" + KANA_TO_HAN + HANGUL + r"]+)){0,4}$"
)


def dom_byline(page: Page, names: list[str]) -> list[str]:
    """The byline printed in the page, as trafilatura's author XPaths find it (they skip
    comments, related lists and share bars), kept only where the names look like people."""
    from trafilatura.metadata import extract_author

    try:
        found = extract_author(page.tree)
    except Exception:  # a library error on an odd tree means no byline, not no record
        return []
    out = []
    for part in (found or "").split(";"):
        for name in _split_people(part):
            if _NAME_SHAPE.match(name) and not _is_org(name, names) and name not in out:
                out.append(name)
    return out


def lead_line_byline(page: Page, names: list[str]) -> list[str]:
    """People credited by a bold line of names opening the story's text, as smaller sites'
    editors type bylines into the text box: `<p><strong>Ann Lee/Bo Chen</strong></p>`.
    The text box is the element holding the most paragraphs; only its first few non-empty
    paragraphs are read, and only a line that is wholly bold and wholly names counts."""
    body = page.tree.find("body")
    if body is None:
        return []
    counts: dict = {}
    for p in body.iter("p"):
        parent = p.getparent()
        if parent is not None:
            counts[parent] = counts.get(parent, 0) + 1
    if not counts:
        return []
    box, n = max(counts.items(), key=lambda item: item[1])
    if n < 3 or any(a.tag in NOT_STORY_BOX_TAGS for a in box.iterancestors()):
        return []
    seen = 0
    for p in box.iterchildren("p"):
        text = element_text(p)
        if not text:
            continue
        seen += 1
        if seen > 4:
            break
        bold = " ".join(element_text(child) for child in p if child.tag in ("strong", "b"))
        if len(text) > 80 or collapse_whitespace(bold) != text:
            continue
        people = _split_people(text.replace("/", " and "))
        if people and len(people) <= 4 and all(_NAME_SHAPE.match(x) and len(x.split()) >= 2 and not _is_org(x, names) for x in people):
            return people
    return []


def _is_publisher(name: str, names: list[str]) -> bool:
    """Whether an author name is the site itself (its publisher, og:site_name or domain), by
    the whole name: `Le Figaro et AFP` credits an agency and is not the publisher."""
    key = compact_key(name)
    return bool(key) and any(key == compact_key(n) for n in names)


def find_authors(page: Page, sd: Structured, *, dom: bool = True) -> tuple[list[str], str | None]:
    names = site_names(page, sd)
    people_, orgs = [], []
    for name, kind in sd_mod.people(sd.article.get("author") if sd.article else None, sd.objects):
        split = _split_people(name) if re.search(r",| and | und |&", name) else [clean_person(name)]
        for person in filter(None, split):
            # The site naming itself as author is a credit of last resort: no person, no
            # byline (news labels, like fundus', credit the publisher then).
            if kind and "organization" in kind or _is_publisher(person, names):
                orgs.append(person)
            else:
                people_.append(person)
    if people_:
        # Agencies credited next to people (`Paula Steiger, SDA`) are credited too.
        return list(dict.fromkeys(people_ + orgs)), "jsonld"
    meta_people: list[str] = []
    for key in ("author", "article:author", "sailthru.author", "parsely-author", "dc.creator",
                "byl", "cxenseparse:author", "og:author", "article:author_name"):
        if meta_people:
            break
        for value in sd.all_meta(key):
            _add_meta_people(meta_people, value, key, names)
    if meta_people:
        return meta_people, "meta"
    found = dom_byline(page, names) if dom else []
    if found:
        return found, "byline"
    found = lead_line_byline(page, names) if dom else []
    if found:
        return found, "lead-line"
    if orgs:
        return list(dict.fromkeys(orgs)), "jsonld-organization"
    return [], None


def _add_meta_people(meta_people: list[str], value: str, key: str, names: list[str]) -> None:
    if value.startswith(("http", "@")):
        return
    if key == "dc.creator" and re.fullmatch(r"[^,\s]+,\s*[^,\s]+", value):
        last, first = value.split(",", 1)  # Dublin Core `Family, Given`
        value = f"{first.strip()} {last.strip()}"
    for person in _split_people(value):
        if not _is_org(person, names) and person not in meta_people:
            meta_people.append(person)


# -- language, canonical URL -----------------------------------------------------------------


def find_language(page: Page, sd: Structured) -> tuple[str | None, str | None]:
    candidates = (
        ("html", page.lang),
        ("jsonld", sd_mod.text_value(sd.article.get("inLanguage")) if sd.article else None),
        ("meta", sd.first_meta("og:locale", "content-language", "language", "dc.language", "lang")),
    )
    for method, value in candidates:
        if value:
            match = re.match(r"^\s*([A-Za-z]{2,3})(?:[-_]([A-Za-z]{2,4}|\d{3}))?\b", value)
            if match and match.group(1).lower() not in ("und", "xx"):
                return match.group(1).lower(), method
    return None, None


def find_canonical(page: Page, sd: Structured) -> tuple[str | None, str | None]:
    from crawler.normalize import absolute_url

    for href in page.tree.xpath("//head/link[@rel='canonical']/@href")[:1]:
        url = absolute_url(page.url, href)
        if url:
            return url, "link"
    og = sd.first_meta("og:url")
    if og:
        url = absolute_url(page.url, og)
        if url:
            return url, "og"
    return None, None
