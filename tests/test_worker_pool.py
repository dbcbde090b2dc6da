"""The extraction workers (crawler/worker_pool.py): answers in order, and a fault costs one
task: a worker that dies or runs past the timeout is replaced, the others go on; workers
ignore Ctrl-C and leave when the process that started them dies, however it dies."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from crawler.worker_pool import TaskError, TaskTimeout, WorkerDied, WorkerPool, usable_cores
from tests import pool_tasks
from tests.conftest import ROOT


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead
        return Path_state(pid) != "Z"
    except OSError:
        return False


def Path_state(pid: int) -> str:
    with open(f"/proc/{pid}/stat") as fh:
        return fh.read().rsplit(")", 1)[1].split()[0]


def wait_gone(pids, seconds: float) -> list[int]:
    deadline = time.monotonic() + seconds
    left = list(pids)
    while left and time.monotonic() < deadline:
        left = [p for p in left if alive(p)]
        time.sleep(0.05)
    return left


@pytest.mark.parametrize("processes", [0, 2])
def test_answers_come_back_in_order_and_whole(processes):
    with WorkerPool(processes, preload=("tests.pool_tasks",)) as pool:
        futures = [pool.submit(pool_tasks.square, n) for n in range(300)]
        assert [f.result() for f in futures] == [n * n for n in range(300)]
        assert [f.result() for _, f in pool.map_in_order(pool_tasks.square, ((n,) for n in range(50)), window=3)] == \
            [n * n for n in range(50)]


def test_batched_answers_come_back_in_order_and_an_item_that_raises_fails_alone():
    items = [(pool_tasks.fail, "bad page") if n == 13 else (pool_tasks.square, n) for n in range(50)]
    with WorkerPool(2, preload=("tests.pool_tasks",)) as pool:
        answers = list(pool.map_in_order(pool_tasks.call, items, batch=8))
        assert [item for item, _ in answers] == items
        for n, (_, future) in enumerate(answers):
            if n == 13:
                with pytest.raises(TaskError, match="ValueError: bad page"):
                    future.result()
            else:
                assert future.result() == n * n
        assert pool.stats.batches_split == 0 and pool.stats.failed == 1 and pool.stats.by_error["ValueError"] == 1


def test_a_worker_that_dies_on_a_batch_costs_only_the_item_that_killed_it():
    items = [(pool_tasks.die, 9) if n == 10 else (pool_tasks.square, n) for n in range(30)]
    with WorkerPool(2, timeout=30, preload=("tests.pool_tasks",)) as pool:
        answers = list(pool.map_in_order(pool_tasks.call, items, batch=8))
        assert [item for item, _ in answers] == items
        with pytest.raises(WorkerDied, match="exit status 9"):
            answers[10][1].result()
        assert [f.result() for n, (_, f) in enumerate(answers) if n != 10] == [n * n for n in range(30) if n != 10]
        # the batch it was in, then the item again on its own
        assert pool.stats.batches_split == 1 and pool.stats.worker_died == 2


def test_an_item_past_the_timeout_in_a_batch_costs_only_itself():
    items = [(pool_tasks.sleep, 60) if n == 3 else (pool_tasks.square, n) for n in range(12)]
    with WorkerPool(2, timeout=1.0, preload=("tests.pool_tasks",)) as pool:
        started = time.monotonic()
        answers = list(pool.map_in_order(pool_tasks.call, items, batch=4))
        assert time.monotonic() - started < 20
        with pytest.raises(TaskTimeout):
            answers[3][1].result()
        assert [f.result() for n, (_, f) in enumerate(answers) if n != 3] == [n * n for n in range(12) if n != 3]
        assert pool.stats.batches_split == 1 and pool.stats.timeout == 2


def test_a_worker_is_replaced_after_max_tasks_items_counted_one_by_one_in_batches():
    with WorkerPool(1, max_tasks=10, preload=("tests.pool_tasks",)) as pool:
        answers = [f.result() for _, f in pool.map_in_order(pool_tasks.call, [(pool_tasks.pid,)] * 40, batch=8)]
        # 5 batches of 8: the worker that ran the 2nd and the 4th had done 16 items, past 10
        assert len(set(answers)) == 3 and pool.stats.recycled == 2


def test_a_worker_that_dies_costs_its_task_only_and_is_replaced():
    with WorkerPool(2, timeout=30, preload=("tests.pool_tasks",)) as pool:
        before = set(pool.pids)
        dying = pool.submit(pool_tasks.die, 9)
        others = [pool.submit(pool_tasks.square, n) for n in range(40)]
        with pytest.raises(WorkerDied, match="exit status 9"):
            dying.result(timeout=30)
        assert [f.result(timeout=30) for f in others] == [n * n for n in range(40)]
        assert pool.stats.worker_died == 1 and len(pool.pids) == 2 and set(pool.pids) != before
        assert pool.submit(pool_tasks.square, 7).result(timeout=30) == 49  # the pool goes on


def test_a_task_past_the_timeout_gets_its_worker_killed_and_the_rest_go_on():
    with WorkerPool(2, timeout=1.0, preload=("tests.pool_tasks",)) as pool:
        stuck = pool.submit(pool_tasks.sleep, 60)
        quick = [pool.submit(pool_tasks.square, n) for n in range(20)]
        started = time.monotonic()
        with pytest.raises(TaskTimeout):
            stuck.result(timeout=30)
        assert time.monotonic() - started < 10
        assert [f.result(timeout=30) for f in quick] == [n * n for n in range(20)]
        assert pool.stats.timeout == 1


def test_a_task_that_raises_reports_the_exception_and_the_worker_lives_on():
    with WorkerPool(1, preload=("tests.pool_tasks",)) as pool:
        worker = pool.pids[0]
        with pytest.raises(TaskError, match="ValueError: bad page"):
            pool.submit(pool_tasks.fail, "bad page").result(timeout=30)
        assert pool.submit(pool_tasks.pid).result(timeout=30) == worker


def test_workers_that_die_at_start_break_the_pool_instead_of_respawning_forever():
    with WorkerPool(1, preload=("tests.pool_tasks",)) as pool:
        pool._broken = "workers die before finishing a task"  # what MAX_SHORT_LIVED deaths lead to
        with pytest.raises(WorkerDied, match="die before finishing"):
            pool.submit(pool_tasks.square, 1)


OWNER = textwrap.dedent(
    """
    import os, signal, sys, time
    sys.path.insert(0, sys.argv[1])
    from crawler.worker_pool import WorkerPool
    from tests import pool_tasks
    pool = WorkerPool(2, preload=("tests.pool_tasks",))
    busy = pool.submit(pool_tasks.sleep, 60)  # one worker in the middle of a task
    time.sleep(0.5)
    print(" ".join(map(str, pool.pids)), flush=True)
    time.sleep(60)
    """
)


def test_workers_leave_when_the_process_that_started_them_is_killed():
    owner = subprocess.Popen([sys.executable, "-c", OWNER, str(ROOT)], stdout=subprocess.PIPE, text=True,
                             start_new_session=True)
    try:
        pids = [int(p) for p in owner.stdout.readline().split()]
        assert len(pids) == 2 and all(alive(p) for p in pids)
        os.kill(owner.pid, signal.SIGKILL)
        owner.wait(timeout=10)
        assert wait_gone(pids, 5.0) == [], "workers outlived the crawl that started them"
    finally:
        if owner.poll() is None:
            owner.kill()


def test_workers_ignore_ctrl_c_which_the_owner_decides_on():
    owner = subprocess.Popen([sys.executable, "-c", OWNER, str(ROOT)], stdout=subprocess.PIPE, text=True,
                             start_new_session=True)
    try:
        pids = [int(p) for p in owner.stdout.readline().split()]
        os.killpg(owner.pid, signal.SIGINT)  # Ctrl-C in a terminal: the whole process group
        owner.wait(timeout=10)
        time.sleep(0.3)
        # The owner (no handler) stops; the workers did not die of the signal themselves, and
        # leave because their owner is gone.
        assert wait_gone(pids, 5.0) == []
    finally:
        if owner.poll() is None:
            owner.kill()


def test_usable_cores_follow_the_affinity_mask():
    assert usable_cores() == len(os.sched_getaffinity(0))
