"""Every recorded page against its hand-reviewed expected record, field by field."""

from __future__ import annotations

import pytest

from archive.record import RECORD_FIELDS
from crawler.extraction import ExtractionError, Page, extract_article
from crawler.extraction.profiles import ecns
from crawler.spiders.base import response_problem
from tests.conftest import load_recording, recordings


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
    record = extract_article(info["url"], body, info.get("headers"))
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
        return
    content_type = (info.get("headers") or {}).get("Content-Type", "")
    declared = int((info.get("headers") or {}).get("Content-Length") or 0)
    problem = response_problem(
        body, is_text=True, flags=["dataloss"] if declared > len(body) else [], content_type=content_type
    )
    if reason in ("truncated", "not_html"):
        assert problem and problem[0] == reason
        return
    assert problem is None
    try:
        record = extract_article(info["url"], body, info.get("headers"))
    except ExtractionError:
        return
    if reason == "no_body":
        assert not (record.get("body") or "").strip()
    elif reason == "no_title":
        assert not (record.get("title") or "").strip()
    else:
        pytest.fail(f"unknown skip reason {reason}")
