"""`newsarchive search / show / stats / export` through their real interface (click's
CliRunner over the `cli` group, and a subprocess for `python -m archive`)."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from archive.cli import cli
from tests.conftest import ROOT, SEED_URL
from tests.test_search_fixtures import COPY_URL, REVISED_URL, build_query_archive


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    return str(build_query_archive(tmp_path_factory.mktemp("cli") / "archive.db"))


def run(*args, ok: bool = True):
    result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    if ok:
        assert result.exit_code == 0, result.output
    return result


def one_line_error(result) -> str:
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    return lines[0]


# -- search ------------------------------------------------------------------------------


def test_search_text_output_with_snippet(archive):
    out = run("search", "Shougang", "-d", archive).output
    assert "Zhongguancun, Shougang join hands on industrial platform" in out
    assert SEED_URL in out and "[Shougang]" in out and "-- 1-1 of 1 matches" in out


def test_search_json_and_csv(archive):
    data = json.loads(run("search", "park", "--json", "-d", archive).output)
    assert data["total"] == 3 and data["index"] == "words"
    assert set(data["hits"][0]) >= {"id", "url", "title", "published", "site", "source", "authors", "score", "snippet"}
    rows = list(csv.DictReader(io.StringIO(run("search", "park", "--csv", "-d", archive).output)))
    assert len(rows) == 3 and rows[0]["url"].startswith("http")


def test_search_paging(archive):
    first = json.loads(run("search", "park", "--json", "--limit", 2, "-d", archive).output)
    second = json.loads(run("search", "park", "--json", "--limit", 2, "--page", 2, "-d", archive).output)
    assert len(first["hits"]) == 2 and len(second["hits"]) == 1
    assert "next: --page 2" in run("search", "park", "--limit", 2, "-d", archive).output
    assert "no results on this page" in run("search", "park", "--page", 9, "-d", archive).output


def test_search_filters(archive):
    def titles(*args):
        return [h["title"] for h in json.loads(run("search", *args, "--json", "-d", archive).output)["hits"]]

    assert titles("park", "--site", "ecns.cn") == ["Zhongguancun, Shougang join hands on industrial platform"]
    assert titles("park", "--source", "Xinhua") == ["Beijing reports record tourism season"]
    assert titles("park", "--author", "Chen") == ["Park festival draws crowds"]
    assert titles("park", "--since", "2021") == ["Park festival draws crowds"]
    assert titles("park", "--until", "2014-12-31") == ["Zhongguancun, Shougang join hands on industrial platform"]
    assert titles("人工智能", "--lang", "zh") == ["人工智能企业聚集上海"]


def test_search_chinese(archive):
    out = run("search", "中关村科", "-d", archive).output
    assert "中关村与首钢携手打造产业平台" in out and "村科学普及活动" not in out
    out = run("search", "钢", "-d", archive).output
    assert "中关村与首钢携手打造产业平台" in out and "村科学普及活动" in out


@pytest.mark.parametrize("query, expected", [
    ('"science park', "unbalanced double quote"),
    ("AND", "no words"),
    ("Shougang AND", "syntax error"),
    ("", "empty search query"),
    ("x" * 10_000, "too long"),
    ("经济 OR 北京", "shorter than 3"),
])
def test_search_bad_queries_one_line(archive, query, expected):
    line = one_line_error(run("search", query, "-d", archive, ok=False))
    assert expected in line


@pytest.mark.parametrize("query, expected", [
    ("NEAR(", "Error: bad NEAR in search query: NEAR( is not closed; write NEAR(steel plant) or NEAR(steel plant, 5)"),
    ("(" * 300 + "Shougang" + ")" * 300, "Error: search query nests parentheses more than 20 deep"),
    ("(" * 300, "Error: search query nests parentheses more than 20 deep"),
    ("AND " * 240, "Error: search query 'AND AND AND AND AND AND AND AND AND AND …' has an operator but no words"),
])
def test_search_near_and_nesting_errors_are_one_short_line(archive, query, expected):
    result = run("search", query, "-d", archive, ok=False)
    line = one_line_error(result)
    assert result.exit_code == 1 and line.startswith(expected) and len(line) < 200


def test_search_sql_looking_text(archive):
    result = run("search", "'; DROP TABLE articles; --", "-d", archive)
    assert "no matches" in result.output
    assert "7 articles" not in result.output
    assert json.loads(run("stats", "--json", "-d", archive).output)["totals"]["articles"] == 7


def test_bad_filter_and_limits(archive):
    assert "bad date" in one_line_error(run("search", "park", "--since", "last week", "-d", archive, ok=False))
    result = run("search", "park", "--limit", 0, "-d", archive, ok=False)
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_missing_and_bad_archives(tmp_path):
    assert "does not exist" in one_line_error(run("search", "x", "-d", tmp_path / "none.db", ok=False))
    notes = tmp_path / "notes.db"
    notes.write_text("hello\n" * 20)
    assert "not an SQLite database" in one_line_error(run("search", "x", "-d", notes, ok=False))
    assert "not an SQLite database" in one_line_error(run("stats", "-d", notes, ok=False))


# -- show --------------------------------------------------------------------------------


def test_show_by_id_and_url(archive):
    out = run("show", SEED_URL, "-d", archive).output
    assert out.startswith("Zhongguancun, Shougang join hands on industrial platform\n")
    assert "Top tech: Zhongguancun Science Park:" in out and "Zhongguancun may host private bank" in out
    assert "versions: 1" in out
    record = json.loads(run("show", "1", "--json", "-d", archive).output)
    assert record["url"] == SEED_URL and record["related"][0]["url"].endswith("82570.shtml")


def test_show_revisions_and_diff(archive):
    out = run("show", REVISED_URL, "-d", archive).output
    assert "versions: 2 (show --diff 1..current for the changes)" in out
    assert f"duplicate (same_text, 1.0): {COPY_URL}" in out
    diff = run("show", REVISED_URL, "--diff", "1..2", "-d", archive).output
    assert "+Museums extended their opening hours until midnight." in diff
    assert run("show", REVISED_URL, "--diff", "1..current", "-d", archive).output == diff
    assert "are the same" in run("show", REVISED_URL, "--diff", "2..2", "-d", archive).output
    data = json.loads(run("show", REVISED_URL, "--diff", "1..", "--json", "-d", archive).output)
    assert data["from"] == 1 and data["to"] == 2 and "+Museums" in data["diff"]


@pytest.mark.parametrize("args, expected", [
    (["show", "999999"], "no article"),
    (["show", "https://nowhere.example/x"], "no article"),
    (["show", "'; DROP TABLE articles; --"], "neither an article id nor a URL"),
    (["show", "1", "--diff", "1..5"], "no version 5"),
    (["show", "1", "--diff", "x"], "bad version range"),
])
def test_show_bad_input(archive, args, expected):
    assert expected in one_line_error(run(*args, "-d", archive, ok=False))


# -- stats and export --------------------------------------------------------------------


def test_stats(archive):
    out = run("stats", "-d", archive).output
    assert "articles: 7" in out and "revisions: 1" in out and "duplicates: 1" in out
    for heading in ("articles per site and source", "articles per month", "field fill rates per site",
                    "duplicates:", "most revised"):
        assert heading in out
    data = json.loads(run("stats", "--json", "-d", archive).output)
    assert {r["site"] for r in data["fill_rates"]} == {"ecns.cn", "example.com", "chinanews.com.cn"}


def test_export_jsonl_and_csv(archive, tmp_path):
    lines = run("export", "park", "-d", archive).output.splitlines()
    records = [json.loads(line) for line in lines]
    assert len(records) == 3 and {"title", "body", "authors", "related"} <= set(records[0])
    out = tmp_path / "zh.csv"
    result = run("export", "--lang", "zh", "--format", "csv", "-o", out, "-d", archive)
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert len(rows) == 3 and json.loads(rows[0]["authors"]) == ["王伟"]
    assert "3 articles written" in result.output
    assert len(run("export", "--limit", 2, "-d", archive).output.splitlines()) == 2
    assert "syntax error" in one_line_error(run("export", "Shougang AND", "-d", archive, ok=False))


@pytest.mark.subprocess
def test_python_m_archive_subprocess(archive):
    proc = subprocess.run([sys.executable, "-m", "archive", "search", "Shougang", "--json", "-d", archive],
                          capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["hits"][0]["url"] == SEED_URL
    proc = subprocess.run([sys.executable, "-m", "archive", "search", "AND", "-d", archive],
                          capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert proc.returncode == 1 and proc.stderr.startswith("Error: ") and len(proc.stderr.splitlines()) == 1
