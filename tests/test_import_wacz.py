"""`newsarchive import` of WACZ files (the ZIP Browsertrix and ArchiveWeb.page write, its WARC
files stored under archive/), made here with zipfile from WARC files warcio wrote: the same
articles as the WARC files give, each pointing at its record inside the .wacz; resumed,
imported again, and refused (one line) or read up to the damage when it is not a good WACZ."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import zipfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlite_utils import Database
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archive.wacz import warc_members
from archive.warc import locate, read_capture
from crawler.cli import cli
from tests.test_import import MAY_1, article_pages, changed, newsarchive_import, on_sites, rows
from tests.web_archives import Page, cc_news_warc, varied_pages, warc_date, write_response

COLUMNS = "url, title, body, published, source, authors, language, first_seen, last_seen"


class _Stream(io.RawIOBase):
    """A file that cannot seek: zipfile then writes each member's sizes after its data (a
    data descriptor), as streaming ZIP writers do."""

    def __init__(self):
        self.data = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.data += data
        return len(data)


def wacz_file(path: Path, warcs: list[Path], *, compression: int = zipfile.ZIP_STORED, streamed: bool = False,
              zip64: bool = False, compressed: tuple[str, ...] = ()) -> Path:
    """A WACZ of the `warcs`: pages/pages.jsonl, archive/<name> for each (stored, as the
    spec requires, unless `compression` says otherwise or its name is in `compressed`), then
    an index and datapackage.json. `zip64`: every entry with Zip64 sizes, as a writer does
    for files over 4 GiB."""
    members: list[tuple[str, bytes, int]] = []
    pages = [json.dumps({"format": "json-pages-1.0", "id": "pages", "title": "All Pages"})]
    pages += [json.dumps({"url": f"https://example.org/{w.name}", "ts": "2024-05-01T08:00:00Z"}) for w in warcs]
    members.append(("pages/pages.jsonl", "\n".join(pages).encode() + b"\n", zipfile.ZIP_DEFLATED))
    for warc in warcs:
        members.append((f"archive/{warc.name}", warc.read_bytes(),
                        zipfile.ZIP_DEFLATED if warc.name in compressed else compression))
    members.append(("indexes/index.cdx", b"".join(b"org,example)/ 20240501080000 {}\n" for _ in warcs),
                    zipfile.ZIP_DEFLATED))
    package = {"profile": "data-package", "wacz_version": "1.1.1", "resources": [
        {"name": Path(name).name, "path": name, "hash": "sha256:" + hashlib.sha256(data).hexdigest(), "bytes": len(data)}
        for name, data, _ in members]}
    members.append(("datapackage.json", json.dumps(package).encode(), zipfile.ZIP_DEFLATED))
    target = _Stream() if streamed else io.BytesIO()
    with zipfile.ZipFile(target, "w") as zf:
        for name, data, method in members:
            entry = zipfile.ZipInfo(name, (2024, 5, 1, 8, 0, 0))
            entry.compress_type = method
            with zf.open(entry, "w", force_zip64=zip64) as fh:
                fh.write(data)
    path.write_bytes(bytes(target.data) if streamed else target.getvalue())
    return path


def revisit(writer: WARCWriter, url: str, original, page: Page, date: datetime) -> None:
    """A revisit record of `original`'s payload (as wget --warc-dedup and Browsertrix write)."""
    writer.write_record(writer.create_revisit_record(
        url, digest=original.rec_headers.get_header("WARC-Payload-Digest"),
        refers_to_uri=original.rec_headers.get_header("WARC-Target-URI"), refers_to_date=warc_date(MAY_1),
        http_headers=StatusAndHeaders("200 OK", page.headers, protocol="HTTP/1.1"),
        warc_headers_dict={"WARC-Date": warc_date(date)}))


def crawl_warcs(directory: Path) -> tuple[list[Path], dict[str, bytes]]:
    """Three WARC files of one crawl: a CC-NEWS-like .warc.gz; an uncompressed .warc of more
    pages and two revisits of the first file's payloads (the same URL a day later: unchanged;
    another URL: a duplicate); a .warc.gz with a later capture whose text changed (a revision).
    And each page's last body by its URL."""
    directory.mkdir()
    pages = on_sites(article_pages())[:10]
    first = cc_news_warc(directory / "crawl-1.warc.gz", pages[:6], MAY_1)
    with open(first, "rb") as fh:
        originals = {r.rec_headers.get_header("WARC-Target-URI"): r for r in ArchiveIterator(fh)
                     if r.rec_type == "response"}
    second = directory / "crawl-2.warc"
    with open(second, "wb") as fh:
        writer = WARCWriter(fh, gzip=False, warc_version="1.1")
        for n, page in enumerate(pages[6:]):
            write_response(writer, page.url, page.body, page.headers, MAY_1 + timedelta(hours=1, seconds=n))
        revisit(writer, pages[0].url, originals[pages[0].url], pages[0], MAY_1 + timedelta(days=1))
        revisit(writer, pages[1].url.replace("newsroom1", "newsroom99"), originals[pages[1].url], pages[1],
                MAY_1 + timedelta(days=1))
    revised = changed(next(p for p in pages if b"Shougang" in p.body), "Shougang", "Shougang-v2")
    third = cc_news_warc(directory / "crawl-3.warc.gz", [revised], MAY_1 + timedelta(days=2))
    return [first, second, third], {**{p.url: p.body for p in pages}, revised.url: revised.body}


