"""Search latency and archive size at scale (not a test: run it by hand).

    .venv/bin/python tests/benchmarks/bench_search.py                 # 1,000,000 articles
    .venv/bin/python tests/benchmarks/bench_search.py --articles 100000 --repeat 10
    BENCH_DIR=/data/bench .venv/bin/python tests/benchmarks/bench_search.py

Uses the synthetic archive the ingest and scaling benchmarks use (tests/benchmarks/archives.py:
built once, ~20 minutes and ~9 GB for a million, cached under $BENCH_DIR, default
/tmp/newsarchive-bench/perf, while the schema and build are the same). Then times `archive.read.search` -- the function `newsarchive search` calls --
for a fixed mix of queries (ranked top 20 with snippets, warm cache), and prints per query
class the p50 / p95 / p99 latency, the match counts, and the archive's size on disk per
article against the raw text (title + body, UTF-8). Results also go to a JSON file beside the
archive. `--size-only` measures the size alone.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from archive import read as lib  # noqa: E402
from archive.read import ranking  # noqa: E402
from tests.benchmarks.archives import cached_archive, manifest  # noqa: E402
from tests.benchmarks.benchlib import PreconditionError  # noqa: E402

# (class, target p95 in ms or None, query, filters)
QUERY_MIX = [
    ("rare word", 10, "shougang", {}),
    ("rare word", 10, "quarkwell", {}),
    ("rare word (Chinese)", 10, "首钢园区", {}),
    ("word in <1%", 50, "zhongguancun", {}),
    ("word in <1%", 50, "desalination", {}),
    ("phrase", 50, '"science park"', {}),
    ("prefix", 50, "zhongguan*", {}),
    ("boolean", 50, "zhongguancun OR desalination", {}),
    ("boolean", 50, "zhongguancun NOT desalination", {}),
    ("common word (>10%)", 300, "reported", {}),
    ("common word (>10%)", 300, "officials", {}),
    ("common word (>10%)", 300, "government", {}),
    ("phrase of common words", 300, '"the government"', {}),
    ("Chinese, 3+ characters", 50, "中关村", {}),
    ("Chinese, 3+ characters", 300, "人工智能", {}),
    ("Chinese, 2 characters", 300, "经济", {}),
    ("Chinese, 2 characters", 300, "首钢", {}),
    ("Chinese, 1 character (scan)", None, "经", {}),
    ("Chinese, 1 character (scan)", None, "钢", {}),
    ("filtered: site + year", 50, "reported", {"site": "SITE", "since": "2019", "until": "2019"}),
    ("filtered: site + year", 50, "zhongguancun", {"site": "SITE", "since": "2016", "until": "2020"}),
    ("filtered: site", 300, "government", {"site": "BIGSITE"}),
    ("filtered: date range", 300, "reported", {"since": "2020-01", "until": "2020-06"}),
]

def ensure_archive(n: int) -> tuple[Path, dict]:
    """The cached n-article archive the ingest and scaling benchmarks use too (archives.py)."""
    path = cached_archive(n)
    print(f"archive: {path} ({n:,} articles)", flush=True)
    return path, manifest(path)


def pick_sites(conn) -> tuple[str, str]:
    """A mid-sized site (~0.05% of articles) and the biggest one."""
    rows = conn.execute("select site, count(*) n from articles group by site order by n desc").fetchall()
    mid = rows[len(rows) // 10][0]
    return mid, rows[0][0]

def exact_count(db, query: str, filters) -> "lib.SearchResult":
    """The search with its match count made exact (no time limit, no cap), for the table."""
    saved = ranking.COUNT_SECONDS, ranking.COUNT_CAP
    ranking.COUNT_SECONDS, ranking.COUNT_CAP = 1e9, 10**12
    try:
        return lib.search(db, query, filters=filters)
    finally:
        ranking.COUNT_SECONDS, ranking.COUNT_CAP = saved


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    k = (len(values) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)

def measure_size(conn, path: Path, meta: dict) -> dict:
    """The archive's size on disk and in use against the raw text, and its parts (dbstat)."""
    n = conn.execute("select count(*) from articles").fetchone()[0]
    size = path.stat().st_size + sum(p.stat().st_size for p in path.parent.glob(path.name + "-*"))
    objects = conn.execute(
        "select name, sum(pgsize) from dbstat group by name order by 2 desc").fetchall() if _has_dbstat(conn) else []
    raw = meta["raw_text_bytes"]
    page_size, pages, free = (conn.execute(f"pragma {p}").fetchone()[0] for p in ("page_size", "page_count", "freelist_count"))
    in_use = page_size * (pages - free)
    return {
        "articles": n, "size_bytes": size, "in_use_bytes": in_use, "in_use_ratio": in_use / raw,
        "raw_text_bytes": raw, "bytes_per_article": size / n,
        "raw_bytes_per_article": raw / n, "ratio": size / raw, "objects": objects,
        "sqlite": sqlite3.sqlite_version, "cache_key": meta.get("key"),
    }


