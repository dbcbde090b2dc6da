#!/usr/bin/env python3
"""Parse: ECNS extraction (`crawler.extraction.extract_article`, the whole cascade) in ms per
page, against the floor of parsing the same bytes with `lxml.html.document_fromstring` and
doing nothing else, in interleaved rounds of the same run.

Two page sets: the recorded ECNS article pages in fixtures/ecns/, and 5,000 generated
ECNS-like pages (tests/benchmarks/pages.py: both template generations, generated text and
paragraph counts, sources, bylines, editors, photos, related lists of 0-8 entries).

    python tests/benchmarks/bench_parse.py [--pages 5000] [--rounds 5] [--json OUT]
"""

from __future__ import annotations

import argparse
import gc
import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.benchmarks.benchlib import (  # noqa: E402
    Figure,
    PreconditionError,
    info,
    interleaved,
    log,
    report_figures,
    median,
)

HEADERS = {"Content-Type": "text/html; charset=utf-8"}


def fixture_pages() -> list[tuple[str, bytes, dict]]:
    from tests.conftest import FIXTURES, load_recording, recordings

    pages = []
    for directory in recordings("ecns"):
        info_, body, expected = load_recording(directory)
        if expected["kind"] == "article":
            pages.append((info_["url"], body, info_.get("headers") or {}))
    if not pages:
        raise PreconditionError(f"no recorded ECNS article pages under {FIXTURES / 'ecns'}")
    return pages


def generated_pages(n: int) -> list[tuple[str, bytes, dict]]:
    from crawler.extraction import extract_article
    from tests.benchmarks.pages import PageMaker

    maker = PageMaker(n_articles=n)
    made = [maker.article(i) for i in range(n)]
    # The figure must be of extraction that works: check what comes out of a sample.
    for page in made[:: max(1, n // 200)]:
        record = extract_article(page.url, page.body, HEADERS)
        if record.get("title") != page.title or not (record.get("body") or "").startswith(page.first_paragraph[:60]):
            raise PreconditionError(
                f"extraction of generated page {page.url} does not give the title and text put in: "
                "the page generator and the ECNS profile disagree"
            )
    return [(p.url, p.body, HEADERS) for p in made]


def measure(pages, rounds: int, repeat: int = 1) -> dict[str, float]:
    """Seconds per page (median of rounds) of the lxml floor and of extract_article."""
    import lxml.html

    from crawler.extraction import extract_article

    def floor():
        for _ in range(repeat):
            for _url, body, _headers in pages:
                lxml.html.document_fromstring(body)

    def extract():
        for _ in range(repeat):
            for url, body, headers in pages:
                extract_article(url, body, headers)

    extract()  # warm: imports, caches of compiled patterns, the public suffix list
    gc.collect()
    times = interleaved({"floor": floor, "extract": extract}, rounds)
    per_page = len(pages) * repeat
    floor_s = median(times["floor"]) / per_page
    extract_s = median(times["extract"]) / per_page
    # The ratio of each round's pair, then the median: both ran back to back.
    ratios = sorted(e / f for e, f in zip(times["extract"], times["floor"]))
    return {"floor": floor_s, "extract": extract_s, "ratio": median(ratios)}


def run(n_generated: int = 5000, rounds: int = 5, quick: bool = False) -> list[Figure]:
    figures: list[Figure] = []
    sets = [("recorded ECNS pages", fixture_pages(), 20 if not quick else 3)]
    log(f"  parse: generating {n_generated:,} ECNS-like pages")
    sets.append((f"{n_generated:,} generated ECNS-like pages", generated_pages(n_generated), 1))
    for label, pages, repeat in sets:
        log(f"  parse: {label} ({len(pages)} pages x {repeat} x {rounds} rounds)")
        m = measure(pages, rounds, repeat)
        # No target since extraction went to worker processes: 0.3 ms a page of ECNS is a
        # hundredth of a generic page's cost and not where a crawl's time goes.
        figures.append(
            info(
                "parse",
                f"extraction / lxml parse, {label}",
                m["ratio"],
                "x floor",
                f"extract_article {m['extract'] * 1000:.3f} ms/page vs lxml.html.document_fromstring "
                f"{m['floor'] * 1000:.3f} ms/page ({len(pages)} pages, {rounds} interleaved rounds)",
                extract_ms=m["extract"] * 1000,
                floor_ms=m["floor"] * 1000,
            )
        )
        figures.append(info("parse", f"extraction ms/page, {label}", m["extract"] * 1000, "ms/page", "absolute, this machine"))
    return figures


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    return report_figures("bench_parse", lambda: run(args.pages, args.rounds), args.json)


if __name__ == "__main__":
    sys.exit(main())
