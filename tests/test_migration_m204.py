"""Migration m204 (a faster test for CJK text): the test that decides which articles the
trigram index holds gives the same answer as the character-class match it replaces, for
every character; an archive whose view and triggers use the old match is migrated without a
rebuild, its index stays whole and finds what it found."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from unittest import mock

from sqlite_utils import Database

from archive import read as lib
from archive.schema import CJK_GLOB, holds_cjk, migrations
from archive.store import NEW, Archive
from tests.conftest import LOREM, make_record

ZH_BODY = "中关村科技园区与首钢园区签署合作协议，双方将在人工智能和5G领域开展合作。" * 6
# What m201 made: a character-class match over the whole title and body.
OLD_CONDITION = (
    f"(coalesce({{p}}title glob '{CJK_GLOB}', 0) or coalesce({{p}}body glob '{CJK_GLOB}', 0))"
)


def test_the_test_agrees_with_the_character_class_match_for_every_character():
    conn = sqlite3.connect(":memory:")
    conn.execute("create table t (x)")
    texts = [f"a{chr(cp)}b" for cp in range(0x80, 0x30000) if not 0xD800 <= cp < 0xE000]
    texts += ["", "plain ASCII", "“curly quotes” — and an em dash", "Ü\ufffd", ZH_BODY, "한국어 기사", "カタカナ"]
    conn.executemany("insert into t values (?)", [(t,) for t in texts] + [(None,), (12345,), (b"\xe4\xb8\x80",)])
    rows = conn.execute(f"select x, coalesce(x glob '{CJK_GLOB}', 0), {holds_cjk('x')} from t").fetchall()
    assert len(rows) == len(texts) + 3
    assert [(x, old, new) for x, old, new in rows if bool(old) != bool(new)] == []
    assert sum(new for _, _, new in rows) > 20_000  # kana, ideographs, Hangul and the rest matched


def build_with_old_test(path: Path) -> None:
    """An archive as versions before m204 wrote it: the view and triggers with the old match."""
    with mock.patch("archive.store.apply_migrations",
                    lambda db: migrations.apply(db, stop_before="m204_faster_cjk_test")):
        with Archive(path, create=True) as archive:
            db = archive.db
            db.execute("DROP VIEW articles_cjk")
            db.execute(f"CREATE VIEW articles_cjk AS SELECT id, title, body FROM articles WHERE "
                       f"{OLD_CONDITION.format(p='')}")
            for name in ("articles_trigram_ai", "articles_trigram_ad"):
                db.execute(f"DROP TRIGGER {name}")
            db.execute(f"""CREATE TRIGGER articles_trigram_ai AFTER INSERT ON articles
                WHEN {OLD_CONDITION.format(p='new.')} BEGIN
                INSERT INTO articles_trigram (rowid, title, body) VALUES (new.id, new.title, new.body); END""")
            db.execute(f"""CREATE TRIGGER articles_trigram_ad AFTER DELETE ON articles
                WHEN {OLD_CONDITION.format(p='old.')} BEGIN
                INSERT INTO articles_trigram (articles_trigram, rowid, title, body)
                VALUES ('delete', old.id, old.title, old.body); END""")
            for record in (
                make_record(url="https://www.example.cn/zh/1.html", title="中关村与首钢携手", body=ZH_BODY,
                            language="zh"),
                make_record(url="https://www.example.com/en/1.html", title="Shougang park opens",
                            body="The Shougang park opened “today” — officials said. " + LOREM),
            ):
                assert archive.store(record, seen_at="2024-11-20T00:00:00+00:00").outcome == NEW
    db = Database(path)
    assert "m204_faster_cjk_test" not in {r["name"] for r in db["_sqlite_migrations"].rows}
    assert "instr(" not in db.execute("select sql from sqlite_master where name = 'articles_cjk'").fetchone()[0]
    db.close()


def test_an_archive_with_the_old_test_is_migrated_and_its_trigram_index_stays_whole(tmp_path):
    path = tmp_path / "archive.db"
    build_with_old_test(path)
    with Archive(path) as archive:  # opened for writing: migrated
        archive.store(make_record(url="https://www.example.cn/zh/2.html", title="首钢园区新闻",
                                  body="首钢园区今天举行开园仪式。" * 10, language="zh"),
                      seen_at="2024-11-21T00:00:00+00:00")
        archive.store(make_record(url="https://www.example.com/en/2.html", title="Another English story",
                                  body="Nothing but English here, café included. " + LOREM),
                      seen_at="2024-11-21T00:00:00+00:00")
    db = Database(path)
    assert "m204_faster_cjk_test" in {r["name"] for r in db["_sqlite_migrations"].rows}
    for name in ("articles_cjk", "articles_trigram_ai", "articles_trigram_ad", "articles_trigram_au"):
        assert "instr(cast(" in db.execute("select sql from sqlite_master where name = ?", [name]).fetchone()[0]
    db.execute("insert into articles_trigram (articles_trigram) values ('integrity-check')")
    assert [r[0] for r in db.execute("select title from articles_cjk order by id")] == ["中关村与首钢携手", "首钢园区新闻"]
    search = lib.search(db, "首钢园区")
    assert search.index == "trigram" and {h.title for h in search.hits} == {"中关村与首钢携手", "首钢园区新闻"}
    assert {h.title for h in lib.search(db, "Shougang").hits} == {"Shougang park opens"}
    db.close()
