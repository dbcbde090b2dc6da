"""Tables, indexes, full-text index and the migrations that build them.

Every change to the schema is a new migration appended at the end: an archive written by an
older version of the project is brought up to date when it is opened, never rebuilt.
"""

from __future__ import annotations

import json

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

MIGRATION_SET = "newsarchive"
migrations = Migrations(MIGRATION_SET)

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


# The page size of a new archive file. An article row (its text and some 600 bytes of
# metadata, ~4.5 KB) does not fit a 4 KB page: SQLite keeps a part of it, of any size from
# 0.5 to 4 KB, in the table's leaf pages and the rest in overflow pages, and the leaves end
# a quarter empty (0.2x the raw text, measured with dbstat). In 32 KB pages whole rows pack
# together (0.1x less on disk; search at 1M articles faster, not slower:
# tests/benchmarks/bench_search.py). The cost: a write dirties whole 32 KB leaves of the
# random-key indexes (URL keys, MinHash bands), so storing a record into a 100k archive
# takes ~15% longer than in 4 KB pages; at hundreds of records a second that is far above
# what a polite crawl fetches. An existing archive keeps its page size (`newsarchive compact`).
PAGE_SIZE = 32768


def set_page_size(conn) -> None:
    """Give a database file that holds nothing yet the archive's page size and incremental
    auto-vacuum (SQLite fixes both when it writes the first page; later they take a VACUUM).

    Incremental auto-vacuum: the pages FTS5 frees when it merges index segments are given
    back to the file system when the archive is closed (`release_free_pages`), so an archive
    crawled hourly for months does not keep them (7% of a freshly built one)."""
    if conn.execute("PRAGMA page_count").fetchone()[0] == 0:
        conn.execute(f"PRAGMA page_size={PAGE_SIZE}")
        conn.execute("PRAGMA auto_vacuum=INCREMENTAL")


def release_free_pages(conn) -> int:
    """Give the file's free pages back to the file system (archives with incremental
    auto-vacuum; a no-op on others). Returns how many there were."""
    free = conn.execute("PRAGMA freelist_count").fetchone()[0]
    if free and conn.execute("PRAGMA auto_vacuum").fetchone()[0] == 2:
        # Through sqlite3_exec: Python's execute() steps the pragma once, freeing one page.
        conn.executescript("PRAGMA incremental_vacuum;")
    return free


def apply_migrations(db: Database) -> None:
    migrations.apply(db)


def pending_migrations(db: Database) -> list[str]:
    return [m.name for m in migrations.pending(db)]


# -- search: m2xx migrations (trigram index for CJK text, query views) ------------------------

# Characters of the scripts written without spaces between words (kana, CJK ideographs and
# their extensions, Hangul, CJK compatibility ideographs): FTS5's unicode61 tokenizer makes
# a whole run of them one "word", so text containing any of them is also indexed by trigram.
CJK_CLASS = "[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]"
CJK_GLOB = f"*{CJK_CLASS}*"


# The first byte of the UTF-8 form of every character of CJK_CLASS (U+3040-U+30FF,
# U+3400-U+4DBF: E3-E4; U+4E00-U+9FFF: E4-E9; U+AC00-U+D7AF: EA-ED; U+F900-U+FAFF: EF).
CJK_LEAD_BYTES = ("E3", "E4", "E5", "E6", "E7", "E8", "E9", "EA", "EB", "EC", "ED", "EF")


def holds_cjk(column: str) -> str:
    """SQL true when the text `column` holds a character of CJK_CLASS (0 when it is null).

    The same truth as `column glob CJK_GLOB`, several times faster on the texts that hold
    none, most of them: SQLite matches a character class at every position of the text
    (about 160 us for a 3,400-character body, half a store's index work), while text that
    is all ASCII (its length in bytes equals its length in characters), or that has none
    of the lead bytes of CJK_CLASS's characters in its UTF-8 form, cannot match and
    is passed by a byte count and byte searches. (An archive is always UTF-8.)"""
    blob = f"cast({column} as blob)"
    lead_bytes = " or ".join(f"instr({blob}, x'{byte}')" for byte in CJK_LEAD_BYTES)
    # CASE, not coalesce(): SQLite computes both sides of an AND whose value is taken (a
    # function's argument), and skips the rest of one that decides a branch.
    return (f"(CASE WHEN length({blob}) != length({column}) AND ({lead_bytes})"
            f" AND {column} glob '{CJK_GLOB}' THEN 1 ELSE 0 END)")


