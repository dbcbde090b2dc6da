"""The archive: one SQLite file holding articles, their URLs, related lists, revisions and
duplicates, with an FTS5 index over title and body.

Writes go through `Archive.store()`, which decides whether a record is a new article, the
same article seen again (unchanged or revised), or a duplicate of an archived one, inside a
transaction that is committed every `batch_size` records: a crash loses at most the batch
in flight, never a half-written article.
"""

from __future__ import annotations

import os
import sqlite3
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Mapping

from sqlite_utils import Database

from archive import dedupe, read
from archive.identity import (
    APPLICATION_ID,
    MISSING,
    ArchiveError,
    ArchiveMissingError,
    archive_kind,
    check_archive_path,
    create_archive,
)
from archive.lock import DEFAULT_LOCK_TIMEOUT, ArchiveLocked, locked_message, not_writable
from archive.record import RECORD_COLUMNS, REVISION_COLUMNS, extraction_methods, record_to_row, row_to_record
from archive.schema import (DEFERRED_TABLE, apply_migrations, defer_indexing, index_deferred_articles, release_free_pages,
                            set_page_size)

NEW = "new"
SAME_ARTICLE = "same_article"
# A duplicate's reasons.
SAME_TEXT = "same_text"
NEAR_DUPLICATE = "near_duplicate"
UNCHANGED = "unchanged"
REVISED = "revised"
DUPLICATE = "duplicate"
# A re-parse (store(..., reparsed=True)) that changed only fields that make no revision.
UPDATED = "updated"
# Archived articles whose shingles are kept for near-duplicate checks (`_shingles_of`): a few
# KB each.
SHINGLE_CACHE_SIZE = 4096
# The page cache of a writing connection, in KiB (SQLite's default is 2,000).
WRITER_CACHE_KIB = 64 * 1024


class ArchiveReadOnlyError(ArchiveError):
    """A write through an Archive opened read-only."""


def build_new_archive(conn: sqlite3.Connection) -> None:
    """Fill a new, empty database file with the archive's schema (archive.identity creates
    it): the page size and auto-vacuum first (the first write fixes both), then every
    migration."""
    set_page_size(conn)
    apply_migrations(Database(conn))


@dataclass(frozen=True)
class Decision:
    """The dedupe verdict on a record: NEW, SAME_ARTICLE (an archived article, under this or
    another URL form) or DUPLICATE (another article's text under a new URL)."""

    kind: str
    keys: list[str]  # url_key of the fetched URL, then of its canonical URL if different
    article_id: int | None = None
    reason: str | None = None  # for duplicates: "same_text" or "near_duplicate"
    similarity: float | None = None
    bands: list[tuple[int, int]] | None = None
    content_hash: str | None = None  # of the body classified, so storing need not redo it
    shingles: Any = None  # of the body, when classifying needed them: kept for the next checks
    # The archive's count of stores when a NEW verdict was made: storing it right after
    # (nothing stored between) need not look the URL up again.
    stores_before: int | None = None


def record_url_keys(record: Mapping[str, Any]) -> list[str]:
    keys = [dedupe.url_key(record["url"])]
    if record.get("canonical_url"):
        canonical_key = dedupe.url_key(record["canonical_url"])
        if canonical_key not in keys:
            keys.append(canonical_key)
    return keys


@dataclass(frozen=True)
class ReparseDifference:
    """How a new extraction of an article's own capture differs from the stored article."""

    current: dict  # the stored row
    row: dict  # the new record as a row
    changed: list  # columns that differ
    old_related: list
    new_related: list
    methods_changed: bool  # the extraction methods differ (stored with any change)

    @property
    def fields(self) -> list[str]:
        """The record fields that changed ("copyright" for its three columns, "related")."""
        return sorted({"copyright" if c.startswith("copyright_") else c for c in self.changed}
                      | ({"related"} if self.old_related != self.new_related else set()))


