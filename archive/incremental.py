"""Incremental crawling: what an article URL's archive record says about fetching it again.

An article URL the archive already holds (under any URL form: `article_urls`) is not
fetched again unless the revisit policy says it is due; one held as a duplicate of another
article is never fetched again; one that was fetched and gave no article (`failed_urls`)
is retried after a delay that doubles with each failure. Everything else is new.

The revisit policy is a list of tiers "AGE:EVERY": an article younger than AGE (from its
publication time, or from when it was first seen if it has none) is fetched again when it
was last seen EVERY ago or longer; an article older than every tier is never revisited.
The default "2d:6h" revisits articles of the last two days every six hours.

The frontier keeps the article links found on article pages until they are archived: an
archived article is not fetched again, so a crawl killed between storing an article and
fetching its links would otherwise never find them again.

Pure functions over an open sqlite-utils Database and explicit times: no Scrapy, no clock.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Iterable

from sqlite_utils import Database

from archive.dedupe import url_key

DEFAULT_REVISIT = "2d:6h"

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$", re.IGNORECASE)
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}

# Verdicts: fetch (new, revisit, retry) or skip (archived, duplicate, failed).
NEW, REVISIT, RETRY = "new", "revisit", "retry"
ARCHIVED, DUPLICATE, FAILED = "archived", "duplicate", "failed"


class PolicyError(ValueError):
    """A revisit or retry setting that cannot be understood; the message says why."""


def parse_duration(text: str | int | float | timedelta) -> timedelta:
    """"6h", "2d", "90m", "1w", "30s"; a bare number is seconds."""
    if isinstance(text, timedelta):
        return text
    if isinstance(text, (int, float)):
        return timedelta(seconds=text)
    match = _DURATION.match(str(text))
    if not match:
        try:
            return timedelta(seconds=float(text))
        except ValueError:
            raise PolicyError(f"not a duration: {text!r} (use e.g. 30m, 6h, 2d, 1w)") from None
    return timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2).lower()])


def parse_time(value: str | datetime | date | None) -> datetime | None:
    """An aware datetime from ISO 8601 (a bare date is its midnight UTC; no offset is UTC)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    else:
        text = str(value).strip().replace("Z", "+00:00")
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def iso(moment: datetime) -> str:
    """The archive's timestamp form: UTC, seconds, with the offset."""
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


@dataclass(frozen=True)
class RevisitPolicy:
    """Tiers (max_age, every), youngest first; empty: never revisit."""

    tiers: tuple[tuple[timedelta, timedelta], ...]

    @classmethod
    def parse(cls, spec: str | Iterable | None) -> "RevisitPolicy":
        """"2d:6h" or "1d:1h,7d:1d"; a list of (age, every) pairs; "", "never", None: never."""
        if spec is None or (isinstance(spec, str) and spec.strip().lower() in ("", "never", "none", "0")):
            return cls(())
        pairs = [p.split(":") for p in spec.split(",") if p.strip()] if isinstance(spec, str) else list(spec)
        tiers = []
        for pair in pairs:
            if len(pair) != 2:
                raise PolicyError(f"revisit tier {':'.join(map(str, pair))!r} is not AGE:EVERY (e.g. 2d:6h)")
            tiers.append((parse_duration(pair[0]), parse_duration(pair[1])))
        return cls(tuple(sorted(tiers)))

    def interval(self, age: timedelta) -> timedelta | None:
        """How often an article this old is revisited; None: never."""
        for max_age, every in self.tiers:
            if age <= max_age:
                return every
        return None

    def due(self, *, published: str | None, first_seen: str | None, last_seen: str | None, now: datetime) -> bool:
        born = parse_time(published) or parse_time(first_seen)
        seen = parse_time(last_seen)
        if born is None or seen is None:
            return False
        every = self.interval(now - born)
        return every is not None and now - seen >= every

    def describe(self) -> str:
        if not self.tiers:
            return "never revisit"
        return ", ".join(f"younger than {a} every {e}" for a, e in self.tiers)


@dataclass(frozen=True)
class RetryPolicy:
    """A failed article URL is retried `after` its first failure, then after twice that,
    four times, ...: a page that stays broken costs a handful of fetches a month."""

    after: timedelta

    @classmethod
    def parse(cls, spec) -> "RetryPolicy":
        return cls(parse_duration(spec))

    def due(self, *, attempts: int, last_failed: str | None, now: datetime) -> bool:
        last = parse_time(last_failed)
        if last is None:
            return True
        wait = self.after * (2 ** max(0, min(int(attempts or 1), 30) - 1))
        return now - last >= wait


