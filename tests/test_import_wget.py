"""WARC files written by Debian's `wget --warc-file`, fetching the recorded site through a
local proxy (so the records carry the site's own URLs and nothing leaves the machine), then
fetching it again deduplicated against the first file's CDX (`--warc-dedup`: revisit
records); and our own crawl's captures imported into a fresh archive."""

from __future__ import annotations

import gzip
import http.server
import json
import shutil
import subprocess
import threading
import time
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlite_utils import Database

from archive.dedupe import url_key
from crawler.cli import cli
from tests.conftest import copy_crawl, recordings
from tests.web_archives import recorded_pages

pytestmark = pytest.mark.subprocess

WGET = shutil.which("wget")
# The page served with chunked transfer coding and gzip content coding.
CHUNKED = "business/2014/08-19/130296.shtml"


def plain(url: str) -> str:
    """The URL over plain HTTP: the proxy cannot see inside HTTPS."""
    return "http://" + url.split("://", 1)[1]


class RecordedSite(http.server.ThreadingHTTPServer):
    """An HTTP proxy answering from the recorded pages, whatever the host asked for."""

    daemon_threads = True

    def __init__(self, pages):
        self.pages = {plain(p.url): p for p in pages}
        super().__init__(("127.0.0.1", 0), ProxyHandler)


class ProxyHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        page = self.server.pages.get(self.path)
        if page is None:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.send_header("Connection", "close")
            self.end_headers()
            return
        self.send_response(page.status)
        for name, value in page.headers:
            if name.lower() not in ("content-length", "content-encoding", "transfer-encoding", "connection"):
                self.send_header(name, value)
        self.send_header("Connection", "close")
        if self.path.endswith(CHUNKED):
            body = gzip.compress(page.body)
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for start in range(0, len(body), 4000):
                piece = body[start:start + 4000]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.wfile.write(b"0\r\n\r\n")
            return
        self.send_header("Content-Length", str(len(page.body)))
        self.end_headers()
        self.wfile.write(page.body)

    def log_message(self, *args):
        pass


def wget(urls: list[str], proxy: str, warc: Path, *extra: str) -> None:
    assert WGET, "wget is missing: `make test-deps` installs it (apt-get install wget)"
    listing = warc.with_suffix(".urls")
    listing.write_text("\n".join(urls) + "\n")
    proc = subprocess.run(
        [WGET, "--quiet", "--tries=1", "--timeout=20", "-e", "robots=off", "-e", "use_proxy=yes",
         "-e", f"http_proxy={proxy}", "--output-document=/dev/null", f"--input-file={listing}",
         f"--warc-file={warc}", *extra],
        cwd=warc.parent, capture_output=True, text=True, timeout=300,
    )
    # wget exits 8 when a server answered with an error (the recorded 404 and 500 pages).
    assert proc.returncode in (0, 8), proc.stderr
    assert warc.with_name(warc.name + ".warc.gz").exists()


def expected_articles() -> dict[str, dict]:
    out = {}
    for directory in recordings("ecns"):
        info = json.loads((directory / "info.json").read_text(encoding="utf-8"))
        expected = json.loads((directory / "expected.json").read_text(encoding="utf-8"))
        if expected["kind"] == "article":
            out[info["url"]] = expected["record"]
    return out