def cjk_condition(prefix: str = "") -> str:
    """SQL that is true for an `articles` row whose title or body holds CJK text: the rows
    `articles_trigram` indexes. The triggers and the `articles_cjk` view must agree on it
    exactly, or the external-content index goes out of step with its content."""
    return f"({holds_cjk(prefix + 'title')} or {holds_cjk(prefix + 'body')})"


def create_cjk_view(db: Database) -> None:
    """The rows of `articles` the trigram index holds: its external content."""
    db.execute(f"CREATE VIEW articles_cjk AS SELECT id, title, body FROM articles WHERE {cjk_condition()}")


# While a writer's transaction is open, the articles it adds (ids from `from_id` up) are
# indexed when it commits, all in one statement (`index_deferred_articles`), not one by one
# by the triggers: FTS5 writes what it holds in memory to the index at every savepoint, and
# every insert that fires a trigger opens one, so an article indexed by its trigger cost
# about three times what the same article costs indexed with the others of its batch.
DEFERRED_TABLE = "search_index_deferred"


def indexed_now(id_sql: str) -> str:
    """SQL true when the article with id `id_sql` is indexed by the triggers: always, but
    for the articles of a writer's batch while it defers them."""
    return f"NOT EXISTS (SELECT 1 FROM {DEFERRED_TABLE} WHERE {id_sql} >= from_id)"


def search_triggers_sql(deferrable: bool = True) -> str:
    """The triggers that keep both full-text indexes in step with `articles`.

    They replace the ones `enable_fts` made in m001 only in firing on a change of title or
    body, not on every update (`last_seen` changes each time an article is seen again).
    An update's delete-old and insert-new are two statements of one trigger: separate
    triggers fire in no promised order, and an insert before the delete corrupts the index.
    `deferrable` (from m205): they leave alone the articles a writer defers (DEFERRED_TABLE);
    the migrations before m205 made them without it (its conditions always true), before
    m205's table existed."""
    new_cjk, old_cjk = cjk_condition("new."), cjk_condition("old.")
    new_now, old_now = (indexed_now("new.id"), indexed_now("old.id")) if deferrable else ("1", "1")
    return f"""
    CREATE TRIGGER articles_ai AFTER INSERT ON articles WHEN {new_now} BEGIN
      INSERT INTO articles_fts (rowid, title, body) VALUES (new.id, new.title, new.body);
    END;
    CREATE TRIGGER articles_ad AFTER DELETE ON articles WHEN {old_now} BEGIN
      INSERT INTO articles_fts (articles_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);
    END;
    CREATE TRIGGER articles_au AFTER UPDATE OF id, title, body ON articles BEGIN
      INSERT INTO articles_fts (articles_fts, rowid, title, body)
        SELECT 'delete', old.id, old.title, old.body WHERE {old_now};
      INSERT INTO articles_fts (rowid, title, body)
        SELECT new.id, new.title, new.body WHERE {new_now};
    END;
    CREATE TRIGGER articles_trigram_ai AFTER INSERT ON articles WHEN {new_now} AND {new_cjk} BEGIN
      INSERT INTO articles_trigram (rowid, title, body) VALUES (new.id, new.title, new.body);
    END;
    CREATE TRIGGER articles_trigram_ad AFTER DELETE ON articles WHEN {old_now} AND {old_cjk} BEGIN
      INSERT INTO articles_trigram (articles_trigram, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);
    END;
    CREATE TRIGGER articles_trigram_au AFTER UPDATE OF id, title, body ON articles BEGIN
      INSERT INTO articles_trigram (articles_trigram, rowid, title, body)
        SELECT 'delete', old.id, old.title, old.body WHERE {old_now} AND {old_cjk};
      INSERT INTO articles_trigram (rowid, title, body)
        SELECT new.id, new.title, new.body WHERE {new_now} AND {new_cjk};
    END;
    """


SEARCH_TRIGGERS = (
    "articles_ai", "articles_ad", "articles_au",
    "articles_trigram_ai", "articles_trigram_ad", "articles_trigram_au",
)

