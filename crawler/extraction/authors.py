"""Who wrote the article: the people the page credits, from its JSON-LD author objects, its
author meta tags, its printed byline (as trafilatura's author XPaths find it), or a bold line of
names opening the text; the site or an organisation named as author only when no person is.
Names are cleaned of `By`, roles, e-mail addresses and the site's own name. Chinese pages'
bylines printed as text are read by chinese.py.
"""

from __future__ import annotations

import re

from crawler.extraction import structured as sd_mod
from crawler.extraction.bylines import printed_byline
from crawler.extraction.page import Page
from crawler.extraction.sitenames import compact_key, is_site_name, site_names
from crawler.extraction.source import OUTLET_WORDS
from crawler.extraction.structured import Structured
from crawler.extraction.text import element_text
from crawler.extraction.vocabulary import CJK, HAN, NOT_STORY_BOX_TAGS
from crawler.normalize import collapse_whitespace

# -- names in a byline ---------------------------------------------------------------------------

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


# -- one person's name ----------------------------------------------------------------------------

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
_SPACED_HAN_NAME = re.compile(r"[" + HAN + r"](?:\s+[" + HAN + r"])+")


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


# -- organisations --------------------------------------------------------------------------------

# Chinese names of organisations end in what they are: `大汉网络`, `新华社`, `人民日报`, `XX公司`.
_ZH_ORG = re.compile(
    r"[" + HAN + r"]{1,20}(?:网络|网站|网|公司|集团|科技|传媒|媒体|日报|晚报|早报|报社|报|杂志社|杂志|出版社|电视台|"
    r"广播电台|通讯社|新闻社|社|中心|政府|委员会|协会|研究院|研究所|大学|学院|频道|工作室)$"
)


def _is_org(name: str, names: list[str]) -> bool:
    return is_site_name(name, names) or bool(OUTLET_WORDS.search(name)) or bool(_ZH_ORG.fullmatch(name))


# -- bylines printed in the page --------------------------------------------------------------------

_NAME_SHAPE = re.compile(
    r"^(?:[A-ZÀ-ÖØ-ÞĀ-ž][\w'’.-]*|[a-z]{1,3}|[" + CJK + r"]{2,8})(?:\s+(?:[A-ZÀ-ÖØ-ÞĀ-ž][\w'’.-]*|"
    r"van|von|de|der|den|da|di|du|la|le|bin|al|el|[" + CJK + r"]+)){0,4}$"
)


def dom_byline(page: Page, names: list[str]) -> list[str]:
    """The byline printed in the page, as trafilatura's author XPaths find it (they skip
    comments, related lists and share bars), kept only where the names look like people."""
    try:
        found = printed_byline(page.tree)
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


# -- the authors -----------------------------------------------------------------------------------


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
