"""Incremental crawling: the revisit and retry policies, the archive lookup they use, and
real crawls over the recorded site that skip what the archive holds and revisit what is due."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest
from sqlite_utils import Database

from archive import incremental as inc
from archive.store import Archive
from tests.conftest import FIXTURES, ROOT, make_record

NOW = datetime(2024, 11, 18, 12, 0, tzinfo=timezone.utc)
DEFAULT = inc.RevisitPolicy.parse(inc.DEFAULT_REVISIT)


def hours_ago(h: float) -> str:
    return inc.iso(NOW - timedelta(hours=h))


# -- policies ----------------------------------------------------------------------------


def test_durations_and_policy_specs_parse():
    assert inc.parse_duration("6h") == timedelta(hours=6)
    assert inc.parse_duration("2d") == timedelta(days=2)
    assert inc.parse_duration("90m") == timedelta(minutes=90)
    assert inc.parse_duration("1w") == timedelta(weeks=1)
    assert inc.parse_duration("30") == timedelta(seconds=30)
    assert DEFAULT.tiers == ((timedelta(days=2), timedelta(hours=6)),)
    tiered = inc.RevisitPolicy.parse("7d:1d, 1d:1h")
    assert tiered.tiers == ((timedelta(days=1), timedelta(hours=1)), (timedelta(days=7), timedelta(days=1)))
    for never in ("", "never", None):
        assert inc.RevisitPolicy.parse(never).tiers == ()
    with pytest.raises(inc.PolicyError, match="AGE:EVERY"):
        inc.RevisitPolicy.parse("2d")
    with pytest.raises(inc.PolicyError, match="not a duration"):
        inc.RevisitPolicy.parse("2 days:6h")


@pytest.mark.parametrize(
    "published, last_seen_hours_ago, due",
    [
        (hours_ago(30), 7, True),  # a day old, last seen 7 h ago: due
        (hours_ago(30), 5, False),  # seen 5 h ago: not yet
        (hours_ago(30), 6, True),  # exactly the interval
        (hours_ago(47), 100, True),
        (hours_ago(49), 100, False),  # older than two days: never again
        ("2014-08-19", 10_000, False),
        ("2024-11-18", 7, True),  # a bare date is its midnight UTC: 12 h old
        ("2024-11-18T19:00:00+08:00", 7, True),  # offsets are honoured: 1 h old
    ],
)
def test_default_policy_revisits_the_last_two_days_every_six_hours(published, last_seen_hours_ago, due):
    assert DEFAULT.due(published=published, first_seen=None, last_seen=hours_ago(last_seen_hours_ago), now=NOW) is due


def test_without_a_publication_time_the_first_sighting_counts():
    assert DEFAULT.due(published=None, first_seen=hours_ago(10), last_seen=hours_ago(7), now=NOW)
    assert not DEFAULT.due(published=None, first_seen=hours_ago(72), last_seen=hours_ago(7), now=NOW)


def test_tiers_and_never():
    tiered = inc.RevisitPolicy.parse("1d:1h,7d:1d")
    assert tiered.due(published=hours_ago(5), first_seen=None, last_seen=hours_ago(1.5), now=NOW)
    assert not tiered.due(published=hours_ago(50), first_seen=None, last_seen=hours_ago(1.5), now=NOW)
    assert tiered.due(published=hours_ago(50), first_seen=None, last_seen=hours_ago(25), now=NOW)
    never = inc.RevisitPolicy.parse("never")
    assert not never.due(published=hours_ago(1), first_seen=None, last_seen=hours_ago(100), now=NOW)


def test_failed_urls_are_retried_with_a_doubling_delay():
    retry = inc.RetryPolicy.parse("6h")
    assert not retry.due(attempts=1, last_failed=hours_ago(5), now=NOW)
    assert retry.due(attempts=1, last_failed=hours_ago(6), now=NOW)
    assert not retry.due(attempts=2, last_failed=hours_ago(11), now=NOW)
    assert retry.due(attempts=3, last_failed=hours_ago(24), now=NOW)
    assert not retry.due(attempts=4, last_failed=hours_ago(47), now=NOW)


# -- the archive lookup ------------------------------------------------------------------


def test_url_state_finds_any_url_form_duplicates_and_failures(archive_path):
    with Archive(archive_path) as archive:
        stored = archive.store(make_record(published=hours_ago(3)), seen_at=hours_ago(2))
        copy = make_record(url="https://www.example.com/news/2024/copy.html", title="A copy")
        assert archive.store(copy).outcome == "duplicate"
        db = archive.db
        state = inc.url_state(db, "http://example.com/news/2024/a.html?utm_source=x")
        assert state.kind == "article" and state.article_id == stored.article_id
        assert state.last_seen == hours_ago(2)
        assert inc.decide(state, now=NOW, revisit=DEFAULT, retry=inc.RetryPolicy.parse("6h")) == inc.ARCHIVED
        assert inc.decide(state, now=NOW + timedelta(hours=5), revisit=DEFAULT, retry=inc.RetryPolicy.parse("6h")) == inc.REVISIT
        dup = inc.url_state(db, copy["url"])
        assert dup.kind == "duplicate"
        assert inc.decide(dup, now=NOW + timedelta(days=1), revisit=DEFAULT, retry=inc.RetryPolicy.parse("6h")) == inc.DUPLICATE
        assert inc.url_state(db, "https://www.example.com/other.html") is None
        assert inc.decide(None, now=NOW, revisit=DEFAULT, retry=inc.RetryPolicy.parse("6h")) == inc.NEW

        inc.record_failure(db, "https://www.example.com/broken.html", "http_500", hours_ago(1))
        inc.record_failure(db, "https://www.example.com/broken.html", "http_500", hours_ago(0))
        failed = inc.url_state(db, "https://example.com/broken.html")
        assert (failed.kind, failed.attempts, failed.reason) == ("failed", 2, "http_500")
        retry = inc.RetryPolicy.parse("6h")
        assert inc.decide(failed, now=NOW, revisit=DEFAULT, retry=retry) == inc.FAILED
        assert inc.decide(failed, now=NOW + timedelta(hours=12), revisit=DEFAULT, retry=retry) == inc.RETRY
        inc.clear_failure(db, "https://www.example.com/broken.html")
        assert inc.url_state(db, "https://www.example.com/broken.html") is None

        assert inc.add_url_aliases(db, make_record()["url"], ["https://short.example.com/x"], hours_ago(0)) == 1
        assert inc.url_state(db, "https://short.example.com/x").article_id == stored.article_id


def test_lookup_uses_the_url_key_indexes(archive_path):
    with Archive(archive_path) as archive:
        plans = [
            " ".join(str(r[-1]) for r in archive.db.execute(f"explain query plan {sql}", ["k"]).fetchall())
            for sql in (
                "select a.id from article_urls u join articles a on a.id = u.article_id where u.url_key = ?",
                "select article_id from duplicates where url_key = ?",
                "select attempts from failed_urls where url_key = ?",
            )
        ]
    assert all("SCAN" not in plan for plan in plans), plans
