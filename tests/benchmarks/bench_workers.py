#!/usr/bin/env python3
"""Extraction on every core outside a crawl: `newsarchive extract` over the 927 labelled pages
of ../shared/eval, and `newsarchive reparse` of a 20,000-article archive, each with 2 worker
processes against 1 (`--processes 2` / `--processes 1`), runs alternating, in the same
benchmark run (target >= 1.8 on a 2-core machine).

The extract runs also check what the workers give: the JSON lines of `--processes 0` (in the
command's own process), 1 and 2 must be identical, page for page (the test suite compares
every fixture pooled and inline; it may not read ../shared, this benchmark does).

The reparse archive is built once (cached under $BENCH_DIR): the generated ECNS-like site of
the crawl benchmark (pages.py), each article page written to a WARC capture as a crawl
writes it and stored from it, so that every row points at its capture. Re-parsing it with
an unchanged extractor reads each capture, extracts it in a worker, and compares it with the
stored article in the command's own process.

    python tests/benchmarks/bench_workers.py [--articles 20000] [--rounds 1]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.benchmarks.benchlib import (  # noqa: E402
    REPO,
    Figure,
    PreconditionError,
    at_least,
    bench_dir,
    info,
    log,
    median,
    report_figures,
)

TARGET_SPEEDUP = 1.8
EVAL_DIR = REPO.parent / "shared" / "eval"
EVAL_SETS = ("zyte-dev", "fundus-dev", "chinese-dev", "dragnet-dev")
NEWSARCHIVE = [sys.executable, "-c", "from crawler.cli import main; main()"]


def eval_jobs(path: Path) -> int:
    """The labelled pages as `extract --from-jsonl` jobs; returns how many."""
    if not (EVAL_DIR / "zyte-dev" / "cases.jsonl").exists():
        raise PreconditionError(f"the labelled pages are not at {EVAL_DIR}")
    n = 0
    with open(path, "w", encoding="utf-8") as out:
        for name in EVAL_SETS:
            for line in open(EVAL_DIR / name / "cases.jsonl", encoding="utf-8"):
                case = json.loads(line)
                job = {"id": f"{name}/{case['id']}", "path": str(EVAL_DIR / name / case["file"]), "url": case.get("url")}
                out.write(json.dumps(job) + "\n")
                n += 1
    return n


def timed(cmd: list[str]) -> tuple[float, str]:
    started = time.perf_counter()
    result = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if result.returncode not in (0, 1):  # extract exits 1 when a page is not an article
        raise PreconditionError(f"{' '.join(map(str, cmd[3:]))} failed (exit {result.returncode}): {result.stderr[-2000:]}")
    return seconds, result.stdout


def run_extract(jobs: Path, n: int, rounds: int) -> list[Figure]:
    outputs: dict[int, str] = {}
    times: dict[int, list[float]] = {1: [], 2: []}
    _, outputs[0] = timed([*NEWSARCHIVE, "extract", "--from-jsonl", str(jobs), "--processes", "0"])
    for _ in range(rounds):
        for processes in (1, 2):
            seconds, outputs[processes] = timed([*NEWSARCHIVE, "extract", "--from-jsonl", str(jobs),
                                                 "--processes", str(processes)])
            times[processes].append(seconds)
            log(f"  extract, {processes} process{'es' if processes > 1 else ''}: {n / seconds:.1f} pages/s")
    differing = [i for i, (a, b, c) in enumerate(zip(*(outputs[p].splitlines() for p in (0, 1, 2)))) if not a == b == c]
    lines = {p: len(outputs[p].splitlines()) for p in outputs}
    if differing or len(set(lines.values())) != 1 or lines[0] != n:
        raise PreconditionError(f"extract gave different records in process and in workers: lines {lines}, "
                                f"{len(differing)} differing (first: job {differing[:1]})")
    one, two = median(times[1]), median(times[2])
    return [
        at_least("workers", "extract over ../shared/eval: 2 processes / 1", one / two, "x", TARGET_SPEEDUP,
                 f"{n} pages; {n / one:.1f} vs {n / two:.1f} pages/s"),
        info("workers", "extract: records identical with 0, 1 and 2 processes", n, "pages", "checked line by line"),
    ]


def cached_reparse_archive(n_articles: int) -> Path:
    """An archive of the generated site's articles, each stored from its own WARC capture."""
    from archive.store import Archive
    from archive.warc import WarcWriter, pointer_path
    from crawler.parsing import CapturedResponse, parse_response
    from tests.benchmarks.bench_crawl import cached_site, site_version
    from tests.benchmarks.pages import url_path

    root = bench_dir() / f"reparse-{n_articles}-{site_version()}"
    path = root / "archive.db"
    if (root / "done").exists():
        return path
    www, manifest = cached_site(n_articles)
    log(f"  reparse: building a {n_articles:,}-article archive with captures in {root}")
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    headers = (("Content-Type", "text/html; charset=utf-8"),)
    with Archive(path, create=True, batch_size=2000) as archive, WarcWriter(root / "archive.db-warc") as writer:
        for url in manifest["articles"]:
            body = (www / url_path(url).lstrip("/")).read_bytes()
            pointer = writer.write_exchange(url=url, method="GET", request_headers=[], status=200,
                                            response_headers=list(headers), body=body)
            warc = {**pointer.as_dict(), "file": pointer_path(pointer.file, path)}
            record = parse_response(CapturedResponse(url, body, 200, headers, meta={"warc": warc}))
            if isinstance(record, dict):
                archive.store(record)
        archive.flush()
    (root / "done").write_text("")
    return path


