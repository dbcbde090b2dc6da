"""The project's settings as the values the crawl's components use (policies, times,
directories, the User-Agent), read and checked in one place so that a bad value fails
before the crawl starts, in one line (the crawl command, crawler/commands/crawl.py, checks
them all first; the middlewares and the crawl-run extension read them)."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from scrapy.settings import SETTINGS_PRIORITIES

from archive.incremental import PolicyError, RetryPolicy, RevisitPolicy, parse_time
from archive.lock import DEFAULT_LOCK_TIMEOUT
from archive.warc import check_capture_dir


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


# The project's numeric settings: (name, type, smallest value allowed).
NUMERIC_SETTINGS = (
    ("ARCHIVE_BATCH_SIZE", int, 1),
    ("ARCHIVE_LOCK_TIMEOUT", float, 0),
    ("CAPTURE_MAX_FILE_SIZE", int, 1),
    ("CRAWLS_UPDATE_INTERVAL", float, 0),
    ("REPLAY_DELAY", float, 0),
)


def number_setting(settings, name: str, kind=float, minimum: float = 0):
    """A numeric setting, or SettingError naming it (`-s ARCHIVE_BATCH_SIZE=abc`, `=0`)."""
    value = settings.get(name)
    try:
        number = kind(value if kind is float else str(value).strip())
    except (TypeError, ValueError):
        what = "a whole number" if kind is int else "a number"
        raise SettingError(f"{name} must be {what}, not {value!r}") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise SettingError(f"{name} must be a finite number, not {value!r}")
    if number < minimum:
        raise SettingError(f"{name} must be at least {minimum}, not {value!r}")
    return number


def lock_timeout(settings) -> float:
    """ARCHIVE_LOCK_TIMEOUT: seconds a write waits for another program's SQLite lock."""
    if settings.get("ARCHIVE_LOCK_TIMEOUT") is None:
        return DEFAULT_LOCK_TIMEOUT
    return number_setting(settings, "ARCHIVE_LOCK_TIMEOUT", float, 0)


def check_spider_arguments(spider_loader, name: str, arguments: dict) -> None:
    """The spider exists and accepts its -a arguments (its constructor checks them), or
    SettingError with the spider's own message."""
    try:
        spidercls = spider_loader.load(name)
    except KeyError:
        raise SettingError(f"no spider named {name!r} (spiders: {', '.join(sorted(spider_loader.list()))})") from None
    try:
        spidercls(**arguments)
    except (TypeError, ValueError) as exc:
        message = str(exc)
        raise SettingError(message if message.startswith(f"{name}:") else f"{name}: {message}") from None


def check_values(settings) -> None:
    """Every scheduled-crawl setting readable, or SettingError (one line). Touches nothing."""
    for name, kind, minimum in NUMERIC_SETTINGS:
        if settings.get(name) is not None:
            number_setting(settings, name, kind, minimum)
    crawl_now(settings)
    if settings.getbool("INCREMENTAL_ENABLED"):
        revisit_policy(settings)
        retry_policy(settings)
    for name in ("REPLAY_DIR", "REPLAY_WARC"):
        value = settings.get(name)
        if value and not Path(value).exists():
            raise SettingError(f"{name} does not exist: {value}")
    if settings.get("REPLAY_DIR") and settings.get("REPLAY_WARC"):
        raise SettingError("set REPLAY_DIR or REPLAY_WARC, not both")


def check_directories(settings) -> None:
    """The capture directory usable (created if missing), or WarcError (one line). Called
    once the archive is known to be one the crawl may write."""
    if settings.getbool("CAPTURE_ENABLED"):
        check_capture_dir(capture_dir(settings))


def apply_contact(settings) -> None:
    """CONTACT added to the default User-Agent (a USER_AGENT set by the user is left alone)."""
    contact = (settings.get("CONTACT") or "").strip()
    if contact and settings.getpriority("USER_AGENT") <= SETTINGS_PRIORITIES["project"]:
        settings.set("USER_AGENT", f"{settings.get('USER_AGENT').rstrip(')')}; +{contact})", priority="cmdline")


def missing_contact(settings) -> bool:
    """A live crawl (not a replay) whose User-Agent names nobody to contact."""
    live = not (settings.get("REPLAY_DIR") or settings.get("REPLAY_WARC"))
    return live and not settings.get("CONTACT") and settings.getpriority("USER_AGENT") <= SETTINGS_PRIORITIES["project"]
