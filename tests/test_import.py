"""`newsarchive import`: web archive files written by other tools (warcio's writer as
CC-NEWS writes, with revisit records; ARC 1.0; damaged files), made here from the recorded
pages, imported as a crawl stores what it fetches."""

from __future__ import annotations

import gzip
import io
import itertools
import json
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlite_utils import Database
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archive.identity import APPLICATION_ID
from crawler.cli import cli
from crawler.importing import ImportFilters, run_import
from crawler.normalize import site_of
from tests.web_archives import (
    Page,
    arc_file,
    cc_news_warc,
    raw_response_record,
    recorded_pages,
    warc_date,
    write_response,
)

MAY_1 = datetime(2024, 5, 1, 8, 0, tzinfo=timezone.utc)


def newsarchive_import(*args) -> "click.testing.Result":  # noqa: F821
    return CliRunner().invoke(cli, ["import", *map(str, args)], catch_exceptions=False)


def article_pages() -> list[Page]:
    return [p for p in recorded_pages("ecns") if p.kind == "article"]


def on_sites(pages: list[Page]) -> list[Page]:
    """Each page under a site of its own (newsroom0.org ... newsroomN.org): a file of many sites."""
    out = []
    for n, page in enumerate(pages):
        path = page.url.split("://", 1)[1].split("/", 1)[1]
        out.append(Page(f"https://www.newsroom{n}.org/{path}", page.body, page.headers, page.status, page.kind))
    return out


def rows(db: Database, sql: str) -> list[dict]:
    return list(db.query(sql))


# -- a CC-NEWS-like file ---------------------------------------------------------------------------


def test_a_cc_news_like_file_of_many_sites_is_archived_with_its_capture_dates(tmp_path):
    pages = on_sites(article_pages())
    warc = cc_news_warc(tmp_path / "CC-NEWS-20240501080000-00001.warc.gz", pages, MAY_1)
    archive = tmp_path / "archive.db"
    result = newsarchive_import(warc, "-d", archive, "--processes", 0)
    assert result.exit_code == 0, result.output
    db = Database(archive)
    assert db.execute("pragma application_id").fetchone()[0] == APPLICATION_ID
    articles = {r["url"]: r for r in rows(db, "select * from articles")}
    sites = {r["site"] for r in articles.values()}
    assert len(sites) > 10
    # The recorded pages hold a copy of one article's text (syndicated): the rest are new.
    new = db["articles"].count
    assert new + db["duplicates"].count == len(pages)
    assert f"articles: {new} new, {len(pages) - new} duplicate, 0 revised" in result.output
    for n, page in enumerate(pages):
        if page.url in articles:
            row = articles[page.url]
            stamp = (MAY_1 + n * timedelta(seconds=7)).isoformat(timespec="seconds")
            assert row["first_seen"] == row["last_seen"] == row["fetched_at"] == stamp
            # The row points at the record in the file as it is.
            assert row["warc_file"] == "CC-NEWS-20240501080000-00001.warc.gz"
            assert warc.read_bytes()[row["warc_offset"]:row["warc_offset"] + 2] == b"\x1f\x8b"
    run = rows(db, "select * from crawls")[0]
    assert run["spider"] == "import" and run["outcome"] == "finished"
    assert json.loads(run["arguments"])["files"] == [str(warc)]
    assert run["articles_new"] == new and run["pages"] == len(pages)
    # Nothing left behind in the queue.
    assert db["import_queue"].count == 0


def test_importing_a_file_again_adds_nothing(tmp_path):
    warc = cc_news_warc(tmp_path / "a.warc.gz", on_sites(article_pages()), MAY_1)
    archive = tmp_path / "archive.db"
    assert newsarchive_import(warc, "-d", archive, "--processes", 0).exit_code == 0
    before = {t: list(Database(archive)[t].rows) for t in ("articles", "revisions", "duplicates", "article_urls")}
    copy = tmp_path / "renamed.warc.gz"  # the same file under another name is the same file
    shutil.copy(warc, copy)
    again = newsarchive_import(warc, copy, "-d", archive, "--processes", 0)
    assert again.exit_code == 0 and "2 files (2 imported before: nothing to add)" in again.output
    after = {t: list(Database(archive)[t].rows) for t in before}
    assert after == before


