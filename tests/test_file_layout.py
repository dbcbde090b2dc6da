"""The archive file's layout: a new archive in 32 KB pages with incremental auto-vacuum, an
older one keeping its page size until `newsarchive compact` rewrites it (archive/schema.py
`set_page_size`, `release_free_pages`; archive/maintenance.py), every row kept."""

from __future__ import annotations

import pytest

import random
import sqlite3
import subprocess
import sys
from pathlib import Path

from sqlite_utils import Database

from archive import read as lib
from archive.store import Archive
from tests.conftest import LOREM, make_record
from tests.test_migration_m203 import ROOT, records, snapshot


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
        # Compact waits for the reader (the lock timeout, 30 s by default, twice: the WAL
        # checkpoint, then the change of journal mode) before it gives up; 1 s shows the same.
        result = CliRunner().invoke(cli, ["compact", "--archive", str(path), "--lock-timeout", "1"])
        assert result.exit_code == 1 and "open elsewhere" in result.output, result.output
    finally:
        reader.close()
    assert Database(path)["articles"].count == 1
    missing = CliRunner().invoke(cli, ["compact", "--archive", str(tmp_path / "nope.db")])
    assert missing.exit_code == 1 and "does not exist" in missing.output
