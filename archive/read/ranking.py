"""Ranking and counting a search's matches: the window of matches ranked, its scores, and how
many matched in all.

Ranking (BM25, headline words count five times) is done over a bounded window: the
`candidates` most recently archived matches (rowid order, which FTS5 walks without
scoring), fewer when scoring takes over RANK_SECONDS. A rare word's matches all fit in the
window, so its ranking is exact; a word in 40% of the archive is ranked among its newest
1,000 matches instead of scoring 400,000 (`Window.full` says so). Matches past the window
are counted briefly and the rest estimated (`Window.total_exact` is then False).
"""

from __future__ import annotations

import json
import math
import sqlite3
import time
from dataclasses import dataclass
from typing import Sequence

from archive.read.filters import Filters, filter_sql
from archive.read.planning import TRIGRAM_SIZES, Plan, verify_sql

# Ranked window: matches scored by BM25 at most, newest first.
DEFAULT_CANDIDATES = 1000
PHRASE_CANDIDATES = 500
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


@dataclass
class Window:
    """A search's ranked matches and how many matched in all."""

    ranked: list[tuple[int, float]]  # (article id, score), best first; scores negative, as FTS5's bm25()
    total: int  # an estimate when not total_exact (from how densely the newest match)
    total_exact: bool
    full: bool  # more matches than the window: the newest were ranked


@dataclass
class Walk:
    """The first rowids a query yields, and how many it yields in all."""

    ids: list[int]
    count: int
    complete: bool  # `count` is every row, not a lower bound
    last: int | None  # the last rowid counted


@dataclass
class ScoredWalk:
    """The first (rowid, rank) rows a query yields."""

    rows: list[tuple[int, float]]
    last: int | None  # the last rowid read
    more: bool  # more rows may follow


@dataclass(frozen=True)
class Scope:
    """The articles the indexed filters (site, since, until) allow."""

    articles: int  # how many, up to SCOPE_CAP
    low: int | None  # below the cap, the lowest and highest id among them
    high: int | None