def reparse_difference(conn: sqlite3.Connection, article_id: int, record: Mapping[str, Any]) -> ReparseDifference:
    """Read-only: what storing `record` as a re-parse of article `article_id` would change."""
    cursor = conn.execute("select * from articles where id = ?", [article_id])
    current = dict(zip([d[0] for d in cursor.description], cursor.fetchone()))
    row = record_to_row(record)
    columns = [c for c in RECORD_COLUMNS if c != "url"]
    changed = [c for c in columns if (current.get(c) or None) != (row.get(c) or None)]
    old_related = [tuple(r) for r in conn.execute(
        "select title, url, published from related where article_id = ? order by position", [article_id])]
    new_related = [(e.get("title"), e.get("url"), e.get("published")) for e in record.get("related") or []]
    methods_changed = extraction_methods(current.get("extraction")) != extraction_methods(row.get("extraction"))
    return ReparseDifference(current, row, changed, old_related, new_related, methods_changed)


def unchanged_by_reparse(conn: sqlite3.Connection, article_id: int, record: Mapping[str, Any]) -> bool:
    """Read-only: storing `record` as a re-parse of article `article_id` would write nothing
    (every field, the related list and the extraction methods as stored, every URL form of
    the record already known). Lets `newsarchive reparse` settle unchanged articles in its
    workers, so that its one writing process only writes."""
    keys = record_url_keys(record)
    known = conn.execute(f"select count(*) from article_urls where url_key in ({', '.join('?' for _ in keys)})",
                         keys).fetchone()[0]
    if known != len(keys):
        return False
    found = reparse_difference(conn, article_id, record)
    return not found.changed and not found.methods_changed and found.old_related == found.new_related


