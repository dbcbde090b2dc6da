"""Deferred indexing (m205): a writer's batch of articles is indexed in one statement when it
commits, not article by article by the triggers. Whatever the batch did (new articles,
revisions of articles of earlier batches and of its own, copies that take an original's
place), both full-text indexes then hold exactly what a rebuild from `articles` makes; a
batch left unindexed by a crash or a stray commit, with another program's writes on top, is
indexed when the archive is next opened for writing."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from archive import read as lib
from archive.schema import DEFERRED_TABLE, migrations
from archive.store import Archive
from tests.conftest import LOREM, make_record

ZH = "中关村科技园区与首钢园区签署合作协议，双方将在人工智能领域开展合作。"


def index_content(path: Path) -> dict[str, list[tuple]]:
    """Every (term, article, column, offset) of the word index and (term, article) of the
    trigram index."""
    conn = sqlite3.connect(path)
    conn.execute("CREATE VIRTUAL TABLE temp.fts_terms USING fts5vocab(main, articles_fts, instance)")
    conn.execute("CREATE VIRTUAL TABLE temp.trigram_terms USING fts5vocab(main, articles_trigram, instance)")
    content = {
        "words": conn.execute("SELECT term, doc, col, offset FROM fts_terms ORDER BY 1, 2, 3, 4").fetchall(),
        "trigrams": conn.execute("SELECT DISTINCT term, doc FROM trigram_terms ORDER BY 1, 2").fetchall(),
    }
    conn.close()
    return content


def assert_indexes_match_a_rebuild(path: Path, tmp_path: Path) -> None:
    conn = sqlite3.connect(path)
    for table in ("articles_fts", "articles_trigram"):
        conn.execute(f"INSERT INTO {table} ({table}) VALUES ('integrity-check')")
    assert conn.execute(f"SELECT count(*) FROM {DEFERRED_TABLE}").fetchone()[0] == 0
    conn.close()
    rebuilt = tmp_path / "rebuilt.db"
    shutil.copy(path, rebuilt)
    conn = sqlite3.connect(rebuilt)
    for table in ("articles_fts", "articles_trigram"):
        conn.execute(f"INSERT INTO {table} ({table}) VALUES ('rebuild')")
    conn.commit()
    conn.close()
    got, want = index_content(path), index_content(rebuilt)
    assert len(want["words"]) > 50 and len(want["trigrams"]) > 20
    assert got == want


def test_a_batch_of_every_kind_of_store_is_indexed_as_a_rebuild_indexes_it(archive_path, tmp_path):
    with Archive(archive_path, create=True, batch_size=1000) as archive:
        # An earlier batch, indexed at its commit.
        archive.store(make_record(url="https://www.example.com/a", title="Shougang park opens", body=LOREM),
                      seen_at="2024-05-01T00:00:00Z")
        archive.store(make_record(url="https://www.example.cn/zh/1", title="首钢园区", body=ZH * 4, language="zh"),
                      seen_at="2024-05-01T00:00:00Z")
        archive.flush()
        # One batch: revisions of both, new articles, a revision of one of its own, a copy
        # captured before its original (it takes the original's place: a delete and an insert).
        archive.store(make_record(url="https://www.example.com/a", title="Shougang park opens",
                                  body=LOREM + "\n\nA correction was added."), seen_at="2024-05-02T00:00:00Z")
        archive.store(make_record(url="https://www.example.cn/zh/1", title="首钢园区 (更新)", body=ZH * 5,
                                  language="zh"), seen_at="2024-05-02T00:00:00Z")
        archive.store(make_record(url="https://www.example.com/b", title="Desalination plant",
                                  body="The desalination plant opened. " * 20), seen_at="2024-05-02T00:00:00Z")
        archive.store(make_record(url="https://www.example.com/b", title="Desalination plant delayed",
                                  body="The desalination plant is delayed. " * 20), seen_at="2024-05-03T00:00:00Z")
        archive.store(make_record(url="https://www.example.com/c", title="Zhongguancun (中关村)",
                                  body="Zhongguancun Science Park (中关村科技园) is in Beijing. " * 10),
                      seen_at="2024-05-04T00:00:00Z")
        copy = archive.store(make_record(url="https://www.example.org/copy-of-c", title="Zhongguancun (中关村)",
                                         body="Zhongguancun Science Park (中关村科技园) is in Beijing. " * 10),
                             seen_at="2024-05-01T12:00:00Z")
        assert copy.outcome == "new"  # the earlier capture is the original now
        # Not searchable before the commit, searchable after.
        assert lib.search(archive.db, "desalination").hits == []
        archive.flush()
        assert [h.title for h in lib.search(archive.db, "desalination").hits] == ["Desalination plant delayed"]
        found = {h.url for h in lib.search(archive.db, "Zhongguancun").hits}
        assert found == {"https://www.example.org/copy-of-c"}
        assert lib.search(archive.db, "correction").total == 1
    assert_indexes_match_a_rebuild(archive_path, tmp_path)


def test_a_batch_left_unindexed_is_indexed_at_the_next_open_with_other_programs_writes(archive_path, tmp_path):
    archive = Archive(archive_path, create=True)
    archive.store(make_record(url="https://www.example.com/a", title="Shougang park opens", body=LOREM))
    archive.flush()
    archive.store(make_record(url="https://www.example.com/b", title="Desalination plant",
                              body="The desalination plant opened. " * 20))
    archive.store(make_record(url="https://www.example.cn/zh/1", title="首钢园区", body=ZH * 4, language="zh"))
    # A commit that is not the archive's own (the batch's indexing not done), then the
    # process dies: its connection is gone without a flush.
    archive.db.conn.commit()
    archive.db.conn.close()
    conn = sqlite3.connect(archive_path)
    assert conn.execute(f"SELECT count(*) FROM {DEFERRED_TABLE}").fetchone()[0] == 1
    assert conn.execute("SELECT count(*) FROM articles_fts WHERE articles_fts MATCH 'desalination'").fetchone()[0] == 0
    # Another program writes meanwhile: a new article, a change to an unindexed one and to an
    # indexed one, a deletion of an unindexed one.
    conn.execute("INSERT INTO articles (url, url_key, title, body, site, first_seen, last_seen) VALUES "
                 "('https://www.example.com/x', 'example.com/x', 'Added by hand', 'Quarkwell turbines. ' || ?, "
                 "'example.com', '2024-01-01', '2024-01-01')", [LOREM])
    conn.execute("UPDATE articles SET title = 'Desalination plant delayed' WHERE url = 'https://www.example.com/b'")
    conn.execute("UPDATE articles SET body = body || ' A correction.' WHERE url = 'https://www.example.com/a'")
    zh = conn.execute("SELECT id FROM articles WHERE url = 'https://www.example.cn/zh/1'").fetchone()[0]
    for table in ("related", "article_urls", "minhash_bands"):
        conn.execute(f"DELETE FROM {table} WHERE article_id = ?", [zh])
    conn.execute("DELETE FROM articles WHERE id = ?", [zh])
    conn.commit()
    conn.close()
    with Archive(archive_path) as archive:
        assert [h.title for h in lib.search(archive.db, "desalination").hits] == ["Desalination plant delayed"]
        assert [h.title for h in lib.search(archive.db, "quarkwell").hits] == ["Added by hand"]
        assert lib.search(archive.db, "correction").total == 1
        assert lib.search(archive.db, "首钢园区").hits == []
        archive.store(make_record(url="https://www.example.cn/zh/2", title="首钢园区", body=ZH * 3, language="zh"))
    assert_indexes_match_a_rebuild(archive_path, tmp_path)


def test_a_rolled_back_batch_leaves_no_deferral_behind(archive_path, tmp_path):
    with Archive(archive_path, create=True) as archive:
        archive.store(make_record(url="https://www.example.com/a", title="Shougang park opens", body=LOREM))
        archive.flush()
        archive.store(make_record(url="https://www.example.com/b", title="Desalination plant",
                                  body="The desalination plant opened. " * 20))
        archive.db.conn.rollback()
        # The next store defers again (or, the deferral undone, the triggers index it).
        archive.store(make_record(url="https://www.example.com/c", title="Quarkwell turbines",
                                  body="Quarkwell turbines were installed. " * 20))
        archive.store(make_record(url="https://www.example.cn/zh/1", title="首钢园区", body=ZH * 4, language="zh"))
    with Archive(archive_path) as archive:
        assert lib.search(archive.db, "desalination").hits == []
        assert lib.search(archive.db, "quarkwell").total == 1
    assert_indexes_match_a_rebuild(archive_path, tmp_path)


@pytest.mark.parametrize("stores", [0, 3])
def test_an_archive_from_before_m205_is_migrated_and_keeps_its_indexes(tmp_path, stores):
    from unittest import mock

    path = tmp_path / "archive.db"
    with mock.patch("archive.store.apply_migrations",
                    lambda db: migrations.apply(db, stop_before="m205_deferred_indexing")):
        with Archive(path, create=True) as archive:
            for n in range(stores):
                archive.store(make_record(url=f"https://www.example.com/{n}", title=f"Shougang {n}",
                                          body=" ".join(f"report{n}word{i}" for i in range(80))))
            archive.store(make_record(url="https://www.example.cn/zh/1", title="首钢园区", body=ZH * 4, language="zh"))
            assert DEFERRED_TABLE not in archive.db.table_names()
    with Archive(path) as archive:
        assert DEFERRED_TABLE in archive.db.table_names()
        assert lib.search(archive.db, "shougang").total == stores
        archive.store(make_record(url="https://www.example.com/new", title="Shougang new", body="New. " + LOREM))
        archive.flush()
        assert lib.search(archive.db, "shougang").total == stores + 1
        assert lib.search(archive.db, "首钢园区").total == 1
    assert_indexes_match_a_rebuild(path, tmp_path)
