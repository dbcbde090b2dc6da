"""The copyright notice a page prints: the ©/Copyright/版权所有 sentence of its footer (or, where
the footer is drawn by script, the one printed under the article), its holder and its years.

    find_copyright(page) -> {"text", "holder", "years": [first, last]} | None

A notice is a line of visible text with a copyright mark (©, ⓒ, "(c) 2024", "Copyright X",
版权所有, or "all rights reserved" in one of many languages), never a link to a copyright policy,
a photo or media credit, or the text of a script or style sheet. Where a page prints several
(the site's and a syndicator's, a short and a long one), the footer's wins, and of the footer's
the last that names its holder: sites print the owner's line last, after designer and CMS
credits. The holder is the organisation the notice names, without marks, years and the
"All rights reserved" that follows it; a designer's or software vendor's credit ("Design by",
"Powered by") is not a holder.
"""

from __future__ import annotations

import re
from bisect import bisect_right

from crawler.extraction.vocabulary import CAPTION_TAGS, HAN, NON_TEXT_TAGS
from crawler.normalize import collapse_whitespace

# "All rights reserved" in the languages news sites print it in.
_RESERVED = (
    r"all\s+rights?\s+reserved|alle\s+rechte\s+vorbehalten|tous\s+droits\s+r[ée]serv[ée]s|"
    r"todos\s+los\s+derechos\s+reservados|tutti\s+i\s+diritti\s+riservati|todos\s+os\s+direitos\s+reservados|"
    r"alle\s+rechten\s+voorbehouden|alle\s+rettigheter\s+reservert|alla\s+rättigheter\s+förbehållna|"
    r"kaikki\s+oikeudet\s+pidätetään|wszelkie\s+prawa\s+zastrzeżone|všechna\s+práva\s+vyhrazena|"
    r"minden\s+jog\s+fenntartva|toate\s+drepturile\s+rezervate|tüm\s+hakları\s+saklıdır|"
    r"все\s+права\s+защищены|всі\s+права\s+захищені|όλα\s+τα\s+δικαιώματα|כל\s+הזכויות\s+שמורות|"
    r"جميع\s+الحقوق\s+محفوظة|hak\s+cipta\s+dilindungi|版权所有|版權所有|著作権|무단\s*전재|저작권"
)
# Marks of a notice. `(c)` counts only before a year or a name (it also numbers lists), and
# `Copyright` only where it is not the name of a link to a policy page.
_MARK = re.compile(r"(?i)©|ⓒ|Ⓒ|&copy;|\(c\)(?=\s*(?:(?:19|20)\d{2}|[A-Z]))|\bcopyright\b|" + _RESERVED)
_PROPER = re.compile(r"(?i)©|ⓒ|Ⓒ|\(c\)|\bcopyright\b")
# A notice that says only that reprinting is forbidden (`本文禁止转载`): a rights statement,
# counted only where the page prints no other notice.
_NO_REPRINT = re.compile(r"禁止转载|禁止轉載|未经授权[^。]{0,12}不得转载|无断[转転]載|無断転載")
_POLICY_LINK = re.compile(
    r"(?i)^\W*(?:copyright\s*(?:&|and)?\s*(?:policy|notice|information|info|infringement|complaints?|terms|"
    r"statement|agent|issues?)?|版权(?:声明|说明|信息)?|版權(?:聲明)?)\W*$"
)
_YEARS = re.compile(r"(?<![\d.])((?:19|20)\d{2})(?:\s*[-–—~至]\s*((?:19|20)\d{2}|present|now|today|heute))?(?![\d])", re.I)
# Where a credit sits that is not the site's notice: captions, photo and media credits.
_NOT_NOTICE_AREA = re.compile(r"(?i)caption|credit|photo|image|img|media|gallery|video|figure|picture|licen[cs]e")
_FOOTER_AREA = re.compile(r"(?i)foot|copyright|legal|bottom|colophon|imprint|impressum|site-info|siteinfo")
_HOLDER_STOP = re.compile(
    r"(?i)\s*(?:\ball\s+rights?\b|\bunless\s+otherwise\b|\bpowered\s+by\b|\bsome\s+rights\b|\bexcept\b|"
    + _RESERVED
    + r"|[|;©ⓒ\[\]{}<>]|\s[-–—]\s|\s[-–—]$|[。，；]|(?<=[a-z]{3})\.(?=\s|$)|(?<=[A-Z]{3})\.(?=\s|$)|(?<!\w\.\w)\.\s+(?=[A-Z])|,\s+(?=[a-z])|,\s*(?![^,]{0,12}(?:inc|llc|ltd|s\.l|s\.a|gmbh|co\b|plc|limited|corp)))"
)
# What is never a holder on its own.
_NOT_HOLDER = re.compile(
    r"(?i)^(?:copyright|copyrights|all|the|by|of|reserved|rights|c|\d+|www|http|https|and|et|und|y|e|"
    r"contents?|material|text|page|site|website|this\s+(?:site|website|page))$"
)


