"""Counts for a quick look at an archive (`newsarchive stats`): totals, articles per site and
source and per month, how often each field is filled per site, duplicates, revisions."""

from __future__ import annotations

from typing import Any

from archive.read.opening import connection, dict_rows
from archive.record import EXTRACTION_FIELDS, RECORD, Field


def _filled(field: Field) -> str:
    """SQL that is true for an `articles` row whose `field` holds something."""
    if field.name == "related":  # rows of its own table
        return "exists (select 1 from related r where r.article_id = articles.id)"
    column = field.stored_in[0]  # copyright: its text
    if field.type.startswith("list"):  # a JSON list
        return f"{column} is not null and {column} not in ('', '[]')"
    return f"{column} is not null and {column} != ''"


# The fields whose fill rate is shown: what the extractor fills but the title and body
# (every article has them) and the related list's heading (it goes with the list).
FILL_FIELDS = {
    f.name: _filled(f)
    for f in RECORD
    if f.name in EXTRACTION_FIELDS and f.name not in ("title", "body", "related_heading")
}


def stats(db, *, top: int = 50) -> dict[str, Any]:
    """Counts for a quick look at an archive: totals, articles per site and source, per
    month, field fill rates per site (share of articles with the field), duplicates by
    reason, revisions."""
    conn = connection(db)
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
        "per_site_source": dict_rows(conn, "select site, source, count(*) as articles from articles "
                                     "group by site, source order by articles desc, site, source limit ?", [top]),
        "per_month": dict_rows(conn, "select month, count(*) as articles from articles group by month "
                               "order by month desc limit ?", [top]),
        "fill_rates": dict_rows(conn, f"select site, count(*) as articles, {fills} from articles "
                                "group by site order by articles desc, site limit ?", [top]),
        "duplicates": dict_rows(conn, "select reason, count(*) as pages, count(distinct article_id) as articles "
                                "from duplicates group by reason order by pages desc"),
        "most_revised": dict_rows(conn, "select v.article_id as id, a.title, count(*) as revisions from revisions v "
                                  "join articles a on a.id = v.article_id group by v.article_id "
                                  "order by revisions desc, id limit 10"),
    }
