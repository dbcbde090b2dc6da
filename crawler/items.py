"""The Article record every spider yields: typed fields, no logic (see DESIGN.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Article:
    url: str
    site: str
    title: str | None = None
    body: str | None = None
    canonical_url: str | None = None
    published: str | None = None
    updated: str | None = None
    source: str | None = None
    authors: list[str] = field(default_factory=list)
    editor: str | None = None
    language: str | None = None
    related_heading: str | None = None
    related: list[dict[str, Any]] = field(default_factory=list)
    copyright: dict[str, Any] | None = None
    # How each field was filled ({"title": "profile:ecns", "body": "trafilatura", ...}).
    extraction: dict[str, str] = field(default_factory=dict)
    fetched_at: str | None = None
    # The raw capture the record was parsed from: {"file", "offset", "record_id"} of its
    # WARC response record (crawler.middlewares.CaptureMiddleware), or None.
    warc: dict[str, Any] | None = None
    # Set by the dedupe pipeline for the store pipeline (an archive.store.Decision).
    dedupe: Any = None