def find_copyright(page) -> dict | None:
    """{text, holder, years} of the page's copyright notice; None when it prints none."""
    body = page.tree.find("body")
    if body is None:
        return None
    candidates = _candidates(body)
    if not candidates:
        return None
    # The last of the footer's notices that names a holder, else of any notice that does (a
    # footer drawn by script leaves the one under the article), else the last notice. A notice
    # with the mark or the word (`Copyright © 2007 X`) is the notice proper; a bare rights
    # phrase beside it (`X版权所有`) is a second line of it.
    strong = [c for c in candidates if not c["weak"]] or candidates
    named = [c for c in strong if c["notice"]["holder"] and not c["vendor"]]
    proper = [c for c in named if _PROPER.search(c["notice"]["text"])]
    for pool in ([c for c in proper if c["footer"]], proper, [c for c in named if c["footer"]], named,
                 [c for c in strong if c["footer"]], strong):
        if pool:
            return pool[-1]["notice"]
    return None


# Either kind of notice.
_ANY_NOTICE = re.compile(_MARK.pattern + "|" + _NO_REPRINT.pattern)
# A word of every notice above, lowercased: a text holding none of them holds no notice.
# Finding these with str.find is some twenty times faster than running the notice pattern
# over every text of the page (Python's regex engine tries each of its branches at each
# character), and a page holds a handful of notices among thousands of texts.
_NOTICE_WORDS = (
    "©", "ⓒ", "&copy;", "(c)", "copyright", "reserv", "vorbehalt", "droits", "derechos", "diritti",
    "direitos", "voorbehouden", "rettigheter", "rättigheter", "oikeudet", "zastrzeżone", "vyhrazena",
    "fenntartva", "drepturile", "sakl", "защищены", "захищені", "δικαιώματα", "שמורות", "محفوظة", "dilindungi",
    "版权所有", "版權所有", "著作権", "전재", "저작권", "转载", "轉載", "転載", "断",
)


def _noticed(texts: list[str]) -> set[int]:
    """Which of the texts hold a mark or a no-reprint notice once their whitespace is
    collapsed: the texts holding one of the notice words, read again by the notice pattern."""
    joined = "\x00".join(texts).lower()  # NUL: no text holds it (the page was cleaned of it)
    starts, position = [], 0
    for piece in joined.split("\x00"):
        starts.append(position)
        position += len(piece) + 1
    maybe = set()
    for word in _NOTICE_WORDS:
        at = joined.find(word)
        while at != -1:
            maybe.add(bisect_right(starts, at) - 1)
            at = joined.find(word, at + 1)
    return {k for k in maybe if _ANY_NOTICE.search(collapse_whitespace(texts[k]))}


def _candidates(body) -> list[dict]:
    out, seen = [], set()
    nodes = list(body.iter())
    # A mark in an element's own text belongs to its line; one in its tail to its parent's.
    texts = []  # (index of the element, text, the element whose line it is)
    for index, node in enumerate(nodes):
        if not isinstance(node.tag, str):
            continue
        if node.text and node.tag not in NON_TEXT_TAGS and not node.text.isspace():
            texts.append((index, node.text, node))
        if node.tail and not node.tail.isspace():  # most texts between tags: nothing to read
            texts.append((index, node.tail, node.getparent()))
    for k in sorted(_noticed([text for _, text, _ in texts])):
        index, text, holder = texts[k]
        if holder is None:
            continue
        own = collapse_whitespace(text)
        if holder.tag in NON_TEXT_TAGS or any(a.tag in NON_TEXT_TAGS for a in holder.iterancestors()):
            continue
        if holder.tag == "a" and holder is nodes[index] and _POLICY_LINK.match(own):
            continue
        block = _block_of(holder)
        if block is None or block in seen:
            continue
        seen.add(block)
        if _in_credit_area(block):
            continue
        footer = _in_footer(block) or index > 0.85 * len(nodes)
        for line in _lines(block):
            weak = not _MARK.search(line)
            if weak and not _NO_REPRINT.search(line):
                continue
            notice = parse_copyright(line, weak=weak)
            if notice:
                out.append({"notice": notice, "footer": footer, "weak": weak, "vendor": _is_vendor(line, notice)})
    return out


