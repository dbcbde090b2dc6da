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
