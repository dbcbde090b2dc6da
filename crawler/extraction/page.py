"""A fetched page, decoded and parsed once, that every extraction step reads."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Mapping

import lxml.html
from lxml import etree

from crawler.extraction.decoding import decode_html
from crawler.normalize import site_of


class ExtractionError(Exception):
    """A page that cannot yield an article; `reason` is a short stats key."""

    reason = "unparsable"


class EmptyPageError(ExtractionError):
    reason = "empty"


class NotHTMLError(ExtractionError):
    reason = "not_html"


class TruncatedPageError(ExtractionError):
    reason = "truncated"


# Magic numbers of the binary formats servers most often mislabel as text/html.
BINARY_SIGNATURES = (
    (b"%PDF-", "PDF document"),
    (b"\x89PNG", "PNG image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF8", "GIF image"),
    (b"PK\x03\x04", "ZIP archive"),
    (b"\x1f\x8b", "gzip data"),
    (b"RIFF", "RIFF media"),
    (b"\x00\x00\x00", "binary data"),
    (b"ID3", "MP3 audio"),
    (b"OggS", "Ogg media"),
    (b"\xd0\xcf\x11\xe0", "MS Office document"),
)

# Pages bigger than this are parsed from their first MAX_PARSE_BYTES only: no article is
# that long, and it bounds the time and memory one hostile page can take.
MAX_PARSE_BYTES = 5 * 1024 * 1024

# huge_tree: libxml2 otherwise stops at 256 levels of nesting and drops everything deeper,
# which broken templates (unclosed <div>s, <font>s) reach; MAX_PARSE_BYTES bounds the cost.
_PARSER = lxml.html.HTMLParser(remove_comments=True, remove_pis=True, collect_ids=False, huge_tree=True)
# The same, told the encoding: for text lxml refuses as a str (an XML declaration that
# names an encoding), parsed from its UTF-8 bytes instead.
_UTF8_PARSER = lxml.html.HTMLParser(remove_comments=True, remove_pis=True, collect_ids=False, huge_tree=True,
                                    encoding="utf-8")
# Every element an HtmlElement, the class chosen in C: lxml.html's own lookup (form classes
# for <form>, <input>...) runs Python code each time an element is touched, by us or by
# trafilatura and htmldate, a tenth of the extraction's time, for classes no step uses.
for _parser in (_PARSER, _UTF8_PARSER):
    _parser.set_element_class_lookup(etree.ElementDefaultClassLookup(
        element=lxml.html.HtmlElement, comment=lxml.html.HtmlComment, pi=lxml.html.HtmlProcessingInstruction,
        entity=lxml.html.HtmlEntity))
_XML_DECL = re.compile(r"^[\s\ufeff\u200b]*<\?xml[^>]*\?>", re.IGNORECASE)
# Characters lxml keeps from HTML but refuses in any text set later (a line break added
# to a tail): control characters but tab, LF, CR, and the two non-characters U+FFFE/FFFF.
# Dropped; form feed and vertical tab, which separate words, become spaces.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_safe(match: re.Match) -> str:
    return " " if match.group() in "\x0b\x0c" else ""


# Nesting deeper than this is flattened after parsing (see `flatten_deep_nesting`).
MAX_DEPTH = 160
# Elements kept when deep nesting is flattened: they carry the text's own structure
# (paragraphs, headings, list items, links, line breaks) or must stay whole (scripts).
_KEEP_WHEN_DEEP = frozenset({
    "p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "a", "br", "img", "figure",
    "figcaption", "td", "th", "time", "script", "style", "noscript", "template", "iframe", "video", "audio",
})
# ... and past one and a half times the limit, only those that cannot nest in themselves.
_KEEP_WHEN_DEEPER = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "br", "script", "style", "template"})


@lru_cache(maxsize=4)
def _deeper_than(limit: int) -> etree.XPath:
    """True for a tree with an element nested more than `limit` levels below the root."""
    return etree.XPath("boolean(/" + "/*" * (limit + 1) + ")")


def flatten_deep_nesting(tree, limit: int = MAX_DEPTH) -> int:
    """Remove the tags (keeping their text and children) of elements nested deeper than
    `limit`: wrappers first (div, span, font, tables...), then, past one and a half times
    the limit, any element but paragraphs, headings and line breaks (which cannot nest). Broken templates nest unclosed elements
    hundreds of levels deep; libxml2 would drop everything below 256 levels, and tree
    walkers (ours, trafilatura's) recurse. Returns how many tags were removed."""
    if not _deeper_than(limit)(tree):
        return 0  # nearly every page: one XPath step per level, in C
    removed = 0
    for limit_here, keep in ((limit, _KEEP_WHEN_DEEP), (limit * 3 // 2, _KEEP_WHEN_DEEPER)):
        deep = []
        stack = [(tree, 0)]
        while stack:
            element, depth = stack.pop()
            for child in element:
                if not isinstance(child.tag, str):
                    continue
                if depth + 1 > limit_here and child.tag not in keep:
                    deep.append(child)
                stack.append((child, depth + 1))
        for element in deep:
            if element.getparent() is not None:
                element.drop_tag()
                removed += 1
    return removed


def sniff_binary(body: bytes) -> str | None:
    """What binary format the bytes are, or None if they may be text."""
    head = body[:16].lstrip()
    for signature, name in BINARY_SIGNATURES:
        if head.startswith(signature):
            return name
    sample = body[:4096]
    # UTF-16/32 pages carry NULs; they start with a BOM, which decoding handles.
    if sample.count(b"\x00") > len(sample) // 10 and not sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "binary data"
    return None


@dataclass
class Page:
    url: str
    html: str
    tree: lxml.html.HtmlElement
    encoding: str
    site: str
    headers: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_bytes(cls, url: str, body: bytes, headers: Mapping[str, str] | None = None) -> "Page":
        headers = {k.lower(): v for k, v in (headers or {}).items()}
        if not body or not body.strip():
            raise EmptyPageError("empty response body")
        binary = sniff_binary(body)
        if binary:
            raise NotHTMLError(f"response is {binary}, not HTML")
        html, encoding = decode_html(body[:MAX_PARSE_BYTES], headers.get("content-type"))
        return cls.from_text(url, html, encoding=encoding, headers=headers)

    @classmethod
    def from_text(cls, url: str, html: str, *, encoding: str = "utf-8", headers=None) -> "Page":
        # lxml refuses str input that carries an encoding declaration (the text is decoded
        # already: the declaration says nothing more), and control characters in text.
        html = _XML_DECL.sub("", _NOT_XML.sub(_xml_safe, html), count=1)
        if not html.strip():
            raise EmptyPageError("page has no text")
        try:
            try:
                tree = lxml.html.document_fromstring(html, parser=_PARSER)
            except ValueError:  # a declaration further in: parse the bytes, encoding given
                tree = lxml.html.document_fromstring(html.encode("utf-8", "surrogatepass"), parser=_UTF8_PARSER)
        except (etree.ParserError, ValueError, UnicodeEncodeError) as exc:
            raise ExtractionError(f"cannot parse HTML: {exc}") from exc
        if tree is None:
            raise ExtractionError("cannot parse HTML: empty document")
        flatten_deep_nesting(tree)
        return cls(url=url, html=html, tree=tree, encoding=encoding, site=site_of(url), headers=headers or {})

    @cached_property
    def size(self) -> int:
        """How many nodes the tree holds (steps skip costly searches on huge ones)."""
        return sum(1 for _ in self.tree.iter())

    @property
    def lang(self) -> str | None:
        value = self.tree.get("lang") or self.tree.get("{http://www.w3.org/XML/1998/namespace}lang")
        return value.strip() if value else None
