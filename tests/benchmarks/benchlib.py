"""What every benchmark shares: figures with their baseline, target and verdict, interleaved
timing, preconditions that stop a benchmark with a clear message, the results table.

A figure is a measurement *relative to a floor measured in the same run* wherever a floor
exists (`ratio`), so that other jobs on the machine slow the floor and the measurement alike.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Sequence

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


class PreconditionError(Exception):
    """A benchmark cannot give a true figure: the message says what is missing."""


@dataclass
class Figure:
    """One line of the results table."""

    bench: str  # parse, crawl, ingest, scaling
    name: str
    value: float
    unit: str
    # "at least" (value >= target) or "at most" (value <= target); None: reported only.
    target: float | None = None
    direction: str | None = None
    detail: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def met(self) -> bool | None:
        if self.target is None:
            return None
        return self.value >= self.target if self.direction == "at least" else self.value <= self.target

    def target_text(self) -> str:
        if self.target is None:
            return ""
        return f"{'>=' if self.direction == 'at least' else '<='} {format_value(self.target)}"

    def as_dict(self) -> dict:
        data = asdict(self)
        data["met"] = self.met
        return data


def format_value(value: float) -> str:
    if value == 0:
        return "0"
    magnitude = abs(value)
    if magnitude >= 1000:
        return f"{value:,.0f}"
    if magnitude >= 100:
        return f"{value:.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    if magnitude >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def at_least(bench, name, value, unit, target, detail="", **extra) -> Figure:
    return Figure(bench, name, value, unit, target, "at least", detail, extra)


def at_most(bench, name, value, unit, target, detail="", **extra) -> Figure:
    return Figure(bench, name, value, unit, target, "at most", detail, extra)


def info(bench, name, value, unit, detail="", **extra) -> Figure:
    return Figure(bench, name, value, unit, None, None, detail, extra)


# -- timing ------------------------------------------------------------------------------


def interleaved(runs: dict[str, Callable[[], float | None]], rounds: int) -> dict[str, list[float]]:
    """Call each of `runs` once per round, in rotating order, and collect the seconds each
    took (a run may return its own measured seconds instead). Rotation keeps a slow spell of
    the machine from landing on one of them only."""
    names = list(runs)
    times: dict[str, list[float]] = {name: [] for name in names}
    for r in range(rounds):
        order = names[r % len(names) :] + names[: r % len(names)]
        for name in order:
            started = time.perf_counter()
            measured = runs[name]()
            times[name].append(measured if measured is not None else time.perf_counter() - started)
    return times


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


# -- preconditions ---------------------------------------------------------------------


def bench_dir() -> Path:
    """Where benchmarks keep generated pages and cached archives ($BENCH_DIR, else
    /tmp/newsarchive-bench/perf)."""
    path = Path(os.environ.get("BENCH_DIR") or "/tmp/newsarchive-bench/perf")
    path.mkdir(parents=True, exist_ok=True)
    return path


def require_free_disk(path: Path, needed_bytes: int, what: str) -> None:
    free = shutil.disk_usage(path).free
    if free < needed_bytes:
        raise PreconditionError(
            f"{what} needs {needed_bytes / 1e9:.1f} GB free under {path}, only {free / 1e9:.1f} GB is: "
            "free some space or point BENCH_DIR elsewhere"
        )


def require_module(name: str, extra: str = "bench") -> None:
    try:
        __import__(name)
    except ImportError as exc:
        raise PreconditionError(f"python module {name!r} is missing: pip install -e '.[{extra}]'") from exc


def require_executable(name: str, how: str) -> str:
    for candidate in (shutil.which(name), f"/usr/sbin/{name}", f"/usr/local/sbin/{name}"):
        if candidate and Path(candidate).exists():
            return candidate
    raise PreconditionError(f"{name} is not installed: {how}")


# -- output ------------------------------------------------------------------------------


def table(figures: Sequence[Figure]) -> str:
    headers = ("bench", "figure", "value", "unit", "target", "met", "baseline / detail")
    rows = [
        (
            f.bench,
            f.name,
            format_value(f.value),
            f.unit,
            f.target_text(),
            "" if f.met is None else ("yes" if f.met else "NO"),
            f.detail,
        )
        for f in figures
    ]
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    for row in rows:
        lines.append("  ".join(c.ljust(w) if i != 2 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))).rstrip())
    return "\n".join(lines)


def markdown_table(figures: Sequence[Figure]) -> str:
    lines = ["| bench | figure | value | unit | target | met | baseline / detail |", "|---|---|---:|---|---|---|---|"]
    for f in figures:
        met = "" if f.met is None else ("yes" if f.met else "**no**")
        lines.append(
            f"| {f.bench} | {f.name} | {format_value(f.value)} | {f.unit} | {f.target_text()} | {met} | {f.detail} |"
        )
    return "\n".join(lines)


def write_json(path: Path, figures: Sequence[Figure], **meta) -> None:
    payload = {**meta, "figures": [f.as_dict() for f in figures]}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def report_figures(name: str, measure: Callable[[], list[Figure]], json_path: Path | None = None) -> int:
    """A benchmark script's ending: measure, print the table (and write it as JSON);
    exit status 0 when every target is met, 1 when one is not, 2 when a precondition is
    missing (said on stderr instead of printing figures)."""
    try:
        figures = measure()
    except PreconditionError as exc:
        print(f"{name}: cannot measure: {exc}", file=sys.stderr)
        return 2
    print(table(figures))
    if json_path:
        write_json(json_path, figures)
    return 0 if all(f.met is not False for f in figures) else 1


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def tree_sample(pid: int, cpu: dict[int, tuple[str, float]] | None = None) -> tuple[float, float] | None:
    """Memory of a process and all its descendants (the extraction workers, the archive
    writer, the forkserver), in MB: (PSS, RSS). PSS counts a page shared by several of them
    once (the workers are forked from a forkserver that imported the extraction code: their
    RSS counts those pages in each); the RSS sum is an upper bound. Records each one's CPU
    seconds so far in `cpu` (pid -> (role, seconds)), so that where the time went can be
    told at the end."""
    import psutil

    try:
        root = psutil.Process(pid)
        processes = [root, *root.children(recursive=True)]
    except psutil.Error:
        return None
    pss = rss = 0
    for process in processes:
        try:
            with process.oneshot():
                memory = process.memory_full_info()
                pss += memory.pss
                rss += memory.rss
                times = process.cpu_times()
                if cpu is not None:
                    cpu[process.pid] = ("crawl" if process.pid == pid else "helpers", times.user + times.system)
        except psutil.Error:
            pass
    return pss / 1e6, rss / 1e6
