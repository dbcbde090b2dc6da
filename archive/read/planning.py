"""Planning a search: which index answers the query (the word index, the trigram index, or
none: a scan of the articles' text), the FTS5 expression it matches, the literals every hit
must also contain, and how the matches are ranked."""

from __future__ import annotations

from dataclasses import dataclass, field

from archive.read.errors import QuerySyntaxError
from archive.read.query import (
    OPERATORS,
    TRIGRAM,
    WORDS,
    ParsedQuery,
    Term,
    loosened_expression,
    quote,
    words_expression,
)

# The tables a search reads (archive/schema.py makes them). The trigram index's vocabulary
# lists its trigrams; its size table has a row for each article with CJK text.
WORD_INDEX = "articles_fts"
TRIGRAM_INDEX = "articles_trigram"
TRIGRAM_VOCABULARY = "articles_trigram_vocab"
TRIGRAM_SIZES = "articles_trigram_docsize"
# No index: the text of the newest articles with CJK text is read.
SCAN = "scan"
INDEX_TABLES = {WORDS: WORD_INDEX, TRIGRAM: TRIGRAM_INDEX, SCAN: "articles"}

# A one- or two-character CJK term is searched as the indexed trigrams starting with it
# when there are at most this many (a rare term); a common one is checked in the text of
# the newest articles instead, which soon finds enough of them.
MAX_EXPANSIONS = 64
# A trigram no text holds (private-use characters): what a term no indexed trigram starts
# with is searched as.
NO_TRIGRAM = "\ue000" * 3


@dataclass
class Plan:
    index: str  # WORDS, TRIGRAM or SCAN
    expression: str | None  # FTS5 MATCH expression, or None: scan articles
    verify: list[str]  # literals every hit must contain (lowercased), checked in SQL
    bm25: bool  # rank by the FTS table's BM25, else by term counts in Python
    notes: list[str]
    terms: list[str] = field(default_factory=list)  # to mark in snippets
    # The expression BM25 is computed with, when not `expression`: phrases and NEAR groups
    # loosened to AND (FTS5's bm25() counts the documents of every phrase over the whole
    # index first, which for a phrase of common words is a position check per article).
    rank_expression: str | None = None

    @property
    def table(self) -> str:
        return INDEX_TABLES[self.index]


def plan(db, parsed: ParsedQuery) -> Plan:
    """How to search for `parsed` in `db`. Raises QuerySyntaxError for what the trigram
    index cannot answer (NEAR, column filters, a short term with OR / NOT)."""
    chosen = _plan_index(db, parsed)
    chosen.terms = [t.text for t in parsed.terms]
    return chosen


def _plan_index(db, parsed: ParsedQuery) -> Plan:
    if parsed.index == WORDS:
        return Plan(WORDS, words_expression(parsed), [], True, [], rank_expression=loosened_expression(parsed))
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
            grams = trigrams(text)
            out.append("(" + " ".join(quote(g) for g in grams) + ")" if len(grams) > 1 else quote(grams[0]))
            indexed += 1
            if len(text) > 3 and parsed.only_and:
                verify.append(text)
            continue
        verify.append(text)
        expansions = trigram_expansions(db, text)
        if expansions:
            out.append("(" + " OR ".join(quote(g) for g in expansions) + ")" if len(expansions) > 1
                       else quote(expansions[0]))
            indexed += 1
        elif expansions == []:
            # No indexed trigram starts with it: no article holds it (but in the last two
            # characters of a title or body); a trigram of private-use characters matches nothing.
            out.append(quote(NO_TRIGRAM))
            indexed += 1
        else:
            scanned.append(text)
    if scanned:
        notes.append(f"common short terms ({', '.join(scanned)}) are looked for in the text of the newest "
                     "articles first")
    if not indexed:
        return Plan(SCAN, None, verify, False, notes)
    # FTS5 wants an explicit AND between parenthesised groups.
    joined: list[str] = []
    for item in out:
        if joined and joined[-1] not in OPERATORS + ("(",) and item not in OPERATORS + (")",):
            joined.append("AND")
        joined.append(item)
    # Ranked by BM25 computed here over the candidates' text: FTS5's bm25() needs term
    # positions, which a detail=none index recovers by re-reading and re-tokenising each
    # article, several times slower.
    return Plan(TRIGRAM, " ".join(joined).replace("( ", "(").replace(" )", ")"), verify, False, notes)


def trigram_expansions(db, text: str) -> list[str] | None:
    """The indexed trigrams starting with a one- or two-character term, or None if there
    are more than MAX_EXPANSIONS (a common term)."""
    rows = db.execute(
        f"select term from {TRIGRAM_VOCABULARY} where term >= ? and term < ? limit ?",
        [text, text + "\U0010ffff", MAX_EXPANSIONS + 1],
    ).fetchall()
    return None if len(rows) > MAX_EXPANSIONS else [r[0] for r in rows]


def verify_sql(plan: Plan, alias: str = "a") -> tuple[str, list[str]]:
    """SQL conditions (joined with AND, or "") that a hit holds each of `plan.verify`."""
    clauses = [f"(instr(lower({alias}.title), ?) or instr(lower({alias}.body), ?))" for _ in plan.verify]
    return " and ".join(clauses), [v for v in plan.verify for _ in (0, 1)]


def trigrams(text: str) -> list[str]:
    text = text.lower()
    return list(dict.fromkeys(text[i:i + 3] for i in range(len(text) - 2)))