def articles(archive: Path) -> dict[str, list[dict]]:
    db = Database(archive)
    return {"articles": rows(db, f"select {COLUMNS} from articles order by url"),
            "revisions": rows(db, "select title, body, superseded_at from revisions order by id"),
            "duplicates": rows(db, "select url from duplicates order by url")}


@pytest.mark.parametrize("streamed", [False, True], ids=["seekable", "streamed"])
def test_a_wacz_gives_the_articles_its_warc_files_give(tmp_path, streamed):
    warcs, _ = crawl_warcs(tmp_path / "warcs")
    wacz = wacz_file(tmp_path / "crawl.wacz", warcs, streamed=streamed)
    assert [m.name for m in warc_members(wacz).members] == [f"archive/{w.name}" for w in warcs]
    direct = newsarchive_import(*warcs, "-d", tmp_path / "warc.db", "--processes", 0)
    assert direct.exit_code == 0, direct.output
    result = newsarchive_import(wacz, "-d", tmp_path / "wacz.db", "--processes", 0)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[1:] == direct.output.splitlines()[1:]
    assert result.output.splitlines()[0] == direct.output.splitlines()[0].replace("3 files", "1 file")
    assert "articles: 10 new, 1 duplicate, 1 revised, 1 unchanged" in direct.output
    expected = articles(tmp_path / "warc.db")
    assert len(expected["articles"]) >= 8 and expected["revisions"] and expected["duplicates"]
    assert articles(tmp_path / "wacz.db") == expected


def test_each_article_points_at_its_record_inside_the_wacz(tmp_path):
    warcs, bodies = crawl_warcs(tmp_path / "warcs")
    wacz = wacz_file(tmp_path / "crawl.wacz", warcs)
    archive = tmp_path / "archive.db"
    assert newsarchive_import(wacz, "-d", archive, "--processes", 0).exit_code == 0
    stored = rows(Database(archive), "select url, warc_file, warc_offset, warc_record_id from articles")
    assert len(stored) >= 8
    members = warc_members(wacz).members
    for row in stored:
        assert row["warc_file"] == "crawl.wacz"
        assert any(m.start <= row["warc_offset"] < m.end for m in members)
        capture = read_capture(locate(row["warc_file"], archive), row["warc_offset"], row["warc_record_id"])
        assert capture.url == row["url"] and capture.body == bodies[row["url"]]
    # Every reader of capture pointers reads them there: re-parsing changes nothing.
    reparsed = CliRunner().invoke(cli, ["reparse", "-d", str(archive), "--processes", "0"])
    assert reparsed.exit_code == 0, reparsed.output
    assert f"re-parsed {len(stored)} articles: 0 changed" in reparsed.output


def test_a_wacz_is_found_in_directories_and_by_patterns_and_imported_once(tmp_path):
    warcs, _ = crawl_warcs(tmp_path / "warcs")
    folder = tmp_path / "collections" / "crawl"
    folder.mkdir(parents=True)
    wacz = wacz_file(folder / "crawl.wacz", warcs)
    archive = tmp_path / "archive.db"
    first = newsarchive_import(tmp_path / "collections", "-d", archive, "--processes", 0)
    assert first.exit_code == 0 and first.output.startswith("1 file: 15 records read"), first.output
    tables = ("articles", "revisions", "duplicates", "article_urls")
    before = {t: list(Database(archive)[t].rows) for t in tables}
    assert before["articles"]
    again = newsarchive_import(str(tmp_path / "collections" / "*" / "*.wacz"), "-d", archive, "--processes", 0)
    assert again.exit_code == 0 and "1 file (1 imported before: nothing to add)" in again.output, again.output
    assert {t: list(Database(archive)[t].rows) for t in tables} == before
    progress = rows(Database(archive), "select * from import_files")
    assert len(progress) == 1 and progress[0]["finished"] and progress[0]["done_offset"] == wacz.stat().st_size


