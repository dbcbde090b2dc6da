"""Ranked full-text search: `search()`, the function behind `newsarchive search`, the
Datasette plugin's search page and the search benchmark; its result types; snippets.

Two full-text indexes, chosen by the query's script (archive/read/planning.py):

- `articles_fts` (words, Porter stemming: "reported" finds "reports"), for queries in
  Latin and other space-separated scripts, with FTS5's syntax: phrases ("science park"),
  prefixes (zhongguan*), AND / OR / NOT, NEAR(a b, 5), column filters (title: ...);
- `articles_trigram` (every three characters; detail=none), for queries holding CJK text,
  which has no spaces between words. A term of three characters is one trigram; a longer
  one is all of its trigrams, then checked against the text; a one- or two-character term
  (most Chinese words have two) is, when rare, every indexed trigram that starts with it,
  and when common is looked for in the text of the newest articles with CJK text.

The matches are ranked over a bounded window and counted (archive/read/ranking.py).
"""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import asdict, dataclass, field
from typing import Any, Sequence

from archive.read.errors import BadFilterError
from archive.read.filters import Filters, filter_sql
from archive.read.opening import connection
from archive.read.planning import WORD_INDEX, WORDS, Plan, plan
from archive.read.query import parse_query, query_error
from archive.read.ranking import DEFAULT_CANDIDATES, ranked_window, scan_window

DEFAULT_LIMIT = 20
MAX_LIMIT = 1000
SNIPPET_TOKENS = 16
SNIPPET_CHARS = 90


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
    index: str  # "words", "trigram" or "scan" (archive/read/planning.py)
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
    conn = connection(db)
    parsed = parse_query(query)
    if not 1 <= limit <= MAX_LIMIT:
        raise BadFilterError(f"limit must be between 1 and {MAX_LIMIT}")
    if offset < 0:
        raise BadFilterError("offset must not be negative")
    candidates = max(candidates, offset + limit)
    where, params = filter_sql(filters)
    try:
        chosen = plan(conn, parsed)
        if chosen.expression is None:
            window = scan_window(conn, chosen, where, params, candidates)
        else:
            window = ranked_window(conn, chosen, where, params, candidates, filters, offset + limit)
    except sqlite3.OperationalError as exc:
        raise query_error(query, exc) from None
    page = window.ranked[offset: offset + limit]
    return SearchResult(
        query=query, index=chosen.index, hits=_hits(conn, page, chosen, highlight, snippets), total=window.total,
        total_exact=window.total_exact, offset=offset, limit=limit, window=min(len(window.ranked), candidates),
        window_full=window.full, notes=chosen.notes,
    )


def _hits(conn, page, plan: Plan, highlight, snippets: bool) -> list[Hit]:
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
            snippet = _fts_snippet(conn, rowid, plan, highlight) if plan.index == WORDS else None
            if not snippet:
                snippet = text_snippet(r[8] or "", plan.terms, highlight)
        hits.append(Hit(id=r[0], url=r[1], title=r[2], published=r[3], site=r[4], source=r[5], language=r[6],
                        authors=json.loads(r[7]) if r[7] else [], score=round(float(score), 4), snippet=snippet))
    return hits


def _fts_snippet(conn, rowid: int, plan: Plan, highlight) -> str:
    row = conn.execute(
        f"select snippet({WORD_INDEX}, -1, ?, ?, '…', ?) from {WORD_INDEX} where {WORD_INDEX} match ? and rowid = ?",
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
