"""Tasks for the worker-pool tests (tests/test_worker_pool.py): module-level functions a
worker process can import by name. Holds no tests itself."""

from __future__ import annotations

import os
import time


def square(x: int) -> int:
    return x * x


def die(code: int) -> None:
    """A worker that dies mid-task, as one killed by a segfault or the OOM killer does."""
    os._exit(code)


def sleep(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


def fail(message: str) -> None:
    raise ValueError(message)


def pid() -> int:
    return os.getpid()


def call(function, *args):
    """`function(*args)`: one map over tasks of different kinds (a batch holding a bad one)."""
    return function(*args)
