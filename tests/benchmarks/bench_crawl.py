#!/usr/bin/env python3
"""Crawl: the full `scrapy crawl ecns` (extraction, the four pipelines, the archive, WARC
captures and whatever else the project's settings turn on) against a bare Scrapy spider
that only downloads the same pages (bare_spider.py), with the same download settings, in
the same run, bare and full runs alternating. Both fetch from nginx on 127.0.0.1 serving
20,000 generated ECNS-like articles and their section listings (pages.py).

How the crawl reaches the local server while every URL stays http://www.ecns.cn/...: a
hosts file for Scrapy. Both crawls run with `-s TWISTED_DNS_RESOLVER=tests.benchmarks.
hosts.HostsResolver -s BENCH_HOSTS=www.ecns.cn=127.x.y.1`, a resolver that answers that
name with a loopback address where nginx listens on port 80. Nothing in the project's code
or settings changes for the benchmark: the spider recognises its own URLs, follows real
pagination, sends real Host headers and stores real URLs; only the TCP connection goes to
the loopback server. (An http_proxy pointing at nginx would do the same without a
resolver, but Scrapy's proxy path was three times slower than a direct connection here,
which would have made the baseline, not the crawl, the thing measured.) The generated pages
link with http:// URLs, as there is no TLS on the loopback server.

Same settings for both: CONCURRENT_REQUESTS=16 (all to one host, so per domain too), no
AutoThrottle, no download delay, no robots.txt. The full crawl starts from the section
front pages with `-a follow_sections=0` (the generated site has no other sections).

Where the time goes: the CPU per page of the crawl's own process (where Scrapy's engine,
downloader, spider and pipeline calls run: the process that bounds the crawl's rate) and of
its helpers (extraction workers, archive writer), against the bare spider's; and the same
crawl over 5,000 pages with one part turned off at a time (WARC capture, incremental state,
the item pipelines, the extraction pool), between two with everything on: what each saves.

Figures: full pages/s / bare pages/s (target >= 0.6); the server's pages/s with a small
concurrent client / bare Scrapy pages/s (it must be well above 1, or the server would be
the bottleneck); peak RSS of the crawl process (< 400 MB) and RSS after 20,000 pages /
RSS after 5,000 (<= 1.2), sampled from outside with psutil.

    python tests/benchmarks/bench_crawl.py [--articles 20000] [--full-runs 1]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
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
    median,
    require_executable,
    require_free_disk,
    require_module,
    tree_sample,
)

TARGET_VS_BARE = 0.6
TARGET_PEAK_RSS_MB = 600  # the crawl, its extraction workers and the archive writer
TARGET_RSS_GROWTH = 1.2
SERVER_MARGIN = 2.0
CONCURRENCY = 16
HERE = Path(__file__).resolve().parent
COMMON_SETTINGS = {
    "CONCURRENT_REQUESTS": CONCURRENCY,
    "CONCURRENT_REQUESTS_PER_DOMAIN": CONCURRENCY,
    "AUTOTHROTTLE_ENABLED": False,
    "DOWNLOAD_DELAY": 0,
    "ROBOTSTXT_OBEY": False,
    "TELNETCONSOLE_ENABLED": False,
    "LOG_LEVEL": "INFO",
    "LOGSTATS_INTERVAL": 1,
    "USER_AGENT": "newsarchive-bench/0.1",
}


# -- the site ---------------------------------------------------------------------------------


def site_version() -> str:
    from tests.benchmarks import pages

    digest = hashlib.sha1(Path(pages.__file__).read_bytes())
    for template in (pages.GEN1_TEMPLATE, pages.GEN2_TEMPLATE, pages.LISTING_TEMPLATE):
        digest.update(template.read_bytes())
    return digest.hexdigest()[:10]


def cached_site(n_articles: int) -> tuple[Path, dict]:
    """The generated site's files (built once per generator version) and its manifest."""
    from tests.benchmarks.pages import write_site

    root = bench_dir() / f"site-{n_articles}-{site_version()}"
    manifest_path = root / "manifest.json"
    if manifest_path.exists():
        return root / "www", json.loads(manifest_path.read_text())
    require_free_disk(bench_dir(), n_articles * 20_000, f"a site of {n_articles:,} pages")
    log(f"  crawl: writing {n_articles:,} generated articles and their listings to {root}")
    tmp = root.with_name(root.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    manifest = write_site(tmp / "www", n_articles)
    (tmp / "manifest.json").write_text(json.dumps(manifest))
    shutil.rmtree(root, ignore_errors=True)
    tmp.rename(root)
    return root / "www", manifest


# -- the server -------------------------------------------------------------------------------


def free_loopback_address() -> str:
    """A 127.x.y.1 address whose port 80 is free (the URLs have no port)."""
    import random

    rnd = random.Random()
    for _ in range(50):
        address = f"127.{rnd.randint(16, 250)}.{rnd.randint(0, 250)}.1"
        with socket.socket() as s:
            try:
                s.bind((address, 80))
            except OSError:
                continue
            return address
    raise PreconditionError("no free loopback address with port 80 (is this running as root?)")


NGINX_CONF = """
daemon off;
master_process off;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    include {mime_types};
    default_type application/octet-stream;
    {charset}
    access_log off;
    sendfile on;
    tcp_nodelay on;
    keepalive_requests 1000000;
    keepalive_timeout 120s;
    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    server {{
        listen {address}:80 default_server;
        server_name _;
        root {root};
        index index.shtml index.html;
    }}
}}
"""


@contextmanager
def nginx(root: Path, charset: str | None = "utf-8"):
    """nginx in the foreground on port 80 of a free loopback address, serving `root`;
    yields the address. `charset`: added to every text response's Content-Type (None: the
    header names none, and the pages say theirs, as many real sites serve them)."""
    binary = require_executable("nginx", "apt-get install nginx-light (Debian), or nginx")
    mime_types = Path("/etc/nginx/mime.types")
    if not mime_types.exists():
        raise PreconditionError(f"{mime_types} is missing: reinstall nginx-light")
    with tempfile.TemporaryDirectory(prefix="bench-nginx-") as tmp:
        address = free_loopback_address()
        port = 80
        conf = Path(tmp) / "nginx.conf"
        conf.write_text(NGINX_CONF.format(tmp=tmp, mime_types=mime_types, address=address, root=root,
                                          charset=f"charset {charset};" if charset else ""))
        proc = subprocess.Popen([binary, "-p", tmp, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            deadline = time.monotonic() + 10
            while True:
                if proc.poll() is not None:
                    raise PreconditionError(f"nginx did not start: {proc.stderr.read().decode(errors='replace')[-500:]}")
                try:
                    with socket.create_connection((address, port), timeout=0.2):
                        break
                except OSError:
                    if time.monotonic() > deadline:
                        raise PreconditionError(f"nginx is not answering on {address}:{port}") from None
                    time.sleep(0.05)
            yield address
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


async def _fetch_all(address: str, urls: list[str], connections: int) -> tuple[int, int]:
    """GET each URL over `connections` keep-alive connections; (ok, bytes)."""
    queue = list(reversed(urls))
    ok = 0
    total = 0

    async def worker():
        nonlocal ok, total
        reader, writer = await asyncio.open_connection(address, 80)
        try:
            while queue:
                path = queue.pop().split("://", 1)[1].partition("/")[2]
                writer.write(f"GET /{path} HTTP/1.1\r\nHost: www.ecns.cn\r\nUser-Agent: bench\r\n\r\n".encode())
                head = await reader.readuntil(b"\r\n\r\n")
                status = int(head.split(b" ", 2)[1])
                length = int(re.search(rb"(?i)content-length:\s*(\d+)", head).group(1))
                body = await reader.readexactly(length)
                ok += status == 200
                total += len(body)
        finally:
            writer.close()

    await asyncio.gather(*(worker() for _ in range(connections)))
    return ok, total


def server_rate(address: str, urls: list[str]) -> float:
    """Pages/s the server delivers to a small asyncio client (the same concurrency as the
    crawls)."""
    started = time.perf_counter()
    ok, _ = asyncio.run(_fetch_all(address, urls, CONCURRENCY))
    elapsed = time.perf_counter() - started
    if ok != len(urls):
        raise PreconditionError(f"the server answered {ok} of {len(urls)} pages with 200: the site is incomplete")
    return len(urls) / elapsed


# -- the crawls -------------------------------------------------------------------------------


def _settings_args(settings: dict) -> list[str]:
    return [arg for key, value in settings.items() for arg in ("-s", f"{key}={value}")]


def run_crawl(cmd: list[str], cwd: Path, env: dict, stats_path: Path, label: str, expected_pages: int,
              timeout: float) -> dict:
    """Run one crawl process; sample its RSS from outside, against the pages it reports
    (LogStats, every second); return its stats, rate and RSS figures."""
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    pages = [0]
    tail: list[str] = []
    marks: dict[str, float] = {}
    crawled = re.compile(r"Crawled (\d+) pages")

    def read_log():
        for line in proc.stderr:
            # The crawl's own span, timed as its log lines arrive: from the spider opening
            # to its closing (process start-up and shutdown are not crawling).
            if "Spider opened" in line:
                marks.setdefault("opened", time.monotonic())
            elif "Closing spider" in line:
                marks.setdefault("closing", time.monotonic())
            m = crawled.search(line)
            if m:
                pages[0] = int(m.group(1))
            tail.append(line)
            if len(tail) > 200:
                del tail[:100]

    reader = threading.Thread(target=read_log, daemon=True)
    reader.start()
    samples: list[tuple[int, float]] = []
    cpu: dict[int, tuple[str, float]] = {}
    rss = rss_reader(proc.pid, cpu)
    deadline = time.monotonic() + timeout
    while proc.poll() is None:
        value = rss()
        if value is None:
            break
        samples.append((pages[0], value))
        if time.monotonic() > deadline:
            proc.kill()
            proc.wait()
            raise PreconditionError(f"{label} crawl did not finish within {timeout:.0f} s")
        time.sleep(0.2)
    proc.wait()
    reader.join(timeout=5)
    if proc.returncode != 0 or not stats_path.exists():
        raise PreconditionError(f"{label} crawl failed (exit {proc.returncode}):\n" + "".join(tail[-30:]))
    stats = json.loads(stats_path.read_text())
    fetched = stats.get("response_received_count", 0)
    if fetched < expected_pages:
        raise PreconditionError(
            f"{label} crawl fetched {fetched} pages of the {expected_pages} served: "
            f"the figures would be of another crawl ({ {k: v for k, v in stats.items() if 'count' in k} })"
        )
    if "opened" not in marks or "closing" not in marks:
        raise PreconditionError(f"{label} crawl logged no 'Spider opened' / 'Closing spider' lines (LOG_LEVEL INFO?)")
    elapsed = marks["closing"] - marks["opened"]
    # CPU seconds (as last sampled, every 0.2 s) of the crawl's own process and of its
    # helpers (extraction workers, archive writer, forkserver).
    own = sum(seconds for role, seconds in cpu.values() if role == "crawl")
    helpers = sum(seconds for role, seconds in cpu.values() if role == "helpers")
    return {"stats": stats, "pages": fetched, "seconds": elapsed, "rate": fetched / elapsed, "rss": samples,
            "cpu_own_ms": 1000 * own / fetched, "cpu_helpers_ms": 1000 * helpers / fetched}


def rss_reader(pid: int, cpu: dict | None = None):
    """A function giving the resident memory of the process and all its descendants (the
    extraction workers, the archive writer, the forkserver) in MB, the sum of their RSS, or
    None once it is gone; each one's CPU seconds so far recorded in `cpu` (tree_sample)."""

    def read():
        sample = tree_sample(pid, cpu)
        return sample[1] if sample else None

    return read


def rss_at(samples: list[tuple[int, float]], pages: int) -> float | None:
    for count, rss in samples:
        if count >= pages:
            return rss
    return None


def hosts_settings(address: str) -> dict:
    return {"TWISTED_DNS_RESOLVER": "tests.benchmarks.hosts.HostsResolver", "BENCH_HOSTS": f"www.ecns.cn={address},ecns.cn={address}"}


def bare_crawl(url_file: Path, address: str, work: Path, expected: int, timeout: float) -> dict:
    stats = work / f"bare-{time.monotonic_ns()}.json"
    cmd = [sys.executable, "-m", "scrapy", "runspider", str(HERE / "bare_spider.py"), "-a", f"urls={url_file}",
           "-a", f"stats_file={stats}", *_settings_args({**COMMON_SETTINGS, **hosts_settings(address)})]
    # Run outside the project (no scrapy.cfg above `work`): Scrapy's defaults, none of the
    # project's components; the repository on the path only for the resolver.
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return run_crawl(cmd, work, env, stats, "bare", expected, timeout)


def full_crawl(start_urls: list[str], address: str, work: Path, expected: int, timeout: float,
               extra: dict | None = None) -> dict:
    run_dir = work / f"full-{time.monotonic_ns()}"
    run_dir.mkdir()
    stats = run_dir / "stats.json"
    archive = run_dir / "archive.db"
    cmd = [sys.executable, "-m", "scrapy", "crawl", "ecns", "-a", "start_urls=" + ",".join(start_urls),
           "-a", "follow_sections=0", "-s", f"ARCHIVE_PATH={archive}", "-s", f"STATS_FILE={stats}",
           *_settings_args({**COMMON_SETTINGS, **hosts_settings(address), **(extra or {})})]
    result = run_crawl(cmd, REPO, dict(os.environ), stats, "full", expected, timeout)
    import sqlite3

    conn = sqlite3.connect(archive)
    try:
        result["articles"] = conn.execute("select count(*) from articles").fetchone()[0]
    except sqlite3.OperationalError:  # a crawl without the item pipelines made no archive
        result["articles"] = 0
    conn.close()
    warc = sum(p.stat().st_size for p in run_dir.rglob("*.warc*")) if any(run_dir.rglob("*.warc*")) else 0
    result["warc_bytes"] = warc
    shutil.rmtree(run_dir, ignore_errors=True)
    return result


# Where the full crawl's time goes: the same crawl with one part of it turned off at a time.
ABLATION_PAGES = 5_000
ABLATIONS = {
    "WARC capture (CAPTURE_ENABLED=False)": {"CAPTURE_ENABLED": False},
    "incremental state: skip index, frontier (INCREMENTAL_ENABLED=False)": {"INCREMENTAL_ENABLED": False},
    "item pipelines: validation, normalisation, dedupe + store (ITEM_PIPELINES={})": {"ITEM_PIPELINES": "{}"},
    "the extraction pool (EXTRACTION_PROCESSES=0: extraction in the crawl's process)": {"EXTRACTION_PROCESSES": 0},
}


def where_the_time_goes(start_urls: list[str], address: str, work: Path, pages: int, timeout: float) -> dict:
    """Crawls of `pages` pages (CLOSESPIDER_PAGECOUNT) with everything on, then with each
    part in ABLATIONS off, then with everything on again: each part's cost is what turning it
    off saves, in the crawl process's CPU per page (the process that bounds the crawl's rate)
    and in pages/s."""
    limit = {"CLOSESPIDER_PAGECOUNT": pages}
    runs: dict[str, list[dict]] = {"everything": []}
    order = [("everything", {}), *ABLATIONS.items(), ("everything", {})]
    for name, settings in order:
        log(f"  crawl: where the time goes, {pages:,} pages, " + ("everything on" if not settings else f"without {name}"))
        result = full_crawl(start_urls, address, work, pages, timeout, extra={**limit, **settings})
        runs.setdefault(name, []).append(result)
        log(f"    {result['rate']:,.0f} pages/s, crawl process {result['cpu_own_ms']:.2f} ms/page, "
            f"helpers {result['cpu_helpers_ms']:.2f} ms/page")
    return {name: {key: sum(r[key] for r in results) / len(results) for key in ("rate", "cpu_own_ms", "cpu_helpers_ms")}
            for name, results in runs.items()}


def run(n_articles: int = 20_000, full_runs: int = 1, quick: bool = False) -> list[Figure]:
    require_module("psutil")
    root, manifest = cached_site(n_articles)
    all_urls = manifest["listings"] + manifest["articles"]
    expected = len(all_urls)
    timeout = 60 + n_articles * 0.05
    figures: list[Figure] = []
    with nginx(root) as address, tempfile.TemporaryDirectory(prefix="bench-crawl-", dir=bench_dir()) as tmp:
        work = Path(tmp)
        require_free_disk(work, n_articles * 40_000, "a crawl's archive and WARC captures")
        url_file = work / "urls.txt"
        url_file.write_text("\n".join(all_urls) + "\n")
        log(f"  crawl: nginx on {address}:80, {len(manifest['articles']):,} articles + {len(manifest['listings'])} listings")
        served = server_rate(address, all_urls)
        bare, full = [], []
        for r in range(full_runs):
            log(f"  crawl: bare Scrapy spider, run {r + 1}")
            bare.append(bare_crawl(url_file, address, work, expected, timeout))
            log(f"    {bare[-1]['rate']:,.0f} pages/s")
            log(f"  crawl: scrapy crawl ecns, run {r + 1}")
            full.append(full_crawl(manifest["start_urls"], address, work, expected, timeout * 3))
            log(f"    {full[-1]['rate']:,.0f} pages/s, {full[-1]['articles']:,} articles archived")
        log(f"  crawl: bare Scrapy spider, run {full_runs + 1}")
        bare.append(bare_crawl(url_file, address, work, expected, timeout))
        log(f"    {bare[-1]['rate']:,.0f} pages/s")
        served = max(served, server_rate(address, all_urls))
        parts = where_the_time_goes(manifest["start_urls"], address, work, min(ABLATION_PAGES, expected), timeout)
    if any(f["articles"] < n_articles * 0.99 for f in full):
        raise PreconditionError(f"the full crawl archived {[f['articles'] for f in full]} of {n_articles:,} articles")
    # Each full run against the mean of the bare runs either side of it.
    ratios = [f["rate"] / ((bare[i]["rate"] + bare[i + 1]["rate"]) / 2) for i, f in enumerate(full)]
    bare_rate = median([b["rate"] for b in bare])
    full_rate = median([f["rate"] for f in full])
    ratio = median(ratios)
    capture = "WARC capture on" if any(f["warc_bytes"] for f in full) else "no WARC capture"
    figures.append(at_least(
        "crawl", "full crawl / bare spider, pages/s", ratio, "x floor", TARGET_VS_BARE,
        f"scrapy crawl ecns {full_rate:,.0f} pages/s ({capture}, {full[0]['articles']:,} articles archived) vs bare "
        f"{bare_rate:,.0f} pages/s; {expected:,} pages, {full_runs} full run(s) between {full_runs + 1} bare runs",
        full_rate=full_rate, bare_rate=bare_rate,
    ))
    figures.append(at_least(
        "crawl", "server pages/s / bare spider pages/s", served / bare_rate, "x", SERVER_MARGIN,
        f"nginx {served:,.0f} pages/s to an asyncio client ({CONCURRENCY} connections): the server is not the bottleneck",
    ))
    own, helpers = median([f["cpu_own_ms"] for f in full]), median([f["cpu_helpers_ms"] for f in full])
    bare_own = median([b["cpu_own_ms"] for b in bare])
    figures.append(info(
        "crawl", "CPU per page: the crawl's own process", own, "ms",
        f"bare spider {bare_own:.2f} ms: at {full_rate:,.0f} pages/s the crawl's process uses "
        f"{own * full_rate / 1000:.0%} of a core (Scrapy's engine, downloader, spider and pipeline calls run there)"))
    figures.append(info("crawl", "CPU per page: extraction workers + archive writer", helpers, "ms",
                        "the crawl's helper processes, together"))
    everything = parts.pop("everything")
    saved = {name: everything["cpu_own_ms"] - part["cpu_own_ms"] for name, part in parts.items()}
    figures.append(info(
        "crawl", "CPU per page in the crawl's process beyond the bare spider's", own - bare_own, "ms",
        "of it, what turning each part off saves (below): "
        + ", ".join(f"{name.split(' (')[0]} {value:.2f}" for name, value in saved.items())
        + "; the rest: the spider's parsing of listings and links, the project's other middlewares, the requests they make"))
    for name, part in parts.items():
        figures.append(info(
            "crawl", f"without {name}: crawl process CPU per page saved", everything["cpu_own_ms"] - part["cpu_own_ms"], "ms",
            f"{part['rate']:,.0f} vs {everything['rate']:,.0f} pages/s with everything on; helpers "
            f"{part['cpu_helpers_ms']:.2f} vs {everything['cpu_helpers_ms']:.2f} ms/page "
            f"({ABLATION_PAGES:,}-page crawls of the same site, alternating with full ones)"))
    peak = max(rss for f in full for _, rss in f["rss"])
    figures.append(at_most("crawl", "peak RSS of the crawl's process tree", peak, "MB", TARGET_PEAK_RSS_MB,
                           "crawl, extraction workers, archive writer, forkserver: psutil, sampled every 0.2 s from outside"))
    early, late = n_articles // 4, n_articles
    growths = []
    for f in full:
        a, b = rss_at(f["rss"], early), rss_at(f["rss"], late) or f["rss"][-1][1]
        if a is None:
            raise PreconditionError(f"no RSS sample after {early:,} pages: the crawl reported no page counts")
        growths.append((b / a, a, b))
    growth, a, b = max(growths)
    figures.append(at_most(
        "crawl", f"RSS after {late:,} pages / after {early:,}", growth, "x", TARGET_RSS_GROWTH,
        f"{b:.0f} MB vs {a:.0f} MB (worst run)",
    ))
    return figures


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=20_000)
    parser.add_argument("--full-runs", type=int, default=1)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    return report_figures("bench_crawl", lambda: run(args.articles, args.full_runs), args.json)


if __name__ == "__main__":
    sys.exit(main())
