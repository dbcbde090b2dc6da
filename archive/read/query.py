"""The search query language: a user's query parsed into terms and operators (FTS5's syntax:
phrases, prefixes, AND / OR / NOT, NEAR, title: and body:), with stray punctuation quoted or
dropped, checked (each mistake a QuerySyntaxError saying what to write instead), and written
back as the expression the word index (`articles_fts`) matches. The trigram index's
expression needs the index's vocabulary: archive/read/planning.py."""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from typing import Any

from archive.read.errors import EmptyQueryError, QuerySyntaxError, QueryTooLongError
from archive.schema import CJK_CLASS

MAX_QUERY_CHARS = 1000
# Parentheses nest at most this deep (FTS5's parser overflows near 100; no one needs 20).
MAX_NESTING = 20
# Error messages quote at most this much of a query.
EXCERPT_CHARS = 40

# The index a query is searched in, by its script: words (unicode61, Porter stemming), or
# trigrams for text in scripts written without spaces (CJK).
WORDS = "words"
TRIGRAM = "trigram"

_CJK = re.compile(CJK_CLASS)
_TOKEN = re.compile(r'"(?:[^"]|"")*"\*?|[()]|[^\s()"]+|"')
_BAREWORD = re.compile(r"^[\w\x1a\u0080-\U0010ffff]+$")
_WORDISH = re.compile(r"\w")
_COLUMN = re.compile(r"^(title|body):(.*)$", re.S)
OPERATORS = ("AND", "OR", "NOT")


@dataclass(frozen=True)
class Term:
    text: str  # the literal, unquoted
    prefix: bool = False  # `word*`
    initial: bool = False  # `^word`


@dataclass
class ParsedQuery:
    """A user's query made safe for FTS5: stray punctuation quoted or dropped, operators kept."""

    text: str
    parts: list[Any]  # Term, or an operator / syntax string: AND OR NOT NEAR ( ) , N title: body:
    index: str = WORDS  # WORDS or TRIGRAM

    @property
    def terms(self) -> list[Term]:
        return [p for p in self.parts if isinstance(p, Term)]

    @property
    def only_and(self) -> bool:
        return all(isinstance(p, Term) or p == "AND" for p in self.parts)


def quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def excerpt(text: str, width: int = EXCERPT_CHARS) -> str:
    """`text` as a message may show it: quoted, its first `width` characters at most, and
    anything unprintable escaped (a query, or FTS5's words about it, may hold any character)."""
    shown = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text[:width])
    if len(text) > width or len(shown) > width:
        shown = shown[:width] + "…"
    return f"'{shown}'"


def _near_error(problem: str) -> QuerySyntaxError:
    return QuerySyntaxError(f"bad NEAR in search query: {problem}; write NEAR(steel plant) or NEAR(steel plant, 5)")


def _check_near(group: list[Any]) -> None:
    """A NEAR group's parts between its parentheses: words and phrases, then optionally
    a comma and a distance."""
    words = 0
    while words < len(group) and isinstance(group[words], Term):
        words += 1
    rest = group[words:]
    if not words:
        raise _near_error("NEAR( ) holds no words")
    if rest and (rest[0] != "," or len(rest) != 2 or not str(rest[1]).isdigit()):
        raise _near_error("after the words, only a comma and a distance (a whole number) may follow")


def _term(token: str, *, near: bool = False) -> Term | None:
    """The term a bare token searches for (None if it holds no word character)."""
    initial = token.startswith("^")
    prefix = token.endswith("*")
    word = token[1 if initial else 0: -1 if prefix else None]
    if not _WORDISH.search(word):
        return None
    if near and (initial or _COLUMN.match(token) or token in OPERATORS):
        raise _near_error(f"{excerpt(token)} cannot go inside NEAR( ): only words and \"phrases\" can")
    return Term(word, prefix=prefix, initial=initial)