_BREAKS = frozenset({"br", "p", "div", "li", "ul", "ol", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6", "tr",
                     "table", "section", "article", "blockquote", "footer", "header", "nav", "aside", "address", "hr"})


def _lines(block) -> list[str]:
    """The block's visible text split where it breaks lines (<br>, block elements), its own
    newlines read as spaces: `<a>&copy;\nWDR\n2024</a>` is one line."""
    lines: list[str] = [""]

    def walk(node) -> None:
        for child in node:
            if isinstance(child.tag, str) and child.tag not in NON_TEXT_TAGS:
                if child.tag in _BREAKS:
                    lines.append("")
                lines[-1] += " " + (child.text or "")
                walk(child)
                if child.tag in _BREAKS:
                    lines.append("")
            if child.tail:
                lines[-1] += " " + child.tail

    lines[-1] += block.text or ""
    walk(block)
    return [line for line in (collapse_whitespace(l) for l in lines) if line]


_INLINE = frozenset({"a", "span", "font", "b", "strong", "em", "i", "small", "sup", "sub", "u", "abbr", "time", "bdi", "label"})


def _block_of(node):
    """The nearest ancestor that is not inline text markup: the notice's whole line, however
    many elements it is split over (`<span>©</span> 2024 <a>Example</a>`)."""
    while node is not None and node.tag in _INLINE:
        node = node.getparent()
    if node is None or node.tag in ("body", "html"):
        return None
    return node


def _in_credit_area(node) -> bool:
    for depth, anc in enumerate([node, *node.iterancestors()]):
        if depth > 4 or anc.tag in ("body", "html"):
            break
        if anc.tag in CAPTION_TAGS:
            return True
        attrs = f"{anc.get('class') or ''} {anc.get('id') or ''}"
        if _NOT_NOTICE_AREA.search(attrs) and not _FOOTER_AREA.search(attrs):
            return True
    return False


def _in_footer(node) -> bool:
    for anc in [node, *node.iterancestors()]:
        if anc.tag in ("body", "html"):
            return False
        if anc.tag == "footer" or anc.get("role") == "contentinfo":
            return True
        if _FOOTER_AREA.search(f"{anc.get('class') or ''} {anc.get('id') or ''}"):
            return True
    return False


# Credits of those who made the site, not those who own its content.
_VENDOR_ANY = re.compile(
    r"(?i)(?:powered|designed|developed|built|hosted|created|made|maintained|theme|design|website|template)\s+(?:by|with)\b|"
    r"技术支持|网站建设|设计制作|建站"
)


def _is_vendor(line: str, notice: dict) -> bool:
    """Whether the holder the notice names is credited as the site's maker: `© Design by X`,
    `Website by X` (the vendor's phrase right before the name, no other mark between)."""
    holder = notice.get("holder")
    if not holder:
        return False
    last = holder.split()[-1]
    for m in _VENDOR_ANY.finditer(line):
        after = line[m.end() : m.end() + 60]
        if last in after and not re.search(r"©|ⓒ|(?i:copyright)", after[: after.find(last)]):
            return True
    return False


def parse_copyright(text: str | None, *, weak: bool = False) -> dict | None:
    """{"text", "holder", "years": [first, last] or None} of one notice line. The text is the
    notice's sentence(s), cut from a longer line of terms; `weak` notices (`本文禁止转载`) have
    no holder or years."""
    line = collapse_whitespace(text)
    if not line:
        return None
    if weak:
        return {"text": line[:200], "holder": None, "years": None}
    match = _MARK.search(line)
    if not match:
        return None
    notice = _notice_text(line, match.start())
    years = None
    found = _YEARS.search(notice)
    if found:
        first = int(found.group(1))
        last = found.group(2)
        years = [first, int(last) if last and last.isdigit() else first]
    return {"text": notice, "holder": _holder(notice), "years": years}


# Sentences that continue a notice: what may not be done with the content.
_CONTINUES = re.compile(
    r"(?i)reproduc|redistribut|republish|without\s+(?:the\s+)?(?:prior\s+)?(?:express\s+)?(?:written\s+)?"
    r"(?:permission|consent)|prohibited|verboten|untersagt|interdit|prohibid|vietat|禁止|不得"
)
_SENTENCE_END = re.compile(r"(?<=[a-z)])\.\s+(?=[A-Z])|[。！？]\s*|\s\|\s")


