"""Which of two copies of one text the archive keeps as the article does not depend on the
order a crawl meets them in (concurrent downloads, extraction workers and resumed runs meet
pages in no chosen order): the one published first; the other, and every copy recorded of
it, become its duplicates. Copies of one moment stay as met (the first is the original)."""

from __future__ import annotations

import itertools

from sqlite_utils import Database

from archive.store import Archive
from tests.conftest import LOREM, make_record

BODY = LOREM + "\n\n" + LOREM.replace("Tuesday", "Thursday")


def stored(path, records) -> dict:
    with Archive(path, create=True) as archive:
        for record in records:
            archive.store(record)
    db = Database(path)
    return {
        "articles": sorted(r["url"] for r in db.query("select url from articles")),
        "duplicates": sorted((r["url"], r["original"], r["reason"]) for r in db.query(
            "select d.url, a.url as original, d.reason from duplicates d join articles a on a.id = d.article_id")),
        "urls": sorted((r["url_key"], r["original"]) for r in db.query(
            "select u.url_key, a.url as original from article_urls u join articles a on a.id = u.article_id")),
    }


def test_the_original_of_copies_is_the_same_whatever_order_they_are_stored_in(tmp_path):
    records = [
        make_record(url="https://www.example.com/news/b-copy.html", body=BODY, published="2024-11-18T10:00:00+08:00"),
        # Published at the same moment as the copy above (another offset): later than the original.
        make_record(url="https://www.example.com/news/a-first.html", body=BODY, published="2024-11-17T09:00:00+08:00"),
        make_record(url="https://other.example.org/syndicated.html", body=BODY, published="2024-11-18T04:00:00+00:00"),
        # Near the same text: an edited copy.
        make_record(url="https://www.example.com/news/c-edited.html", published="2024-11-19T08:00:00+08:00",
                    body=BODY.replace("transport experts", "transport specialists")),
    ]
    outcomes = {}
    for n, order in enumerate(itertools.permutations(records)):
        outcomes[n] = stored(tmp_path / f"archive-{n}.db", order)
    first = outcomes[0]
    assert first["articles"] == ["https://www.example.com/news/a-first.html"]
    assert {url for url, original, _ in first["duplicates"]} == {
        "https://www.example.com/news/b-copy.html", "https://other.example.org/syndicated.html",
        "https://www.example.com/news/c-edited.html"}
    assert all(original == "https://www.example.com/news/a-first.html" for _, original, _ in first["duplicates"])
    assert all(outcome == first for outcome in outcomes.values())


def test_a_copy_met_again_stays_a_copy_and_an_article_with_revisions_stays_the_original(tmp_path):
    path = tmp_path / "archive.db"
    later = make_record(url="https://www.example.com/news/z-later.html", body=BODY, published="2024-11-18T10:00:00+08:00")
    with Archive(path, create=True) as archive:
        archive.store(later)
        archive.store({**later, "title": "Council approves transport plan (updated)"})  # a revision
        earlier = make_record(url="https://www.example.com/news/a-earlier.html", body=BODY,
                              published="2024-11-17T10:00:00+08:00")
        assert archive.store(earlier).outcome == "duplicate"  # the revised article keeps its place
        assert archive.store(earlier).outcome == "duplicate"
    db = Database(path)
    assert [r["url"] for r in db.query("select url from articles")] == [later["url"]]
