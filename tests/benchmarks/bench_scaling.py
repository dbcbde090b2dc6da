#!/usr/bin/env python3
"""Scaling: ingest rate (the pipelines, as bench_ingest.py measures it, with its same-run
bare-insert floor) and search p95 at archives of 10,000, 100,000 and 1,000,000 articles,
printed as a table and drawn as a PNG (docs/scaling.png).

Search uses the project's search function (archive/read/ `search`, top 20) when it
exists, else FTS5 bm25 top-20 through sqlite-utils' table.search, over a fixed list of
queries of known selectivity (words planted by synth.py at known rates, common news words,
two Chinese terms), each run three times after a warm-up pass.

    python tests/benchmarks/bench_scaling.py [--sizes 10000,100000,1000000] [--plot docs/scaling.png]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.benchmarks.benchlib import REPO, Figure, PreconditionError, info, log, table, write_json  # noqa: E402

SIZES = (10_000, 100_000, 1_000_000)
DEFAULT_PLOT = REPO / "docs" / "scaling.png"


def figures_for(results: dict[int, dict]) -> list[Figure]:
    figures = []
    for n, res in sorted(results.items()):
        figures.append(info(
            "scaling", f"ingest rate, {n:,} articles", res["pipeline_rate"], "rec/s",
            f"{res['ratio']:.2f} x its bare insert_all floor ({res['bare_rate']:,.0f} rec/s)",
            ratio=res["ratio"], bare_rate=res["bare_rate"],
        ))
        if "search" in res:
            s = res["search"]
            figures.append(info(
                "scaling", f"search p95, {n:,} articles", s["p95"], "ms",
                f"p50 {s['p50']:.1f} ms; {s['n']} searches, {s['how']}", p50=s["p50"],
            ))
    return figures


def plot(results: dict[int, dict], path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = sorted(results)
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4), dpi=110)
    left.plot(sizes, [results[n]["pipeline_rate"] for n in sizes], "o-", label="pipelines (validate, normalise, dedupe, store)")
    left.plot(sizes, [results[n]["bare_rate"] for n in sizes], "s--", color="grey", label="floor: bare insert_all + FTS")
    left.set_xscale("log")
    left.set_ylim(bottom=0)
    left.set_xlabel("articles in the archive")
    left.set_ylabel("records / s")
    left.set_title("Ingest rate")
    left.legend(fontsize=8, loc="lower left")
    for n in sizes:
        left.annotate(f"{results[n]['ratio']:.2f}x floor", (n, results[n]["pipeline_rate"]), textcoords="offset points",
                      xytext=(0, 8), ha="center", fontsize=8)
    if all("search" in results[n] for n in sizes):
        right.plot(sizes, [results[n]["search"]["p95"] for n in sizes], "o-", color="tab:red", label="p95")
        right.plot(sizes, [results[n]["search"]["p50"] for n in sizes], "s--", color="tab:orange", label="p50")
        right.set_xscale("log")
        right.set_ylim(bottom=0)
        right.set_xlabel("articles in the archive")
        right.set_ylabel("ms per search (top 20)")
        right.set_title("Search latency")
        right.legend(fontsize=8)
    fig.suptitle("newsarchive: cost as the archive grows (2-core machine, same-run floors)", fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def run(sizes=SIZES, records: int = 2000, rounds: int = 3, plot_path: Path | None = DEFAULT_PLOT):
    from tests.benchmarks.bench_ingest import measure_sizes

    results = measure_sizes(list(sizes), records, rounds, search=True)
    if plot_path:
        log(f"  scaling: plot written to {plot(results, plot_path)}")
    return results, figures_for(results)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=",".join(str(s) for s in SIZES))
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--plot", type=Path, default=DEFAULT_PLOT)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    try:
        _, figures = run([int(s) for s in args.sizes.split(",")], args.records, args.rounds, args.plot)
    except PreconditionError as exc:
        print(f"bench_scaling: cannot measure: {exc}", file=sys.stderr)
        return 2
    print(table(figures))
    if args.json:
        write_json(args.json, figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
