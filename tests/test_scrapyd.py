"""The project under a real Scrapyd: started on loopback at a free port, the project deployed
with `scrapyd-deploy` (the egg built from a copy of the project, as a user would from a
checkout), the ECNS crawl scheduled in replay mode through the schedule API with its
settings, waited for, and its archive checked."""

from __future__ import annotations

import json
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlite_utils import Database

from tests.conftest import FIXTURES, ROOT

pytestmark = pytest.mark.scrapyd

import scrapyd  # noqa: E402,F401  (the test extra: missing fails the import)
import scrapyd_client  # noqa: E402,F401
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def api(base: str, endpoint: str, data: list[tuple[str, str]] | None = None) -> dict:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    with urllib.request.urlopen(f"{base}{endpoint}", data=body, timeout=30) as response:
        return json.loads(response.read())


@contextmanager
def running_scrapyd(home: Path, max_proc: int = 1):
    """A Scrapyd on a free loopback port, its files in `home`, running up to `max_proc`
    jobs at once: (its base URL, home), stopped at the end."""
    port = free_port()
    home.mkdir()
    (home / "scrapyd.conf").write_text(
        "[scrapyd]\n"
        "bind_address = 127.0.0.1\n"
        f"http_port = {port}\n"
        f"eggs_dir = {home / 'eggs'}\n"
        f"logs_dir = {home / 'logs'}\n"
        f"dbs_dir = {home / 'dbs'}\n"
        "items_dir =\n"
        f"max_proc = {max_proc}\n"
        "poll_interval = 0.2\n"
    )
    log = (home / "scrapyd.log").open("w")
    server = subprocess.Popen([str(BIN / "scrapyd")], cwd=home, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if api(base, "daemonstatus.json")["status"] == "ok":
                    break
            except OSError:
                pass
            assert server.poll() is None, (home / "scrapyd.log").read_text()[-2000:]
            assert time.monotonic() < deadline, "scrapyd did not start"
            time.sleep(0.2)
        yield base, home
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


@pytest.fixture
def scrapyd(tmp_path):
    with running_scrapyd(tmp_path / "scrapyd") as server:
        yield server


def project_copy(destination: Path, scrapyd_url: str) -> Path:
    """What a user deploys from: the checkout's packages and build files, the deploy target
    pointed at the test's Scrapyd. A mark in the copied settings shows the crawl ran the egg."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("crawler", "archive"):
        shutil.copytree(ROOT / name, destination / name, ignore=ignore)
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy(ROOT / name, destination / name)
    cfg = (ROOT / "scrapy.cfg").read_text()
    (destination / "scrapy.cfg").write_text(cfg.replace("url = http://localhost:6800/", f"url = {scrapyd_url}"))
    with (destination / "crawler" / "settings.py").open("a") as fh:
        fh.write('\nCAPTURE_FILE_PREFIX = "deployed-egg"\n')
    return destination


def test_deploy_schedule_and_run_the_crawl_under_scrapyd(scrapyd, tmp_path):
    base, home = scrapyd
    project = project_copy(tmp_path / "project", base)
    deploy = subprocess.run([str(BIN / "scrapyd-deploy"), "--version", "r1"], cwd=project,
                            capture_output=True, text=True, timeout=180)
    assert deploy.returncode == 0, deploy.stdout + deploy.stderr
    assert '"status": "ok"' in deploy.stdout and '"spiders": ' in deploy.stdout
    assert api(base, "listprojects.json")["projects"] == ["newsarchive"]
    assert {"ecns", "news"} <= set(api(base, "listspiders.json?project=newsarchive")["spiders"])

    archive = tmp_path / "archive.db"
    job = api(base, "schedule.json", [
        ("project", "newsarchive"), ("spider", "ecns"),
        ("setting", f"REPLAY_DIR={FIXTURES / 'ecns'}"),
        ("setting", f"ARCHIVE_PATH={archive}"),
        ("setting", "LOG_LEVEL=INFO"),
    ])
    assert job["status"] == "ok"
    jobid = job["jobid"]

    deadline = time.monotonic() + 180
    while True:
        jobs = api(base, "listjobs.json?project=newsarchive")
        finished = [j for j in jobs["finished"] if j["id"] == jobid]
        if finished:
            break
        assert time.monotonic() < deadline, jobs
        time.sleep(0.3)

    log = next((home / "logs" / "newsarchive" / "ecns").glob(f"{jobid}.log")).read_text()
    assert "Traceback" not in log, log[-3000:]
    assert "'finish_reason': 'finished'" in log
    db = Database(archive)
    assert db["articles"].count == 16 and db["duplicates"].count == 1
    assert db.execute("pragma integrity_check").fetchone()[0] == "ok"
    (run,) = list(db["crawls"].rows)
    assert run["outcome"] == "finished" and run["articles_new"] == 16
    arguments = json.loads(run["arguments"])
    assert arguments["args"]["_job"] == jobid and arguments["settings"]["REPLAY_DIR"] == str(FIXTURES / "ecns")
    # The settings module came from the deployed egg: its captures carry the copy's mark.
    captures = list((tmp_path / "archive.db-warc").iterdir())
    assert captures and all(p.name.startswith("deployed-egg-") for p in captures)
    assert all(row["warc_file"].startswith("archive.db-warc/deployed-egg-") for row in db["articles"].rows)