def run_reparse(n_articles: int, rounds: int) -> list[Figure]:
    import sqlite3

    source = cached_reparse_archive(n_articles)
    articles = sqlite3.connect(source).execute("select count(*) from articles").fetchone()[0]
    times: dict[int, list[float]] = {1: [], 2: []}
    with tempfile.TemporaryDirectory(dir=bench_dir(), prefix="bench-reparse-") as tmp:
        copy = Path(tmp) / "archive.db"
        shutil.copy(source, copy)
        captures = source.parent / "archive.db-warc"
        for _ in range(rounds):
            for processes in (1, 2):
                seconds, output = timed([*NEWSARCHIVE, "reparse", "--archive", str(copy), "--captures", str(captures),
                                         "--processes", str(processes)])
                if f"re-parsed {articles} articles: 0 changed" not in output:
                    raise PreconditionError(f"reparse with an unchanged extractor changed something: {output[:500]}")
                times[processes].append(seconds)
                log(f"  reparse, {processes} process{'es' if processes > 1 else ''}: {articles / seconds:.0f} articles/s")
    one, two = median(times[1]), median(times[2])
    return [at_least("workers", f"reparse of a {articles:,}-article archive: 2 processes / 1", one / two,
                     "x", TARGET_SPEEDUP, f"{articles / one:.0f} vs {articles / two:.0f} articles/s")]


def run(n_articles: int = 20_000, rounds: int = 1) -> list[Figure]:
    with tempfile.TemporaryDirectory(dir=bench_dir(), prefix="bench-extract-") as tmp:
        jobs = Path(tmp) / "jobs.jsonl"
        n = eval_jobs(jobs)
        figures = run_extract(jobs, n, rounds)
    return figures + run_reparse(n_articles, rounds)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--only", choices=("extract", "reparse"))
    args = parser.parse_args(argv)
    if args.only == "reparse":
        return report_figures("workers", lambda: run_reparse(args.articles, args.rounds))
    if args.only == "extract":
        def extract_only():
            with tempfile.TemporaryDirectory(dir=bench_dir(), prefix="bench-extract-") as tmp:
                jobs = Path(tmp) / "jobs.jsonl"
                return run_extract(jobs, eval_jobs(jobs), args.rounds)
        return report_figures("workers", extract_only)
    return report_figures("workers", lambda: run(args.articles, args.rounds))


if __name__ == "__main__":
    sys.exit(main())
