"""Finding and reading articles in the archive: the library behind `newsarchive search`,
`show`, `stats` and `export`, the Datasette plugin and the search benchmark.

Two full-text indexes, chosen by the query's script:

- `articles_fts` (words, Porter stemming: "reported" finds "reports"), for queries in
  Latin and other space-separated scripts, with FTS5's syntax: phrases ("science park"),
  prefixes (zhongguan*), AND / OR / NOT, NEAR(a b, 5), column filters (title: ...);
- `articles_trigram` (every three characters; detail=none), for queries holding CJK text,
  which has no spaces between words. A term of three characters is one trigram; a longer
  one is all of its trigrams, then checked against the text; a one- or two-character term
  (most Chinese words have two) is, when rare, every indexed trigram that starts with it,
  and when common is looked for in the text of the newest articles with CJK text.

Ranking (BM25, headline words count five times) is done over a bounded window: the
`candidates` most recently archived matches (rowid order, which FTS5 walks without
scoring), fewer when scoring takes over RANK_SECONDS. A rare word's matches all fit in the
window, so its ranking is exact; a word in 40% of the archive is ranked among its newest
1,000 matches instead of scoring 400,000 (`SearchResult.window_full` says so). Matches
past the window are counted briefly and the rest estimated (`total_exact` is then False).

Everything raises a `SearchError` subclass with a one-line message for the user.
"""

from __future__ import annotations

import difflib
import json
import math
import os
import re
import sqlite3
import time
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Any, Iterator, Sequence

from sqlite_utils import Database

from archive import dedupe
from archive.identity import ArchiveError, connect_readonly
from archive.schema import CJK_CLASS, pending_migrations
from archive.record import ARCHIVED_FIELDS, row_to_record

MAX_QUERY_CHARS = 1000
# Parentheses nest at most this deep (FTS5's parser overflows near 100; no one needs 20).
MAX_NESTING = 20
# Error messages quote at most this much of a query.
EXCERPT_CHARS = 40
DEFAULT_LIMIT = 20
MAX_LIMIT = 1000
# Ranked window: matches scored by BM25 at most, newest first.
DEFAULT_CANDIDATES = 1000
PHRASE_CANDIDATES = 500
# A one- or two-character CJK term is searched as the indexed trigrams starting with it
# when there are at most this many (a rare term); a common one is checked in the text of
# the newest articles instead, which soon finds enough of them.
MAX_EXPANSIONS = 64
# A filtered search walks the filter's index instead of the full-text matches when the
# filter leaves at most this many articles.
SELECTIVE_FILTER_ROWS = 20_000
# Site and date filters allowing up to this many articles bound the ids a search walks.
SCOPE_CAP = 200_000
# ... and the full-text expression matches at least this many.
COMMON_MATCHES = 5000
# BM25 weight of a headline word against a body word (archive.schema sets the same for `rank`).
TITLE_WEIGHT = 5.0
# Matches beyond the ranked window are counted up to this many, for at most this long;
# past either the count is a lower bound ("at least").
COUNT_CAP = 100_000
COUNT_SECONDS = 0.005
# Scoring stops after this long, ranking the newest matches scored so far (fewer than
# `candidates` only for phrases of very common words).
RANK_SECONDS = 0.040
SNIPPET_TOKENS = 16
SNIPPET_CHARS = 90

NO_TRIGRAM = "\ue000" * 3
_CJK = re.compile(CJK_CLASS)
_TOKEN = re.compile(r'"(?:[^"]|"")*"\*?|[()]|[^\s()"]+|"')
_BAREWORD = re.compile(r"^[\w\x1a\u0080-\U0010ffff]+$")
_WORDISH = re.compile(r"\w")
_COLUMN = re.compile(r"^(title|body):(.*)$", re.S)
OPERATORS = ("AND", "OR", "NOT")


class SearchError(Exception):
    """A search or lookup the archive cannot answer; the message is meant for the user."""


class QuerySyntaxError(SearchError):
    pass


class EmptyQueryError(QuerySyntaxError):
    pass


class QueryTooLongError(QuerySyntaxError):
    pass


class BadFilterError(SearchError):
    pass


class ArticleNotFoundError(SearchError):
    pass


class VersionNotFoundError(SearchError):
    pass


# -- opening ---------------------------------------------------------------------------


