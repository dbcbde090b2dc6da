#!/usr/bin/env python3
"""Ingest and dedupe: records/s through the crawl's real item pipelines (ValidatePipeline ->
NormalizePipeline -> StorePipeline, whose dedupe and store run in the archive's writer
process; built by Scrapy's `from_crawler` on a crawler from `scrapy.utils.test.get_crawler`,
with its real stats) into an archive already holding 10,000 articles and one holding
1,000,000 (target: at least 1,000 records/s into the 1M archive, and the 1M rate at least 0.8
times the 10k rate), against the floor of sqlite-utils
`insert_all` of the same rows (`archive.record.record_to_row`) into a bare table with an FTS5
index (porter unicode61, kept by triggers, as `articles_fts`), in interleaved rounds.

The records, per round: 85% new articles (synthetic, realistic lengths: English ~3 kB,
Chinese ~3.6 kB, 20% Chinese), 5% archived articles met again unchanged, 5% syndicated
copies (an archived body under a new URL: `same_text`), 5% edited copies (a sentence
changed: `near_duplicate`, found through the MinHash bands). Duplicates pick archived
articles uniformly over the whole archive, so lookups reach every part of its indexes.

The 1M archive is built once and cached (archives.py); each run measures on a copy, so
the cache keeps its size. Also measures search p95 (for the scaling curve).

    python tests/benchmarks/bench_ingest.py [--sizes 10000,1000000] [--records 2000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import gc
import random
import sqlite3
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.benchmarks.benchlib import (  # noqa: E402
    Figure,
    PreconditionError,
    at_least,
    info,
    log,
    report_figures,
    median,
    percentile,
)

TARGET_RATE_1M = 1000  # records/s through dedupe + store into the 1M-article archive
TARGET_1M_VS_10K = 0.8
NEW_RECORDS_START = 50_000_000  # synthetic record numbers far beyond any cached archive
SEARCH_QUERIES = (
    "shougang", "quarkwell", "zhongguancun", "desalination", '"science park"', "reported",
    "economy", "railway", "museum", "startup funds", "electric vehicle", "flood", "tourism",
    "semiconductor", "climate", "football season", "investment bank", "rural village",
    "中关村", "人工智能",
)


def stream(archive_path: Path, n_archived: int, count: int, round_number: int, *, seed: int = 7) -> list[dict]:
    """`count` records to ingest into an archive of `n_archived` articles (see module doc)."""
    from archive.record import RECORD_FIELDS, row_to_record
    from tests.benchmarks.synth import Synth

    rnd = random.Random(seed * 1000 + round_number)
    n_dup = count // 20
    n_new = count - 3 * n_dup
    synth = Synth(total=1_000_000)
    records = list(synth.records(n_new, start=NEW_RECORDS_START + round_number * 100_000))
    conn = sqlite3.connect(f"file:{archive_path}?mode=ro", uri=True)
    try:
        picks = rnd.sample(range(1, n_archived + 1), 3 * n_dup)
        archived = []
        for article_id in picks:
            row = conn.execute("select * from articles where id = ?", [article_id]).fetchone()
            names = [d[0] for d in conn.execute("select * from articles limit 0").description]
            related = [
                dict(zip(("title", "url", "published"), r))
                for r in conn.execute(
                    "select title, url, published from related where article_id = ? order by position", [article_id]
                )
            ]
            archived.append(row_to_record(dict(zip(names, row)), related))
    finally:
        conn.close()
    out = []
    for k, record in enumerate(archived):
        record = {key: record.get(key) for key in RECORD_FIELDS}
        if k < n_dup:  # seen again, unchanged
            out.append(record)
        elif k < 2 * n_dup:  # syndicated copy
            out.append({**record, "url": f"https://syndicated-{round_number}.example.com/copy/{k}.html",
                        "canonical_url": None, "site": "example.com", "title": "Copy: " + record["title"]})
        else:  # edited copy: one sentence in the middle changed
            body = record["body"]
            middle = len(body) // 2
            cut = body.find(". ", middle)
            edited = body[:middle] + " officials added on Monday" + body[cut:] if cut > 0 else body + " Officials added."
            out.append({**record, "body": edited, "url": f"https://edited-{round_number}.example.net/story/{k}.html",
                        "canonical_url": None, "site": "example.net"})
    out.extend(records)
    rnd.shuffle(out)
    return out


# -- the measured paths ----------------------------------------------------------------------


def ingest_with_pipelines(archive_path: Path, records: list[dict], in_flight: int = 64) -> tuple[float, dict]:
    """Seconds to push `records` through the crawl's pipelines into the archive: validate and
    normalise on this thread, then dedupe and store in the archive's writer process, up to
    `in_flight` records awaiting it at once (as a crawl's items do), the last batch
    committed; and the crawl stats they counted. The records come with their dedupe keys,
    as the extraction workers send them; what computing the keys costs is timed apart
    (`bench/seconds/keys`: in a crawl it is spread over the workers)."""
    import asyncio

    from scrapy.exceptions import DropItem
    from scrapy.utils.test import get_crawler

    from crawler.items import Article
    from crawler.page_work import dedupe_keys
    from crawler.pipelines.normalization import NormalizePipeline
    from crawler.pipelines.storage import StorePipeline
    from crawler.pipelines.validation import ValidatePipeline

    crawler = get_crawler(settings_dict={"ARCHIVE_PATH": str(archive_path), "ARCHIVE_BATCH_SIZE": 50})
    validate, normalize = ValidatePipeline.from_crawler(crawler), NormalizePipeline.from_crawler(crawler)
    store = StorePipeline.from_crawler(crawler)  # the writer process starts here, before the clock
    clock = time.perf_counter
    t = clock()
    items = [Article(**record, fetched_at="2026-11-20T08:00:00+00:00", dedupe=dedupe_keys(record)) for record in records]
    keys_seconds = clock() - t
    spent = {"validate": 0.0, "normalize": 0.0}

    async def ingest() -> None:
        room = asyncio.Semaphore(in_flight)

        async def one(item) -> None:
            try:
                t = clock()
                item = validate.process_item(item)
                spent["validate"] += clock() - t
                t = clock()
                item = normalize.process_item(item)
                spent["normalize"] += clock() - t
            except DropItem:
                return
            async with room:
                await store.process_item(item)

        await asyncio.gather(*(one(item) for item in items))

    gc.collect()
    started = clock()
    asyncio.run(ingest())
    crawler.newsarchive_archive.close()
    elapsed = clock() - started
    crawler.newsarchive_archive = None
    stats = crawler.stats.get_stats()
    stats["bench/seconds/validate"] = spent["validate"]
    stats["bench/seconds/normalize"] = spent["normalize"]
    stats["bench/seconds/keys"] = keys_seconds
    return elapsed, stats


def store_directly(archive_path: Path, records: list[dict]) -> dict[str, float]:
    """Where the writer's time goes: the same kind of records (normalised, their dedupe keys
    computed beforehand, as the workers send them) through `Archive.classify` (the dedupe
    lookups) and `Archive.store` (the writes, the schema's indexes with them) in this
    process, each timed; seconds of each, commits counted with the store."""
    from archive.store import Archive
    from crawler.normalize import normalized_fields
    from crawler.page_work import dedupe_keys

    prepared = []
    for record in records:
        record = {**record, **normalized_fields(record), "fetched_at": "2026-11-20T08:00:00+00:00"}
        keys = dedupe_keys(record)
        prepared.append((record, (keys["content_hash"], keys["bands"])))
    spent = {"classify": 0.0, "store": 0.0}
    clock = time.perf_counter
    gc.collect()
    with Archive(archive_path, batch_size=50) as archive:
        for record, fingerprint in prepared:
            t = clock()
            decision = archive.classify(record, fingerprint)
            t2 = clock()
            archive.store(record, decision)
            spent["classify"] += t2 - t
            spent["store"] += clock() - t2
        t = clock()
        archive.flush()
        spent["store"] += clock() - t
    return spent


def _timed_insert_all(path: Path, rows: list[dict], prepare) -> float:
    """Seconds for sqlite-utils insert_all of `rows` into `articles` of a new WAL database
    at `path` that `prepare(db)` made the table in; the files are deleted afterwards."""
    from sqlite_utils import Database

    db = Database(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    prepare(db)
    gc.collect()
    started = time.perf_counter()
    db["articles"].insert_all(rows, batch_size=50)
    elapsed = time.perf_counter() - started
    db.close()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return elapsed


def bare_insert(directory: Path, records: list[dict]) -> float:
    """Seconds for sqlite-utils insert_all of the same rows into a new table with FTS."""
    from archive.record import record_to_row

    rows = [record_to_row(r) for r in records]

    def bare_table(db) -> None:
        db["articles"].create({k: str for k in rows[0]}, pk=None)
        db["articles"].enable_fts(["title", "body"], create_triggers=True, tokenize="porter unicode61")

    return _timed_insert_all(directory / f"bare-{time.monotonic_ns()}.db", rows, bare_table)


def schema_insert(directory: Path, records: list[dict]) -> float:
    """Seconds for the same insert_all into the `articles` table of a new, empty archive
    (the project's schema: its FTS and trigram indexes and their triggers), nothing else:
    how much of the floor gap is the schema's own indexing."""
    from archive.record import record_to_row
    from archive.schema import apply_migrations

    rows = []
    for k, record in enumerate(records):
        row = record_to_row(record)
        row.update(url_key=f"k{k}", content_hash=f"h{k}", first_seen="2026-01-01", last_seen="2026-01-01")
        rows.append(row)
    return _timed_insert_all(directory / f"schema-{time.monotonic_ns()}.db", rows, apply_migrations)


def search_p95(archive_path: Path, rounds: int = 3) -> dict:
    """Milliseconds per search (top 20), p50 and p95 over SEARCH_QUERIES x rounds, with the
    project's search function (archive/read/) when it exists, else FTS5 bm25 top-20
    through sqlite-utils' table.search."""
    try:
        from archive import read

        db = read.connect(archive_path)

        def one(q):
            read.search(db, q, limit=20)

        how = "archive.read.search(limit=20)"
    except ImportError:
        from sqlite_utils import Database

        db = Database(sqlite3.connect(f"file:{archive_path}?mode=ro", uri=True))

        def one(q):
            list(db["articles"].search(q, limit=20))

        how = "sqlite-utils table.search (FTS5 bm25) top 20"
    for q in SEARCH_QUERIES:  # warm the page cache for this archive
        one(q)
    times = []
    for _ in range(rounds):
        for q in SEARCH_QUERIES:
            started = time.perf_counter()
            one(q)
            times.append((time.perf_counter() - started) * 1000)
    return {"p50": percentile(times, 0.5), "p95": percentile(times, 0.95), "how": how, "n": len(times)}


# -- the benchmark ------------------------------------------------------------------------------


def measure_sizes(sizes: list[int], records: int, rounds: int, search: bool = True) -> dict[int, dict]:
    """For each archive size: pipeline and bare seconds per round, outcomes, search times."""
    from tests.benchmarks.archives import cached_archive, working_copy

    results: dict[int, dict] = {}
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-bare-")))
        copies, streams = {}, {}
        for n in sizes:
            cache = cached_archive(n)
            log(f"  ingest: copying the {n:,}-article archive ({cache.stat().st_size / 1e9:.2f} GB)")
            copies[n] = stack.enter_context(working_copy(cache))
            streams[n] = [stream(cache, n, records, r) for r in range(rounds)]
            # Other records of the same mix for the in-process split (stored into the same copy).
            streams[n, "direct"] = [stream(cache, n, records, rounds + r) for r in range(rounds)]
            results[n] = {"pipeline": [], "bare": [], "schema": [], "stats": {}, "direct": []}
            if search:
                results[n]["search"] = search_p95(cache)
        for r in range(rounds):
            order = sizes[r % len(sizes):] + sizes[: r % len(sizes)]
            for n in order:
                batch = streams[n][r]
                pair = [("bare", lambda: bare_insert(tmp, batch)), ("pipeline", lambda: ingest_with_pipelines(copies[n], batch)),
                        ("schema", lambda: schema_insert(tmp, batch))]
                if r % 2:
                    pair.reverse()
                for name, fn in pair:
                    out = fn()
                    if name == "pipeline":
                        seconds, stats = out
                        for key, value in stats.items():
                            if key.startswith(("store/", "dedupe/", "validate/", "bench/")):
                                results[n]["stats"][key] = results[n]["stats"].get(key, 0) + value
                    else:
                        seconds = out
                    results[n][name].append(seconds)
                results[n]["direct"].append(store_directly(copies[n], streams[n, "direct"][r]))
                log(f"  ingest: round {r + 1}/{rounds}, {n:,} archive: pipeline {records / results[n]['pipeline'][-1]:,.0f} rec/s, "
                    f"bare {records / results[n]['bare'][-1]:,.0f} rec/s, in-process classify "
                    f"{1e6 * results[n]['direct'][-1]['classify'] / records:,.0f} us + store "
                    f"{1e6 * results[n]['direct'][-1]['store'] / records:,.0f} us a record")
    for n in sizes:
        res = results[n]
        res["records"] = records
        res["pipeline_rate"] = records / median(res["pipeline"])
        res["bare_rate"] = records / median(res["bare"])
        res["ratio"] = median(sorted(b / p for b, p in zip(res["bare"], res["pipeline"])))
        res["schema_ratio"] = median(sorted(b / p for b, p in zip(res["bare"], res["schema"])))
        res["schema_us"] = 1e6 * median(res["schema"]) / records
        res["bare_us"] = 1e6 * median(res["bare"]) / records
        for part in ("classify", "store"):
            res[f"{part}_us"] = 1e6 * median([d[part] for d in res["direct"]]) / records
        expected_dups = (records // 20) * rounds
        got_same = res["stats"].get("store/duplicate", 0)
        if res["stats"].get("store/unchanged", 0) < expected_dups * 0.9 or got_same < expected_dups * 2 * 0.9:
            raise PreconditionError(
                f"the {n:,} archive did not recognise the planted duplicates ({res['stats']}): "
                "the figures would be of the wrong work"
            )
    return results


def figures_for(results: dict[int, dict], sizes_for_targets=(10_000, 1_000_000)) -> list[Figure]:
    figures: list[Figure] = []
    for n, res in results.items():
        if n not in sizes_for_targets:
            continue
        s = res["stats"]
        spent = {k.rsplit("/", 1)[1]: v for k, v in s.items() if k.startswith("bench/seconds/")}
        per_record = {k: v / (res["records"] * len(res["pipeline"])) * 1e6 for k, v in spent.items()}
        if n == sizes_for_targets[-1]:
            figures.append(at_least(
                "ingest", f"dedupe + store, records/s into the {n:,}-article archive", res["pipeline_rate"], "rec/s",
                TARGET_RATE_1M, "validate and normalise on the crawl's thread, dedupe and store in the writer process, "
                "64 records in flight; dedupe keys computed with the extraction (in the workers)",
            ))
        figures.append(info(
            "ingest", f"pipelines / bare insert_all, {n:,}-article archive", res["ratio"], "x floor",
            f"{res['pipeline_rate']:,.0f} rec/s through validate+normalise+dedupe+store vs bare insert_all+FTS "
            f"{res['bare_rate']:,.0f} rec/s; {res['records']:,} records/round: new {s.get('store/new', 0)}, "
            f"unchanged {s.get('store/unchanged', 0)}, same_text {s.get('dedupe/same_text', 0)}, "
            f"near_duplicate {s.get('dedupe/near_duplicate', 0)} (all rounds); per record: "
            + ", ".join(f"{k} {v:,.0f} us" for k, v in per_record.items())
            + f"; bare {1e6 / res['bare_rate']:,.0f} us",
            pipeline_rate=res["pipeline_rate"], bare_rate=res["bare_rate"], stats=s, stage_us=per_record,
        ))
    for n, res in results.items():
        figures.append(info(
            "ingest", f"where the writer's time goes, {n:,}-article archive", res["classify_us"] + res["store_us"],
            "us/record",
            f"in-process: classify (dedupe lookups: URL forms, known copies, same text, MinHash bands) "
            f"{res['classify_us']:,.0f} us + store (the rows, their indexes, FTS and trigram) {res['store_us']:,.0f} us; "
            f"floors in the same rounds: the same rows into an empty archive's articles table {res['schema_us']:,.0f} us, "
            f"bare insert_all+FTS {res['bare_us']:,.0f} us; the rest of the pipeline rate's "
            f"{1e6 / res['pipeline_rate']:,.0f} us is validate, normalise and the trip to the writer process",
            classify_us=res["classify_us"], store_us=res["store_us"], schema_us=res["schema_us"],
        ))
    if results:
        ratios = [res["schema_ratio"] for res in results.values()]
        figures.append(info(
            "ingest", "insert_all into the archive schema / bare insert_all", median(ratios), "x floor",
            "the same rows into an empty archive's articles table (FTS + trigram triggers), no pipelines: "
            "the share of the gap that is the schema's indexing",
        ))
    small, big = sizes_for_targets if len(sizes_for_targets) == 2 else (None, None)
    if small in results and big in results:
        scale = results[big]["pipeline_rate"] / results[small]["pipeline_rate"]
        # Also as a ratio of ratios: each archive's rate against its own same-run floor.
        scale_norm = results[big]["ratio"] / results[small]["ratio"]
        figures.append(at_least(
            "ingest", f"{big:,} archive rate / {small:,} archive rate", scale, "x", TARGET_1M_VS_10K,
            f"{results[big]['pipeline_rate']:,.0f} vs {results[small]['pipeline_rate']:,.0f} rec/s, interleaved "
            f"(each against its floor: {scale_norm:.2f})",
        ))
    return figures


def run(sizes=(10_000, 1_000_000), records: int = 2000, rounds: int = 3) -> list[Figure]:
    return figures_for(measure_sizes(list(sizes), records, rounds, search=False), tuple(sizes))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,1000000")
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    return report_figures("bench_ingest", lambda: run(sizes, args.records, args.rounds), args.json)


if __name__ == "__main__":
    sys.exit(main())
