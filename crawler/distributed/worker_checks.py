"""What a worker checks before Scrapy starts (the crawl command, crawler/commands/crawl.py):
a Redis URL it may use, Redis answering, a run to join, of the same project version. Each
refusal is one line and exit status 2. Imports nothing of Redis until a worker needs it."""

from __future__ import annotations

import importlib.util
import time

from crawler.distributed import link

# The close reasons of a worker that could not go on: exit status 1.
REDIS_LOST = "redis_lost"
RUN_GONE = "run_gone"
WORKER_FAILED_REASONS = frozenset({REDIS_LOST, RUN_GONE})


class WorkerRefused(Exception):
    """A worker that cannot join a run; the message says why."""


def keys_of(settings, spider_name: str) -> link.Keys:
    return link.Keys.of(settings.get("REDIS_PREFIX") or "newsarchive", spider_name)


def check_worker(settings, spider: str) -> dict:
    """The run this worker joins (its state), once it is running, or WorkerRefused: an
    unsafe or unreachable Redis, no run within REDIS_WAIT_FOR_RUN seconds, a coordinator
    of another version."""
    if importlib.util.find_spec("redis") is None or importlib.util.find_spec("scrapy_redis") is None:
        raise WorkerRefused("REDIS_URL needs the distributed extra: pip install 'newsarchive[distributed]'")
    import redis

    url = settings.get("REDIS_URL")
    try:
        client = link.connect(url)
    except (link.RedisUnavailable, link.UnsafeRedisUrl) as exc:
        raise WorkerRefused(str(exc)) from None
    keys = keys_of(settings, spider)
    wait = settings.getfloat("REDIS_WAIT_FOR_RUN", 60.0)
    deadline = time.monotonic() + wait
    try:
        while True:
            state = link.run_state(client, keys)
            if state.get("state") == link.RUNNING:
                break
            if time.monotonic() >= deadline:
                raise WorkerRefused(
                    f"no run of {spider} is going on at {link.masked(url)} (waited {wait:g} s): start "
                    f"`newsarchive coordinate {spider} -d ARCHIVE --redis URL` on the archive's host first")
            time.sleep(0.5)
    except (OSError, redis.RedisError) as exc:
        raise WorkerRefused(f"Redis is unreachable at {link.masked(url)}: {exc}") from None
    finally:
        client.close()
    ours = link.project_version()
    if state.get("version") != ours:
        raise WorkerRefused(
            f"refusing to join run {state.get('run')} of {spider}: its coordinator runs newsarchive "
            f"{state.get('version')}, this worker {ours} (install the same version on every machine)")
    return state
