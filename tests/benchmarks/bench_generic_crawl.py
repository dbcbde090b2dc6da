#!/usr/bin/env python3
"""Generic crawl on every core: `scrapy crawl news` over a site of real article pages (the
927 labelled pages of ../shared/eval, each under three URLs, with section listings:
generic_site.py) served by nginx on loopback, with the extraction in worker processes
(`EXTRACTION_PROCESSES=2`) against the same crawl extracting in its own process
(`EXTRACTION_PROCESSES=0`), runs alternating, in the same benchmark run.

The figure is the ratio of the two crawls' pages/s (target >= 1.8 on a 2-core machine): a
crawl of a site without a profile is bound by extraction (tens of milliseconds a page),
which the workers spread over the cores while the crawl's own process goes on downloading.
Also reported: each mode's pages/s and the peak RSS of the crawl's whole process tree
(crawl, extraction workers, archive writer), and that both modes archived the same articles.

    python tests/benchmarks/bench_generic_crawl.py [--rounds 1] [--processes 2]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
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
    bench_dir,
    info,
    log,
    median,
    report_figures,
    require_module,
)
from tests.benchmarks.bench_crawl import COMMON_SETTINGS, _settings_args, nginx  # noqa: E402
from tests.benchmarks.benchlib import tree_sample  # noqa: E402

TARGET_SPEEDUP = 1.8
TARGET_TREE_RSS_MB = 600
EVAL_DIR = REPO.parent / "shared" / "eval"


def cached_site() -> tuple[Path, dict]:
    from tests.benchmarks import generic_site

    if not (EVAL_DIR / "zyte-dev" / "cases.jsonl").exists():
        raise PreconditionError(f"the labelled pages are not at {EVAL_DIR}")
    version = f"{generic_site.COPIES}x{generic_site.SECTIONS}x{generic_site.PER_LISTING}"
    root = bench_dir() / f"generic-site-{version}"
    manifest_path = root / "manifest.json"
    if manifest_path.exists():
        return root / "www", json.loads(manifest_path.read_text())
    log(f"  generic crawl: writing the site to {root}")
    tmp = root.with_name(root.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    manifest = generic_site.write_site(tmp / "www", EVAL_DIR)
    (tmp / "manifest.json").write_text(json.dumps(manifest))
    shutil.rmtree(root, ignore_errors=True)
    tmp.rename(root)
    return root / "www", manifest


def crawl(front: str, address: str, host: str, work: Path, processes: int, expected: int) -> dict:
    run_dir = work / f"run-{processes}-{time.monotonic_ns()}"
    run_dir.mkdir()
    stats_path = run_dir / "stats.json"
    archive = run_dir / "archive.db"
    settings = {
        **COMMON_SETTINGS,
        "TWISTED_DNS_RESOLVER": "tests.benchmarks.hosts.HostsResolver",
        "BENCH_HOSTS": f"{host}={address}",
        "ARCHIVE_PATH": archive,
        "STATS_FILE": stats_path,
        "EXTRACTION_PROCESSES": processes,
    }
    cmd = [sys.executable, "-m", "scrapy", "crawl", "news", "-a", f"start_urls={front}", "-a", "max_pagination=100",
           *_settings_args(settings)]
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    marks: dict[str, float] = {}
    tail: list[str] = []

    def read_log():
        for line in proc.stderr:
            if "Spider opened" in line:
                marks.setdefault("opened", time.monotonic())
            elif "Closing spider" in line:
                marks.setdefault("closing", time.monotonic())
            tail.append(line)
            del tail[:-200]

    reader = threading.Thread(target=read_log, daemon=True)
    reader.start()
    peak = peak_rss = 0.0
    cpu: dict[int, tuple[str, float]] = {}
    deadline = time.monotonic() + 60 + expected * 0.5
    while proc.poll() is None:
        sample = tree_sample(proc.pid, cpu)
        if sample:
            peak, peak_rss = max(peak, sample[0]), max(peak_rss, sample[1])
        if time.monotonic() > deadline:
            proc.kill()
            raise PreconditionError(f"the crawl with EXTRACTION_PROCESSES={processes} did not finish in time")
        time.sleep(0.25)
    reader.join(timeout=5)
    if proc.returncode != 0 or not stats_path.exists():
        raise PreconditionError(f"the crawl failed (exit {proc.returncode}):\n" + "".join(tail[-30:]))
    stats = json.loads(stats_path.read_text())
    fetched = stats.get("response_received_count", 0)
    if fetched < expected:
        raise PreconditionError(f"the crawl fetched {fetched} of the site's {expected} pages")
    if "opened" not in marks or "closing" not in marks:
        raise PreconditionError("the crawl logged no 'Spider opened' / 'Closing spider' (LOG_LEVEL INFO?)")
    conn = sqlite3.connect(archive)
    # How much was archived, not under which URL: each page is served under three URLs, and
    # which of a page's copies a crawl meets first (the article; the others its duplicates),
    # and so which of two near-duplicates is kept, is the order concurrent downloads arrive
    # in, in any mode.
    articles = conn.execute("select count(*) from articles").fetchone()[0]
    stored = articles + conn.execute("select count(*) from duplicates").fetchone()[0]
    conn.close()
    shutil.rmtree(run_dir, ignore_errors=True)
    seconds = marks["closing"] - marks["opened"]
    crawl_cpu = sum(seconds for role, seconds in cpu.values() if role == "crawl")
    helpers_cpu = sum(seconds for role, seconds in cpu.values() if role != "crawl")
    return {"pages": fetched, "seconds": seconds, "rate": fetched / seconds, "peak_pss": peak, "peak_rss": peak_rss, "articles": articles,
            "stored": stored, "crawl_cpu_ms": crawl_cpu * 1000 / fetched, "helpers_cpu_ms": helpers_cpu * 1000 / fetched}


def run(rounds: int = 1, processes: int = 2) -> list[Figure]:
    require_module("psutil")
    root, manifest = cached_site()
    expected = len(manifest["articles"]) + len(manifest["listings"]) + 1
    serial, pooled = [], []
    with nginx(root, charset=None) as address, tempfile.TemporaryDirectory(prefix="bench-generic-", dir=bench_dir()) as tmp:
        work = Path(tmp)
        log(f"  generic crawl: nginx on {address}:80, {len(manifest['articles']):,} article pages, "
            f"{len(manifest['listings'])} listings")
        for r in range(rounds):
            log(f"  generic crawl: EXTRACTION_PROCESSES=0, round {r + 1}")
            serial.append(crawl(manifest["front"], address, manifest["host"], work, 0, expected))
            log(f"    {serial[-1]['rate']:.1f} pages/s")
            log(f"  generic crawl: EXTRACTION_PROCESSES={processes}, round {r + 1}")
            pooled.append(crawl(manifest["front"], address, manifest["host"], work, processes, expected))
            log(f"    {pooled[-1]['rate']:.1f} pages/s")
    runs = pooled + serial
    if len({r["stored"] for r in runs}) != 1 or max(r["articles"] for r in runs) > 1.01 * min(r["articles"] for r in runs):
        raise PreconditionError(f"the crawls archived different work (articles, articles + duplicates: "
                                f"{[(r['articles'], r['stored']) for r in runs]}): the figures would compare different work")
    speedup = median([p["rate"] / s["rate"] for p, s in zip(pooled, serial)])
    return [
        at_least("generic", f"news crawl, {processes} extraction processes / 0", speedup, "x", TARGET_SPEEDUP,
                 f"{median([p['rate'] for p in pooled]):.1f} vs {median([s['rate'] for s in serial]):.1f} pages/s; "
                 f"{expected:,} pages of real news sites, {serial[0]['articles']:,} articles archived, "
                 f"{rounds} round(s) alternating; {os.cpu_count()} cores"),
        at_most("generic", "peak memory (PSS) of the crawl's process tree", max(p["peak_pss"] for p in pooled), "MB",
                TARGET_TREE_RSS_MB, f"crawl + {processes} extraction workers + archive writer + forkserver, psutil "
                f"every 0.25 s; the sum of their RSS, counting the pages they share once each: "
                f"{max(p['peak_rss'] for p in pooled):.0f} MB"),
        info("generic", "peak memory (PSS), extraction in the crawl's process", max(s["peak_pss"] for s in serial), "MB"),
        # Where the time goes: CPU per page of the crawl's own process and of its helper
        # processes (workers, writer, forkserver), sampled until each ended (a process's last
        # quarter second is not seen: a lower bound).
        info("generic", f"CPU ms/page, EXTRACTION_PROCESSES={processes}: crawl process + helpers",
             median([p["crawl_cpu_ms"] + p["helpers_cpu_ms"] for p in pooled]), "ms",
             f"crawl process {median([p['crawl_cpu_ms'] for p in pooled]):.1f} ms, workers and writer "
             f"{median([p['helpers_cpu_ms'] for p in pooled]):.1f} ms"),
        info("generic", "CPU ms/page, EXTRACTION_PROCESSES=0: crawl process + writer",
             median([s["crawl_cpu_ms"] + s["helpers_cpu_ms"] for s in serial]), "ms",
             f"crawl process {median([s['crawl_cpu_ms'] for s in serial]):.1f} ms, writer "
             f"{median([s['helpers_cpu_ms'] for s in serial]):.1f} ms"),
    ]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    return report_figures("bench_generic_crawl", lambda: run(args.rounds, args.processes), args.json)


if __name__ == "__main__":
    sys.exit(main())
