"""Paragraph-level boilerplate around an extracted article text.

A generic extractor returns the right container but often with the page furniture that
sits inside it or next to it: the headline and the date line above the text, breadcrumbs,
link lists ("Read more", related headlines), newsletter boxes, copyright lines and photo
captions. Each paragraph of the extracted text is traced back to the element of the page
that printed it, and judged by structure: how much of it is link text, what encloses it
(`<nav>`, `<aside>`, `<figcaption>`, a box whose class says `related` or `newsletter`),
where it sits (the run before the first sentence of prose, the run after the last), and
what the page declares elsewhere (its headline, its bylines).

Nothing here names a site: the words are the generic vocabulary of page furniture.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lxml import etree

from crawler.extraction.vocabulary import CJK_CHAR, FURNITURE_TAGS, NON_TEXT_TAGS

# -- tracing a paragraph back to the page --------------------------------------------------

_KEY_DROP = re.compile(r"[\W_]+", re.UNICODE)
PREFIX = 16  # characters of a text node's compact key that index it

BLOCKS = frozenset(
    "p li h1 h2 h3 h4 h5 h6 blockquote figcaption dd dt td th pre div section article header "
    "footer aside nav figure address caption summary details table ul ol dl main form".split()
)


def compact(text: str | None) -> str:
    return _KEY_DROP.sub("", (text or "").casefold())


class TextIndex:
    """The page's text nodes in document order, each with the element printing it and
    whether it is link text; and where each text starts (compact-key prefix -> node)."""

    def __init__(self, root):
        self.texts: list[str] = []
        self.owners: list = []
        self.linked: list[bool] = []
        self.starts: dict[str, list[int]] = {}
        self._located: dict[str, tuple[object, float] | None] = {}
        if root is None:
            return
        links = 0
        walker = etree.iterwalk(root, events=("start", "end"))
        for event, node in walker:
            tag = node.tag
            if not isinstance(tag, str):
                if event == "end" and node.tail:
                    self._add(node.tail, node.getparent(), links > 0)
                continue
            if event == "start":
                if tag in NON_TEXT_TAGS:
                    walker.skip_subtree()
                    if node.tail:
                        self._add(node.tail, node.getparent(), links > 0)
                    continue
                if tag == "a":
                    links += 1
                if node.text:
                    self._add(node.text, node, links > 0)
            else:
                if tag == "a":
                    links -= 1
                if node.tail and node is not root:
                    self._add(node.tail, node.getparent(), links > 0)

    def _add(self, text: str, owner, linked: bool) -> None:
        if owner is None or not text.strip():
            return
        key = compact(text[:64])[:PREFIX]
        if not key:
            return
        found = self.starts.setdefault(key, [])
        if len(found) < 8:
            found.append(len(self.texts))
        self.texts.append(text)
        self.owners.append(owner)
        self.linked.append(linked)

    def locate(self, paragraph: str) -> tuple[object, float] | None:
        """(element printing the paragraph's start, share of its text printed as links).
        Remembered per paragraph: the cleaning steps each ask for the same paragraphs."""
        if paragraph in self._located:
            return self._located[paragraph]
        found = self._locate(paragraph)
        self._located[paragraph] = found
        return found

    def _locate(self, paragraph: str) -> tuple[object, float] | None:
        key = compact(paragraph)
        if not key:
            return None
        for size in range(min(PREFIX, len(key)), 0, -1):
            for i in self.starts.get(key[:size], ()):
                found = self._measure(i, key)
                if found is not None:
                    return found
        return None

    def _measure(self, i: int, key: str) -> tuple[object, float] | None:
        """The paragraph `key` read from text node `i` on, or None when the text there differs."""
        probe = min(len(key), 48)
        total = linked = 0
        j = i
        while total < len(key) and j < len(self.texts) and j - i < 400:
            part = compact(self.texts[j])
            n = min(len(part), probe - total)
            if n > 0 and part[:n] != key[total : total + n]:
                return None
            total += len(part)
            if self.linked[j]:
                linked += len(part)
            j += 1
        return self.owners[i], min(1.0, linked / max(1, total))


def block_ancestor(node):
    for _ in range(6):
        if node is None or node.tag in BLOCKS:
            return node
        node = node.getparent()
    return node


# -- judging paragraphs -----------------------------------------------------------------------

_FURNITURE_ATTR = re.compile(
    r"(?i)(?:^|[\s_-])(?:related|relatedposts|newsletter|subscri\w*|signup|sign-up|promo|promotion|share|sharing|"
    r"social|sharebar|breadcrumbs?|author-?bio|access-wall|registration-wall|read-?next|read-?more|"
    r"more-stories|more-articles|outbrain|taboola|latest-news|most-read|trending)(?:$|[\s-])"
)
_CAPTION_ATTR = re.compile(r"(?i)caption|credit|pictext|img-?desc|image-?desc|photo-?desc|bildtext|legend")

_SENTENCE = re.compile(r"[.!?。！？…»”\"')）:]\s*$")
_DATE_LINE = re.compile(
    r"(?i)\b(?:19|20)\d{2}\b|\d{1,2}[./]\d{1,2}[./]\d{2,4}|"
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{1,2}\b|"
    r"\b\d{1,2}\.?\s+(?:jan|feb|mär|mar|apr|mai|may|jun|jul|aug|sep|okt|oct|nov|de[cz])[a-zä]*\b|"
    r"\b(?:updated|published|posted|stand|aktualisiert|veröffentlicht|publié|publicado|pubblicato|"
    r"gepubliceerd|opdateret|oppdatert|uppdaterad|publicerad)\b"
)
_READING_TIME = re.compile(r"(?i)\b\d+\s*(?:min(?:ute)?s?|minuten|minutos|minuti)\b.{0,20}$|lesezeit|reading time|tempo de leitura|lectura")
_BYLINE_START = re.compile(
    r"(?i)^(?:by|von|par|por|di|door|af|av|de|text|texte|tekst|autor|author|written by|reporting by|"
    r"words by|photos? by|fotos?)\b\s*:?\s*\S"
)
_CREDIT_LINE = re.compile(r"(?i)^(?:source|sources|quelle|fuente|fonte|source de l'article|来源|來源|稿源)\s*[:：]\s*\S")
_COPYRIGHT = re.compile(r"(?i)^(?:copyright|©|\(c\)|ⓒ)|\ball rights reserved\b|版权所有|版權所有|무단전재")
# Calls to action of page furniture: newsletters, comments, sharing, follow-ups.
_CALL_TO_ACTION = re.compile(
    r"(?i)\b(?:sign up|subscribe|newsletter|inbox|log ?in|sign in|create an account|comments? policy|"
    r"comment on this|leave a comment|follow (?:us|her|him|them)|share this|click here|"
    r"read (?:more|also|next)|see more|don'?t miss|you (?:may|might) also like|more from|popular on|"
    r"related (?:articles|stories|news)|recommended|abonnieren|anmelden|mehr zum thema|lesen sie auch|"
    r"weiterlesen|kommentar|à lire aussi|lire aussi|leia também|leer más|lee también|leggi anche|"
    r"czytaj (?:więcej|też|także)|les også|läs också|læs også)\b"
)
_PHOTO_CREDIT = re.compile(
    r"(?i)^(?:photo|image|picture|foto|bild|imagen|immagine|credit|source|quelle|fuente|fonte)s?\s*:\s*\S{1,60}$|"
    r"^\(?(?:photo|foto|image|bild)\s*[:/]\s*[^)]{1,60}\)?$|"
    r"^图为.{2,120}$|（(?:资料图片|资料图|图片来源[^）]*|[^）]{0,20}摄)）\s*$|\((?:photo|file photo|资料图片)[^)]{0,40}\)\s*$"
)


@dataclass
class Paragraph:
    text: str
    block: object = None
    link_density: float = 0.0
    furniture: bool = False  # inside nav/aside/footer or a box whose class names furniture
    caption: bool = False
    heading: bool = False
    tags: set = field(default_factory=set)

    @property
    def prose(self) -> bool:
        cjk = len(CJK_CHAR.findall(self.text))
        if cjk >= 20:
            return bool(re.search(r"[，。！？；,.]", self.text))
        words = len(self.text.split())
        return words >= 12 and bool(re.search(r"[.!?:;,]", self.text)) and self.link_density < 0.5


def _context(block, levels: int = 7) -> tuple[bool, bool, set]:
    """(furniture, caption, tags) of a block and its ancestors."""
    furniture = caption = False
    tags = set()
    node = block
    for depth in range(levels):
        if node is None or node.tag in ("body", "html"):
            break
        tags.add(node.tag)
        attrs = f"{node.get('class') or ''} {node.get('id') or ''}"
        if node.tag in FURNITURE_TAGS:
            furniture = True
        elif node.tag in ("article", "main"):
            break  # furniture classes outside the article's own box say nothing about it
        if attrs.strip():
            if _FURNITURE_ATTR.search(attrs):
                furniture = True
            if depth < 4 and _CAPTION_ATTR.search(attrs):
                caption = True
        if node.tag in ("figcaption", "figure", "caption"):
            caption = True
        node = node.getparent()
    return furniture, caption, tags


def annotate(paragraphs: list[str], index: TextIndex) -> list[Paragraph]:
    out = []
    for text in paragraphs:
        para = Paragraph(text=text)
        found = index.locate(text)
        if found is not None:
            owner, para.link_density = found
            para.block = block = block_ancestor(owner)
            if block is not None:
                para.furniture, para.caption, para.tags = _context(block)
                para.heading = block.tag in ("h1", "h2", "h3", "h4", "h5", "h6")
        out.append(para)
    return out


# -- the runs before and after the article's text ------------------------------------------


def _same_text(a: str, b: str | None) -> bool:
    ka, kb = compact(a), compact(b)
    return bool(ka) and bool(kb) and (ka == kb or (len(kb) >= 12 and kb in ka and len(ka) <= len(kb) + 40))


def _head_furniture(para: Paragraph, titles: list[str], authors: list[str]) -> bool:
    text = para.text
    short = len(text) <= 120
    if any(_same_text(text, t) for t in titles):
        return True
    if para.block is not None and para.block.tag == "h1":
        return True
    if para.furniture and (short or para.link_density >= 0.5):
        return True
    if short and para.link_density >= 0.6 and not _SENTENCE.search(text):
        return True
    if len(text) <= 80 and not _SENTENCE.search(text.rstrip(".")):
        if _DATE_LINE.search(text) or _READING_TIME.search(text):
            return True
        if _BYLINE_START.match(text) or any(a and a in text for a in authors):
            return True
    if len(text) <= 60 and (_READING_TIME.search(text) or any(a and a in text for a in authors)):
        return True
    if len(text) <= 60 and _CREDIT_LINE.match(text):
        return True
    if para.caption and short:
        return True
    return False


def _tail_furniture(para: Paragraph, after_dropped: bool) -> bool:
    text = para.text
    short = len(text) <= 160
    if para.link_density >= 0.5 and len(text) <= 400:
        return True
    if para.furniture and (short or para.link_density >= 0.3):
        return True
    if _COPYRIGHT.search(text) and len(text) <= 120:
        return True
    if short and _CALL_TO_ACTION.search(text):
        return True
    # A heading or label whose section was all furniture: `Read more:`, `You may also like`.
    if after_dropped and len(text) <= 60 and (para.heading or text.endswith((":", "…", "..."))):
        return True
    return False


def _middle_furniture(para: Paragraph) -> bool:
    """Photo captions and credits: `Image: X`, `图为…（资料图片）`; a caption that reads as a
    sentence of the story is kept (many are written as one)."""
    text = para.text
    if para.caption and not para.prose and len(text) <= 200 and not para.heading:
        return True
    if len(text) <= 200 and _PHOTO_CREDIT.search(text):
        return True
    # `READ MORE: <linked headline>` between two paragraphs of the story.
    if len(text) <= 200 and _CALL_TO_ACTION.match(text) and (para.link_density >= 0.4 or len(text) <= 30):
        return True
    return False


def clean(paragraphs: list[str], index: TextIndex, *, titles: list[str], authors: list[str],
          deks: list[str] = ()) -> list[str]:
    """The paragraphs without the furniture before, after and (captions) inside the text.

    The standfirst (the page's own summary under the headline, `deks`) is the newsroom's
    text and is kept; the byline, date and credit lines printed after it are still cut."""
    if len(paragraphs) < 2:
        return paragraphs
    paras = annotate(paragraphs, index)
    start = 0
    limit = min(len(paras), 12)
    head: list[Paragraph] = []
    while start < limit:
        para = paras[start]
        if not para.prose and _head_furniture(para, titles, authors):
            start += 1
        elif not head and start + 1 < len(paras) and any(_same_text(para.text, d) for d in deks):
            head.append(para)
            start += 1
        else:
            break
    if head and start < len(paras):
        paras = head + paras[start:]
        start = 0
    end = len(paras)
    dropped = False
    while end > start + 1 and _tail_furniture(paras[end - 1], dropped):
        end -= 1
        dropped = True
    kept = [p.text for p in paras[start:end] if not _middle_furniture(p)]
    if not kept or sum(len(t) for t in kept) < 0.3 * sum(len(p.text) for p in paras):
        return paragraphs  # when in doubt, the extractor's text as it was
    return kept