@dataclass(frozen=True)
class StoreResult:
    outcome: str  # NEW, UNCHANGED, REVISED or DUPLICATE (UPDATED: a re-parse)
    article_id: int
    reason: str | None = None  # for duplicates: "same_text" or "near_duplicate"
    similarity: float | None = None
    # Record fields a revision or re-parse changed ("title", "copyright", "related", ...).
    changed: tuple[str, ...] = ()


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class Archive:
    """An open archive. Use as a context manager, or call `close()`: both commit the batch
    in flight."""

    def __init__(
        self,
        path: str | os.PathLike,
        *,
        batch_size: int = 100,
        readonly: bool = False,
        create: bool = False,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
        cache_kib: int = WRITER_CACHE_KIB,
        shingle_cache_size: int = SHINGLE_CACHE_SIZE,
    ):
        """Open the archive at `path`: read-only (`readonly=True`), or for writing, when
        `create=True` creating it if no file is there (only a crawl does: every other
        command refuses a missing path). A file that is not an archive is refused
        (NotAnArchiveError) and left as it is. A write waits up to `lock_timeout` seconds
        for another program's SQLite lock, then raises ArchiveLocked naming the holder.
        `cache_kib`, `shingle_cache_size`: a writer's SQLite page cache and how many
        articles' shingles it keeps (the memory a writer grows to)."""
        self.path = check_archive_path(path)
        self.batch_size = max(1, int(batch_size))
        self.readonly = readonly
        self.lock_timeout = float(lock_timeout)
        self._pending = 0
        self._stores = 0  # records stored by this Archive (a NEW verdict is current while unchanged)
        # Whether this batch's new articles are left to be indexed at its commit (flush).
        self._deferring = False
        self._can_defer = False
        self._shingle_cache: OrderedDict = OrderedDict()
        self._shingle_cache_size = max(1, int(shingle_cache_size))
        self._cache_kib = max(1, int(cache_kib))
        # What `store` stamps first_seen/last_seen with when given no `seen_at`; a crawl
        # run at a fixed "now" (CRAWL_NOW, for tests and replays) replaces it.
        self.clock = utc_now
        if readonly:
            self.db = read.connect(self.path)
            return
        if archive_kind(self.path) == MISSING:
            if not create:
                raise ArchiveMissingError(f"archive does not exist: {self.path}")
            create_archive(self.path, build_new_archive)
        try:
            self.db = Database(self.path)
            self.wait_for_locks(self.lock_timeout)
            # WAL: readers (search, Datasette) keep working while a crawl writes.
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            # A writer's inserts walk the full-text, trigram, URL and band indexes: with
            # SQLite's default 2 MB page cache each store of a 1M-article archive read its
            # pages again from the OS (measured: storing ~25% faster at 1M with 128 MB).
            self.db.execute(f"PRAGMA cache_size=-{self._cache_kib}")
            self.db.execute("PRAGMA foreign_keys=ON")
            apply_migrations(self.db)
            if self.db.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
                # An archive made before archives carried their mark (archive.identity).
                self.db.execute(f"PRAGMA application_id={APPLICATION_ID}")
            self._rehash_stale_bands()
            # Deferred indexing needs m205's table (absent only where a test stops the
            # migrations earlier); a batch committed without its indexing (a commit from
            # outside this class, then the process gone) is indexed now.
            self._can_defer = DEFERRED_TABLE in self.db.table_names()
            if self._can_defer and index_deferred_articles(self.db.conn):
                self.db.commit()
        except sqlite3.Error as exc:
            raise self.error(exc) from None

    def wait_for_locks(self, seconds: float) -> None:
        """How long a write waits for another program's SQLite lock from now on."""
        self.lock_timeout = float(seconds)
        self.db.execute(f"PRAGMA busy_timeout={int(self.lock_timeout * 1000)}")

    def error(self, exc: BaseException) -> ArchiveError:
        """A failed SQLite operation on this archive as an ArchiveError a user can act on:
        locked by another program (who, when the kernel says), read-only, disk full."""
        if isinstance(exc, ArchiveError):
            return exc
        text = str(exc)
        if "locked" in text or "busy" in text:
            return ArchiveLocked(locked_message(self.path, self.lock_timeout))
        if "readonly" in text or "read-only" in text or "unable to open" in text:
            return not_writable(self.path, exc)
        if "full" in text:
            return ArchiveError(f"archive {self.path}: the disk is full ({text})")
        return ArchiveError(f"archive {self.path}: {text}")

    # -- lifecycle -------------------------------------------------------------------

    def __enter__(self) -> "Archive":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close()

    def flush(self) -> None:
        """Commit the batch in flight, its new articles indexed first."""
        if self._deferring:
            index_deferred_articles(self.db.conn)
            self._deferring = False
        if self.db.conn.in_transaction:
            self.db.commit()
        self._pending = 0

    def close(self) -> None:
        """Commit the batch in flight and close. If the commit fails (ArchiveError says why)
        the batch is rolled back whole and the file stays as the last commit left it."""
        try:
            if not self.readonly:
                try:
                    self.flush()
                except sqlite3.Error as exc:
                    raise self.error(exc) from None
                try:
                    release_free_pages(self.db.conn)
                except sqlite3.OperationalError:
                    pass  # another connection is writing (busy): the pages wait for the next close
                self._leave_wal()
        finally:
            self.db.close()

    def _leave_wal(self) -> None:
        """At rest, out of WAL mode when no other connection is open: in WAL mode SQLite
        must create a shared-memory file beside the archive to read it, so on read-only
        media (a mount, a copy on a read-only disk) plain SQLite programs, sqlite-utils
        among them, could not open it. The next writer puts it back in WAL mode. With a
        reader open (Datasette, a search) the switch is refused and it stays in WAL."""
        try:
            self.db.execute("PRAGMA busy_timeout=0")
            self.db.execute("PRAGMA journal_mode=DELETE")
        except sqlite3.OperationalError:
            pass

    def _begin_write(self) -> None:
        if self.readonly:
            raise ArchiveReadOnlyError(f"archive {self.path} is open read-only")
        if not self.db.conn.in_transaction:
            # IMMEDIATE: the write lock now, waiting up to lock_timeout for another program.
            # A deferred BEGIN took it at the first write, after the store's lookups had read:
            # SQLite does not wait (no busy handler) for a transaction that has read, so the
            # write failed at once whenever another program held the lock for a moment.
            self.db.execute("BEGIN IMMEDIATE")

    def _end_write(self) -> None:
        self._pending += 1
        if self._pending >= self.batch_size:
            self.flush()

    def _rehash_stale_bands(self) -> None:
        """Recompute the MinHash bands an older shingle scheme stored (band numbers below
        `dedupe.BAND_BASE`): they would never match a new record's bands."""
        stale = self.db.execute(
            "select exists(select 1 from minhash_bands where band < ?)", [dedupe.BAND_BASE]
        ).fetchone()[0]
        if not stale:
            return
        with self.db.conn:
            self.db.execute("delete from minhash_bands where band < ?", [dedupe.BAND_BASE])
            for article_id, body in self.db.execute("select id, body from articles").fetchall():
                self._write_bands(article_id, dedupe.minhash_bands(body or ""))

    # -- lookups ---------------------------------------------------------------------

    def article_id_for_url(self, url: str) -> int | None:
        row = self.db.execute(
            "select article_id from article_urls where url_key = ?", [dedupe.url_key(url)]
        ).fetchone()
        return row[0] if row else None

    def get_article(self, article_id: int) -> dict[str, Any] | None:
        rows = list(self.db.query("select * from articles where id = ?", [article_id]))
        if not rows:
            return None
        related = self.db.query(
            "select title, url, published from related where article_id = ? order by position",
            [article_id],
        )
        return row_to_record(rows[0], related)

    def counts(self) -> dict[str, int]:
        return {
            table: self.db.execute(f"select count(*) from [{table}]").fetchone()[0]
            for table in ("articles", "related", "revisions", "duplicates", "article_urls")
        }

    # -- the write path ----------------------------------------------------------------

    def classify(self, record: Mapping[str, Any], fingerprint: tuple | None = None) -> Decision:
        """What storing `record` would do: the dedupe decision, without writing.
        `fingerprint`: `dedupe.fingerprint(record["body"])` when the caller has it (a crawl
        computes it in its extraction workers, off the writer), or
        `dedupe.fingerprint_and_shingles` (an import's workers)."""
        keys = record_url_keys(record)
        body = record.get("body") or ""
        article_id = self._article_for_keys(keys)
        if article_id is not None:
            return Decision(SAME_ARTICLE, keys, article_id)
        known = self.db.execute(
            "select article_id, reason, similarity from duplicates where url_key = ?", [keys[0]]
        ).fetchone()
        if known:
            return Decision(DUPLICATE, keys, known[0], known[1], known[2])
        chash, bands, *rest = fingerprint or dedupe.fingerprint(body)
        mine = rest[0] if rest else None
        same_text = self.db.execute(
            "select id from articles where content_hash = ? order by id limit 1", [chash]
        ).fetchone()
        if same_text:
            return Decision(DUPLICATE, keys, same_text[0], SAME_TEXT, 1.0)
        if bands:
            near, mine = self._near_duplicate(body, bands, mine)
            if near:
                return Decision(DUPLICATE, keys, near[0], NEAR_DUPLICATE, near[1])
        return Decision(NEW, keys, bands=bands, content_hash=chash, shingles=mine, stores_before=self._stores)

    def store(
        self, record: Mapping[str, Any], decision: Decision | None = None, seen_at: str | None = None,
        *, reparsed: bool = False,
    ) -> StoreResult:
        """Archive one extracted record as `decision` (made by `classify`, now if not given)
        says; returns what became of it.

        `reparsed=True` (with a SAME_ARTICLE decision): the record is a new extraction of the
        capture the article was parsed from, not a visit; see `_reparsed`."""
        seen_at = seen_at or self.clock()
        self._begin_write()
        if not self._deferring and self._can_defer:
            defer_indexing(self.db.conn)
            self._deferring = True
        self.db.execute("SAVEPOINT store_record")
        try:
            if decision is None or (decision.kind == NEW and decision.stores_before != self._stores
                                    and self._article_for_keys(decision.keys)):
                decision = self.classify(record)
            if reparsed and decision.kind == SAME_ARTICLE:
                result = self._reparsed(decision.article_id, record, decision.keys, seen_at)
            else:
                result = self._apply(record, decision, seen_at)
        except BaseException:
            # Undo this record's partial writes only; the rest of the batch stays.
            self.db.execute("ROLLBACK TO SAVEPOINT store_record")
            self.db.execute("RELEASE SAVEPOINT store_record")
            raise
        self.db.execute("RELEASE SAVEPOINT store_record")
        self._stores += 1
        self._end_write()
        return result

    def _apply(self, record: Mapping[str, Any], decision: Decision, seen_at: str) -> StoreResult:
        keys = decision.keys
        if decision.kind == SAME_ARTICLE:
            return self._seen_again(decision.article_id, record, keys, seen_at)
        if decision.kind == DUPLICATE:
            if decision.reason in (SAME_TEXT, NEAR_DUPLICATE) and self._comes_first(record, decision.article_id, seen_at):
                return self._promote(record, decision, seen_at)
            return self._record_duplicate(decision, record, seen_at)
        return self._insert_article(record, decision, seen_at)

    def _insert_article(self, record: Mapping[str, Any], decision: Decision, seen_at: str) -> StoreResult:
        keys = decision.keys
        row = record_to_row(record)
        row.update(
            url_key=keys[0],
            content_hash=decision.content_hash or dedupe.content_hash(row["body"] or ""),
            first_seen=seen_at,
            last_seen=seen_at,
        )
        article_id = self._insert("articles", row)
        self._add_urls(article_id, keys, record, seen_at)
        self._write_related(article_id, record)
        bands = decision.bands if decision.bands is not None else dedupe.minhash_bands(row["body"] or "")
        self._write_bands(article_id, bands)
        if decision.shingles is not None:
            # A new article is the likeliest candidate of the next checks (its copies).
            self._remember_shingles((article_id, row["content_hash"]), decision.shingles)
        return StoreResult(NEW, article_id)

    def _add_urls(self, article_id: int, keys: list[str], record: Mapping[str, Any], seen_at: str) -> None:
        urls = [record["url"], record.get("canonical_url") or record["url"]]
        for key, url in zip(keys, urls):
            self.db.execute(
                "insert or ignore into article_urls (url_key, article_id, url, first_seen) values (?, ?, ?, ?)",
                [key, article_id, url, seen_at],
            )

    def _article_for_keys(self, keys: list[str]) -> int | None:
        placeholders = ", ".join("?" for _ in keys)
        found = self.db.execute(
            # The URL form met first (article_urls is WITHOUT ROWID: no insertion order).
            f"select article_id from article_urls where url_key in ({placeholders})"
            " order by first_seen, article_id limit 1",
            keys,
        ).fetchone()
        return found[0] if found else None

    def _seen_again(self, article_id, record, keys, seen_at) -> StoreResult:
        current = next(self.db.query("select * from articles where id = ?", [article_id]))
        self._add_urls(article_id, keys, record, seen_at)
        row = record_to_row(record)
        row["content_hash"] = dedupe.content_hash(row["body"] or "")
        if seen_at < (current.get("last_seen") or seen_at):
            return self._seen_earlier(current, row, keys, seen_at)
        changed = [c for c in REVISION_COLUMNS if (current.get(c) or None) != (row.get(c) or None)]
        if not changed:
            self.db.execute("update articles set last_seen = ? where id = ?", [seen_at, article_id])
            self._write_related(article_id, record)
            return StoreResult(UNCHANGED, article_id)
        self._insert_revision(current, seen_at)
        update = {k: v for k, v in row.items() if k != "url"}
        update["last_seen"] = seen_at
        self.db["articles"].update(article_id, update)
        self._write_related(article_id, record)
        self.db.execute("delete from minhash_bands where article_id = ?", [article_id])
        self._write_bands(article_id, dedupe.minhash_bands(row["body"] or ""))
        return StoreResult(REVISED, article_id, changed=tuple(changed))

    def _seen_earlier(self, current: Mapping[str, Any], row: Mapping[str, Any], keys: list[str],
                      seen_at: str) -> StoreResult:
        """A capture older than the article's last sighting (an import of an older web archive
        after a newer one): placed in the article's history by its date, so that the history
        is the one the captures make in date order, whatever order they come in. Each version
        holds from its start (the article's first_seen, then each earlier version's
        superseded_at) to its end (its superseded_at; the current text's last_seen). The
        current text and last_seen stay as they are."""
        article_id = current["id"]
        versions = list(self.db.query(
            "select * from revisions where article_id = ? order by superseded_at, id", [article_id]))
        starts = [current["first_seen"], *(v["superseded_at"] for v in versions)]
        ends = [*(v["superseded_at"] for v in versions), current["last_seen"]]
        versions.append(dict(current))
        older = {**row, "id": article_id, "first_seen": min(seen_at, current["first_seen"])}

        def same_text(version: Mapping[str, Any]) -> bool:
            return all((version.get(c) or None) == (row.get(c) or None) for c in REVISION_COLUMNS)

        self.db.execute("update article_urls set first_seen = ? where article_id = ? and first_seen > ? and url_key in ("
                        + ", ".join("?" for _ in keys) + ")", [seen_at, article_id, seen_at, *keys])
        if seen_at < starts[0]:
            # Before the article was first seen: its first version began earlier, or another
            # text came before it.
            self.db.execute("update articles set first_seen = ? where id = ?", [seen_at, article_id])
            self.db.execute("update revisions set first_seen = ? where article_id = ? and first_seen > ?",
                            [seen_at, article_id, seen_at])
            if same_text(versions[0]):
                return StoreResult(UNCHANGED, article_id)
            self._insert_revision(older, starts[0])
            return StoreResult(REVISED, article_id, changed=self._changed(versions[0], row))
        at = max(i for i, start in enumerate(starts) if start <= seen_at)
        version = versions[at]
        if same_text(version):
            return StoreResult(UNCHANGED, article_id)
        # Another text while `version` held: it ended here, and this one held until the next
        # sighting known (the next version's start; for the current text, its last sighting,
        # after which the current text holds again).
        if at == len(versions) - 1:
            self._insert_revision(current, seen_at)
        else:
            self.db.execute("update revisions set superseded_at = ? where id = ?", [seen_at, version["id"]])
        self._insert_revision(older, ends[at])
        return StoreResult(REVISED, article_id, changed=self._changed(version, row))

    @staticmethod
    def _changed(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[str, ...]:
        return tuple(c for c in REVISION_COLUMNS if (before.get(c) or None) != (after.get(c) or None))

    def _insert_revision(self, current: Mapping[str, Any], superseded_at: str) -> None:
        """Keep the article's current text (and the capture it came from) as a revision."""
        self.db["revisions"].insert(
            {
                "article_id": current["id"],
                **{c: current.get(c) for c in REVISION_COLUMNS},
                "content_hash": current.get("content_hash"),
                "url": current.get("url"),
                "fetched_at": current.get("fetched_at"),
                "first_seen": current.get("first_seen"),
                "superseded_at": superseded_at,
                "warc_file": current.get("warc_file"),
                "warc_offset": current.get("warc_offset"),
                "warc_record_id": current.get("warc_record_id"),
            }
        )

    def _reparsed(self, article_id, record, keys, seen_at) -> StoreResult:
        """A new extraction of the page the article was parsed from (`newsarchive reparse`).
        Unlike a visit, every record field that differs is updated in place, not only the
        text, and last_seen stays (the site was not visited). A change to a text column
        (REVISION_COLUMNS) keeps the old text as a revision, as a visit would."""
        self._add_urls(article_id, keys, record, seen_at)
        found = reparse_difference(self.db.conn, article_id, record)
        current, row, changed, old_related, new_related = (found.current, found.row, found.changed,
                                                           found.old_related, found.new_related)
        heading_changed = "related_heading" in changed
        fields = found.fields
        if changed or found.methods_changed:
            revised = any(c in REVISION_COLUMNS for c in changed)
            if revised:
                self._insert_revision(current, seen_at)
            update = {c: row[c] for c in changed}
            update["extraction"] = row["extraction"]
            update["content_hash"] = dedupe.content_hash(row["body"] or "")
            self.db["articles"].update(article_id, update)
            if "body" in changed:
                self.db.execute("delete from minhash_bands where article_id = ?", [article_id])
                self._write_bands(article_id, dedupe.minhash_bands(row["body"] or ""))
        if old_related != new_related or heading_changed:
            self._write_related(article_id, record)
        if not fields:
            return StoreResult(UNCHANGED, article_id)
        outcome = REVISED if any(c in REVISION_COLUMNS for c in changed) else UPDATED
        return StoreResult(outcome, article_id, changed=tuple(fields))

    def _write_bands(self, article_id: int, bands: list[tuple[int, int]] | None) -> None:
        if bands:
            self.db.conn.executemany(
                "insert or ignore into minhash_bands (band, value, article_id) values (?, ?, ?)",
                [(band, value, article_id) for band, value in bands],
            )

    def _near_duplicate(self, body: str, bands: list[tuple[int, int]],
                        mine=None) -> tuple[tuple[int, float] | None, Any]:
        """The archived article the body nearly repeats, with the similarity; and the body's
        shingles when they were needed (None when no article shares a band with it)."""
        clauses = " or ".join("(band = ? and value = ?)" for _ in bands)
        params = [x for pair in bands for x in pair]
        candidates = [
            r[0]
            for r in self.db.execute(
                f"select distinct article_id from minhash_bands where {clauses} limit 20", params
            )
        ]
        if not candidates:
            return None, mine
        if mine is None:
            mine = dedupe.shingles(body)
        best: tuple[int, float] | None = None
        for candidate in candidates:
            other = self._shingles_of(candidate)
            score = dedupe.similarity(mine, other) if other is not None else 0.0
            if score >= dedupe.NEAR_DUPLICATE_MIN_SIMILARITY and (best is None or score > best[1]):
                best = (candidate, score)
        return best, mine

    def _shingles_of(self, article_id: int):
        """The archived article's shingles. The same articles come up as candidates again and
        again (a story's syndicated copies, an agency's boilerplate), and shingling a body
        costs more than the rest of a check: kept for the most recent, under the text's
        hash, so that a body changed since (a revision, a promotion, a rolled-back batch)
        is never compared as it was."""
        row = self.db.execute("select content_hash from articles where id = ?", [article_id]).fetchone()
        if row is None:
            return None
        key = (article_id, row[0])
        cache = self._shingle_cache
        found = cache.get(key)
        if found is None:
            body = self.db.execute("select body from articles where id = ?", [article_id]).fetchone()[0]
            found = self._remember_shingles(key, dedupe.shingles(body or ""))
        else:
            cache.move_to_end(key)
        return found

    def _remember_shingles(self, key: tuple[int, str], shingles):
        cache = self._shingle_cache
        cache[key] = shingles
        if len(cache) > self._shingle_cache_size:
            cache.popitem(last=False)
        return shingles

    # -- which of two copies of one text is the original ----------------------------------------------

    def _comes_first(self, record: Mapping[str, Any], article_id: int, seen_at: str) -> bool:
        """Whether `record` is the original rather than archived article `article_id`, whose
        text it repeats: it was published earlier (both dates known), or, when the
        publication dates do not tell them apart (equal, or one undated), it was captured
        earlier (an import meets captures in file order, not date order). The same
        whichever of the two comes first (crawls meet pages in an order no one chooses:
        concurrent downloads, worker processes, a resumed run), so that which is the original
        is a fact of the pages, not of the order they came in. In a crawl every page is seen
        after what the archive holds, so there copies of one moment, or undated, stay as met:
        the first is the original. An article with revisions stays the original: its history
        is its own."""
        from archive.incremental import parse_time

        row = self.db.execute(
            "select published, exists(select 1 from revisions where article_id = a.id), first_seen"
            " from articles a where id = ?",
            [article_id],
        ).fetchone()
        if row is None or row[1]:
            return False
        mine, theirs = parse_time(record.get("published")), parse_time(row[0])
        if mine is not None and theirs is not None and mine != theirs:
            earlier = mine < theirs
        else:
            earlier = bool(row[2]) and seen_at < row[2]
        if not earlier:
            return False
        # Met before and found a copy then: decided.
        return not self.db.execute("select 1 from duplicates where url_key = ?", [dedupe.url_key(record["url"])]).fetchone()

    def _promote(self, record: Mapping[str, Any], decision: Decision, seen_at: str) -> StoreResult:
        """`record` becomes the article; the archived one it copies (`decision.article_id`)
        becomes its duplicate, under every URL form it was met under, and so do the copies
        recorded of it. Returns NEW, for the record."""
        old = next(self.db.query("select * from articles where id = ?", [decision.article_id]))
        fingerprint = dedupe.fingerprint(record.get("body") or "")
        result = self._insert_article(record, Decision(NEW, decision.keys, bands=fingerprint[1],
                                                       content_hash=fingerprint[0]), seen_at)
        new_id = result.article_id
        forms = self.db.execute("select url_key, url from article_urls where article_id = ?", [old["id"]]).fetchall()
        for key, url in forms:
            self.db.execute(
                "insert into duplicates (article_id, url, url_key, title, reason, similarity, first_seen, last_seen)"
                " values (?, ?, ?, ?, ?, ?, ?, ?) on conflict(url_key) do update set article_id = excluded.article_id",
                [new_id, url, key, old["title"], decision.reason, round(decision.similarity or 0.0, 4),
                 old["first_seen"], old["last_seen"]],
            )
        self.db.execute("update duplicates set article_id = ? where article_id = ?", [new_id, old["id"]])
        self.db.execute("delete from article_urls where article_id = ?", [old["id"]])
        self.db.execute("delete from related where article_id = ?", [old["id"]])
        self.db.execute("delete from minhash_bands where article_id = ?", [old["id"]])
        self.db.execute("delete from articles where id = ?", [old["id"]])
        return result

    def _record_duplicate(self, decision: Decision, record, seen_at) -> StoreResult:
        self.db.execute(
            "insert into duplicates (article_id, url, url_key, title, reason, similarity, first_seen, last_seen)"
            " values (?, ?, ?, ?, ?, ?, ?, ?)"
            " on conflict(url_key) do update set last_seen = excluded.last_seen",
            [
                decision.article_id,
                record["url"],
                decision.keys[0],
                record.get("title"),
                decision.reason,
                round(decision.similarity or 0.0, 4),
                seen_at,
                seen_at,
            ],
        )
        return StoreResult(DUPLICATE, decision.article_id, decision.reason, decision.similarity)

    def _write_related(self, article_id: int, record: Mapping[str, Any]) -> None:
        # The newest related list replaces the old one: it is the page's navigation, not
        # its text, and changes as the site publishes.
        self.db.execute("delete from related where article_id = ?", [article_id])
        heading = record.get("related_heading")
        rows = [
            (article_id, position, heading, entry.get("title"), entry.get("url"), entry.get("published"))
            for position, entry in enumerate(record.get("related") or [], start=1)
        ]
        if rows:
            self.db.conn.executemany(
                "insert into related (article_id, position, heading, title, url, published) values (?, ?, ?, ?, ?, ?)",
                rows,
            )

    def _insert(self, table: str, row: Mapping[str, Any]) -> int:
        """Insert one row (plain values) and return its rowid: one prepared statement, where
        sqlite-utils' `insert` looks the table up and converts every value first."""
        columns = ", ".join(f"[{c}]" for c in row)
        placeholders = ", ".join("?" for _ in row)
        cursor = self.db.conn.execute(f"insert into [{table}] ({columns}) values ({placeholders})", list(row.values()))
        return cursor.lastrowid
