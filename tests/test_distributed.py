"""Runs over many machines, for real: a redis-server on loopback with a password
(tests/redis_server.py), `newsarchive coordinate` and `scrapy crawl ecns -s REDIS_URL=...`
workers in subprocesses, over the recorded ECNS site. The archive they make equals a
single-process crawl's; a second run fetches no archived article; workers and the
coordinator killed, Redis restarted without its data: the run (and at most one rerun) still
makes the same archive; bad set-ups are refused in one line."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlite_utils import Database

from archive.warc import locate, read_capture
from tests.conftest import FIXTURES, ROOT, scrapy_crawl
from tests.slow_sites import SlowSites

pytestmark = [pytest.mark.redis, pytest.mark.subprocess]

NOW = "2026-01-01T00:00:00+00:00"
BIN = Path(sys.executable).parent
ARTICLE_FIELDS = ("title", "body", "published", "updated", "source", "authors", "editor", "language",
                  "related_heading", "copyright_text", "copyright_holder", "copyright_years", "site",
                  "content_hash", "canonical_url")


def snapshot(path: Path) -> dict:
    """What an archive holds, by URL-form key, leaving out what depends on the order pages
    arrived in (row ids, times, which URL form was met first, captures' places)."""
    db = Database(path)
    keys_of = {row["id"]: row["url_key"] for row in db.query("select id, url_key from articles")}
    articles = {}
    for row in db.query("select * from articles"):
        related = [(r["title"], r["url"], r["published"]) for r in
                   db.query("select title, url, published from related where article_id = ? order by position", [row["id"]])]
        forms = sorted(r["url_key"] for r in db.query("select url_key from article_urls where article_id = ?", [row["id"]]))
        articles[row["url_key"]] = {**{f: row[f] for f in ARTICLE_FIELDS}, "related": related, "forms": forms}
    archived = {key for form in articles.values() for key in form["forms"]}
    duplicates = {r["url_key"]: (keys_of[r["article_id"]], r["reason"]) for r in db.query("select * from duplicates")}
    return {
        "articles": articles,
        "duplicates": duplicates,
        "failed": {r["url_key"]: r["reason"] for r in db.query("select url_key, reason from failed_urls")},
        # Links still to fetch: those the archive does not hold (archived ones are dropped
        # by the next run, in either kind of crawl).
        "frontier": sorted(r["url_key"] for r in db.query("select url_key from frontier")
                           if r["url_key"] not in archived and r["url_key"] not in duplicates),
        "revisions": db["revisions"].count,
    }


@pytest.fixture(scope="module")
def single_crawl(tmp_path_factory):
    """The recorded site crawled by one process, without Redis (with its final stats)."""
    return scrapy_crawl(tmp_path_factory.mktemp("single") / "archive.db", f"CRAWL_NOW={NOW}", stats=True)


@pytest.fixture(scope="module")
def single_process(single_crawl) -> dict:
    return snapshot(single_crawl.archive)


class Run:
    """A coordinator and its workers, their logs and stats files in `work`."""

    def __init__(self, work: Path, archive: Path, redis_url: str):
        self.work = work
        self.archive = archive
        self.redis_url = redis_url
        self.coordinator: subprocess.Popen | None = None
        self.workers: list[subprocess.Popen] = []
        self.started = 0
        work.mkdir(parents=True, exist_ok=True)

    def coordinate(self, *settings: str) -> subprocess.Popen:
        command = [str(BIN / "newsarchive"), "coordinate", "ecns", "-d", str(self.archive), "--redis", self.redis_url,
                   "-s", f"CRAWL_NOW={NOW}", "-s", "COORDINATE_SETTLE=2", "-s", "COORDINATE_WORKER_TIMEOUT=4",
                   "-s", "LOG_LEVEL=INFO"]
        for setting in settings:
            command += ["-s", setting]
        self.started += 1
        log = (self.work / f"coordinator-{self.started}.log").open("w")
        self.coordinator = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        return self.coordinator

    def worker(self, *settings: str, replay: Path = FIXTURES / "ecns") -> subprocess.Popen:
        n = len(self.workers)
        command = [sys.executable, "-m", "scrapy", "crawl", "ecns", "-s", f"REDIS_URL={self.redis_url}",
                   "-s", f"REPLAY_DIR={replay}", "-s", "EXTRACTION_PROCESSES=0", "-s", f"CRAWL_NOW={NOW}",
                   "-s", "LOG_LEVEL=INFO", "-s", f"STATS_FILE={self.work / f'worker-{n}.json'}",
                   "-s", "REDIS_WAIT_FOR_RUN=30", "-s", f"ARCHIVE_PATH={self.work / 'not-on-workers.db'}"]
        for setting in settings:
            command += ["-s", setting]
        log = (self.work / f"worker-{n}.log").open("w")
        process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        self.workers.append(process)
        return process

    def stats(self, n: int) -> dict:
        return json.loads((self.work / f"worker-{n}.json").read_text())

    def log(self, name: str) -> str:
        return (self.work / f"{name}.log").read_text(errors="replace")[-4000:]

    def logs(self) -> str:
        """Every log of the run so far (each one's end), for a failure's message."""
        names = [f"coordinator-{n}" for n in range(1, self.started + 1)] + [f"worker-{n}" for n in range(len(self.workers))]
        return "\n".join(f"--- {name}:\n{self.log(name)[-2500:]}" for name in names)

    def wait(self, timeout: float = 240) -> tuple[int, list[int | None]]:
        try:
            status = self.coordinator.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError("the coordinator did not end the run:\n" + self.logs())
        workers = []
        for process in self.workers:
            try:
                workers.append(process.wait(60))
            except subprocess.TimeoutExpired:
                workers.append(None)
        return status, workers

    def kill(self) -> None:
        for process in [self.coordinator, *self.workers]:
            if process is not None and process.poll() is None:
                process.kill()
                process.wait(10)


@pytest.fixture
def run_factory(tmp_path, redis_url):
    runs = []

    def make(name: str = "run", archive: Path | None = None) -> Run:
        run = Run(tmp_path / name, archive or tmp_path / "archive.db", redis_url)
        runs.append(run)
        return run

    yield make
    for run in runs:
        run.kill()


def wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def full_run(run: Run, workers: int = 3, *worker_settings: str) -> list[int]:
    run.coordinate()
    for _ in range(workers):
        run.worker(*worker_settings)
    status, statuses = run.wait()
    assert status == 0, run.log(f"coordinator-{run.started}")
    assert statuses == [0] * workers, [run.log(f"worker-{n}") for n in range(workers)]
    return statuses


# -- the archive of three workers ---------------------------------------------------------------------------


def test_three_workers_make_the_single_process_archive_and_a_second_run_fetches_no_archived_article(
        run_factory, single_process, redis_server):
    first = run_factory("first")
    # A site slow enough, and workers taking few requests at a time, for all three to take part.
    full_run(first, 3, "REPLAY_DELAY=0.2", "CONCURRENT_REQUESTS=2")
    assert snapshot(first.archive) == single_process
    # No worker opened (or made) an archive of its own: the archive's host holds the only one.
    assert not list(first.work.glob("not-on-workers.db*"))

    db = Database(first.archive)
    # Every article points to a capture the archive's host reads back: the page it was parsed from.
    for row in db.query("select url, warc_file, warc_offset, warc_record_id from articles"):
        capture = read_capture(locate(row["warc_file"], first.archive), row["warc_offset"], row["warc_record_id"])
        assert capture.url == row["url"] and capture.status == 200
    # The run, in `crawls`: finished, each worker's counts in its stats.
    (crawl,) = db.query("select * from crawls")
    # A copy met before its original (published earlier) is stored as new, and becomes the
    # original's duplicate when the original arrives (archive/store.py, _comes_first): the
    # archive is the same, but with three workers that order varies, and the run may count
    # more new records than it keeps as articles.
    assert crawl["outcome"] == "finished" and crawl["articles_new"] >= len(single_process["articles"])
    workers = json.loads(crawl["stats"])["workers"]
    assert len(workers) == 3 and all(w["closed"] == "finished" for w in workers.values())
    assert sum(w["pages"] for w in workers.values()) == crawl["pages"] > 0
    assert sum(w.get("store/new", 0) for w in workers.values()) == crawl["articles_new"]
    # All three took part, and no page was fetched twice (under any URL form).
    fetched = [first.stats(n).get("downloader/response_count", 0) for n in range(3)]
    assert all(fetched), fetched
    assert sum(first.stats(n).get("incremental/new", 0) for n in range(3)) == \
        len(single_process["articles"]) + len(single_process["duplicates"]) + len(single_process["failed"])

    second = run_factory("second", first.archive)
    full_run(second)
    assert snapshot(first.archive) == single_process
    for n in range(3):
        stats = second.stats(n)
        assert not any(key.startswith(("incremental/new", "incremental/revisit", "incremental/retry")) for key in stats), stats
        assert stats.get("stream/records", 0) == 0
    skipped = sum(second.stats(n).get("incremental/skipped/archived", 0) for n in range(3))
    assert skipped >= len(single_process["articles"])
    last = Database(first.archive)["crawls"].get(2)
    assert last["outcome"] == "finished" and last["articles_new"] == 0 and last["articles_unchanged"] == 0


# -- faults ---------------------------------------------------------------------------------------------------


def stored_articles(archive: Path) -> int:
    try:
        conn = sqlite3.connect(f"file:{archive}?mode=ro", uri=True)
        try:
            return conn.execute("select count(*) from articles").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:
        return 0


def test_a_worker_killed_mid_crawl_costs_at_most_one_rerun(run_factory, single_process):
    run = run_factory("killed-worker")
    run.coordinate()
    # The killed worker's leases on a site's slots (HostLimiter, in Redis) are lost with it
    # until they expire, DOWNLOAD_TIMEOUT + 30 s (90 s) after they were taken: had it held
    # all of a site's slots, the survivor, or the rerun's worker, would wait that long. Each
    # worker takes at most 4 requests at once, under a limit of 8 a site: there is always
    # a free slot.
    slots = ("CONCURRENT_REQUESTS=4", "CONCURRENT_REQUESTS_PER_DOMAIN=8")
    doomed = run.worker("REPLAY_DELAY=0.3", *slots)
    run.worker("REPLAY_DELAY=0.3", *slots)
    wait_for(lambda: stored_articles(run.archive) >= 3, 120, "three stored articles")
    doomed.send_signal(signal.SIGKILL)
    status, statuses = run.wait()
    assert status == 0, run.log("coordinator-1")
    assert statuses[1] == 0 and statuses[0] == -signal.SIGKILL
    rerun = run_factory("after-kill", run.archive)
    full_run(rerun, 1, *slots)
    assert snapshot(run.archive) == single_process


def test_a_coordinator_killed_mid_batch_resumes_from_the_pending_entries(run_factory, single_process, redis_server):
    run = run_factory("killed-coordinator")
    coordinator = run.coordinate()
    for _ in range(2):
        run.worker("REPLAY_DELAY=0.1")
    wait_for(lambda: stored_articles(run.archive) >= 2, 120, "two stored articles")
    # Another program holds SQLite's write lock: the coordinator's batch cannot commit, so
    # the entries it read stay unacknowledged; it is killed there.
    blocker = sqlite3.connect(run.archive, timeout=30)
    blocker.execute("begin immediate")
    client = redis_server.client()
    items = "newsarchive:ecns:items"
    wait_for(lambda: client.xpending(items, "archive")["pending"] > 0, 60, "entries read and not acknowledged")
    coordinator.send_signal(signal.SIGKILL)
    coordinator.wait(10)
    pending = client.xpending(items, "archive")["pending"]
    assert pending > 0
    blocker.rollback()
    blocker.close()
    time.sleep(4)  # its heartbeat goes stale (COORDINATE_WORKER_TIMEOUT)
    run.coordinate()
    status, statuses = run.wait()
    assert status == 0, run.log("coordinator-2")
    assert statuses == [0, 0], [run.log(f"worker-{n}") for n in range(2)]
    assert "Taking over run" in run.log("coordinator-2")
    assert client.xpending(items, "archive")["pending"] == 0
    db = Database(run.archive)
    assert [r["outcome"] for r in db.query("select outcome from crawls order by id")] == ["killed", "finished"]
    if snapshot(run.archive) != single_process:
        full_run(run_factory("after-coordinator-kill", run.archive), 1)
    assert snapshot(run.archive) == single_process


def test_redis_restarted_without_its_data_is_rebuilt_from_the_archive(run_factory, single_process, redis_server):
    run = run_factory("redis-restart")
    run.coordinate()
    for _ in range(2):
        run.worker("REPLAY_DELAY=0.2", "REDIS_RETRY_TIMEOUT=30")
    wait_for(lambda: stored_articles(run.archive) >= 3, 120, "three stored articles")
    redis_server.restart()  # no persistence configured: everything it held is gone
    status, statuses = run.wait()
    assert status == 0, run.log("coordinator-1")
    assert statuses == [0, 0], [run.log(f"worker-{n}") for n in range(2)]
    assert "Rebuilding the run in Redis from the archive" in run.log("coordinator-1")
    if snapshot(run.archive) != single_process:
        full_run(run_factory("after-redis-restart", run.archive), 1)
    assert snapshot(run.archive) == single_process


def test_redis_lost_for_good_stops_workers_and_coordinator_with_a_reason(run_factory, redis_server):
    run = run_factory("redis-lost")
    run.coordinate("REDIS_RETRY_TIMEOUT=3")
    run.worker("REPLAY_DELAY=0.3", "REDIS_RETRY_TIMEOUT=3")
    wait_for(lambda: stored_articles(run.archive) >= 2, 120, "two stored articles")
    redis_server.stop()
    stored = stored_articles(run.archive)
    status, statuses = run.wait(120)
    assert status == 1 and statuses == [1]
    assert "Redis lost for more than 3 s" in run.log("coordinator-1")
    assert "Redis lost for more than 3 s" in run.log("worker-0")
    assert stored_articles(run.archive) >= stored  # nothing archived is lost
    (crawl,) = Database(run.archive).query("select outcome from crawls")
    assert crawl["outcome"] == "redis_lost"


# -- refused before starting ----------------------------------------------------------------------------------


def closed_port_url() -> str:
    from tests.redis_server import free_port

    return f"redis://:secret@127.0.0.1:{free_port()}/0"


def worker_command(redis_url: str, *settings: str) -> list[str]:
    command = [sys.executable, "-m", "scrapy", "crawl", "ecns", "-s", f"REDIS_URL={redis_url}",
               "-s", f"REPLAY_DIR={FIXTURES / 'ecns'}", "-s", "REDIS_WAIT_FOR_RUN=1"]
    for setting in settings:
        command += ["-s", setting]
    return command


def test_unreachable_redis_is_one_line_and_exit_status_2(tmp_path):
    url = closed_port_url()
    archive = tmp_path / "archive.db"
    coordinator = subprocess.run([str(BIN / "newsarchive"), "coordinate", "ecns", "-d", str(archive), "--redis", url],
                                 cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert coordinator.returncode == 2
    assert coordinator.stderr.strip().splitlines() == [
        f"error: Redis is unreachable at {url.replace(':secret@', ':***@')}: " + coordinator.stderr.split(": ", 2)[2].strip()]
    assert not archive.exists()
    worker = subprocess.run(worker_command(url), cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert worker.returncode == 2
    (line,) = worker.stderr.strip().splitlines()
    assert line.startswith("error: Redis is unreachable at redis://:***@127.0.0.1:") and "secret" not in line


def test_a_redis_on_another_host_without_a_password_is_refused(tmp_path):
    for url in ("redis://10.1.2.3:6379/0", "redis://redis.example.org/0"):
        worker = subprocess.run(worker_command(url), cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert worker.returncode == 2
        (line,) = worker.stderr.strip().splitlines()
        assert line.startswith(f"error: refusing REDIS_URL {url}: a Redis on another host must require a password")
        coordinator = subprocess.run([str(BIN / "newsarchive"), "coordinate", "ecns", "-d", str(tmp_path / "a.db"),
                                      "--redis", url], cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert coordinator.returncode == 2 and "must require a password" in coordinator.stderr


def test_a_worker_of_another_version_is_refused(run_factory, redis_server):
    run = run_factory("versions")
    run.coordinate()
    client = redis_server.client()
    wait_for(lambda: client.hget("newsarchive:ecns:run", "state") == b"running", 60, "the run")
    ours = client.hget("newsarchive:ecns:run", "version").decode()
    client.hset("newsarchive:ecns:run", "version", "0.0.1/protocol-0")
    worker = subprocess.run(worker_command(run.redis_url), cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert worker.returncode == 2
    (line,) = worker.stderr.strip().splitlines()
    assert line == (f"error: refusing to join run {client.hget('newsarchive:ecns:run', 'run').decode()} of ecns: its "
                    f"coordinator runs newsarchive 0.0.1/protocol-0, this worker {ours} (install the same version on "
                    "every machine)")
    run.coordinator.send_signal(signal.SIGTERM)
    assert run.coordinator.wait(60) == 0


def test_no_redis_url_is_the_single_machine_crawl(single_crawl):
    """Without REDIS_URL nothing of the distributed mode is switched on."""
    result = single_crawl
    assert "stream/records" not in result.stats and result.stats["store/new"] > 0
    assert not any(key.startswith("limiter/") for key in result.stats)


# -- politeness across workers -------------------------------------------------------------------------------

def most_at_once(spans: list[tuple[float, float]]) -> int:
    events = sorted([(start, 1) for start, _ in spans] + [(end, -1) for _, end in spans])
    current = peak = 0
    for _, step in events:
        current += step
        peak = max(peak, current)
    return peak


def test_workers_together_are_as_polite_to_a_site_as_one_crawler(tmp_path, redis_url):
    """Three workers, each allowed 2 requests at once per site and one every 0.4 s: the
    server sees, per site, never more than 2 at once and never two starts closer than the
    delay, as one crawler with those settings would send; every page once."""
    sites = SlowSites(hosts=2, articles=10, delay=0.3)
    polite = ["CONCURRENT_REQUESTS_PER_DOMAIN=2", "DOWNLOAD_DELAY=0.4", "RANDOMIZE_DOWNLOAD_DELAY=False",
              "AUTOTHROTTLE_ENABLED=False", "TWISTED_DNS_RESOLVER=tests.benchmarks.hosts.HostsResolver",
              "BENCH_HOSTS=" + ",".join(f"{host}=127.0.0.1" for host in sites.hosts)]
    archive = tmp_path / "archive.db"
    processes = []
    try:
        args = ["-a", f"start_urls={sites.front_urls()}"]
        coordinator = subprocess.Popen(
            [str(BIN / "newsarchive"), "coordinate", "news", "-d", str(archive), "--redis", redis_url, *args,
             "-s", "COORDINATE_SETTLE=2", "-s", "COORDINATE_WORKER_TIMEOUT=4"],
            cwd=ROOT, stdout=(tmp_path / "coordinator.log").open("w"), stderr=subprocess.STDOUT)
        processes.append(coordinator)
        for n in range(3):
            command = [sys.executable, "-m", "scrapy", "crawl", "news", *args, "-s", f"REDIS_URL={redis_url}",
                       "-s", "EXTRACTION_PROCESSES=0", "-s", "LOG_LEVEL=INFO"]
            for setting in polite:
                command += ["-s", setting]
            processes.append(subprocess.Popen(command, cwd=ROOT, stdout=(tmp_path / f"worker-{n}.log").open("w"),
                                              stderr=subprocess.STDOUT))
        assert coordinator.wait(240) == 0, (tmp_path / "coordinator.log").read_text()[-3000:]
        assert [p.wait(60) for p in processes[1:]] == [0, 0, 0]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
        sites.close()
    pages = [(host, path) for host, path, _, _ in sites.requests if path != "/robots.txt"]
    assert sorted(pages) == sorted({(h, p) for h in sites.hosts for p in ["/", *map(sites.article_path, range(10))]})
    for host in sites.hosts:
        spans = sorted((start, end) for h, _, start, end in sites.requests if h == host)
        assert most_at_once(spans) <= 2, spans
        gaps = [b[0] - a[0] for a, b in zip(spans, spans[1:])]
        assert min(gaps) >= 0.4 * 0.9, gaps
    assert Database(archive)["articles"].count == 20


# -- workers launched by Scrapyd --------------------------------------------------------------------------------


@pytest.mark.scrapyd
def test_workers_launched_through_scrapyd_make_the_single_process_archive(tmp_path, run_factory, single_process):
    from tests.test_scrapyd import api, project_copy, running_scrapyd

    run = run_factory("scrapyd")
    run.coordinate()
    with running_scrapyd(tmp_path / "scrapyd-home", max_proc=3) as (base, home):
        project = project_copy(tmp_path / "project", base)
        deploy = subprocess.run([str(BIN / "scrapyd-deploy"), "--version", "r1"], cwd=project,
                                capture_output=True, text=True, timeout=180)
        assert deploy.returncode == 0, deploy.stdout + deploy.stderr
        jobs = []
        for _ in range(3):
            job = api(base, "schedule.json", [
                ("project", "newsarchive"), ("spider", "ecns"),
                ("setting", f"REDIS_URL={run.redis_url}"), ("setting", f"REPLAY_DIR={FIXTURES / 'ecns'}"),
                ("setting", "EXTRACTION_PROCESSES=0"), ("setting", f"CRAWL_NOW={NOW}"),
                ("setting", "REPLAY_DELAY=0.2"), ("setting", "CONCURRENT_REQUESTS=2"), ("setting", "LOG_LEVEL=INFO"),
            ])
            assert job["status"] == "ok"
            jobs.append(job["jobid"])
        status, _ = run.wait()
        assert status == 0, run.log("coordinator-1")
        deadline = time.monotonic() + 120
        while True:
            finished = {j["id"] for j in api(base, "listjobs.json?project=newsarchive")["finished"]}
            if set(jobs) <= finished:
                break
            assert time.monotonic() < deadline, "the Scrapyd jobs did not stop after the run ended"
            time.sleep(0.3)
        for jobid in jobs:
            log = (home / "logs" / "newsarchive" / "ecns" / f"{jobid}.log").read_text()
            assert "Traceback" not in log and "'finish_reason': 'finished'" in log, log[-3000:]
    assert snapshot(run.archive) == single_process
    (crawl,) = Database(run.archive).query("select stats from crawls")
    assert len(json.loads(crawl["stats"])["workers"]) == 3


def test_a_second_coordinator_of_the_same_run_is_refused(run_factory, redis_server, tmp_path):
    run = run_factory("two-coordinators")
    run.coordinate()
    client = redis_server.client()
    wait_for(lambda: client.hget("newsarchive:ecns:run", "state") == b"running", 60, "the run")
    second = subprocess.run([str(BIN / "newsarchive"), "coordinate", "ecns", "-d", str(tmp_path / "other.db"),
                             "--redis", run.redis_url], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert second.returncode == 2
    (line,) = second.stderr.strip().splitlines()
    assert line.startswith("error: a coordinator is running ecns's run") and "REDIS_PREFIX" in line
    assert not (tmp_path / "other.db").exists()
    # No worker has joined: the coordinator says so instead of waiting in silence.
    wait_for(lambda: "requests queued and no worker working" in run.log("coordinator-1"), 30, "the no-worker notice")
    run.coordinator.send_signal(signal.SIGTERM)
    assert run.coordinator.wait(60) == 0
    (crawl,) = Database(run.archive).query("select outcome from crawls")
    assert crawl["outcome"] == "shutdown"


def test_three_workers_over_a_generic_site_make_the_single_process_archive(tmp_path, run_factory):
    """The `news` spider (no site profile) over three generated sites: the same archive from
    one process and from a coordinator with three workers; a second run fetches nothing archived."""
    sites = SlowSites(hosts=3, articles=8, delay=0.05)
    settings = ["TWISTED_DNS_RESOLVER=tests.benchmarks.hosts.HostsResolver", "AUTOTHROTTLE_ENABLED=False",
                "BENCH_HOSTS=" + ",".join(f"{host}=127.0.0.1" for host in sites.hosts), "EXTRACTION_PROCESSES=0"]
    args = [f"start_urls={sites.front_urls()}"]
    try:
        single = tmp_path / "single.db"
        scrapy_crawl(single, f"CRAWL_NOW={NOW}", *settings, spider="news", replay=None, args=args)
        fetched_alone = len(sites.requests)
        archive = tmp_path / "distributed.db"
        for attempt in ("first", "second"):
            run = run_factory(attempt, archive)
            command = [str(BIN / "newsarchive"), "coordinate", "news", "-d", str(archive), "--redis", run.redis_url,
                       "-a", args[0], "-s", f"CRAWL_NOW={NOW}", "-s", "COORDINATE_SETTLE=2"]
            run.coordinator = subprocess.Popen(command, cwd=ROOT, stdout=(run.work / "coordinator-1.log").open("w"),
                                               stderr=subprocess.STDOUT)
            run.started = 1
            before = len(sites.requests)
            for n in range(3):
                command = [sys.executable, "-m", "scrapy", "crawl", "news", "-a", args[0], "-s", f"REDIS_URL={run.redis_url}",
                           "-s", f"CRAWL_NOW={NOW}", "-s", f"STATS_FILE={run.work / f'worker-{n}.json'}"]
                for setting in settings:
                    command += ["-s", setting]
                run.workers.append(subprocess.Popen(command, cwd=ROOT, stdout=(run.work / f"worker-{n}.log").open("w"),
                                                    stderr=subprocess.STDOUT))
            status, statuses = run.wait()
            assert status == 0 and statuses == [0, 0, 0], run.log("coordinator-1")
            pages = [path for _, path, _, _ in sites.requests[before:] if path != "/robots.txt"]
            if attempt == "first":
                assert snapshot(archive) == snapshot(single)
                assert len(pages) == len(set((h, p) for h, p, _, _ in sites.requests[before:] if p != "/robots.txt"))
                assert len(pages) == len([r for r in sites.requests[:fetched_alone] if r[1] != "/robots.txt"])
            else:
                assert sorted(pages) == ["/"] * len(sites.hosts)  # the front pages only: no article again
                assert snapshot(archive) == snapshot(single)
    finally:
        sites.close()
    assert Database(archive)["articles"].count == 3 * 8


def test_a_page_is_scheduled_once_per_run_under_any_of_its_url_forms(redis_server, redis_url):
    """The workers' shared dupefilter (a real Redis): http/https, `www.` and tracking
    parameters are one page; another page, or the same page in the next run (the
    coordinator clears the run's seen URLs), is not."""
    from crawler.distributed import link

    client = redis_server.client()
    keys = link.Keys.of("newsarchive-test", "ecns")
    forms = ["http://www.ecns.cn/business/2014/08-19/130296.shtml",
             "https://ecns.cn/business/2014/08-19/130296.shtml",
             "https://www.ecns.cn/business/2014/08-19/130296.shtml?utm_source=rss&utm_medium=feed"]
    assert link.mark_seen(client, keys, forms[0]) is False
    assert all(link.mark_seen(client, keys, form) is True for form in forms)
    assert link.mark_seen(client, keys, "http://www.ecns.cn/business/2014/08-19/130297.shtml") is False
    link.clear_pattern(client, keys.pattern("seen"))
    assert link.mark_seen(client, keys, forms[1]) is False