def connect(path: str | os.PathLike) -> Database:
    """Open an archive for reading only, also when the file, its directory or its mount is
    read-only (archive.identity.connect_readonly). Raises ArchiveError for a missing file,
    a file that is not a newsarchive archive (left untouched), or an archive whose schema
    needs migrating."""
    db = Database(connect_readonly(path))
    try:
        pending = pending_migrations(db)
    except sqlite3.DatabaseError as exc:
        db.close()
        raise ArchiveError(f"cannot read archive {path}: {exc}") from exc
    if pending:
        db.close()
        raise ArchiveError(
            f"archive {path} was written by an older version of newsarchive and needs migrating "
            f"({len(pending)} pending): the next crawl of it does that"
        )
    return db


# -- queries -----------------------------------------------------------------------------


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
    index: str = "words"  # "words" or "trigram"

    @property
    def terms(self) -> list[Term]:
        return [p for p in self.parts if isinstance(p, Term)]

    @property
    def only_and(self) -> bool:
        return all(isinstance(p, Term) or p == "AND" for p in self.parts)


def _quote(text: str) -> str:
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
    index = "trigram" if _CJK.search(query) else "words"
    return ParsedQuery(query, parts, index)


def words_expression(parsed: ParsedQuery) -> str:
    """The FTS5 expression for the word index."""
    out = []
    for part in parsed.parts:
        if isinstance(part, Term):
            text = part.text if _BAREWORD.match(part.text) and part.text not in OPERATORS + ("NEAR",) else _quote(part.text)
            out.append(("^" if part.initial else "") + text + ("*" if part.prefix else ""))
        else:
            out.append(part)
    return " ".join(out).replace("( ", "(").replace(" )", ")").replace(" ,", ",")


def _loosened(parsed: ParsedQuery) -> str | None:
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
                out.append("(" + " AND ".join(_quote(w) for w in words) + ")")
                continue
            out.append(words_expression(ParsedQuery(part.text, [part])))
            continue
        out.append(part)
    return " ".join(out).replace("( ", "(").replace(" )", ")")


def _trigrams(text: str) -> list[str]:
    text = text.lower()
    return list(dict.fromkeys(text[i:i + 3] for i in range(len(text) - 2)))


# -- filters -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    site: str | None = None
    source: str | None = None
    author: str | None = None
    since: str | None = None  # YYYY, YYYY-MM or YYYY-MM-DD, inclusive
    until: str | None = None  # same, inclusive
    language: str | None = None  # "zh" also matches "zh-CN"

    def __bool__(self) -> bool:
        return any(v for v in asdict(self).values())


