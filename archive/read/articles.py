"""Reading archived articles: finding one by id or by any URL it was met under, the record
with its URLs, versions and duplicates (`newsarchive show`), every version of its text, and
the diff between two."""

from __future__ import annotations

import difflib
import re
from typing import Any

from archive import dedupe
from archive.read.errors import ArticleNotFoundError, VersionNotFoundError
from archive.read.opening import connection, dict_rows
from archive.record import REVISION_COLUMNS, row_to_record

# A version's fields as a diff shows them: the revised columns, the body last.
VERSION_FIELDS = (*(c for c in REVISION_COLUMNS if c != "body"), "body")
# Of a version: its text, and when it was fetched, first seen and superseded (last seen, for
# the current one).
_VERSION_COLUMNS = ", ".join((*VERSION_FIELDS, "content_hash", "fetched_at", "first_seen"))


def find_article(db, ref: str | int) -> int:
    """The id of the article `ref` names: its id, or any URL it was archived under (another
    form of it too: http/https, www, tracking parameters). Raises ArticleNotFoundError."""
    conn = connection(db)
    text = str(ref).strip()
    if re.fullmatch(r"\d{1,18}", text):
        row = conn.execute("select id from articles where id = ?", [int(text)]).fetchone()
    elif "://" in text:
        row = conn.execute("select article_id from article_urls where url_key = ?", [dedupe.url_key(text)]).fetchone()
        if row is None:
            row = conn.execute("select article_id from duplicates where url_key = ?", [dedupe.url_key(text)]).fetchone()
    else:
        raise ArticleNotFoundError(f"{text[:80]!r} is neither an article id nor a URL")
    if row is None:
        raise ArticleNotFoundError(f"no article {text[:200]!r} in the archive")
    return int(row[0])


def get_article(db, ref: str | int) -> dict[str, Any]:
    """The archived record (archive/record.py: ARCHIVED_FIELDS), plus `urls` it was seen
    under, `versions` (oldest first; the last is the current text) and `duplicates` (pages
    recorded as copies of it)."""
    conn = connection(db)
    article_id = find_article(conn, ref)
    row = dict_rows(conn, "select * from articles where id = ?", [article_id])[0]
    related = dict_rows(conn, "select title, url, published from related where article_id = ? order by position",
                        [article_id])
    record = row_to_record(row, related)
    record["urls"] = [r[0] for r in conn.execute(
        "select url from article_urls where article_id = ? order by first_seen, url", [article_id])]
    record["versions"] = [
        {k: v for k, v in version.items() if k not in ("body", "authors")}
        for version in versions(conn, article_id)
    ]
    record["duplicates"] = dict_rows(
        conn, "select url, title, reason, similarity, first_seen, last_seen from duplicates where article_id = ? "
        "order by first_seen", [article_id])
    return record


def versions(db, article_id: int) -> list[dict[str, Any]]:
    """Every text the article has had, oldest first, numbered from 1; the last is current.
    Oldest by date, not by row: an import places an older capture into the history after
    newer ones were stored."""
    conn = connection(db)
    out = []
    for n, rev in enumerate(dict_rows(
        conn, f"select {_VERSION_COLUMNS}, superseded_at from revisions where article_id = ?"
              " order by superseded_at, id",
        [article_id]), start=1):
        out.append({"version": n, "current": False, **rev})
    current = dict_rows(conn, f"select {_VERSION_COLUMNS}, last_seen from articles where id = ?", [article_id])
    if not current:
        raise ArticleNotFoundError(f"no article {article_id} in the archive")
    out.append({"version": len(out) + 1, "current": True, **current[0]})
    return out


def parse_version_range(spec: str, count: int) -> tuple[int, int]:
    """"A..B" (B defaults to the current version, A to the one before B), "A" (A..current)."""
    text = spec.strip().lower().replace("current", str(count)).replace("latest", str(count))
    match = re.fullmatch(r"(\d*)(?:\.\.(\d*))?", text)
    if not match or not (match.group(1) or match.group(2)):
        raise VersionNotFoundError(f"bad version range {spec!r}: use A..B, e.g. 1..2 or 1..current")
    b = int(match.group(2)) if match.group(2) else count
    a = int(match.group(1)) if match.group(1) else b - 1
    for v in (a, b):
        if not 1 <= v <= count:
            raise VersionNotFoundError(f"no version {v}: this article has versions 1..{count}")
    return a, b


def diff_versions(db, article_id: int, a: int, b: int) -> str:
    """A unified diff from version `a` to version `b`: changed metadata lines, then the
    title and the body paragraph by paragraph."""
    all_versions = versions(db, article_id)
    count = len(all_versions)
    for v in (a, b):
        if not 1 <= v <= count:
            raise VersionNotFoundError(f"no version {v}: this article has versions 1..{count}")

    def lines(version: dict[str, Any]) -> list[str]:
        out = [f"{name}: {version.get(name) or ''}" for name in VERSION_FIELDS if name != "body"]
        out.append("")
        for paragraph in (version.get("body") or "").split("\n\n"):
            out.extend(paragraph.splitlines() or [""])
            out.append("")
        return out

    va, vb = all_versions[a - 1], all_versions[b - 1]
    label = lambda v: f"version {v['version']}{' (current)' if v['current'] else ''} {v.get('superseded_at') or v.get('last_seen') or ''}".rstrip()  # noqa: E731
    diff = difflib.unified_diff(lines(va), lines(vb), fromfile=label(va), tofile=label(vb), lineterm="")
    return "\n".join(diff)
