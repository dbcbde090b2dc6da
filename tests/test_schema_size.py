"""Migration m203 (a smaller archive): an archive written under m202 keeps its data and every
search when it is migrated; the word index leaves CJK runs out; a new archive stores the
same way."""

from __future__ import annotations

import asyncio
import json
import random
import sqlite3
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
from sqlite_utils import Database

from archive import search as lib
from archive.schema import migrations
from archive.store import DUPLICATE, NEW, UNCHANGED, Archive, compact_extraction, extraction_methods
from tests.conftest import LOREM, make_record

ROOT = Path(__file__).resolve().parent.parent
GENERIC = {
    "language": "html", "title": "og", "canonical_url": "link", "body": "trafilatura+clean",
    "published": "htmldate", "source": "dateline", "related": "generic", "related_heading": "generic",
    "copyright": "generic",
}
PROFILE = {f: "profile:ecns" for f in ("title", "body", "published", "updated", "source", "authors", "editor",
                                        "language", "canonical_url", "related_heading", "related", "copyright")}
DESALINATION = (
    "A desalination plant on the northern coast began pumping fresh water to farms this week, engineers "
    "said, after two dry summers left reservoirs at record lows. The plant filters seawater through "
    "membranes powered by a nearby wind farm, and its operators expect to supply forty villages by spring. "
    "Fishermen worry about the brine returned to the bay; biologists will sample the water every month. "
)
FESTIVAL = (
    "Thousands of visitors crowded the riverside gardens for the lantern festival on Saturday night, "
    "watching dancers, drummers and puppet shows until the fireworks closed the evening. Vendors sold "
    "dumplings and sweet rice cakes, children floated paper boats along the canal, and volunteers "
    "collected litter so the lawns were clean again by the next morning, the organisers said. "
)
ZH_BODY = "中关村科技园区与首钢园区签署合作协议，双方将在人工智能AI和5G领域开展合作。" * 8 + "Zhongguancun首钢园区。"


def records() -> list[dict]:
    return [
        make_record(
            url="https://www.ecns.cn/business/2014/08-19/130296.shtml?utm_source=rss",
            canonical_url="https://www.ecns.cn/business/2014/08-19/130296.shtml",
            title="Zhongguancun, Shougang join hands on industrial platform",
            body=LOREM + "\n\nThe Zhongguancun Science Park and Shougang signed the deal. " + LOREM,
            extraction=PROFILE,
        ),
        make_record(url="https://www.example.com/news/2024/b.html", title="Desalination plant opens",
                    body=DESALINATION * 2, extraction=GENERIC),
        make_record(url="https://www.example.cn/zh/1.html", title="中关村与首钢携手打造产业平台", body=ZH_BODY,
                    language="zh", extraction={"title": "h1", "body": "trafilatura"}),
        make_record(url="https://www.example.com/news/2024/c.html", title="Festival in the park",
                    body=FESTIVAL * 2 + "Museums stay open late.", extraction=None),
    ]


def build_m202(path: Path) -> None:
    """An archive as the version before m203 wrote it (extraction as plain JSON)."""
    def apply_up_to_m202(db):
        migrations.apply(db, stop_before="m203_compact_storage")

    with mock.patch("archive.store.apply_migrations", apply_up_to_m202):
        with Archive(path, create=True) as archive:
            for record in records():
                assert archive.store(record, seen_at="2024-11-20T00:00:00+00:00").outcome == NEW
            # A revision and a syndicated copy.
            revised = dict(records()[3], body=records()[3]["body"] + " A late change.")
            archive.store(revised, seen_at="2024-11-21T00:00:00+00:00")
            copy = dict(records()[1], url="https://copies.example.org/b.html")
            assert archive.store(copy, seen_at="2024-11-21T00:00:00+00:00").outcome == DUPLICATE
            for record in records():
                archive.db.execute(
                    "update articles set extraction = ? where id = ?",
                    [json.dumps(record["extraction"], ensure_ascii=False) if record["extraction"] else None,
                     archive.article_id_for_url(record["url"])],
                )
    db = Database(path)
    applied = {r["name"] for r in db["_sqlite_migrations"].rows}
    assert "m202_query_views" in applied and "m203_compact_storage" not in applied
    assert "WITHOUT ROWID" not in db["minhash_bands"].schema
    db.close()