def test_articles_an_earlier_version_left_queued_are_stored_by_the_next_import(tmp_path):
    # Imports used to read every file first, queueing the articles, and store them after: a
    # run killed while storing left some queued. The next import stores them first.
    from crawler.importing import import_page
    from crawler.parsing import CapturedResponse

    pages = on_sites(article_pages())
    queued, given = pages[:4], pages[4:8]
    both = tmp_path / "both.db"
    files = [cc_news_warc(tmp_path / "queued.warc.gz", queued, MAY_1),
             cc_news_warc(tmp_path / "given.warc.gz", given, MAY_1 + timedelta(days=1))]
    assert newsarchive_import(*files, "-d", both, "--processes", 0).exit_code == 0

    archive = tmp_path / "archive.db"
    assert newsarchive_import(files[1], "-d", archive, "--processes", 0, "--site", "nowhere.org").exit_code == 0
    db = Database(archive)
    for n, page in enumerate(queued):
        record = import_page(CapturedResponse(page.url, page.body, page.status, tuple(page.headers)), False)
        content_hash, bands, _ = record["dedupe"]
        record["dedupe"] = [content_hash, bands]  # as the queue kept it, in JSON
        stamp = (MAY_1 + n * timedelta(seconds=7)).isoformat(timespec="seconds")
        record["fetched_at"] = stamp
        db.execute("insert into import_queue (captured_at, record) values (?, ?)", [stamp, json.dumps(record)])
    db.conn.commit()
    result = newsarchive_import(files[1], "-d", archive, "--processes", 0)
    assert result.exit_code == 0, result.output
    assert db["import_queue"].count == 0
    columns = "url, title, body, first_seen"
    assert rows(db, f"select {columns} from articles order by url") == rows(Database(both), f"select {columns} from articles order by url")


def test_a_file_imported_for_one_site_is_read_again_for_another(tmp_path):
    pages = on_sites(article_pages())
    warc = cc_news_warc(tmp_path / "a.warc.gz", pages, MAY_1)
    archive = tmp_path / "archive.db"
    first = newsarchive_import(warc, "-d", archive, "--processes", 0, "--site", "newsroom1.org")
    assert first.exit_code == 0 and "articles: 1 new" in first.output
    second = newsarchive_import(warc, "-d", archive, "--processes", 0, "--site", "newsroom2.org")
    assert second.exit_code == 0 and "articles: 1 new" in second.output and "imported before" not in second.output
    assert {r["site"] for r in Database(archive)["articles"].rows} == {"newsroom1.org", "newsroom2.org"}


def test_filters_by_site_url_date_and_page_kind(tmp_path):
    pages = on_sites(article_pages())
    warc = cc_news_warc(tmp_path / "a.warc.gz", pages, MAY_1, step=timedelta(days=1))
    archive = tmp_path / "site.db"
    result = newsarchive_import(warc, "-d", archive, "--processes", 0, "--site", "newsroom3.org",
                                "--site", "www.newsroom5.org")
    assert result.exit_code == 0, result.output
    db = Database(archive)
    assert {r["site"] for r in db["articles"].rows} | {site_of(r["url"]) for r in db["duplicates"].rows} == {
        "newsroom3.org", "newsroom5.org"}
    assert f"filtered_site {len(pages) - 2}" in result.output

    archive = tmp_path / "dates.db"
    until = (MAY_1 + timedelta(days=4)).date().isoformat()  # whole days: the 5th page's day included
    result = newsarchive_import(warc, "-d", archive, "--processes", 0, "--since", "2024-05-02", "--until", until)
    assert result.exit_code == 0, result.output
    seen = sorted(r["first_seen"][:10] for r in Database(archive)["articles"].rows)
    assert seen[0] == "2024-05-02" and seen[-1] == until
    assert len(seen) + Database(archive)["duplicates"].count == 4

    archive = tmp_path / "pattern.db"
    result = newsarchive_import(warc, "-d", archive, "--processes", 0, "--url-pattern", r"/2014/0[5-8]-")
    assert result.exit_code == 0, result.output
    urls = [r["url"] for r in Database(archive)["articles"].rows]
    assert urls and all("/2014/0" in u for u in urls)

    bad = newsarchive_import(warc, "-d", tmp_path / "never.db", "--url-pattern", "(")
    assert bad.exit_code == 2 and "--url-pattern is not a regular expression" in bad.output
    assert not (tmp_path / "never.db").exists()


