"""Chinese pages: the dates, bylines and credits they print as text around the article.

Chinese news pages rarely carry structured data; they print `2005年5月7日 21:23`,
`发布时间：2022-02-11 08:52`, `作者：X`, `本报记者 X Y`, `（记者 X）`, `编辑：X`, `责任编辑：X`,
`来源：X` between the headline and the text, or at the text's end (the source is read by
source.py). We read them from the
page's visible text in that zone (headline .. a little after the body), never from the
comments, related lists or sidebars further away.

Authors are the people credited for the text; the editor is its editor. One exception,
on principle: a page that credits no writer at all and names a single person as plain
`编辑：X` (never `责任编辑`, the desk editor) is a repost, blog or forum page whose poster is
the only person credited, so X is also the article's author of record.
"""

from __future__ import annotations

import re

from crawler.extraction.vocabulary import HAN, HAN_CHAR, KANA_HANGUL_CHAR
from crawler.normalize import collapse_whitespace, parse_date

OFFSET = "+08:00"  # China Standard Time: pages print it without an offset


def is_chinese(lang: str | None, sample: str) -> bool:
    if lang:
        lang = lang.lower()
        if lang.startswith("zh"):
            return True
        if lang.startswith(("ja", "ko")):
            return False
    sample = sample[:3000]
    han = len(HAN_CHAR.findall(sample))
    return han >= 20 and han > 0.3 * len(sample.replace(" ", "")) and len(KANA_HANGUL_CHAR.findall(sample)) < han * 0.05


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

_NAME_TOKEN = re.compile(r"^(?:[" + HAN + r"·]{2,5}|[A-Za-z][A-Za-z0-9_.-]{1,24})$")
_ROLE_WORDS = (
    "本报记者", "本报实习生", "本报通讯员", "记者", "实习生", "通讯员", "特约记者", "见习记者", "首席记者",
    "本报", "摄影", "摄", "文", "图", "报道", "综合报道", "整理", "编译", "撰稿",
)
_STOP = re.compile(r"[|｜【】\[\]（）()<>《》“”\"'，,。；;!！?？\d]")
# Words of page furniture that have the shape of a name.
_NOT_NAMES = frozenset(
    "文章 相关 最新 动态 评论 打印 推荐 关闭 分享 收藏 返回 更多 点击 来源 编辑 我要 博客 联系 "
    "记者 作者 首页 登录 注册 下载 图片 视频 专题 热点 排行 阅读 全文 正文 上一页 下一页 字号 "
    "联系记者 发表评论 我要说说 我来说两句 进入 网友 留言 本报 本网 本刊 报道 新闻".split()
)
_AUTHOR_LABEL = re.compile(
    r"(?:作者|作\s*者|撰文|文|记者|实习生|通讯员|特约记者|见习记者|首席记者|主笔|By|by)\s*[:：/]?\s*"
)
_EDITOR_LABEL = re.compile(r"(?:责任编辑|责编|编辑|主编|值班编辑|校对)\s*[:：]\s*")
# `记者马俊峰/文`: a name before a trailing `/文`.
_SLASH_BYLINE = re.compile(r"([" + HAN + r"]{2,10})\s*/\s*文")
# `2004年7月16日08:19 [ 黄宇 ]`: a bracketed name right after the time.
_BRACKETED_NAME = re.compile(r"\d{1,2}[:：]\d{2}\s*[\[【]\s*([" + HAN + r"]{2,4})\s*[\]】]")
# `（袁源）`, `（记者 X）` closing the text.
_SIGNATURE = re.compile(
    r"[（(]\s*(?:[" + HAN + r"]{0,6}记者\s*)?([" + HAN + r"]{2,4}(?:\s+[" + HAN + r"]{2,4})*)\s*[)）]\s*$"
)


def _names_after(text: str, pos: int, limit: int = 40) -> list[str]:
    """Names printed after a label: `王建宏 张文攀`, `宋怡、杨志华`, `芊草凡凡`. Stops at the
    first token that is not a name, so the text that follows never leaks in."""
    chunk = text[pos : pos + limit]
    names: list[str] = []
    for token in re.split(r"[\s、/]+", chunk):
        token = token.strip("：: ")
        if not token:
            continue
        cut = _STOP.search(token)
        closing = False
        if cut:
            closing = token[cut.start()] in "）)】]|｜"
            if not closing:
                break  # `土豆，听名字就...`: a sentence, not a name
            token = token[: cut.start()]
        for role in sorted(_ROLE_WORDS, key=len, reverse=True):
            if token.startswith(role) and len(token) > len(role) and _NAME_TOKEN.match(token[len(role):]):
                token = token[len(role):]
                break
        if token in _ROLE_WORDS:
            if closing:
                break
            continue
        if re.search(r"编辑|来源|时间|日期|发布|责任|阅读|评论|点击|字号|分享|打印|关注|稿源|简介|新闻|报道|频道|网", token):
            break
        if token in _NOT_NAMES or (names and HAN_CHAR.match(token) and len(token) > 3):
            break  # `宋怡 杨志华 我要说说`: page furniture after the names
        if token and _NAME_TOKEN.match(token):
            names.append(token)
            if len(names) >= 6:
                break
        elif token:
            break
        if closing:
            break
    return names


