"""Captures in real crawls: rotation, turning them off, and the settings a crawl refuses at
start in one line (an unwritable capture directory, unreadable policies and times)."""

from __future__ import annotations

import json
import os
import shutil

import pytest
from click.testing import CliRunner
from sqlite_utils import Database

from archive.warc import read_capture, locate, scan
from crawler.cli import cli
from tests.conftest import scrapy_crawl

pytestmark = pytest.mark.subprocess

@pytest.fixture(scope="module")
def rotated(tmp_path_factory):
    """A crawl whose captures go to a directory of their own, outside the archive's, in
    files of at most 20 KB: (archive, capture directory). Tests that change the captures
    work on a copy."""
    tmp = tmp_path_factory.mktemp("rotated")
    (tmp / "db").mkdir()
    archive, captures = tmp / "db" / "archive.db", tmp / "captures"
    scrapy_crawl(archive, f"CAPTURE_DIR={captures}", "CAPTURE_MAX_FILE_SIZE=20000", "CAPTURE_FILE_PREFIX=ecns-test")
    return archive, captures


def test_capture_files_rotate_by_size_and_every_pointer_stays_valid(rotated):
    archive, captures = rotated
    files = sorted(captures.iterdir())
    assert len(files) >= 4 and all(f.name.startswith("ecns-test-") and f.name.endswith(".warc.gz") for f in files)
    assert all(scan(f).ok and scan(f).records[0]["type"] == "warcinfo" for f in files)
    rows = list(Database(archive)["articles"].rows)
    assert len({r["warc_file"] for r in rows}) >= 3
    for row in rows:
        # Outside the archive's directory: the pointer is an absolute path.
        assert os.path.isabs(row["warc_file"])
        assert read_capture(locate(row["warc_file"], archive), row["warc_offset"], row["warc_record_id"]).url == row["url"]


def test_captures_can_be_turned_off(tmp_path):
    archive = tmp_path / "archive.db"
    scrapy_crawl(archive, "CAPTURE_ENABLED=False")
    assert not (tmp_path / "archive.db-warc").exists()
    rows = list(Database(archive)["articles"].rows)
    assert rows and all(r["warc_file"] is None and r["warc_offset"] is None for r in rows)
    result = CliRunner().invoke(cli, ["reparse", "--archive", str(archive)])
    assert result.exit_code == 0 and "articles without a capture (archived before captures were kept): 16" in result.output


@pytest.mark.parametrize(
    "setting, message",
    [
        ("CAPTURE_DIR={file}/captures", "cannot create capture directory"),
        ("CAPTURE_DIR={file}", "capture directory is not a directory"),
        ("INCREMENTAL_REVISIT=2 days", "INCREMENTAL_REVISIT: revisit tier '2 days' is not AGE:EVERY"),
        ("INCREMENTAL_RETRY_FAILED=soon", "INCREMENTAL_RETRY_FAILED: not a duration: 'soon'"),
        ("CRAWL_NOW=yesterday", "CRAWL_NOW is not an ISO 8601 time"),
        ("REPLAY_WARC={file}.missing", "REPLAY_WARC does not exist"),
    ],
)
def test_unusable_settings_fail_at_start_in_one_line(tmp_path, setting, message):
    a_file = tmp_path / "notes.txt"
    a_file.write_text("not a directory")
    archive = tmp_path / "archive.db"
    proc = scrapy_crawl(archive, setting.format(file=a_file), check=False)
    assert proc.returncode == 2, proc.stderr[-2000:]
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and message in errors[0], proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    assert not archive.exists()  # nothing was started


def test_read_only_capture_directory_fails_at_start(tmp_path, unwritable_dir):
    proc = scrapy_crawl(tmp_path / "archive.db", f"CAPTURE_DIR={unwritable_dir}", check=False)
    assert proc.returncode == 2 and "error: capture directory is not writable" in proc.stderr


def test_stats_and_crawl_row_count_captures(ecns_crawl):
    archive, values = ecns_crawl.archive, ecns_crawl.stats  # the session's crawl (conftest.py)
    # Every response, robots.txt and each retry of the 500 included.
    assert values["capture/records"] == values["downloader/response_count"] and values["capture/files"] == 1
    (run,) = Database(archive)["crawls"].rows
    assert run["pages"] == values["downloader/response_count"]
    assert json.loads(run["dropped"]) == {"missing_body": 1, "not_html": 1, "truncated": 1}
    assert json.loads(run["errors"])["http_500"] == 1
    assert run["outcome"] == "finished" and json.loads(run["stats"])["store/new"] == 16


def test_replay_from_captures_with_a_damaged_file_uses_its_good_records(rotated, tmp_path):
    captures = tmp_path / "captures"
    shutil.copytree(rotated[1], captures)
    files = sorted(captures.iterdir())
    assert len(files) >= 2
    damaged = files[-1]
    good = scan(damaged).records
    with damaged.open("r+b") as fh:
        fh.truncate(damaged.stat().st_size - 50)  # cut inside the last record, as a crash would
    after = scan(damaged)
    assert not after.ok and len(after.records) == len(good) - 1
    proc = scrapy_crawl(tmp_path / "replayed.db", f"REPLAY_WARC={captures}", "CAPTURE_ENABLED=False", replay=None,
                        log_level="INFO", stats=True)
    assert "Damaged capture file" in proc.stderr and f"at offset {after.damaged[0].offset}" in proc.stderr
    stats = proc.stats
    assert stats["replay/warc_damaged"] == 1 and stats["store/new"] >= 15
