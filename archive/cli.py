"""`newsarchive` commands over the archive library: a thin click layer that turns library
errors into one-line messages. `python -m archive` runs it too.

search, show, stats and export open the archive read-only (they work on a read-only file
too); `serve` starts Datasette with the project's metadata, templates and plugin."""

from __future__ import annotations

import csv
import json
import os
import sys
from contextlib import closing
from pathlib import Path
from typing import Any, Iterable

import click

from archive import read
from archive.identity import ArchiveError, writable_location
from archive.lock import DEFAULT_LOCK_TIMEOUT

ARCHIVE_OPTION = click.option(
    "--archive", "-d", "archive_path", default="archive.db", show_default=True,
    type=click.Path(dir_okay=False), envvar="NEWSARCHIVE_DB", help="The archive file.",
)
FORMAT_OPTIONS = (
    click.option("--json", "as_json", is_flag=True, help="Output JSON."),
    click.option("--csv", "as_csv", is_flag=True, help="Output CSV."),
)
FILTER_OPTIONS = (
    click.option("--site", help="Only this site (registered domain: ecns.cn)."),
    click.option("--source", help="Only this credited source (exact: Xinhua)."),
    click.option("--author", help="Only articles with an author whose name contains this."),
    click.option("--since", help="Published on or after: YYYY, YYYY-MM or YYYY-MM-DD."),
    click.option("--until", help="Published on or before: YYYY, YYYY-MM or YYYY-MM-DD."),
    click.option("--lang", "language", help="Only this language (BCP 47; zh also matches zh-CN)."),
)
DATASETTE_DIR = Path(__file__).resolve().parent.parent / "datasette"


def options(*decorators):
    def apply(func):
        for decorator in reversed(decorators):
            func = decorator(func)
        return func
    return apply


def open_archive(path: str):
    """The archive opened read-only (works on read-only files and mounts), closed on exit."""
    try:
        return closing(read.connect(path))
    except ArchiveError as exc:
        raise click.ClickException(str(exc)) from exc


def fail(exc: Exception) -> click.ClickException:
    return click.ClickException(str(exc))


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


def emit_csv(rows: Iterable[dict[str, Any]], fields: list[str]) -> None:
    writer = csv.DictWriter(sys.stdout, fieldnames=fields, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict)) else v
                         for k, v in row.items()})


@click.group()
@click.version_option(package_name="newsarchive")
def cli() -> None:
    """Archive news sites into SQLite, and query the archive."""


@cli.command()
@ARCHIVE_OPTION
@click.argument("query")
@options(*FILTER_OPTIONS, *FORMAT_OPTIONS)
@click.option("--limit", default=read.DEFAULT_LIMIT, show_default=True, type=click.IntRange(1, read.MAX_LIMIT),
              help="Results per page.")
@click.option("--page", default=1, show_default=True, type=click.IntRange(1), help="Page of results.")
def search(archive_path, query, site, source, author, since, until, language, as_json, as_csv, limit, page) -> None:
    """Full-text search over titles and bodies, best matches first, with a snippet.

    QUERY is words (all must match; "reported" also finds "reports"), "a phrase", prefix*,
    OR / NOT / ( ), NEAR(a b, 5), title:word. Chinese, Japanese or Korean text is searched
    by substring (trigram index)."""
    filters = read.Filters(site=site, source=source, author=author, since=since, until=until, language=language)
    color = not (as_json or as_csv) and sys.stdout.isatty()
    marks = ("\x1b[1;33m", "\x1b[0m") if color else ("[", "]")
    with open_archive(archive_path) as db:
        try:
            result = read.search(db, query, filters=filters, limit=limit, offset=(page - 1) * limit,
                                highlight=marks)
        except read.SearchError as exc:
            raise fail(exc) from None
    if as_json:
        emit_json(result.as_dict())
        return
    if as_csv:
        emit_csv((vars(h) for h in result.hits),
                 ["id", "score", "title", "url", "published", "site", "source", "language", "authors", "snippet"])
        return
    for n, hit in enumerate(result.hits, start=result.offset + 1):
        meta = ", ".join(x for x in (hit.published and hit.published[:10], hit.site, hit.source) if x)
        click.echo(f"{n:>3}. {click.style(hit.title, bold=True) if color else hit.title}  (id {hit.id}; {meta})")
        click.echo(f"     {hit.url}")
        if hit.snippet:
            click.echo(f"     {hit.snippet}")
    click.echo(describe(result))


