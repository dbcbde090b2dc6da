"""What the coordinator and the workers share through Redis: the connection (checked), the
key names, the protocol's version, the run's state, the seen-URL set and the skip index
(both compact), and the stream's entries. No Scrapy here.

Keys, all under `<REDIS_PREFIX>:<spider>:` (REDIS_PREFIX defaults to "newsarchive"):

- `requests`: scrapy-redis's request queue (a sorted set of pickled requests);
- `seen:<bucket>`: the URLs scheduled this run, by URL-form key (crawler/distributed/
  worker.py's dupefilter), and `skip:<bucket>`: the archive's URL keys and when each is
  next due (published by the coordinator). Both are 65,536 small hashes keyed by 6 bytes
  of the URL key's 8-byte digest: Redis keeps a hash of up to 128 short fields as one
  packed string (listpack), about 12 bytes a URL, where a set of hex fingerprints costs
  about 90 (bench_distributed.py measures it);
- `items`: the stream the workers write and the coordinator reads (consumer group
  `archive`): writer operations, records and captures, in each worker's order;
- `run`: the run's state (hash: state, run id, version, coordinator, heartbeat);
- `workers`: each worker's last report (hash: worker id -> JSON);
- `captures`: capture id -> WARC pointer, for records whose capture the coordinator wrote
  in an earlier, acknowledged batch;
- `hosts:<host>`: the per-host limiter's leases (sorted set) and `hosts:<host>:next`, when
  the host may next be sent a request.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
from dataclasses import dataclass
from importlib import metadata
from urllib.parse import urlsplit

from archive.dedupe import url_key

# Bumped when the stream's entries, the keys or the run's states change meaning: a worker
# and a coordinator of different protocols or project versions refuse each other.
PROTOCOL = 1
BUCKET_BYTES = 2  # 65,536 buckets
GROUP = "archive"
CONSUMER = "archive-writer"

# The run's states: a worker works while the run is RUNNING, finishes what it holds when it
# is ENDING, and stops when it is ENDED (or gone).
RUNNING, ENDING, ENDED = "running", "ending", "ended"


class RedisUnavailable(Exception):
    """Redis cannot be reached or used; the message is meant for the user."""


def retried(fn, client, timeout: float, on_retry) -> object:
    """`fn(client)`, retried while Redis is unreachable, the pause doubling from 0.25 s to 8 s;
    past `timeout` seconds, RedisUnavailable saying so. `on_retry(error, pause)` is told of
    each retry (stats, a log line). The coordinator and the workers share it: each decides
    what losing Redis means for it."""
    import time

    import redis

    errors = (redis.ConnectionError, redis.TimeoutError, redis.BusyLoadingError, OSError)
    deadline = time.monotonic() + timeout
    pause = 0.25
    while True:
        try:
            return fn(client)
        except errors as exc:
            if time.monotonic() + pause > deadline:
                raise RedisUnavailable(f"Redis lost for more than {timeout:g} s: {exc}") from None
            on_retry(exc, pause)
            time.sleep(pause)
            pause = min(pause * 2, 8.0)


class UnsafeRedisUrl(ValueError):
    """A Redis URL the project refuses (another host, no password)."""


def project_version() -> str:
    try:
        version = metadata.version("newsarchive")
    except metadata.PackageNotFoundError:
        version = "unknown"
    return f"{version}/protocol-{PROTOCOL}"


def masked(url: str) -> str:
    """The URL with its password hidden, for logs and the crawls table."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()


def check_url(url: str) -> None:
    """Redis carries pickled requests, which run code where they are loaded: a Redis on
    another host must ask for a password. A URL naming a host that is not loopback and no
    password is refused (UnsafeRedisUrl, which names the fix)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError as exc:
        raise UnsafeRedisUrl(f"REDIS_URL is not a URL: {exc}") from None
    if parts.scheme not in ("redis", "rediss", "unix"):
        raise UnsafeRedisUrl(f"REDIS_URL must start with redis://, rediss:// or unix:// (got {masked(url)!r})")
    if parts.scheme == "unix" or parts.password:
        return
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise UnsafeRedisUrl(
            f"refusing REDIS_URL {masked(url)}: a Redis on another host must require a password "
            "(requirepass in redis.conf; then redis://:PASSWORD@host:6379/0), since it carries "
            "pickled requests that run code where they are loaded"
        )


def connect(url: str, *, timeout: float = 5.0):
    """A Redis client for `url`, checked (check_url) and answering (PING); RedisUnavailable
    in one line otherwise."""
    import redis

    check_url(url)
    try:
        client = redis.Redis.from_url(url, socket_timeout=max(timeout, 30.0), socket_connect_timeout=timeout)
        client.ping()
    except redis.AuthenticationError as exc:
        raise RedisUnavailable(f"Redis at {masked(url)} refused the password: {exc}") from None
    except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
        raise RedisUnavailable(f"Redis is unreachable at {masked(url)}: {exc}") from None
    except redis.ResponseError as exc:
        raise RedisUnavailable(f"Redis at {masked(url)} answered: {exc}") from None
    return client


@dataclass(frozen=True)
class Keys:
    """The key names of one spider's runs."""

    base: str

    @classmethod
    def of(cls, prefix: str, spider: str) -> "Keys":
        return cls(f"{prefix}:{spider}")

    @property
    def requests(self) -> str:
        return f"{self.base}:requests"

    @property
    def items(self) -> str:
        return f"{self.base}:items"

    @property
    def run(self) -> str:
        return f"{self.base}:run"

    @property
    def workers(self) -> str:
        return f"{self.base}:workers"

    @property
    def captures(self) -> str:
        return f"{self.base}:captures"

    def seen(self, bucket: bytes) -> bytes:
        return f"{self.base}:seen:".encode() + bucket

    def skip(self, bucket: bytes) -> bytes:
        return f"{self.base}:skip:".encode() + bucket

    def host(self, host: str) -> str:
        return f"{self.base}:hosts:{host}"

    def pattern(self, kind: str) -> str:
        return f"{self.base}:{kind}:*"


