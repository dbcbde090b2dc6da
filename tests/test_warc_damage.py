"""One damaged capture record costs that record only: a crawl's WARC file with 200 bytes
zeroed a third of the way in is read past the damage by `check-captures`, a rebuild from the
captures (REPLAY_WARC) and `reparse`, each reporting the damage by offset and length, never
by its bytes."""

from __future__ import annotations

import re
import shutil

import pytest
from click.testing import CliRunner
from sqlite_utils import Database

from archive.warc import scan
from crawler.cli import cli
from tests.conftest import copy_crawl, scrapy_crawl

pytestmark = pytest.mark.subprocess

PRINTABLE = re.compile(r"[\x20-\x7e\n]*")


@pytest.fixture(scope="module")
def damaged(tmp_path_factory, ecns_crawl):
    """A crawl of the ECNS recordings, its one capture file damaged: 200 bytes zeroed a third
    of the way in (or, if that byte is not in an article page's response record, at the
    next one, so an article is lost). Returns the directory, the file's records before the
    damage and those the damage changed."""
    tmp = tmp_path_factory.mktemp("damaged")
    copy_crawl(ecns_crawl.archive, tmp / "archive.db")  # the session's crawl (conftest.py)
    (path,) = (tmp / "archive.db-warc").iterdir()
    records = scan(path).records
    for record, end in zip(records, [r["offset"] for r in records[1:]] + [path.stat().st_size]):
        record["end"] = end
    articles = {r["url"] for r in Database(tmp / "archive.db")["articles"].rows}
    assert len(articles) == 16
    data = path.read_bytes()
    third = len(data) // 3
    target = next(r for r in records if r["type"] == "response" and r["url"] in articles
                  and r["end"] > third + 200)
    start = max(third, target["offset"] + 20)
    damaged_data = data[:start] + b"\0" * 200 + data[start + 200:]
    path.write_bytes(damaged_data)
    hit = [r for r in records if data[r["offset"]:r["end"]] != damaged_data[r["offset"]:r["end"]]]
    assert target in hit and hit[0]["offset"] <= start < hit[-1]["end"]
    return {"dir": tmp, "file": path, "records": records, "hit": hit, "articles": articles, "start": start}


def test_check_captures_reports_the_damaged_range_and_reads_on(damaged):
    result = CliRunner().invoke(cli, ["check-captures", str(damaged["dir"] / "archive.db-warc")])
    assert result.exit_code == 1
    assert PRINTABLE.fullmatch(result.output), "raw bytes printed"
    lines = result.output.splitlines()
    hit, records = damaged["hit"], damaged["records"]
    first, end = hit[0]["offset"], hit[-1]["end"]
    assert any(r["offset"] >= end for r in records)  # there are records after the damage
    # Every record but those hit is read, those after the damage included.
    good = len(records) - len(hit)
    assert lines[0] == f"DAMAGED  {damaged['file']}: {good} good records, 1 damaged range ({end - first} bytes)"
    assert re.fullmatch(rf" +{end - first} bytes at offset {first} "
                        r"\(gzip (data does not decompress|checksum does not match: bytes changed)\)", lines[1])
    assert lines[2:] == ["1 files, 1 damaged"]
    assert [r["offset"] for r in scan(damaged["file"]).records] == [r["offset"] for r in records if r not in hit]


def test_a_rebuild_from_the_captures_recovers_every_article_whose_record_is_intact(damaged, tmp_path):
    lost = {r["url"] for r in damaged["hit"] if r["type"] == "response"}
    good_responses = {r["url"] for r in damaged["records"] if r["type"] == "response" and r not in damaged["hit"]}
    expected = damaged["articles"] - (lost - good_responses)
    assert len(expected) == 15
    proc = scrapy_crawl(tmp_path / "rebuilt.db", f"REPLAY_WARC={damaged['dir'] / 'archive.db-warc'}",
                        "CAPTURE_ENABLED=False", replay=None)
    rebuilt = {r["url"] for r in Database(tmp_path / "rebuilt.db")["articles"].rows}
    assert rebuilt == expected
    warning = next(line for line in proc.stderr.splitlines() if "Damaged capture file" in line)
    assert f"at offset {damaged['hit'][0]['offset']}" in warning and PRINTABLE.fullmatch(warning)


def test_reparse_fails_and_says_first_how_many_captures_could_not_be_read(damaged, tmp_path):
    shutil.copy(damaged["dir"] / "archive.db", tmp_path / "archive.db")
    shutil.copytree(damaged["dir"] / "archive.db-warc", tmp_path / "archive.db-warc")
    lost = {r["offset"] for r in damaged["hit"] if r["type"] == "response"}
    rows = {r["warc_offset"]: r["id"] for r in Database(tmp_path / "archive.db")["articles"].rows}
    (article,) = [rows[offset] for offset in lost if offset in rows]
    result = CliRunner().invoke(cli, ["reparse", "--archive", str(tmp_path / "archive.db")])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == "1 capture could not be read: 1 article left as it was"
    assert lines[1].startswith(f"  article {article}: damaged record at offset {min(lost)} of ")
    assert lines[2] == "re-parsed 15 of 16 articles: 0 changed (0 with a new revision, 0 updated in place), 15 unchanged"
    assert PRINTABLE.fullmatch(result.stdout), "raw bytes printed"
