"""`newsarchive extract` and `newsarchive record` through their real interfaces."""

from __future__ import annotations

import functools
import gzip
import http.server
import json
import shutil
import threading

import pytest
from click.testing import CliRunner

from crawler.cli import cli
from tests.conftest import FIXTURES, SEED_URL

SEED_DIR = FIXTURES / "ecns" / "g1-seed-zhongguancun-shougang"


def run(*args):
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    lines = [json.loads(line) for line in result.output.splitlines() if line.strip()]
    return result.exit_code, lines


def test_extract_one_page_with_its_url():
    code, [record] = run("extract", str(SEED_DIR / "body.html"), "--url", SEED_URL)
    assert code == 0
    assert record["url"] == SEED_URL
    assert record["source"] == "Qianlong.com"
    assert record["related_heading"] == "Top tech: Zhongguancun Science Park"
    assert record["copyright"]["holder"] == "Chinanews.com"


def test_extract_from_jsonl_reads_gzip_and_reports_errors_without_stopping(tmp_path):
    gz = tmp_path / "seed.html.gz"
    gz.write_bytes(gzip.compress((SEED_DIR / "body.html").read_bytes()))
    pdf = tmp_path / "paper.html"
    pdf.write_bytes(b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n")
    jobs = tmp_path / "jobs.jsonl"
    jobs.write_text(
        "\n".join(
            json.dumps(j)
            for j in (
                {"id": "seed", "path": str(gz), "url": SEED_URL},
                {"id": "missing", "path": str(tmp_path / "nope.html"), "url": None},
                {"id": "pdf", "path": str(pdf), "url": "https://example.com/paper"},
            )
        )
        + "\n"
    )
    code, lines = run("extract", "--from-jsonl", str(jobs))
    assert code == 1  # some failed
    by_id = {line["id"]: line for line in lines}
    assert by_id["seed"]["title"].startswith("Zhongguancun") and "error" not in by_id["seed"]
    assert "error" in by_id["missing"]
    assert by_id["pdf"]["error"].startswith("not_html")


def test_extract_needs_input():
    result = CliRunner().invoke(cli, ["extract"])
    assert result.exit_code == 2 and "PAGE" in result.output


@pytest.fixture
def local_site(tmp_path):
    root = tmp_path / "site" / "business" / "2014" / "08-19"
    root.mkdir(parents=True)
    shutil.copy(SEED_DIR / "body.html", root / "130296.shtml")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path / "site"))
    handler.log_message = lambda *a, **k: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_record_saves_a_fixture_with_a_draft_expected_record(local_site, tmp_path):
    url = f"{local_site}/business/2014/08-19/130296.shtml"
    result = CliRunner().invoke(cli, ["record", url, "--name", "seed-copy", "--fixtures", str(tmp_path / "fx")])
    assert result.exit_code == 0, result.output
    directory = tmp_path / "fx" / "127.0.0.1" / "seed-copy"
    info = json.loads((directory / "info.json").read_text())
    assert info["url"] == url and info["status"] == 200 and info["recorded_at"]
    assert (directory / "body.html").read_bytes() == (SEED_DIR / "body.html").read_bytes()
    expected = json.loads((directory / "expected.json").read_text())
    assert expected["kind"] == "article"
    # Served from 127.0.0.1, the page gets the generic extractor, not the ECNS profile.
    assert "The Administrative Committee of Zhongguancun" in expected["record"]["body"]
    assert "review" in result.output


def test_record_reports_an_unreachable_url(tmp_path):
    result = CliRunner().invoke(cli, ["record", "http://127.0.0.1:9/none", "--fixtures", str(tmp_path)])
    assert result.exit_code == 1 and "cannot fetch" in result.output
