"""The README's query examples work: every command in the ```sh blocks of its "Querying the
archive" section runs (as a subprocess, the way a reader would run it) against a test
archive named archive.db in the working directory, exits 0, and prints the text of the
`# =>` line that follows it. Editing an example so that it breaks fails this test."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.test_search_fixtures import build_query_archive

README = ROOT / "README.md"
BIN = Path(sys.executable).parent


def query_section(text: str) -> str:
    start = text.index("## Querying the archive")
    end = text.find("\n## ", start + 1)
    return text[start:end if end != -1 else None]


def examples(text: str) -> list[tuple[str, str | None]]:
    """(command, expected output substring or None) for each command in the ```sh blocks."""
    found: list[tuple[str, str | None]] = []
    for block in re.findall(r"```sh\n(.*?)```", query_section(text), flags=re.S):
        lines = block.replace("\\\n", " ").splitlines()
        for line in lines:
            stripped = line.strip()
            if stripped.startswith("# =>"):
                assert found and found[-1][1] is None, f"'# =>' without a command before it: {stripped}"
                found[-1] = (found[-1][0], stripped[4:].strip())
            elif stripped and not stripped.startswith("#"):
                found.append((stripped, None))
    return found


EXAMPLES = examples(README.read_text(encoding="utf-8"))


def test_the_readme_has_query_examples():
    commands = [c for c, _ in EXAMPLES]
    assert sum(c.startswith(".venv/bin/sqlite-utils search") for c in commands) >= 3
    assert sum(c.startswith(".venv/bin/sqlite-utils rows") for c in commands) >= 2
    assert sum(c.startswith(".venv/bin/sqlite-utils query") for c in commands) >= 4
    assert {c.split()[1] for c in commands if c.startswith(".venv/bin/newsarchive")} >= {"search", "show", "stats", "export"}
    assert all(expected for _, expected in EXAMPLES), [c for c, e in EXAMPLES if not e]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    directory = tmp_path_factory.mktemp("readme")
    build_query_archive(directory / "archive.db")
    return directory


@pytest.mark.parametrize("command, expected", EXAMPLES, ids=[c[:60] for c, _ in EXAMPLES])
def test_readme_example(workdir, command, expected):
    args = shlex.split(command, comments=True)
    assert args[0].startswith(".venv/bin/"), command
    args[0] = str(BIN / args[0].removeprefix(".venv/bin/"))
    proc = subprocess.run(args, cwd=workdir, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"{command}\n{proc.stdout}\n{proc.stderr}"
    assert expected in proc.stdout + proc.stderr, f"{command}\n--- printed:\n{proc.stdout}{proc.stderr}"
