"""A news site of real article pages for the generic-crawl benchmark: the 927 labelled pages
of ../shared/eval (many publishers, languages and encodings, served byte for byte), each
under COPIES article-shaped URLs, listed by section pages with pagination and a front page,
as the `news` spider meets a site it has no profile for.

Copies after the first carry one sentence of their own at the top of the body, so every
copy is a new article for the archive's dedupe (not a same-text duplicate) while costing the
extractor what the original costs. Pages keep their own links (to their publishers' sites:
off this site, not followed).

    write_site(root, eval_dir) -> manifest {"host", "front", "articles": [...], "listings": [...]}
"""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

HOST = "www.newsbench.example"
COPIES = 3
SECTIONS = 12
PER_LISTING = 40
SETS = ("zyte-dev", "fundus-dev", "chinese-dev", "dragnet-dev")

_BODY_OPEN = re.compile(rb"<body[^>]*>", re.IGNORECASE)

LISTING = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title} - News Bench</title></head>
<body><header><nav><a href="/">Home</a> {sections}</nav></header>
<main><h1>{title}</h1><ul class="story-list">
{items}
</ul>{next}</main><footer><p>Copyright 2024 News Bench</p></footer></body></html>
"""


def _page_bytes(set_dir: Path, case: dict) -> bytes:
    data = (set_dir / case["file"]).read_bytes()
    return gzip.decompress(data) if case["file"].endswith(".gz") else data


def _with_marker(body: bytes, copy: int, n: int) -> bytes:
    if copy == 0:
        return body
    marker = f'<p class="bench-note">Bench copy {copy} of page {n}: this line makes the copy a story of its own.</p>'
    match = _BODY_OPEN.search(body)
    if not match:
        return body
    return body[: match.end()] + marker.encode("ascii") + body[match.end():]


def write_site(root: Path, eval_dir: Path) -> dict:
    """Write the site under `root` (nginx's document root); return its manifest."""
    pages = []
    for name in SETS:
        set_dir = eval_dir / name
        for line in (set_dir / "cases.jsonl").read_text(encoding="utf-8").splitlines():
            if line.strip():
                pages.append((set_dir, json.loads(line)))
    if not pages:
        raise FileNotFoundError(f"no labelled pages under {eval_dir}")
    articles: list[str] = []
    by_section: dict[int, list[tuple[str, str]]] = {s: [] for s in range(SECTIONS)}
    n = 0
    for copy in range(COPIES):
        for set_dir, case in pages:
            n += 1
            section = n % SECTIONS
            day = 1 + n % 28
            path = f"/news/section-{section}/2024/11/{day:02d}/story-{n}.html"
            target = root / path.lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(_with_marker(_page_bytes(set_dir, case), copy, n))
            url = f"http://{HOST}{path}"
            articles.append(url)
            by_section[section].append((url, f"Story {n}: {case['id']}"))
    listings = []
    nav = " ".join(f'<a href="/news/section-{s}/">Section {s}</a>' for s in range(SECTIONS))
    for section, items in by_section.items():
        chunks = [items[i:i + PER_LISTING] for i in range(0, len(items), PER_LISTING)]
        for page, chunk in enumerate(chunks, start=1):
            name = "index.html" if page == 1 else f"page-{page}.html"
            nxt = f'<a class="next" rel="next" href="page-{page + 1}.html">Next page</a>' if page < len(chunks) else ""
            html = LISTING.format(
                title=f"Section {section}" + (f", page {page}" if page > 1 else ""),
                sections=nav,
                items="\n".join(f'<li><a href="{url}">{title}</a></li>' for url, title in chunk),
                next=nxt,
            )
            target = root / "news" / f"section-{section}" / name
            target.write_text(html, encoding="utf-8")
            listings.append(f"http://{HOST}/news/section-{section}/" + ("" if page == 1 else name))
    # The front page: the newest story of each section, then the sections.
    latest = [items[-1] for items in by_section.values() if items]
    front = LISTING.format(title="Front page", sections=nav, next="",
                           items="\n".join(f'<li><a href="{url}">{title}</a></li>' for url, title in latest)
                           + "\n" + "\n".join(f'<li><a href="/news/section-{s}/">More from section {s}</a></li>'
                                               for s in range(SECTIONS)))
    (root / "index.html").write_text(front, encoding="utf-8")
    return {"host": HOST, "front": f"http://{HOST}/", "articles": articles, "listings": listings}