# Ranking: a word in the headline counts five times one in the body.
RANK_FUNCTION = "bm25(5.0, 1.0)"


def drop_search_triggers(db: Database) -> None:
    for name in SEARCH_TRIGGERS:
        db.execute(f"DROP TRIGGER IF EXISTS [{name}]")


def create_search_triggers(db: Database, deferrable: bool = True) -> None:
    drop_search_triggers(db)
    db.executescript(search_triggers_sql(deferrable))


def defer_indexing(conn) -> None:
    """In the open transaction: the articles added from now on (ids above every id there
    is) are left to `index_deferred_articles`, which must run before it commits (an
    archive opened for writing runs it too, for a batch committed some other way)."""
    conn.execute(f"INSERT OR IGNORE INTO {DEFERRED_TABLE} (singleton, from_id) "
                 "SELECT 1, coalesce(max(id), 0) + 1 FROM articles")


def index_deferred_articles(conn) -> int:
    """Index, in one statement per index, the articles `defer_indexing` left (as they are
    now: those deleted since are not indexed, those changed are indexed as changed), and
    stop deferring. Returns how many articles it indexed."""
    row = conn.execute(f"SELECT from_id FROM {DEFERRED_TABLE}").fetchone()
    if row is None:
        return 0
    cursor = conn.execute("INSERT INTO articles_fts (rowid, title, body) "
                          "SELECT id, title, body FROM articles WHERE id >= ?", [row[0]])
    indexed = cursor.rowcount
    conn.execute("INSERT INTO articles_trigram (rowid, title, body) "
                 f"SELECT id, title, body FROM articles WHERE id >= ? AND {cjk_condition()}", [row[0]])
    conn.execute(f"DELETE FROM {DEFERRED_TABLE}")
    return indexed


def rebuild_search_indexes(db: Database) -> None:
    """Rebuild both full-text indexes from `articles` (after a bulk load without triggers)."""
    db.execute("INSERT INTO articles_fts (articles_fts) VALUES ('rebuild')")
    db.execute("INSERT INTO articles_trigram (articles_trigram) VALUES ('rebuild')")
    db.execute("INSERT INTO articles_fts (articles_fts) VALUES ('optimize')")
    db.execute("INSERT INTO articles_trigram (articles_trigram) VALUES ('optimize')")


@migrations()
def m201_trigram_search(db: Database) -> None:
    """A trigram index over the articles that hold CJK text, so a Chinese query finds Chinese
    words (unicode61 splits no CJK words); headline-weighted ranking for both indexes.

    detail=none keeps only which articles hold each trigram, not where: a third of the
    size of detail=full. A term of four or more characters is searched as all of its
    trigrams and then checked against the text (archive/read/planning.py does both)."""
    create_cjk_view(db)
    db.execute(
        "CREATE VIRTUAL TABLE articles_trigram USING fts5("
        "title, body, tokenize='trigram', detail=none, content='articles_cjk', content_rowid='id')"
    )
    db.execute("INSERT INTO articles_trigram (articles_trigram) VALUES ('rebuild')")
    # The index's terms, for expanding a two-character query into the trigrams it begins.
    db.execute("CREATE VIRTUAL TABLE articles_trigram_vocab USING fts5vocab(articles_trigram, row)")
    for table in ("articles_fts", "articles_trigram"):
        db.execute(f"INSERT INTO {table} ({table}, rank) VALUES ('rank', '{RANK_FUNCTION}')")
    create_search_triggers(db, deferrable=False)