def find_credits(text: str, zone: tuple[int, int, int], body: str | None, title: str | None = None) -> dict:
    """{"authors", "editor"} printed in the header zone or at the text's end (the credited
    source: source.chinese_source)."""
    title_pos, body_start, body_end = zone
    if body_start < 0:
        return _credits_without_body(text)
    head_start = title_pos if 0 <= title_pos < body_start else max(0, body_start - 600)
    # Bylines often open the text itself: `光明日报记者 王建宏 张文攀` before the first sentence.
    head = (head_start, min(len(text), body_start + 80))
    end = body_end if body_end > 0 else body_start
    tail = (max(head[1], end - 40), min(len(text), end + 300))
    out: dict = {}
    authors: list[str] = []
    posted_by = None
    for start, end in (head, tail):
        segment = text[start:end]
        for match in _AUTHOR_LABEL.finditer(segment):
            label = match.group(0).strip(" ：:/")
            before = segment[max(0, match.start() - 1) : match.start()]
            if label == "文" and not (match.group(0).rstrip().endswith(("：", ":", "/")) or (before and before in "（(【[")):
                continue
            if label in ("记者", "实习生", "通讯员") and before and not re.match(r"[\s（(【\[□■●报台网社道本总站刊]", before):
                continue  # `据记者采访了解`: the word in a sentence, not a byline
            if label in ("by", "By"):
                # Forums print `发布时间 2005/03/15 22:36:13 by duscha`; `Powered by X` is not one.
                if not re.search(r"\d\s*$", segment[max(0, match.start() - 3) : match.start()]):
                    continue
            for name in _names_after(segment, match.end()):
                if name not in authors:
                    authors.append(name)
        # `记者马俊峰/文`: the name before a trailing `/文`.
        for match in _SLASH_BYLINE.finditer(segment):
            name = re.split(r"记者|通讯员|实习生|撰稿|作者", match.group(1))[-1]
            if 2 <= len(name) <= 4 and name not in authors:
                authors.append(name)
        # Blogs and forums: `由海姑娘张贴 @ ...`, `ggjjzhzz 发表于 2005-9-15`.
        for match in re.finditer(r"由\s*(\S{2,20}?)\s*(?:张贴|发表|发布)|(\S{2,20})\s+发表于\s*(?:19|20)\d\d", segment):
            name = match.group(1) or match.group(2)
            if _NAME_TOKEN.match(name) and name not in authors:
                authors.append(name)
        # `2004年7月16日08:19 [ 黄宇 ]`: a bracketed name right after the date.
        for match in _BRACKETED_NAME.finditer(segment):
            if match.group(1) not in authors:
                authors.append(match.group(1))
        if "editor" not in out:
            match = _EDITOR_LABEL.search(segment)
            if match:
                names = _names_after(segment, match.end())
                if names:
                    out["editor"] = "、".join(names)
                    if match.group(0).startswith("编辑") and len(names) == 1:
                        posted_by = names[0]
    # `（袁源）` or `（记者 X）` closing the text: the writer's signature.
    if body:
        last = body.strip().split("\n\n")[-1][-20:]
        match = _SIGNATURE.search(last)
        if match:
            for name in match.group(1).split():
                if name not in authors and name not in _ROLE_WORDS:
                    authors.append(name)
    if not authors:
        lone = _name_after_title(text, zone, title)
        if lone:
            authors = lone
    if not authors and posted_by:
        # A page that credits no writer and names one person as plain `编辑` (not the
        # desk's `责任编辑`): reposts, blogs and forum pages where whoever put the text up is
        # the only person credited for it. That person is the article's author of record,
        # and stays its editor too.
        authors = [posted_by]
    if authors:
        out["authors"] = authors
    return out


def _name_after_title(text: str, zone: tuple[int, int, int], title: str | None) -> list[str]:
    """Essays, blogs and forums print the writer's name alone between the headline and the
    text: `犬儒病(上) 胡平 ——当代中国的精神危机`, `《清洁》：东方式内敛与摇滚现实绘 眉间尺 不得不承认`."""
    title_pos, body_start, _ = zone
    title = collapse_whitespace(title)
    if title_pos < 0 or body_start < 0 or not title:
        return []
    k = 0
    printed = text[title_pos : title_pos + len(title)]
    while k < len(printed) and printed[k] == title[k]:
        k += 1
    if k < 4:
        return []
    headline = title[:k]
    pos = title_pos
    while 0 <= pos <= body_start + 300:
        parts = _lone_name(text, pos + k, body_start)
        if parts:
            return parts
        pos = text.find(headline, pos + k)
    return []


def _lone_name(text: str, start: int, body_start: int) -> list[str]:
    match = re.compile(r"\s*(\S+)\s*(\S{0,40})").match(text, start)
    if not match:
        return []
    token, following = match.group(1), match.group(2)
    prose_follows = len(following) >= 15 and re.search(r"[，。！？]", following)
    if not (prose_follows or following.startswith(("—", "【", "（", "("))):
        return []
    if token in _NOT_NAMES:
        return []
    parts = [p for p in re.split(r"[、,，]", token) if p]
    if not parts or len(parts) > 4 or not all(_NAME_TOKEN.match(p) and len(p) <= 16 for p in parts):
        return []
    if any(HAN_CHAR.search(p) and len(p) > 4 for p in parts):
        return []
    return parts


def _credits_without_body(text: str) -> dict:
    """When the text could not be located in the page, only the unambiguous credits count,
    and only their first occurrence (later ones sign comments)."""
    patterns = (
        re.compile(r"作\s*者\s*[:：]\s*"),
        re.compile(r"(?<=\d\d:\d\d:\d\d) by "),
    )
    candidates = []
    for pattern in patterns:
        match = pattern.search(text)
        if match:
            names = _names_after(text, match.end())
            if names:
                candidates.append((match.start(), names))
    match = re.search(r"由\s*(\S{2,20}?)\s*(?:张贴|发表|发布)|(\S{2,20})\s+发表于\s*(?:19|20)\d\d", text)
    if match:
        name = match.group(1) or match.group(2)
        if _NAME_TOKEN.match(name):
            candidates.append((match.start(), [name]))
    if not candidates:
        return {}
    return {"authors": min(candidates)[1]}
