"""Re-parse: every archived article points to the WARC record it was parsed from, whose bytes
re-parse to the same record; `newsarchive reparse` after an extractor change updates exactly
the fields that changed, offline; damaged or moved captures are handled."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest
from click.testing import CliRunner
from sqlite_utils import Database

from archive.record import RECORD_FIELDS
from archive.store import Archive
from archive.warc import locate, read_capture
from crawler.cli import cli
from crawler import parsing
from crawler.parsing import CapturedResponse, parse_response
from tests.conftest import ROOT, copy_crawl, scrapy_crawl

pytestmark = pytest.mark.subprocess

BORSE = "http://www.ecns.cn/business/2014/05-16/115221.shtml"


@pytest.fixture(scope="module")
def crawled(tmp_path_factory, ecns_crawl):
    """A directory holding a copy of the session's crawl of the recorded site (conftest.py)."""
    tmp = tmp_path_factory.mktemp("reparse")
    copy_crawl(ecns_crawl.archive, tmp / "archive.db")
    return tmp


@pytest.fixture
def archive_copy(crawled, tmp_path):
    """A private copy of the crawled archive and its captures (pointers are relative)."""
    shutil.copy(crawled / "archive.db", tmp_path / "archive.db")
    shutil.copytree(crawled / "archive.db-warc", tmp_path / "archive.db-warc")
    return tmp_path / "archive.db"


def snapshot(path):
    db = Database(path)
    return {
        "articles": {r["id"]: r for r in db.query("select * from articles")},
        "related": sorted(tuple(r.values()) for r in db.query("select article_id, position, heading, title, url, published from related")),
        "revisions": db["revisions"].count,
    }


def reparse(path, *args, status=0):
    result = CliRunner().invoke(cli, ["reparse", "--archive", str(path), *args])
    assert result.exit_code == status, result.output
    return result.stdout


def test_every_article_points_to_a_capture_whose_bytes_reparse_to_the_same_record(crawled):
    path = crawled / "archive.db"
    with Archive(path, readonly=True) as archive:
        rows = list(archive.db.query("select * from articles order by id"))
        assert len(rows) == 16
        for row in rows:
            assert row["warc_file"].startswith("archive.db-warc/") and row["warc_record_id"].startswith("<urn:uuid:")
            capture = read_capture(locate(row["warc_file"], path), row["warc_offset"], row["warc_record_id"])
            assert capture.url == row["url"] and capture.status == 200
            record = parse_response(CapturedResponse.from_warc(capture))
            assert isinstance(record, dict), (row["url"], record)
            stored = archive.get_article(row["id"])
            for field in RECORD_FIELDS:
                assert record[field] == stored[field], (row["url"], field)
    # The same through the command: nothing changes, last_seen included.
    before = snapshot(path)
    shutil.copy(path, crawled / "check.db")
    output = reparse(crawled / "check.db", "--captures", str(crawled / "archive.db-warc"))
    assert "re-parsed 16 articles: 0 changed" in output and "16 unchanged" in output
    assert snapshot(crawled / "check.db") == before


def test_reparse_after_an_extractor_change_updates_exactly_that_field(archive_copy, monkeypatch):
    before = snapshot(archive_copy)
    original = parsing.extract_article

    def improved(url, body, headers=None):
        record = original(url, body, headers)
        if url == BORSE:
            record["editor"] = "Mo Hong'e and Li Yan"
        return record

    monkeypatch.setattr(parsing, "extract_article", improved)
    # In this process: worker processes would not see the patched extractor.
    output = reparse(archive_copy, "--processes", "0")
    assert "re-parsed 16 articles: 1 changed (1 with a new revision, 0 updated in place), 15 unchanged" in output
    assert "fields changed: editor 1" in output
    after = snapshot(archive_copy)
    changed = next(i for i, r in before["articles"].items() if r["url"] == BORSE)
    for article_id, row in after["articles"].items():
        differs = {k for k in row if row[k] != before["articles"][article_id][k]}
        assert differs == ({"editor"} if article_id == changed else set()), (row["url"], differs)
    assert after["articles"][changed]["editor"] == "Mo Hong'e and Li Yan"
    assert after["related"] == before["related"]
    # editor is text: the old version is kept as a revision, parsed from the same capture.
    revision = next(Database(archive_copy)["revisions"].rows)
    assert revision["editor"] == "Mo Hong'e" and revision["article_id"] == changed
    assert revision["warc_record_id"] == before["articles"][changed]["warc_record_id"]
    # Run again with the same extractor: nothing left to change.
    assert "0 changed" in reparse(archive_copy, "--processes", "0")


def test_a_field_that_makes_no_revision_is_updated_in_place(archive_copy, monkeypatch):
    original = parsing.extract_article

    def improved(url, body, headers=None):
        record = original(url, body, headers)
        if record.get("copyright"):
            record["copyright"] = {**record["copyright"], "holder": "China News Service"}
        return record

    monkeypatch.setattr(parsing, "extract_article", improved)
    before = snapshot(archive_copy)
    output = reparse(archive_copy, "--site", "ecns.cn", "--since", "2000-01-01", "--processes", "0")
    with_copyright = sum(1 for r in before["articles"].values() if r["copyright_holder"])
    assert f"{with_copyright} changed (0 with a new revision, {with_copyright} updated in place)" in output
    assert f"fields changed: copyright {with_copyright}" in output
    after = snapshot(archive_copy)
    assert after["revisions"] == 0
    assert {r["copyright_holder"] for r in after["articles"].values() if r["copyright_holder"]} == {"China News Service"}
    assert all(after["articles"][i]["last_seen"] == r["last_seen"] for i, r in before["articles"].items())


