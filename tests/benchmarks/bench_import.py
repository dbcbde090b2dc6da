#!/usr/bin/env python3
"""Import of a CC-NEWS-like WARC: `newsarchive import` over a generated .warc.gz of 10,000
response records (one gzip member each, 97 sites; the recorded article pages with their
paragraphs drawn at random, so that most are distinct articles: tests/web_archives.py),
with the extraction in 2 worker processes against 1, runs alternating in rounds of (1, 2,
2, 1), two rounds by default, in the same benchmark run.

Figures:
- records/s with 2 processes over records/s with 1 (target >= 1.8): the import is bound by
  extraction, which the workers spread over the cores; reading the file and storing each
  article as its worker answers (the archive's one writer) stay in the command's own
  process, which with 1 worker runs beside it on the other core.
- peak RSS of the import's process tree (the command and its workers, psutil every 0.1 s)
  for 10,000 records over the same for 2,000 (target <= 1.2): memory stays flat whatever
  the file's length (records are streamed; the articles wait in the archive, not in memory).

    python tests/benchmarks/bench_import.py [--records 10000] [--small 2000] [--processes 2] [--rounds 2]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
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
    report_figures,
    require_module,
)

TARGET_SPEEDUP = 1.8
TARGET_RSS_RATIO = 1.2
NEWSARCHIVE = [sys.executable, "-c", "from crawler.cli import main; main()"]


def cached_warc(records: int) -> Path:
    """The generated file of `records` response records (built once, under $BENCH_DIR)."""
    from tests.web_archives import cc_news_warc, varied_pages

    path = bench_dir() / f"import-cc-news-{records}.warc.gz"
    if not path.exists():
        log(f"  import: writing {records:,} records to {path}")
        partial = path.with_name(path.name + ".partial")
        cc_news_warc(partial, varied_pages(records), datetime(2024, 5, 1, tzinfo=timezone.utc))
        partial.rename(path)
    return path


def sample_tree(pid: int, cpu: dict[int, float]) -> float | None:
    """Resident memory of a process and its descendants (the forkserver, the extraction
    workers), in MB; each one's CPU seconds so far recorded in `cpu` by pid."""
    import psutil

    try:
        root = psutil.Process(pid)
        processes = [root, *root.children(recursive=True)]
    except psutil.Error:
        return None
    total = 0
    for process in processes:
        try:
            total += process.memory_info().rss
            times = process.cpu_times()
            cpu[process.pid] = times.user + times.system
        except psutil.Error:
            pass
    return total / 1e6