def snapshot(db: Database) -> dict:
    q = lambda sql: sorted(tuple(r) for r in db.execute(sql).fetchall())  # noqa: E731
    return {
        "articles": q("select id, url, url_key, title, body, published, content_hash, first_seen, last_seen from articles"),
        "article_urls": q("select url_key, article_id, url, first_seen from article_urls"),
        "minhash_bands": q("select band, value, article_id from minhash_bands"),
        "related": q("select article_id, position, heading, title, url, published from related"),
        "revisions": q("select article_id, title, body from revisions"),
        "duplicates": q("select article_id, url, reason from duplicates"),
        "related_links": q("select article_id, position, url, archived_id from related_links"),
    }


@pytest.fixture
def migrated(tmp_path) -> tuple[Path, dict]:
    path = tmp_path / "archive.db"
    build_m202(path)
    db = Database(path)
    before = snapshot(db)
    extraction_before = {r[0]: r[1] for r in db.execute("select id, extraction from articles")}
    db.close()
    Archive(path, create=True).close()  # opened for writing: migrated
    return path, {"snapshot": before, "extraction": extraction_before}


def test_migration_keeps_every_row(migrated):
    path, before = migrated
    db = Database(path)
    assert "m203_compact_storage" in {r["name"] for r in db["_sqlite_migrations"].rows}
    assert snapshot(db) == before["snapshot"]
    assert len(before["snapshot"]["minhash_bands"]) >= 8 * 3
    for table in ("minhash_bands", "article_urls"):
        assert db[table].schema.rstrip().endswith("WITHOUT ROWID")
    assert db["article_urls"].indexes[0].columns == ["article_id"]
    # The extraction, now compact, reads back as the same methods.
    for article_id, stored in db.execute("select id, extraction from articles"):
        old = before["extraction"][article_id]
        assert extraction_methods(stored) == (json.loads(old) if old else None)
    profile_page = db.execute("select extraction from articles where title like 'Zhongguancun, Shougang%'").fetchone()[0]
    assert profile_page == '{"*":"profile:ecns"}'
    for table in ("articles_fts", "articles_trigram"):
        db.execute(f"insert into {table} ({table}) values ('integrity-check')")
    db.close()


def test_word_index_leaves_out_cjk_runs_but_keeps_latin_words(migrated):
    path, _ = migrated
    db = Database(path)
    db.execute("create virtual table temp.words using fts5vocab(main, articles_fts, row)")
    terms = [r[0] for r in db.execute("select term from temp.words")]
    assert not [t for t in terms if any("\u3400" <= ch <= "\u9fff" for ch in t)]
    assert {"ai", "5g", "zhongguancun"} <= set(terms)
    zh_id = db.execute("select id from articles where language = 'zh'").fetchone()[0]
    # English words inside Chinese text (even with no space before the ideographs) are found.
    for word in ("AI", "zhongguancun"):
        ids = [r[0] for r in db.execute("select rowid from articles_fts where articles_fts match ?", [word])]
        assert zh_id in ids, word
    db.close()


def test_searches_after_migration(migrated):
    path, _ = migrated
    db = lib.connect(path)
    titles = lambda query, **f: [h.title for h in lib.search(db, query, filters=lib.Filters(**f)).hits]  # noqa: E731
    assert titles("Shougang")[0] == "Zhongguancun, Shougang join hands on industrial platform"
    assert titles('"science park"') == ["Zhongguancun, Shougang join hands on industrial platform"]
    assert "Zhongguancun, Shougang join hands on industrial platform" in titles("zhongguan*")
    assert set(titles("zhongguancun OR desalination")) >= {"Desalination plant opens", "中关村与首钢携手打造产业平台"}
    assert titles("water NOT desalination") == []
    assert titles("visitors NOT desalination") == ["Festival in the park"]
    assert titles("首钢") == ["中关村与首钢携手打造产业平台"]
    assert titles("首钢园区") == ["中关村与首钢携手打造产业平台"]
    assert titles("人工智能 OR 中关村") == ["中关村与首钢携手打造产业平台"]
    assert titles("AI", language="zh") == ["中关村与首钢携手打造产业平台"]
    assert lib.get_article(db, "http://ecns.cn/business/2014/08-19/130296.shtml")["title"].startswith("Zhongguancun")


