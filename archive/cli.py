"""`newsarchive` commands over the archive library: a thin click layer that turns library
errors into one-line messages. `python -m archive` runs it too."""

from __future__ import annotations

import json
import sqlite3

import click

from archive.store import Archive, ArchiveError

ARCHIVE_OPTION = click.option(
    "--archive", "-d", "archive_path", default="archive.db", show_default=True,
    type=click.Path(dir_okay=False), envvar="NEWSARCHIVE_DB", help="The archive file.",
)


def open_archive(path: str, readonly: bool = True) -> Archive:
    try:
        return Archive(path, readonly=readonly)
    except ArchiveError as exc:
        raise click.ClickException(str(exc)) from exc


@click.group()
@click.version_option(package_name="newsarchive")
def cli() -> None:
    """Archive news sites into SQLite, and query the archive."""


@cli.command()
@ARCHIVE_OPTION
@click.argument("query")
@click.option("--limit", default=20, show_default=True)
def search(archive_path: str, query: str, limit: int) -> None:
    """Full-text search over titles and bodies, best matches first."""
    with open_archive(archive_path) as archive:
        try:
            rows = list(
                archive.db["articles"].search(query, columns=["id", "title", "url", "published", "source"], limit=limit)
            )
        except sqlite3.OperationalError as exc:
            raise click.ClickException(f"bad search query {query!r}: {exc}") from exc
    for row in rows:
        click.echo(json.dumps(row, ensure_ascii=False))


@cli.command()
@ARCHIVE_OPTION
@click.argument("article")
def show(archive_path: str, article: str) -> None:
    """The full record of an article, by id or URL."""
    with open_archive(archive_path) as archive:
        article_id = int(article) if article.isdigit() else archive.article_id_for_url(article)
        record = archive.get_article(article_id) if article_id is not None else None
    if record is None:
        raise click.ClickException(f"no article {article!r} in {archive_path}")
    click.echo(json.dumps(record, ensure_ascii=False, indent=2))


# -- crawl runs (archive/crawls.py) ------------------------------------------------------------


@cli.command("crawls")
@ARCHIVE_OPTION
@click.option("--limit", default=20, show_default=True, help="How many runs, newest first (0: all).")
@click.option("--spider", help="Only runs of this spider.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per run.")
def crawls_command(archive_path: str, limit: int, spider: str | None, as_json: bool) -> None:
    """Crawl runs, newest first: when each ran, how it ended (finished, shutdown, killed),
    what it fetched, stored, skipped, dropped and which errors it met."""
    from archive.crawls import format_table, list_crawls
    from archive.store import Archive, ArchiveError

    try:
        with Archive(archive_path, readonly=True) as archive:
            rows = list_crawls(archive.db, limit=limit or None, spider=spider)
    except ArchiveError as exc:
        raise click.ClickException(str(exc)) from exc
    for line in (json.dumps(r, ensure_ascii=False) for r in rows) if as_json else format_table(rows):
        click.echo(line)