def test_site_and_since_select_articles(archive_copy):
    assert "re-parsed 0 articles" in reparse(archive_copy, "--site", "example.com")
    assert "re-parsed 0 articles" in reparse(archive_copy, "--since", "2999-01-01")
    assert "re-parsed 16 articles" in reparse(archive_copy, "--since", "2000-01-01T00:00:00+08:00")
    result = CliRunner().invoke(cli, ["reparse", "--archive", str(archive_copy), "--since", "last tuesday"])
    assert result.exit_code == 2 and "not a date" in result.output


def test_damaged_and_moved_captures(archive_copy, tmp_path):
    warc_dir = tmp_path / "archive.db-warc"
    (warc_file,) = list(warc_dir.iterdir())
    db = Database(archive_copy)
    last = max(r["warc_offset"] for r in db["articles"].rows)
    # A crash cut the file inside the last article's record.
    with warc_file.open("r+b") as fh:
        fh.truncate(last + 100)
    check = CliRunner().invoke(cli, ["check-captures", str(warc_dir)])
    assert check.exit_code == 1 and "DAMAGED" in check.output and f"100 bytes at offset {last}" in check.output
    output = reparse(archive_copy, status=1)
    assert output.startswith("1 capture could not be read") and "cut short" in output
    assert "re-parsed 15 of 16 articles: 0 changed" in output and "15 unchanged" in output
    # The captures moved elsewhere: found with --captures.
    moved = tmp_path / "moved"
    warc_dir.rename(moved)
    assert reparse(archive_copy, status=1).startswith("16 captures could not be read: 16 articles left as they were")
    assert "15 unchanged" in reparse(archive_copy, "--captures", str(moved), status=1)


def test_reparse_refuses_while_a_crawl_holds_the_archive(archive_copy):
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from archive.lock import lock_archive; "
         "lock_archive(sys.argv[1]); print('locked', flush=True); time.sleep(30)", str(archive_copy)],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        result = CliRunner().invoke(cli, ["reparse", "--archive", str(archive_copy)])
        assert result.exit_code == 1 and "in use by another run" in result.output
    finally:
        holder.kill()
        holder.wait()
    assert snapshot(archive_copy)["revisions"] == 0


def captured(directory):
    from warcio.archiveiterator import ArchiveIterator

    records = []
    for path in sorted(directory.iterdir()):
        with path.open("rb") as fh:
            for record in ArchiveIterator(fh):
                records.append((record.rec_type, record.rec_headers.get_header("WARC-Target-URI"),
                                record.http_headers.get_statuscode() if record.rec_type == "response" else None,
                                record.rec_headers.get_header("WARC-Truncated")))
    return records


def test_every_response_is_captured_with_its_request(crawled):
    records = captured(crawled / "archive.db-warc")
    responses = [(url, status, truncated) for kind, url, status, truncated in records if kind == "response"]
    requests = [url for kind, url, *_ in records if kind == "request"]
    assert sorted(requests) == sorted(url for url, *_ in responses)
    urls = [url for url, *_ in responses]
    for robots in ("https://www.ecns.cn/robots.txt", "http://ecns.cn/robots.txt"):  # one per host
        assert robots in urls
    assert "https://www.ecns.cn/news/economy/" in urls and "http://www.ecns.cn/business/index_2.shtml" in urls
    # The 500 page once per attempt (a first try and two retries), the 404s, the PDF.
    assert urls.count("https://www.ecns.cn/news/society/2024-11-07/detail-ihejxfnt0350178.shtml") == 3
    assert ("https://www.ecns.cn/news/society/2024-11-06/detail-ihejwpcz0349405.shtml", "404", None) in responses
    assert ("http://www.ecns.cn/business/2013/03-15/69218.shtml", "404", None) in responses  # replay miss
    assert ("https://www.ecns.cn/news/society/2024-11-09/detail-ihejyrbd0351693.shtml", "200", "disconnect") in responses
    assert "https://www.ecns.cn/news/society/2024-11-08/detail-ihejxwqm0350922.shtml" in urls
    assert records[0][0] == "warcinfo"


def test_a_crawl_replayed_from_the_captures_builds_the_same_archive(crawled, tmp_path):
    replayed = tmp_path / "replayed.db"
    stats = scrapy_crawl(replayed, f"REPLAY_WARC={crawled / 'archive.db-warc'}", "CAPTURE_ENABLED=False", replay=None,
                         log_level="INFO", stats=True).stats
    assert "replay/miss" not in stats and stats["replay/dataloss"] == 1
    assert not (tmp_path / "replayed.db-warc").exists()  # captures off

    def content(path):
        db = Database(path)
        return (
            sorted(tuple(r.values()) for r in db.query(
                "select url, url_key, canonical_url, title, body, published, updated, source, authors, editor, language,"
                " related_heading, copyright_text, copyright_holder, copyright_years, site, content_hash from articles")),
            sorted(tuple(r.values()) for r in db.query(
                "select a.url_key, r.position, r.heading, r.title, r.url, r.published from related r join articles a on a.id = r.article_id")),
            sorted(tuple(r.values()) for r in db.query(
                "select d.url_key, d.reason, d.similarity, a.url_key as of from duplicates d join articles a on a.id = d.article_id")),
        )

    assert content(replayed) == content(crawled / "archive.db")
    assert Database(replayed)["articles"].count == 16
