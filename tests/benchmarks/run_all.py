#!/usr/bin/env python3
"""Every benchmark, one table: parse, crawl (ECNS), generic crawl and extraction on every
core, ingest and dedupe, scaling, import of a WARC, search latency and archive size at 1M
articles, runs over many machines (`make bench`).

    python tests/benchmarks/run_all.py [--only parse,crawl,generic,workers,ingest,import,search,distributed] [--json OUT] [--plot PNG] [--markdown OUT]

Prints each figure with its target and whether it is met, writes the table as JSON
(docs/benchmarks.json by default) and the scaling plot (docs/scaling.png). Exits 0 when
every target is met, 1 when one is not, 2 when a benchmark could not measure (a missing
precondition: its message says what). Cached inputs (the 1M-article archive, the generated
site) live under $BENCH_DIR (default /tmp/newsarchive-bench/perf); the first run builds them.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.benchmarks.benchlib import (  # noqa: E402
    REPO,
    Figure,
    PreconditionError,
    bench_dir,
    info,
    log,
    markdown_table,
    require_free_disk,
    require_module,
    table,
    write_json,
)

BENCHES = ("parse", "crawl", "generic", "workers", "ingest", "import", "search", "distributed")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default=",".join(BENCHES), help=",".join(BENCHES) + " (ingest includes scaling)")
    parser.add_argument("--json", type=Path, default=REPO / "docs" / "benchmarks.json")
    parser.add_argument("--plot", type=Path, default=REPO / "docs" / "scaling.png")
    parser.add_argument("--markdown", type=Path, help="also write the table as Markdown")
    parser.add_argument("--pages", type=int, default=5000, help="generated pages for the parse benchmark")
    parser.add_argument("--articles", type=int, default=20_000, help="articles on the crawl benchmark's site")
    parser.add_argument("--reparse-articles", type=int, default=20_000, help="articles in the reparse benchmark's archive")
    parser.add_argument("--records", type=int, default=2000, help="records per ingest round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--import-records", type=int, default=10_000, help="records in the import benchmark's WARC")
    parser.add_argument("--search-repeat", type=int, default=30, help="timed runs per search query")
    args = parser.parse_args(argv)
    only = [b.strip() for b in args.only.split(",") if b.strip()]

    started = time.perf_counter()
    figures: list[Figure] = []
    failures: list[str] = []
    try:
        require_module("psutil")
        require_module("matplotlib")
        require_free_disk(bench_dir(), 2_000_000_000, "the benchmarks' working files")
    except PreconditionError as exc:
        print(f"bench: cannot run: {exc}", file=sys.stderr)
        return 2

    def step(name, fn):
        log(f"== {name}")
        t = time.perf_counter()
        try:
            figures.extend(fn())
        except PreconditionError as exc:
            failures.append(f"{name}: {exc}")
            log(f"!! {name} could not measure: {exc}")
        log(f"   {name}: {time.perf_counter() - t:.0f} s")

    if "parse" in only:
        from tests.benchmarks import bench_parse

        step("parse", lambda: bench_parse.run(args.pages, rounds=5))
    if "ingest" in only:
        from tests.benchmarks import bench_ingest, bench_scaling

        def ingest_and_scaling():
            results, scaling = bench_scaling.run(bench_scaling.SIZES, args.records, args.rounds, args.plot)
            return bench_ingest.figures_for(results, (10_000, 1_000_000)) + scaling

        step("ingest + scaling", ingest_and_scaling)
    if "crawl" in only:
        from tests.benchmarks import bench_crawl

        step("crawl", lambda: bench_crawl.run(args.articles))
    if "generic" in only:
        from tests.benchmarks import bench_generic_crawl

        step("generic crawl", lambda: bench_generic_crawl.run())
    if "workers" in only:
        from tests.benchmarks import bench_workers

        step("workers", lambda: bench_workers.run(args.reparse_articles, rounds=2))

    if "distributed" in only:
        from tests.benchmarks import bench_distributed

        step("distributed", bench_distributed.run)

    if "import" in only:
        from tests.benchmarks import bench_import

        step("import", lambda: bench_import.run(args.import_records, max(1, args.import_records // 5)))

    if "search" in only:
        from tests.benchmarks import bench_search

        # Last, on the 1M archive the ingest step built: latencies want a quiet machine.
        step("search", lambda: bench_search.figures_for(bench_search.measure(1_000_000, args.search_repeat)))

    order = {"parse": 0, "crawl": 1, "generic": 2, "workers": 3, "ingest": 4, "scaling": 5, "import": 6, "search": 7,
             "distributed": 8}
    figures.sort(key=lambda f: order.get(f.bench, 9))
    elapsed = time.perf_counter() - started
    figures.append(info("bench", "make bench wall time", elapsed / 60, "min", "this run, cached inputs as found"))
    print()
    print(table(figures))
    met = [f.met for f in figures if f.met is not None]
    print(f"\n{sum(met)} of {len(met)} targets met; {elapsed / 60:.1f} min")
    for failure in failures:
        print(f"NOT MEASURED: {failure}")
    meta = {
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "load_average_at_end": os.getloadavg(),
        "seconds": round(elapsed),
        "not_measured": failures,
    }
    write_json(args.json, figures, **meta)
    if args.markdown:
        args.markdown.write_text(markdown_table(figures) + "\n", encoding="utf-8")
    log(f"table written to {args.json}")
    if failures:
        return 2
    return 0 if all(met) else 1


if __name__ == "__main__":
    sys.exit(main())