def parse_query(query: str) -> ParsedQuery:
    """Split a query into terms and FTS5 operators; choose the index by its script.

    Raises EmptyQueryError, QueryTooLongError or QuerySyntaxError (unbalanced quotes or
    parentheses, parentheses nested too deep, a malformed NEAR group); each message
    quotes at most a short excerpt of the query."""
    if query is None or not query.strip():
        raise EmptyQueryError("empty search query: give one or more words")
    if len(query) > MAX_QUERY_CHARS:
        raise QueryTooLongError(f"search query too long: {len(query):,} characters, at most {MAX_QUERY_CHARS:,}")
    parts: list[Any] = []
    depth = 0
    near_at: int | None = None  # where in `parts` the NEAR group being read starts (its "(")
    tokens = _TOKEN.findall(query)
    for i, token in enumerate(tokens):
        if token == '"':
            raise QuerySyntaxError('unbalanced double quote in search query: close the phrase, e.g. "science park"')
        if token.startswith('"'):
            prefix = token.endswith("*")
            inner = token[1:-2 if prefix else -1].replace('""', '"')
            if _WORDISH.search(inner):
                parts.append(Term(inner, prefix=prefix))
            continue
        if token == "(":
            if near_at is not None:
                raise _near_error("parentheses cannot go inside NEAR( )")
            depth += 1
            if depth > MAX_NESTING:
                raise QuerySyntaxError(f"search query nests parentheses more than {MAX_NESTING} deep")
            if parts and parts[-1] == "NEAR":
                near_at = len(parts)
            parts.append(token)
            continue
        if token == ")":
            if not depth:
                raise QuerySyntaxError("unbalanced parentheses in search query: a ')' without its '('")
            if near_at is not None:
                _check_near(parts[near_at + 1:])
                near_at = None
            depth -= 1
            parts.append(token)
            continue
        if near_at is not None:
            # Inside NEAR( ): words and phrases, then ", N" (written "b, 5", "b,5", "b ,5" ...).
            word, comma, distance = token.partition(",")
            if comma or (token.isdigit() and parts[-1] == ","):
                term = _term(word, near=True) if word and not token.isdigit() else None
                if term:
                    parts.append(term)
                if comma:
                    parts.append(",")
                if distance or token.isdigit():
                    parts.append(distance or token)
            else:
                term = _term(token, near=True)
                if term:
                    parts.append(term)
            continue
        if token in OPERATORS:
            parts.append(token)
            continue
        if token == "NEAR" and i + 1 < len(tokens) and tokens[i + 1] == "(":
            parts.append("NEAR")
            continue
        column = _COLUMN.match(token)
        if column:
            parts.append(column.group(1) + ":")
            token = column.group(2)
            if not token:
                continue
        term = _term(token)
        if term:
            parts.append(term)
    if near_at is not None:
        raise _near_error("NEAR( is not closed")
    if depth:
        raise QuerySyntaxError("unbalanced parentheses in search query: a '(' without its ')'")
    if not any(isinstance(p, Term) for p in parts):
        if any(p in OPERATORS + ("NEAR",) for p in parts):
            raise QuerySyntaxError(
                f"search query {excerpt(query)} has an operator but no words: AND, OR and NOT go between words; "
                'quote them to search for the words themselves ("and")'
            )
        raise EmptyQueryError(f"search query {excerpt(query)} has no words to search for")
    index = TRIGRAM if _CJK.search(query) else WORDS
    return ParsedQuery(query, parts, index)


def words_expression(parsed: ParsedQuery) -> str:
    """The FTS5 expression for the word index."""
    out = []
    for part in parsed.parts:
        if isinstance(part, Term):
            text = part.text if _BAREWORD.match(part.text) and part.text not in OPERATORS + ("NEAR",) else quote(part.text)
            out.append(("^" if part.initial else "") + text + ("*" if part.prefix else ""))
        else:
            out.append(part)
    return " ".join(out).replace("( ", "(").replace(" )", ")").replace(" ,", ",")


def loosened_expression(parsed: ParsedQuery) -> str | None:
    """The query with each phrase and NEAR group made an AND of its words, when it has
    any and no NOT (which a loosened phrase would narrow); else None."""
    has_phrase = any(isinstance(p, Term) and len(re.findall(r"\w+", p.text)) > 1 for p in parsed.parts)
    if "NOT" in parsed.parts or not (has_phrase or "NEAR" in parsed.parts):
        return None
    out: list[str] = []
    parts = iter(parsed.parts)
    for part in parts:
        if part == "NEAR":
            continue
        if part == "," and out:
            next(parts, None)  # NEAR's distance
            continue
        if isinstance(part, Term):
            words = re.findall(r"\w+", part.text)
            if len(words) > 1:
                out.append("(" + " AND ".join(quote(w) for w in words) + ")")
                continue
            out.append(words_expression(ParsedQuery(part.text, [part])))
            continue
        out.append(part)
    return " ".join(out).replace("( ", "(").replace(" )", ")")


def query_error(query: str, exc: sqlite3.OperationalError) -> QuerySyntaxError:
    """What FTS5 said about a query it refused, for the user."""
    message = str(exc).removeprefix("fts5: ")
    if "no such column" in message:
        column = message.split(":", 1)[-1].strip()
        return QuerySyntaxError(f"bad search query: {excerpt(column)} is not a column (title: or body: are); "
                                "quote a phrase holding a colon")
    if "syntax error" in message:
        near = message.partition(" near ")[2].strip('"')
        where = f"near {excerpt(near)}" if near else "at its end"
        return QuerySyntaxError(
            f"bad search query: syntax error {where}; AND, OR, NOT need words on both sides, "
            'quote them to search for the words themselves ("and")'
        )
    if "unknown special query" in message:
        return QuerySyntaxError("bad search query: a query cannot start with '*'")
    return QuerySyntaxError(f"bad search query {excerpt(query)}: {excerpt(message, 80)}")
