"""A worker of a run over many machines: `scrapy crawl SPIDER -s REDIS_URL=redis://...`.

The same crawl as on one machine (the spider, extraction, validation, normalisation, the
incremental and frontier middlewares), with what touches the archive switched to Redis by
`WorkerAddon` (crawler/distributed/addon.py, in the project's ADDONS; nothing changes without REDIS_URL):

- scheduler and request queue: scrapy-redis's, shared by every worker (`RetryingScheduler`
  adds retries when Redis is briefly unreachable), with `UrlFormDupeFilter`: a URL under any
  of its forms (http/https, `www.`, tracking parameters) is scheduled once per run across
  all workers;
- the archive: `StreamArchive`, the crawl's archive handle (crawler/crawl_archive.py) for
  a worker: the writer's operations (remember this link, record this failure...) are
  entries of the coordinator's stream, and "is this article archived, is it due?" is a
  look-up in the skip index the coordinator published; no SQLite is opened here;
- storage: `StreamPipeline` sends each record to the stream (the coordinator's writer
  dedupes and stores it); captures: `ShippedCaptureMiddleware` sends every response's
  bytes to the stream, and the coordinator writes the WARC files beside the archive;
- the run: `WorkerRun` reports this worker (busy or not, its counts) every second, keeps
  the spider open while the run is running and closes it when the coordinator ends it;
  its start requests are the coordinator's (`WorkerStart` drops the spider's own);
- politeness: `HostLimiter`, one per-host concurrency and rate for all workers together.

Redis lost mid-run: every call is retried with a doubling pause up to REDIS_RETRY_TIMEOUT
seconds (the worker stands still meanwhile), then the crawl stops with the reason
`redis_lost` and exit status 1. Nothing archived is lost: the archive is on the
coordinator's host.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import socket
import time
import uuid
from concurrent.futures import Future
from datetime import datetime, timezone
from typing import Any, Callable

import redis
from itemadapter import ItemAdapter
from scrapy import Request, signals
from scrapy.exceptions import DontCloseSpider, NotConfigured
from scrapy.utils.defer import deferred_from_coro
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler

from archive import incremental
from crawler import checked_settings
from crawler import signals as project_signals
from crawler.distributed import link
from crawler.distributed.worker_checks import REDIS_LOST, RUN_GONE, keys_of
from crawler.pipelines import CountingPipeline
from crawler.responses import header_pairs

logger = logging.getLogger(__name__)



def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


# -- Redis, retried -----------------------------------------------------------------------------------


class RedisLink:
    """The worker's Redis client and keys, with `call(fn)`: retried with a doubling pause
    while Redis is unreachable, up to REDIS_RETRY_TIMEOUT seconds; past it the crawl is
    closed (`redis_lost`) and RedisUnavailable raised."""

    def __init__(self, crawler, client, keys: link.Keys):
        self.crawler = crawler
        self.client = client
        self.keys = keys
        self.retry_timeout = crawler.settings.getfloat("REDIS_RETRY_TIMEOUT", 60.0)
        self.lost: str | None = None
        self.id = worker_id()

    @classmethod
    def for_crawler(cls, crawler, spider_name: str | None = None) -> "RedisLink":
        existing = getattr(crawler, "newsarchive_redis", None)
        if existing is None:
            url = crawler.settings.get("REDIS_URL")
            name = spider_name or crawler.spidercls.name
            try:
                client = link.connect(url)
            except (link.RedisUnavailable, link.UnsafeRedisUrl) as exc:
                logger.error("%s", exc)
                raise
            existing = crawler.newsarchive_redis = cls(crawler, client, keys_of(crawler.settings, name))
        return existing

    def call(self, fn: Callable[[Any], Any]) -> Any:
        if self.lost:
            raise link.RedisUnavailable(self.lost)
        def retrying(exc, pause):
            # The worker stands still meanwhile: nothing it does can be kept now.
            self.crawler.stats.inc_value("redis/retries")
            logger.warning("Redis unreachable (%s): retrying in %.2g s", exc, pause)

        try:
            return link.retried(fn, self.client, self.retry_timeout, retrying)
        except link.RedisUnavailable as exc:
            self.give_up(str(exc))
            raise link.RedisUnavailable(self.lost) from None

    def give_up(self, reason: str) -> None:
        if self.lost:
            return
        self.lost = reason
        self.crawler.stats.set_value("redis/lost", reason)
        logger.error("Stopping the worker: %s", reason)
        engine = self.crawler.engine
        if engine is not None and engine.spider is not None:
            deferred_from_coro(engine.close_spider_async(reason=REDIS_LOST))

    def send(self, op: str, *args, blob: bytes | None = None) -> None:
        fields = link.entry_fields(self.id, op, args, blob)
        self.call(lambda client: client.xadd(self.keys.items, fields))


# -- scheduler and dupefilter -------------------------------------------------------------------------


class UrlFormDupeFilter(RFPDupeFilter):
    """scrapy-redis's dupefilter keyed by the URL-form key (archive/dedupe.py's url_key), in
    the compact buckets of crawler/distributed/link.py: a page under any of its forms is
    scheduled once per run by all the workers together. The coordinator clears it when a
    run starts; a worker never does."""

    def __init__(self, server, key, debug=False, keys: link.Keys | None = None):
        super().__init__(server, key, debug)
        self.keys = keys

    @classmethod
    def from_spider(cls, spider):
        redis_link = RedisLink.for_crawler(spider.crawler, spider.name)
        keys = redis_link.keys
        return cls(redis_link.client, keys.pattern("seen"), spider.settings.getbool("DUPEFILTER_DEBUG"), keys)

    @classmethod
    def from_crawler(cls, crawler):
        redis_link = RedisLink.for_crawler(crawler)
        return cls(redis_link.client, redis_link.keys.pattern("seen"), crawler.settings.getbool("DUPEFILTER_DEBUG"),
                   redis_link.keys)

    def request_fingerprint(self, request: Request) -> str:
        bucket, field = link.url_digest(request.url)
        return (bucket + field).hex()

    def request_seen(self, request: Request) -> bool:
        return link.mark_seen(self.server, self.keys, request.url)

    def close(self, reason=""):
        pass  # the seen URLs are the run's, not this worker's

    def clear(self):
        link.clear_pattern(self.server, self.keys.pattern("seen"))


class MixedPriorityQueue(PriorityQueue):
    """scrapy-redis's priority queue (a sorted set scored by -priority), its requests of one
    priority in an order that mixes sites: the member's bytes order them otherwise, which
    puts one site's pages side by side, and workers taking them together would all wait
    on that site's politeness limit (HostLimiter) while the other sites wait in the queue.
    The score's fraction is a hash of the URL: Scrapy's priorities are whole numbers, so
    their order is kept."""

    def push(self, request):
        digest = hashlib.blake2b(request.url.encode("utf-8"), digest_size=6).digest()
        score = -request.priority + int.from_bytes(digest, "big") / 2**48 * 0.5
        self.server.execute_command("ZADD", self.key, score, self._encode_request(request))


class RetryingScheduler(Scheduler):
    """scrapy-redis's scheduler, each Redis call retried while Redis is briefly unreachable
    (RedisLink.call); once the worker gives up, requests are dropped (it is stopping)."""

    @classmethod
    def from_crawler(cls, crawler):
        instance = super().from_crawler(crawler)
        instance.link = RedisLink.for_crawler(crawler)
        return instance

    def enqueue_request(self, request):
        try:
            return self.link.call(lambda client: Scheduler.enqueue_request(self, request))
        except link.RedisUnavailable:
            return False

    def next_request(self):
        try:
            return self.link.call(lambda client: Scheduler.next_request(self))
        except link.RedisUnavailable:
            return None

    def has_pending_requests(self):
        try:
            return self.link.call(lambda client: Scheduler.has_pending_requests(self))
        except link.RedisUnavailable:
            return False


# -- the archive, as a worker sees it -----------------------------------------------------------------


class StreamArchive:
    """The crawl's archive handle (crawler/crawl_archive.py's CrawlArchive interface) on a
    worker: writer operations become stream entries (sent in the crawl's order, answered by
    the coordinator's writer later: `send` returns a finished Future), look-ups read the
    coordinator's skip index. `read` is None: there is no SQLite here."""

    read = None
    lock_timeout = 0.0

    def __init__(self, crawler, redis_link: RedisLink, fixed_now: str | None):
        self.crawler = crawler
        self.link = redis_link
        self.fixed_now = fixed_now

    @classmethod
    def for_crawler(cls, crawler) -> "StreamArchive":
        fixed = checked_settings.crawl_now(crawler.settings)
        fixed_now = fixed.astimezone(timezone.utc).isoformat(timespec="seconds") if fixed else None
        return cls(crawler, RedisLink.for_crawler(crawler), fixed_now)

    def clock(self) -> str:
        return self.fixed_now or datetime.now(timezone.utc).isoformat(timespec="seconds")

    def verdict(self, url: str, *, now: datetime, revisit, retry) -> str:
        """The coordinator decided when each archived URL is next due (its revisit and retry
        policies); this says whether that is now."""
        try:
            found = self.link.call(lambda client: link.skip_lookup(client, self.link.keys, url))
        except link.RedisUnavailable:
            return incremental.FAILED  # the worker is stopping: send nothing more
        if found is None:
            return incremental.NEW
        kind, due = found
        if due is not None and due <= now.timestamp():
            return incremental.REVISIT if kind == link.ARTICLE else incremental.RETRY
        return link.KIND_VERDICTS[kind]

    def resumable_links(self) -> list[dict]:
        return []  # the coordinator seeds the frontier's links

    def send(self, name: str, *args) -> Future:
        future: Future = Future()
        try:
            self.link.send(name, *args)
            future.set_result(None)
        except link.RedisUnavailable as exc:
            future.set_exception(exc)
        return future

    async def call(self, name: str, *args) -> Any:
        self.link.send(name, *args)

    def close(self) -> None:
        pass


class StreamPipeline(CountingPipeline):
    """Storage on a worker: the record (with its dedupe keys) goes to the coordinator's
    stream, where the one writer dedupes and stores it. Counted as `stream/records`. When
    the stream holds more than STREAM_MAX_BACKLOG entries (the writer is behind), items
    wait here, which holds the crawl back as the writer's queue does on one machine."""

    CHECK_EVERY = 20

    def __init__(self, crawler):
        super().__init__(crawler)
        self.link = RedisLink.for_crawler(crawler)
        self.backlog = crawler.settings.getint("STREAM_MAX_BACKLOG", 20000)
        self.sent = 0

    async def process_item(self, item):
        adapter = ItemAdapter(item)
        keys = adapter.get("dedupe")
        record = {name: value for name, value in adapter.items() if name != "dedupe"}
        fingerprint = (keys["content_hash"], list(keys["bands"])) if keys else None
        self.sent += 1
        if self.sent % self.CHECK_EVERY == 0:
            while self.link.call(lambda client: client.xlen(self.link.keys.items)) > self.backlog:
                self.stats.inc_value("stream/backlog_waits")
                await asyncio.sleep(0.2)
        try:
            self.link.send("store", record, None, fingerprint)
        except link.RedisUnavailable:
            from crawler.crawl_archive import NotStored

            self.stats.inc_value("stream/not_sent")
            raise NotStored(f"not sent, Redis is lost: {record['url']}") from None
        self.stats.inc_value("stream/records")
        return item


class ShippedCaptureMiddleware:
    """Captures on a worker: every response (as CaptureMiddleware takes it) is sent to the
    stream with its bytes; the coordinator writes it to the WARC files beside the archive
    and points the article's row at it. `request.meta["warc"]` holds the capture's id
    until then."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.stats = crawler.stats
        self.link = RedisLink.for_crawler(crawler)

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("CAPTURE_ENABLED"):
            raise NotConfigured("CAPTURE_ENABLED is off")
        return cls(crawler)

    def process_response(self, request: Request, response):
        capture_id = uuid.uuid4().hex
        request_headers = header_pairs(request.headers)
        if not any(name.lower() == "host" for name, _ in request_headers):
            request_headers.insert(0, ("Host", request.url.split("://", 1)[-1].split("/", 1)[0]))
        exchange = {
            "capture": capture_id,
            "article": bool(request.meta.get("article")),
            "url": response.url,
            "method": request.method,
            "request_headers": request_headers,
            "request_body": (request.body or b"").decode("latin-1"),
            "status": response.status,
            "response_headers": header_pairs(response.headers),
            "protocol": getattr(response, "protocol", None),
            "truncated": "disconnect" if "dataloss" in response.flags else None,
            "date": datetime.now(timezone.utc).isoformat(),
        }
        try:
            self.link.send("capture", exchange, blob=response.body)
        except link.RedisUnavailable:
            return response  # the worker is stopping
        request.meta["warc"] = {"capture": capture_id}
        self.stats.inc_value("capture/records")
        self.stats.inc_value("capture/bytes", len(response.body))
        return response


# -- the run ---------------------------------------------------------------------------------------------


class WorkerStart:
    """The run's start requests are the coordinator's (it seeds the shared queue): a
    worker sends none of its own."""

    async def process_start(self, start):
        return
        yield  # an async generator that yields nothing


class WorkerRun:
    """A worker's part in the run: its report every REPORT_INTERVAL (busy, counts), the
    spider kept open while the run is RUNNING, closed when the coordinator ends it, and
    its end (its counts) sent to the stream after the failures it records."""

    REPORT_INTERVAL = 1.0
    POLL_INTERVAL = 0.25

    def __init__(self, crawler, redis_link: RedisLink):
        self.crawler = crawler
        self.link = redis_link
        self.keys = redis_link.keys
        self.stats = crawler.stats
        self.run_id: str | None = None
        self.closing = False
        self.tasks: list = []
        self.gone_since: float | None = None
        self.wait_for_run = crawler.settings.getfloat("REDIS_WAIT_FOR_RUN", 60.0)

    @classmethod
    def from_crawler(cls, crawler):
        ext = cls(crawler, RedisLink.for_crawler(crawler))
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider):
        from twisted.internet import task

        state = self.link.call(lambda client: link.run_state(client, self.keys))
        self.run_id = state.get("run")
        self.stats.set_value("worker/id", self.link.id)
        self.stats.set_value("worker/run", self.run_id)
        logger.info("Worker %s joins run %s of %s", self.link.id, self.run_id, self.keys.base)
        for interval, function in ((self.REPORT_INTERVAL, self.report), (self.POLL_INTERVAL, self.poll)):
            loop = task.LoopingCall(function)
            loop.start(interval, now=True).addErrback(self._loop_failed)
            self.tasks.append(loop)

    def _loop_failed(self, failure):
        if not failure.check(link.RedisUnavailable):
            logger.error("Worker report failed: %s", failure.getErrorMessage())

    def busy(self) -> int:
        """Requests this worker holds: downloading, or their responses being handled."""
        engine = self.crawler.engine
        if engine is None or engine.scraper.slot is None:
            return 0
        slot = engine.scraper.slot
        # The engine's own in-progress set holds a request from the moment it leaves the
        # queue; Scrapy has no public accessor for it.
        in_progress = getattr(getattr(engine, "_slot", None), "inprogress", ())
        return max(len(in_progress), len(engine.downloader.active)) + len(slot.active) + len(slot.queue)

    def report(self, state: str = "working") -> None:
        if self.link.lost:
            return
        from crawler.extensions.crawl_run import run_counts

        counts = run_counts(self.stats.get_stats())
        counts.pop("stats")
        counts["records"] = self.stats.get_value("stream/records", 0)

        def write(client):
            body = json.dumps({"at": link.now_ms(client), "busy": self.busy(), "state": state, "run": self.run_id,
                               "version": link.project_version(), "counts": counts})
            client.hset(self.keys.workers, self.link.id, body)

        self.link.call(write)
        if state == "working":
            self.check_run()

    def check_run(self) -> None:
        state = self.link.call(lambda client: link.run_state(client, self.keys))
        if state.get("state") == link.ENDED or (state.get("run") and state.get("run") != self.run_id):
            self.close("finished")
        elif not state:
            # Redis restarted without its data: the coordinator rebuilds the run, or is gone.
            self.gone_since = self.gone_since or time.monotonic()
            if time.monotonic() - self.gone_since > self.wait_for_run:
                logger.error("The run's state is gone from Redis for %g s: stopping", self.wait_for_run)
                self.close(RUN_GONE)
        else:
            self.gone_since = None

    def poll(self) -> None:
        """Scrapy looks at the scheduler every 5 s when it has nothing in flight; the shared
        queue fills from other workers meanwhile, so it is looked at every POLL_INTERVAL."""
        engine = self.crawler.engine
        slot = getattr(engine, "_slot", None)
        if slot is not None and not self.closing and not engine.needs_backout():
            slot.nextcall.schedule()

    def spider_idle(self, spider):
        state = self.link.call(lambda client: link.run_state(client, self.keys)) if not self.link.lost else {}
        if not self.link.lost and state.get("state") == link.RUNNING and state.get("run") == self.run_id:
            raise DontCloseSpider
        if not self.link.lost and not state and not self.closing:
            self.check_run()
            if not self.closing:
                raise DontCloseSpider

    def close(self, reason: str) -> None:
        if self.closing:
            return
        self.closing = True
        engine = self.crawler.engine
        if engine is not None and engine.spider is not None:
            deferred_from_coro(engine.close_spider_async(reason=reason))

    def spider_closed(self, spider, reason):
        for loop in self.tasks:
            if loop.running:
                loop.stop()
        # The failures the crawl records at its end (incremental middleware) go first.
        self.crawler.signals.send_catch_log(signal=project_signals.run_closing, reason=reason)
        if self.link.lost:
            return
        from crawler.extensions.crawl_run import run_counts

        counts = run_counts(self.stats.get_stats())
        counts.pop("stats", None)
        try:
            self.link.send("worker_closed", self.run_id, reason, counts)
            self.report("closed")
        except link.RedisUnavailable:
            pass


# -- politeness across workers ------------------------------------------------------------------------

# Acquire a slot for a host: leases (a sorted set of lease id -> expiry) under `limit`, and
# the host's next allowed time passed. Returns 0 (granted) or the milliseconds to wait.
ACQUIRE = """
local now = redis.call('TIME')
local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ms)
local limit, interval, lease = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local nxt = tonumber(redis.call('GET', KEYS[2]) or '0')
if ms < nxt then return nxt - ms end
if redis.call('ZCARD', KEYS[1]) >= limit then return 50 end
redis.call('ZADD', KEYS[1], ms + lease, ARGV[1])
redis.call('PEXPIRE', KEYS[1], lease)
redis.call('SET', KEYS[2], ms + interval, 'PX', math.max(interval, 1000))
return 0
"""


class HostLimiter:
    """One site's concurrency and rate across all the workers of a run, as one crawler's:
    at most CONCURRENT_REQUESTS_PER_DOMAIN requests to a host at once and at least
    DOWNLOAD_DELAY seconds (or the worker's AutoThrottle delay for that host, whichever is
    larger) between two requests to it, whichever worker sends them. A request waits here
    for its turn (a lease in Redis, released with its response; a lost lease expires after
    DOWNLOAD_TIMEOUT). Counted as `limiter/waits`."""

    def __init__(self, crawler, redis_link: RedisLink):
        self.crawler = crawler
        self.link = redis_link
        self.stats = crawler.stats
        settings = crawler.settings
        self.limit = settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN") or settings.getint("CONCURRENT_REQUESTS")
        self.delay = settings.getfloat("DOWNLOAD_DELAY")
        self.lease_ms = int((settings.getfloat("DOWNLOAD_TIMEOUT") + 30) * 1000)
        self.script = redis_link.client.register_script(ACQUIRE)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler, RedisLink.for_crawler(crawler))

    def _host(self, request: Request) -> str:
        return request.url.split("://", 1)[-1].split("/", 1)[0].split("@")[-1].lower()

    def _interval_ms(self, request: Request) -> int:
        delay = self.delay
        downloader = self.crawler.engine.downloader if self.crawler.engine else None
        if downloader is not None:
            slot = downloader.slots.get(downloader.get_slot_key(request))
            if slot is not None:
                delay = max(delay, slot.delay)
        return int(delay * 1000)

    async def process_request(self, request: Request):
        host = self._host(request)
        key = self.link.keys.host(host)
        lease = uuid.uuid4().hex
        while True:
            try:
                wait = self.link.call(lambda client: self.script(
                    keys=[key, key + ":next"], args=[lease, self.limit, self._interval_ms(request), self.lease_ms]))
            except link.RedisUnavailable:
                return None  # the worker is stopping
            if not wait:
                break
            self.stats.inc_value("limiter/waits")
            await asyncio.sleep(int(wait) / 1000)
        request.meta["host_lease"] = [key, lease]
        return None

    def _release(self, request: Request) -> None:
        held = request.meta.pop("host_lease", None)
        if held and not self.link.lost:
            try:
                self.link.call(lambda client: client.zrem(held[0], held[1]))
            except link.RedisUnavailable:
                pass

    def process_response(self, request: Request, response):
        self._release(request)
        return response

    def process_exception(self, request: Request, exception):
        self._release(request)
        return None
