"""The coordinator of a run over many machines: `newsarchive coordinate SPIDER -d ARCHIVE
--redis URL`, on the archive's host. The archive keeps one writer, here.

A run:

1. takes the archive's lock (one run at a time, as a crawl does) and records the run in
   `crawls` (its per-worker counts in the row's stats);
2. writes what an earlier coordinator left in the stream (entries read but not
   acknowledged: it was killed mid-batch; entries never read);
3. if no run is going on, starts one: clears the shared queue and seen URLs, publishes the
   skip index (every URL key the archive holds and when it is next due, by this run's
   revisit and retry policies: workers skip archived articles without opening SQLite),
   seeds the queue with the spider's start requests and the frontier table's links, and
   sets the run's state to running. If a run is going on whose coordinator is gone, this
   one takes it over (the workers never noticed);
4. writes the stream's entries (records, captures, the incremental bookkeeping) through
   the archive's writer (archive/writer.py), in each worker's order, and acknowledges a
   batch only after it is committed: a coordinator killed mid-batch leaves its entries
   pending, and storing a record again is "unchanged", never a second row;
5. ends the run when the queue is empty, no worker holds a request and the stream is
   drained, for COORDINATE_SETTLE seconds: the state goes to ending (the workers close,
   sending the failures they record at the end), then ended once every worker closed or
   went silent for COORDINATE_WORKER_TIMEOUT seconds.

Redis restarted without its data mid-run: the coordinator finds the run's state gone and
rebuilds it from the archive (skip index, start requests, frontier); what workers fetched
twice meanwhile is stored "unchanged". Redis unreachable: retried with doubling pauses for
REDIS_RETRY_TIMEOUT seconds, then the run stops (`redis_lost`, exit status 1) with every
committed record kept. Exit status as a crawl's: 0 finished, 1 stopped by a storage or
Redis failure, 2 refused before starting.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import socket
import time
import uuid
from collections import Counter, defaultdict
from datetime import datetime, timezone

import redis
from sqlite_utils import Database

from archive import incremental
from archive.identity import MISSING, ArchiveError, archive_kind, connect_readonly, create_archive
from archive.lock import check_writable, lock_archive
from archive.store import build_new_archive
from archive.warc import WarcError, WarcWriter, pointer_path
from archive.writer import ArchiveWriter
from crawler import checked_settings
from crawler.distributed import link
from crawler.distributed.worker_checks import keys_of

logger = logging.getLogger(__name__)

BATCH = 200
FINISHED, SHUTDOWN, ARCHIVE_ERROR, REDIS_LOST = "finished", "shutdown", "archive_error", "redis_lost"
FAILED = frozenset({ARCHIVE_ERROR, REDIS_LOST})


class CoordinateError(Exception):
    """The run cannot start; the message is meant for the user (exit status 2)."""


class RunStopped(Exception):
    """The run must stop: `reason` is its outcome."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


def skip_entries(db: Database, now: datetime, revisit: incremental.RevisitPolicy,
                 retry: incremental.RetryPolicy):
    """(url_key, kind, due epoch or None) for every URL key the archive holds: failed
    pages, then duplicates, then articles (an article's entry wins, as in
    archive.incremental.url_state)."""
    for key, attempts, last_failed in db.execute("select url_key, attempts, last_failed from failed_urls"):
        last = incremental.parse_time(last_failed)
        due = None if last is None else (last + retry.after * (2 ** max(0, min(int(attempts or 1), 30) - 1))).timestamp()
        yield key, link.FAILED, due if due is not None else now.timestamp()
    for (key,) in db.execute("select url_key from duplicates"):
        yield key, link.DUPLICATE, None
    for key, published, first_seen, last_seen in db.execute(
            "select u.url_key, a.published, a.first_seen, a.last_seen from article_urls u"
            " join articles a on a.id = u.article_id"):
        born = incremental.parse_time(published) or incremental.parse_time(first_seen)
        seen = incremental.parse_time(last_seen)
        every = revisit.interval(now - born) if born is not None and seen is not None else None
        yield key, link.ARTICLE, None if every is None else (seen + every).timestamp()