def test_wacz_files_that_cannot_be_read_are_one_line_each_and_the_others_are_imported(tmp_path):
    warcs, _ = crawl_warcs(tmp_path / "warcs")
    deflated = wacz_file(tmp_path / "deflated.wacz", warcs[:1], compression=zipfile.ZIP_DEFLATED)
    mixed = wacz_file(tmp_path / "mixed.wacz", warcs[1:], compressed=(warcs[2].name,))
    not_zip = tmp_path / "renamed.wacz"
    shutil.copy(warcs[0], not_zip)
    empty = wacz_file(tmp_path / "empty.wacz", [])
    misplaced = wacz_file(tmp_path / "misplaced.wacz", warcs[2:])  # its entry's local header overwritten
    with zipfile.ZipFile(misplaced) as zf:
        header = zf.getinfo(f"archive/{warcs[2].name}").header_offset
    data = bytearray(misplaced.read_bytes())
    data[header:header + 4] = b"\0" * 4
    misplaced.write_bytes(bytes(data))
    good = cc_news_warc(tmp_path / "good.warc.gz", on_sites(article_pages())[12:15], MAY_1)
    archive = tmp_path / "archive.db"
    result = CliRunner().invoke(cli, ["import", *map(str, (deflated, mixed, not_zip, empty, misplaced, good)), "-d", str(archive),
                                      "--processes", "0"])
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    assert result.output.splitlines()[:5] == [
        f"{deflated}: archive/crawl-1.warc.gz is compressed in the ZIP (deflate), not stored as WACZ requires: not read",
        f"{mixed}: archive/crawl-3.warc.gz is compressed in the ZIP (deflate), not stored as WACZ requires: not read",
        f"{not_zip}: not a ZIP file (a WACZ is one)",
        f"{empty}: no WARC file in archive/ (a WACZ keeps its WARC files there)",
        f"{misplaced}: archive/crawl-3.warc.gz: no ZIP local header where the central directory puts it: not read",
    ]
    urls = {r["url"] for r in Database(archive)["articles"].rows}
    # The stored WARC file of the mixed WACZ is read (its revisits refer to a file not given).
    with open(warcs[1], "rb") as fh:
        responses = {r.rec_headers.get_header("WARC-Target-URI") for r in ArchiveIterator(fh) if r.rec_type == "response"}
    assert len(responses) == 4
    assert urls == responses | {p.url for p in on_sites(article_pages())[12:15]}
    assert "revisit_unresolved 2" in result.output
    # Run again: nothing more to read, the same lines, still a failure.
    again = CliRunner().invoke(cli, ["import", str(mixed), "-d", str(archive), "--processes", "0"])
    assert again.exit_code == 1 and again.output.splitlines()[0] == result.output.splitlines()[1]
    assert {r["url"] for r in Database(archive)["articles"].rows} == urls


@pytest.mark.parametrize("streamed, zip64", [(False, False), (True, False), (False, True), (True, True)],
                         ids=["seekable", "streamed", "seekable-zip64", "streamed-zip64"])
def test_a_wacz_cut_short_gives_the_records_before_the_cut(tmp_path, streamed, zip64):
    pages = on_sites(article_pages())
    first = cc_news_warc((tmp_path / "a.warc.gz"), pages[:5], MAY_1)
    second = cc_news_warc((tmp_path / "b.warc.gz"), pages[5:10], MAY_1 + timedelta(hours=1))
    whole = wacz_file(tmp_path / "whole.wacz", [first, second], streamed=streamed, zip64=zip64)
    last = warc_members(whole).members[-1]
    cut = last.end - 2000  # inside the second file's last record
    wacz = tmp_path / "cut.wacz"
    wacz.write_bytes(whole.read_bytes()[:cut])
    archive = tmp_path / "archive.db"
    result = newsarchive_import(wacz, "-d", archive, "--processes", 0)
    assert result.exit_code == 0, result.output
    assert "damaged: 1 byte range" in result.output
    urls = {r["url"] for r in Database(archive)["articles"].rows} | {r["url"] for r in Database(archive)["duplicates"].rows}
    assert urls == {p.url for p in pages[:9]}


@pytest.mark.subprocess
def test_an_import_of_a_wacz_killed_while_reading_resumes_to_the_same_archive(tmp_path):
    from tests.test_import_resume import committed, dump, kill_when, start_import

    newer = cc_news_warc(tmp_path / "newer.warc.gz", varied_pages(120), datetime(2024, 5, 1, tzinfo=timezone.utc))
    older = cc_news_warc(tmp_path / "older.warc.gz", varied_pages(120, seed=7), datetime(2024, 4, 1, tzinfo=timezone.utc))
    wacz = wacz_file(tmp_path / "crawl.wacz", [newer, older])
    second = warc_members(wacz).members[1]

    whole = tmp_path / "whole.db"
    proc = start_import([wacz], whole)
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err[-3000:]
    expected = dump(whole)
    assert len(expected["articles"]) > 100 and expected["revisions"]

    archive = tmp_path / "resumed.db"
    reading = "select count(*) from import_files where finished is null and done_offset > {}"
    # Killed while reading the first WARC file of the WACZ, then while reading the second.
    kill_when(start_import([wacz], archive), archive, reading.format(0))
    first_stop = committed(archive, "select done_offset from import_files")
    kill_when(start_import([wacz], archive), archive, reading.format(second.start))
    assert first_stop < second.start < committed(archive, "select done_offset from import_files") < second.end
    proc = start_import([wacz], archive)
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err[-3000:]
    assert dump(archive) == expected
