"""The text of an element as a reader sees it: on one line, by lines, or all of a page's
visible text in document order (scripts, styles and form controls never count)."""

from __future__ import annotations

import re
from copy import deepcopy

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