class Coordinator:
    def __init__(self, settings, spider: str, arguments: dict, archive_path: str, redis_url: str):
        self.settings = settings
        self.spider_name = spider
        self.arguments = dict(arguments)
        self.archive_path = str(archive_path)
        self.redis_url = redis_url
        self.keys = keys_of(settings, spider)
        self.settle = settings.getfloat("COORDINATE_SETTLE", 5.0)
        self.worker_timeout = settings.getfloat("COORDINATE_WORKER_TIMEOUT", 15.0)
        self.retry_timeout = settings.getfloat("REDIS_RETRY_TIMEOUT", 60.0)
        self.update_interval = settings.getfloat("CRAWLS_UPDATE_INTERVAL", 60.0)
        fixed = checked_settings.crawl_now(settings)
        self.fixed_now = fixed.astimezone(timezone.utc).isoformat(timespec="seconds") if fixed else None
        self.client = None
        self.writer: ArchiveWriter | None = None
        self.warc: WarcWriter | None = None
        self.lock = None
        self.crawl_id: int | None = None
        self.run_id: str | None = None
        self.stats: Counter = Counter()
        self.per_worker: dict[str, Counter] = defaultdict(Counter)
        self.closed_workers: dict[str, dict] = {}
        self.reports: dict[str, dict] = {}
        self.captures: dict[str, dict] = {}
        self.stop_requested = False

    # -- set-up ------------------------------------------------------------------------------------

    def now(self) -> str:
        return self.fixed_now or datetime.now(timezone.utc).isoformat(timespec="seconds")

    def open(self) -> None:
        """Everything a run needs, or CoordinateError in one line; nothing is changed in
        Redis or the archive before all of it is known to be usable."""
        checked_settings.check_values(self.settings)
        try:
            self.client = link.connect(self.redis_url)
        except (link.RedisUnavailable, link.UnsafeRedisUrl) as exc:
            raise CoordinateError(str(exc)) from None
        state = link.run_state(self.client, self.keys)
        if state.get("state") in (link.RUNNING, link.ENDING):
            beat = int(state.get("beat") or 0)
            if link.now_ms(self.client) - beat < self.worker_timeout * 1000:
                raise CoordinateError(
                    f"a coordinator is running {self.spider_name}'s run {state.get('run')} on this Redis "
                    f"({state.get('coordinator')}): one coordinator a run (or set REDIS_PREFIX)")
        path = self.archive_path
        try:
            if archive_kind(path) == MISSING:
                create_archive(path, build_new_archive)
            self.lock = lock_archive(path)
            check_writable(path, timeout=checked_settings.lock_timeout(self.settings))
            if self.settings.getbool("CAPTURE_ENABLED"):
                spider = self.spider_name
                self.warc = WarcWriter(
                    checked_settings.capture_dir(self.settings),
                    prefix=self.settings.get("CAPTURE_FILE_PREFIX") or f"{self.settings.get('BOT_NAME')}-{spider}",
                    max_file_size=self.settings.getint("CAPTURE_MAX_FILE_SIZE"),
                    info={"isPartOf": f"{self.settings.get('BOT_NAME')}-{spider}",
                          "http-header-user-agent": self.settings.get("USER_AGENT"),
                          "robots": "obey" if self.settings.getbool("ROBOTSTXT_OBEY") else "ignore"})
            self.writer = ArchiveWriter.start(path, batch_size=self.settings.getint("ARCHIVE_BATCH_SIZE", 50),
                                              lock_timeout=checked_settings.lock_timeout(self.settings),
                                              clock=self.fixed_now)
        except (ArchiveError, WarcError) as exc:
            self.close_archive()
            raise CoordinateError(str(exc)) from None
        from crawler.extensions.crawl_run import cmdline_settings

        started = self.writer.call(
            "start_crawl", self.spider_name,
            {"args": self.arguments, "settings": cmdline_settings(self.settings),
             "coordinate": {"redis": link.masked(self.redis_url), "prefix": self.keys.base}},
            self.now(), os.getpid(), socket.gethostname()).result()
        self.crawl_id = started["crawl_id"]
        if started["killed"]:
            logger.warning("Crawl run(s) %s never finished (killed): marked so in the crawls table",
                           ", ".join(map(str, started["killed"])))

    def close_archive(self) -> None:
        if self.warc is not None:
            self.warc.close()
        if self.writer is not None:
            self.writer.close()
            self.writer = None
        if self.lock is not None:
            self.lock.release()
            self.lock = None

    # -- Redis, retried ----------------------------------------------------------------------------

    def redis(self, fn):
        def retrying(exc, pause):
            self.stats["redis/retries"] += 1
            logger.warning("Redis unreachable (%s): retrying in %.2g s", exc, pause)

        try:
            return link.retried(fn, self.client, self.retry_timeout, retrying)
        except link.RedisUnavailable as exc:
            raise RunStopped(REDIS_LOST, str(exc)) from None

    # -- the run's state ----------------------------------------------------------------------------

    def ensure_group(self, client) -> None:
        try:
            client.xgroup_create(self.keys.items, link.GROUP, id="0", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    def start_run(self) -> None:
        """A run going on whose coordinator is gone is taken over; otherwise a new one starts."""
        state = self.redis(lambda c: link.run_state(c, self.keys))
        taking_over = state.get("state") in (link.RUNNING, link.ENDING) and state.get("run")
        self.run_id = state["run"] if taking_over else uuid.uuid4().hex
        self.redis(self.ensure_group)
        self.drain_pending()
        if taking_over:
            logger.info("Taking over run %s of %s (its coordinator is gone)", self.run_id, self.keys.base)
            self.stats["coordinate/took_over"] += 1
            self.redis(lambda c: c.hset(self.keys.run, mapping={
                "state": link.RUNNING, "coordinator": f"{socket.gethostname()}:{os.getpid()}",
                "beat": link.now_ms(c), "crawl": self.crawl_id}))
            return
        self.seed(fresh=True)

    def seed(self, *, fresh: bool) -> None:
        """The run's shared state from the archive: skip index, start requests, frontier."""
        started = time.monotonic()
        if fresh:
            self.redis(lambda c: c.unlink(self.keys.requests, self.keys.workers, self.keys.captures))
            self.redis(lambda c: link.clear_pattern(c, self.keys.pattern("seen")))
        self.redis(self.ensure_group)
        read = Database(connect_readonly(self.archive_path))
        try:
            now = checked_settings.now(self.settings)
            entries = list(skip_entries(read, now, checked_settings.revisit_policy(self.settings),
                                        checked_settings.retry_policy(self.settings)))
            published = self.redis(lambda c: link.publish_skip_index(c, self.keys, entries))
            links = incremental.frontier(read)
        finally:
            read.conn.close()
        seeded = self.redis(lambda c: self.push_start_requests(c, links))
        self.stats["coordinate/skip_index"] = published
        self.stats["coordinate/seeded"] += seeded
        self.redis(lambda c: c.hset(self.keys.run, mapping={
            "state": link.RUNNING, "run": self.run_id, "version": link.project_version(),
            "coordinator": f"{socket.gethostname()}:{os.getpid()}", "beat": link.now_ms(c),
            "crawl": self.crawl_id, "now": self.fixed_now or ""}))
        logger.info("Run %s of %s: %d archived URL keys published, %d requests seeded (%.1f s)",
                    self.run_id, self.keys.base, published, seeded, time.monotonic() - started)

    def push_start_requests(self, client, links: list[dict]) -> int:
        """The spider's start requests, then the frontier's links, into the shared queue
        (through the shared dupefilter, as workers schedule theirs)."""
        from scrapy.crawler import Crawler
        from scrapy.spiderloader import get_spider_loader
        from scrapy.statscollectors import MemoryStatsCollector
        from crawler.distributed.worker import MixedPriorityQueue
        from crawler.middlewares.frontier import request_from_json

        spidercls = get_spider_loader(self.settings).load(self.spider_name)
        crawler = Crawler(spidercls, self.settings)
        crawler.stats = MemoryStatsCollector(crawler)
        spider = spidercls.from_crawler(crawler, **self.arguments)
        queue = MixedPriorityQueue(server=client, spider=spider, key=self.keys.requests)

        async def start_requests() -> list:
            from scrapy import Request

            return [obj async for obj in spider.start() if isinstance(obj, Request)]

        requests = asyncio.run(start_requests())
        for entry in links:
            request = request_from_json(entry["request"], spider)
            if request is not None:
                requests.append(request)
        pushed = 0
        for request in requests:
            if request.dont_filter or not link.mark_seen(client, self.keys, request.url):
                queue.push(request)
                pushed += 1
        return pushed

    # -- the stream -------------------------------------------------------------------------------

    def drain_pending(self) -> None:
        """The entries an earlier coordinator read and did not acknowledge (it was killed
        mid-batch), written before anything else."""
        while not self.stop_requested:
            if not self.read_batch("0", block=None):
                return

    def read_batch(self, cursor: str, block: int | None) -> int:
        """Read, write, commit and acknowledge one batch; how many entries it held."""
        try:
            answer = self.redis(lambda c: c.xreadgroup(link.GROUP, link.CONSUMER, {self.keys.items: cursor},
                                                        count=BATCH, block=block))
        except redis.ResponseError as exc:
            if "NOGROUP" in str(exc):
                self.rebuild("the stream's consumer group is gone")
                return 0
            raise
        entries = answer[0][1] if answer else []
        if not entries:
            return 0
        self.write_batch(entries)
        return len(entries)

    def write_batch(self, entries: list) -> None:
        writes, ids, new_captures, used_captures = [], [], {}, []
        for entry_id, fields in entries:
            ids.append(entry_id)
            if not fields:
                continue  # deleted after it was read (acknowledged by a coordinator since killed)
            try:
                worker, op, args, blob = link.read_entry(fields)
            except (KeyError, ValueError) as exc:
                self.stats["coordinate/bad_entries"] += 1
                logger.warning("Unreadable stream entry %s dropped: %s", entry_id, exc)
                continue
            try:
                if op == "capture":
                    pointer = self.write_capture(args[0], blob or b"")
                    if pointer is not None and args[0].get("article"):
                        self.captures[args[0]["capture"]] = pointer
                        new_captures[args[0]["capture"]] = json.dumps(pointer)
                    self.per_worker[worker]["captures"] += 1
                elif op == "worker_closed":
                    run, reason, counts = args
                    if run == self.run_id:  # not a late word from an earlier run
                        self.closed_workers[worker] = {"reason": reason, **counts}
                elif op == "store":
                    record, seen_at, fingerprint = args
                    warc = record.get("warc") or {}
                    if "capture" in warc:
                        used_captures.append(warc["capture"])
                        record["warc"] = self.capture_pointer(warc["capture"])
                    writes.append((worker, op, self.writer.call("store", record, seen_at, fingerprint)))
                else:
                    writes.append((worker, op, self.writer.call(op, *args)))
            except (TypeError, ValueError, IndexError) as exc:
                self.stats["coordinate/bad_entries"] += 1
                logger.warning("Malformed %s entry %s from %s dropped: %s", fields.get(b"op"), entry_id, worker, exc)
        try:
            self.writer.call("flush").result()
            for worker, op, future in writes:
                result = future.result()
                if op == "store":
                    self.stats[f"store/{result['outcome']}"] += 1
                    self.stats[f"dedupe/{result['decision']}"] += 1
                    self.per_worker[worker][f"store/{result['outcome']}"] += 1
                    if result["outcome"] == "duplicate":
                        logger.info("Duplicate of article %s (%s)", result["article_id"], result["reason"])
        except ArchiveError as exc:
            raise RunStopped(ARCHIVE_ERROR, f"the archive could not be written: {exc}") from None

        def acknowledge(client):
            pipe = client.pipeline(transaction=True)
            if new_captures:
                pipe.hset(self.keys.captures, mapping=new_captures)
            if used_captures:
                pipe.hdel(self.keys.captures, *used_captures)
            pipe.xack(self.keys.items, link.GROUP, *ids)
            pipe.xdel(self.keys.items, *ids)
            pipe.execute()

        self.redis(acknowledge)
        for capture in used_captures:
            self.captures.pop(capture, None)
        self.stats["stream/entries"] += len(ids)

    def write_capture(self, exchange: dict, body: bytes) -> dict | None:
        if self.warc is None:
            return None
        pointer = self.warc.write_exchange(
            url=exchange["url"], method=exchange["method"],
            request_headers=[tuple(pair) for pair in exchange["request_headers"]],
            request_body=exchange.get("request_body", "").encode("latin-1"),
            status=int(exchange["status"]),
            response_headers=[tuple(pair) for pair in exchange["response_headers"]],
            body=body, protocol=exchange.get("protocol"), truncated=exchange.get("truncated"),
            extra={"WARC-Newsarchive-Article": "1"} if exchange.get("article") else None,
            date=datetime.fromisoformat(exchange["date"]) if exchange.get("date") else None,
        )
        self.stats["capture/records"] += 1
        self.stats["capture/bytes"] += len(body)
        return {"file": pointer_path(pointer.file, self.archive_path), "offset": pointer.offset,
                "record_id": pointer.record_id}

    def capture_pointer(self, capture: str) -> dict | None:
        pointer = self.captures.get(capture)
        if pointer is None:
            # Written by an earlier batch, maybe by a coordinator since killed.
            stored = self.redis(lambda c: c.hget(self.keys.captures, capture))
            pointer = json.loads(stored) if stored else None
        if pointer is None:
            self.stats["capture/missing"] += 1
        return pointer

    def rebuild(self, why: str) -> None:
        """Redis lost the run's state (restarted without its data): rebuilt from the archive.
        The seen URLs are gone too, so pages in flight may be fetched again: stored as
        unchanged, never twice."""
        logger.warning("Rebuilding the run in Redis from the archive: %s", why)
        self.stats["coordinate/rebuilt"] += 1
        self.writer.call("flush").result()
        self.seed(fresh=False)

    # -- the end --------------------------------------------------------------------------------

    def quiet(self, client) -> bool:
        """Nothing queued, nothing in the stream, no live worker holding a request."""
        now = link.now_ms(client)
        self.reports = link.worker_reports(client, self.keys)
        if client.zcard(self.keys.requests) or client.xlen(self.keys.items):
            return False
        for report in self.reports.values():
            alive = now - int(report.get("at", 0)) < self.worker_timeout * 1000
            if alive and report.get("state") != "closed" and report.get("busy"):
                return False
        return True

    def live_workers(self, client) -> list[str]:
        now = link.now_ms(client)
        return [worker for worker, report in link.worker_reports(client, self.keys).items()
                if now - int(report.get("at", 0)) < self.worker_timeout * 1000 and report.get("state") != "closed"]

    def counts(self) -> dict:
        """The `crawls` row's counts: the workers' (their last report, or their end) and
        the writer's outcomes, with each worker's in the row's stats."""
        workers: dict[str, dict] = {}
        pages = skipped = revisited = 0
        dropped: Counter = Counter()
        errors: Counter = Counter()
        for worker in set(self.reports) | set(self.closed_workers) | set(self.per_worker):
            counts = self.closed_workers.get(worker) or (self.reports.get(worker) or {}).get("counts") or {}
            pages += counts.get("pages", 0)
            skipped += counts.get("skipped", 0)
            revisited += counts.get("revisited", 0)
            dropped.update(counts.get("dropped") or {})
            errors.update(counts.get("errors") or {})
            workers[worker] = {"pages": counts.get("pages", 0), "skipped": counts.get("skipped", 0),
                               **dict(self.per_worker.get(worker, {})),
                               **({"closed": self.closed_workers[worker]["reason"]} if worker in self.closed_workers else {})}
        return {
            "pages": pages, "skipped": skipped, "revisited": revisited,
            "articles_new": self.stats["store/new"], "articles_revised": self.stats["store/revised"],
            "articles_unchanged": self.stats["store/unchanged"], "articles_duplicate": self.stats["store/duplicate"],
            "dropped": dict(dropped), "errors": dict(errors),
            "stats": {"run": self.run_id, "workers": workers, "coordinator": dict(self.stats)},
        }

    def update_row(self, outcome: str | None = None) -> None:
        finished = self.now() if outcome else None
        self.writer.call("update_crawl", self.crawl_id, self.counts(), self.now(), outcome, finished).result()

    def run(self) -> str:
        """The run, to its end; its outcome (FINISHED, SHUTDOWN, ARCHIVE_ERROR, REDIS_LOST)."""
        self.start_run()
        quiet_since = None
        ending_since = None
        last_update = time.monotonic()
        without_workers = WithoutWorkersNotice(self)
        while True:
            self.read_batch(">", block=250)
            now = time.monotonic()
            state = self.redis(lambda c: link.run_state(c, self.keys))
            if not state.get("run"):
                self.rebuild("the run's state is gone")
                quiet_since = ending_since = None
                continue
            self.redis(lambda c: c.hset(self.keys.run, "beat", link.now_ms(c)))
            if now - last_update >= self.update_interval:
                self.update_row()
                last_update = now
            if self.stop_requested:
                return SHUTDOWN
            if ending_since is None:
                without_workers.check(now)
                if self.redis(self.quiet):
                    quiet_since = quiet_since or now
                    if now - quiet_since >= self.settle:
                        logger.info("Run %s is quiet: ending it", self.run_id)
                        self.redis(lambda c: c.hset(self.keys.run, "state", link.ENDING))
                        ending_since = now
                else:
                    quiet_since = None
            elif not self.redis(self.live_workers) and not self.redis(lambda c: c.xlen(self.keys.items)):
                return FINISHED
            elif now - ending_since > self.worker_timeout + self.settle:
                logger.warning("Workers still open after the run ended: %s", ", ".join(self.redis(self.live_workers)))
                return FINISHED

    def finish(self, outcome: str) -> None:
        """The run's end: its state for the workers, its row, the archive closed."""
        if outcome != REDIS_LOST:
            try:
                self.redis(lambda c: c.hset(self.keys.run, mapping={"state": link.ENDED, "beat": 0}))
                self.redis(lambda c: c.unlink(self.keys.captures))
            except RunStopped:
                pass
        try:
            if self.writer is not None and self.crawl_id is not None:
                self.update_row(outcome)
        except ArchiveError as exc:
            logger.error("The run's end could not be recorded in the crawls table: %s", exc)
        self.close_archive()


class WithoutWorkersNotice:
    """A run with requests queued and no live worker waits for workers to join, which a
    coordinator's log otherwise shows as silence: said after COORDINATE_WORKER_TIMEOUT
    seconds without one, then every NOTICE_EVERY seconds while it lasts."""

    NOTICE_EVERY = 60.0

    def __init__(self, coordinator: "Coordinator"):
        self.coordinator = coordinator
        self.checked = time.monotonic()
        self.since: float | None = None  # no live worker, requests queued, since
        self.noticed: float | None = None

    def check(self, now: float) -> None:
        coordinator = self.coordinator
        if now - self.checked < 1.0:
            return
        self.checked = now
        queued = coordinator.redis(lambda c: c.zcard(coordinator.keys.requests))
        if not queued or coordinator.redis(coordinator.live_workers):
            self.since = self.noticed = None
            return
        self.since = self.since or now
        waited = now - self.since
        if waited >= coordinator.worker_timeout and (self.noticed is None or now - self.noticed >= self.NOTICE_EVERY):
            self.noticed = now
            logger.info("Run %s: %d requests queued and no worker working for %.0f s; workers join with "
                        "`scrapy crawl %s -s REDIS_URL=...` on any machine", coordinator.run_id, queued, waited,
                        coordinator.spider_name)


def coordinate(settings, spider: str, arguments: dict, archive_path: str, redis_url: str) -> int:
    """Run a coordinator to the end; its exit status."""
    coordinator = Coordinator(settings, spider, arguments, archive_path, redis_url)
    try:
        coordinator.open()
    except (CoordinateError, checked_settings.SettingError) as exc:
        print(f"error: {exc}", flush=True, file=__import__("sys").stderr)
        return 2

    def stop(signum, frame):
        logger.warning("Stopping the run (signal %d): what is read is written first", signum)
        coordinator.stop_requested = True

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        outcome = coordinator.run()
    except RunStopped as exc:
        logger.error("Stopping the run: %s", exc)
        outcome = exc.reason
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    coordinator.finish(outcome)
    logger.info("Run %s: %s (%s)", coordinator.run_id, outcome,
                ", ".join(f"{k}={v}" for k, v in sorted(coordinator.stats.items()) if k.startswith("store/")))
    return 1 if outcome in FAILED else 0
