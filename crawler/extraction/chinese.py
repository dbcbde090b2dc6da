"""Chinese pages: the dates, bylines and credits they print as text around the article.

Chinese news pages rarely carry structured data; they print `2005年5月7日 21:23`,
`发布时间：2022-02-11 08:52`, `作者：X`, `本报记者 X Y`, `（记者 X）`, `编辑：X`, `责任编辑：X`,
`来源：X` between the headline and the text, or at the text's end. We read them from the
page's visible text in that zone (headline .. a little after the body), never from the
comments, related lists or sidebars further away.
"""

from __future__ import annotations

import re

from crawler.extraction.common import NON_TEXT_TAGS
from crawler.normalize import collapse_whitespace, parse_date

OFFSET = "+08:00"  # China Standard Time: pages print it without an offset

_HAN = re.compile(r"[\u3400-\u9fff]")
_KANA_HANGUL = re.compile(r"[\u3040-\u30ff\uac00-\ud7af]")


def is_chinese(lang: str | None, sample: str) -> bool:
    if lang:
        lang = lang.lower()
        if lang.startswith("zh"):
            return True
        if lang.startswith(("ja", "ko")):
            return False
    sample = sample[:3000]
    han = len(_HAN.findall(sample))
    return han >= 20 and han > 0.3 * len(sample.replace(" ", "")) and len(_KANA_HANGUL.findall(sample)) < han * 0.05


def visible_text(root) -> str:
    """The element's visible text in document order, one space between text nodes."""
    parts: list[str] = []

    def walk(node) -> None:
        for child in node:
            tag = child.tag
            if isinstance(tag, str) and tag not in NON_TEXT_TAGS:
                if child.text:
                    parts.append(child.text)
                walk(child)
            if child.tail:
                parts.append(child.tail)

    if root is None:
        return ""
    if root.text:
        parts.append(root.text)
    walk(root)
    return collapse_whitespace(" ".join(parts))


# -- where the article sits in the page's text -------------------------------------------------


def locate(text: str, needle: str | None, start: int = 0) -> int:
    """Position of `needle` (its first 12 non-space characters) in `text`, or -1."""
    if not needle:
        return -1
    probe = collapse_whitespace(needle)[:12]
    if len(probe) < 4:
        return -1
    return text.find(probe, start)


def article_zone(text: str, title: str | None, body: str | None) -> tuple[int, int, int]:
    """(title position, body start, body end) in the page text; -1 where not found."""
    body_start = locate(text, body)
    body_end = -1
    if body_start >= 0 and body:
        last = [p for p in body.split("\n\n") if len(p.strip()) >= 6]
        if last:
            tail = collapse_whitespace(last[-1])[-12:]
            pos = text.find(tail, body_start)
            if pos >= 0:
                body_end = pos + len(tail)
        if body_end < 0:
            body_end = body_start + len(collapse_whitespace(body))
    title_pos = -1
    if title:
        # The headline is printed before the text: the last occurrence before it.
        probe = collapse_whitespace(title)[:12]
        limit = body_start if body_start >= 0 else len(text)
        pos = text.rfind(probe, 0, limit) if len(probe) >= 4 else -1
        title_pos = pos
    return title_pos, body_start, body_end


# -- dates -----------------------------------------------------------------------------------

_DATE = re.compile(
    r"(?:19|20)\d{2}\s*(?:年\s*\d{1,2}\s*月\s*\d{1,2}\s*日|[-/.]\d{1,2}[-/.]\d{1,2}(?!\d))"
    r"(?:\s*(?:\d{1,2}[:：时]\d{2}(?:[:：分]\d{2})?))?"
)
_DATE_LABEL = re.compile(
    r"(?:发布时间|发表时间|发布日期|发稿时间|更新时间|出版日期|时间|日期|发布|发表于|發佈時間|發表時間|發佈日期|日期)\s*[:：]?\s*$"
)


def _dates_in(text: str, start: int, end: int):
    for match in _DATE.finditer(text, max(0, start), max(0, end)):
        yield match


def find_date(text: str, zone: tuple[int, int, int]) -> str | None:
    """The article's date: a labelled one (`发布时间：`) in the header zone, else the first
    one between the headline and the text, else one printed just after the text (blogs and
    forums: `由X张贴 @ 2005-06-14 03:25:55`)."""
    title_pos, body_start, body_end = zone
    if body_start < 0:
        body_start = min(len(text), 2000)
    head_start = title_pos if 0 <= title_pos < body_start else max(0, body_start - 800)
    # Labelled dates first.
    candidates = list(_dates_in(text, head_start, body_start + 40))
    for match in candidates:
        if _DATE_LABEL.search(text[max(0, match.start() - 8) : match.start()]):
            value = parse_date(match.group(0), OFFSET)
            if value:
                return value
    for match in candidates:
        value = parse_date(match.group(0), OFFSET)
        if value:
            return value
    if body_end > 0:
        for match in _dates_in(text, body_end, body_end + 400):
            value = parse_date(match.group(0), OFFSET)
            if value:
                return value
    return None


# -- bylines and credits -----------------------------------------------------------------------