def _parse_day(value: str, *, end: bool) -> str:
    """The first day of YYYY / YYYY-MM / YYYY-MM-DD, or the day after its last with end=True."""
    value = value.strip()
    try:
        if re.fullmatch(r"\d{4}", value):
            first = date(int(value), 1, 1)
            after = date(int(value) + 1, 1, 1)
        elif re.fullmatch(r"\d{4}-\d{2}", value):
            first = date.fromisoformat(value + "-01")
            after = date(first.year + first.month // 12, first.month % 12 + 1, 1)
        else:
            first = date.fromisoformat(value[:10])
            if len(value) > 10 and not re.fullmatch(r"T[\d:.]*([+-]\d\d:\d\d|Z)?", value[10:]):
                raise ValueError
            after = first + timedelta(days=1)
    except ValueError:
        raise BadFilterError(f"bad date {value!r}: use YYYY, YYYY-MM or YYYY-MM-DD") from None
    return (after if end else first).isoformat()


def filter_sql(filters: Filters | None, alias: str = "a") -> tuple[str, list[Any]]:
    """SQL conditions (joined with AND, or "") and their parameters for `filters`."""
    if not filters:
        return "", []
    clauses, params = [], []
    if filters.site:
        clauses.append(f"{alias}.site = ?")
        params.append(filters.site.lower().removeprefix("www."))
    if filters.source:
        clauses.append(f"{alias}.source = ?")
        params.append(filters.source)
    if filters.author:
        clauses.append(f"exists (select 1 from json_each({alias}.authors) where value like ? escape '\\')")
        params.append("%" + _like_escape(filters.author) + "%")
    if filters.since:
        clauses.append(f"{alias}.published >= ?")
        params.append(_parse_day(filters.since, end=False))
    if filters.until:
        clauses.append(f"{alias}.published < ?")
        params.append(_parse_day(filters.until, end=True))
    if filters.since and filters.until and params[-2] >= params[-1]:
        raise BadFilterError(f"--since {filters.since} is after --until {filters.until}")
    if filters.language:
        clauses.append(f"({alias}.language = ? or {alias}.language like ? escape '\\')")
        params += [filters.language, _like_escape(filters.language) + "-%"]
    return " and ".join(clauses), params


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# -- search ------------------------------------------------------------------------------


@dataclass
class Hit:
    id: int
    url: str
    title: str
    published: str | None
    site: str
    source: str | None
    language: str | None
    authors: list[str]
    score: float
    snippet: str


@dataclass
class SearchResult:
    query: str
    index: str  # "words", "trigram" or "scan"
    hits: list[Hit]
    total: int  # matches; an estimate when not total_exact (from how densely the newest match)
    total_exact: bool
    offset: int
    limit: int
    window: int  # how many matches were ranked
    window_full: bool  # True: more matches than the window; the newest `window` were ranked
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _Plan:
    table: str
    expression: str | None  # FTS5 MATCH expression, or None: scan articles
    verify: list[str]  # literals every hit must contain (lowercased), checked in SQL
    bm25: bool  # rank by the FTS table's BM25, else by term counts in Python
    notes: list[str]
    terms: list[str] = field(default_factory=list)  # to mark in snippets
    # The expression BM25 is computed with, when not `expression`: phrases and NEAR groups
    # loosened to AND (FTS5's bm25() counts the documents of every phrase over the whole
    # index first, which for a phrase of common words is a position check per article).
    rank_expression: str | None = None


def _plan(db, parsed: ParsedQuery) -> _Plan:
    plan = _plan_index(db, parsed)
    plan.terms = [t.text for t in parsed.terms]
    return plan


def _plan_index(db, parsed: ParsedQuery) -> _Plan:
    if parsed.index == "words":
        return _Plan("articles_fts", words_expression(parsed), [], True, [], rank_expression=_loosened(parsed))
    notes: list[str] = []
    unsupported = {"NEAR", "title:", "body:"} & {p for p in parsed.parts if isinstance(p, str)}
    if unsupported:
        raise QuerySyntaxError(
            f"{sorted(unsupported)[0].rstrip(':')} is not available for queries in Chinese, Japanese or Korean; "
            "use words, phrases, AND, OR, NOT and parentheses"
        )
    short = [t.text for t in parsed.terms if len(t.text) < 3]
    if short and not parsed.only_and:
        raise QuerySyntaxError(
            f"term {short[0]!r} is shorter than 3 characters: such terms can only be combined with AND "
            "(write a longer term to use OR / NOT)"
        )
    out: list[str] = []
    indexed = 0
    verify: list[str] = []
    scanned: list[str] = []
    for part in parsed.parts:
        if not isinstance(part, Term):
            out.append(part)
            continue
        text = part.text.lower()
        if len(text) >= 3:
            grams = _trigrams(text)
            out.append("(" + " ".join(_quote(g) for g in grams) + ")" if len(grams) > 1 else _quote(grams[0]))
            indexed += 1
            if len(text) > 3 and parsed.only_and:
                verify.append(text)
            continue
        verify.append(text)
        expansions = _expansions(db, text)
        if expansions:
            out.append("(" + " OR ".join(_quote(g) for g in expansions) + ")" if len(expansions) > 1
                       else _quote(expansions[0]))
            indexed += 1
        elif expansions == []:
            # No indexed trigram starts with it: no article holds it (but in the last two
            # characters of a title or body); a trigram of private-use characters matches nothing.
            out.append(_quote(NO_TRIGRAM))
            indexed += 1
        else:
            scanned.append(text)
    if scanned:
        notes.append(f"common short terms ({', '.join(scanned)}) are looked for in the text of the newest "
                     "articles first")
    if not indexed:
        return _Plan("articles", None, verify, False, notes)
    # FTS5 wants an explicit AND between parenthesised groups.
    joined: list[str] = []
    for item in out:
        if joined and joined[-1] not in OPERATORS + ("(",) and item not in OPERATORS + (")",):
            joined.append("AND")
        joined.append(item)
    # Ranked by BM25 computed here over the candidates' text: FTS5's bm25() needs term
    # positions, which a detail=none index recovers by re-reading and re-tokenising each
    # article, several times slower.
    return _Plan("articles_trigram", " ".join(joined).replace("( ", "(").replace(" )", ")"), verify, False, notes)


def _expansions(db, text: str) -> list[str] | None:
    """The indexed trigrams starting with a one- or two-character term, or None if there
    are more than MAX_EXPANSIONS (a common term)."""
    rows = db.execute(
        "select term from articles_trigram_vocab where term >= ? and term < ? limit ?",
        [text, text + "\U0010ffff", MAX_EXPANSIONS + 1],
    ).fetchall()
    return None if len(rows) > MAX_EXPANSIONS else [r[0] for r in rows]


def _connection(db) -> sqlite3.Connection:
    return db.conn if hasattr(db, "conn") else db


def search(
    db,
    query: str,
    *,
    filters: Filters | None = None,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
    candidates: int = DEFAULT_CANDIDATES,
    highlight: tuple[str, str] = ("[", "]"),
    snippets: bool = True,
) -> SearchResult:
    """Ranked full-text search. `db` is a sqlite_utils Database or sqlite3 Connection.

    Raises QuerySyntaxError (and its EmptyQueryError, QueryTooLongError) or BadFilterError."""
    conn = _connection(db)
    parsed = parse_query(query)
    if not 1 <= limit <= MAX_LIMIT:
        raise BadFilterError(f"limit must be between 1 and {MAX_LIMIT}")
    if offset < 0:
        raise BadFilterError("offset must not be negative")
    candidates = max(candidates, offset + limit)
    where, params = filter_sql(filters)
    try:
        plan = _plan(conn, parsed)
        if plan.expression is None:
            ranked, total, exact, full = _scan(conn, plan, where, params, candidates)
        else:
            ranked, total, exact, full = _ranked(conn, plan, where, params, candidates, filters, offset + limit)
    except sqlite3.OperationalError as exc:
        raise _query_error(query, exc) from None
    page = ranked[offset: offset + limit]
    hits = _hits(conn, page, plan, highlight, snippets)
    return SearchResult(
        query=query, index=plan.table.replace("articles_fts", "words").replace("articles_trigram", "trigram")
        .replace("articles", "scan"), hits=hits, total=total, total_exact=exact, offset=offset, limit=limit,
        window=min(len(ranked), candidates), window_full=full, notes=plan.notes,
    )


def _query_error(query: str, exc: sqlite3.OperationalError) -> QuerySyntaxError:
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


def _verify_sql(plan: _Plan, alias: str = "a") -> tuple[str, list[str]]:
    clauses = [f"(instr(lower({alias}.title), ?) or instr(lower({alias}.body), ?))" for _ in plan.verify]
    return " and ".join(clauses), [v for v in plan.verify for _ in (0, 1)]


def _ranked(conn, plan: _Plan, where: str, params: list, candidates: int, filters: Filters | None,
            offset_limit: int = 0):
    """(rowid, score) best first, total, total exact?, window full?

    The window is the newest `candidates` matches that pass the filters, found by walking
    the matches newest first (FTS5 walks its doclists in rowid order without scoring them)
    and looking each up in `articles`; for a common word and a selective site filter, by
    walking the site's index and looking each up in the full-text index instead. BM25 is
    computed for the window only: with the walk itself (the FTS5 `rank` column), which
    stops early when scoring takes over RANK_SECONDS (a phrase of very common words), or,
    for the site walk, in one pass over the window's rowid range (a rank lookup per rowid
    would recount each term's documents every time). Then the matches beyond the window
    are counted for at most COUNT_SECONDS, and the total estimated past that."""
    t = plan.table
    verify, vparams = _verify_sql(plan)
    conditions = " and ".join(c for c in (where, verify) if c)
    args = [plan.expression] + params + vparams
    bounds_ids: tuple[int, int] | None = None
    by_site = False
    if not conditions:
        base = f"from {t} f where {t} match ?"
    else:
        source, bounds = f"{t} f cross join articles a", ""
        scope = _indexed_scope(conn, filters) if filters else None
        if scope:
            rows, low, high = scope
            if rows == 0:
                return [], 0, True, False
            if rows <= SELECTIVE_FILTER_ROWS and _common(conn, plan):
                source, by_site = f"articles a cross join {t} f", True
            elif low is not None:
                # The articles the site / date filters allow lie within these ids: the walk
                # over the matches starts and stops there.
                bounds = f" and f.rowid between {int(low)} and {int(high)}"
                bounds_ids = (int(low), int(high))
        base = f"from {source} where {t} match ?{bounds} and a.id = f.rowid and {conditions}"
    if plan.bm25 and not by_site and not plan.rank_expression:
        rows, last, more = _ranked_walk(conn, f"select f.rowid, f.rank {base} order by f.rowid desc", args, candidates)
        ids = [r[0] for r in rows]
        total, exact = len(ids), not more
        if more:
            _, counted, exact, last = _walk(conn, f"select f.rowid {base} and f.rowid < ? order by f.rowid desc",
                                            args + [last], 0)
            total += counted
    else:
        if plan.rank_expression:
            # Ranking a phrase by its words walks all articles holding the words within the
            # window's ids: a smaller window for phrases and NEAR.
            candidates = max(offset_limit, min(candidates, PHRASE_CANDIDATES))
        ids, total, exact, last = _walk(conn, f"select f.rowid {base} order by f.rowid desc", args, candidates)
        rows = None
    if not ids:
        return [], 0, True, False
    window_full = total > len(ids)
    if not exact:
        total = _estimate(conn, total, last, *(bounds_ids or (None, None)))
    if rows is None:
        if plan.bm25:
            rows = conn.execute(
                f"select f.rowid, f.rank from {t} f where {t} match ? and f.rowid between ? and ? "
                "and +f.rowid in (select value from json_each(?))",
                [plan.rank_expression or plan.expression, min(ids), max(ids), json.dumps(ids)],
            ).fetchall()
        else:
            rows = _python_scores(conn, ids, plan.terms)
    rows = sorted(rows, key=lambda r: (r[1], -r[0]))
    return rows, total, exact, window_full


def _ranked_walk(conn, sql: str, args: list, candidates: int) -> tuple[list[tuple[int, float]], int | None, bool]:
    """Up to `candidates` (rowid, rank) rows of `sql`, fewer if scoring takes longer than
    RANK_SECONDS; returns them, the last rowid, and whether more rows may follow."""
    cursor = conn.execute(sql, args)
    rows: list[tuple[int, float]] = []
    deadline = time.perf_counter() + RANK_SECONDS
    while len(rows) < candidates:
        batch = cursor.fetchmany(min(100, candidates - len(rows)))
        rows.extend(batch)
        if len(batch) < min(100, candidates - len(rows) + len(batch)):
            return rows, rows[-1][0] if rows else None, False
        if time.perf_counter() > deadline:
            break
    cursor.close()
    return rows, rows[-1][0] if rows else None, True


def _walk(conn, sql: str, args: list, candidates: int) -> tuple[list[int], int, bool, int | None]:
    """The first `candidates` rowids `sql` yields (newest first), and how many it yields in
    all: counted on for at most COUNT_SECONDS after the window is full, and up to COUNT_CAP
    (a phrase of common words costs a position check per article holding both words).
    Returns (ids, count, whether the count is complete, the last rowid counted)."""
    cursor = conn.execute(sql, args)
    ids = [row[0] for row in cursor.fetchmany(candidates)] if candidates else []
    if len(ids) < candidates:
        return ids, len(ids), True, ids[-1] if ids else None
    count, last = len(ids), (ids[-1] if ids else None)
    deadline = time.perf_counter() + COUNT_SECONDS
    while True:
        rows = cursor.fetchmany(500)
        if not rows:
            return ids, count, True, last
        count += len(rows)
        last = rows[-1][0]
        if count >= COUNT_CAP or time.perf_counter() > deadline:
            cursor.close()
            return ids, count, False, last


def _estimate(conn, count: int, last: int | None, low: int | None = None, high: int | None = None) -> int:
    """All matches, estimated from the `count` found walking down from the newest id to
    `last`: as many again per id below it as above (ids within [low, high] if given)."""
    if last is None:
        return count
    if low is None or high is None:
        # Two subqueries: min() and max() together in one would scan the table.
        low, high = conn.execute("select (select min(id) from articles), (select max(id) from articles)").fetchone()
    walked = max(1, high - last + 1)
    return max(count, round(count * (high - low + 1) / walked, -2 if count > 1000 else 0))


def _common(conn, plan: _Plan) -> bool:
    """Whether the full-text expression alone matches many articles (a cheap, capped count)."""
    return conn.execute(
        f"select count(*) from (select rowid from {plan.table} where {plan.table} match ? limit {COMMON_MATCHES})",
        [plan.expression],
    ).fetchone()[0] >= COMMON_MATCHES


def _indexed_scope(conn, filters: Filters) -> tuple[int, int | None, int | None] | None:
    """For the indexed filters (site, since, until): how many articles they allow (up to
    SCOPE_CAP) and, below that cap, the lowest and highest id among them; None without such
    filters."""
    where, params = filter_sql(Filters(site=filters.site, since=filters.since, until=filters.until))
    if not where:
        return None
    rows, low, high = conn.execute(
        f"select count(*), min(id), max(id) from (select a.id from articles a where {where} limit {SCOPE_CAP + 1})",
        params,
    ).fetchone()
    return (rows, None, None) if rows > SCOPE_CAP else (rows, low, high)


def _scan(conn, plan: _Plan, where: str, params: list, candidates: int):
    """Terms no index can find (common one- and two-character CJK terms): the newest
    articles holding them all, by reading the text of the articles with CJK text (the
    rows of the trigram index's size table), newest first."""
    verify, vparams = _verify_sql(plan)
    conditions = " and ".join(c for c in (where, verify) if c)
    ids, total, exact, last = _walk(
        conn, f"select d.id from articles_trigram_docsize d cross join articles a on a.id = d.id "
        f"where {conditions} order by d.id desc", params + vparams, candidates)
    window_full = total > len(ids)
    if not exact:
        total = _estimate(conn, total, last)
    return _python_scores(conn, ids, plan.terms), total, exact, window_full


def _python_scores(conn, ids: Sequence[int], terms: Sequence[str]) -> list[tuple[int, float]]:
    """BM25 over the candidates' text, counting substrings (for CJK terms, which have no
    word boundaries): a headline occurrence counts TITLE_WEIGHT times; document
    frequencies are taken within the candidates. Scores are negative, best first, as
    FTS5's bm25() gives them."""
    terms = [t.lower() for t in dict.fromkeys(terms) if t]
    docs: list[tuple[int, list[int], int]] = []
    for start in range(0, len(ids), 500):
        chunk = list(ids[start: start + 500])
        marks = ",".join("?" * len(chunk))
        for rowid, title, body in conn.execute(f"select id, title, body from articles where id in ({marks})", chunk):
            title, body = (title or "").lower(), (body or "").lower()
            docs.append((rowid, [TITLE_WEIGHT * title.count(t) + body.count(t) for t in terms], len(title) + len(body)))
    if not docs:
        return []
    n = len(docs)
    average = sum(d[2] for d in docs) / n or 1.0
    idf = [math.log((n - df + 0.5) / (df + 0.5) + 1.0)
           for df in (sum(1 for d in docs if d[1][i]) for i in range(len(terms)))]
    k1, b = 1.2, 0.75
    scored = [
        (rowid, -sum(idf[i] * tf * (k1 + 1) / (tf + k1 * (1 - b + b * length / average))
                     for i, tf in enumerate(tfs) if tf))
        for rowid, tfs, length in docs
    ]
    scored.sort(key=lambda r: (r[1], -r[0]))
    return [(rowid, round(score, 4)) for rowid, score in scored]


def _hits(conn, page, plan: _Plan, highlight, snippets: bool) -> list[Hit]:
    if not page:
        return []
    ids = [r[0] for r in page]
    rows = {
        r[0]: r
        for r in conn.execute(
            "select id, url, title, published, site, source, language, authors, body from articles "
            f"where id in ({','.join('?' * len(ids))})", ids,
        )
    }
    hits = []
    for rowid, score in page:
        r = rows.get(rowid)
        if r is None:  # deleted while we searched
            continue
        snippet = ""
        if snippets:
            snippet = _fts_snippet(conn, rowid, plan, highlight) if plan.table == "articles_fts" else None
            if not snippet:
                snippet = text_snippet(r[8] or "", plan.terms, highlight)
        hits.append(Hit(id=r[0], url=r[1], title=r[2], published=r[3], site=r[4], source=r[5], language=r[6],
                        authors=json.loads(r[7]) if r[7] else [], score=round(float(score), 4), snippet=snippet))
    return hits


def _fts_snippet(conn, rowid: int, plan: _Plan, highlight) -> str:
    row = conn.execute(
        "select snippet(articles_fts, -1, ?, ?, '…', ?) from articles_fts where articles_fts match ? and rowid = ?",
        [highlight[0], highlight[1], SNIPPET_TOKENS, plan.expression, rowid],
    ).fetchone()
    text = row[0] if row else ""
    return re.sub(r"\s+", " ", text).strip()


def text_snippet(body: str, terms: Sequence[str], highlight=("[", "]"), width: int = SNIPPET_CHARS) -> str:
    """A window of `body` around the first of `terms`, each occurrence marked."""
    lower = body.lower()
    found = [(lower.find(t.lower()), t) for t in terms if t and lower.find(t.lower()) >= 0]
    if not found:
        text = body[:width]
        return re.sub(r"\s+", " ", text) + ("…" if len(body) > width else "")
    start = max(0, min(found)[0] - width // 3)
    end = min(len(body), start + width)
    window = body[start:end]
    pattern = re.compile("|".join(re.escape(t) for _, t in sorted(found, key=lambda f: -len(f[1]))), re.I)
    window = pattern.sub(lambda m: f"{highlight[0]}{m.group(0)}{highlight[1]}", window)
    window = re.sub(r"\s+", " ", window)
    return ("…" if start else "") + window + ("…" if end < len(body) else "")


# -- reading articles ----------------------------------------------------------------------


def find_article(db, ref: str | int) -> int:
    """The id of the article `ref` names: its id, or any URL it was archived under (another
    form of it too: http/https, www, tracking parameters). Raises ArticleNotFoundError."""
    conn = _connection(db)
    text = str(ref).strip()
    if re.fullmatch(r"\d{1,18}", text):
        row = conn.execute("select id from articles where id = ?", [int(text)]).fetchone()
    elif "://" in text:
        row = conn.execute("select article_id from article_urls where url_key = ?", [dedupe.url_key(text)]).fetchone()
        if row is None:
            row = conn.execute("select article_id from duplicates where url_key = ?", [dedupe.url_key(text)]).fetchone()
    else:
        raise ArticleNotFoundError(f"{text[:80]!r} is neither an article id nor a URL")
    if row is None:
        raise ArticleNotFoundError(f"no article {text[:200]!r} in the archive")
    return int(row[0])


def _dict_rows(conn, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    cursor = conn.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor]


def get_article(db, ref: str | int) -> dict[str, Any]:
    """The archived record (DESIGN.md's fields, with `id`, `first_seen`, `last_seen`), plus
    `urls` it was seen under, `versions` (oldest first; the last is the current text) and
    `duplicates` (pages recorded as copies of it)."""
    conn = _connection(db)
    article_id = find_article(conn, ref)
    row = _dict_rows(conn, "select * from articles where id = ?", [article_id])[0]
    related = _dict_rows(conn, "select title, url, published from related where article_id = ? order by position",
                         [article_id])
    record = row_to_record(row, related)
    record["urls"] = [r[0] for r in conn.execute(
        "select url from article_urls where article_id = ? order by first_seen, url", [article_id])]
    record["versions"] = [
        {k: v for k, v in version.items() if k not in ("body", "authors")}
        for version in versions(conn, article_id)
    ]
    record["duplicates"] = _dict_rows(
        conn, "select url, title, reason, similarity, first_seen, last_seen from duplicates where article_id = ? "
        "order by first_seen", [article_id])
    return record


VERSION_FIELDS = ("title", "published", "updated", "source", "authors", "editor", "body")


def versions(db, article_id: int) -> list[dict[str, Any]]:
    """Every text the article has had, oldest first, numbered from 1; the last is current."""
    conn = _connection(db)
    out = []
    for n, rev in enumerate(_dict_rows(
        conn, "select title, published, updated, source, authors, editor, body, content_hash, fetched_at, "
        "first_seen, superseded_at from revisions where article_id = ? order by id", [article_id]), start=1):
        out.append({"version": n, "current": False, **rev})
    current = _dict_rows(conn, "select title, published, updated, source, authors, editor, body, content_hash, "
                         "fetched_at, first_seen, last_seen from articles where id = ?", [article_id])
    if not current:
        raise ArticleNotFoundError(f"no article {article_id} in the archive")
    out.append({"version": len(out) + 1, "current": True, **current[0]})
    return out


def parse_version_range(spec: str, count: int) -> tuple[int, int]:
    """"A..B" (B defaults to the current version, A to the one before B), "A" (A..current)."""
    text = spec.strip().lower().replace("current", str(count)).replace("latest", str(count))
    match = re.fullmatch(r"(\d*)(?:\.\.(\d*))?", text)
    if not match or not (match.group(1) or match.group(2)):
        raise VersionNotFoundError(f"bad version range {spec!r}: use A..B, e.g. 1..2 or 1..current")
    b = int(match.group(2)) if match.group(2) else count
    a = int(match.group(1)) if match.group(1) else b - 1
    for v in (a, b):
        if not 1 <= v <= count:
            raise VersionNotFoundError(f"no version {v}: this article has versions 1..{count}")
    return a, b


def diff_versions(db, article_id: int, a: int, b: int) -> str:
    """A unified diff from version `a` to version `b`: changed metadata lines, then the
    title and the body paragraph by paragraph."""
    all_versions = versions(db, article_id)
    count = len(all_versions)
    for v in (a, b):
        if not 1 <= v <= count:
            raise VersionNotFoundError(f"no version {v}: this article has versions 1..{count}")

    def lines(version: dict[str, Any]) -> list[str]:
        out = [f"{name}: {version.get(name) or ''}" for name in VERSION_FIELDS if name != "body"]
        out.append("")
        for paragraph in (version.get("body") or "").split("\n\n"):
            out.extend(paragraph.splitlines() or [""])
            out.append("")
        return out

    va, vb = all_versions[a - 1], all_versions[b - 1]
    label = lambda v: f"version {v['version']}{' (current)' if v['current'] else ''} {v.get('superseded_at') or v.get('last_seen') or ''}".rstrip()  # noqa: E731
    diff = difflib.unified_diff(lines(va), lines(vb), fromfile=label(va), tofile=label(vb), lineterm="")
    return "\n".join(diff)


# -- statistics and export ----------------------------------------------------------------

FILL_FIELDS = {
    "canonical_url": "canonical_url is not null and canonical_url != ''",
    "published": "published is not null and published != ''",
    "updated": "updated is not null and updated != ''",
    "source": "source is not null and source != ''",
    "authors": "authors is not null and authors not in ('', '[]')",
    "editor": "editor is not null and editor != ''",
    "language": "language is not null and language != ''",
    "related": "exists (select 1 from related r where r.article_id = articles.id)",
    "copyright": "copyright_text is not null and copyright_text != ''",
}


def stats(db, *, top: int = 50) -> dict[str, Any]:
    """Counts for a quick look at an archive: totals, articles per site and source, per
    month, field fill rates per site (share of articles with the field), duplicates by
    reason, revisions."""
    conn = _connection(db)
    one = lambda sql: conn.execute(sql).fetchone()[0]  # noqa: E731
    fills = ", ".join(f"round(avg({cond}), 3) as [{name}]" for name, cond in FILL_FIELDS.items())
    return {
        "totals": {
            "articles": one("select count(*) from articles"),
            "sites": one("select count(distinct site) from articles"),
            "related": one("select count(*) from related"),
            "revisions": one("select count(*) from revisions"),
            "revised_articles": one("select count(distinct article_id) from revisions"),
            "duplicates": one("select count(*) from duplicates"),
        },
        "per_site_source": _dict_rows(conn, "select site, source, count(*) as articles from articles "
                                      "group by site, source order by articles desc, site, source limit ?", [top]),
        "per_month": _dict_rows(conn, "select month, count(*) as articles from articles group by month "
                                "order by month desc limit ?", [top]),
        "fill_rates": _dict_rows(conn, f"select site, count(*) as articles, {fills} from articles "
                                 "group by site order by articles desc, site limit ?", [top]),
        "duplicates": _dict_rows(conn, "select reason, count(*) as pages, count(distinct article_id) as articles "
                                 "from duplicates group by reason order by pages desc"),
        "most_revised": _dict_rows(conn, "select v.article_id as id, a.title, count(*) as revisions from revisions v "
                                   "join articles a on a.id = v.article_id group by v.article_id "
                                   "order by revisions desc, id limit 10"),
    }


# An archived record's fields (archive/record.py) in an export's order: the long body last.
EXPORT_FIELDS = (*(f for f in ARCHIVED_FIELDS if f != "body"), "body")


def export_records(db, query: str | None = None, *, filters: Filters | None = None,
                   limit: int | None = None) -> Iterator[dict[str, Any]]:
    """Every article matching `query` (all of them with no query) and `filters`, as records,
    oldest first (by id), streamed: for pandas, `pd.read_json(path, lines=True)`."""
    conn = _connection(db)
    where, params = filter_sql(filters)
    ids_sql = None
    if query is not None:
        parsed = parse_query(query)
        plan = _plan(conn, parsed)
        verify, vparams = _verify_sql(plan)
        where = " and ".join(c for c in (where, verify) if c)
        params = params + vparams
        if plan.expression is not None:
            ids_sql = f"select rowid from {plan.table} where {plan.table} match ?"
            params = [plan.expression] + params
    sql = "select * from articles a"
    conditions = [c for c in ((f"a.id in ({ids_sql})" if ids_sql else ""), where) if c]
    if conditions:
        sql += " where " + " and ".join(conditions)
    sql += " order by a.id"
    if limit is not None:
        sql += f" limit {int(limit)}"
    try:
        cursor = conn.execute(sql, params)
        names = [d[0] for d in cursor.description]
        for row in cursor:
            data = dict(zip(names, row))
            related = _dict_rows(conn, "select title, url, published from related where article_id = ? "
                                 "order by position", [data["id"]])
            record = row_to_record(data, related)
            yield {name: record.get(name) for name in EXPORT_FIELDS}
    except sqlite3.OperationalError as exc:
        raise _query_error(query or "", exc) from None
