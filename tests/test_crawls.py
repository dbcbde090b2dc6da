"""Crawl runs recorded in the `crawls` table, the one-writer lock, and `newsarchive crawls`."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest
from click.testing import CliRunner

from archive import crawls
from archive.lock import ArchiveLocked, lock_archive, lock_path
from archive.store import Archive
from crawler.cli import cli
from tests.conftest import ROOT


def test_runs_are_recorded_and_unfinished_ones_marked_killed(archive_path):
    with Archive(archive_path, create=True) as archive:
        db = archive.db
        first = crawls.start_crawl(db, spider="ecns", arguments={"args": {}}, started="2024-11-18T00:00:00+00:00", pid=1, host="h")
        crawls.update_crawl(db, first, {"pages": 5, "articles_new": 2}, at="2024-11-18T00:01:00+00:00")
        # The process dies here: its row stays "running" with its last counts.
        assert crawls.mark_killed(db, "2024-11-18T01:00:00+00:00") == [first]
        second = crawls.start_crawl(db, spider="ecns", arguments={"args": {"start_urls": "x"}}, started="2024-11-18T01:00:00+00:00", pid=2, host="h")
        crawls.update_crawl(
            db, second,
            {"pages": 9, "articles_new": 3, "articles_unchanged": 1, "dropped": {"missing_body": 1}, "errors": {"http_500": 1}, "stats": {"a": 1}},
            at="2024-11-18T01:02:00+00:00", outcome="finished", finished="2024-11-18T01:02:00+00:00",
        )
        rows = crawls.list_crawls(db)
    assert [r["id"] for r in rows] == [second, first]
    assert rows[1]["outcome"] == "killed" and rows[1]["finished"] is None and rows[1]["pages"] == 5
    assert rows[0]["outcome"] == "finished" and rows[0]["dropped"] == {"missing_body": 1}
    assert rows[0]["arguments"] == {"args": {"start_urls": "x"}}


def test_crawls_command_lists_runs(archive_path):
    with Archive(archive_path, create=True) as archive:
        run = crawls.start_crawl(archive.db, spider="ecns", arguments={}, started="2024-11-18T00:00:00+00:00", pid=1, host="h")
        crawls.update_crawl(archive.db, run, {"pages": 7, "articles_new": 4, "errors": {"http_404": 2}}, at="2024-11-18T00:05:00+00:00",
                            outcome="finished", finished="2024-11-18T00:05:00+00:00")
    result = CliRunner().invoke(cli, ["crawls", "--archive", str(archive_path)])
    assert result.exit_code == 0, result.output
    header, line = result.output.splitlines()[:2]
    assert header.split()[:4] == ["id", "spider", "started", "finished"]
    assert "finished" in line and " 7 " in line and "http_404=2" in line
    as_json = CliRunner().invoke(cli, ["crawls", "--archive", str(archive_path), "--json"])
    assert json.loads(as_json.output.splitlines()[0])["articles_new"] == 4


def test_crawls_command_on_a_missing_archive_fails_in_one_line(tmp_path):
    result = CliRunner().invoke(cli, ["crawls", "--archive", str(tmp_path / "nope.db")])
    assert result.exit_code == 1 and "archive does not exist" in result.output


HOLD = textwrap.dedent(
    """
    import sys, time
    from archive.lock import lock_archive
    lock_archive(sys.argv[1])
    print("locked", flush=True)
    time.sleep(60)
    """
)


def test_second_writer_is_refused_naming_the_holder_and_a_dead_holder_leaves_no_lock(archive_path):
    Archive(archive_path, create=True).close()
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(archive_path)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(ArchiveLocked, match=rf"in use by another run \(crawl, pid {holder.pid} on"):
            lock_archive(archive_path)
    finally:
        holder.kill()  # SIGKILL: the kernel releases the flock
        holder.wait()
    lock = lock_archive(archive_path)
    assert lock.held and lock_path(archive_path).exists()
    # Re-entrant within a process: the crawl command and the crawl's extension both take it.
    again = lock_archive(archive_path)
    assert again is lock
    again.release()
    assert lock.held
    lock.release()
    assert not lock.held


def test_run_counts_from_scrapy_stats():
    from scrapy.settings import Settings

    from crawler.extensions.crawl_run import cmdline_settings, run_counts

    counts = run_counts({
        "downloader/response_count": 50, "store/new": 16, "store/unchanged": 1, "store/duplicate": 1,
        "incremental/skipped/archived": 3, "incremental/skipped/failed": 2, "incremental/revisit": 4,
        "validate/dropped/missing_body": 1, "pages/skipped/truncated": 1, "robotstxt/forbidden": 1,
        "downloader/exception_type_count/twisted.internet.error.TimeoutError": 2,
        "downloader/exception_type_count/crawler.middlewares.ArchiveSkip": 5,
        "downloader/exception_type_count/scrapy.exceptions.IgnoreRequest": 1,
        "httperror/response_ignored_status_count/404": 3, "spider_exceptions/KeyError": 1,
    })
    assert (counts["pages"], counts["articles_new"], counts["articles_revised"], counts["skipped"], counts["revisited"]) == (50, 16, 0, 5, 4)
    assert counts["dropped"] == {"missing_body": 1, "truncated": 1, "robotstxt_forbidden": 1}
    assert counts["errors"] == {"TimeoutError": 2, "http_404": 3, "spider_KeyError": 1}
    settings = Settings({"ARCHIVE_PATH": "a.db"})
    settings.setdict({"REPLAY_DIR": "/x", "HTTPPROXY_AUTH_PASSWORD": "hunter2"}, priority="cmdline")
    assert cmdline_settings(settings) == {"HTTPPROXY_AUTH_PASSWORD": "***", "REPLAY_DIR": "/x"}
