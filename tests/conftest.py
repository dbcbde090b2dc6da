"""Shared fixtures: the recorded pages and small builders of records and archives."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from sqlite_utils import Database

from crawler.parsing import CapturedResponse

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
# The seed page's text (a copy of shared/seed/: the repository stands alone).
SEED_TEXT = FIXTURES / "seed" / "ecns-2014-08-19-130296.txt"
SEED_URL = "http://www.ecns.cn/business/2014/08-19/130296.shtml"


def scrapy_crawl_command(archive, *settings: str, spider: str = "ecns", replay: Path | None = FIXTURES / "ecns",
                         args=(), log_level: str = "WARNING", stats_file: Path | None = None) -> list[str]:
    """The command line of `scrapy crawl SPIDER` into `archive`, answered from the recorded
    pages in `replay` (None: no REPLAY_DIR; give REPLAY_WARC or nothing), with "NAME=value"
    `settings` (-s) and "name=value" `args` (-a)."""
    command = [sys.executable, "-m", "scrapy", "crawl", spider, "-s", f"ARCHIVE_PATH={archive}", "-s", f"LOG_LEVEL={log_level}"]
    if replay is not None:
        command += ["-s", f"REPLAY_DIR={replay}"]
    if stats_file is not None:
        command += ["-s", f"STATS_FILE={stats_file}"]
    for setting in settings:
        command += ["-s", setting]
    for arg in args:
        command += ["-a", arg]
    return command


class CrawlResult(subprocess.CompletedProcess):
    """A finished crawl: its exit status and output, its final stats (with stats=True), and
    the archive it wrote."""

    def __init__(self, proc: subprocess.CompletedProcess, archive: Path, stats: dict | None):
        super().__init__(proc.args, proc.returncode, proc.stdout, proc.stderr)
        self.archive = Path(archive)
        self.stats = stats

    @property
    def db(self) -> Database:
        return Database(self.archive)


def scrapy_crawl(archive, *settings: str, spider: str = "ecns", replay: Path | None = FIXTURES / "ecns",
                 args=(), log_level: str = "WARNING", stats: bool = False, check: bool = True,
                 timeout: float = 300) -> CrawlResult:
    """`scrapy crawl SPIDER` in a subprocess, as users run it (scrapy_crawl_command); with
    `check`, a non-zero exit fails the test with the crawl's log. `stats=True`: the crawl's
    final stats (STATS_FILE, in a temporary file) in `.stats`."""
    with tempfile.TemporaryDirectory(prefix="crawl-stats-") as tmp:
        stats_file = Path(tmp) / "stats.json" if stats else None
        command = scrapy_crawl_command(archive, *settings, spider=spider, replay=replay, args=args,
                                       log_level=log_level, stats_file=stats_file)
        proc = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
        if check:
            assert proc.returncode == 0, proc.stderr[-3000:]
        found = json.loads(stats_file.read_text()) if stats_file is not None and stats_file.exists() else None
    return CrawlResult(proc, archive, found)


def copy_crawl(archive: Path, target: Path) -> Path:
    """A private copy of a crawled archive and its captures at `target` (the archive's
    pointers to its captures are relative to its directory)."""
    shutil.copy(archive, target)
    shutil.copytree(f"{archive}-warc", f"{target}-warc")
    return target


@pytest.fixture(scope="session", autouse=True)
def sigint_as_in_a_terminal():
    """The tests of Ctrl-C send SIGINT to the programs they start. A suite started in the
    background (a non-interactive shell's `make test &`) runs with SIGINT ignored, which its
    programs would inherit: the suite takes it back, so they start as a terminal's would."""
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    yield


@pytest.fixture(scope="session")
def ecns_crawl(tmp_path_factory) -> CrawlResult:
    """The recorded ECNS site crawled once for the whole session, as `scrapy crawl ecns`
    does by default (its final stats in `.stats`): the tests that need that archive read
    it, or work on a copy of their own (`copy_crawl`), instead of crawling again. Nothing
    may write to it."""
    archive = tmp_path_factory.mktemp("ecns-crawl") / "archive.db"
    return scrapy_crawl(archive, log_level="INFO", stats=True)


def recordings(site: str | None = None) -> list[Path]:
    base = FIXTURES / site if site else FIXTURES
    return sorted(p.parent for p in base.rglob("info.json"))


def load_recording(directory: Path) -> tuple[dict, bytes, dict]:
    info = json.loads((directory / "info.json").read_text(encoding="utf-8"))
    body = (directory / info.get("body", "body.html")).read_bytes()
    expected = json.loads((directory / "expected.json").read_text(encoding="utf-8"))
    return info, body, expected


def recorded_response(directory: Path) -> CapturedResponse:
    """A recording as the response the replay layer serves: cut short ("dataloss") when
    its Content-Length says more than the body holds."""
    info = json.loads((directory / "info.json").read_text(encoding="utf-8"))
    body = (directory / info.get("body", "body.html")).read_bytes()
    headers = CapturedResponse.header_pairs(info.get("headers"))
    declared = [value for name, value in headers if name.lower() == "content-length"]
    return CapturedResponse(url=info["url"], body=body, status=int(info.get("status", 200)), headers=headers,
                            truncated=bool(declared) and int(declared[-1]) > len(body))


LOREM = (
    "The city council approved a new plan for public transport on Tuesday, after months of "
    "debate among residents, business owners and transport experts about the future of the "
    "old tram lines that cross the centre. The plan adds three bus routes, extends the "
    "evening service until midnight and sets aside money for new electric vehicles, officials said. "
)


def make_record(url: str = "https://www.example.com/news/2024/a.html", **overrides) -> dict:
    record = {
        "url": url,
        "site": "example.com",
        "title": "Council approves transport plan",
        "body": LOREM + "\n\n" + LOREM.replace("Tuesday", "Wednesday"),
        "published": "2024-11-18T10:25:00+08:00",
        "source": "Xinhua",
        "authors": ["Zhang Wei"],
        "editor": "Li Yan",
        "language": "en",
        "related_heading": "Related news",
        "related": [{"title": "Earlier plan", "url": "https://www.example.com/news/2024/b.html", "published": "2024-11-01"}],
        "copyright": {"text": "Copyright ©1999-2024 Example. All rights reserved.", "holder": "Example", "years": [1999, 2024]},
    }
    record.update(overrides)
    return record


@pytest.fixture
def archive_path(tmp_path) -> Path:
    return tmp_path / "archive.db"


@pytest.fixture
def unwritable_dir(tmp_path) -> Path:
    """A directory nobody may write into, root included: root ignores permission bits, so
    as root the directory is made immutable (chattr +i) instead of read-only."""
    import os
    import subprocess

    locked = tmp_path / "locked"
    locked.mkdir()
    if os.geteuid() == 0:
        done = subprocess.run(["chattr", "+i", str(locked)], capture_output=True, text=True)
        assert done.returncode == 0, f"cannot make a directory unwritable for root: {done.stderr}"
        yield locked
        subprocess.run(["chattr", "-i", str(locked)], check=True)
    else:
        locked.chmod(0o555)
        yield locked
        locked.chmod(0o755)


@pytest.fixture(scope="session")
def redis_server():
    """A real redis-server on loopback with a password, for the session (tests/redis_server.py);
    each test that uses it starts from an empty server (`redis_url`)."""
    from tests.redis_server import RedisServer

    server = RedisServer(Path(tempfile.mkdtemp(prefix="redis-test-"))).start()
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server) -> str:
    if redis_server.process is None or redis_server.process.poll() is not None:
        redis_server.start()  # a test stopped it
    redis_server.client().flushall()
    return redis_server.url
