"""Crawls that are stopped and started again: killed with SIGKILL midway then run again,
paused (SIGINT) and resumed with JOBDIR, killed right after storing an article whose links
were not fetched yet. Each ends with the archive an uninterrupted crawl makes: no article
lost, none twice, integrity_check ok. And a second crawl started meanwhile on the same
archive refuses in one line."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import time

import pytest
from scrapy import signals
from sqlite_utils import Database

from archive.warc import locate, read_capture
from tests.conftest import FIXTURES, ROOT, scrapy_crawl, scrapy_crawl_command

pytestmark = pytest.mark.subprocess

# One request at a time: the crawl order, and so which of two copies of a text is the
# article and which the duplicate, is the same in every run.
SERIAL = "CONCURRENT_REQUESTS=1"


def articles_committed(archive) -> int:
    try:
        with sqlite3.connect(f"file:{archive}?mode=ro", uri=True, timeout=5) as conn:
            return conn.execute("select count(*) from articles").fetchone()[0]
    except sqlite3.OperationalError:
        return 0  # not created yet


def wait_for(predicate, proc, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        assert proc.poll() is None, "the crawl ended before the test could stop it"
        time.sleep(0.05)
    raise AssertionError("timed out")


def content(archive) -> dict:
    """The archive's content, without ids, times and capture pointers (which differ between
    runs): articles, their URL forms, related lists, duplicates, revisions, failed URLs."""
    db = Database(archive)
    q = lambda sql: sorted(tuple(r.values()) for r in db.query(sql))  # noqa: E731
    return {
        "articles": q("select url, url_key, canonical_url, title, body, published, updated, source, authors, editor,"
                      " language, related_heading, copyright_text, copyright_holder, copyright_years, site, content_hash"
                      " from articles"),
        "article_urls": q("select u.url_key, u.url, a.url_key from article_urls u join articles a on a.id = u.article_id"),
        "related": q("select a.url_key, r.position, r.heading, r.title, r.url, r.published"
                     " from related r join articles a on a.id = r.article_id"),
        "duplicates": q("select d.url_key, d.url, d.title, d.reason, d.similarity, a.url_key"
                        " from duplicates d join articles a on a.id = d.article_id"),
        "revisions": q("select article_id, title, body from revisions"),
        "failed_urls": q("select url_key, reason, attempts from failed_urls"),
    }


def assert_sound(archive):
    db = Database(archive)
    assert db.execute("pragma integrity_check").fetchone()[0] == "ok"
    assert db.execute("pragma foreign_key_check").fetchall() == []
    keys = [r[0] for r in db.execute("select url_key from articles")]
    assert len(keys) == len(set(keys))
    for row in db.query("select * from articles"):
        capture = read_capture(locate(row["warc_file"], archive), row["warc_offset"], row["warc_record_id"])
        assert capture.url == row["url"]


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """An uninterrupted crawl."""
    tmp = tmp_path_factory.mktemp("reference")
    scrapy_crawl(tmp / "archive.db", SERIAL)
    return content(tmp / "archive.db")


def test_killed_midway_then_run_again_gives_the_uninterrupted_archive(tmp_path, reference):
    archive, jobdir = tmp_path / "archive.db", tmp_path / "job"
    slow = ("REPLAY_DELAY=0.15", "ARCHIVE_BATCH_SIZE=2", "CRAWLS_UPDATE_INTERVAL=0", f"JOBDIR={jobdir}")
    crawl = subprocess.Popen(scrapy_crawl_command(archive, SERIAL, *slow, log_level="INFO"), cwd=ROOT,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: articles_committed(archive) >= 1, crawl)

        # Meanwhile a second crawl on the same archive refuses, in one line, naming the first.
        second = scrapy_crawl(archive, SERIAL, check=False, timeout=120)
        assert second.returncode == 2
        errors = [line for line in second.stderr.splitlines() if line.startswith("error:")]
        assert len(errors) == 1 and f"is in use by another run (crawl, pid {crawl.pid} on" in errors[0]
        assert "Traceback" not in second.stderr

        wait_for(lambda: articles_committed(archive) >= 6, crawl)
        crawl.send_signal(signal.SIGKILL)
    finally:
        crawl.kill()
        crawl.wait()
    assert crawl.returncode == -signal.SIGKILL
    killed_with = articles_committed(archive)
    assert 6 <= killed_with < len(reference["articles"])
    assert (jobdir / "newsarchive-run.json").exists()
    # Scrapy writes the seen-requests file as it goes but its queue only on a clean stop: a
    # seen file that got flushed would filter the start pages out on resume and nothing
    # would be crawled. The run below must not trust it.
    from scrapy import Request
    from scrapy.utils.request import fingerprint
    from crawler.spiders.ecns import DEFAULT_START_URLS

    with (jobdir / "requests.seen").open("a") as fh:
        fh.writelines(fingerprint(Request(url)).hex() + "\n" for url in DEFAULT_START_URLS)

    stats = scrapy_crawl(archive, SERIAL, f"JOBDIR={jobdir}", stats=True).stats
    assert stats["jobdir/reset"] == 1
    assert content(archive) == reference
    assert_sound(archive)
    runs = list(Database(archive)["crawls"].rows_where(order_by="id"))
    assert [r["outcome"] for r in runs] == ["killed", "finished"]
    assert runs[0]["finished"] is None and runs[0]["pages"] > 0 and runs[0]["articles_new"] >= 1
    assert runs[1]["articles_new"] + runs[0]["articles_new"] >= len(reference["articles"])
    assert not (jobdir / "newsarchive-run.json").exists()


def test_paused_with_sigint_and_resumed_with_jobdir(tmp_path, reference):
    archive, jobdir = tmp_path / "archive.db", tmp_path / "job"
    crawl = subprocess.Popen(scrapy_crawl_command(archive, SERIAL, "REPLAY_DELAY=0.15", "ARCHIVE_BATCH_SIZE=2",
                                                  f"JOBDIR={jobdir}", log_level="INFO"),
                             cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: articles_committed(archive) >= 4, crawl)
        crawl.send_signal(signal.SIGINT)  # Ctrl-C: Scrapy stops gracefully and saves the job
        _, stderr = crawl.communicate(timeout=120)
    finally:
        crawl.kill()
    assert crawl.returncode == 0, stderr[-2000:]
    assert articles_committed(archive) < len(reference["articles"])
    assert any((jobdir / "requests.queue").iterdir()) and not (jobdir / "newsarchive-run.json").exists()

    stats = scrapy_crawl(archive, SERIAL, f"JOBDIR={jobdir}", stats=True).stats
    assert "jobdir/reset" not in stats
    assert stats["scheduler/dequeued/disk"] > 0  # the resumed run worked through the saved queue
    assert content(archive) == reference
    assert_sound(archive)
    assert [r["outcome"] for r in Database(archive)["crawls"].rows_where(order_by="id")] == ["shutdown", "finished"]


class KillAfterItem:
    """Test-only extension: SIGKILL the crawl the moment the item of KILL_AFTER_URL has
    passed the store pipeline (with ARCHIVE_BATCH_SIZE=1 its row is committed then)."""

    def __init__(self, url):
        self.url = url

    @classmethod
    def from_crawler(cls, crawler):
        ext = cls(crawler.settings.get("KILL_AFTER_URL"))
        crawler.signals.connect(ext.item_scraped, signal=signals.item_scraped)
        return ext

    def item_scraped(self, item, response):
        if response.url == self.url:
            os.kill(os.getpid(), signal.SIGKILL)


def test_links_of_an_article_stored_just_before_a_kill_are_not_lost(tmp_path):
    """An article reached only through the related list of another: the crawl is killed
    right after that other article is stored, before the link is fetched. The next run does
    not fetch the stored article again (it is archived), so it would never see the link:
    the frontier kept it."""
    site = tmp_path / "site"
    shutil.copytree(FIXTURES / "ecns", site)
    only_related = "http://www.ecns.cn/business/2013/09-13/82570.shtml"
    seed = "http://www.ecns.cn/business/2014/08-19/130296.shtml"
    link = b'href="/business/2013/09-13/82570.shtml"'
    for page in site.glob("*/body.html"):
        if page.parent.name != "g1-seed-zhongguancun-shougang":
            # Same length: the recordings' Content-Length still holds.
            page.write_bytes(page.read_bytes().replace(link, b'href="/business/"'.ljust(len(link))))
    archive = tmp_path / "archive.db"
    extensions = {"crawler.extensions.crawl_run.CrawlRun": 100, "crawler.extensions.stats_file.StatsFile": 500,
                  "tests.test_crawls_resume.KillAfterItem": 900}
    start = ["start_urls=http://www.ecns.cn/business/"]
    killed = subprocess.run(
        scrapy_crawl_command(archive, SERIAL, "ARCHIVE_BATCH_SIZE=1", f"EXTENSIONS={json.dumps(extensions)}",
                             f"KILL_AFTER_URL={seed}", replay=site, args=start, log_level="INFO"),
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    db = Database(archive)
    stored = {r["url"] for r in db.query("select url from articles")}
    assert seed in stored and only_related not in stored
    assert only_related in {r["url"] for r in db.query("select url from frontier")}

    stats = scrapy_crawl(archive, SERIAL, replay=site, args=start, stats=True).stats
    assert stats["frontier/resumed"] >= 1 and stats["incremental/skipped/archived"] >= 1
    urls = {r["url"] for r in Database(archive).query("select url from articles")}
    assert only_related in urls and seed in urls
    assert Database(archive).execute("select count(*) from frontier where url = ?", [only_related]).fetchone()[0] == 0
    assert [r["outcome"] for r in Database(archive)["crawls"].rows_where(order_by="id")] == ["killed", "finished"]