def _notice_text(line: str, start: int) -> str:
    """The notice's sentences: from the sentence holding the first mark, as long as the
    sentences that follow carry a mark or forbid reproduction (`© 2019 X. All rights reserved.
    Use of this site ...` ends before `Use`), never more than 300 characters."""
    begin = 0
    for m in _SENTENCE_END.finditer(line, 0, start):
        begin = m.end()
    if start - begin > 160:
        begin = start
    end = len(line)
    for m in _SENTENCE_END.finditer(line, start + 1):
        following = line[m.end() : m.end() + 200]
        nxt = _SENTENCE_END.search(following)
        sentence = following[: nxt.start()] if nxt else following
        if not (_MARK.search(sentence) or _CONTINUES.search(sentence)):
            end = m.start() + (1 if line[m.start()] == "." else 0)
            break
    return line[begin:end].strip()[:300]


# `中国新闻网 版权所有`, `版权所有：中国新闻网`.
_ZH_HOLDER_BEFORE = re.compile(r"([" + HAN + r"A-Za-z0-9.（）()·]{2,30}?)\s*版[权權]所有")
_ZH_HOLDER_AFTER = re.compile(r"版[权權]所有\s*[:：]?\s*([" + HAN + r"][" + HAN + r"A-Za-z0-9（）()·]{1,30})")


def _holder(notice: str) -> str | None:
    """The organisation a notice names: after the mark and years (`© 2024 Example Ltd.`), before
    them (`Example © 2024`, `中国新闻网 版权所有`) or after `版权所有`."""
    zh_before = _ZH_HOLDER_BEFORE.search(notice)
    zh_after = _ZH_HOLDER_AFTER.search(notice)
    for candidate in (_after_mark(notice), _before_mark(notice)):
        holder = _clean(candidate)
        if holder:
            return holder
    for m in (zh_before, zh_after):
        if m:
            holder = _clean(m.group(1))
            if holder:
                return holder
    return None


_LEAD = re.compile(
    r"(?i)^(?:\s|©|ⓒ|Ⓒ|\(c\)|&copy;|copyright|@|:|,|by\b|(?:19|20)\d{2}(?:\s*[-–—~至]\s*(?:(?:19|20)\d{2}|present|now|today))?|"
    + _RESERVED
    + r"|[.\-–—])+"
)


_LATIN_MARKS = (re.compile(r"©|ⓒ|Ⓒ|(?i:\(c\))"), re.compile(r"(?i)\bcopyright\b"),
                re.compile(r"(?i)all\s+rights?\s+reserved"))


def _after_mark(notice: str) -> str | None:
    """The name after the strongest mark: © before `Copyright` before `All rights reserved`
    (`저작권법의 보호를 받으며 ... Copyright (C) X` names X)."""
    for mark in _LATIN_MARKS:
        m = mark.search(notice)
        if not m:
            continue
        rest = notice[m.start():]
        lead = _LEAD.match(rest)
        rest = rest[lead.end():] if lead else rest
        stop = _HOLDER_STOP.search(rest)
        holder = rest[: stop.start()] if stop else rest
        holder = _strip_years(holder)
        if _clean(holder):
            return holder
    return None


def _before_mark(notice: str) -> str | None:
    """`The Namibian © All rights reserved.`, `2003-2004 BlogChina.COM All rights reserved`."""
    m = re.search(r"(?i)©|ⓒ|Ⓒ|" + _RESERVED, notice)
    if not m or m.start() == 0:
        return None
    before = notice[: m.start()]
    before = re.split(r"(?i)[|;:：]|\s[-–—]\s|\.\s+(?=[A-Z])|\bcopyright\b", before)[-1]
    return _strip_years(before)


def _strip_years(text: str) -> str:
    text = _YEARS.sub(" ", text)
    return re.sub(r"(?i)\b(?:copyright|by)\b|©|ⓒ|\(c\)", " ", text)


def _clean(holder: str | None) -> str | None:
    holder = collapse_whitespace(holder).strip(" ,.;:|-–—@&/")
    holder = re.sub(r"(?i)^(?:by|von|par|por|di)\s+", "", holder)
    if not holder or len(holder) > 80 or len(holder.split()) > 10:
        return None
    if _NOT_HOLDER.match(holder) or not re.search(r"[^\W\d_]", holder):
        return None
    return holder