_NAME_TOKEN = re.compile(r"^(?:[\u4e00-\u9fff·]{2,5}|[A-Za-z][A-Za-z0-9_.-]{1,24})$")
_ROLE_WORDS = (
    "本报记者", "本报实习生", "本报通讯员", "记者", "实习生", "通讯员", "特约记者", "见习记者", "首席记者",
    "本报", "摄影", "摄", "文", "图", "报道", "综合报道", "整理", "编译", "撰稿",
)
_STOP = re.compile(r"[|｜【】\[\]（）()<>《》“”\"'，。；;!！?？\d]")
_AUTHOR_LABEL = re.compile(
    r"(?:作者|作\s*者|撰文|文|记者|实习生|通讯员|特约记者|见习记者|首席记者|主笔|By|by)\s*[:：/]?\s*"
)
_EDITOR_LABEL = re.compile(r"(?:责任编辑|责编|编辑|主编|值班编辑|校对)\s*[:：]\s*")
_SOURCE_LABEL = re.compile(r"(?:来源|稿源|來源|出处|出自)\s*[:：]\s*")


def _names_after(text: str, pos: int, limit: int = 40) -> list[str]:
    """Names printed after a label: `王建宏 张文攀`, `宋怡、杨志华`, `芊草凡凡`."""
    chunk = text[pos : pos + limit]
    names: list[str] = []
    for token in re.split(r"[\s、,，/]+", chunk):
        token = token.strip("：: ")
        if not token:
            if names:
                continue
            continue
        cut = _STOP.search(token)
        if cut:
            token = token[: cut.start()]
            stop = True
        else:
            stop = False
        for role in sorted(_ROLE_WORDS, key=len, reverse=True):
            if token.startswith(role) and len(token) > len(role) and _NAME_TOKEN.match(token[len(role):]):
                token = token[len(role):]
                break
        if token in _ROLE_WORDS:
            if stop:
                break
            continue
        if re.search(r"编辑|来源|时间|日期|发布|责任|阅读|评论|点击|字号|分享|打印|关注|稿源", token):
            break
        if token and _NAME_TOKEN.match(token):
            names.append(token)
            if len(names) >= 6:
                break
        elif token:
            break
        if stop:
            break
    return names


def find_credits(text: str, zone: tuple[int, int, int], body: str | None) -> dict:
    """{"authors", "editor", "source"} printed in the header zone or at the text's end."""
    title_pos, body_start, body_end = zone
    if body_start < 0:
        return {}
    head_start = title_pos if 0 <= title_pos < body_start else max(0, body_start - 600)
    head = (head_start, min(len(text), body_start + 120))
    tail_start = body_end - 200 if body_end > 0 else body_start
    tail = (max(head[1], tail_start), min(len(text), (body_end if body_end > 0 else body_start) + 300))
    out: dict = {}
    authors: list[str] = []
    for start, end in (head, tail):
        segment = text[start:end]
        for match in _AUTHOR_LABEL.finditer(segment):
            label = match.group(0).strip(" ：:/")
            before = segment[max(0, match.start() - 1) : match.start()]
            if label == "文" and not (match.group(0).rstrip().endswith(("：", ":", "/")) or before in "（(【[ "):
                continue
            if label in ("by", "By") and not re.match(r"\s", segment[match.end() - 1 : match.end()] or " "):
                continue
            if before and re.match(r"[A-Za-z]", before) and label in ("by", "By"):
                continue
            for name in _names_after(segment, match.end()):
                if name not in authors:
                    authors.append(name)
        # `记者马俊峰/文`: the name before a trailing `/文`.
        for match in re.finditer(r"([\u4e00-\u9fff]{2,4})\s*/\s*(?:文|摄)", segment):
            name = match.group(1)
            for role in sorted(_ROLE_WORDS, key=len, reverse=True):
                if name.startswith(role) and len(name) - len(role) >= 2:
                    name = name[len(role):]
            if name not in authors and _NAME_TOKEN.match(name):
                authors.append(name)
        if "editor" not in out:
            match = _EDITOR_LABEL.search(segment)
            if match:
                names = _names_after(segment, match.end())
                if names:
                    out["editor"] = "、".join(names)
        if "source" not in out:
            match = _SOURCE_LABEL.search(segment)
            if match:
                value = re.split(r"\s{1,}|[|｜\]】）)]|作者|编辑|责任编辑|时间|日期", segment[match.end() : match.end() + 40].lstrip(" [【（("))[0]
                value = value.strip(" []【】（）()")
                if 2 <= len(value) <= 30 and not re.match(r"\d", value):
                    out["source"] = value
    # `（袁源）` or `（记者 X）` closing the text: the writer's signature.
    if body:
        last = body.strip().split("\n\n")[-1][-20:]
        match = re.search(r"[（(]\s*(?:[\u4e00-\u9fff]{0,6}记者\s*)?([\u4e00-\u9fff]{2,4}(?:\s+[\u4e00-\u9fff]{2,4})*)\s*[)）]\s*$", last)
        if match:
            for name in match.group(1).split():
                if name not in authors and name not in _ROLE_WORDS:
                    authors.append(name)
    if authors:
        out["authors"] = authors
    return out