def test_articles_only_skips_what_the_classifier_calls_listings(tmp_path):
    pages = recorded_pages("kestrelbay-courier")
    warc = cc_news_warc(tmp_path / "site.warc.gz", pages, MAY_1)
    everything, articles = tmp_path / "all.db", tmp_path / "articles.db"
    assert newsarchive_import(warc, "-d", everything, "--processes", 0).exit_code == 0
    result = newsarchive_import(warc, "-d", articles, "--processes", 0, "--articles-only")
    assert result.exit_code == 0
    # Listing pages have a title and text enough to pass for articles: the classifier knows better.
    kept = {r["url"] for r in Database(articles)["articles"].rows}
    assert kept == {p.url for p in pages if p.kind == "article"}
    assert kept < {r["url"] for r in Database(everything)["articles"].rows}
    stored = Database(everything)["articles"].count + Database(everything)["duplicates"].count
    skipped = stored - len(kept)
    assert f"listing {skipped}" in result.output


# -- revisions in date order whatever the files' order -------------------------------------------


def changed(page: Page, old: str, new: str) -> Page:
    assert old.encode() in page.body
    return Page(page.url, page.body.replace(old.encode(), new.encode()), page.headers, page.status, page.kind)


def test_a_later_capture_with_changed_text_is_a_revision_in_date_order(tmp_path):
    page = next(p for p in article_pages() if b"Shougang" in p.body)
    versions = [page, changed(page, "Shougang", "Shougang-v2"), changed(page, "Shougang", "Shougang-v3")]
    # Three files, given newest first: the dates decide.
    files = [cc_news_warc(tmp_path / f"{n}.warc.gz", [v], MAY_1 + timedelta(days=n)) for n, v in enumerate(versions)]
    archive = tmp_path / "archive.db"
    result = newsarchive_import(*reversed(files), "-d", archive, "--processes", 0)
    assert result.exit_code == 0, result.output
    assert "1 new, 0 duplicate, 2 revised" in result.output
    db = Database(archive)
    article = rows(db, "select * from articles")[0]
    assert "Shougang-v3" in article["body"]
    assert article["first_seen"] == MAY_1.isoformat(timespec="seconds")
    assert article["last_seen"] == (MAY_1 + timedelta(days=2)).isoformat(timespec="seconds")
    revisions = rows(db, "select * from revisions order by superseded_at")
    assert ["Shougang-v2" in r["body"] for r in revisions] == [False, True]
    assert "Shougang-v" not in revisions[0]["body"]
    assert [r["superseded_at"][:10] for r in revisions] == ["2024-05-02", "2024-05-03"]


def test_separate_imports_in_any_order_make_the_archive_one_import_makes(tmp_path):
    page = next(p for p in article_pages() if b"Shougang" in p.body)
    versions = [page, changed(page, "Shougang", "Shougang-v2"), changed(page, "Shougang", "Shougang-v3"), page]
    files = [cc_news_warc(tmp_path / f"{n}.warc.gz", [v], MAY_1 + timedelta(days=n)) for n, v in enumerate(versions)]

    def history(archive):
        db = Database(archive)
        article = rows(db, "select body, first_seen, last_seen from articles")
        revisions = rows(db, "select body, first_seen, superseded_at from revisions order by superseded_at")
        return article, revisions

    together = tmp_path / "together.db"
    assert newsarchive_import(*files, "-d", together, "--processes", 0).exit_code == 0
    # One run a file, newest first, then the rest: each older capture takes its place by date.
    apart = tmp_path / "apart.db"
    for path in (files[2], files[3], files[0], files[1]):
        result = newsarchive_import(path, "-d", apart, "--processes", 0)
        assert result.exit_code == 0, result.output
    assert history(apart) == history(together)
    article, revisions = history(together)
    assert len(revisions) == 3 and "Shougang-v" not in article[0]["body"]


@pytest.mark.parametrize("history", ["AXYA", "AXAX"])
def test_one_import_of_files_in_any_order_makes_the_archive_date_order_makes(tmp_path, history):
    # Articles are stored as the workers answer, in file order, the files oldest first: a
    # text that comes back after another keeps its history, whatever order the files are
    # given in (every order of four one-capture files).
    page = next(p for p in article_pages() if b"Shougang" in p.body)
    texts = {"A": page, "X": changed(page, "Shougang", "Shougang-v2"), "Y": changed(page, "Shougang", "Shougang-v3")}
    files = [cc_news_warc(tmp_path / f"{n}.warc.gz", [texts[v]], MAY_1 + timedelta(days=n)) for n, v in enumerate(history)]

    def stored(archive):
        db = Database(archive)
        return (rows(db, "select url, body, first_seen, last_seen from articles"),
                rows(db, "select body, first_seen, superseded_at from revisions order by superseded_at"))

    in_date_order = tmp_path / "dates.db"
    assert newsarchive_import(*files, "-d", in_date_order, "--processes", 0).exit_code == 0
    expected = stored(in_date_order)
    article, revisions = expected
    assert len(revisions) == 3 and [r["superseded_at"][:10] for r in revisions] == ["2024-05-02", "2024-05-03", "2024-05-04"]
    assert article[0]["last_seen"][:10] == "2024-05-04"
    for n, order in enumerate(itertools.permutations(files)):
        shuffled = tmp_path / f"order-{n}.db"
        result = newsarchive_import(*order, "-d", shuffled, "--processes", 0)
        assert result.exit_code == 0, result.output
        assert stored(shuffled) == expected, [f.name for f in order]


