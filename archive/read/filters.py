"""Search and export filters: site, source, author, a date range, language, as SQL
conditions on `articles` (each bad value a BadFilterError)."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Any

from archive.read.errors import BadFilterError


@dataclass(frozen=True)
class Filters:
    site: str | None = None
    source: str | None = None
    author: str | None = None
    since: str | None = None  # YYYY, YYYY-MM or YYYY-MM-DD, inclusive
    until: str | None = None  # same, inclusive
    language: str | None = None  # "zh" also matches "zh-CN"

    def __bool__(self) -> bool:
        return any(v for v in asdict(self).values())


def parse_day(value: str, *, end: bool) -> str:
    """The first day of YYYY / YYYY-MM / YYYY-MM-DD, or the day after its last with end=True."""
    value = value.strip()
    try:
        if re.fullmatch(r"\d{4}", value):
            first = date(int(value), 1, 1)
            after = date(int(value) + 1, 1, 1)
        elif re.fullmatch(r"\d{4}-\d{2}", value):
            first = date.fromisoformat(value + "-01")
            after = date(first.year + first.month // 12, first.month % 12 + 1, 1)
        else:
            first = date.fromisoformat(value[:10])
            if len(value) > 10 and not re.fullmatch(r"T[\d:.]*([+-]\d\d:\d\d|Z)?", value[10:]):
                raise ValueError
            after = first + timedelta(days=1)
    except ValueError:
        raise BadFilterError(f"bad date {value!r}: use YYYY, YYYY-MM or YYYY-MM-DD") from None
    return (after if end else first).isoformat()


def filter_sql(filters: Filters | None, alias: str = "a") -> tuple[str, list[Any]]:
    """SQL conditions (joined with AND, or "") and their parameters for `filters`."""
    if not filters:
        return "", []
    clauses, params = [], []
    if filters.site:
        clauses.append(f"{alias}.site = ?")
        params.append(filters.site.lower().removeprefix("www."))
    if filters.source:
        clauses.append(f"{alias}.source = ?")
        params.append(filters.source)
    if filters.author:
        clauses.append(f"exists (select 1 from json_each({alias}.authors) where value like ? escape '\\')")
        params.append("%" + like_escape(filters.author) + "%")
    if filters.since:
        clauses.append(f"{alias}.published >= ?")
        params.append(parse_day(filters.since, end=False))
    if filters.until:
        clauses.append(f"{alias}.published < ?")
        params.append(parse_day(filters.until, end=True))
    if filters.since and filters.until and params[-2] >= params[-1]:
        raise BadFilterError(f"--since {filters.since} is after --until {filters.until}")
    if filters.language:
        clauses.append(f"({alias}.language = ? or {alias}.language like ? escape '\\')")
        params += [filters.language, like_escape(filters.language) + "-%"]
    return " and ".join(clauses), params


def like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
