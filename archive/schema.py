"""Tables, indexes, full-text index and the migrations that build them.

Every change to the schema is a new migration appended at the end: an archive written by an
older version of the project is brought up to date when it is opened, never rebuilt.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

MIGRATION_SET = "newsarchive"
migrations = Migrations(MIGRATION_SET)

# Columns of `articles` that hold the extracted record (the rest is bookkeeping).
RECORD_COLUMNS = (
    "url",
    "canonical_url",
    "title",
    "body",
    "published",
    "updated",
    "source",
    "authors",
    "editor",
    "language",
    "related_heading",
    "copyright_text",
    "copyright_holder",
    "copyright_years",
    "site",
)

# The columns whose change makes a new revision. Bookkeeping (last_seen, the URL it was
# seen under) and derived fields do not.
REVISION_COLUMNS = ("title", "body", "published", "updated", "source", "authors", "editor")


@migrations()
def m001_initial(db: Database) -> None:
    db["articles"].create(
        {
            "id": int,
            "url": str,
            "url_key": str,
            "canonical_url": str,
            "title": str,
            "body": str,
            "published": str,
            "updated": str,
            "source": str,
            "authors": str,  # JSON list
            "editor": str,
            "language": str,
            "related_heading": str,
            "copyright_text": str,
            "copyright_holder": str,
            "copyright_years": str,  # JSON [first, last]
            "site": str,
            "content_hash": str,
            "extraction": str,  # JSON {field: method}
            "fetched_at": str,
            "first_seen": str,
            "last_seen": str,
        },
        pk="id",
        not_null={"url", "url_key", "title", "body", "site", "first_seen", "last_seen"},
    )
    db["articles"].create_index(["url_key"], unique=True)
    db["articles"].create_index(["content_hash"])
    db["articles"].create_index(["site", "published"])
    db["articles"].create_index(["published"])

    # Every URL form an article was met under (http/https, www/bare host, tracking
    # parameters, its canonical link): the dedupe lookup, and what an incremental crawl
    # checks before fetching.
    db["article_urls"].create(
        {"url_key": str, "article_id": int, "url": str, "first_seen": str},
        pk="url_key",
        foreign_keys=[("article_id", "articles", "id")],
    )
    db["article_urls"].create_index(["article_id"])

    db["related"].create(
        {
            "id": int,
            "article_id": int,
            "position": int,
            "heading": str,
            "title": str,
            "url": str,
            "published": str,
        },
        pk="id",
        foreign_keys=[("article_id", "articles", "id")],
    )
    db["related"].create_index(["article_id", "position"], unique=True)
    db["related"].create_index(["url"])

    # The text an article had before it changed: one row per superseded version.
    db["revisions"].create(
        {
            "id": int,
            "article_id": int,
            "title": str,
            "body": str,
            "published": str,
            "updated": str,
            "source": str,
            "authors": str,
            "editor": str,
            "content_hash": str,
            "url": str,
            "fetched_at": str,
            "first_seen": str,
            "superseded_at": str,
        },
        pk="id",
        foreign_keys=[("article_id", "articles", "id")],
    )
    db["revisions"].create_index(["article_id"])

    # Pages whose text is the same (or nearly the same) as an archived article under another
    # URL: syndicated copies, reposts. Recorded, not stored as new articles.
    db["duplicates"].create(
        {
            "id": int,
            "article_id": int,
            "url": str,
            "url_key": str,
            "title": str,
            "reason": str,
            "similarity": float,
            "first_seen": str,
            "last_seen": str,
        },
        pk="id",
        foreign_keys=[("article_id", "articles", "id")],
    )
    db["duplicates"].create_index(["url_key"], unique=True)
    db["duplicates"].create_index(["article_id"])

    # Locality-sensitive buckets of each article's MinHash signature: a near-duplicate lookup
    # is a few indexed probes, whatever the archive's size.
    db["minhash_bands"].create(
        {"band": int, "value": int, "article_id": int},
        pk=("band", "value", "article_id"),
    )

    db["articles"].enable_fts(["title", "body"], create_triggers=True, tokenize="porter unicode61")


def apply_migrations(db: Database) -> None:
    migrations.apply(db)


def pending_migrations(db: Database) -> list[str]:
    return [m.name for m in migrations.pending(db)]