def describe(result: read.SearchResult) -> str:
    total = f"{result.total:,}" if result.total_exact else f"about {result.total:,}"
    if not result.hits:
        line = f"no matches for {result.query!r}" if not result.total else f"no results on this page ({total} matches)"
    else:
        line = f"-- {result.offset + 1}-{result.offset + len(result.hits)} of {total} matches"
        if result.window_full:
            line += f", ranked among the {result.window:,} most recently archived"
        if result.offset + len(result.hits) < min(result.total, result.window):
            line += f"; next: --page {result.offset // result.limit + 2}"
    for note in result.notes:
        line += f"\n-- {note}"
    return line


@cli.command()
@ARCHIVE_OPTION
@click.argument("article")
@click.option("--diff", "diff_range", metavar="A..B",
              help="Unified diff between two versions (1 is the oldest; 'current' the newest): 1..2, 1..current.")
@click.option("--json", "as_json", is_flag=True, help="Output JSON (the default is readable text).")
def show(archive_path, article, diff_range, as_json) -> None:
    """An article by id or URL: its record, related list, versions; or a diff of two versions."""
    with open_archive(archive_path) as db:
        try:
            record = read.get_article(db, article)
            if diff_range:
                count = len(record["versions"])
                a, b = read.parse_version_range(diff_range, count)
                diff = read.diff_versions(db, record["id"], a, b)
        except read.SearchError as exc:
            raise fail(exc) from None
    if diff_range:
        if as_json:
            emit_json({"id": record["id"], "from": a, "to": b, "diff": diff})
        else:
            click.echo(diff or f"versions {a} and {b} are the same")
        return
    if as_json:
        emit_json(record)
        return
    click.echo(render_record(record))


def render_record(record: dict[str, Any]) -> str:
    lines = [record["title"] or "", "=" * min(78, max(8, len(record["title"] or "")))]
    for name in ("id", "url", "canonical_url", "published", "updated", "source", "authors", "editor", "language",
                 "site", "first_seen", "last_seen"):
        value = record.get(name)
        if value in (None, "", []):
            continue
        lines.append(f"{name + ':':<15}{', '.join(value) if isinstance(value, list) else value}")
    if record.get("copyright"):
        lines.append(f"{'copyright:':<15}{record['copyright'].get('text')}")
    lines += ["", record.get("body") or "", ""]
    if record.get("related"):
        lines.append(f"{record.get('related_heading') or 'Related'}:")
        lines += [f"  {n}. {r['title'] or '(no title)'}  {r['url']}" + (f"  ({r['published']})" if r.get("published") else "")
                  for n, r in enumerate(record["related"], 1)]
        lines.append("")
    versions = record.get("versions") or []
    lines.append(f"versions: {len(versions)}" + (" (show --diff 1..current for the changes)" if len(versions) > 1 else ""))
    for v in versions:
        when = "current" if v["current"] else f"superseded {v.get('superseded_at')}"
        lines.append(f"  {v['version']}. {when}: {v.get('title')}")
    if len(record.get("urls") or []) > 1:
        lines.append("also archived under: " + ", ".join(u for u in record["urls"] if u != record["url"]))
    for d in record.get("duplicates") or []:
        lines.append(f"duplicate ({d['reason']}, {d['similarity']}): {d['url']}")
    return "\n".join(lines)


