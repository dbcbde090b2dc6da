"""A real `scrapy crawl ecns` in a subprocess, offline over the recorded site, into a
temporary archive: rows, fields, full-text hits, counted bad pages, and a rerun that adds
nothing."""

from __future__ import annotations

import json
import subprocess
from collections import Counter
import sys
from pathlib import Path

import pytest
from sqlite_utils import Database

from archive.dedupe import url_key
from tests.conftest import FIXTURES, SEED_TEXT, SEED_URL, copy_crawl, load_recording, recordings, scrapy_crawl

pytestmark = pytest.mark.subprocess


@pytest.fixture(scope="module")
def crawled(tmp_path_factory, ecns_crawl):
    # The session's crawl of the recorded site (conftest.py), copied: the rerun writes to it.
    archive = copy_crawl(ecns_crawl.archive, tmp_path_factory.mktemp("crawl") / "archive.db")
    first = ecns_crawl.stats
    counts_after_first = {t: Database(archive)[t].count for t in ("articles", "related", "duplicates", "revisions")}
    # A full recrawl: incremental skipping off, so every page is fetched and stored again
    # (the incremental run is tested in test_incremental.py).
    second = scrapy_crawl(archive, "INCREMENTAL_ENABLED=False", log_level="INFO", stats=True).stats
    return archive, first, second, counts_after_first


def expected_articles() -> dict[str, dict]:
    out = {}
    for directory in recordings("ecns"):
        info, body, expected = load_recording(directory)
        if expected["kind"] == "article":
            out[info["url"]] = expected["record"]
    return out


def test_every_recorded_article_is_archived_once(crawled):
    archive, first, _, _ = crawled
    db = Database(archive)
    known_keys = {row["url_key"] for row in db["article_urls"].rows} | {row["url_key"] for row in db["duplicates"].rows}
    for url in expected_articles():
        assert url_key(url) in known_keys, url
    # One row per article: the utm/bare-host variant and the syndicated copy add none.
    assert db["articles"].count == first["store/new"]
    assert first.get("store/duplicate", 0) >= 1 and first.get("store/unchanged", 0) >= 1
    keys = [row["url_key"] for row in db["articles"].rows]
    assert len(keys) == len(set(keys))


def test_stored_fields_equal_the_expected_records(crawled):
    """Each recorded article is an article row of its own, another URL form of one (the
    first form fetched names the row), or a copy of another article's text (which of two
    copies came first depends on the crawl's order): each is checked as what it is."""
    archive, *_ = crawled
    db = Database(archive)
    kinds = Counter()
    for url, want in expected_articles().items():
        key = url_key(url)
        rows = list(db.query("select a.* from article_urls u join articles a on a.id = u.article_id where u.url_key = ?", [key]))
        if not rows:
            (copy,) = db.query("select * from duplicates where url_key = ?", [key])
            assert copy["reason"] == "same_text" and copy["title"] == want["title"], url
            original = db["articles"].get(copy["article_id"])
            assert original["body"] == want["body"] and original["url_key"] != key, url
            kinds["copy"] += 1
            continue
        row = rows[0]
        kinds["article" if row["url"] == url else "url_form"] += 1
        assert row["url_key"] == key, url
        for field in ("title", "body", "published", "source", "editor", "language", "canonical_url", "related_heading", "site"):
            assert row[field] == want[field], (url, field)
        assert json.loads(row["authors"]) == want["authors"], url
        related = [
            {"title": r["title"], "url": r["url"], "published": r["published"]}
            for r in db.query("select * from related where article_id = ? order by position", [row["id"]])
        ]
        assert related == want["related"], url
        if want["copyright"]:
            assert row["copyright_text"] == want["copyright"]["text"]
            assert row["copyright_holder"] == want["copyright"]["holder"]
            assert json.loads(row["copyright_years"]) == want["copyright"]["years"]
    # The recorded site holds one article under two URL forms and one text under two URLs.
    assert kinds == {"article": len(expected_articles()) - 2, "url_form": 1, "copy": 1}


