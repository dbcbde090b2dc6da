"""Settings shared by the components of a scheduled crawl (the crawl command, the
incremental and capture middlewares, the crawl-run extension), read and checked in one
place so a bad value fails before the crawl starts, in one line."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from archive.incremental import PolicyError, RetryPolicy, RevisitPolicy, parse_time
from archive.warc import check_capture_dir


# Sent by the crawl-run extension when the spider closes, before it writes the run's final
# counts: components that count work at the end (failed article pages) do it then.
run_closing = object()


class SettingError(ValueError):
    """A setting with a value the crawl cannot use; the message names it."""


def crawl_now(settings) -> datetime | None:
    """CRAWL_NOW as an aware datetime (None: use the real clock)."""
    value = settings.get("CRAWL_NOW")
    if not value:
        return None
    moment = parse_time(value)
    if moment is None:
        raise SettingError(f"CRAWL_NOW is not an ISO 8601 time: {value!r}")
    return moment


def apply_crawl_now(settings, archive) -> None:
    """With CRAWL_NOW set, the archive stamps first_seen/last_seen with it, not the clock.
    (Called by each component that may be the first to write; it is idempotent.)"""
    fixed = crawl_now(settings)
    if fixed is not None:
        stamp = fixed.astimezone(timezone.utc).isoformat(timespec="seconds")
        archive.clock = lambda: stamp


def now(settings) -> datetime:
    return crawl_now(settings) or datetime.now(timezone.utc)


def revisit_policy(settings) -> RevisitPolicy:
    try:
        return RevisitPolicy.parse(settings.get("INCREMENTAL_REVISIT"))
    except PolicyError as exc:
        raise SettingError(f"INCREMENTAL_REVISIT: {exc}") from None


def retry_policy(settings) -> RetryPolicy:
    try:
        return RetryPolicy.parse(settings.get("INCREMENTAL_RETRY_FAILED"))
    except PolicyError as exc:
        raise SettingError(f"INCREMENTAL_RETRY_FAILED: {exc}") from None


def capture_dir(settings) -> Path:
    """CAPTURE_DIR, or `<ARCHIVE_PATH>-warc/` beside the archive (next to SQLite's own
    `-wal` and `-shm` companions)."""
    configured = settings.get("CAPTURE_DIR")
    if configured:
        return Path(configured)
    archive = Path(settings.get("ARCHIVE_PATH"))
    return archive.with_name(archive.name + "-warc")


def check_settings(settings) -> None:
    """Every scheduled-crawl setting usable, or SettingError / WarcError (both one line)."""
    crawl_now(settings)
    if settings.getbool("INCREMENTAL_ENABLED"):
        revisit_policy(settings)
        retry_policy(settings)
    if settings.getbool("CAPTURE_ENABLED"):
        check_capture_dir(capture_dir(settings))
    for name in ("REPLAY_DIR", "REPLAY_WARC"):
        value = settings.get(name)
        if value and not Path(value).exists():
            raise SettingError(f"{name} does not exist: {value}")
    if settings.get("REPLAY_DIR") and settings.get("REPLAY_WARC"):
        raise SettingError("set REPLAY_DIR or REPLAY_WARC, not both")

