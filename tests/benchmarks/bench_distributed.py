#!/usr/bin/env python3
"""Runs over many machines (README "Many machines"), on one machine over loopback, with a
real redis-server (Debian's) and the real `newsarchive coordinate` and `scrapy crawl -s
REDIS_URL=...` workers:

- speed-up: 3 workers against 1, crawling the `news` spider over slow sites (tests/
  slow_sites.py: every page answered after DELAY seconds, latency-bound as real sites are;
  24 sites, 8 requests at once each, so that the per-site politeness shared by the workers
  is not what limits them: 8 requests at once per worker is),
  pages/s measured at the server from its first to its last request (target: 3 workers at
  least 2.7 times 1);
- the writer: records/s the coordinator stores from its stream with 3 feeders writing it
  as fast as they can (records with their dedupe keys, as workers send them), against the
  same records sent straight to the archive's writer process as a one-machine crawl does,
  in the same process;
- Redis memory per million URLs seen (a simulated 1M-URL frontier: the URL-form keys
  marked seen, as the workers' dupefilter does, and the skip index for 1M archived URLs),
  against scrapy-redis's own dupefilter (a set of 40-character fingerprints) for the same
  URLs; target: under 100 MB per million seen;
- coordination cost per page: Redis commands and Redis CPU per page fetched in the
  3-worker run, and the bytes each page sends through the stream.

    python tests/benchmarks/bench_distributed.py [--pages-per-site 25] [--delay 2.0] [--only memory,speedup,writer]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.benchmarks.benchlib import (  # noqa: E402
    REPO,
    Figure,
    PreconditionError,
    at_least,
    at_most,
    info,
    log,
    report_figures,
)

TARGET_SPEEDUP = 2.7
TARGET_MB_PER_MILLION = 100
SITES = 24
BIN = Path(sys.executable).parent


def redis_server():
    from tests.redis_server import RedisServer

    if not shutil.which("redis-server") and not Path("/usr/bin/redis-server").exists():
        raise PreconditionError("redis-server is not installed (apt-get install redis-server)")
    return RedisServer().start()


def crawl(workers: int, sites, server, work: Path) -> dict:
    """One run of `workers` workers over `sites`: the server-side pages/s and what Redis did."""
    client = server.client()
    client.flushall()
    client.config_resetstat()
    archive = work / f"archive-{workers}.db"
    hosts = "BENCH_HOSTS=" + ",".join(f"{host}=127.0.0.1" for host in sites.hosts)
    common = ["-a", f"start_urls={sites.front_urls()}", "-s", "LOG_LEVEL=WARNING"]
    # Engine capacity, not politeness settings: no delay, no AutoThrottle ramp.
    crawl_settings = ["AUTOTHROTTLE_ENABLED=False", "DOWNLOAD_DELAY=0", "CONCURRENT_REQUESTS=8",
                      "CONCURRENT_REQUESTS_PER_DOMAIN=8", "EXTRACTION_PROCESSES=0", hosts,
                      "TWISTED_DNS_RESOLVER=tests.benchmarks.hosts.HostsResolver"]
    # The workers first (they wait for the run), so that all of them start with it.
    processes = []
    first = len(sites.requests)
    try:
        for n in range(workers):
            command = [sys.executable, "-m", "scrapy", "crawl", "news", *common, "-s", f"REDIS_URL={server.url}",
                       "-s", f"STATS_FILE={work / f'stats-{workers}-{n}.json'}"]
            for setting in crawl_settings:
                command += ["-s", setting]
            processes.append(subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL,
                                              stderr=(work / f"worker-{workers}-{n}.log").open("w")))
        time.sleep(3)
        coordinator = subprocess.Popen(
            [str(BIN / "newsarchive"), "coordinate", "news", "-d", str(archive), "--redis", server.url, *common,
             "-s", "COORDINATE_SETTLE=2", "-s", "COORDINATE_WORKER_TIMEOUT=5"],
            cwd=REPO, stdout=subprocess.DEVNULL, stderr=(work / f"coordinator-{workers}.log").open("w"))
        processes.append(coordinator)
        if coordinator.wait(1800) != 0:
            raise PreconditionError(f"the coordinator failed: {(work / f'coordinator-{workers}.log').read_text()[-2000:]}")
        for process in processes[:-1]:
            process.wait(120)
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
    requests = [r for r in sites.requests[first:] if r[1] != "/robots.txt"]
    expected = len(sites.hosts) * (sites.articles + 1)
    if len(requests) != expected:
        raise PreconditionError(f"{workers} workers fetched {len(requests)} pages, the sites have {expected}")
    span = max(end for *_, end in requests) - min(start for _, _, start, _ in requests)
    info_stats = client.info("commandstats")
    commands = sum(v["calls"] for v in info_stats.values())
    cpu = client.info("cpu")
    stream_bytes = sum(json.loads((work / f"stats-{workers}-{n}.json").read_text()).get("capture/bytes", 0)
                       for n in range(workers))
    return {"pages": len(requests), "rate": len(requests) / span, "commands": commands,
            "redis_cpu": cpu["used_cpu_sys"] + cpu["used_cpu_user"], "capture_bytes": stream_bytes}


def speedup(pages_per_site: int, delay: float, work: Path, server) -> list[Figure]:
    from tests.slow_sites import SlowSites

    sites = SlowSites(hosts=SITES, articles=pages_per_site, delay=delay)
    try:
        one = crawl(1, sites, server, work)
        log(f"   1 worker: {one['rate']:.1f} pages/s")
        three = crawl(3, sites, server, work)
        log(f"   3 workers: {three['rate']:.1f} pages/s")
    finally:
        sites.close()
    pages = three["pages"]
    return [
        at_least("distributed", "3 workers vs 1, pages/s (latency-bound sites)", three["rate"] / one["rate"], "x",
                 TARGET_SPEEDUP, f"{three['rate']:.1f} vs {one['rate']:.1f} pages/s; {SITES} sites x "
                 f"{pages_per_site + 1} pages answered after {delay:g} s; 8 requests at once per worker, 8 per site"),
        info("distributed", "Redis commands per page (3 workers)", three["commands"] / pages, "commands",
             "scheduler, dupefilter, skip index, limiter, stream, reports: INFO commandstats / pages"),
        info("distributed", "Redis CPU per page (3 workers)", 1000 * three["redis_cpu"] / pages, "ms",
             "redis-server's user+sys CPU over the run / pages"),
        info("distributed", "capture bytes through the stream per page", three["capture_bytes"] / pages, "bytes",
             "every response's body goes to the archive's host with its record"),
    ]


def feed(url: str, worker: str, records: list[dict]) -> None:
    """A stand-in worker: the records (with their dedupe keys) into the stream, as fast as it can."""
    import redis

    from crawler.distributed import link

    client = redis.Redis.from_url(url)
    pipe = client.pipeline(transaction=False)
    for n, record in enumerate(records):
        keys = record.pop("dedupe")
        pipe.xadd("newsarchive:ecns:items", link.entry_fields(worker, "store", (record, None, keys)))
        if n % 100 == 99:
            pipe.execute()
    pipe.execute()


def prepared_records(count: int, start: int) -> list[dict]:
    from archive.dedupe import fingerprint
    from tests.benchmarks.synth import Synth

    records = []
    for record in Synth(total=1_000_000).records(count, start=start):
        content_hash, bands = fingerprint(record["body"])
        record["dedupe"] = [content_hash, bands]
        records.append(record)
    return records


def writer_rate(records_per_feeder: int, work: Path, server) -> list[Figure]:
    import multiprocessing

    from archive.identity import create_archive
    from archive.store import build_new_archive
    from archive.writer import ArchiveWriter

    feeders = 3
    batches = [prepared_records(records_per_feeder, start=1_000_000 + n * records_per_feeder) for n in range(feeders)]
    # The baseline: the same records straight into the writer process (one machine's crawl).
    direct = work / "direct.db"
    create_archive(direct, build_new_archive)
    writer = ArchiveWriter.start(direct)
    started = time.perf_counter()
    futures = [writer.call("store", {k: v for k, v in r.items() if k != "dedupe"}, None, r["dedupe"])
               for batch in batches for r in batch]
    for future in futures:
        future.result()
    writer.call("flush").result()
    direct_rate = len(futures) / (time.perf_counter() - started)
    writer.close()
    # Through the stream: 3 feeders write, the coordinator stores (a run no worker joins:
    # its seeded start requests stay queued, so it is stopped by SIGTERM once drained).
    client = server.client()
    client.flushall()
    archive = work / "streamed.db"
    coordinator = subprocess.Popen(
        [str(BIN / "newsarchive"), "coordinate", "ecns", "-d", str(archive), "--redis", server.url,
         "-s", "LOG_LEVEL=WARNING", "-s", "CAPTURE_ENABLED=False"],
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=(work / "coordinator-writer.log").open("w"))
    try:
        deadline = time.monotonic() + 60
        while client.hget("newsarchive:ecns:run", "state") != b"running":
            if time.monotonic() > deadline or coordinator.poll() is not None:
                raise PreconditionError("the coordinator did not start a run")
            time.sleep(0.1)
        context = multiprocessing.get_context("fork")
        started = time.perf_counter()
        procs = [context.Process(target=feed, args=(server.url, f"feeder-{n}", batch)) for n, batch in enumerate(batches)]
        for proc in procs:
            proc.start()
        total = feeders * records_per_feeder
        while _stored(archive) < total:
            if time.perf_counter() - started > 1800:
                raise PreconditionError("the coordinator did not store the records in 30 min")
            time.sleep(0.05)
        stream_rate = total / (time.perf_counter() - started)
        for proc in procs:
            proc.join()
    finally:
        coordinator.terminate()
        coordinator.wait(60)
    return [
        info("distributed", "writer records/s from the stream, 3 feeders", stream_rate, "records/s",
             f"{total} new records; the same into the writer directly: {direct_rate:.0f}/s"),
        info("distributed", "writer from the stream vs directly", stream_rate / direct_rate, "x",
             "the stream's cost on the one writer (read, decode, acknowledge)"),
    ]


def _stored(archive: Path) -> int:
    import sqlite3

    try:
        conn = sqlite3.connect(f"file:{archive}?mode=ro", uri=True)
        try:
            return conn.execute("select count(*) from articles").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:
        return 0


def redis_memory(urls: int, server) -> list[Figure]:
    from crawler.distributed import link

    client = server.client()
    keys = link.Keys.of("bench", "memory")

    def used() -> int:
        return client.info("memory")["used_memory"]

    def fill(add) -> int:
        client.flushall()
        before = used()
        pipe = client.pipeline(transaction=False)
        for n in range(urls):
            add(pipe, f"https://www.site-{n % 500}.example/news/2024/11/{n % 28 + 1:02d}/story-{n}.html?utm_source=x")
            if n % 10_000 == 9_999:
                pipe.execute()
        pipe.execute()
        return used() - before

    def seen(pipe, url):
        bucket, field = link.url_digest(url)
        pipe.hsetnx(keys.seen(bucket), field, b"")

    def skip(pipe, url):
        bucket, field = link.url_digest(url)
        pipe.hset(keys.skip(bucket), field, link.skip_entry(link.ARTICLE, 1_767_225_600))

    def scrapy_redis_set(pipe, url):
        import hashlib

        pipe.sadd("bench:memory:dupefilter", hashlib.sha1(url.encode()).hexdigest())

    scale = 1_000_000 / urls / 1e6
    ours = fill(seen) * scale
    skip_index = fill(skip) * scale
    theirs = fill(scrapy_redis_set) * scale
    client.flushall()
    return [
        at_most("distributed", "Redis memory per 1M URLs seen", ours, "MB", TARGET_MB_PER_MILLION,
                f"{urls:,} URLs marked seen (URL-form key, 65,536 packed hashes); scrapy-redis's own set "
                f"of SHA1 fingerprints: {theirs:.0f} MB"),
        info("distributed", "Redis memory per 1M archived URLs (skip index)", skip_index, "MB",
             "URL key digest -> kind and next due time, published by the coordinator"),
    ]


PARTS = ("memory", "speedup", "writer")


def run(pages_per_site: int = 25, delay: float = 2.0, records: int = 2000, urls: int = 1_000_000,
        parts=PARTS) -> list[Figure]:
    work = Path(tempfile.mkdtemp(prefix="bench-distributed-"))
    server = redis_server()
    figures: list[Figure] = []
    try:
        if "memory" in parts:
            log("   Redis memory")
            figures += redis_memory(urls, server)
        if "speedup" in parts:
            log("   speed-up")
            figures += speedup(pages_per_site, delay, work, server)
        if "writer" in parts:
            log("   writer")
            figures += writer_rate(records, work, server)
        return figures
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(server.directory, ignore_errors=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages-per-site", type=int, default=25)
    parser.add_argument("--delay", type=float, default=2.0)
    parser.add_argument("--records", type=int, default=2000, help="records per feeder")
    parser.add_argument("--urls", type=int, default=1_000_000)
    parser.add_argument("--only", default=",".join(PARTS), help=",".join(PARTS))
    args = parser.parse_args(argv)
    parts = [p.strip() for p in args.only.split(",") if p.strip()]
    return report_figures("distributed", lambda: run(args.pages_per_site, args.delay, args.records, args.urls, parts))


if __name__ == "__main__":
    sys.exit(main())
