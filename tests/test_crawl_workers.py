"""A crawl on every core (crawler/page_workers.py, archive/writer.py): the same records
with extraction in worker processes as in the crawl's own process; a worker that dies or
hangs on a page costs that page only (counted, recorded as failed, retried later), the rest
is archived; a crawl stopped with SIGTERM or killed outright leaves no worker, writer or
forkserver behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import pytest
from sqlite_utils import Database

from crawler.page_work import article_page, news_page
from crawler.parsing import CapturedResponse
from crawler.worker_pool import WorkerPool
from tests.conftest import FIXTURES, ROOT, load_recording, recordings, scrapy_crawl, scrapy_crawl_command

pytestmark = pytest.mark.subprocess

SEED = "http://www.ecns.cn/business/2014/08-19/130296.shtml"
BORSE = "http://www.ecns.cn/business/2014/05-16/115221.shtml"
FAULTY = ("SPIDER_MODULES=crawler.spiders,tests.spiders",)


def captured(directory) -> CapturedResponse:
    info, body, _ = load_recording(directory)
    return CapturedResponse(url=info["url"], body=body, status=int(info.get("status", 200)),
                            headers=CapturedResponse.header_pairs(info.get("headers") or {}),
                            fetched_at="2026-11-20T08:00:00+00:00")


def test_every_recording_gives_the_same_answer_in_a_worker_as_in_the_crawls_process():
    pages = [captured(d) for d in recordings()]
    inline = [article_page(p) for p in pages] + [news_page(p) for p in pages]
    with WorkerPool(2, preload=("crawler.page_work",)) as pool:
        pooled = [f.result(timeout=120) for _, f in pool.map_in_order(article_page, ((p,) for p in pages))]
        pooled += [f.result(timeout=120) for _, f in pool.map_in_order(news_page, ((p,) for p in pages))]
    assert len(pages) > 60
    assert pooled == inline


def archive_content(path) -> dict:
    db = Database(path)
    return {
        "articles": sorted((r["url"], r["title"], r["body"], r["published"], r["source"]) for r in
                           db.query("select url, title, body, published, source from articles")),
        "related": sorted(tuple(r.values()) for r in db.query("select article_id, position, title, url from related")),
        "duplicates": sorted(tuple(r.values()) for r in db.query("select url, reason from duplicates")),
    }


def test_a_crawl_archives_the_same_with_and_without_extraction_processes(tmp_path):
    scrapy_crawl(tmp_path / "inline.db", "EXTRACTION_PROCESSES=0")
    scrapy_crawl(tmp_path / "pooled.db", "EXTRACTION_PROCESSES=2")
    assert archive_content(tmp_path / "pooled.db") == archive_content(tmp_path / "inline.db")


@pytest.mark.parametrize("fault, reason", [("die", "worker_died"), ("hang", "timeout")])
def test_a_worker_that_dies_or_hangs_costs_its_page_only(tmp_path, fault, reason):
    archive = tmp_path / "archive.db"
    result = scrapy_crawl(archive, *FAULTY, f"FAULT={fault}", f"FAULT_URLS={SEED},{BORSE}", "EXTRACTION_TIMEOUT=2",
                          "EXTRACTION_PROCESSES=2", "CRAWL_NOW=2024-11-18T12:00:00+08:00", spider="ecns_faulty",
                          stats=True)
    stats = result.stats
    assert stats[f"extract/failed/{reason}"] == 2
    assert stats["finish_reason"] == "finished"
    db = Database(archive)
    urls = {r["url"] for r in db.query("select url from articles")}
    assert SEED not in urls and BORSE not in urls and len(urls) >= 12  # the rest archived
    failed = {r["url"]: r["reason"] for r in db.query("select url, reason from failed_urls")}
    assert failed[SEED] == failed[BORSE] == reason
    # The next run, once the retry is due, archives them.
    scrapy_crawl(archive, "CRAWL_NOW=2024-11-19T12:00:00+08:00")
    urls = {r["url"] for r in Database(archive).query("select url from articles")}
    assert SEED in urls and BORSE in urls


def helpers_of(pid: int) -> list[int]:
    """The crawl's descendants: extraction workers, the archive writer, the forkserver."""
    out = subprocess.run(["ps", "-e", "-o", "pid=,ppid="], capture_output=True, text=True).stdout
    children: dict[int, list[int]] = {}
    for line in out.splitlines():
        child, parent = map(int, line.split())
        children.setdefault(parent, []).append(child)
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def gone_within(pids, seconds: float) -> list[int]:
    deadline = time.monotonic() + seconds
    left = list(pids)
    while left and time.monotonic() < deadline:
        left = [p for p in left if os.path.exists(f"/proc/{p}") and open(f"/proc/{p}/stat").read().split(")")[1].split()[0] != "Z"]
        time.sleep(0.1)
    return left


@pytest.mark.parametrize("stop", [signal.SIGKILL, signal.SIGTERM])
def test_a_stopped_or_killed_crawl_leaves_no_helper_process(tmp_path, stop):
    archive = tmp_path / "archive.db"
    crawl = subprocess.Popen(scrapy_crawl_command(archive, "REPLAY_DELAY=0.3", "CONCURRENT_REQUESTS=1", "EXTRACTION_PROCESSES=2",
                                                  log_level="INFO"),
                             cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        helpers = []
        while time.monotonic() < deadline and len(helpers) < 4:  # writer, forkserver, two workers
            helpers = helpers_of(crawl.pid)
            time.sleep(0.2)
        assert len(helpers) >= 4, helpers
        time.sleep(1.0)
        crawl.send_signal(stop)
        _, stderr = crawl.communicate(timeout=60)
    finally:
        if crawl.poll() is None:
            crawl.kill()
    if stop == signal.SIGTERM:
        assert crawl.returncode == 0, stderr[-2000:]
        runs = [r["outcome"] for r in Database(archive)["crawls"].rows]
        assert runs == ["shutdown"]
    assert gone_within(helpers, 5.0) == []
    assert Database(archive).execute("pragma integrity_check").fetchone()[0] == "ok"
