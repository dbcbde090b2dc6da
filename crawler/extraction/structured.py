"""Structured data a page declares about itself: JSON-LD (schema.org Article types, inside
`@graph`s and arrays), OpenGraph / `article:*`, Dublin Core, parse.ly and sailthru meta, and
`<time datetime>`. Everything here is what the page states; the finders of each field (titles.py, dates.py, authors.py...) cross-check it
against the page's visible text before the cascade trusts it."""

from __future__ import annotations

import html as html_lib
import json
import re
from dataclasses import dataclass, field
from typing import Any, Iterable

from crawler.normalize import collapse_whitespace

# schema.org types whose object is the article itself, most specific first.
ARTICLE_TYPES = (
    "newsarticle", "reportagenewsarticle", "analysisnewsarticle", "opinionnewsarticle",
    "backgroundnewsarticle", "reviewnewsarticle", "askpublicnewsarticle", "satiricalarticle",
    "article", "blogposting", "liveblogposting", "socialmediaposting", "scholarlyarticle",
    "techarticle", "report", "posting", "discussionforumposting", "videoobject",
)
# A page object whose main entity is not typed as an article still names its headline.
PAGE_TYPES = ("webpage", "itempage", "medicalwebpage", "collectionpage")

MAX_JSONLD_CHARS = 2_000_000


@dataclass
class Structured:
    """What the page's JSON-LD and meta tags declare."""

    article: dict = field(default_factory=dict)  # the chosen JSON-LD article object
    objects: list[dict] = field(default_factory=list)  # every JSON-LD object, flattened
    meta: dict[str, list[str]] = field(default_factory=dict)  # lowercased name -> contents
    jsonld_errors: int = 0

    def first_meta(self, *names: str) -> str | None:
        for name in names:
            for value in self.meta.get(name, ()):
                value = collapse_whitespace(value)
                if value:
                    return value
        return None

    def all_meta(self, *names: str) -> list[str]:
        out: list[str] = []
        for name in names:
            out.extend(v for v in (collapse_whitespace(x) for x in self.meta.get(name, ())) if v)
        return out


# -- JSON-LD -----------------------------------------------------------------------------

_CDATA = re.compile(r"^\s*(?://\s*)?<!\[CDATA\[|(?://\s*)?\]\]>\s*$")
_TRAILING_COMMA = re.compile(r",\s*([}\]])")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _loads(text: str) -> Any:
    """json.loads, then a few repairs for what CMSs commonly print: CDATA wrappers, raw
    newlines and control characters inside strings, trailing commas, several objects in one
    script. Returns None when the text is not JSON."""
    text = _CDATA.sub("", text.strip()).strip().rstrip(";")
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        pass
    repaired = _TRAILING_COMMA.sub(r"\1", _CONTROL.sub(" ", text.replace("\r", " ").replace("\n", " ").replace("\t", " ")))
    try:
        return json.loads(repaired)
    except ValueError:
        pass
    # Several top-level values printed one after another.
    decoder, values, pos = json.JSONDecoder(), [], 0
    while pos < len(repaired):
        while pos < len(repaired) and repaired[pos] in " ,":
            pos += 1
        if pos >= len(repaired):
            break
        try:
            value, pos = decoder.raw_decode(repaired, pos)
        except ValueError:
            return values or None
        values.append(value)
    return values or None


def _flatten(value: Any, out: list[dict], depth: int = 0) -> None:
    """Every dict of a JSON-LD value that has a @type, top-level first, @graph unrolled."""
    if depth > 6:
        return
    if isinstance(value, list):
        for item in value:
            _flatten(item, out, depth + 1)
    elif isinstance(value, dict):
        if "@type" in value or "headline" in value:
            out.append(value)
        graph = value.get("@graph")
        if graph is not None:
            _flatten(graph, out, depth + 1)
        main = value.get("mainEntity")
        if isinstance(main, (dict, list)):
            _flatten(main, out, depth + 1)


def types_of(obj: dict) -> list[str]:
    value = obj.get("@type")
    values = value if isinstance(value, list) else [value]
    return [str(v).lower().rsplit("/", 1)[-1] for v in values if v]


def _article_rank(obj: dict) -> int | None:
    types = types_of(obj)
    for rank, name in enumerate(ARTICLE_TYPES):
        if name in types:
            # An article object with the article's own fields beats a bare mention.
            return rank - (20 if obj.get("headline") or obj.get("articleBody") else 0)
    if any(t in PAGE_TYPES for t in types) and obj.get("headline"):
        return 100
    return None


def jsonld_objects(tree) -> tuple[list[dict], int]:
    objects: list[dict] = []
    errors = 0
    for script in tree.iter("script"):
        kind = (script.get("type") or "").lower()
        if "ld+json" not in kind:
            continue
        text = script.text or ""
        if not text.strip() or len(text) > MAX_JSONLD_CHARS:
            continue
        data = _loads(text)
        if data is None:
            errors += 1
            continue
        _flatten(data, objects)
    return objects, errors