def test_wget_warc_files_with_revisits_import_as_the_recorded_articles(tmp_path):
    pages = recorded_pages("ecns")
    server = RecordedSite(pages)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    proxy = f"http://127.0.0.1:{server.server_port}/"
    try:
        urls = [plain(p.url) for p in pages]
        wget(urls, proxy, tmp_path / "first", "--warc-cdx")
        time.sleep(1.1)  # the second capture a second later: stored dates are to the second
        wget(urls, proxy, tmp_path / "second", f"--warc-dedup={tmp_path / 'first.cdx'}")
    finally:
        server.shutdown()
    second = tmp_path / "second.warc.gz"
    with gzip.open(second, "rb") as fh:
        assert b"WARC-Type: revisit" in fh.read()

    archive = tmp_path / "archive.db"
    result = CliRunner().invoke(cli, ["import", str(tmp_path / "first.warc.gz"), str(second), "-d", str(archive),
                                      "--processes", "2"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    db = Database(archive)
    expected = expected_articles()
    for url, want in expected.items():
        key = url_key(url)
        found = list(db.query("select a.* from article_urls u join articles a on a.id = u.article_id"
                              " where u.url_key = ?", [key]))
        if not found:  # the recorded site's copy of another article's text
            (copy,) = db.query("select * from duplicates where url_key = ?", [key])
            assert copy["title"] == want["title"], url
            continue
        row = found[0]
        for name in ("title", "body", "published", "source", "editor", "language", "site"):
            assert row[name] == want[name], (url, name)
        assert json.loads(row["authors"]) == want["authors"], url
        # Seen again in the second file (a revisit record): unchanged, its last_seen later.
        assert row["last_seen"] > row["first_seen"], url
    chunked = next(db.query("select body from articles where url like ?", [f"%{CHUNKED}"]))
    assert "Shougang" in chunked["body"]
    assert db["revisions"].count == 0
    summary = result.output
    assert f"articles: {db['articles'].count} new" in summary and " 0 revised" in summary
    assert "revisit_unresolved" not in summary


def test_our_own_crawls_captures_give_the_articles_the_crawl_gave(tmp_path, ecns_crawl):
    crawled = copy_crawl(ecns_crawl.archive, tmp_path / "crawl.db")  # the session's crawl (conftest.py)
    captures = tmp_path / "crawl.db-warc"
    assert list(captures.glob("*.warc.gz"))
    imported = tmp_path / "imported.db"
    result = CliRunner().invoke(cli, ["import", str(captures), "-d", str(imported), "--processes", "2"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    crawl_db, import_db = Database(crawled), Database(imported)

    def copies(db: Database) -> tuple[set[frozenset], set[str]]:
        """Pages of one text under several URLs, as groups (which of them is the article
        depends on the order they were stored in: the crawl's, concurrent; the import's, by
        capture date), and every URL in a group."""
        groups = {frozenset([row["url"], *(d["url"] for d in db.query(
            "select url from duplicates where article_id = ?", [row["id"]]))])
            for row in db.query("select id, url from articles where id in (select article_id from duplicates)")}
        return groups, {url for group in groups for url in group}

    crawl_groups, in_groups = copies(crawl_db)
    assert crawl_groups and copies(import_db)[0] == crawl_groups
    # Every column but those that say when a row was written and where its capture is; the
    # time fetched is the crawl's clock on one side, the capture's WARC-Date on the other.
    columns = [c for c in crawl_db["articles"].columns_dict
               if c not in ("id", "first_seen", "last_seen", "warc_file", "fetched_at")]
    listed = ", ".join(columns)

    def articles(db: Database) -> list[dict]:
        return [r for r in db.query(f"select {listed} from articles order by url") if r["url"] not in in_groups]

    assert len(articles(crawl_db)) >= 10 and articles(import_db) == articles(crawl_db)
    fetched = {r["url"]: r["fetched_at"] for r in crawl_db.query("select url, fetched_at from articles")}
    for row in import_db.query("select url, fetched_at from articles"):
        if row["url"] in fetched:
            gap = datetime.fromisoformat(row["fetched_at"]) - datetime.fromisoformat(fetched[row["url"]])
            assert abs(gap.total_seconds()) <= 2, (row["url"], fetched[row["url"]], row["fetched_at"])
    related = ("select u.url as article, r.* from related r join articles u on u.id = r.article_id"
               " order by 1, r.position")

    def related_lists(db: Database) -> list[dict]:
        return [{k: v for k, v in r.items() if k != "article_id"} for r in db.query(related)
                if r["article"] not in in_groups]

    assert related_lists(import_db) == related_lists(crawl_db)
