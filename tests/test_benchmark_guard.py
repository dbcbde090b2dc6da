"""A fast guard over the benchmarks (tests/benchmarks/, `make bench`): small versions of the
parse, ingest and crawl measurements that fail only on gross regressions, never on absolute
times. Each compares the project's path with its floor measured in the same test, and fails
when the ratio is five times worse than what `make bench` last recorded (README,
"Benchmarks"): parse ~6x the lxml parse (guard 30x), ingest ~0.1x the bare insert_all
(guard 0.02x), crawl ~0.2x the bare spider (guard 0.04x). Tighten the limits as the figures
improve.

About 15 seconds of CPU in all; the crawl check is skipped where no loopback port 80 can be bound.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.benchmarks import bench_crawl, bench_ingest, bench_parse
from tests.benchmarks.benchlib import median

GUARD_FACTOR = 5
# The ratios `make bench` recorded (each to its same-run floor); the guard allows 5x worse.
RECORDED = {"parse": 6.0, "ingest": 0.1, "crawl": 0.2}


@pytest.mark.benchmark
def test_parse_is_not_grossly_slower_than_lxml():
    pages = bench_parse.fixture_pages() + bench_parse.generated_pages(40)
    m = bench_parse.measure(pages, rounds=3, repeat=1)
    limit = RECORDED["parse"] * GUARD_FACTOR
    assert m["ratio"] <= limit, f"extraction is {m['ratio']:.1f}x the lxml parse of the same pages (guard: {limit}x)"


@pytest.mark.benchmark
def test_ingest_is_not_grossly_slower_than_bare_insert(tmp_path):
    from archive.store import Archive
    from tests.benchmarks.synth import Synth

    archive = tmp_path / "archive.db"
    with Archive(archive, create=True) as store:
        for record in Synth(total=10_000).records(200):
            store.store(record)
    pipeline, bare = [], []
    for r in range(3):
        records = bench_ingest.stream(archive, 200, 120, r)
        bare.append(bench_ingest.bare_insert(tmp_path, records))
        seconds, stats = bench_ingest.ingest_with_pipelines(archive, records)
        pipeline.append(seconds)
        # The planted duplicates were recognised: the path measured is the real one.
        assert stats.get("dedupe/same_text", 0) >= 5 and stats.get("store/unchanged", 0) >= 5, stats
    ratio = median([b / p for b, p in zip(bare, pipeline)])
    limit = RECORDED["ingest"] / GUARD_FACTOR
    assert ratio >= limit, f"ingest runs at {ratio:.2f}x the bare insert_all rate (guard: {limit:.2f}x)"


def _loopback_with_port_80() -> str | None:
    try:
        return bench_crawl.free_loopback_address()
    except Exception:
        return None


def _serve(address: str, files: dict[str, bytes]):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            body = files.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer((address, 80), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.mark.subprocess
def test_crawl_is_not_grossly_slower_than_a_bare_spider(tmp_path):
    from tests.benchmarks.pages import HOST, PageMaker, url_path

    address = _loopback_with_port_80()
    if address is None:
        pytest.fail("no loopback address with a free port 80: the crawl guard serves the generated ECNS site there (run as root, as CI does)")
    maker = PageMaker(n_articles=150)
    pages = maker.listing_pages() + [maker.article(i) for i in range(150)]
    files = {url_path(p.url): p.body for p in pages}
    files.update({url_path(p.url)[: -len("index.shtml")]: p.body for p in pages if p.url.endswith("/")})
    server = _serve(address, files)
    try:
        urls = tmp_path / "urls.txt"
        urls.write_text("\n".join(p.url for p in pages) + "\n")
        work = tmp_path / "work"
        work.mkdir()
        bare = bench_crawl.bare_crawl(urls, address, work, len(pages), timeout=120)
        full = bench_crawl.full_crawl(maker.start_urls(), address, work, len(pages), timeout=120)
    finally:
        server.shutdown()
        server.server_close()
    assert full["articles"] == 150
    ratio = full["rate"] / bare["rate"]
    limit = RECORDED["crawl"] / GUARD_FACTOR
    assert ratio >= limit, f"the full crawl runs at {ratio:.2f}x the bare spider's pages/s (guard: {limit:.2f}x)"
    assert HOST.startswith("http://")