def ranked_window(conn: sqlite3.Connection, plan: Plan, where: str, params: list, candidates: int,
                  filters: Filters | None, offset_limit: int = 0) -> Window:
    """The ranked window of a search through a full-text index.

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
    verify, vparams = verify_sql(plan)
    conditions = " and ".join(c for c in (where, verify) if c)
    args = [plan.expression] + params + vparams
    bounds_ids: tuple[int, int] | None = None
    by_site = False
    if not conditions:
        base = f"from {t} f where {t} match ?"
    else:
        source, bounds = f"{t} f cross join articles a", ""
        scope = indexed_scope(conn, filters) if filters else None
        if scope is not None:
            if scope.articles == 0:
                return Window([], 0, True, False)
            if scope.articles <= SELECTIVE_FILTER_ROWS and is_common(conn, plan):
                source, by_site = f"articles a cross join {t} f", True
            elif scope.low is not None:
                # The articles the site / date filters allow lie within these ids: the walk
                # over the matches starts and stops there.
                bounds = f" and f.rowid between {int(scope.low)} and {int(scope.high)}"
                bounds_ids = (int(scope.low), int(scope.high))
        base = f"from {source} where {t} match ?{bounds} and a.id = f.rowid and {conditions}"
    if plan.bm25 and not by_site and not plan.rank_expression:
        scored = scored_walk(conn, f"select f.rowid, f.rank {base} order by f.rowid desc", args, candidates)
        rows: list[tuple[int, float]] | None = scored.rows
        ids = [r[0] for r in scored.rows]
        total, exact, last = len(ids), not scored.more, scored.last
        if scored.more:
            rest = walk(conn, f"select f.rowid {base} and f.rowid < ? order by f.rowid desc", args + [last], 0)
            total += rest.count
            exact, last = rest.complete, rest.last
    else:
        if plan.rank_expression:
            # Ranking a phrase by its words walks all articles holding the words within the
            # window's ids: a smaller window for phrases and NEAR.
            candidates = max(offset_limit, min(candidates, PHRASE_CANDIDATES))
        walked = walk(conn, f"select f.rowid {base} order by f.rowid desc", args, candidates)
        ids, total, exact, last = walked.ids, walked.count, walked.complete, walked.last
        rows = None
    if not ids:
        return Window([], 0, True, False)
    window_full = total > len(ids)
    if not exact:
        total = estimate(conn, total, last, *(bounds_ids or (None, None)))
    if rows is None:
        if plan.bm25:
            rows = conn.execute(
                f"select f.rowid, f.rank from {t} f where {t} match ? and f.rowid between ? and ? "
                "and +f.rowid in (select value from json_each(?))",
                [plan.rank_expression or plan.expression, min(ids), max(ids), json.dumps(ids)],
            ).fetchall()
        else:
            rows = python_scores(conn, ids, plan.terms)
    rows = sorted(rows, key=lambda r: (r[1], -r[0]))
    return Window(rows, total, exact, window_full)


def scan_window(conn: sqlite3.Connection, plan: Plan, where: str, params: list, candidates: int) -> Window:
    """Terms no index can find (common one- and two-character CJK terms): the newest
    articles holding them all, by reading the text of the articles with CJK text (the
    rows of the trigram index's size table), newest first."""
    verify, vparams = verify_sql(plan)
    conditions = " and ".join(c for c in (where, verify) if c)
    walked = walk(
        conn, f"select d.id from {TRIGRAM_SIZES} d cross join articles a on a.id = d.id "
        f"where {conditions} order by d.id desc", params + vparams, candidates)
    total = walked.count
    window_full = total > len(walked.ids)
    if not walked.complete:
        total = estimate(conn, total, walked.last)
    return Window(python_scores(conn, walked.ids, plan.terms), total, walked.complete, window_full)


def python_scores(conn: sqlite3.Connection, ids: Sequence[int], terms: Sequence[str]) -> list[tuple[int, float]]:
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


def scored_walk(conn: sqlite3.Connection, sql: str, args: list, candidates: int) -> ScoredWalk:
    """Up to `candidates` (rowid, rank) rows of `sql`, fewer if scoring takes longer than
    RANK_SECONDS."""
    cursor = conn.execute(sql, args)
    rows: list[tuple[int, float]] = []
    deadline = time.perf_counter() + RANK_SECONDS
    while len(rows) < candidates:
        batch = cursor.fetchmany(min(100, candidates - len(rows)))
        rows.extend(batch)
        if len(batch) < min(100, candidates - len(rows) + len(batch)):
            return ScoredWalk(rows, rows[-1][0] if rows else None, False)
        if time.perf_counter() > deadline:
            break
    cursor.close()
    return ScoredWalk(rows, rows[-1][0] if rows else None, True)


def walk(conn: sqlite3.Connection, sql: str, args: list, candidates: int) -> Walk:
    """The first `candidates` rowids `sql` yields (newest first), and how many it yields in
    all: counted on for at most COUNT_SECONDS after the window is full, and up to COUNT_CAP
    (a phrase of common words costs a position check per article holding both words)."""
    cursor = conn.execute(sql, args)
    ids = [row[0] for row in cursor.fetchmany(candidates)] if candidates else []
    if len(ids) < candidates:
        return Walk(ids, len(ids), True, ids[-1] if ids else None)
    count, last = len(ids), (ids[-1] if ids else None)
    deadline = time.perf_counter() + COUNT_SECONDS
    while True:
        rows = cursor.fetchmany(500)
        if not rows:
            return Walk(ids, count, True, last)
        count += len(rows)
        last = rows[-1][0]
        if count >= COUNT_CAP or time.perf_counter() > deadline:
            cursor.close()
            return Walk(ids, count, False, last)


def estimate(conn: sqlite3.Connection, count: int, last: int | None, low: int | None = None,
             high: int | None = None) -> int:
    """All matches, estimated from the `count` found walking down from the newest id to
    `last`: as many again per id below it as above (ids within [low, high] if given)."""
    if last is None:
        return count
    if low is None or high is None:
        # Two subqueries: min() and max() together in one would scan the table.
        low, high = conn.execute("select (select min(id) from articles), (select max(id) from articles)").fetchone()
    walked = max(1, high - last + 1)
    return max(count, round(count * (high - low + 1) / walked, -2 if count > 1000 else 0))


def is_common(conn: sqlite3.Connection, plan: Plan) -> bool:
    """Whether the full-text expression alone matches many articles (a cheap, capped count)."""
    return conn.execute(
        f"select count(*) from (select rowid from {plan.table} where {plan.table} match ? limit {COMMON_MATCHES})",
        [plan.expression],
    ).fetchone()[0] >= COMMON_MATCHES


def indexed_scope(conn: sqlite3.Connection, filters: Filters) -> Scope | None:
    """The articles the indexed filters (site, since, until) allow; None without such
    filters."""
    where, params = filter_sql(Filters(site=filters.site, since=filters.since, until=filters.until))
    if not where:
        return None
    rows, low, high = conn.execute(
        f"select count(*), min(id), max(id) from (select a.id from articles a where {where} limit {SCOPE_CAP + 1})",
        params,
    ).fetchone()
    return Scope(rows, None, None) if rows > SCOPE_CAP else Scope(rows, low, high)
