"""Worker processes for the CPU-bound part of a crawl (extraction), on every core, where a
fault costs one page.

    pool = WorkerPool(2, timeout=60)          # or WorkerPool(0): run in this process
    future = pool.submit(function, *args)     # a concurrent.futures.Future
    ...
    pool.close()

`function` must be importable by name (a module-level function) and its arguments and
result picklable. Why not `concurrent.futures.ProcessPoolExecutor`: when one of its workers
dies (a segfault in a C extension, the kernel's OOM killer) the whole executor is broken
and every pending task fails, and it has no per-task time limit. Here each worker runs one
task at a time over its own pipe, so:

- a worker that dies fails its own task (`WorkerDied`) and is replaced; the others go on;
- a task running past `timeout` seconds gets its worker killed (`TaskTimeout`), replaced;
- workers ignore SIGINT (Ctrl-C in a terminal reaches the whole process group): the crawl
  decides when they stop, and `close()` lets them finish what they hold;
- workers die with the process that started them, however it dies: an idle worker leaves
  when its pipe to it closes, a busy one when a watchdog thread sees it gone (within half a
  second), and the kernel kills one whose parent dies (PR_SET_PDEATHSIG);
- workers are started from a forkserver that has imported the modules named in `preload`,
  so a replacement costs a fork, not an import of lxml and trafilatura; each worker is
  replaced after `max_tasks` tasks, so memory a library leaks stays bounded.

A dispatcher thread owns the workers; results reach callers through the futures (from that
thread: wrap them with `asyncio.wrap_future` on an event loop). No Scrapy here.
"""

from __future__ import annotations

import collections
import ctypes
import importlib
import logging
import multiprocessing
import multiprocessing.connection
import os
import signal
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Callable

from archive.child_processes import exit_with, without_main_module

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 60.0
DEFAULT_MAX_TASKS = 2000
# Items a message (`map_in_order(batch=...)`) for a caller whose own process is the bound:
# an import or a reparse stores what every worker answers, and each task's round trip cost
# its command about half a millisecond of CPU (an import of 4,000 records with 2 processes,
# the command's CPU a record: one at a time 2.7 ms, 8 a message 2.0, 16 1.9).
CALLER_BOUND_BATCH = 16
# Workers that die one after another without finishing a task (a broken install, an import
# that fails): the pool stops replacing them.
MAX_SHORT_LIVED = 5
_PR_SET_PDEATHSIG = 1


class WorkerDied(Exception):
    """The worker running the task died (signal, crash, out of memory)."""


class TaskTimeout(Exception):
    """The task ran past the pool's timeout; its worker was killed."""


class TaskError(Exception):
    """The task raised; the message names the exception (its traceback stays in the worker)."""


class PoolClosed(RuntimeError):
    pass


def usable_cores() -> int:
    """The cores this process may run on (its affinity mask, which containers and taskset
    narrow), not the machine's count."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def _qualified(function: Callable) -> str:
    return f"{function.__module__}:{function.__qualname__}"


def _resolve(name: str) -> Callable:
    module, _, qualname = name.partition(":")
    target: Any = importlib.import_module(module)
    for part in qualname.split("."):
        target = getattr(target, part)
    return target


# In a worker: the task functions resolved so far, by name.
_functions: dict[str, Callable] = {}


def _function(name: str) -> Callable:
    return _functions.get(name) or _functions.setdefault(name, _resolve(name))


def _failure(exc: BaseException, prefix: str = "") -> str:
    """How a worker reports a task that raised: "Exception: message" (its traceback stays
    in the worker); the caller counts failures by the part before the colon."""
    return f"{prefix}{type(exc).__name__}: {exc}"[:2000]


def _die_with_parent() -> None:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass  # not Linux: the closed pipe still ends an idle worker


def _worker_main(conn, parent_pid: int) -> None:
    """A worker: run tasks from `conn` until told to stop or the pipe closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _die_with_parent()
    # The forkserver a worker is forked from stays up while workers hold their end of its
    # pipe: a worker busy on a page when its crawl is killed learns it from this thread.
    exit_with(parent_pid)
    while True:
        if os.getppid() == 1 and parent_pid != 1:
            return  # orphaned before PR_SET_PDEATHSIG took effect
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return  # the pool (or the process that owns it) is gone
        if message is None:
            return
        task_id, name, args = message
        try:
            reply = (task_id, True, _function(name)(*args))
        except BaseException as exc:  # noqa: BLE001 - reported to the caller, who decides
            reply = (task_id, False, _failure(exc))
        try:
            conn.send(reply)
        except (BrokenPipeError, OSError):
            return
        except Exception as exc:  # the result would not pickle
            conn.send((task_id, False, _failure(exc, "result not picklable: ")))


