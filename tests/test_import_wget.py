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
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlite_utils import Database

from archive.dedupe import url_key
from crawler.cli import cli
from tests.conftest import recordings, scrapy_crawl
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


def test_our_own_crawls_captures_give_the_articles_the_crawl_gave(tmp_path):
    crawled = tmp_path / "crawl.db"
    scrapy_crawl(crawled)
    captures = tmp_path / "crawl.db-warc"
    assert list(captures.glob("*.warc.gz"))
    imported = tmp_path / "imported.db"
    result = CliRunner().invoke(cli, ["import", str(captures), "-d", str(imported), "--processes", "2"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    # Every column but those that say when a row was written and where its capture is.
    columns = [c for c in Database(crawled)["articles"].columns_dict
               if c not in ("id", "first_seen", "last_seen", "warc_file")]
    listed = ", ".join(columns)
    by_crawl = list(Database(crawled).query(f"select {listed} from articles order by url"))
    by_import = list(Database(imported).query(f"select {listed} from articles order by url"))
    assert len(by_crawl) >= 10 and by_import == by_crawl
    dups = "select url, reason, similarity, title from duplicates order by url"
    assert list(Database(imported).query(dups)) == list(Database(crawled).query(dups))
    related = "select u.url as article, r.* from related r join articles u on u.id = r.article_id order by 1, r.position"
    strip = lambda rows: [{k: v for k, v in r.items() if k != "article_id"} for r in rows]  # noqa: E731
    assert strip(Database(imported).query(related)) == strip(Database(crawled).query(related))
