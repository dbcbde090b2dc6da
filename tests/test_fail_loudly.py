"""Failing loudly and touching nothing that is not ours: a crawl that cannot write exits
non-zero, another program's SQLite file is refused by every command and left byte-identical,
a user's mistake gets one line and a non-zero exit (never a traceback), readers work on
read-only media, and the small holes (paths outside the fixtures folder, overwritten
recordings, one archive under two names) are closed."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlite_utils import Database

from archive.identity import APPLICATION_ID
from archive.lock import ArchiveLocked, lock_archive
from crawler.cli import cli
from tests.conftest import ROOT, copy_crawl, scrapy_crawl, scrapy_crawl_command

NEWSARCHIVE = [sys.executable, "-c", "from crawler.cli import main; main()"]


@pytest.fixture
def archive_copy(ecns_crawl, tmp_path) -> Path:
    """A copy of the recorded ECNS site crawled once for the session (conftest.py)."""
    return copy_crawl(ecns_crawl.archive, tmp_path / "archive.db")


def listing(directory: Path) -> dict[str, str]:
    """Every file under `directory` with the sha1 of its bytes."""
    return {str(p.relative_to(directory)): hashlib.sha1(p.read_bytes()).hexdigest()
            for p in sorted(directory.rglob("*")) if p.is_file()}


def newsarchive(*args, timeout=120) -> subprocess.CompletedProcess:
    return subprocess.run([*NEWSARCHIVE, *map(str, args)], cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def one_line_error(proc: subprocess.CompletedProcess, *, code: int = 1) -> str:
    """The command failed with `code`, saying why in one line and no traceback."""
    assert proc.returncode == code, (proc.returncode, proc.stdout[-2000:], proc.stderr[-2000:])
    assert "Traceback" not in proc.stderr + proc.stdout, proc.stderr[-3000:]
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    return lines[0]


HOLD_SQLITE_LOCK = textwrap.dedent(
    """
    import sqlite3, sys, time
    conn = sqlite3.connect(sys.argv[1], isolation_level=None)
    conn.execute("BEGIN EXCLUSIVE")
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
    conn.execute("ROLLBACK")
    """
)


def hold_sqlite_lock(path: Path, seconds: float) -> subprocess.Popen:
    """Another program holding SQLite's write lock on `path` (as a `sqlite3` shell with
    BEGIN EXCLUSIVE does) for `seconds`."""
    holder = subprocess.Popen([sys.executable, "-c", HOLD_SQLITE_LOCK, str(path), str(seconds)],
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "locked"
    return holder


def run_on_read_only_mount(directory: Path, script: str, timeout: float = 180) -> subprocess.CompletedProcess:
    """`script` (sh) run with `directory` bind-mounted read-only over itself, in a mount
    namespace of its own (`unshare -m`, as root: how CI runs)."""
    assert os.geteuid() == 0 and shutil.which("unshare"), \
        "this test needs root and util-linux's unshare to mount a directory read-only (CI runs as root)"
    mount = f"mount --bind {directory} {directory} && mount -o remount,bind,ro {directory}"
    proc = subprocess.run(["unshare", "-m", "sh", "-c", f"{mount} && {script}"], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)
    assert "mount:" not in proc.stderr, f"cannot mount read-only here: {proc.stderr}"
    return proc


def integrity_ok(path: Path) -> bool:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return conn.execute("pragma integrity_check").fetchone()[0] == "ok"
    finally:
        conn.close()


# -- 1. a crawl that cannot write exits non-zero ---------------------------------------------------


@pytest.mark.subprocess
def test_crawl_into_a_read_only_archive_file_exits_2_in_one_line(archive_copy):
    before = listing(archive_copy.parent)
    if os.geteuid() == 0:
        subprocess.run(["chattr", "+i", str(archive_copy)], check=True)  # root ignores permission bits
    else:
        archive_copy.chmod(0o444)
    try:
        proc = scrapy_crawl(archive_copy, "INCREMENTAL_ENABLED=False", check=False)
    finally:
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-i", str(archive_copy)], check=True)
    line = one_line_error(proc, code=2)
    assert line == f"error: archive {archive_copy} is read-only (its permissions or an immutable flag): it cannot be written"
    assert listing(archive_copy.parent) == before


@pytest.mark.subprocess
def test_crawl_into_an_archive_on_a_read_only_mount_exits_2_in_one_line(archive_copy):
    before = listing(archive_copy.parent)
    command = " ".join(scrapy_crawl_command(archive_copy))
    proc = run_on_read_only_mount(archive_copy.parent, command)
    line = one_line_error(proc, code=2)
    assert line.startswith(f"error: archive {archive_copy} is on a read-only file system")
    assert listing(archive_copy.parent) == before


@pytest.mark.subprocess
def test_crawl_waits_for_another_programs_lock_then_stops_naming_it(archive_copy):
    holder = hold_sqlite_lock(archive_copy, 30)
    try:
        started = time.monotonic()
        proc = scrapy_crawl(archive_copy, "ARCHIVE_LOCK_TIMEOUT=1.5", check=False)
        waited = time.monotonic() - started
    finally:
        holder.kill()
        holder.wait()
    line = one_line_error(proc, code=2)
    assert line.startswith(f"error: archive {archive_copy} is locked by another program (pid {holder.pid}")
    assert "still locked after waiting 1.5 s" in line
    assert waited >= 1.5
    assert Database(archive_copy).execute("select count(*) from crawls").fetchone()[0] == 1  # no new run


@pytest.mark.subprocess
def test_a_storage_error_mid_crawl_stops_it_records_it_and_exits_1(tmp_path):
    """The archive becomes unwritable (another program takes SQLite's lock for longer than
    ARCHIVE_LOCK_TIMEOUT) while the crawl runs: it closes as `archive_error`, says so once,
    records the run when the lock is gone, exits 1; a rerun completes the archive."""
    archive = tmp_path / "archive.db"
    crawl = subprocess.Popen(
        scrapy_crawl_command(archive, "REPLAY_DELAY=0.25", "ARCHIVE_LOCK_TIMEOUT=1", "ARCHIVE_BATCH_SIZE=1",
                             "CONCURRENT_REQUESTS=2"),
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # a few articles in, then the lock
        if archive.exists() and Database(archive).execute("select count(*) from articles").fetchone()[0] >= 2:
            break
        time.sleep(0.1)
    holder = hold_sqlite_lock(archive, 2.5)
    _, stderr = crawl.communicate(timeout=120)
    holder.wait()
    assert crawl.returncode == 1, stderr[-3000:]
    assert "Traceback" not in stderr
    stops = [line for line in stderr.splitlines() if "Stopping the crawl" in line]
    assert len(stops) == 1 and f"locked by another program (pid {holder.pid}" in stops[0]
    db = Database(archive)
    run = db.execute("select outcome, finished from crawls").fetchone()
    assert run[0] == "archive_error" and run[1]
    stored = db.execute("select count(*) from articles").fetchone()[0]
    assert 2 <= stored < 16
    assert db.execute("select count(*) from failed_urls where reason like '%archive%'").fetchone()[0] == 0
    assert integrity_ok(archive)
    scrapy_crawl(archive)  # the next run fetches what was not stored
    assert Database(archive).execute("select count(*) from articles").fetchone()[0] == 16


# -- 2. never modify a file that is not an archive ----------------------------------------------------


def foreign_files(directory: Path) -> list[Path]:
    """SQLite files of other programs: one with its own `articles` table, one in WAL mode,
    one with an application_id of its own, and an empty file."""
    made = []
    for name, setup in (
        ("notes.db", ["create table articles (id integer primary key, title text, body text)",
                      "insert into articles (title, body) values ('mine', 'not yours')"]),
        ("wal.db", ["pragma journal_mode=wal", "create table t (x)", "insert into t values (1)"]),
        ("app.db", ["pragma application_id=1234", "create table t (x)"]),
    ):
        conn = sqlite3.connect(directory / name)
        for sql in setup:
            conn.execute(sql)
        conn.commit()
        conn.close()
        made.append(directory / name)
    (directory / "empty.db").touch()
    made.append(directory / "empty.db")
    return made


@pytest.mark.subprocess
@pytest.mark.parametrize("command", [
    ["crawl"], ["reparse"], ["compact"], ["crawls"], ["search", "Shougang"], ["show", "1"], ["stats"],
    ["export"], ["serve"],
])
def test_another_programs_sqlite_file_is_refused_and_left_byte_identical(tmp_path, command):
    files = foreign_files(tmp_path)
    before = listing(tmp_path)
    for path in files:
        if command == ["crawl"]:
            proc = scrapy_crawl(path, check=False)
            code = 2
        else:
            proc = newsarchive(command[0], "--archive", path, *command[1:])
            code = 1
        line = one_line_error(proc, code=code)
        assert "not a newsarchive archive" in line, line
        assert "migrat" not in line  # never the advice to open it for writing
    assert listing(tmp_path) == before  # byte-identical, and no -wal, -shm, -lock or -warc beside them


@pytest.mark.subprocess
def test_commands_other_than_a_crawl_never_create_an_archive(tmp_path):
    for command in (["reparse"], ["compact"], ["crawls"], ["stats"], ["search", "x"], ["serve"]):
        proc = newsarchive(command[0], "--archive", tmp_path / "typo.db", *command[1:])
        assert one_line_error(proc) == f"Error: archive does not exist: {tmp_path / 'typo.db'}"
    assert list(tmp_path.iterdir()) == []


@pytest.mark.subprocess
def test_a_crawl_creates_a_marked_archive_only_where_no_file_is(tmp_path):
    archive = tmp_path / "new.db"
    scrapy_crawl(archive)
    assert Database(archive).execute("pragma application_id").fetchone()[0] == APPLICATION_ID
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.db", "new.db-lock", "new.db-warc"]


# -- 3. no traceback where the user made a mistake ---------------------------------------------------


@pytest.mark.subprocess
def test_export_into_a_missing_directory_is_one_line(archive_copy, tmp_path):
    proc = newsarchive("export", "--archive", archive_copy, "-o", tmp_path / "nowhere" / "out.jsonl")
    assert one_line_error(proc) == f"Error: cannot write {tmp_path / 'nowhere' / 'out.jsonl'}: directory {tmp_path / 'nowhere'} does not exist"


@pytest.mark.subprocess
def test_readers_work_on_a_read_only_mount(archive_copy):
    """The README's promise: the CLI, sqlite-utils and Datasette read an archive on a
    read-only mount (a crawl leaves it out of WAL mode when no reader is open)."""
    sqlite_utils = Path(sys.executable).parent / "sqlite-utils"
    datasette_check = (
        f"{sys.executable} -c \"import asyncio; from datasette.app import Datasette; "
        f"ds = Datasette([{str(archive_copy)!r}]); "
        "r = asyncio.run(ds.client.get('/archive/articles.json?_search=Shougang&_shape=array')); "
        "print('datasette', r.status_code, [row['title'] for row in r.json()])\""
    )
    proc = run_on_read_only_mount(archive_copy.parent, " && ".join([
        f"{' '.join(NEWSARCHIVE[:2])} '{NEWSARCHIVE[2]}' crawls --archive {archive_copy}",
        f"{' '.join(NEWSARCHIVE[:2])} '{NEWSARCHIVE[2]}' search Shougang --archive {archive_copy}",
        f"{sqlite_utils} search {archive_copy} articles Shougang -c title",
        datasette_check,
    ]))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "finished" in proc.stdout  # the crawls table
    assert proc.stdout.count("Zhongguancun, Shougang join hands on industrial platform") == 3
    assert "datasette 200 ['Zhongguancun, Shougang join hands on industrial platform']" in proc.stdout


def test_serve_opens_an_unwritable_archive_immutable():
    from archive.cli import datasette_args

    assert "--immutable" in datasette_args("a.db", immutable=True)
    assert "--immutable" not in datasette_args("a.db")


@pytest.mark.subprocess
def test_compact_of_a_read_only_file_is_one_line(archive_copy):
    if os.geteuid() == 0:
        subprocess.run(["chattr", "+i", str(archive_copy)], check=True)
    else:
        archive_copy.chmod(0o444)
    try:
        proc = newsarchive("compact", "--archive", archive_copy)
    finally:
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-i", str(archive_copy)], check=True)
    assert "is read-only" in one_line_error(proc)


@pytest.mark.subprocess
def test_reparse_while_another_program_holds_the_write_lock_is_one_line(archive_copy):
    holder = hold_sqlite_lock(archive_copy, 30)
    try:
        proc = newsarchive("reparse", "--archive", archive_copy, "--lock-timeout", "1")
    finally:
        holder.kill()
        holder.wait()
    line = one_line_error(proc)
    assert f"is locked by another program (pid {holder.pid}" in line
    assert integrity_ok(archive_copy)


@pytest.mark.subprocess
def test_a_damaged_archive_is_one_line_for_every_command(archive_copy):
    # The archive's own header (its mark included), garbage after it.
    data = archive_copy.read_bytes()
    archive_copy.write_bytes(data[:100] + bytes(range(256)) * 200)
    for command in ("crawls", "compact", "serve", "stats"):
        line = one_line_error(newsarchive(command, "--archive", archive_copy))
        assert line.startswith(f"Error: cannot read archive {archive_copy}"), line


@pytest.mark.subprocess
@pytest.mark.parametrize("value, message", [
    ("abc", "ARCHIVE_BATCH_SIZE must be a whole number, not 'abc'"),
    ("0", "ARCHIVE_BATCH_SIZE must be at least 1, not '0'"),
    ("-5", "ARCHIVE_BATCH_SIZE must be at least 1, not '-5'"),
])
def test_an_unreadable_batch_size_is_refused_at_start(tmp_path, value, message):
    proc = scrapy_crawl(tmp_path / "archive.db", f"ARCHIVE_BATCH_SIZE={value}", check=False)
    assert one_line_error(proc, code=2) == f"error: {message}"
    assert list(tmp_path.iterdir()) == []


@pytest.mark.subprocess
@pytest.mark.parametrize("args, message", [
    (["max_pages=abc", "start_urls=https://www.example.com/"], "news: max_pages must be a whole number, not 'abc'"),
    (["start_urls=ftp://www.example.com/"], "news: start_urls: not an http(s) URL: 'ftp://www.example.com/'"),
    ([], "news: give -a start_urls=URL[,URL...], -a sitemap=URL or -a feed=URL"),
])
def test_bad_news_spider_arguments_are_refused_at_start(tmp_path, args, message):
    proc = scrapy_crawl(tmp_path / "archive.db", spider="news", args=args, replay=None, check=False)
    assert one_line_error(proc, code=2) == f"error: {message}"
    assert list(tmp_path.iterdir()) == []


# -- 5. pages stored as they are, or counted as failed -----------------------------------------------


@pytest.mark.subprocess
def test_a_page_over_download_maxsize_is_recorded_as_failed_and_not_fetched_again(tmp_path):
    site = tmp_path / "site"
    listing_url = "https://www.ecns.cn/news/economy/"
    big_url = "https://www.ecns.cn/news/economy/2024-11-20/detail-bigpage0001.shtml"
    for name, url, body in (
        ("listing", listing_url, f'<html><body><ul><li><a href="{big_url}">A big page</a></li></ul></body></html>'),
        ("big", big_url, "<html><body>" + "<p>padding</p>" * 5000 + "</body></html>"),
    ):
        (site / name).mkdir(parents=True)
        (site / name / "body.html").write_text(body)
        (site / name / "info.json").write_text(json.dumps(
            {"url": url, "status": 200, "headers": {"Content-Type": "text/html; charset=utf-8"}, "body": "body.html"}))
    archive = tmp_path / "archive.db"
    common = ("DOWNLOAD_MAXSIZE=20000", "CRAWL_NOW=2024-11-21T00:00:00+00:00", "ROBOTSTXT_OBEY=False")
    first = scrapy_crawl(archive, *common, replay=site, args=[f"start_urls={listing_url}", "follow_sections=0"],
                         stats=True).stats
    failed = Database(archive).execute("select url, reason from failed_urls").fetchall()
    assert failed == [(big_url, "too_big")]
    assert first["incremental/failed/too_big"] == 1
    second = scrapy_crawl(archive, *common, replay=site, args=[f"start_urls={listing_url}", "follow_sections=0"],
                          stats=True).stats
    assert second["incremental/skipped/failed"] == 1 and "replay/over_maxsize" not in second


# -- 7. small holes -----------------------------------------------------------------------------


def test_record_refuses_a_name_outside_the_fixtures_folder(tmp_path):
    fixtures = tmp_path / "fixtures"
    for name in ("../../x", "a/b", "..", "."):
        result = CliRunner().invoke(cli, ["record", "http://127.0.0.1:9/page.html", "--name", name,
                                          "--fixtures", str(fixtures)])
        assert result.exit_code == 2 and "is not a plain directory name" in result.output
    assert list(tmp_path.iterdir()) == []


def test_record_never_replaces_a_recording_without_force(tmp_path):
    import http.server
    import threading

    page = b"<html><head><title>A recorded page</title></head><body><p>Text.</p></body></html>"

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/news/story.html"
    fixtures = tmp_path / "fixtures"
    try:
        first = CliRunner().invoke(cli, ["record", url, "--name", "story", "--fixtures", str(fixtures)])
        assert first.exit_code == 0, first.output
        expected = fixtures / "127.0.0.1" / "story" / "expected.json"
        expected.write_text('{"reviewed": "by hand"}')
        again = CliRunner().invoke(cli, ["record", url, "--name", "story", "--fixtures", str(fixtures)])
        assert again.exit_code == 1 and "is already a recording" in again.output
        assert expected.read_text() == '{"reviewed": "by hand"}'
        forced = CliRunner().invoke(cli, ["record", url, "--name", "story", "--fixtures", str(fixtures), "--force"])
        assert forced.exit_code == 0 and "reviewed" not in expected.read_text()
    finally:
        server.shutdown()


@pytest.mark.subprocess
def test_two_names_of_one_archive_share_its_lock(archive_copy, tmp_path):
    other_dir = tmp_path / "elsewhere"
    other_dir.mkdir()
    hard_link = other_dir / "same.db"
    os.link(archive_copy, hard_link)
    symlink = other_dir / "also.db"
    symlink.symlink_to(archive_copy)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from archive.lock import lock_archive; "
         "lock_archive(sys.argv[1]); print('locked', flush=True); time.sleep(30)", str(archive_copy)],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        for name in (hard_link, symlink):
            with pytest.raises(ArchiveLocked, match="in use by another run"):
                lock_archive(name)
        proc = scrapy_crawl(hard_link, check=False)
        assert "is in use by another run" in one_line_error(proc, code=2)
    finally:
        holder.kill()
        holder.wait()
    with lock_archive(hard_link):  # the holder is gone: free again, under either name
        pass


# -- 8. a new user's first hour ------------------------------------------------------------------


def test_tests_read_nothing_outside_the_repository():
    """`make test` on a fresh clone with nothing beside it: no test reads the shared folder
    beside the repository (the seed text is copied into fixtures/seed/)."""
    needles = ('"' + 'shared"', "'" + "shared'", ".." + "/shared")  # not spelled out: this file would match
    for path in (ROOT / "tests").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert not any(needle in text for needle in needles), path


def test_the_user_agent_names_the_crawls_contact_not_scrapys():
    from scrapy.settings import Settings

    from crawler import checked_settings, settings as project

    assert "scrapy" not in project.USER_AGENT.lower()
    settings = Settings()
    settings.setmodule(project, priority="project")
    assert checked_settings.missing_contact(settings)
    settings.set("CONTACT", "mailto:archive@example.org", priority="cmdline")
    checked_settings.apply_contact(settings)
    assert settings["USER_AGENT"] == "newsarchive/0.1 (news archiving for research; +mailto:archive@example.org)"
    assert not checked_settings.missing_contact(settings)
    settings.set("REPLAY_DIR", "fixtures/ecns", priority="cmdline")
    assert not checked_settings.missing_contact(settings)