@dataclass(frozen=True)
class UrlState:
    """What the archive holds for one URL: kind is "article", "duplicate" or "failed"."""

    kind: str
    article_id: int | None = None
    published: str | None = None
    first_seen: str | None = None
    last_seen: str | None = None
    attempts: int = 0
    reason: str | None = None


def url_state(db: Database, url: str) -> UrlState | None:
    """The archive's record of `url` (any URL form), by indexed lookups on its url_key."""
    key = url_key(url)
    row = db.execute(
        "select a.id, a.published, a.first_seen, a.last_seen from article_urls u"
        " join articles a on a.id = u.article_id where u.url_key = ?",
        [key],
    ).fetchone()
    if row:
        return UrlState("article", row[0], row[1], row[2], row[3])
    row = db.execute("select article_id, first_seen, last_seen from duplicates where url_key = ?", [key]).fetchone()
    if row:
        return UrlState("duplicate", row[0], None, row[1], row[2])
    row = db.execute("select attempts, last_failed, reason from failed_urls where url_key = ?", [key]).fetchone()
    if row:
        return UrlState("failed", attempts=row[0] or 1, last_seen=row[1], reason=row[2])
    return None


def decide(state: UrlState | None, *, now: datetime, revisit: RevisitPolicy, retry: RetryPolicy) -> str:
    """NEW, REVISIT or RETRY (fetch it) or ARCHIVED, DUPLICATE or FAILED (skip it)."""
    if state is None:
        return NEW
    if state.kind == "article":
        due = revisit.due(published=state.published, first_seen=state.first_seen, last_seen=state.last_seen, now=now)
        return REVISIT if due else ARCHIVED
    if state.kind == "duplicate":
        return DUPLICATE
    return RETRY if retry.due(attempts=state.attempts, last_failed=state.last_seen, now=now) else FAILED


# -- bookkeeping written by a crawl (inside the archive's write batch) ----------------------


def record_failure(db: Database, url: str, reason: str, at: str) -> None:
    """An article URL fetched without giving an article: counted, retried later."""
    db.execute(
        "insert into failed_urls (url_key, url, reason, attempts, first_failed, last_failed)"
        " values (?, ?, ?, 1, ?, ?)"
        " on conflict(url_key) do update set reason = excluded.reason, attempts = attempts + 1,"
        " last_failed = excluded.last_failed",
        [url_key(url), url, reason, at, at],
    )


def clear_failure(db: Database, url: str) -> None:
    db.execute("delete from failed_urls where url_key = ?", [url_key(url)])


def add_url_aliases(db: Database, archived_url: str, aliases: Iterable[str], at: str) -> int:
    """Record URLs that redirected to an archived article as more forms of it, so the next
    crawl skips them before the redirect. Returns how many were new."""
    row = db.execute("select article_id from article_urls where url_key = ?", [url_key(archived_url)]).fetchone()
    if not row:
        return 0
    added = 0
    for alias in aliases:
        cursor = db.execute(
            "insert or ignore into article_urls (url_key, article_id, url, first_seen) values (?, ?, ?, ?)",
            [url_key(alias), row[0], alias, at],
        )
        added += cursor.rowcount
    return added


# -- the frontier: links of archived articles not archived yet ------------------------------


def remember_links(db: Database, links: list[tuple[str, dict, str, str]]) -> None:
    """Keep the article links (url, request, found_on, at) found on an article page until
    they are archived. Written before the page's own record, so an archived article's links
    are never lost to a crash."""
    db.conn.executemany(
        "insert or ignore into frontier (url_key, url, request, found_on, found_at) values (?, ?, ?, ?, ?)",
        [(url_key(url), url, json.dumps(request, ensure_ascii=False, sort_keys=True), found_on, at)
         for url, request, found_on, at in links],
    )


def forget_link(db: Database, url: str) -> None:
    db.execute("delete from frontier where url_key = ?", [url_key(url)])


def frontier(db: Database) -> list[dict]:
    """The links to fetch again at the start of a run: {url, request (dict), found_on}."""
    return [
        {"url": url, "request": json.loads(request), "found_on": found_on}
        for url, request, found_on in db.execute("select url, request, found_on from frontier order by found_at, url")
    ]
