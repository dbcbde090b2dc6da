"""Exporting articles (`newsarchive export`): every article matching a query and filters,
as records, streamed."""

from __future__ import annotations

import sqlite3
from typing import Any, Iterator

from archive.read.filters import Filters, filter_sql
from archive.read.opening import connection, dict_rows
from archive.read.planning import plan, verify_sql
from archive.read.query import parse_query, query_error
from archive.record import ARCHIVED_FIELDS, row_to_record

# An archived record's fields (archive/record.py) in an export's order: the long body last.
EXPORT_FIELDS = (*(f for f in ARCHIVED_FIELDS if f != "body"), "body")


def export_records(db, query: str | None = None, *, filters: Filters | None = None,
                   limit: int | None = None) -> Iterator[dict[str, Any]]:
    """Every article matching `query` (all of them with no query) and `filters`, as records,
    oldest first (by id), streamed: for pandas, `pd.read_json(path, lines=True)`."""
    conn = connection(db)
    where, params = filter_sql(filters)
    ids_sql = None
    if query is not None:
        parsed = parse_query(query)
        chosen = plan(conn, parsed)
        verify, vparams = verify_sql(chosen)
        where = " and ".join(c for c in (where, verify) if c)
        params = params + vparams
        if chosen.expression is not None:
            ids_sql = f"select rowid from {chosen.table} where {chosen.table} match ?"
            params = [chosen.expression] + params
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
            related = dict_rows(conn, "select title, url, published from related where article_id = ? "
                                "order by position", [data["id"]])
            record = row_to_record(data, related)
            yield {name: record.get(name) for name in EXPORT_FIELDS}
    except sqlite3.OperationalError as exc:
        raise query_error(query or "", exc) from None
