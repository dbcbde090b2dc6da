"""Datasette over an archive, started as users start it (`newsarchive serve`, a real
process on 127.0.0.1 and a free port): the JSON API's full-text search, facets, the
readable article page with scraped markup escaped, and the ranked /-/search page."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import ROOT, SEED_URL
from tests.test_search_fixtures import build_query_archive

import datasette  # noqa: E402,F401  (the test extra: missing fails the import)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, archive: Path):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "archive", "serve", "-d", str(archive), "--port", str(self.port)],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"datasette exited: {self.proc.stdout.read()}")
            try:
                urllib.request.urlopen(self.base + "/-/versions.json", timeout=2).read()
                return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("datasette did not start within 60 s")

    def get(self, path: str, params: dict | None = None) -> tuple[int, str]:
        url = self.base + path + ("?" + urllib.parse.urlencode(params) if params else "")
        try:
            with urllib.request.urlopen(url, timeout=30) as response:
                return response.status, response.read().decode("utf-8")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode("utf-8")

    def json(self, path: str, params: dict | None = None):
        status, text = self.get(path, params)
        assert status == 200, text[:500]
        return json.loads(text)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    archive = build_query_archive(tmp_path_factory.mktemp("ds") / "archive.db")
    srv = Server(archive)
    yield srv
    srv.stop()


@pytest.mark.subprocess
def test_json_api_full_text_search(server):
    data = server.json("/archive/articles.json", {"_search": "Shougang", "_shape": "objects"})
    assert [row["url"] for row in data["rows"]] == [SEED_URL]
    stemmed = server.json("/archive/articles.json", {"_search": "reported", "_shape": "objects"})
    assert len(stemmed["rows"]) == 2


@pytest.mark.subprocess
def test_facets_on_site_source_language_month(server):
    data = server.json("/archive/articles.json", {"_shape": "objects"})
    facets = data["facet_results"]
    assert set(facets) >= {"site", "source", "language", "month"}
    months = {r["value"]: r["count"] for r in facets["month"]["results"]}
    assert months["2014-08"] == 2


@pytest.mark.subprocess
def test_article_page_is_readable_and_escaped(server):
    status, page = server.get("/archive/articles/1")
    assert status == 200
    assert '<article class="article">' in page
    assert "<p>Zhongguancun, known as China&#39;s &#34;Silicon Valley,&#34;" in page
    assert 'href="http://www.ecns.cn/business/2013/09-13/82570.shtml"' in page
    assert "<script>alert('related')</script>" not in page
    status, page = server.get("/archive/articles/4")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)</script>" not in page and "<img src=x" not in page
    assert "href='javascript" not in page and 'href="javascript' not in page


@pytest.mark.subprocess
def test_ranked_search_page_json_and_html(server):
    data = server.json("/-/search", {"q": "中关村科", "_format": "json"})
    assert data["index"] == "trigram" and [h["title"] for h in data["hits"]] == ["中关村与首钢携手打造产业平台"]
    status, page = server.get("/-/search", {"q": "Shougang"})
    assert status == 200 and "<mark>Shougang</mark>" in page
    status, page = server.get("/-/search", {"q": "markup"})
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page


@pytest.mark.subprocess
@pytest.mark.parametrize("query", ['"unbalanced', "AND", "x" * 10_000, "'; DROP TABLE articles; --"])
def test_bad_queries_on_the_search_page(server, query):
    status, page = server.get("/-/search", {"q": query})
    assert status == 200 and "Traceback" not in page
    status, text = server.get("/-/search", {"q": query, "_format": "json"})
    assert status in (200, 400) and "Traceback" not in text
    status, _ = server.get("/archive/articles.json", {"_search": query})
    assert status in (200, 400)
    assert server.json("/archive/articles.json", {"_shape": "objects"})["filtered_table_rows_count"] == 7


@pytest.mark.subprocess
def test_serve_refuses_a_missing_archive(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "archive", "serve", "-d", str(tmp_path / "none.db")],
                          capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert proc.returncode == 1 and "does not exist" in proc.stderr and "Traceback" not in proc.stderr
