"""Every recorded page against its hand-reviewed expected record, field by field: the
recorded response through the one function from a response to a record
(crawler.parsing.parse_response), as every door into the archive runs it."""

from __future__ import annotations

import pytest

from archive.record import RECORD_FIELDS
from crawler.extraction import Page
from crawler.extraction.profiles import ecns
from crawler.parsing import Skip, parse_response
from tests.conftest import load_recording, recorded_response, recordings

# expected.json's skip reasons, as the function names them (http_error: `http_<status>`).
SKIP_REASONS = {"no_body": "missing_body", "no_title": "missing_title"}


def _cases(kind: str, site: str | None = None):
    cases = []
    for directory in recordings(site):
        info, body, expected = load_recording(directory)
        if expected["kind"] == kind:
            cases.append(pytest.param(directory, id=directory.name))
    return cases


def test_there_are_enough_recordings():
    articles = _cases("article")
    listings = _cases("listing")
    assert len([c for c in articles if "ecns" in str(c.values[0])]) >= 15
    assert len([c for c in listings if "ecns" in str(c.values[0])]) >= 3


@pytest.mark.parametrize("directory", _cases("article"))
def test_article_record_matches_expected(directory):
    info, body, expected = load_recording(directory)
    record = parse_response(recorded_response(directory))
    assert not isinstance(record, Skip), record
    want = expected["record"]
    mismatches = {
        field: {"got": record.get(field), "want": want.get(field)}
        for field in RECORD_FIELDS
        if record.get(field) != want.get(field)
    }
    assert not mismatches, mismatches


# Other sites' listings are read by the news spider's discovery, tested with it.
@pytest.mark.parametrize("directory", _cases("listing", "ecns"))
def test_ecns_listing_links_match_expected(directory):
    info, body, expected = load_recording(directory)
    page = Page.from_bytes(info["url"], body, info.get("headers"))
    article_urls, next_page = ecns.extract_listing(page)
    assert article_urls == expected["article_urls"]
    assert next_page == expected["next_page"]


@pytest.mark.parametrize("directory", _cases("skip"))
def test_bad_page_is_refused_for_its_reason(directory):
    info, body, expected = load_recording(directory)
    reason = expected["reason"]
    status = int(info.get("status", 200))
    if reason == "http_error":
        assert status >= 400
    want = f"http_{status}" if reason == "http_error" else SKIP_REASONS.get(reason, reason)
    result = parse_response(recorded_response(directory))
    assert isinstance(result, Skip), result
    assert result.reason == want, result
