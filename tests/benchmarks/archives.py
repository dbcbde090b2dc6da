"""Archives of n generated articles as the real store leaves them, cached for benchmarks.

The text comes from the shared synthetic records (`tests/benchmarks/synth.py`, `Synth`);
`synth.build_archive` is not used because it leaves out what dedupe reads: it stores a
SHA-1 of the body where the store keeps `dedupe.content_hash`, and no MinHash bands. Here
every article gets its real `url_key`, `content_hash`, `article_urls` row, related rows
and `minhash_bands`, computed by the archive's own functions; rows are bulk-inserted with
the full-text triggers off, both indexes rebuilt once, the triggers restored (the schema's
own helpers). Generation runs in two worker processes.

    path = cached_archive(1_000_000)   # built once under $BENCH_DIR, then reused
    with working_copy(path) as copy:   # measure on a copy: the cache keeps its size
        ...
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import time
from contextlib import contextmanager
from multiprocessing import get_context
from pathlib import Path

from tests.benchmarks.benchlib import PreconditionError, bench_dir, log, require_free_disk

BUILD_VERSION = 1
SEED = 20140819
SEEN_AT = "2026-01-01T00:00:00+00:00"
# Bytes of archive per article, measured (text, FTS and trigram indexes, bands), with margin.
BYTES_PER_ARTICLE = 9_000

_synth = None


def _worker_init(total: int) -> None:
    global _synth
    from tests.benchmarks.synth import Synth

    _synth = Synth(seed=SEED, total=total)


def _rows_for_chunk(args: tuple[int, int, int]):
    """Rows for records start..end-1 of the synthetic stream (ids start+1..end)."""
    start, end, _total = args
    from archive import dedupe
    from archive.store import record_to_row

    articles, urls, related, bands = [], [], [], []
    columns = None
    for offset, record in enumerate(_synth.records(end - start, start=start)):
        article_id = start + offset + 1
        row = record_to_row(record)
        chash, band_values = dedupe.fingerprint(row["body"] or "")
        keys = [dedupe.url_key(record["url"])]
        if record.get("canonical_url"):
            canonical_key = dedupe.url_key(record["canonical_url"])
            if canonical_key not in keys:
                keys.append(canonical_key)
        row.update(id=article_id, url_key=keys[0], content_hash=chash, first_seen=SEEN_AT, last_seen=SEEN_AT)
        if columns is None:
            columns = list(row)
        articles.append([row[c] for c in columns])
        for key, url in zip(keys, (record["url"], record.get("canonical_url") or record["url"])):
            urls.append((key, article_id, url, SEEN_AT))
        related.extend(
            (article_id, position, record["related_heading"], r["title"], r["url"], r["published"])
            for position, r in enumerate(record["related"], start=1)
        )
        bands.extend((band, value, article_id) for band, value in band_values or ())
    return columns, articles, urls, related, bands


def schema_signature() -> str:
    """The migrations an archive built now has: a cache built under another schema is stale."""
    from archive.schema import migrations

    return ",".join(m.name for m in migrations._migrations)  # noqa: SLF001 (the registered list)


def build(path: Path, n: int, *, chunk: int = 5_000, workers: int = 2) -> dict:
    from sqlite_utils import Database

    from archive.schema import apply_migrations, create_search_triggers, drop_search_triggers, rebuild_search_indexes

    require_free_disk(path.parent, n * BYTES_PER_ARTICLE * 2, f"building a {n:,}-article archive")
    tmp = path.with_suffix(".building")
    for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
        leftover.unlink(missing_ok=True)
    started = time.perf_counter()
    conn = sqlite3.connect(tmp, isolation_level=None)
    conn.execute("PRAGMA journal_mode=OFF")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-1000000")
    db = Database(conn)
    apply_migrations(db)
    drop_search_triggers(db)
    tasks = [(s, min(s + chunk, n), n) for s in range(0, n, chunk)]
    done = 0
    with get_context("fork").Pool(workers, initializer=_worker_init, initargs=(n,)) as pool:
        for columns, articles, urls, related, bands in pool.imap(_rows_for_chunk, tasks):
            conn.execute("BEGIN")
            conn.executemany(
                f"INSERT INTO articles ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})", articles
            )
            conn.executemany(
                "INSERT OR IGNORE INTO article_urls (url_key, article_id, url, first_seen) VALUES (?, ?, ?, ?)", urls
            )
            conn.executemany(
                "INSERT INTO related (article_id, position, heading, title, url, published) VALUES (?, ?, ?, ?, ?, ?)",
                related,
            )
            conn.executemany("INSERT OR IGNORE INTO minhash_bands (band, value, article_id) VALUES (?, ?, ?)", bands)
            conn.execute("COMMIT")
            done += len(articles)
            if done % 100_000 < chunk:
                log(f"    {done:>9,} / {n:,} articles  {time.perf_counter() - started:6.0f} s")
    loaded = time.perf_counter() - started
    log(f"    rows in {loaded:.0f} s; building the full-text indexes")
    conn.execute("BEGIN")
    rebuild_search_indexes(db)
    create_search_triggers(db)
    conn.execute("COMMIT")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("ANALYZE")
    conn.close()
    tmp.rename(path)
    manifest = {
        "articles": n,
        "seed": SEED,
        "build_version": BUILD_VERSION,
        "schema": schema_signature(),
        "load_seconds": round(loaded, 1),
        "build_seconds": round(time.perf_counter() - started, 1),
        "bytes": path.stat().st_size,
    }
    Path(f"{path}.json").write_text(json.dumps(manifest, indent=2))
    return manifest


def cache_path(n: int) -> Path:
    return bench_dir() / f"archive-{n}-v{BUILD_VERSION}.db"


def check_archive(path: Path, n: int) -> None:
    """Precondition: an archive of exactly n articles, each with its URL row and bands."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        articles, top = conn.execute("select count(*), max(id) from articles").fetchone()
        bands = conn.execute("select count(*) from minhash_bands where article_id = ?", [top]).fetchone()[0]
    finally:
        conn.close()
    if articles != n or top != n:
        raise PreconditionError(f"{path} should hold {n:,} articles, holds {articles:,}: delete it to rebuild")
    if not bands:
        raise PreconditionError(f"{path} has no MinHash bands: delete it to rebuild")


