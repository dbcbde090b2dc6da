"""Text helpers shared by the site profiles and the generic extractor: element text,
credited sources and bylines (copyright notices: copyright.py)."""

from __future__ import annotations

import re
from copy import deepcopy
from typing import Iterable

from crawler.extraction.vocabulary import NON_TEXT_TAGS
from crawler.normalize import collapse_whitespace


_ASCII_SEPARATORS = re.compile(r"[\x1c-\x1f]")


def _collapse(text: str | None) -> str:
    """`collapse_whitespace`, by str.split for ASCII text (where the two agree unless the
    text holds the ASCII separators \x1c-\x1f, which split() also splits on)."""
    if text and text.isascii() and not _ASCII_SEPARATORS.search(text):
        return " ".join(text.split())
    return collapse_whitespace(text)


def element_text(el) -> str:
    """Visible text of an element on one line; <br> counts as a space, scripts do not count."""
    if el is None:
        return ""
    if not len(el):  # no children: its own text is all of it
        return _collapse(el.text)
    parts: list[str] = []

    def walk(node) -> None:
        if not isinstance(node.tag, str):  # comments, processing instructions
            if node.tail:
                parts.append(node.tail)
            return
        if node.tag in NON_TEXT_TAGS:
            if node.tail:
                parts.append(node.tail)
            return
        if node.tag == "br":
            parts.append(" ")
        if node.text:
            parts.append(node.text)
        for child in node:
            walk(child)
        if node.tail:
            parts.append(node.tail)

    if el.text:
        parts.append(el.text)
    for child in el:
        walk(child)
    return _collapse("".join(parts))


BLOCK_TAGS = ("p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "section", "article", "blockquote")


def element_lines(el) -> list[str]:
    """Text of an element split where it breaks lines (<br>, block children)."""
    if el is None:
        return []
    copy = deepcopy(el)
    for node in list(copy.iter(*NON_TEXT_TAGS)):
        node.drop_tree()
    for node in copy.iter("br", *BLOCK_TAGS):
        node.tail = "\n" + (node.tail or "")
    lines = "".join(copy.itertext()).split("\n")
    return [line for line in (collapse_whitespace(l) for l in lines) if line]


# -- sources and bylines ---------------------------------------------------------------------

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


_BY = re.compile(r"^\s*(?:by|written by|text by|story by)\s*[:：]?\s+(?P<names>.+)$", re.IGNORECASE)
_SPLIT_NAMES = re.compile(r"\s*(?:,|;|&|\band\b|、|，|和|/)\s*")


def split_names(text: str) -> list[str]:
    names = []
    for name in _SPLIT_NAMES.split(text):
        name = name.strip(" .|·•-–—")
        if name and name not in names:
            names.append(name)
    return names


def authors_from_byline(text: str | None) -> list[str]:
    """`By Zhang Wei and Li Na` -> ["Zhang Wei", "Li Na"]; [] when it is not a byline."""
    if not text:
        return []
    match = _BY.match(collapse_whitespace(text))
    if not match:
        return []
    names = re.split(r"\s+(?:in|for|from)\s+[A-Z]", match.group("names"))[0]
    return split_names(names)


def strip_label(text: str | None, *labels: str) -> str | None:
    """`Source: Xinhua` -> `Xinhua` for label `source`."""
    if not text:
        return None
    text = collapse_whitespace(text)
    pattern = r"^(?:" + "|".join(re.escape(l) for l in labels) + r")\s*[:：]?\s*"
    text = re.sub(pattern, "", text, flags=re.IGNORECASE).strip()
    return text or None