def test_sqlite_utils_and_datasette_find_the_word_index(migrated):
    path, _ = migrated
    db = Database(path)
    assert db["articles"].detect_fts() == "articles_fts"
    rows = list(db["articles"].search("Shougang", columns=["title"]))
    assert rows[0]["title"] == "Zhongguancun, Shougang join hands on industrial platform"
    db.close()
    out = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "sqlite-utils"), "search", str(path), "articles", "Shougang", "-c", "title"],
        capture_output=True, text=True, check=True,
    ).stdout
    assert "Zhongguancun, Shougang join hands on industrial platform" in out

    from datasette.app import Datasette

    async def search() -> list[dict]:
        ds = Datasette([str(path)])
        response = await ds.client.get("/archive/articles.json?_search=Shougang&_shape=array&_col=title")
        assert response.status_code == 200
        return response.json()

    assert [r["title"] for r in asyncio.run(search())] == ["Zhongguancun, Shougang join hands on industrial platform"]


def test_store_keeps_working_after_migration(migrated):
    path, _ = migrated
    with Archive(path, create=True) as archive:
        first = records()[0]
        # Seen again under its fetched URL and its canonical one: the same article.
        assert archive.store(first).outcome == UNCHANGED
        assert archive.store(dict(first, url=first["canonical_url"])).outcome == UNCHANGED
        # A near copy under a new URL is found through the (new) bands table.
        copy = dict(records()[1], url="https://mirror.example.net/b.html", title="Copied",
                    body=records()[1]["body"] + " Reposted with permission.")
        result = archive.store(copy)
        assert result.outcome == DUPLICATE and result.reason == "near_duplicate"
        new = archive.store(make_record(url="https://www.example.com/new.html", title="Brand new",
                                        body="Entirely different words about rivers and bridges number " + " ".join(map(str, range(80))),
                                        extraction=PROFILE))
        assert new.outcome == NEW
        assert archive.db.execute("select extraction from articles where id = ?", [new.article_id]).fetchone()[0] \
            == '{"*":"profile:ecns"}'
        assert archive.db.execute("select count(*) from minhash_bands where article_id = ?", [new.article_id]).fetchone()[0] == 8


def test_extraction_round_trip():
    from crawler.extraction.cascade import FIELDS

    from archive.store import EXTRACTION_FIELDS

    assert tuple(FIELDS) == EXTRACTION_FIELDS
    for methods in (PROFILE, GENERIC, {"title": "h1"}, {}, {**PROFILE, "body": "trafilatura"}, {"title": "og", "x": "y"}):
        stored = compact_extraction(methods)
        assert extraction_methods(stored) == methods
        assert len(stored) <= len(json.dumps(methods, separators=(",", ":")))
    assert compact_extraction(None) is None and extraction_methods(None) is None


def test_new_archive_has_the_compact_schema(archive_path):
    Archive(archive_path, create=True).close()
    db = Database(archive_path)
    sql = db.execute("select sql from sqlite_master where name = 'articles_fts'").fetchone()[0]
    assert "separators" in sql and 'content="articles"' in sql
    assert db["minhash_bands"].schema.rstrip().endswith("WITHOUT ROWID")
    assert db.execute("pragma page_size").fetchone()[0] == 32768


def test_an_existing_archive_keeps_its_page_size_and_gets_the_mark(tmp_path):
    from archive.identity import APPLICATION_ID, UNMARKED_ARCHIVE, archive_kind
    from archive.schema import migrations

    path = tmp_path / "old.db"
    # An archive made before archives had 32 KB pages and carried their application_id:
    # 4 KB pages, the project's first migration recorded, no mark.
    old = Database(path)
    old.execute("PRAGMA page_size=4096")
    migrations.apply(old, stop_before="m201_trigram_search")
    old.close()
    assert archive_kind(path) == UNMARKED_ARCHIVE
    with Archive(path):
        pass
    db = Database(path)
    assert db.execute("pragma page_size").fetchone()[0] == 4096
    assert db["articles"].exists()
    assert db.execute("pragma application_id").fetchone()[0] == APPLICATION_ID