def choose_article(objects: list[dict]) -> dict:
    ranked = [(rank, i, obj) for i, obj in enumerate(objects) if (rank := _article_rank(obj)) is not None]
    if not ranked:
        return {}
    ranked.sort(key=lambda item: (item[0], item[1]))
    return ranked[0][2]


# -- meta tags ----------------------------------------------------------------------------


def meta_tags(tree) -> dict[str, list[str]]:
    meta: dict[str, list[str]] = {}
    head = tree.find("head")
    nodes = tree.iter("meta") if head is None or len(head) < 3 else head.iter("meta")
    for node in nodes:
        name = node.get("property") or node.get("name") or node.get("itemprop") or node.get("http-equiv")
        content = node.get("content")
        if not name or content is None:
            continue
        meta.setdefault(name.strip().lower(), []).append(content)
    # Microdata in the body (itemprop="datePublished" content=...) counts as meta too.
    if head is not None and len(head) >= 3:
        for node in tree.xpath("//body//*[@itemprop][@content or @datetime]"):
            name = node.get("itemprop").strip().lower()
            meta.setdefault(name, []).append(node.get("content") or node.get("datetime"))
    return meta


def parse(tree) -> Structured:
    objects, errors = jsonld_objects(tree)
    return Structured(article=choose_article(objects), objects=objects, meta=meta_tags(tree), jsonld_errors=errors)


# -- values ---------------------------------------------------------------------------------


def text_value(value: Any) -> str | None:
    """A JSON-LD value as one clean line: strings unescaped, first of a list, @value. Only
    text is text: a number or a boolean where a headline, a name or a description belongs
    (`"headline": 7`) is a broken value, not the page's words."""
    if isinstance(value, list):
        for item in value:
            text = text_value(item)
            if text:
                return text
        return None
    if isinstance(value, dict):
        return text_value(value.get("@value") or value.get("name"))
    if not isinstance(value, str):
        return None
    text = value
    if "&" in text:
        text = html_lib.unescape(text)
    if "<" in text and ">" in text:
        text = re.sub(r"<[^>]{0,400}>", " ", text)
    return collapse_whitespace(text) or None


def body_value(value: Any) -> str | None:
    """articleBody with its paragraph breaks kept."""
    if isinstance(value, list):
        value = "\n\n".join(str(v) for v in value if isinstance(v, str))
    if not isinstance(value, str) or not value.strip():
        return None
    text = html_lib.unescape(value) if "&" in value else value
    if "<" in text and ">" in text:
        text = re.sub(r"(?i)</p>|<br\s*/?>", "\n\n", text)
        text = re.sub(r"<[^>]{0,400}>", " ", text)
    return text.strip() or None


def _name_of(value: Any, objects_by_id: dict[str, dict]) -> tuple[str | None, str | None]:
    """(name, type) of a person or organisation reference."""
    if isinstance(value, str):
        return collapse_whitespace(html_lib.unescape(value)) or None, None
    if not isinstance(value, dict):
        return None, None
    if "name" not in value and value.get("@id") in objects_by_id:
        value = objects_by_id[value["@id"]]
    name = value.get("name")
    if isinstance(name, list):
        name = next((n for n in name if isinstance(n, str)), None)
    if isinstance(name, dict):
        name = name.get("@value")
    if not name and (value.get("givenName") or value.get("familyName")):
        name = f"{value.get('givenName') or ''} {value.get('familyName') or ''}"
    kind = types_of(value)
    text = collapse_whitespace(html_lib.unescape(str(name))) if name else None
    return text or None, (kind[0] if kind else None)


def people(value: Any, objects: Iterable[dict] = ()) -> list[tuple[str, str | None]]:
    """[(name, type)] of a JSON-LD author/creator value (a string, object or list)."""
    by_id = {o["@id"]: o for o in objects if isinstance(o.get("@id"), str)}
    values = value if isinstance(value, list) else [value]
    out: list[tuple[str, str | None]] = []
    for item in values:
        name, kind = _name_of(item, by_id)
        if name and all(name != n for n, _ in out):
            out.append((name, kind))
    return out


def publisher_name(article: dict, objects: list[dict]) -> str | None:
    found = people(article.get("publisher"), objects) if article else []
    if found:
        return found[0][0]
    for obj in objects:
        if any(t in ("newsmediaorganization", "organization") for t in types_of(obj)):
            name = text_value(obj.get("name"))
            if name:
                return name
    return None


def time_elements(tree, limit: int = 40) -> list[tuple[str, Any]]:
    """(datetime attribute, element) of the page's <time> elements in document order."""
    out = []
    for node in tree.iter("time"):
        value = node.get("datetime") or node.get("content")
        if value:
            out.append((value, node))
            if len(out) >= limit:
                break
    return out