@migrations()
def m202_query_views(db: Database) -> None:
    """A `month` column (computed, not stored) to facet and group on; views over articles
    with their related-list, revision and duplicate counts, and the related lists with the
    article they belong to; indexes for the filters and facets of searches."""
    db.execute(
        "ALTER TABLE articles ADD COLUMN month TEXT GENERATED ALWAYS AS (substr(published, 1, 7)) VIRTUAL"
    )
    db["articles"].create_index(["month"], if_not_exists=True)
    db["articles"].create_index(["source"], if_not_exists=True)
    db["articles"].create_index(["language"], if_not_exists=True)
    db.execute(
        """
        CREATE VIEW article_overview AS
        SELECT
          a.id, a.title, a.url, a.site, a.source, a.published, a.month, a.language,
          a.authors, a.editor,
          length(a.body) AS body_chars,
          (SELECT count(*) FROM related r WHERE r.article_id = a.id) AS related_count,
          (SELECT count(*) FROM revisions v WHERE v.article_id = a.id) AS revision_count,
          (SELECT count(*) FROM duplicates d WHERE d.article_id = a.id) AS duplicate_count,
          a.first_seen, a.last_seen
        FROM articles a
        """
    )
    db.execute(
        """
        CREATE VIEW related_links AS
        SELECT
          r.article_id, a.title AS article_title, r.position, r.heading,
          r.title, r.url, r.published,
          (SELECT u.article_id FROM article_urls u WHERE u.url = r.url LIMIT 1) AS archived_id
        FROM related r JOIN articles a ON a.id = r.article_id
        """
    )


# -- scheduled crawls: m1xx migrations (crawl runs, raw captures, failed fetches) ----------------


@migrations()
def m101_crawls(db: Database) -> None:
    """One row per crawl run: what ran, when, how it ended and what it did. A run inserts its
    row as `running` and updates it as it goes; a row still `running` when the next run
    starts (holding the archive's lock) belonged to a process that died: it is marked
    `killed`."""
    db["crawls"].create(
        {
            "id": int,
            "spider": str,
            "arguments": str,  # JSON {"args": spider arguments, "settings": -s overrides}
            "started": str,
            "finished": str,  # null while running, and for a killed run
            "updated": str,  # when the counts were last written
            "outcome": str,  # running, finished, shutdown, killed, or Scrapy's close reason
            "pid": int,
            "host": str,
            "pages": int,  # responses received (articles, listings, feeds, robots.txt, errors)
            "articles_new": int,
            "articles_revised": int,
            "articles_unchanged": int,
            "articles_duplicate": int,
            "skipped": int,  # article requests not sent: already archived and not due
            "revisited": int,  # archived articles fetched again because they were due
            "dropped": str,  # JSON {reason: count}: pages and records not archived
            "errors": str,  # JSON {kind: count}: HTTP errors, download and spider exceptions
            "stats": str,  # JSON: the crawl's full Scrapy stats
        },
        pk="id",
    )
    db["crawls"].create_index(["started"])
    db["crawls"].create_index(["outcome"])


@migrations()
def m102_warc_pointers(db: Database) -> None:
    """Where the raw response each article (and each superseded revision) was parsed from
    is kept: the WARC file, the byte offset of its record and the record's WARC-Record-ID."""
    for table in ("articles", "revisions"):
        db[table].add_column("warc_file", str)
        db[table].add_column("warc_offset", int)
        db[table].add_column("warc_record_id", str)


@migrations()
def m103_failed_urls(db: Database) -> None:
    """Article URLs that were fetched but gave no archived article (an HTTP error, a page
    that is not an article, a record dropped): an incremental crawl retries them with a
    growing delay instead of every run."""
    db["failed_urls"].create(
        {
            "url_key": str,
            "url": str,
            "reason": str,
            "attempts": int,
            "first_failed": str,
            "last_failed": str,
        },
        pk="url_key",
    )


@migrations()
def m104_frontier(db: Database) -> None:
    """Article links found on archived articles (related lists) and not archived yet, with
    the request that fetches them: a crawl killed after storing an article but before
    fetching its links finds them here on its next start, instead of never (an archived
    article is not fetched again, so its links would not be found again)."""
    db["frontier"].create(
        {"url_key": str, "url": str, "request": str, "found_on": str, "found_at": str},
        pk="url_key",
    )


# -- size: m203 (CJK out of the word index, tables stored once, compact extraction) ------------

# CJK ideographs (extension A, unified, compatibility): separators for the word index. FTS5's
# unicode61 makes a whole run of them one "word" (a clause of Chinese text: useless as a
# term, and a quarter of the index); Chinese is searched through `articles_trigram`, so in
# the word index a Chinese article keeps only its Latin (and other spaced scripts') words.
WORD_INDEX_SEPARATOR_RANGES = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF))


