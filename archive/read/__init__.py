"""Finding and reading articles in the archive: the library behind `newsarchive search`,
`show`, `stats` and `export`, the Datasette plugin and the search benchmark. Import it as
`from archive import read` and call what is named here; each job has its module:

- opening.py     opening an archive read-only (`connect`), the one way every reader does
- query.py       the query language: parsing a user's query, the word index's FTS5 expression
- filters.py     site, source, author, date and language filters as SQL
- planning.py    which index answers a query, and the expression it matches
- ranking.py     the window of matches ranked, their scores, how many matched in all
- fulltext.py    `search()`: the ranked hits with snippets (SearchResult, Hit)
- articles.py    one article: find it, its record, its versions, the diff between two
- statistics.py  counts for a quick look at an archive
- export.py      every matching article as records
- errors.py      SearchError and its kinds: every message is meant for the user
"""

from __future__ import annotations

from archive.read.articles import (
    VERSION_FIELDS,
    diff_versions,
    find_article,
    get_article,
    parse_version_range,
    versions,
)
from archive.read.errors import (
    ArticleNotFoundError,
    BadFilterError,
    EmptyQueryError,
    QuerySyntaxError,
    QueryTooLongError,
    SearchError,
    VersionNotFoundError,
)
from archive.read.export import EXPORT_FIELDS, export_records
from archive.read.filters import Filters
from archive.read.fulltext import DEFAULT_LIMIT, MAX_LIMIT, Hit, SearchResult, search, text_snippet
from archive.read.opening import connect
from archive.read.query import MAX_QUERY_CHARS, ParsedQuery, Term, parse_query
from archive.read.ranking import DEFAULT_CANDIDATES
from archive.read.statistics import stats

__all__ = [
    "ArticleNotFoundError", "BadFilterError", "DEFAULT_CANDIDATES", "DEFAULT_LIMIT", "EXPORT_FIELDS",
    "EmptyQueryError", "Filters", "Hit", "MAX_LIMIT", "MAX_QUERY_CHARS", "ParsedQuery", "QuerySyntaxError",
    "QueryTooLongError", "SearchError", "SearchResult", "Term", "VERSION_FIELDS", "VersionNotFoundError", "connect",
    "diff_versions", "export_records", "find_article", "get_article", "parse_query", "parse_version_range", "search",
    "stats", "text_snippet", "versions",
]