def test_of_copies_published_at_the_same_time_the_one_captured_first_is_the_article(tmp_path):
    page = next(p for p in article_pages() if b"Shougang" in p.body)
    early, late = on_sites([page, page])  # one text on two sites, the same publication time
    files = [cc_news_warc(tmp_path / "early.warc.gz", [early], MAY_1),
             cc_news_warc(tmp_path / "late.warc.gz", [late], MAY_1 + timedelta(days=1))]
    for name, given in (("newest-first.db", files[::-1]), ("oldest-first.db", files)):
        archive = tmp_path / name
        result = newsarchive_import(*given, "-d", archive, "--processes", 0)
        assert result.exit_code == 0, result.output
        db = Database(archive)
        assert [r["url"] for r in rows(db, "select url from articles")] == [early.url], name
        copies = rows(db, "select url, first_seen from duplicates")
        assert [(c["url"], c["first_seen"][:10]) for c in copies] == [(late.url, "2024-05-02")], name


# -- revisit records (warcio's writer) -------------------------------------------------------------


def test_revisit_records_are_resolved_to_the_payload_they_refer_to(tmp_path):
    page = next(p for p in article_pages() if b"Shougang" in p.body)
    other = page.url.replace(".shtml", "-copy.shtml")  # the same payload under another URL: a copy
    warc = tmp_path / "revisits.warc.gz"
    with open(warc, "wb") as fh:
        writer = WARCWriter(fh, gzip=True, warc_version="1.1")
        original = write_response(writer, page.url, page.body, page.headers, MAY_1)
        for url, day in ((page.url, 1), (other, 2)):
            revisit = writer.create_revisit_record(
                url, digest=original.rec_headers.get_header("WARC-Payload-Digest"),
                refers_to_uri=page.url, refers_to_date=warc_date(MAY_1),
                http_headers=StatusAndHeaders("200 OK", page.headers, protocol="HTTP/1.1"),
                warc_headers_dict={"WARC-Date": warc_date(MAY_1 + timedelta(days=day))},
            )
            writer.write_record(revisit)
        unknown = writer.create_revisit_record("http://elsewhere.example/a", digest="sha1:AAAA",
                                               refers_to_uri="http://elsewhere.example/a", refers_to_date=warc_date(MAY_1),
                                               warc_headers_dict={"WARC-Date": warc_date(MAY_1)})
        writer.write_record(unknown)
    archive = tmp_path / "archive.db"
    result = newsarchive_import(warc, "-d", archive, "--processes", 0)
    assert result.exit_code == 0, result.output
    assert "1 new, 1 duplicate, 0 revised, 1 unchanged" in result.output
    assert "revisit_unresolved 1" in result.output
    db = Database(archive)
    article = rows(db, "select * from articles")[0]
    assert article["last_seen"] == (MAY_1 + timedelta(days=1)).isoformat(timespec="seconds")
    assert rows(db, "select url from duplicates")[0]["url"] == other


# -- ARC 1.0 ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("compressed", [False, True])
def test_an_arc_file_gives_the_articles_a_warc_of_the_same_pages_gives(tmp_path, compressed):
    pages = on_sites(article_pages())
    arc = arc_file(tmp_path / ("old.arc.gz" if compressed else "old.arc"), pages, MAY_1, compressed=compressed)
    warc = cc_news_warc(tmp_path / "new.warc.gz", pages, MAY_1, step=timedelta(seconds=1))
    assert newsarchive_import(arc, "-d", tmp_path / "arc.db", "--processes", 0).exit_code == 0
    assert newsarchive_import(warc, "-d", tmp_path / "warc.db", "--processes", 0).exit_code == 0
    columns = "url, title, body, published, source, authors, language, first_seen"
    from_arc = rows(Database(tmp_path / "arc.db"), f"select {columns} from articles order by url")
    from_warc = rows(Database(tmp_path / "warc.db"), f"select {columns} from articles order by url")
    assert len(from_arc) >= 10 and from_arc == from_warc


