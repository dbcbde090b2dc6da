"""The record, defined once (archive/record.py): the Article item, the archive's columns and
the extractor's fields all come from it, and a record stored as a row reads back the same."""

from __future__ import annotations

import dataclasses
import json
import typing

import pytest
from itemadapter import ItemAdapter
from sqlite_utils import Database

from archive import record as rec
from archive.store import Archive
from tests.conftest import make_record

PROFILE = {f: "profile:ecns" for f in ("title", "body", "published", "updated", "source", "authors", "editor",
                                        "language", "canonical_url", "related_heading", "related", "copyright")}
GENERIC = {
    "language": "html", "title": "og", "canonical_url": "link", "body": "trafilatura+clean",
    "published": "htmldate", "source": "dateline", "related": "generic", "related_heading": "generic",
    "copyright": "generic",
}


def test_a_record_stored_as_a_row_reads_back_the_same():
    record = make_record(canonical_url="https://www.example.com/news/2024/a.html", updated="2024-11-19T08:00:00+08:00",
                         extraction=GENERIC, fetched_at="2024-11-20T00:00:00+00:00",
                         warc={"file": "a.warc.gz", "offset": 1234, "record_id": "<urn:uuid:1>"})
    row = rec.record_to_row(record)
    assert set(row) == set(rec.RECORD_COLUMNS) | {"extraction", "fetched_at", "warc_file", "warc_offset",
                                                    "warc_record_id"}
    assert json.loads(row["authors"]) == ["Zhang Wei"] and json.loads(row["copyright_years"]) == [1999, 2024]
    assert (row["warc_file"], row["warc_offset"], row["warc_record_id"]) == ("a.warc.gz", 1234, "<urn:uuid:1>")
    assert rec.extraction_methods(row["extraction"]) == GENERIC
    back = rec.row_to_record({**row, "id": 7, "first_seen": "f", "last_seen": "l"}, record["related"])
    assert tuple(back) == rec.ARCHIVED_FIELDS
    assert {name: back[name] for name in rec.RECORD_FIELDS} == {name: record.get(name) for name in rec.RECORD_FIELDS}
    assert (back["id"], back["first_seen"], back["last_seen"]) == (7, "f", "l")


def test_an_empty_record_reads_back_empty():
    row = rec.record_to_row({"url": "https://example.com/a", "site": "example.com"})
    back = rec.row_to_record({**row, "id": 1})
    assert back["authors"] == [] and back["related"] == [] and back["copyright"] is None and back["title"] is None
    with pytest.raises(KeyError):
        rec.record_to_row({"site": "example.com"})


def test_the_article_item_has_the_record_fields_and_the_capture():
    from crawler.items import Article

    names = [f.name for f in dataclasses.fields(Article)]
    assert set(names) == set(rec.RECORD_FIELDS) | {f.name for f in rec.CAPTURE} | {"dedupe"}
    with pytest.raises(TypeError):
        Article(title="no url, no site")
    item = Article(url="https://example.com/a", site="example.com")
    assert item.authors == [] and item.related == [] and item.extraction == {} and item.copyright is None
    other = Article(url="https://example.com/b", site="example.com")
    other.authors.append("Li Yan")
    assert item.authors == []  # each item its own list
    assert typing.get_type_hints(Article)["authors"] == list[str]
    adapter = ItemAdapter(Article(**make_record()))
    assert adapter["title"] == "Council approves transport plan" and set(adapter.field_names()) == set(names)


def test_the_extractor_fills_the_extraction_fields():
    from crawler.extraction.cascade import FIELDS

    assert tuple(FIELDS) == rec.EXTRACTION_FIELDS
    assert set(rec.EXTRACTION_FIELDS) == set(rec.RECORD_FIELDS) - {"url", "site"}


def test_the_archive_has_a_column_for_every_record_column(archive_path):
    """The definition against the tables the migrations (archive/schema.py) make."""
    Archive(archive_path, create=True).close()
    db = Database(archive_path)
    articles = set(db["articles"].columns_dict)
    assert set(rec.RECORD_COLUMNS) <= articles
    assert set(rec.record_to_row(make_record())) <= articles
    assert set(rec.REVISION_COLUMNS) <= set(db["revisions"].columns_dict)
    assert rec.REVISION_COLUMNS == ("title", "body", "published", "updated", "source", "authors", "editor")
    db.close()


def test_extraction_round_trip():
    for methods in (PROFILE, GENERIC, {"title": "h1"}, {}, {**PROFILE, "body": "trafilatura"},
                    {"title": "og", "x": "y"}):
        stored = rec.compact_extraction(methods)
        assert rec.extraction_methods(stored) == methods
        assert len(stored) <= len(json.dumps(methods, separators=(",", ":")))
    assert rec.compact_extraction(PROFILE) == '{"*":"profile:ecns"}'
    assert rec.compact_extraction(None) is None and rec.extraction_methods(None) is None