@cli.command()
@ARCHIVE_OPTION
@click.option("--json", "as_json", is_flag=True, help="Output JSON.")
@click.option("--top", default=20, show_default=True, type=click.IntRange(1), help="Rows per table.")
def stats(archive_path, as_json, top) -> None:
    """Articles per site and source, per month; field fill rates per site; duplicates, revisions."""
    with open_archive(archive_path) as db:
        data = read.stats(db, top=top)
    if as_json:
        emit_json(data)
        return
    click.echo("  ".join(f"{k}: {v:,}" for k, v in data["totals"].items()))
    sections = [
        ("articles per site and source", data["per_site_source"]),
        ("articles per month", data["per_month"]),
        ("field fill rates per site (share of its articles with the field)", data["fill_rates"]),
        ("duplicates", data["duplicates"]),
        ("most revised", data["most_revised"]),
    ]
    for heading, rows in sections:
        click.echo(f"\n{heading}:")
        click.echo(table(rows) if rows else "  (none)")


def table(rows: list[dict[str, Any]]) -> str:
    names = list(rows[0])
    cells = [[("" if r[n] is None else f"{r[n]:.0%}" if isinstance(r[n], float) else str(r[n])) for n in names]
             for r in rows]
    widths = [min(50, max(len(n), *(len(c[i]) for c in cells))) for i, n in enumerate(names)]
    out = ["  " + "  ".join(n.ljust(w) for n, w in zip(names, widths))]
    out += ["  " + "  ".join(c[:w].ljust(w) for c, w in zip(row, widths)) for row in cells]
    return "\n".join(out)


@cli.command()
@ARCHIVE_OPTION
@click.argument("query", required=False)
@options(*FILTER_OPTIONS)
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), help="File to write (default: stdout).")
@click.option("--limit", type=click.IntRange(1), help="At most this many articles.")
def export(archive_path, query, site, source, author, since, until, language, fmt, output, limit) -> None:
    """Every article matching QUERY (all, without one) and the filters, as JSON Lines or CSV.

    For pandas: pd.read_json("out.jsonl", lines=True) or pd.read_csv("out.csv")."""
    filters = read.Filters(site=site, source=source, author=author, since=since, until=until, language=language)
    if output:
        check_output_file(output)
    with open_archive(archive_path) as db:
        try:
            records = read.export_records(db, query, filters=filters, limit=limit)
            first = next(records, None)
        except read.SearchError as exc:
            raise fail(exc) from None
        try:
            stream = open(output, "w", encoding="utf-8", newline="") if output else sys.stdout
        except OSError as exc:
            raise click.ClickException(f"cannot write {output}: {exc.strerror or exc}") from None
        count = 0
        try:
            if fmt == "csv":
                writer = csv.DictWriter(stream, fieldnames=list(read.EXPORT_FIELDS))
                writer.writeheader()
            for record in _chain(first, records):
                count += 1
                if fmt == "csv":
                    writer.writerow({k: json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict)) else v
                                     for k, v in record.items()})
                else:
                    stream.write(json.dumps(record, ensure_ascii=False) + "\n")
        except read.SearchError as exc:
            raise fail(exc) from None
        finally:
            if output:
                stream.close()
    if output:
        click.echo(f"{count:,} articles written to {output}", err=True)


def check_output_file(output: str) -> None:
    """An output path whose directory exists and is writable, or one line saying why not
    (before the archive is read, and before the file is created)."""
    parent = Path(output).resolve().parent
    if not parent.is_dir():
        raise click.ClickException(f"cannot write {output}: directory {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise click.ClickException(f"cannot write {output}: directory {parent} is not writable")


def _chain(first, rest):
    if first is None:
        return
    yield first
    yield from rest


@cli.command()
@ARCHIVE_OPTION
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8001, show_default=True, type=int)
@click.option("--open", "open_browser", is_flag=True, help="Open a browser on it.")
def serve(archive_path, host, port, open_browser) -> None:
    """Browse and search the archive in Datasette (with the project's metadata and templates)."""
    with open_archive(archive_path):
        # Datasette opens the file itself: where SQLite cannot make the WAL's shared-memory
        # file (a read-only file, directory or mount) it must open it as immutable.
        immutable = not writable_location(archive_path)
    args = datasette_args(archive_path, host=host, port=port, immutable=immutable)
    if open_browser:
        args.append("--open")
    os.execvp(args[0], args)