def cached_archive(n: int) -> Path:
    """The cached n-article archive, built on first use (or when the schema changed)."""
    path = cache_path(n)
    manifest_path = Path(f"{path}.json")
    if path.exists() and manifest_path.exists():
        manifest = json.loads(manifest_path.read_text())
        if manifest.get("articles") == n and manifest.get("build_version") == BUILD_VERSION:
            if manifest.get("schema") != schema_signature():
                # As a user's archive would be: migrated when opened for writing.
                from archive.store import Archive

                log(f"  cached archive {path.name}: applying new migrations")
                Archive(path).close()
                manifest["schema"] = schema_signature()
                manifest_path.write_text(json.dumps(manifest, indent=2))
            check_archive(path, n)
            return path
        log(f"  cached archive {path.name} was built by another version: rebuilding")
    log(f"  building the {n:,}-article archive (once; cached as {path})")
    build(path, n)
    check_archive(path, n)
    return path


@contextmanager
def working_copy(path: Path, name: str | None = None):
    """A copy of the archive to write to, deleted afterwards."""
    size = path.stat().st_size
    require_free_disk(path.parent, int(size * 1.3) + 200_000_000, f"a working copy of {path.name}")
    target = path.parent / (name or f"work-{os.getpid()}-{path.name}")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(path, target)
    try:
        yield target
    finally:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)


if __name__ == "__main__":
    import sys

    for value in sys.argv[1:] or ["10000"]:
        print(cached_archive(int(value.replace("_", ""))))
