"""The archive's write path: new articles, the same article again, revisions, duplicates,
batching, and refusing paths that cannot be an archive."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap

import pytest
from sqlite_utils import Database

from archive.store import Archive, ArchiveError, ArchiveReadOnlyError
from tests.conftest import LOREM, ROOT, make_record


def test_new_article_is_stored_with_related_and_searchable(archive_path):
    with Archive(archive_path, create=True) as archive:
        result = archive.store(make_record())
        assert result.outcome == "new"
        # WAL while a writer has it open: readers go on reading meanwhile.
        assert archive.db.execute("pragma journal_mode").fetchone()[0] == "wal"
    db = Database(archive_path)
    row = db["articles"].get(result.article_id)
    assert row["title"] == "Council approves transport plan"
    assert row["first_seen"] == row["last_seen"]
    related = list(db["related"].rows)
    assert [(r["position"], r["title"], r["url"]) for r in related] == [
        (1, "Earlier plan", "https://www.example.com/news/2024/b.html")
    ]
    hits = list(db["articles"].search("tram"))
    assert [h["id"] for h in hits] == [result.article_id]
    # At rest, closed with no reader open: out of WAL, so that plain SQLite programs can read
    # it on read-only media (no -shm file to create there).
    assert db.execute("pragma journal_mode").fetchone()[0] == "delete"


@pytest.mark.parametrize(
    "variant",
    [
        "http://www.example.com/news/2024/a.html",
        "https://example.com/news/2024/a.html",
        "https://www.example.com/news/2024/a.html?utm_source=twitter&utm_medium=social",
        "https://www.example.com/news/2024/a.html#comments",
    ],
)
def test_same_article_under_another_url_form_adds_no_row(archive_path, variant):
    with Archive(archive_path, create=True) as archive:
        first = archive.store(make_record(), seen_at="2024-11-18T00:00:00+00:00")
        again = archive.store(make_record(url=variant), seen_at="2024-11-19T00:00:00+00:00")
        assert again.outcome == "unchanged"
        assert again.article_id == first.article_id
        assert archive.counts()["articles"] == 1
        assert archive.get_article(first.article_id)["last_seen"] == "2024-11-19T00:00:00+00:00"


def test_canonical_link_identifies_the_article(archive_path):
    with Archive(archive_path, create=True) as archive:
        first = archive.store(make_record(url="https://m.example.com/a", canonical_url="https://www.example.com/news/2024/a.html"))
        again = archive.store(make_record(url="https://www.example.com/news/2024/a.html"))
        assert again.outcome == "unchanged" and again.article_id == first.article_id


def test_changed_body_keeps_old_text_as_revision(archive_path):
    with Archive(archive_path, create=True) as archive:
        first = archive.store(make_record())
        revised = archive.store(make_record(body=LOREM + "\n\nA correction was appended."))
        assert revised.outcome == "revised"
        unchanged = archive.store(make_record(body=LOREM + "\n\nA correction was appended."))
        assert unchanged.outcome == "unchanged"
        counts = archive.counts()
    assert counts["articles"] == 1 and counts["revisions"] == 1
    db = Database(archive_path)
    assert "correction" in db["articles"].get(first.article_id)["body"]
    old = next(db["revisions"].rows)
    assert "Wednesday" in old["body"] and old["article_id"] == first.article_id
    # The FTS index follows the newest text.
    assert [h["id"] for h in db["articles"].search("correction")] == [first.article_id]


def test_same_text_under_new_url_is_a_duplicate_not_an_article(archive_path):
    with Archive(archive_path, create=True) as archive:
        first = archive.store(make_record())
        copy = archive.store(make_record(url="https://other.example.org/syndicated/123", title="Another headline"))
        assert (copy.outcome, copy.article_id, copy.reason) == ("duplicate", first.article_id, "same_text")
        again = archive.store(make_record(url="https://other.example.org/syndicated/123", title="Another headline"))
        assert again.outcome == "duplicate"
        assert archive.counts()["articles"] == 1
        assert archive.counts()["duplicates"] == 1


def test_near_duplicate_with_edits_is_detected(archive_path):
    body = make_record()["body"]
    edited = body.replace("Tuesday", "Monday") + "\n\n(Source: Xinhua)"
    with Archive(archive_path, create=True) as archive:
        first = archive.store(make_record())
        copy = archive.store(make_record(url="https://copy.example.net/x", body=edited))
        assert copy.outcome == "duplicate" and copy.reason == "near_duplicate"
        assert copy.article_id == first.article_id and copy.similarity >= 0.8
        other = archive.store(make_record(url="https://copy.example.net/y", body="An unrelated story about football. " * 20))
        assert other.outcome == "new"


def test_a_new_verdict_made_before_another_store_is_looked_up_again(archive_path):
    """`classify` now, `store` later: a record of the same URL stored in between makes the
    NEW verdict stale, and storing it must not make a second article."""
    with Archive(archive_path, create=True) as archive:
        verdict = archive.classify(make_record())
        assert verdict.kind == "new"
        first = archive.store(make_record(), seen_at="2024-11-18T00:00:00+00:00")
        again = archive.store(make_record(), verdict, seen_at="2024-11-19T00:00:00+00:00")
        assert (again.outcome, again.article_id) == ("unchanged", first.article_id)
        assert archive.counts()["articles"] == 1


def test_batches_commit_and_close_flushes(archive_path):
    archive = Archive(archive_path, batch_size=3, create=True)
    for n in range(4):
        archive.store(make_record(url=f"https://www.example.com/{n}", body=f"Story number {n}. " * 30))
    reader = sqlite3.connect(archive_path)
    assert reader.execute("select count(*) from articles").fetchone()[0] == 3  # 4th in flight
    archive.close()
    assert reader.execute("select count(*) from articles").fetchone()[0] == 4


@pytest.mark.subprocess
def test_crash_loses_at_most_the_batch_in_flight(archive_path, tmp_path):
    script = textwrap.dedent(f"""
        import os
        from archive.store import Archive
        from tests.conftest import make_record
        archive = Archive({str(archive_path)!r}, batch_size=5, create=True)
        for n in range(12):
            archive.store(make_record(url=f"https://www.example.com/{{n}}", body=f"Story number {{n}}. " * 30))
        os._exit(9)  # dies without closing: no flush, no cleanup
    """)
    proc = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True)
    assert proc.returncode == 9, proc.stderr
    db = sqlite3.connect(archive_path)
    assert db.execute("pragma integrity_check").fetchone()[0] == "ok"
    assert db.execute("select count(*) from articles").fetchone()[0] == 10
    assert db.execute("select count(*) from articles_fts").fetchone()[0] == 10


def test_a_store_waits_for_another_programs_write_lock_as_long_as_lock_timeout(archive_path):
    """A batch's first store reads (which article a URL is) before it writes: begun as a
    plain deferred transaction, SQLite refused its write at once while another program held
    the lock, without waiting lock_timeout (the busy handler is not called for a transaction
    that has read), and a crawl stopped on a lock held for a moment."""
    import threading
    import time

    with Archive(archive_path, batch_size=1, create=True, lock_timeout=10) as archive:
        archive.store(make_record())
        other = sqlite3.connect(archive_path, timeout=0, check_same_thread=False)
        other.execute("begin immediate")
        releaser = threading.Timer(0.5, other.rollback)
        releaser.start()
        started = time.monotonic()
        second = archive.store(make_record(url="https://www.example.com/2", body="Second story text here. " * 20))
        waited = time.monotonic() - started
        releaser.join()
        other.close()
    assert second.outcome == "new"
    assert waited >= 0.4
    assert Database(archive_path)["articles"].count == 2


def test_missing_directory_is_a_clear_error(tmp_path):
    with pytest.raises(ArchiveError, match="archive directory does not exist"):
        Archive(tmp_path / "nope" / "archive.db", create=True)


def test_file_that_is_not_sqlite_is_refused_untouched(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("these are my notes, not a database\n")
    with pytest.raises(ArchiveError, match="not an SQLite database"):
        Archive(path, create=True)
    assert path.read_text() == "these are my notes, not a database\n"


def test_failed_record_leaves_batch_intact(archive_path):
    with Archive(archive_path, batch_size=10, create=True) as archive:
        archive.store(make_record())
        with pytest.raises(Exception):
            archive.store({"title": "no url"})
        archive.store(make_record(url="https://www.example.com/2", body="Second story text here. " * 20))
    assert Database(archive_path)["articles"].count == 2


def test_readonly_archive_reads_and_refuses_writes(archive_path):
    with Archive(archive_path, create=True) as archive:
        first = archive.store(make_record())
    with Archive(archive_path, readonly=True) as archive:
        assert archive.get_article(first.article_id)["title"] == "Council approves transport plan"
        with pytest.raises(ArchiveReadOnlyError):
            archive.store(make_record(url="https://www.example.com/other"))


def test_bands_of_an_older_shingle_scheme_are_recomputed_on_open(archive_path):
    from archive.dedupe import BAND_BASE

    with Archive(archive_path, create=True) as archive:
        article_id = archive.store(make_record()).article_id
        # What an archive written before the shingle scheme changed holds.
        archive.db.execute("update minhash_bands set band = band - ?", [BAND_BASE])
    with Archive(archive_path, create=True) as archive:
        bands = [r[0] for r in archive.db.execute("select band from minhash_bands where article_id = ?", [article_id])]
        assert bands and min(bands) >= BAND_BASE
        edited = make_record()["body"].replace("Tuesday", "Monday") + "\n\n(Source: Xinhua)"
        copy = archive.store(make_record(url="https://copy.example.net/x", body=edited))
        assert (copy.outcome, copy.reason, copy.article_id) == ("duplicate", "near_duplicate", article_id)


@pytest.mark.parametrize("captures", [
    # (text, day): each text seen once; a text seen again after another; a first text seen twice.
    [("A", 1), ("B", 2), ("C", 3)],
    [("A", 1), ("X", 2), ("A", 3)],
    [("A", 1), ("A", 2), ("B", 3), ("C", 4)],
])
def test_captures_in_any_order_make_the_history_date_order_makes(tmp_path, captures):
    """An import of an older web archive after a newer one: each capture takes its place in
    the article's history by its date, as if the captures had come in date order."""
    import itertools

    def history(order, name):
        path = tmp_path / f"{name}.db"
        with Archive(path, create=True) as archive:
            for text, day in order:
                record = make_record(body=LOREM + f"\n\nVersion {text} of the story, as it read that day.")
                archive.store(record, seen_at=f"2024-05-0{day}T00:00:00+00:00")
        db = Database(path)
        article = next(db["articles"].rows)
        revisions = [(r["body"][-40:], r["superseded_at"], r["first_seen"])
                     for r in db.query("select * from revisions order by superseded_at")]
        return article["body"][-40:], article["first_seen"], article["last_seen"], revisions, db["articles"].count

    expected = history(captures, "in-date-order")
    assert len(expected[3]) == len(captures) - 1 - (captures[0][0] == captures[1][0])
    for n, order in enumerate(itertools.permutations(captures)):
        assert history(order, f"order-{n}") == expected, order
