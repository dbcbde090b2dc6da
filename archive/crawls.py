"""The `crawls` table: one row per crawl run, written by the run itself.

A run inserts its row as `running` when it starts, rewrites its counts as it goes and sets
`finished` and `outcome` when it ends. A process killed outright (SIGKILL, a power loss, an
OOM kill) cannot write its end: its row stays `running` with the counts of its last
update, and the next run, which holds the archive's lock and so knows no other run is
alive, marks it `killed`.
"""

from __future__ import annotations

import json
from typing import Any, Mapping

from sqlite_utils import Database

RUNNING, FINISHED, SHUTDOWN, KILLED = "running", "finished", "shutdown", "killed"

COUNT_COLUMNS = (
    "pages",
    "articles_new",
    "articles_revised",
    "articles_unchanged",
    "articles_duplicate",
    "skipped",
    "revisited",
)


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def mark_killed(db: Database, at: str) -> list[int]:
    """Mark the runs left `running` as `killed`; returns their ids. Call only while holding
    the archive's lock (no other run can be alive then)."""
    ids = [r[0] for r in db.execute("select id from crawls where outcome = ?", [RUNNING]).fetchall()]
    if ids:
        db.execute(f"update crawls set outcome = ? where id in ({', '.join('?' for _ in ids)})", [KILLED, *ids])
    return ids


def start_crawl(db: Database, *, spider: str, arguments: Mapping[str, Any], started: str, pid: int, host: str) -> int:
    return db["crawls"].insert(
        {
            "spider": spider,
            "arguments": _json(dict(arguments)),
            "started": started,
            "updated": started,
            "outcome": RUNNING,
            "pid": pid,
            "host": host,
            **{c: 0 for c in COUNT_COLUMNS},
        }
    ).last_pk


def update_crawl(db: Database, crawl_id: int, counts: Mapping[str, Any], *, at: str,
                 outcome: str | None = None, finished: str | None = None) -> None:
    """Write a run's counts (COUNT_COLUMNS, and dropped/errors/stats as dicts); with
    `outcome`, its end."""
    values: dict[str, Any] = {"updated": at}
    for column in COUNT_COLUMNS:
        if column in counts:
            values[column] = int(counts[column] or 0)
    for column in ("dropped", "errors", "stats"):
        if column in counts:
            values[column] = _json(counts[column])
    if outcome:
        values["outcome"] = outcome
    if finished:
        values["finished"] = finished
    db["crawls"].update(crawl_id, values)


def list_crawls(db: Database, *, limit: int | None = 20, spider: str | None = None) -> list[dict]:
    """Runs, newest first, with their JSON columns decoded (the full stats left out)."""
    where, params = ("where spider = ?", [spider]) if spider else ("", [])
    sql = f"select * from crawls {where} order by id desc"
    if limit:
        sql += f" limit {int(limit)}"
    rows = []
    for row in db.query(sql, params):
        row.pop("stats", None)
        for column in ("arguments", "dropped", "errors"):
            row[column] = json.loads(row[column]) if row.get(column) else {}
        rows.append(row)
    return rows


TABLE_COLUMNS = (
    ("id", "id"), ("spider", "spider"), ("started", "started"), ("finished", "finished"),
    ("outcome", "outcome"), ("pages", "pages"), ("articles_new", "new"), ("articles_revised", "revised"),
    ("articles_unchanged", "unchanged"), ("articles_duplicate", "dup"), ("skipped", "skipped"),
    ("revisited", "revisited"), ("dropped", "dropped"), ("errors", "errors"),
)


def format_table(rows: list[dict]) -> list[str]:
    """`list_crawls` rows as aligned text lines, a header first."""

    def cell(row: dict, column: str) -> str:
        value = row.get(column)
        if isinstance(value, dict):
            return ",".join(f"{k}={v}" for k, v in sorted(value.items())) or "-"
        if column in ("started", "finished") and value:
            return str(value)[:19].replace("T", " ")
        return "-" if value is None else str(value)

    table = [[title for _, title in TABLE_COLUMNS]] + [[cell(r, c) for c, _ in TABLE_COLUMNS] for r in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(TABLE_COLUMNS))]
    return ["  ".join(v.ljust(w) for v, w in zip(line, widths)).rstrip() for line in table]
