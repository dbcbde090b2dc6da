#!/usr/bin/env python3
"""Would a learned paragraph filter generalise where the boilerplate rules did not? Measured
cross-validated by site over every labelled set.

    python tests/benchmarks/eval_paragraph_filter.py [--eval-dir DIR] [--folds 5] [--l2 1.0]

`crawler/extraction/boilerplate.clean` judges each paragraph of trafilatura's text by rules
shaped on zyte-dev, fundus-dev and chinese-dev. This script replaces it, for the length of the
run, by a logistic model over the same evidence (link density, enclosing furniture or caption,
heading, place before the first or after the last paragraph of prose, headline, date, byline,
credit, copyright and call-to-action lines, photo credits, sentence shape, length, the rules'
own verdicts) and scores four extractors over the same pages with the eval folder's score.py:

- rules: the extractor as shipped;
- none: no paragraph dropped (trafilatura's text with the rest of our steps);
- learned, cross-validated: each page filtered by a model fit on the other folds' sites only
  (folds by registered domain, fundus publisher; a page without a URL by the host its canonical
  link, og:url or links name);
- learned, in-sample: one model fit on every page, for comparison.

A paragraph's label is the share of its shingles (score.py's) found in the labelled text,
weighted by its shingles over the page's, so each page counts once, as in the body F1.

Not part of the default test run (tests/benchmarks is excluded in pyproject.toml).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402

from eval_extraction import DEFAULT_EVAL_DIR, DEFAULT_SETS, load_cases, load_score_module, page_bytes  # noqa: E402
from eval_sites import fold_of, site_key  # noqa: E402
from logistic import fit_logistic  # noqa: E402

# Every labelled set the harness scores: the filter is fit and judged across all of them.
SETS = DEFAULT_SETS


def paragraph_features(bp, paragraphs, index, titles, authors, deks) -> np.ndarray:
    paras = bp.annotate(paragraphs, index)
    n = len(paras)
    prose = [p.prose for p in paras]
    first = next((i for i, x in enumerate(prose) if x), n)
    last = max((i for i, x in enumerate(prose) if x), default=-1)
    rows = []
    for i, p in enumerate(paras):
        text, size = p.text, len(p.text)
        rows.append([
            1.0, float(p.prose), p.link_density, float(p.furniture), float(p.caption), float(p.heading),
            float(p.block is not None and p.block.tag == "h1"), float(p.block is None),
            float(any(bp._same_text(text, t) for t in titles)), float(any(bp._same_text(text, d) for d in deks)),
            float(size <= 80 and bool(bp._DATE_LINE.search(text))),
            float(size <= 80 and bool(bp._READING_TIME.search(text))),
            float(size <= 80 and bool(bp._BYLINE_START.match(text))),
            float(size <= 80 and any(a and a in text for a in authors)),
            float(bool(bp._CREDIT_LINE.match(text))), float(size <= 160 and bool(bp._COPYRIGHT.search(text))),
            float(size <= 200 and bool(bp._CALL_TO_ACTION.search(text))),
            float(size <= 200 and bool(bp._PHOTO_CREDIT.search(text))),
            float(bool(bp._SENTENCE.search(text))), float(text.rstrip().endswith((":", "…", "..."))),
            math.log1p(size) / 7, float(size <= 120), len(bp.CJK_CHAR.findall(text)) / max(1, size),
            i / max(1, n - 1), float(i < first), float(i > last), float(i == 0), float(i == n - 1),
            float(i > 0 and prose[i - 1]), float(i + 1 < n and prose[i + 1]),
            float(not p.prose and bp._head_furniture(p, titles, authors)), float(bp._tail_furniture(p, False)),
            float(bp._middle_furniture(p)), math.log1p(n) / 4,
        ])
    return np.array(rows, dtype=float)


def fit(pages: list[dict], l2: float) -> np.ndarray:
    """Weighted logistic regression on soft labels (Newton steps, L2 on all but the bias)."""
    x = np.vstack([p["x"] for p in pages])
    y = np.concatenate([p["y"] for p in pages])
    w = np.concatenate([p["w"] for p in pages])
    penalty = np.full(x.shape[1], l2 / len(pages))
    penalty[0] = 0.0
    return fit_logistic(x, y, w, penalty, max_steps=50, tolerance=1e-7)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval-dir", type=Path, default=DEFAULT_EVAL_DIR)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--l2", type=float, default=1.0)
    args = parser.parse_args(argv)

    from crawler.extraction import ExtractionError, extract_article
    from crawler.extraction import boilerplate as bp

    score = load_score_module(args.eval_dir)
    rules_clean = bp.clean
    state = {"mode": "rules", "page": None, "model": None}

    def clean(paragraphs, index, *, titles, authors, deks=()):
        if len(paragraphs) < 2:
            return paragraphs
        page = state["page"]
        if state["mode"] == "collect":
            page["paragraphs"] = list(paragraphs)
            page["x"] = paragraph_features(bp, paragraphs, index, titles, authors, deks)
        if state["mode"] in ("rules", "collect"):
            return rules_clean(paragraphs, index, titles=titles, authors=authors, deks=deks)
        if state["mode"] == "none":
            return paragraphs
        prob = 1 / (1 + np.exp(-(paragraph_features(bp, paragraphs, index, titles, authors, deks) @ state["model"])))
        kept = [t for t, q in zip(paragraphs, prob) if q >= 0.5]
        if not kept or sum(map(len, kept)) < 0.3 * sum(map(len, paragraphs)):
            return paragraphs  # as the rules do: when in doubt, the extractor's text
        return kept

    bp.clean = clean

    def body_of(page) -> str:
        state["page"] = page
        try:
            return extract_article(page["url"], page["bytes"], {}).get("body") or ""
        except ExtractionError:
            return ""

    started = time.perf_counter()
    pages = []
    for name in SETS:
        set_dir = args.eval_dir / name
        for case in load_cases(set_dir):
            if "body" not in case["truth"]:
                continue
            data = page_bytes(set_dir, case)
            pages.append({"set": name, "case": case, "url": case.get("url") or "", "bytes": data,
                          "fold": fold_of(site_key(name, case, data), args.folds)})
    state["mode"] = "collect"
    for page in pages:
        page["rules"] = body_of(page)
    for page in pages:  # labels: how much of each paragraph the labelled text holds
        if "x" not in page:
            continue
        zh = page["case"].get("lang") == "zh"
        truth = score.shingles(page["case"]["truth"]["body"], zh)
        shares, sizes = [], []
        for text in page["paragraphs"]:
            own = score.shingles(text, zh)
            total = sum(own.values())
            shares.append(sum(min(v, truth.get(k, 0)) for k, v in own.items()) / total if total else 1.0)
            sizes.append(total)
        sizes = np.array(sizes, dtype=float)
        page["y"], page["w"] = np.array(shares), sizes / max(1.0, sizes.sum())
    fitted = [p for p in pages if "x" in p]
    models = {k: fit([p for p in fitted if p["fold"] != k], args.l2) for k in range(args.folds)}
    everywhere = fit(fitted, args.l2)

    predictions = {"rules": {}, "none": {}, "learned, cross-validated": {}, "learned, in-sample": {}}
    for page in pages:
        key = (page["set"], page["case"]["id"])
        predictions["rules"][key] = page["rules"]
        state["mode"] = "none"
        predictions["none"][key] = body_of(page)
        if "x" not in page:
            for name in ("learned, cross-validated", "learned, in-sample"):
                predictions[name][key] = page["rules"]
            continue
        state["mode"], state["model"] = "learned", models[page["fold"]]
        predictions["learned, cross-validated"][key] = body_of(page)
        state["mode"], state["model"] = "learned", everywhere
        predictions["learned, in-sample"][key] = body_of(page)
    bp.clean = rules_clean

    print(f"{len(pages)} pages, {args.folds} folds by site, L2 {args.l2}, {time.perf_counter() - started:.0f} s")
    print(f"{'body F1':<26}" + "".join(f"{name:>13}" for name in SETS))
    for variant, preds in predictions.items():
        cells = []
        for name in SETS:
            by_id = {case_id: {"body": body} for (set_name, case_id), body in preds.items() if set_name == name}
            cells.append(score.score(args.eval_dir / name, by_id)["body_f1"])
        print(f"{variant:<26}" + "".join(f"{c:>13.4f}" for c in cells))
    return 0


if __name__ == "__main__":
    sys.exit(main())