def word_index_tokenize() -> str:
    """The word index's tokenizer spec (the FTS5 `tokenize` option's value).

    The separators are listed from the highest code point down: unicode61 inserts each one
    into a sorted array by a linear scan from the start, so in ascending order opening the
    index would cost a scan per character (~0.1 s per connection for these 28,096); in
    descending order each scan stops at once (~10 ms)."""
    codes = sorted((c for low, high in WORD_INDEX_SEPARATOR_RANGES for c in range(low, high + 1)), reverse=True)
    return "porter unicode61 separators '" + "".join(map(chr, codes)) + "'"


def word_index_sql() -> str:
    """CREATE VIRTUAL TABLE for `articles_fts`, in the form sqlite-utils' `enable_fts` writes
    (`content="articles"`), which `sqlite-utils search` and Datasette detect."""
    tokenize = word_index_tokenize().replace("'", "''")
    return (
        'CREATE VIRTUAL TABLE "articles_fts" USING FTS5 (\n'
        '    "title", "body",\n'
        f"    tokenize='{tokenize}',\n"
        '    content="articles"\n'
        ")"
    )


def _replace_table(db: Database, name: str, create_sql: str, columns: str, indexes: list[str]) -> None:
    """Replace table `name` by the one `create_sql` makes (named `{name}_new`), with the same
    rows. Views and triggers naming the table are dropped and made again: SQLite refuses to
    rename a table while a view names a missing one."""
    dependents = db.execute(
        "select type, name, sql from sqlite_master where type in ('view', 'trigger') and sql like ?",
        [f"%{name}%"],
    ).fetchall()
    db.execute(create_sql)
    db.execute(f"INSERT INTO [{name}_new] ({columns}) SELECT {columns} FROM [{name}] ORDER BY 1, 2, 3")
    for kind, dependent, _ in dependents:
        db.execute(f"DROP {kind.upper()} [{dependent}]")
    db.execute(f"DROP TABLE [{name}]")
    db.execute(f"ALTER TABLE [{name}_new] RENAME TO [{name}]")
    for sql in indexes:
        db.execute(sql)
    for _, _, sql in dependents:
        db.execute(sql)


# What m203 compacts `articles.extraction` with, frozen as it was when m203 was written: the
# way new records are stored (archive.record.compact_extraction) may change, what this
# migration does to an archive written before it must not. Archives read either form back.
_M203_EXTRACTION_FIELDS = (
    "title", "body", "published", "updated", "source", "authors", "editor", "language",
    "canonical_url", "related_heading", "related", "copyright",
)


def _m203_compact_extraction(methods: dict[str, str]) -> str:
    counts: dict[str, int] = {}
    for field, method in methods.items():
        if field in _M203_EXTRACTION_FIELDS:
            counts[method] = counts.get(method, 0) + 1
    plain = json.dumps(dict(methods), ensure_ascii=False, separators=(",", ":"))
    if not counts or "*" in methods:
        return plain
    common = max(counts, key=counts.get)
    out: dict[str, str | None] = {"*": common}
    out.update((f, m) for f, m in methods.items() if m != common or f not in _M203_EXTRACTION_FIELDS)
    out.update((f, None) for f in _M203_EXTRACTION_FIELDS if f not in methods)
    compact = json.dumps(out, ensure_ascii=False, separators=(",", ":"))
    return compact if len(compact) < len(plain) else plain


