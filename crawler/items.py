"""The Article item every spider yields: the record's fields (archive/record.py: `RECORD`,
then how the crawl got it, `CAPTURE`) as a dataclass Scrapy's ItemAdapter reads, with the
dedupe decision the pipelines pass along. Typed fields, no logic."""

from __future__ import annotations

from dataclasses import Field, field, make_dataclass
from typing import Any  # noqa: F401 (named in the fields' types, for typing.get_type_hints)

from archive import record


def _default(spec: record.Field) -> Field:
    """An empty list or dict for each item of its own; None otherwise."""
    return field(default=None) if spec.empty() is None else field(default_factory=spec.empty)


Article = make_dataclass(
    "Article",
    [(f.name, f.type) for f in record.RECORD if f.required]
    + [(f.name, f.type, _default(f)) for f in record.RECORD + record.CAPTURE if not f.required]
    # Set by the dedupe pipeline for the store pipeline (an archive.store.Decision).
    + [("dedupe", "Any", field(default=None))],
)
Article.__module__ = __name__  # make_dataclass names no module before Python 3.12
