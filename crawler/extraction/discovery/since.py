"""The crawl's `since` limit: the date given to `-a since=`, and whether a publication date
(of an entry in a sitemap or feed, or of an extracted article) is before it."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from crawler.normalize import parse_date

def _as_datetime(value: str) -> datetime | date | None:
    try:
        if len(value) == 10:
            return date.fromisoformat(value)
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def parse_since(value: str | None) -> str | None:
    """`-a since=` as ISO 8601 (`2024-11-12` or `2024-11-12T08:00:00+08:00`); raises
    ValueError when it is not a date."""
    if value is None or not str(value).strip():
        return None
    parsed = parse_date(str(value))
    if not parsed:
        raise ValueError(f"since: not a date: {value!r} (use YYYY-MM-DD)")
    return parsed


def is_before(value: str | None, since: str, *, slack: timedelta = timedelta(0)) -> bool | None:
    """Whether a publication date is before `since`; None when there is no usable date.

    A day (`since=2024-11-12`) is compared with the date as the page states it, in its own
    offset: an article of `2024-11-12T00:30:00+08:00` is not before it. A moment is compared
    as a moment. `slack` widens the window backwards: dates read from sitemaps and feeds are
    often in UTC while the article prints local time, so before fetching the spider only
    skips what is older than `since` by more than a day."""
    if not value:
        return None
    when, bound = _as_datetime(value), _as_datetime(since)
    if when is None or bound is None:
        return None
    if isinstance(bound, datetime):
        if isinstance(when, datetime):
            return when < bound - slack
        return when < (bound - slack).date()
    # `since` is a day: compare days (the value's own calendar day)
    day = when.date() if isinstance(when, datetime) else when
    return day < bound - slack