def test_seed_article_is_found_by_full_text_search(crawled):
    archive, *_ = crawled
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "sqlite-utils"), "search", str(archive), "articles", "Shougang"],
        capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    hits = json.loads(proc.stdout)
    assert [h["url"] for h in hits] == [SEED_URL]
    seed = hits[0]
    assert seed["source"] == "Qianlong.com"
    assert seed["published"].startswith("2014-08-19")
    assert seed["body"].split("\n\n") == SEED_TEXT.read_text(encoding="utf-8").splitlines()[:5]
    assert seed["copyright_holder"] == "Chinanews.com"
    assert json.loads(seed["copyright_years"]) == [1999, 2018]
    related = list(Database(archive).query(
        "select title, url, published from related where article_id = ? order by position", [seed["id"]]
    ))
    assert related[0]["title"] == "Zhongguancun in strategic partnership with Deutsche Borse"
    assert [r["published"] for r in related] == ["2014-05-16", "2013-09-13", "2013-08-14", "2013-07-08", "2013-05-24", "2013-03-15"]
    assert all(r["url"].startswith("http://www.ecns.cn/business/") for r in related)


def test_bad_pages_are_counted_not_stored(crawled):
    _, first, _, _ = crawled
    assert first["replay/miss"] >= 1  # the related link whose page was never recorded
    assert first["pages/skipped/truncated"] == 1
    assert first["pages/skipped/not_html"] == 1
    assert first["validate/dropped/missing_body"] == 1
    assert first["httperror/response_ignored_status_count/500"] == 1
    assert first["httperror/response_ignored_status_count/404"] >= 1
    assert first["listing/no_article_links"] == 1
    assert first["finish_reason"] == "finished"


def test_rerun_adds_nothing_and_updates_last_seen(crawled):
    archive, first, second, before = crawled
    db = Database(archive)
    after = {t: db[t].count for t in ("articles", "related", "duplicates", "revisions")}
    assert after == before
    assert second.get("store/new", 0) == 0
    assert second["store/unchanged"] == first["store/new"] + first.get("store/unchanged", 0)
    rows = list(db["articles"].rows)
    assert all(r["last_seen"] >= r["first_seen"] for r in rows)
    assert db.execute("pragma integrity_check").fetchone()[0] == "ok"


def test_changed_page_becomes_a_revision(tmp_path, crawled):
    """The same site recrawled after an article was edited: one revision, newest text shown."""
    archive, *_ = crawled
    import shutil

    copy_archive = tmp_path / "archive.db"
    shutil.copy(archive, copy_archive)
    site = tmp_path / "site"
    shutil.copytree(FIXTURES / "ecns", site)
    seed_dir = next(d for d in site.iterdir() if (d / "info.json").exists() and json.loads((d / "info.json").read_text())["url"] == SEED_URL)
    page = (seed_dir / "body.html").read_bytes()
    (seed_dir / "body.html").write_bytes(page.replace(b"Qianlong.com reported.", b"Qianlong.com reported on Tuesday."))
    stats = scrapy_crawl(copy_archive, "INCREMENTAL_ENABLED=False", replay=site, log_level="INFO", stats=True).stats
    assert stats["store/revised"] == 1
    db = Database(copy_archive)
    seed = next(db["articles"].rows_where("url = ?", [SEED_URL]))
    assert "reported on Tuesday" in seed["body"]
    revisions = list(db["revisions"].rows_where("article_id = ?", [seed["id"]]))
    assert len(revisions) == 1 and "reported on Tuesday" not in revisions[0]["body"]


def test_unusable_archive_path_fails_at_start_in_one_line(tmp_path):
    not_sqlite = tmp_path / "notes.db"
    not_sqlite.write_text("my notes")
    for path, message in ((tmp_path / "missing" / "a.db", "archive directory does not exist"), (not_sqlite, "not an SQLite database")):
        proc = scrapy_crawl(path, check=False, timeout=120)
        assert proc.returncode == 2
        errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
        assert len(errors) == 1 and message in errors[0]
        assert "Traceback" not in proc.stderr
    assert not_sqlite.read_text() == "my notes"


def test_robots_txt_is_obeyed(tmp_path):
    stats = scrapy_crawl(tmp_path / "archive.db", args=["start_urls=https://www.ecns.cn/search/?q=Shougang"],
                         log_level="INFO", stats=True).stats
    assert stats["robotstxt/forbidden"] == 1
    assert stats.get("replay/miss", 0) == 0  # the forbidden page was never requested