def run_import(warc: Path, work: Path, processes: int) -> dict:
    archive = work / f"import-{processes}-{time.monotonic_ns()}.db"
    started = time.monotonic()
    proc = subprocess.Popen([*NEWSARCHIVE, "import", str(warc), "-d", str(archive), "--processes", str(processes)],
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = 0.0
    cpu: dict[int, float] = {}
    while proc.poll() is None:
        rss = sample_tree(proc.pid, cpu)
        if rss:
            peak = max(peak, rss)
        time.sleep(0.1)
    main_cpu = cpu.pop(proc.pid, 0.0)
    workers_cpu = sum(cpu.values())
    seconds = time.monotonic() - started
    out, err = proc.communicate()
    if proc.returncode != 0:
        raise PreconditionError(f"the import failed (exit {proc.returncode}):\n{out[-2000:]}{err[-2000:]}")
    conn = sqlite3.connect(archive)
    records = conn.execute("select json_extract(stats, '$.records') from crawls").fetchone()[0]
    articles = conn.execute("select count(*) from articles").fetchone()[0]
    duplicates = conn.execute("select count(*) from duplicates").fetchone()[0]
    conn.close()
    for leftover in work.glob(archive.name + "*"):
        leftover.unlink()
    log(f"  import: {processes} process(es): {records:,} records in {seconds:.1f} s "
        f"({records / seconds:.1f}/s), {articles:,} articles, {duplicates:,} duplicates, peak RSS {peak:.0f} MB; "
        f"CPU ms/record: command {1000 * main_cpu / records:.1f}, workers {1000 * workers_cpu / records:.1f}; "
        f"load average {os.getloadavg()[0]:.1f}")
    return {"records": records, "seconds": seconds, "rate": records / seconds, "peak_rss": peak,
            "articles": articles, "duplicates": duplicates, "main_ms": 1000 * main_cpu / records,
            "workers_ms": 1000 * workers_cpu / records}


def run(records: int = 10_000, small: int = 2_000, processes: int = 2, rounds: int = 2) -> list[Figure]:
    require_module("psutil")
    big_file, small_file = cached_warc(records), cached_warc(small)
    ones: list[dict] = []
    manys: list[dict] = []
    round_ratios: list[float] = []
    with tempfile.TemporaryDirectory(prefix="bench-import-", dir=bench_dir()) as tmp:
        work = Path(tmp)
        # Rounds of 1, N, N, 1: a load that other programs put on the machine, or its own
        # speed, rising or falling during a round weighs on both modes alike; this machine's
        # speed moves by 10% within a minute, so more than one round.
        for _ in range(max(1, rounds)):
            first = run_import(big_file, work, 1)
            pair = [run_import(big_file, work, processes), run_import(big_file, work, processes)]
            last = run_import(big_file, work, 1)
            ones += [first, last]
            manys += pair
            round_ratios.append((pair[0]["rate"] + pair[1]["rate"]) / (first["rate"] + last["rate"]))
        small_run = run_import(small_file, work, processes)
        shutil.rmtree(work, ignore_errors=True)
    for run_ in ones + manys:
        if (run_["articles"], run_["duplicates"]) != (ones[0]["articles"], ones[0]["duplicates"]):
            raise PreconditionError(f"the runs archived different articles: {ones + manys}")

    def mean(key: str, runs: list[dict]) -> float:
        return sum(r[key] for r in runs) / len(runs)

    one = {"rate": mean("rate", ones), "workers_ms": mean("workers_ms", ones)}
    many = {**manys[0], "rate": mean("rate", manys), "peak_rss": max(r["peak_rss"] for r in manys),
            "main_ms": mean("main_ms", manys), "workers_ms": mean("workers_ms", manys)}
    speedup = many["rate"] / one["rate"]
    rss_ratio = many["peak_rss"] / small_run["peak_rss"]
    w, c = many["workers_ms"], many["main_ms"]
    # With one worker the command runs on the other core beside it (the worker is the
    # bound); two workers and the command share both cores.
    bound = 2 * max(w, c) / (w + c) if w else 0.0
    # The workers' CPU for the same work in the two one-process runs, which come first and
    # last: how far the machine's own speed moved during the benchmark (the ratio moves with
    # it when the two-process runs in between caught it at another speed).
    one_ms = [r["workers_ms"] for r in ones]
    drift = (max(one_ms) - min(one_ms)) / min(one_ms)
    return [
        at_least("import", f"records/s, {processes} processes / 1", speedup, "x", TARGET_SPEEDUP,
                 f"{records:,}-record CC-NEWS-like WARC: {many['rate']:.1f} vs {one['rate']:.1f} records/s "
                 f"(means of {len(manys)} runs each, in rounds of 1, {processes}, {processes}, 1; the rounds: "
                 + ", ".join(f"{r:.2f}" for r in round_ratios) + ")"),
        info("import", f"records/s, {processes} processes", many["rate"], "records/s",
             f"{many['articles']:,} articles, {many['duplicates']:,} duplicates"),
        info("import", "records/s, 1 process", one["rate"], "records/s"),
        info("import", "CPU per record: the command's process", many["main_ms"], "ms",
             "reading the file, storing each article (dedupe, rows, indexes): the part the workers do not share"),
        info("import", "CPU per record: extraction workers", many["workers_ms"], "ms"),
        info("import", "ratio the CPU figures allow on 2 idle cores", bound, "x",
             "2 w / (w + c), w = workers' CPU, c = the command's: with 1 worker the command runs on the other core"),
        info("import", "machine speed drift between the 1-process runs", 100 * drift, "%",
             "workers' CPU a record for the same work, 1-process runs: " + ", ".join(f"{ms:.1f}" for ms in one_ms)
             + f" ms; {processes}-process runs: " + ", ".join(f"{r['workers_ms']:.1f}" for r in manys)),
        info("import", "load average at the end", os.getloadavg()[0], "",
             "other programs' load on this machine during the runs"),
        at_most("import", f"peak RSS, {records:,} / {small:,} records", rss_ratio, "x", TARGET_RSS_RATIO,
                f"{many['peak_rss']:.0f} MB vs {small_run['peak_rss']:.0f} MB, the import's process tree"),
    ]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--small", type=int, default=2_000)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2, help="rounds of 1, N, N, 1 runs (default 2)")
    args = parser.parse_args(argv)
    return report_figures("bench_import", lambda: run(args.records, args.small, args.processes, args.rounds))


if __name__ == "__main__":
    sys.exit(main())