@migrations()
def m203_compact_storage(db: Database) -> None:
    """Smaller archives, same data and searches.

    - The word index no longer indexes runs of CJK ideographs (`word_index_tokenize`); it is
      rebuilt from `articles`.
    - `minhash_bands` and `article_urls` are WITHOUT ROWID tables: their primary key is the
      table, where a rowid table keeps the rows and, beside them, an index holding the key
      again.
    - `articles.extraction` is stored compactly (`_m203_compact_extraction`: the method that
      filled most fields once, as "*", then the fields filled otherwise).
    - The unique index on `articles.url_key` goes: `article_urls` (url_key its primary key)
      holds every key an article was met under, its first one included, and every lookup
      by URL goes through it; the index held each key a second time.
    """
    # The word index.
    drop_search_triggers(db)
    db.execute("DROP TABLE articles_fts")
    db.execute(word_index_sql())
    db.execute(f"INSERT INTO articles_fts (articles_fts, rank) VALUES ('rank', '{RANK_FUNCTION}')")
    db.execute("INSERT INTO articles_fts (articles_fts) VALUES ('rebuild')")
    db.execute("INSERT INTO articles_fts (articles_fts) VALUES ('optimize')")
    create_search_triggers(db, deferrable=False)

    _replace_table(
        db,
        "minhash_bands",
        'CREATE TABLE "minhash_bands_new" (\n'
        '   "band" INTEGER,\n   "value" INTEGER,\n   "article_id" INTEGER,\n'
        '   PRIMARY KEY ("band", "value", "article_id")\n) WITHOUT ROWID',
        "band, value, article_id",
        [],
    )
    _replace_table(
        db,
        "article_urls",
        'CREATE TABLE "article_urls_new" (\n'
        '   "url_key" TEXT PRIMARY KEY NOT NULL,\n'
        '   "article_id" INTEGER REFERENCES "articles"("id"),\n'
        '   "url" TEXT,\n   "first_seen" TEXT\n) WITHOUT ROWID',
        "url_key, article_id, url, first_seen",
        ['CREATE INDEX "idx_article_urls_article_id" ON "article_urls" ("article_id")'],
    )

    db.execute("DROP INDEX IF EXISTS idx_articles_url_key")

    def compact(text: str | None) -> str | None:
        return _m203_compact_extraction(json.loads(text)) if text else text

    db.conn.create_function("newsarchive_compact_extraction", 1, compact, deterministic=True)
    db.execute(
        "UPDATE articles SET extraction = newsarchive_compact_extraction(extraction)"
        " WHERE extraction IS NOT NULL AND extraction NOT LIKE '{\"*\"%'"
    )
    if db.execute("select 1 from sqlite_master where name = 'sqlite_stat1'").fetchone():
        db.execute("ANALYZE minhash_bands")
        db.execute("ANALYZE article_urls")


# -- imports of other tools' web archives: m301 ---------------------------------------------------


@migrations()
def m301_imports(db: Database) -> None:
    """What `newsarchive import` keeps between runs (archive/imports.py).

    - `import_files`: each file met, by identity (its size and a hash of its first MiB, so
      a file renamed or moved is still known) and the filters it was read with, how far it
      has been read, and when it was read to its end: a killed import resumes there, a file
      imported again with the same filters adds nothing.
    - `import_queue`: the articles parsed from the files and not stored yet, which imports
      stored in capture-date order once every file was read. Imports now store each
      article as it is parsed (crawler/importing.py); an archive an earlier version left
      articles queued in has them stored by the next import.
    - `import_payloads`: where each response record's payload is (by WARC-Payload-Digest),
      for the revisit records that refer to it.
    """
    db["import_files"].create(
        {"identity": str, "filters": str, "path": str, "size": int, "done_offset": int, "finished": str,
         "updated": str},
        pk=("identity", "filters"),
    )
    db["import_queue"].create({"id": int, "captured_at": str, "record": str}, pk="id")
    db["import_queue"].create_index(["captured_at", "id"])
    db.execute(
        'CREATE TABLE "import_payloads" ("digest" TEXT PRIMARY KEY NOT NULL, "file" TEXT, "offset" INTEGER)'
        " WITHOUT ROWID"
    )


# -- a faster test for CJK text: m204 ----------------------------------------------------------


@migrations()
def m204_faster_cjk_test(db: Database) -> None:
    """The test that decides which articles the trigram index holds (`cjk_condition`) skips
    the character-class match on text that cannot hold CJK characters: the same rows as
    before, so the index stays as it is; the view and the triggers that use the test are
    made again with it (storing an article with no CJK text: about 0.15 ms less)."""
    drop_search_triggers(db)
    db.execute("DROP VIEW articles_cjk")
    create_cjk_view(db)
    create_search_triggers(db, deferrable=False)


@migrations()
def m205_deferred_indexing(db: Database) -> None:
    """A writer indexes the articles of its batch together when it commits
    (`defer_indexing`, `index_deferred_articles`): the table that says which are left to it,
    and triggers that leave those alone. Every article stays searchable from the commit
    that stores it; the indexes are not touched."""
    db.execute(f"CREATE TABLE {DEFERRED_TABLE} (singleton INTEGER PRIMARY KEY CHECK (singleton = 1), "
               "from_id INTEGER NOT NULL)")
    create_search_triggers(db, deferrable=True)