def test_closing_the_archive_gives_free_pages_back(archive_path):
    with Archive(archive_path, create=True) as archive:
        for i in range(40):
            words = random.Random(i).choices(LOREM.split(), k=400)
            archive.store(make_record(url=f"https://www.example.com/{i}.html", title=f"Story {i}",
                                      body=" ".join(words)))
        archive.flush()
        # Pages freed (as FTS5 segment merges free them).
        archive.db.execute("delete from revisions")
        archive.db.execute("create table scratch as select body from articles")
        archive.db.execute("drop table scratch")
        archive.flush()
        pages, free = (archive.db.execute(f"pragma {p}").fetchone()[0] for p in ("page_count", "freelist_count"))
        assert free > 0
    db = Database(archive_path)
    assert db.execute("pragma freelist_count").fetchone()[0] == 0
    assert db.execute("pragma auto_vacuum").fetchone()[0] == 2  # incremental
    assert db["articles"].count == 40
    assert db.execute("pragma integrity_check").fetchone()[0] == "ok"
    db.close()
    # The file (its WAL checkpointed at close) holds the pages in use only.
    assert archive_path.stat().st_size == (pages - free) * 32768


def _old_layout(path: Path) -> None:
    """Rewrite an archive as older versions made it: 4 KB pages, no auto-vacuum."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=DELETE")
    conn.execute("PRAGMA page_size=4096")
    conn.execute("PRAGMA auto_vacuum=NONE")
    conn.execute("VACUUM")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.close()


def test_compact_rewrites_an_old_archive_in_the_new_layout_keeping_every_row(tmp_path):
    from click.testing import CliRunner

    from archive.cli import cli

    path = tmp_path / "old.db"
    with Archive(path, create=True) as archive:
        for record in records():
            archive.store(record)
    _old_layout(path)
    db = Database(path)
    assert db.execute("pragma page_size").fetchone()[0] == 4096
    before = snapshot(db)
    db.close()

    result = CliRunner().invoke(cli, ["compact", "--archive", str(path)])
    assert result.exit_code == 0, result.output
    assert "(pages 4 KB -> 32 KB)" in result.output
    db = Database(path)
    assert db.execute("pragma page_size").fetchone()[0] == 32768
    assert db.execute("pragma auto_vacuum").fetchone()[0] == 2
    assert db.execute("pragma journal_mode").fetchone()[0] == "wal"
    assert snapshot(db) == before
    db.close()
    conn = lib.connect(path)
    assert [h.title for h in lib.search(conn, "Shougang").hits][0].startswith("Zhongguancun")
    assert [h.title for h in lib.search(conn, "首钢园区").hits] == ["中关村与首钢携手打造产业平台"]


@pytest.mark.subprocess
def test_compact_refuses_while_a_crawl_holds_the_archive_or_a_reader_has_it_open(tmp_path):
    from click.testing import CliRunner

    from archive.cli import cli

    path = tmp_path / "busy.db"
    with Archive(path, create=True) as archive:
        archive.store(records()[1])
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from archive.lock import lock_archive; "
         "lock_archive(sys.argv[1]); print('held', flush=True); time.sleep(30)", str(path)],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        result = CliRunner().invoke(cli, ["compact", "--archive", str(path)])
        assert result.exit_code == 1
        assert "in use by another run" in result.output and "Traceback" not in result.output
    finally:
        holder.kill()
        holder.wait()
    reader = sqlite3.connect(path)
    reader.execute("begin")
    reader.execute("select count(*) from articles").fetchone()
    try:
        result = CliRunner().invoke(cli, ["compact", "--archive", str(path)])
        assert result.exit_code == 1 and "open elsewhere" in result.output, result.output
    finally:
        reader.close()
    assert Database(path)["articles"].count == 1
    missing = CliRunner().invoke(cli, ["compact", "--archive", str(tmp_path / "nope.db")])
    assert missing.exit_code == 1 and "does not exist" in missing.output