def run_batch(name: str, items: list[tuple]) -> list[tuple[bool, Any]]:
    """In a worker: the function named `name` on each argument tuple of `items`, each
    answer (True, result) or (False, "Exception: message") as a single task's would be."""
    function = _function(name)
    answers: list[tuple[bool, Any]] = []
    for args in items:
        try:
            answers.append((True, function(*args)))
        except Exception as exc:  # noqa: BLE001 - reported to the caller, who decides
            answers.append((False, _failure(exc)))
    return answers


@dataclass
class _Task:
    id: int
    name: str
    args: tuple
    future: Future
    weight: int = 1


@dataclass
class _Worker:
    process: Any
    conn: Any
    task: _Task | None = None
    started: float = 0.0
    done: int = 0


@dataclass
class PoolStats:
    completed: int = 0
    failed: int = 0
    worker_died: int = 0
    timeout: int = 0
    started: int = 0
    recycled: int = 0
    batches_split: int = 0  # batches run again item by item after a worker died or timed out
    by_error: collections.Counter = field(default_factory=collections.Counter)


class WorkerPool:
    """`processes` workers (0: every task runs in the caller's thread, at submit)."""

    def __init__(self, processes: int, *, timeout: float = DEFAULT_TIMEOUT, max_tasks: int = DEFAULT_MAX_TASKS,
                 preload: tuple[str, ...] = (), start_method: str = "forkserver"):
        self.processes = max(0, int(processes))
        self.timeout = float(timeout)
        self.max_tasks = max(1, int(max_tasks))
        self.stats = PoolStats()
        self._closed = False
        if not self.processes:
            return
        self._context = multiprocessing.get_context(start_method)
        if start_method == "forkserver" and preload:
            self._context.set_forkserver_preload(list(preload))
        self._lock = threading.Lock()
        self._pending: collections.deque[_Task] = collections.deque()
        self._workers: list[_Worker] = []
        self._ids = 0
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_w, False)
        for _ in range(self.processes):
            self._workers.append(self._start_worker())
        self._thread = threading.Thread(target=self._dispatch, name="worker-pool", daemon=True)
        self._thread.start()

    # -- the caller's side -------------------------------------------------------------------

    def submit(self, function: Callable, *args) -> Future:
        return self._submit(function, args)

    def _submit(self, function: Callable, args: tuple, weight: int = 1) -> Future:
        """`weight`: how many of the pool's tasks this one counts as towards a worker's
        `max_tasks` (a batch: its items)."""
        future: Future = Future()
        if self._closed:
            raise PoolClosed("the worker pool is closed")
        if self.processes and self._broken:
            raise WorkerDied(self._broken)
        if not self.processes:
            future.set_running_or_notify_cancel()
            try:
                future.set_result(function(*args))
                self.stats.completed += 1
            except Exception as exc:  # noqa: BLE001 - as a worker would report it
                self.stats.failed += 1
                future.set_exception(TaskError(f"{type(exc).__name__}: {exc}"))
            return future
        with self._lock:
            self._ids += 1
            self._pending.append(_Task(self._ids, _qualified(function), args, future, weight))
            # The dispatcher hands a pending task to each worker that answers, so it needs
            # waking only when a worker is free now. (Woken for every task, it went round
            # its loop twice a task: a tenth of an import command's time.)
            idle = any(worker.task is None for worker in self._workers)
        if idle:
            self._wake()
        return future

    def map_in_order(self, function: Callable, items, window: int | None = None, batch: int = 1):
        """(item, future) for each item of `items` (an iterable of argument tuples), in their
        order, with `function(*item)` done or failed: up to `window` (default four per
        worker) submitted ahead, so memory stays bounded whatever the input's length.

        `batch` > 1: the items go to the workers `batch` at a time, one message each way
        for all of them, for short tasks whose caller is itself the bound (an import's
        command stores what its workers extract): each task's round trip costs the
        caller's process about half a millisecond. An item that raises fails alone; a
        worker that dies or runs past the timeout on a batch gets the batch's items run
        again one by one, so that it costs only the item that did it."""
        if batch > 1 and self.processes:
            yield from self._map_batches(function, items, window, batch)
            return
        window = window or max(1, 4 * self.processes)
        ahead: collections.deque = collections.deque()
        for item in items:
            ahead.append((item, self.submit(function, *item)))
            while len(ahead) > window:
                item_done, future = ahead.popleft()
                future.exception()  # waits
                yield item_done, future
        while ahead:
            item_done, future = ahead.popleft()
            future.exception()
            yield item_done, future

    def _map_batches(self, function: Callable, items, window: int | None, batch: int):
        name = _qualified(function)
        # As many batches ahead as single tasks would be (four a worker by default), and at
        # least two a worker: one running, one waiting to take its place.
        batches_ahead = max(2, (window or 4 * self.processes * batch) // batch, 2 * self.processes)
        ahead: collections.deque = collections.deque()
        chunk: list = []

        def send() -> None:
            ahead.append((chunk[:], self._submit(run_batch, (name, chunk[:]), weight=len(chunk))))
            chunk.clear()

        for item in items:
            chunk.append(item)
            if len(chunk) >= batch:
                send()
                while len(ahead) > batches_ahead:
                    yield from self._batch_answers(function, *ahead.popleft())
        if chunk:
            send()
        while ahead:
            yield from self._batch_answers(function, *ahead.popleft())

    def _batch_answers(self, function: Callable, chunk: list, future: Future):
        try:
            answers = future.result()
        except (WorkerDied, TaskTimeout, TaskError):
            # One of the batch killed its worker or held it past the timeout (or the batch
            # would not pickle): each item again on its own, all submitted before any is
            # waited on, so that only the item at fault fails.
            self.stats.batches_split += 1
            singles = [(item, self.submit(function, *item)) for item in chunk]
            for item, single in singles:
                single.exception()
                yield item, single
            return
        for item, (ok, value) in zip(chunk, answers):
            answer: Future = Future()
            answer.set_running_or_notify_cancel()
            if ok:
                answer.set_result(value)
            else:
                self._count_failure(value)
                answer.set_exception(TaskError(value))
            yield item, answer

    def _count_failure(self, message: str) -> None:
        self.stats.failed += 1
        self.stats.by_error[message.split(":", 1)[0]] += 1

    def close(self, timeout: float | None = None) -> None:
        """Finish every task submitted (up to `timeout` seconds, then kill), stop the
        workers and the dispatcher."""
        if self._closed:
            return
        self._closed = True
        if not self.processes:
            return
        self._wake()
        self._thread.join(timeout)
        if self._thread.is_alive():  # out of time: kill, fail what is left
            self._stop_now = True
            self._wake()
            self._thread.join(5)
        for worker in self._workers:
            self._end(worker, kill=worker.process.is_alive() and worker.task is not None)
        os.close(self._wake_r)
        os.close(self._wake_w)

    def __enter__(self) -> "WorkerPool":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def pids(self) -> list[int]:
        return [w.process.pid for w in self._workers] if self.processes else []

    # -- the dispatcher thread -------------------------------------------------------------------

    _stop_now = False
    _short_lived = 0
    _broken: str | None = None

    def _wake(self) -> None:
        try:
            os.write(self._wake_w, b"x")
        except (BlockingIOError, OSError):
            pass  # already woken, or closing

    def _start_worker(self) -> _Worker:
        parent, child = self._context.Pipe()
        process = self._context.Process(target=_worker_main, args=(child, os.getpid()), daemon=True,
                                        name="newsarchive-worker")
        with without_main_module():
            process.start()
        child.close()
        self.stats.started += 1
        return _Worker(process, parent)

    def _end(self, worker: _Worker, *, kill: bool = False) -> None:
        if kill and worker.process.is_alive():
            worker.process.kill()
        else:
            try:
                worker.conn.send(None)
            except (BrokenPipeError, OSError):
                pass
        worker.process.join(5)
        if worker.process.is_alive():
            worker.process.kill()
            worker.process.join(5)
        worker.conn.close()

    def _replace(self, worker: _Worker, *, kill: bool) -> None:
        """End `worker`; start another in its place unless the pool is winding down, or
        workers keep dying before they finish a task (then the pool is broken: tasks fail
        at once instead of respawning forever)."""
        self._end(worker, kill=kill)
        index = self._workers.index(worker)
        self._short_lived = self._short_lived + 1 if worker.done == 0 and worker.task is None else 0
        if self._short_lived >= MAX_SHORT_LIVED:
            self._broken = f"workers die before finishing a task ({self._short_lived} in a row; see the log)"
        if self._broken or (self._closed and not self._pending):
            del self._workers[index]
        else:
            self._workers[index] = self._start_worker()

    def _fail(self, worker: _Worker, error: Exception, stat: str) -> None:
        task, worker.task = worker.task, None
        setattr(self.stats, stat, getattr(self.stats, stat) + 1)
        task.future.set_exception(error)

    def _dispatch(self) -> None:
        while True:
            with self._lock:
                for worker in self._workers:
                    if worker.task is None and self._pending and worker.process.is_alive():
                        task = self._pending.popleft()
                        if not task.future.set_running_or_notify_cancel():
                            continue
                        try:
                            worker.conn.send((task.id, task.name, task.args))
                        except (BrokenPipeError, OSError):
                            self._pending.appendleft(task)  # the worker is dead: the sentinel says so
                            continue
                        except Exception as exc:  # the arguments would not pickle
                            task.future.set_exception(TaskError(f"arguments not picklable: {exc}"))
                            continue
                        worker.task, worker.started = task, time.monotonic()
                busy = [w for w in self._workers if w.task is not None]
                if self._closed and not busy and not self._pending:
                    return
            if self._broken:
                with self._lock:
                    while self._pending:
                        self._pending.popleft().future.set_exception(WorkerDied(self._broken))
                if self._closed and not self._workers:
                    return
            if self._stop_now:
                for worker in busy:
                    self._fail(worker, WorkerDied("the pool was closed before the task finished"), "worker_died")
                with self._lock:
                    while self._pending:
                        self._pending.popleft().future.cancel()
                return
            deadlines = [w.started + self.timeout for w in busy]
            wait_for = max(0.0, min(deadlines) - time.monotonic()) if deadlines else None
            ready = multiprocessing.connection.wait(
                [self._wake_r, *(w.conn for w in self._workers), *(w.process.sentinel for w in self._workers)],
                timeout=wait_for,
            )
            if self._wake_r in ready:
                os.read(self._wake_r, 4096)
            now = time.monotonic()
            for worker in list(self._workers):
                if worker.conn in ready:
                    try:
                        task_id, ok, value = worker.conn.recv()
                    except (EOFError, OSError):
                        pass  # died while answering: the sentinel below
                    else:
                        task, worker.task = worker.task, None
                        worker.done += task.weight if task is not None else 1
                        if task is not None and task.id == task_id:
                            if ok:
                                self.stats.completed += 1
                                task.future.set_result(value)
                            else:
                                self._count_failure(value)
                                task.future.set_exception(TaskError(value))
                        if worker.done >= self.max_tasks:
                            self.stats.recycled += 1
                            self._replace(worker, kill=False)
                        continue
                if not worker.process.is_alive() or worker.process.sentinel in ready:
                    code = worker.process.exitcode
                    had_task = worker.task is not None
                    if had_task:
                        worker.done += 1  # it did start the task: not a worker dying at start
                    logger.warning("Extraction worker %s died (exit status %s): replaced", worker.process.pid, code)
                    # Replaced before the task's owner hears of it, so whoever reacts to the
                    # failure finds the pool whole again.
                    self._replace(worker, kill=False)
                    if had_task:
                        self._fail(worker, WorkerDied(f"the worker process died (exit status {code})"), "worker_died")
                elif worker.task is not None and now - worker.started >= self.timeout:
                    logger.warning("Extraction worker %s ran past %g s on one page: killed and replaced",
                                   worker.process.pid, self.timeout)
                    worker.done += 1
                    self._replace(worker, kill=True)
                    self._fail(worker, TaskTimeout(f"no result within {self.timeout:g} s"), "timeout")
