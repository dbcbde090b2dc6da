"""Search latency and archive size at scale (not a test: run it by hand).

    .venv/bin/python tests/benchmarks/bench_search.py                 # 1,000,000 articles
    .venv/bin/python tests/benchmarks/bench_search.py --articles 100000 --repeat 10
    BENCH_DIR=/data/bench .venv/bin/python tests/benchmarks/bench_search.py

Builds (once: ~10 minutes and ~6 GB for a million) a synthetic archive through the real
schema with tests/benchmarks/synth.py, cached as $BENCH_DIR/archive-N.db (default
BENCH_DIR=/tmp/newsarchive-bench) and reused while it holds N articles of the same seed
and schema. Then times `archive.search.search` -- the function `newsarchive search` calls --
for a fixed mix of queries (ranked top 20 with snippets, warm cache), and prints per query
class the p50 / p95 / p99 latency, the match counts, and the archive's size on disk per
article against the raw text (title + body, UTF-8). Results also go to $BENCH_DIR/results-N.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from archive import search as lib  # noqa: E402
from archive.schema import apply_migrations, migrations  # noqa: E402
from tests.benchmarks.synth import DEFAULT_SEED, Synth, build_archive  # noqa: E402

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

def archive_path(bench_dir: Path, n: int) -> Path:
    return bench_dir / f"archive-{n}.db"

def ensure_archive(bench_dir: Path, n: int) -> tuple[Path, dict]:
    path = archive_path(bench_dir, n)
    meta_path = Path(str(path) + ".json")
    if path.exists() and meta_path.exists():
        meta = json.loads(meta_path.read_text())
        conn = sqlite3.connect(path)
        try:
            count = conn.execute("select count(*) from articles").fetchone()[0]
            from sqlite_utils import Database

            db = Database(conn)
            apply_migrations(db)  # later schema changes are applied, not rebuilt
            ok = count == n and meta.get("seed") == DEFAULT_SEED and meta.get("articles") == n
        except sqlite3.DatabaseError:
            ok = False
        finally:
            conn.close()
        if ok:
            print(f"reusing {path} ({n:,} articles)")
            return path, meta
    bench_dir.mkdir(parents=True, exist_ok=True)
    print(f"building {path} with {n:,} synthetic articles ...", flush=True)
    meta = build_archive(path, n, synth=Synth(total=n))
    print(f"built in {meta['total_seconds']:.0f} s", flush=True)
    return path, meta

def pick_sites(conn) -> tuple[str, str]:
    """A mid-sized site (~0.05% of articles) and the biggest one."""
    rows = conn.execute("select site, count(*) n from articles group by site order by n desc").fetchall()
    mid = rows[len(rows) // 10][0]
    return mid, rows[0][0]

def exact_count(db, query: str, filters) -> "lib.SearchResult":
    """The search with its match count made exact (no time limit, no cap), for the table."""
    saved = lib.COUNT_SECONDS, lib.COUNT_CAP
    lib.COUNT_SECONDS, lib.COUNT_CAP = 1e9, 10**12
    try:
        return lib.search(db, query, filters=filters)
    finally:
        lib.COUNT_SECONDS, lib.COUNT_CAP = saved


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    k = (len(values) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)

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
    size = path.stat().st_size + sum(p.stat().st_size for p in path.parent.glob(path.name + "-*"))
    objects = conn.execute(
        "select name, sum(pgsize) from dbstat group by name order by 2 desc limit 8").fetchall() if _has_dbstat(conn) else []
    raw = meta["raw_text_bytes"]
    page_size, pages, free = (conn.execute(f"pragma {p}").fetchone()[0] for p in ("page_size", "page_count", "freelist_count"))
    in_use = page_size * (pages - free)
    return {
        "articles": n, "size_bytes": size, "in_use_bytes": in_use, "in_use_ratio": in_use / raw,
        "raw_text_bytes": raw, "bytes_per_article": size / n,
        "raw_bytes_per_article": raw / n, "ratio": size / raw, "objects": objects, "queries": rows,
        "sites": {"mid": mid_site, "big": big_site}, "repeat": repeat, "sqlite": sqlite3.sqlite_version,
    }

def _has_dbstat(conn) -> bool:
    try:
        conn.execute("select 1 from dbstat limit 1").fetchone()
        return True
    except sqlite3.OperationalError:
        return False

def report(results: dict) -> str:
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
    lines += [
        "",
        f"Size on disk: {results['size_bytes'] / 1e9:.2f} GB, {results['bytes_per_article']:,.0f} bytes per article; "
        f"raw text (title + body, UTF-8) {results['raw_bytes_per_article']:,.0f} bytes per article; "
        f"ratio {results['ratio']:.2f} (target at most 2.5). Pages in use (the file less the free pages the "
        f"index merge left, which later writes reuse): {results['in_use_bytes'] / results['articles']:,.0f} bytes per "
        f"article, ratio {results['in_use_ratio']:.2f}.",
    ]
    if results["objects"]:
        lines.append("Largest parts: " + ", ".join(f"{name} {size / results['raw_text_bytes']:.2f}"
                                                  for name, size in results["objects"][:6]) + " (× raw text).")
    return "\n".join(lines)

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=30, help="timed runs per query")
    parser.add_argument("--bench-dir", type=Path, default=Path(os.environ.get("BENCH_DIR", "/tmp/newsarchive-bench")))
    args = parser.parse_args(argv)
    path, meta = ensure_archive(args.bench_dir, args.articles)
    results = run(path, meta, args.repeat)
    out = args.bench_dir / f"results-{args.articles}.json"
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    print()
    print(report(results))
    return 0

if __name__ == "__main__":
    sys.exit(main())