def run(path: Path, meta: dict, repeat: int) -> dict:
    db = lib.connect(path)
    conn = db.conn
    mid_site, big_site = pick_sites(conn)
    n = conn.execute("select count(*) from articles").fetchone()[0]
    rows = []
    for cls, target, query, filters in QUERY_MIX:
        filters = {k: {"SITE": mid_site, "BIGSITE": big_site}.get(v, v) for k, v in filters.items()}
        f = lib.Filters(**filters)
        result = exact_count(db, query, f)  # untimed: every match counted
        lib.search(db, query, filters=f)  # warm-up
        times = []
        for _ in range(repeat if target else max(3, repeat // 6)):  # scans are slow: fewer runs
            t0 = time.perf_counter()
            lib.search(db, query, filters=f)
            times.append((time.perf_counter() - t0) * 1000)
        rows.append({
            "class": cls, "query": query, "filters": filters, "target_p95_ms": target,
            "matches": result.total, "matches_exact": result.total_exact, "share": result.total / n,
            "ranked_window": result.window, "index": result.index, "hits": len(result.hits),
            "p50": percentile(times, 50), "p95": percentile(times, 95), "p99": percentile(times, 99),
        })
        print(f"  {cls:<24} {query:<32} {result.total:>9,} matches  p95 {rows[-1]['p95']:8.1f} ms", flush=True)
    return {**measure_size(conn, path, meta), "queries": rows,
            "sites": {"mid": mid_site, "big": big_site}, "repeat": repeat}

def _has_dbstat(conn) -> bool:
    try:
        conn.execute("select 1 from dbstat limit 1").fetchone()
        return True
    except sqlite3.OperationalError:
        return False

def report(results: dict) -> str:
    if "queries" not in results:
        return size_report(results)
    lines = [
        f"Synthetic archive: {results['articles']:,} articles (80% English, 20% Chinese, 1,000 sites), "
        f"SQLite {results['sqlite']}, ranked top 20 with snippets, warm cache, {results['repeat']} runs per query.",
        "",
        "| class | query | matches | p50 ms | p95 ms | p99 ms | target p95 | met |",
        "|---|---|---:|---:|---:|---:|---:|:-:|",
    ]
    for r in results["queries"]:
        filters = ", ".join(f"{k}={v}" for k, v in r["filters"].items())
        matches = f"{r['matches']:,} ({r['share']:.2%})"
        target = f"{r['target_p95_ms']}" if r["target_p95_ms"] else ""
        met = "yes" if r["target_p95_ms"] is None or r["p95"] <= r["target_p95_ms"] else "**no**"
        query = r["query"].replace("|", "\\|") + (f" [{filters}]" if filters else "")
        lines.append(f"| {r['class']} | `{query}` | {matches} | {r['p50']:.1f} | {r['p95']:.1f} | {r['p99']:.1f} "
                     f"| {target} | {met} |")
    return "\n".join(lines + ["", size_report(results)])


def size_report(results: dict) -> str:
    lines = [
        f"Size on disk ({results['articles']:,} articles, every row a crawl writes per article): {results['size_bytes'] / 1e9:.2f} GB, {results['bytes_per_article']:,.0f} bytes per article; "
        f"raw text (title + body, UTF-8) {results['raw_bytes_per_article']:,.0f} bytes per article; "
        f"ratio {results['ratio']:.2f} (target at most 2.5). Pages in use (the file less the free pages the "
        f"index merge left, which later writes reuse): {results['in_use_bytes'] / results['articles']:,.0f} bytes per "
        f"article, ratio {results['in_use_ratio']:.2f}.",
    ]
    if results["objects"]:
        lines.append("Largest parts: " + ", ".join(f"{name} {size / results['raw_text_bytes']:.3f}"
                                                  for name, size in results["objects"][:12]) + " (× raw text).")
    return "\n".join(lines)

def figures_for(results: dict) -> list:
    """The results as lines of `make bench`'s table (run_all.py): each query's p95 against
    its target, the size against 2.5x the raw text."""
    from tests.benchmarks.benchlib import at_most, info

    figures = []
    for r in results.get("queries", ()):
        filters = ", ".join(f"{k}={v}" for k, v in r["filters"].items())
        name = f"{r['class']}: {r['query']}" + (f" [{filters}]" if filters else "")
        detail = f"{r['matches']:,} matches ({r['share']:.2%}); p50 {r['p50']:.1f}, p99 {r['p99']:.1f} ms"
        if r["target_p95_ms"]:
            figures.append(at_most("search", f"p95, {name}", r["p95"], "ms", r["target_p95_ms"], detail))
        else:
            figures.append(info("search", f"p95, {name}", r["p95"], "ms", detail))
    figures.append(at_most(
        "search", f"archive size on disk / raw text, {results['articles']:,} articles", results["ratio"], "x raw", 2.5,
        f"{results['bytes_per_article']:,.0f} bytes per article for {results['raw_bytes_per_article']:,.0f} of "
        f"title + body; pages in use {results['in_use_ratio']:.2f}x",
    ))
    return figures


def measure(n: int = 1_000_000, repeat: int = 30) -> dict:
    path, meta = ensure_archive(n)
    results = run(path, meta, repeat)
    path.with_name(f"{path.stem}-search.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=30, help="timed runs per query")
    parser.add_argument("--size-only", action="store_true", help="measure the size, time no queries")
    args = parser.parse_args(argv)
    try:
        path, meta = ensure_archive(args.articles)
    except PreconditionError as exc:
        print(f"bench_search: cannot run: {exc}", file=sys.stderr)
        return 2
    if args.size_only:
        results = measure_size(lib.connect(path).conn, path, meta)
    else:
        results = run(path, meta, args.repeat)
    out = path.with_name(f"{path.stem}-{'size' if args.size_only else 'search'}.json")
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    print()
    print(report(results))
    return 0

if __name__ == "__main__":
    sys.exit(main())
