"""The README's query examples work: every command in the ```sh blocks of its "Querying the
archive" section runs (as a subprocess, the way a reader would run it) against the test
archive named archive.db in the working directory, exits 0, and prints the text of the
`# =>` line that follows it; those not marked "(test archive)" do the same on the archive
`make demo` writes. Editing an example so that it breaks fails this test."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, copy_crawl
from tests.test_search_fixtures import build_query_archive

README = ROOT / "README.md"
BIN = Path(sys.executable).parent


def query_section(text: str) -> str:
    start = text.index("## Querying the archive")
    end = text.find("\n## ", start + 1)
    return text[start:end if end != -1 else None]


def examples(text: str) -> list[tuple[str, str | None, bool]]:
    """(command, expected output substring or None, needs the test archive) for each command
    in the ```sh blocks; a command needs the test archive when the comment line above its
    group says "(test archive)"."""
    found: list[tuple[str, str | None, bool]] = []
    for block in re.findall(r"```sh\n(.*?)```", query_section(text), flags=re.S):
        lines = block.replace("\\\n", " ").splitlines()
        test_archive = False
        for line in lines:
            stripped = line.strip()
            if stripped.startswith("# =>"):
                assert found and found[-1][1] is None, f"'# =>' without a command before it: {stripped}"
                found[-1] = (found[-1][0], stripped[4:].strip(), found[-1][2])
            elif stripped.startswith("#"):
                test_archive = "(test archive)" in stripped
            elif stripped:
                found.append((stripped, None, test_archive))
    return found


EXAMPLES = examples(README.read_text(encoding="utf-8"))
ON_DEMO_ARCHIVE = [(command, expected) for command, expected, test_archive in EXAMPLES if not test_archive]


def test_the_readme_has_query_examples():
    commands = [c for c, _, _ in EXAMPLES]
    assert sum(c.startswith(".venv/bin/sqlite-utils search") for c in commands) >= 3
    assert sum(c.startswith(".venv/bin/sqlite-utils rows") for c in commands) >= 2
    assert sum(c.startswith(".venv/bin/sqlite-utils query") for c in commands) >= 4
    assert {c.split()[1] for c in commands if c.startswith(".venv/bin/newsarchive")} >= {"search", "show", "stats", "export"}
    assert all(expected for _, expected, _ in EXAMPLES), [c for c, e, _ in EXAMPLES if not e]
    assert 0 < len(ON_DEMO_ARCHIVE) < len(EXAMPLES)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    directory = tmp_path_factory.mktemp("readme")
    build_query_archive(directory / "archive.db")
    return directory


@pytest.fixture(scope="module")
def demo_workdir(tmp_path_factory, ecns_crawl):
    """The archive `make demo` writes: the recorded ECNS site crawled (a copy of the
    session's crawl, conftest.py)."""
    directory = tmp_path_factory.mktemp("readme-demo")
    copy_crawl(ecns_crawl.archive, directory / "archive.db")
    return directory


def run_example(directory: Path, command: str, expected: str) -> None:
    args = shlex.split(command, comments=True)
    assert args[0].startswith(".venv/bin/"), command
    args[0] = str(BIN / args[0].removeprefix(".venv/bin/"))
    proc = subprocess.run(args, cwd=directory, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"{command}\n{proc.stdout}\n{proc.stderr}"
    assert expected in proc.stdout + proc.stderr, f"{command}\n--- printed:\n{proc.stdout}{proc.stderr}"


@pytest.mark.subprocess
@pytest.mark.parametrize("command, expected", [e[:2] for e in EXAMPLES], ids=[e[0][:60] for e in EXAMPLES])
def test_readme_example_on_the_test_archive(workdir, command, expected):
    run_example(workdir, command, expected)


@pytest.mark.subprocess
@pytest.mark.parametrize("command, expected", ON_DEMO_ARCHIVE, ids=[c[:60] for c, _ in ON_DEMO_ARCHIVE])
def test_readme_example_not_marked_runs_on_the_demo_archive(demo_workdir, command, expected):
    run_example(demo_workdir, command, expected)