# -- --copy ------------------------------------------------------------------------------------------------


def test_copy_keeps_the_records_when_the_files_go_away(tmp_path):
    pages = on_sites(article_pages())
    source = tmp_path / "incoming"
    source.mkdir()
    warc = cc_news_warc(source / "a.warc.gz", pages[:8], MAY_1)
    arc = arc_file(source / "b.arc", pages[8:], MAY_1)
    archive = tmp_path / "archive.db"
    result = newsarchive_import(source, "-d", archive, "--processes", 0, "--copy")
    assert result.exit_code == 0, result.output
    plain = tmp_path / "plain.db"
    assert newsarchive_import(source, "-d", plain, "--processes", 0).exit_code == 0
    shutil.rmtree(source)
    pointers = {r["warc_file"] for r in Database(archive)["articles"].rows}
    assert pointers and all(p.startswith("archive.db-warc/") for p in pointers)
    reparsed = CliRunner().invoke(cli, ["reparse", "-d", str(archive), "--processes", "0"])
    assert reparsed.exit_code == 0, reparsed.output
    count = Database(archive)["articles"].count
    assert f"re-parsed {count} articles: 0 changed" in reparsed.output
    assert count == Database(plain)["articles"].count >= 10


# -- bad input ---------------------------------------------------------------------------------------------


def bad_input_warc(path: Path) -> tuple[Path, dict]:
    """A .warc.gz of good articles among records that hold none: a dns: record, a PNG, a PNG
    said to be HTML, an HTML page said to be a binary file and one with no Content-Type, a
    header in Latin-1; then a record overwritten in the middle and the last one cut short."""
    pages = on_sites(article_pages())[:6]
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=True, warc_version="1.0")
    offsets = []

    def add(write):
        offsets.append(buffer.tell())
        write()

    add(lambda: write_response(writer, pages[0].url, pages[0].body, pages[0].headers, MAY_1))
    dns = writer.create_warc_record("dns:www.news1.example", "resource", payload=io.BytesIO(b"1.2.3.4"),
                                    warc_content_type="text/dns", warc_headers_dict={"WARC-Date": warc_date(MAY_1)})
    add(lambda: writer.write_record(dns))
    add(lambda: write_response(writer, "https://img.example/a.png", png, [("Content-Type", "image/png")], MAY_1))
    add(lambda: write_response(writer, "https://img.example/b.html", png, [("Content-Type", "text/html")], MAY_1))
    add(lambda: write_response(writer, pages[1].url, pages[1].body, [("Content-Type", "application/octet-stream")], MAY_1))
    add(lambda: write_response(writer, pages[2].url, pages[2].body, [], MAY_1))
    # Header bytes in Latin-1, as some servers send them (no writer writes these).
    latin1 = (b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nX-Caf\xe9: cr\xe8me br\xfbl\xe9e\r\n"
              b"Content-Length: %d\r\n\r\n" % len(pages[3].body)) + pages[3].body
    add(lambda: buffer.write(raw_response_record(pages[3].url, latin1, MAY_1)))
    add(lambda: write_response(writer, pages[4].url, pages[4].body, pages[4].headers, MAY_1))  # overwritten below
    add(lambda: write_response(writer, pages[5].url, pages[5].body, pages[5].headers, MAY_1))
    add(lambda: write_response(writer, pages[0].url.replace("newsroom0", "newsroom9"), pages[0].body, pages[0].headers, MAY_1))
    data = bytearray(buffer.getvalue())
    damaged_at = offsets[7]
    data[damaged_at + 40:damaged_at + 240] = b"\x00" * 200
    cut = offsets[-1] + (len(data) - offsets[-1]) // 2
    path.write_bytes(bytes(data[:cut]))
    expected_articles = {pages[0].url, pages[1].url, pages[2].url, pages[3].url, pages[5].url}
    return path, {"articles": expected_articles}


