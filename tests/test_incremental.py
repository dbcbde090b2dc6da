"""Incremental crawling: the revisit and retry policies, the archive lookup they use, and
real crawls over the recorded site that skip what the archive holds and revisit what is due."""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timedelta, timezone

import pytest
from sqlite_utils import Database

from archive import incremental as inc
from archive.store import Archive
from tests.conftest import FIXTURES, copy_crawl, make_record, scrapy_crawl

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
    with Archive(archive_path, create=True) as archive:
        stored = archive.store(make_record(published=hours_ago(3)), seen_at=hours_ago(2))
        # Published after the stored one: a copy of it (an earlier one would be the original).
        copy = make_record(url="https://www.example.com/news/2024/copy.html", title="A copy", published=hours_ago(1))
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
    with Archive(archive_path, create=True) as archive:
        plans = [
            " ".join(str(r[-1]) for r in archive.db.execute(f"explain query plan {sql}", ["k"]).fetchall())
            for sql in (
                "select a.id from article_urls u join articles a on a.id = u.article_id where u.url_key = ?",
                "select article_id from duplicates where url_key = ?",
                "select attempts from failed_urls where url_key = ?",
            )
        ]
    assert all("SCAN" not in plan for plan in plans), plans


# -- real crawls over the recorded site ----------------------------------------------------

T0 = "2024-11-18T12:00:00+08:00"  # the recorded site's "today": gen-2 articles of 11-09 to 11-18


def table_counts(archive):
    db = Database(archive)
    return {t: db[t].count for t in ("articles", "related", "duplicates", "revisions", "article_urls")}


def article_records_sent(capture_dir, after: set[str] = frozenset()) -> list[str]:
    """URLs of the article requests a crawl sent, from its WARC captures (only files not in
    `after`)."""
    from archive.warc import iter_responses
    from warcio.archiveiterator import ArchiveIterator

    urls = []
    for path, entry in iter_responses([capture_dir]):
        if path.name in after:
            continue
        with path.open("rb") as fh:
            fh.seek(entry["offset"])
            record = next(iter(ArchiveIterator(fh)))
            if record.rec_headers.get_header("WARC-Newsarchive-Article"):
                urls.append(entry["url"])
    return urls


@pytest.fixture(scope="module")
def first_run(tmp_path_factory):
    """The recorded site crawled into an empty archive on its "today" (T0), once for the
    module: the tests that go on from there work on copies of it (`copy_crawl`)."""
    return scrapy_crawl(tmp_path_factory.mktemp("first-run") / "archive.db", f"CRAWL_NOW={T0}", stats=True)


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory, first_run):
    tmp = tmp_path_factory.mktemp("incremental")
    archive = copy_crawl(first_run.archive, tmp / "archive.db")
    first = first_run.stats
    files_after_first = {p.name for p in (tmp / "archive.db-warc").iterdir()}
    counts = table_counts(archive)
    # An hour later: nothing is due for a revisit, nothing failed is due for a retry.
    second = scrapy_crawl(archive, "CRAWL_NOW=2024-11-18T13:00:00+08:00", stats=True).stats
    return tmp, archive, first, second, counts, files_after_first


@pytest.mark.subprocess
def test_second_run_downloads_no_article_page_and_adds_nothing(two_runs):
    tmp, archive, first, second, counts, files_after_first = two_runs
    assert first["incremental/new"] == 24 and first["store/new"] == 16
    # Every article request of the second run was answered from the archive, unsent.
    assert not any(k in second for k in ("incremental/new", "incremental/revisit", "incremental/retry"))
    assert not any(k.startswith("store/") for k in second)
    skipped = {k: v for k, v in second.items() if k.startswith("incremental/skipped/")}
    assert skipped == {"incremental/skipped/archived": 17, "incremental/skipped/duplicate": 1, "incremental/skipped/failed": 6}
    assert article_records_sent(tmp / "archive.db-warc", after=files_after_first) == []
    # Listings and robots.txt were fetched as always.
    assert second["listing/pages"] == first["listing/pages"]
    assert table_counts(archive) == counts
    db = Database(archive)
    assert db.execute("pragma integrity_check").fetchone()[0] == "ok"
    runs = list(db["crawls"].rows_where(order_by="id"))
    assert [(r["outcome"], r["articles_new"], r["skipped"]) for r in runs] == [("finished", 16, 0), ("finished", 0, 24)]
    # Requests not sent are not errors; the 404s of the unrecorded section pages are.
    assert json.loads(runs[1]["errors"]) == {"http_404": 16}


@pytest.mark.subprocess
def test_failed_article_pages_are_recorded_and_retried_when_due(two_runs):
    _, archive, first, _, _, _ = two_runs
    db = Database(archive)
    failed = {r["url"].rsplit("/", 1)[-1]: r["reason"] for r in db["failed_urls"].rows}
    assert failed == {
        "69218.shtml": "http_404",  # the deliberate replay miss
        "detail-ihejwpcz0349405.shtml": "http_404",
        "detail-ihejxfnt0350178.shtml": "http_500",
        "detail-ihejyrbd0351693.shtml": "no_article",  # truncated
        "detail-ihejxwqm0350922.shtml": "no_article",  # a PDF
        "detail-ihejzkhs0352471.shtml": "missing_body",
    }
    assert sum(v for k, v in first.items() if k.startswith("incremental/failed/")) == 6


