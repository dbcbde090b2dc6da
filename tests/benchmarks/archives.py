"""Archives of n generated articles as a crawl's store leaves them, cached for benchmarks.

Built by `synth.build_archive` (every row a crawl writes per article: the article with its
dedupe content hash, extraction methods and WARC pointer, its URL rows, related entries and
MinHash bands; full-text indexes built once) from `Synth(seed=SEED, crawled=True)`, and
cached under $BENCH_DIR by a key of the schema the migrations make now, the page size and
BUILD_VERSION: an archive cached under another key is stale and rebuilt, never migrated (a
migrated archive keeps its old page size and layout: its size would not be a new one's).
The ingest, scaling and search benchmarks share these archives.

    path = cached_archive(1_000_000)   # built once under $BENCH_DIR, then reused
    meta = manifest(path)              # build figures, raw text bytes
    with working_copy(path) as copy:   # measure writes on a copy: the cache keeps its size
        ...
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
from contextlib import contextmanager
from pathlib import Path

from tests.benchmarks.benchlib import PreconditionError, bench_dir, log, require_free_disk

# Bump when what the build writes changes in a way the schema's SQL does not show.
BUILD_VERSION = 2  # 2: 32 KB pages, incremental auto-vacuum, free pages released
SEED = 20140819
# Bytes of archive per article, measured (text, FTS and trigram indexes, bands), with margin.
BYTES_PER_ARTICLE = 9_000


def cache_key() -> str:
    """The schema an archive built now has (the SQL of every table, index, view and trigger
    the migrations make), its page size, BUILD_VERSION and SEED."""
    from sqlite_utils import Database

    from archive.schema import PAGE_SIZE, migrations

    db = Database(memory=True)
    migrations.apply(db)
    schema = "\n".join(r[0] for r in db.execute("select sql from sqlite_master where sql is not null order by name"))
    db.close()
    return hashlib.sha1(f"{schema}|page {PAGE_SIZE}|build {BUILD_VERSION}|seed {SEED}".encode()).hexdigest()[:10]


def build(path: Path, n: int) -> dict:
    from tests.benchmarks.synth import Synth, build_archive

    require_free_disk(path.parent, n * BYTES_PER_ARTICLE * 2, f"building a {n:,}-article archive")
    figures = build_archive(path, n, synth=Synth(seed=SEED, total=n, crawled=True))
    manifest = {**figures, "build_version": BUILD_VERSION, "key": cache_key(), "bytes": path.stat().st_size}
    Path(f"{path}.json").write_text(json.dumps(manifest, indent=2))
    return manifest


def cache_path(n: int) -> Path:
    return bench_dir() / f"archive-{n}-{cache_key()}.db"


def manifest(path: Path) -> dict:
    """The build figures of a cached archive (articles, raw_text_bytes, seconds, key)."""
    return json.loads(Path(f"{path}.json").read_text())


def check_archive(path: Path, n: int) -> None:
    """Precondition: an archive of exactly n articles, each with its URL row and bands."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        articles, top = conn.execute("select count(*), max(id) from articles").fetchone()
        bands = conn.execute("select count(*) from minhash_bands where article_id = ?", [top]).fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise PreconditionError(f"{path} is not a readable archive ({exc}): delete it to rebuild") from None
    finally:
        conn.close()
    if articles != n or top != n:
        raise PreconditionError(f"{path} should hold {n:,} articles, holds {articles:,}: delete it to rebuild")
    if not bands:
        raise PreconditionError(f"{path} has no MinHash bands: delete it to rebuild")


def cached_archive(n: int) -> Path:
    """The cached n-article archive, built on first use (and when the key changed: the
    stale ones of this size are deleted)."""
    path = cache_path(n)
    if path.exists() and Path(f"{path}.json").exists() and manifest(path).get("articles") == n:
        check_archive(path, n)
        return path
    for stale in path.parent.glob(f"archive-{n}-*"):
        if not stale.name.startswith(path.name) and not stale.name.startswith("work-"):
            log(f"  removing stale cache {stale.name}")
            stale.unlink()
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
