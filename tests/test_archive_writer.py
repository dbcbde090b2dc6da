"""The archive's writer process (archive/writer.py) as a crawl uses it: operations sent from
one thread as fast as it can, answers read by another."""

from __future__ import annotations

import threading

from sqlite_utils import Database

from archive.store import Archive
from archive.writer import ArchiveWriter


def test_a_flood_of_operations_never_deadlocks_the_sender_and_the_writer(tmp_path):
    """Sending blocks while the pipe is full (the crawl's backpressure) but never for good:
    answers keep being read while a send waits. With one lock for sending and for handing
    over answers, a generic crawl hung after a few thousand pages, both processes blocked
    in send(); this flood of small operations with now and then one larger than the pipe
    hung the same way within seconds."""
    path = tmp_path / "archive.db"
    Archive(path, create=True).close()
    writer = ArchiveWriter.start(path, batch_size=500)
    small = {"url": "https://www.example.com/", "meta": {"article": True}}
    large = {**small, "padding": "x" * 2_000_000}  # a long page's worth
    futures = []

    def flood():
        for n in range(5_000):
            futures.append(writer.call("remember_links", [(f"https://www.example.com/news/{n}.html",
                                                            large if n % 500 == 499 else small,
                                                            "https://www.example.com/", "2024-11-18T12:00:00+00:00")]))
        futures.append(writer.call("flush"))

    sender = threading.Thread(target=flood, daemon=True)
    sender.start()
    sender.join(60)
    if sender.is_alive():
        writer.kill()  # unblocks the send, so the test ends
        raise AssertionError(f"the sender is blocked for good after {len(futures)} operations")
    futures[-1].result(timeout=60)
    writer.close()
    assert all(f.done() and f.exception() is None for f in futures)
    assert Database(path).execute("select count(*) from frontier").fetchone()[0] == 5_000