def datasette_args(archive_path: str, host: str = "127.0.0.1", port: int = 8001, immutable: bool = False) -> list[str]:
    """The `datasette` command line serving `archive_path` with the project's configuration
    (datasette/metadata.yml, keyed to the archive's database name); `immutable`: opened as
    an immutable file (for read-only media)."""
    return [
        sys.executable, "-m", "datasette", "serve", *(["--immutable"] if immutable else []), str(archive_path),
        "--metadata", str(datasette_metadata(archive_path)),
        "--template-dir", str(DATASETTE_DIR / "templates"),
        "--plugins-dir", str(DATASETTE_DIR / "plugins"),
        "--setting", "truncate_cells_html", "160",
        "--setting", "sql_time_limit_ms", "3000",
        "--host", host, "--port", str(port),
    ]


def datasette_metadata(archive_path: str) -> Path:
    """datasette/metadata.yml with its "archive" database renamed to the one Datasette will
    call this file (its name without .db), written beside the other temporary files."""
    import tempfile

    import yaml  # Datasette's own dependency

    metadata = yaml.safe_load((DATASETTE_DIR / "metadata.yml").read_text(encoding="utf-8"))
    name = Path(archive_path).stem
    metadata["databases"] = {name: metadata.get("databases", {}).get("archive", {})}
    out = Path(tempfile.gettempdir()) / f"newsarchive-datasette-{os.getpid()}-{name}.json"
    out.write_text(json.dumps(metadata, ensure_ascii=False, indent=2), encoding="utf-8")
    return out


# -- crawl runs (archive/crawls.py) ------------------------------------------------------------


@cli.command()
@ARCHIVE_OPTION
@click.option("--lock-timeout", default=DEFAULT_LOCK_TIMEOUT, show_default=True, type=click.FloatRange(0),
              help="Seconds to wait while another program holds the archive's SQLite write lock.")
def compact(archive_path: str, lock_timeout: float) -> None:
    """Rewrite the archive file: free pages given back, rows packed, in 32 KB pages with
    incremental auto-vacuum (archives made by older versions, in 4 KB pages, shrink by about
    a tenth). Takes the archive's lock and needs every reader closed; needs free disk about
    the archive's size. The data and searches stay the same."""
    from archive.maintenance import compact_archive

    try:
        result = compact_archive(archive_path, lock_timeout=lock_timeout)
    except ArchiveError as exc:
        raise fail(exc) from exc
    click.echo(
        f"{archive_path}: {result.bytes_before / 1e6:,.1f} MB -> {result.bytes_after / 1e6:,.1f} MB "
        f"(pages {result.page_size_before // 1024} KB -> {result.page_size_after // 1024} KB)"
    )


@cli.command("crawls")
@ARCHIVE_OPTION
@click.option("--limit", default=20, show_default=True, help="How many runs, newest first (0: all).")
@click.option("--spider", help="Only runs of this spider.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per run.")
def crawls_command(archive_path: str, limit: int, spider: str | None, as_json: bool) -> None:
    """Crawl runs, newest first: when each ran, how it ended (finished, shutdown, killed),
    what it fetched, stored, skipped, dropped and which errors it met."""
    import sqlite3

    from archive.crawls import format_table, list_crawls

    with open_archive(archive_path) as db:
        try:
            rows = list_crawls(db, limit=limit or None, spider=spider)
        except sqlite3.DatabaseError as exc:
            raise click.ClickException(f"cannot read archive {archive_path}: {exc}") from None
    for line in (json.dumps(r, ensure_ascii=False) for r in rows) if as_json else format_table(rows):
        click.echo(line)