def test_bad_input_is_counted_and_skipped_never_stopping_the_import(tmp_path):
    warc, expected = bad_input_warc(tmp_path / "bad.warc.gz")
    good = cc_news_warc(tmp_path / "good.warc.gz", on_sites(article_pages())[6:9], MAY_1)
    missing = tmp_path / "gone.warc.gz"
    archive = tmp_path / "archive.db"
    result = CliRunner().invoke(cli, ["import", str(warc), str(missing), str(good), "-d", str(archive),
                                      "--processes", "0"])
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert result.output.splitlines()[0] == f"{missing}: no such file or directory"
    urls = {r["url"] for r in Database(archive)["articles"].rows}
    assert expected["articles"] <= urls
    assert len(urls) == len(expected["articles"]) + 3
    skipped = next(line for line in result.output.splitlines() if line.startswith("skipped: "))
    assert "not_http 1" in skipped and "not_html 2" in skipped
    assert "damaged: 2 byte ranges" in result.output


def test_payloads_over_the_size_cap_are_skipped(tmp_path):
    pages = on_sites(article_pages())[:3]
    big = Page(pages[1].url, pages[1].body.replace(b"</body>", b"<!--" + b"x" * 200_000 + b"--></body>"),
               pages[1].headers)
    warc = cc_news_warc(tmp_path / "a.warc.gz", [pages[0], big, pages[2]], MAY_1)
    archive = tmp_path / "archive.db"
    summary = run_import([warc], str(archive), filters=ImportFilters(), max_page_bytes=100_000)
    assert summary.skipped["too_large"] == 1
    assert {r["url"] for r in Database(archive)["articles"].rows} == {pages[0].url, pages[2].url}


def test_import_refuses_another_programs_file_and_creates_an_archive_only_where_none_is(tmp_path):
    import sqlite3

    warc = cc_news_warc(tmp_path / "a.warc.gz", article_pages()[:2], MAY_1)
    foreign = tmp_path / "notes.db"
    conn = sqlite3.connect(foreign)
    conn.execute("create table articles (id integer primary key, title text)")
    conn.commit()
    conn.close()
    before = foreign.read_bytes()
    result = newsarchive_import(warc, "-d", foreign, "--processes", 0)
    assert result.exit_code == 1 and "not a newsarchive archive" in result.output
    assert foreign.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.warc.gz", "notes.db"]
    nothing = newsarchive_import(tmp_path / "none.warc.gz", "-d", tmp_path / "new.db")
    assert nothing.exit_code == 1 and not (tmp_path / "new.db").exists()


def test_chunked_and_compressed_bodies_are_decoded(tmp_path):
    page = next(p for p in article_pages() if b"Shougang" in p.body)
    body = gzip.compress(page.body)
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 1000]), body[i:i + 1000]) for i in range(0, len(body), 1000))
    chunked += b"0\r\n\r\n"
    headers = [("Content-Type", "text/html; charset=utf-8"), ("Content-Encoding", "gzip"),
               ("Transfer-Encoding", "chunked")]
    warc = tmp_path / "chunked.warc.gz"
    with open(warc, "wb") as fh:
        write_response(WARCWriter(fh, gzip=True), page.url, chunked, headers, MAY_1)
    archive = tmp_path / "archive.db"
    result = newsarchive_import(warc, "-d", archive, "--processes", 0)
    assert result.exit_code == 0 and "1 new" in result.output, result.output
    assert "Shougang" in rows(Database(archive), "select body from articles")[0]["body"]


@pytest.mark.parametrize("version", ["0.17", "0.18", "1.0", "1.1"])
def test_every_warc_version_is_read_compressed_or_not(tmp_path, version):
    pages = on_sites(article_pages())[:3]

    def http(page: Page) -> bytes:
        return b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + page.body

    for compress, name in ((True, "a.warc.gz"), (False, "a.warc")):
        (tmp_path / name).write_bytes(b"".join(
            raw_response_record(p.url, http(p), MAY_1, version=version, compress=compress) for p in pages))
        archive = tmp_path / f"{name}.db"
        result = newsarchive_import(tmp_path / name, "-d", archive, "--processes", 0)
        assert result.exit_code == 0 and "articles: 3 new" in result.output, result.output


def test_copy_into_a_capture_directory_that_cannot_be_one_is_one_line_and_creates_nothing(tmp_path):
    warc = cc_news_warc(tmp_path / "a.warc.gz", article_pages()[:2], MAY_1)
    (tmp_path / "archive.db-warc").write_text("a file where the capture directory would go")
    result = newsarchive_import(warc, "-d", tmp_path / "archive.db", "--processes", 0, "--copy")
    assert result.exit_code == 1
    assert result.output.strip() == f"Error: capture directory is not a directory: {tmp_path / 'archive.db-warc'}"
    assert not (tmp_path / "archive.db").exists()