def url_digest(url: str) -> tuple[bytes, bytes]:
    """(bucket, field) of a URL's URL-form key: every form of one page (http/https, `www.`,
    tracking parameters) has the same."""
    digest = hashlib.blake2b(url_key(url).encode("utf-8"), digest_size=8).digest()
    return digest[:BUCKET_BYTES], digest[BUCKET_BYTES:]


def key_digest(key: str) -> tuple[bytes, bytes]:
    """The same from a URL key already computed (the archive's `url_key` columns)."""
    digest = hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest()
    return digest[:BUCKET_BYTES], digest[BUCKET_BYTES:]


def mark_seen(client, keys: Keys, url: str) -> bool:
    """Record `url` as scheduled this run; True if it (under any form) already was."""
    bucket, field = url_digest(url)
    return client.hsetnx(keys.seen(bucket), field, b"") == 0


def clear_pattern(client, pattern: str) -> int:
    """Delete every key matching `pattern` (UNLINK, in batches); how many."""
    removed = 0
    batch = []
    for key in client.scan_iter(match=pattern, count=1000):
        batch.append(key)
        if len(batch) >= 1000:
            removed += client.unlink(*batch)
            batch = []
    if batch:
        removed += client.unlink(*batch)
    return removed


# -- the skip index: what the archive holds, and when each URL is next due ---------------------

# Entries: the kind (a: article, d: duplicate, f: failed) and the epoch second it is next
# due, empty for never ("a", "a1733140000").
ARTICLE, DUPLICATE, FAILED = "a", "d", "f"
KIND_VERDICTS = {ARTICLE: "archived", DUPLICATE: "duplicate", FAILED: "failed"}


def skip_entry(kind: str, due: float | None) -> bytes:
    return (kind + ("" if due is None else str(int(due)))).encode()


def read_skip_entry(value: bytes | None) -> tuple[str, float | None] | None:
    if value is None:
        return None
    text = value.decode()
    return text[0], (float(text[1:]) if len(text) > 1 else None)


def publish_skip_index(client, keys: Keys, entries, batch: int = 5000) -> int:
    """Replace the skip index by `entries` ((url_key, kind, due) triples); how many."""
    clear_pattern(client, keys.pattern("skip"))
    count = 0
    pipe = client.pipeline(transaction=False)
    for key, kind, due in entries:
        bucket, field = key_digest(key)
        pipe.hset(keys.skip(bucket), field, skip_entry(kind, due))
        count += 1
        if count % batch == 0:
            pipe.execute()
    pipe.execute()
    return count


def skip_lookup(client, keys: Keys, url: str) -> tuple[str, float | None] | None:
    bucket, field = url_digest(url)
    return read_skip_entry(client.hget(keys.skip(bucket), field))


# -- the stream ---------------------------------------------------------------------------------


def entry_fields(worker: str, op: str, args: tuple, blob: bytes | None = None) -> dict:
    """A stream entry: the worker, the operation, its arguments as JSON and, for captures,
    the body's bytes as they are (no pickle on the archive's host: JSON and bytes only)."""
    fields = {"w": worker, "op": op, "a": json.dumps(list(args), ensure_ascii=False, default=_json_default)}
    if blob is not None:
        fields["b"] = blob
    return fields


def _json_default(value):
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if isinstance(value, bytes):
        return value.decode("latin-1")
    raise TypeError(f"{type(value).__name__} is not JSON")


def read_entry(fields: dict) -> tuple[str, str, list, bytes | None]:
    """(worker, op, args, blob) of a stream entry read back (bytes keys and values)."""
    return (fields[b"w"].decode(), fields[b"op"].decode(), json.loads(fields[b"a"]), fields.get(b"b"))


def now_ms(client) -> int:
    """Redis's clock (all hosts agree on it), in milliseconds."""
    seconds, micros = client.time()
    return seconds * 1000 + micros // 1000


def run_state(client, keys: Keys) -> dict:
    return {k.decode(): v.decode() for k, v in client.hgetall(keys.run).items()}


def worker_reports(client, keys: Keys) -> dict[str, dict]:
    return {k.decode(): json.loads(v) for k, v in client.hgetall(keys.workers).items()}