@pytest.mark.subprocess
def test_revisits_are_due_by_policy_and_a_changed_page_makes_exactly_one_revision(tmp_path, first_run):
    site = tmp_path / "site"
    shutil.copytree(FIXTURES / "ecns", site)
    archive = copy_crawl(first_run.archive, tmp_path / "archive.db")  # the site crawled at T0, as recorded
    before = table_counts(archive)
    # The next morning's edit of an article published the day before.
    page = site / "g2-society-author-byline" / "body.html"
    page.write_bytes(page.read_bytes().replace(b"eleven o'clock.", b"eleven o'clock, the figures were revised on Tuesday."))

    # 7 h later: the articles of the last two days (published 11-17 and 11-18) are due.
    later = scrapy_crawl(archive, "CRAWL_NOW=2024-11-18T19:00:00+08:00", replay=site, stats=True).stats
    assert later["incremental/revisit"] == 4  # three articles, one of them also under its utm URL form
    assert later["store/revised"] == 1 and later["store/unchanged"] == 3
    assert later["incremental/skipped/archived"] == 13
    db = Database(archive)
    assert db["revisions"].count == 1
    revised = next(db["articles"].rows_where("url like ?", ["%detail-ihekecxu0358402%"]))
    assert "revised on Tuesday" in revised["body"] and revised["authors"] == '["Zhang Wei"]'
    assert revised["last_seen"] == "2024-11-18T11:00:00+00:00" and revised["first_seen"] == "2024-11-18T04:00:00+00:00"
    old_text = next(db["revisions"].rows)
    assert old_text["article_id"] == revised["id"] and "revised on Tuesday" not in old_text["body"]
    # The revision keeps the capture it was parsed from, the article its new one.
    assert old_text["warc_record_id"] and old_text["warc_record_id"] != revised["warc_record_id"]
    unchanged = next(db["articles"].rows_where("url like ?", ["%detail-ihekectp0358339%"]))
    assert unchanged["last_seen"] == "2024-11-18T11:00:00+00:00"
    untouched = next(db["articles"].rows_where("url like ?", ["%130296.shtml"]))
    assert untouched["last_seen"] == "2024-11-18T04:00:00+00:00"  # 2014: never revisited
    after = table_counts(archive)
    assert {k: after[k] - before[k] for k in after} == {"articles": 0, "related": 0, "duplicates": 0, "revisions": 1, "article_urls": 0}

    # An hour after the revisit: not due again. Six hours after it: due, and unchanged now.
    again = scrapy_crawl(archive, "CRAWL_NOW=2024-11-18T20:00:00+08:00", replay=site, stats=True).stats
    assert "incremental/revisit" not in again and not any(k.startswith("store/") for k in again)
    sixth = scrapy_crawl(archive, "CRAWL_NOW=2024-11-19T01:00:00+08:00", replay=site, stats=True).stats
    assert sixth["incremental/revisit"] == 4 and sixth["store/unchanged"] == 4 and "store/revised" not in sixth
    # Three days on, all are older than two days: none is fetched again.
    late = scrapy_crawl(archive, "CRAWL_NOW=2024-11-21T20:00:00+08:00", replay=site, stats=True).stats
    assert "incremental/revisit" not in late
    assert Database(archive)["revisions"].count == 1
    runs = list(Database(archive)["crawls"].rows_where(order_by="id"))
    assert [r["revisited"] for r in runs] == [0, 4, 0, 4, 0]
    assert [r["articles_revised"] for r in runs] == [0, 1, 0, 0, 0]


@pytest.mark.subprocess
def test_revisit_policy_is_a_setting(tmp_path, first_run):
    archive = copy_crawl(first_run.archive, tmp_path / "archive.db")  # crawled at T0: nothing to revisit yet
    later = scrapy_crawl(archive, "CRAWL_NOW=2024-11-19T12:00:00+08:00", "INCREMENTAL_REVISIT=never", stats=True).stats
    assert "incremental/revisit" not in later
    tiered = scrapy_crawl(archive, "CRAWL_NOW=2024-11-19T12:00:00+08:00", "INCREMENTAL_REVISIT=1d:1h,30d:1d", stats=True).stats
    # The ten 2024 articles (one also under its utm URL form) are younger than 30 days and
    # were last seen a day ago: due. The 2013-2014 ones are not.
    assert tiered["incremental/revisit"] == 11


@pytest.mark.subprocess
def test_a_url_that_redirected_to_an_archived_article_is_skipped_next_time(tmp_path):
    site = tmp_path / "site"
    shutil.copytree(FIXTURES / "ecns", site)
    short = "http://www.ecns.cn/business/2014/08-19/999999.shtml"  # an old link, now redirected
    seed = "http://www.ecns.cn/business/2014/08-19/130296.shtml"
    (site / "redirect").mkdir()
    (site / "redirect" / "info.json").write_text(json.dumps(
        {"url": short, "status": 301, "headers": {"Location": seed, "Content-Type": "text/html"}, "body": "body.html"}))
    (site / "redirect" / "body.html").write_bytes(b"")
    archive = tmp_path / "archive.db"
    args = (f"start_urls={short}", "follow_sections=0")
    first = scrapy_crawl(archive, f"CRAWL_NOW={T0}", replay=site, args=args, stats=True).stats
    assert first["store/new"] >= 1 and first["incremental/aliases"] == 1
    second = scrapy_crawl(archive, f"CRAWL_NOW={T0}", replay=site, args=args, stats=True).stats
    assert second["incremental/skipped/archived"] >= 1 and "incremental/new" not in second
    assert "downloader/response_status_count/301" not in second  # the redirect was not fetched again


@pytest.mark.subprocess
def test_incremental_off_fetches_everything_again(tmp_path, first_run):
    archive = copy_crawl(first_run.archive, tmp_path / "archive.db")  # crawled at T0
    full = scrapy_crawl(archive, f"CRAWL_NOW={T0}", "INCREMENTAL_ENABLED=False", stats=True).stats
    assert not any(k.startswith("incremental/") for k in full)
    assert full["store/unchanged"] == 17
