"""Datasette plugin for newsarchive archives: each article's page shows the article as a
reader sees it (paragraphs, related links) above its columns, and /-/search is a ranked
search over the archive with snippets, Chinese search and filters -- the same library
function `newsarchive search` calls (archive.read.search).

Everything scraped is escaped by the templates' autoescaping; links are only made of
http(s) URLs."""

from __future__ import annotations

import json
from urllib.parse import urlencode, urlsplit

from datasette import hookimpl
from datasette.utils.asgi import Response
from markupsafe import Markup, escape

from archive import read

MARK_OPEN, MARK_CLOSE = "\x02", "\x03"


def safe_url(url: str | None) -> str | None:
    """The URL if it is http(s), else None (no javascript: or data: links from scraped pages)."""
    if not url:
        return None
    try:
        scheme = urlsplit(url.strip()).scheme.lower()
    except ValueError:
        return None
    return url.strip() if scheme in ("http", "https") else None


def marked(snippet: str) -> Markup:
    """The snippet escaped, with the search library's markers made <mark> elements."""
    return Markup(str(escape(snippet)).replace(MARK_OPEN, "<mark>").replace(MARK_CLOSE, "</mark>"))


def article_database(datasette):
    """The first database holding an `articles` table (the archive)."""
    for name, db in datasette.databases.items():
        if name != "_internal":
            return db
    return None


@hookimpl
def extra_template_vars(template, database, table, view_name, request, datasette):
    if view_name != "row" or table != "articles" or request is None:
        return {}

    async def article():
        pk = request.url_vars.get("pks", "")
        db = datasette.get_database(database)
        rows = await db.execute(
            "select id, title, url, body, published, updated, source, authors, editor, site, language, "
            "related_heading, copyright_text from articles where id = ?", [pk])
        row = rows.first()
        if row is None:
            return None
        related = await db.execute(
            "select position, title, url, published, archived_id from related_links where article_id = ? "
            "order by position", [pk])
        revisions = (await db.execute("select count(*) from revisions where article_id = ?", [pk])).first()[0]
        return {
            "id": row["id"],
            "title": row["title"],
            "url": safe_url(row["url"]),
            "url_text": row["url"],
            "published": row["published"],
            "updated": row["updated"],
            "source": row["source"],
            "authors": json.loads(row["authors"]) if row["authors"] else [],
            "editor": row["editor"],
            "site": row["site"],
            "language": row["language"],
            "paragraphs": [p for p in (row["body"] or "").split("\n\n") if p.strip()],
            "related_heading": row["related_heading"],
            "related": [
                {"title": r["title"] or r["url"], "url": safe_url(r["url"]), "url_text": r["url"],
                 "published": r["published"], "archived_id": r["archived_id"]}
                for r in related.rows
            ],
            "copyright": row["copyright_text"],
            "revisions": revisions,
        }

    async def inner():
        return {"article": await article()}

    return inner


@hookimpl
def menu_links(datasette):
    return [{"href": datasette.urls.path("/-/search"), "label": "Ranked search"}]


@hookimpl
def register_routes():
    return [(r"^/-/search$", search_page)]


async def search_page(datasette, request):
    args = request.args
    query = args.get("q", "").strip()
    page = max(1, int(args.get("page", "1")) if args.get("page", "1").isdigit() else 1)
    filters = read.Filters(site=args.get("site") or None, source=args.get("source") or None,
                          author=args.get("author") or None, since=args.get("since") or None,
                          until=args.get("until") or None, language=args.get("lang") or None)
    db = article_database(datasette)
    result, error = None, None
    if query and db is not None:
        def run(conn):
            return read.search(conn, query, filters=filters, limit=20, offset=(page - 1) * 20,
                              highlight=(MARK_OPEN, MARK_CLOSE))
        try:
            result = await db.execute_fn(run)
        except read.SearchError as exc:
            error = str(exc)
    if args.get("_format") == "json":
        if error:
            return Response.json({"ok": False, "error": error}, status=400)
        return Response.json({"ok": True, **(result.as_dict() if result else {"hits": []})})
    hits = []
    if result:
        for hit in result.hits:
            hits.append({**vars(hit), "snippet": marked(hit.snippet), "url": safe_url(hit.url), "url_text": hit.url,
                         "row_path": datasette.urls.row(db.name, "articles", str(hit.id))})
    next_page = None
    if result and result.offset + len(result.hits) < min(result.total, result.window):
        next_page = "?" + urlencode({**{k: args.get(k) for k in args.keys() if k != "page"}, "page": page + 1})
    return Response.html(await datasette.render_template(
        "newsarchive_search.html",
        {"q": query, "args": {k: args.get(k) for k in args.keys()}, "result": result, "hits": hits, "error": error,
         "next_page": next_page, "database": db.name if db else None},
        request=request,
    ))
