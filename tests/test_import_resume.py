"""An import killed outright (SIGKILL) while it reads the first file, stopped with Ctrl-C
while it reads the second, killed again, and run again with the same arguments, ends with the
archive an uninterrupted import makes."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.web_archives import cc_news_warc, varied_pages

pytestmark = pytest.mark.subprocess

NEWSARCHIVE = [sys.executable, "-c", "from crawler.cli import main; main()"]
TABLES = ("articles", "revisions", "duplicates", "article_urls", "related", "minhash_bands")


def start_import(files, archive: Path, processes: int = 1) -> subprocess.Popen:
    return subprocess.Popen([*NEWSARCHIVE, "import", *map(str, files), "-d", str(archive), "--processes", str(processes)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def committed(archive: Path, sql: str) -> int:
    """A count from what the import has committed so far (read as another program would)."""
    try:
        conn = sqlite3.connect(f"file:{archive}?mode=ro", uri=True, timeout=5)
        try:
            return conn.execute(sql).fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:  # not created yet, or the tables not made yet
        return 0


def kill_when(proc: subprocess.Popen, archive: Path, sql: str, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while committed(archive, sql) == 0:
        assert proc.poll() is None, f"the import ended before it could be killed: {proc.communicate()}"
        assert time.monotonic() < deadline, "the import never got there"
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL


def dump(archive: Path) -> dict[str, list]:
    conn = sqlite3.connect(archive)
    try:
        return {t: conn.execute(f"select * from {t} order by 1, 2").fetchall() for t in TABLES}
    finally:
        conn.close()


def test_an_import_killed_or_stopped_at_any_point_resumes_to_the_same_archive(tmp_path):
    pages = varied_pages(600)
    newer = cc_news_warc(tmp_path / "CC-NEWS-1.warc.gz", pages[:300], datetime(2024, 5, 1, tzinfo=timezone.utc))
    # Given second, the older file is read first (files go oldest first); it holds some of
    # the newer file's URLs with other text: revisions, in date order.
    older = cc_news_warc(tmp_path / "CC-NEWS-0.warc.gz", varied_pages(150, seed=7), datetime(2024, 4, 1, tzinfo=timezone.utc))
    files = [newer, older]

    whole = tmp_path / "whole.db"
    proc = start_import(files, whole, processes=2)
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err[-3000:]
    expected = dump(whole)
    assert len(expected["articles"]) > 200 and expected["revisions"]

    archive = tmp_path / "resumed.db"
    # Killed while reading the older file: some of it stored, the file's progress with it.
    kill_when(start_import(files, archive), archive,
              f"select count(*) from import_files where path = '{older}' and done_offset > 0")
    # Stopped with Ctrl-C (SIGINT) while reading the newer file: says so, exits 1.
    proc = start_import(files, archive)
    reading_newer = (f"select count(*) from import_files where path = '{newer}' and done_offset > 0"
                     " and finished is null")
    deadline = time.monotonic() + 240
    while committed(archive, reading_newer) == 0:
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 1 and "Traceback" not in err, err[-3000:]
    assert "interrupted: run the same command again to go on from here" in out
    # Killed again, once it has stored more of the newer file than the stopped run had.
    stored = committed(archive, "select count(*) from articles")
    kill_when(start_import(files, archive), archive, f"select (select count(*) from articles) > {stored}")
    proc = start_import(files, archive)
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err[-3000:]
    assert dump(archive) == expected
    conn = sqlite3.connect(archive)
    outcomes = [r[0] for r in conn.execute("select outcome from crawls order by id")]
    assert outcomes == ["killed", "shutdown", "killed", "finished"]
    assert conn.execute("select count(*) from import_queue").fetchone()[0] == 0

    # Run once more: both files are known, nothing is added.
    again = subprocess.run([*NEWSARCHIVE, "import", *map(str, files), "-d", str(archive), "--processes", "0"],
                           cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0 and "2 imported before: nothing to add" in again.stdout
    assert dump(archive) == expected
