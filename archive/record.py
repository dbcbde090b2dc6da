"""The article record, defined once: its fields and their types, which of them the extractor
fills, which make a new revision when they change, and how a record is stored as a row of
`articles` and read back.

One record flows through the project: the extractor makes it (a dict,
crawler/extraction/cascade.py), the crawl carries it as an Article item (crawler/items.py,
made from `RECORD` and `CAPTURE` below), the archive stores it (archive/store.py:
`record_to_row`, its `related` list as rows of the `related` table) and reading gives it
back (archive/read/: `row_to_record`). Everything that lists the record's fields imports
them from here; only the migrations in archive/schema.py keep their own frozen copies, so
that what an old migration does to an old archive never changes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Iterable, Mapping


@dataclass(frozen=True)
class Field:
    name: str
    type: str  # the Python type of its value, as an annotation
    # Filled by the extractor, which names the method that did in `record["extraction"]`.
    extracted: bool = False
    # A change to it makes a new revision of the article (archive/store.py keeps the old text).
    revised: bool = False
    # The `articles` columns that hold it: its own name unless given; () when it has a table
    # of its own (`related`).
    columns: tuple[str, ...] | None = None
    # Every record has it (the page's URL and site): an Article item cannot be made without it.
    required: bool = False

    @property
    def stored_in(self) -> tuple[str, ...]:
        return (self.name,) if self.columns is None else self.columns

    def empty(self) -> Any:
        """The value of the field when nothing fills it: an empty list, an empty dict unless
        the type allows None, else None."""
        if self.type.startswith("list"):
            return []
        if self.type.startswith("dict") and not self.type.endswith("None"):
            return {}
        return None


# The record, in the order reading an article gives its fields.
RECORD: tuple[Field, ...] = (
    Field("url", "str", required=True),  # the URL the page was fetched from
    Field("canonical_url", "str | None", extracted=True),  # the page's own rel=canonical, same site only
    Field("title", "str | None", extracted=True, revised=True),
    Field("body", "str | None", extracted=True, revised=True),  # paragraphs separated by a blank line
    Field("published", "str | None", extracted=True, revised=True),  # ISO 8601
    Field("updated", "str | None", extracted=True, revised=True),  # ISO 8601
    Field("source", "str | None", extracted=True, revised=True),  # the credited source ("Xinhua")
    Field("authors", "list[str]", extracted=True, revised=True),  # stored as a JSON list
    Field("editor", "str | None", extracted=True, revised=True),
    Field("language", "str | None", extracted=True),  # BCP 47
    Field("site", "str", required=True),  # the registered domain ("ecns.cn")
    Field("related_heading", "str | None", extracted=True),
    # [{"title", "url", "published"}]: rows of the `related` table.
    Field("related", "list[dict[str, Any]]", extracted=True, columns=()),
    # {"text", "holder", "years": [first, last]}: one column per key, the years as JSON.
    Field("copyright", "dict[str, Any] | None", extracted=True,
          columns=("copyright_text", "copyright_holder", "copyright_years")),
)

# How the crawl got the record: stored beside it in `articles` (a revision keeps its
# `fetched_at` and `warc` too), not part of what reading an article gives back.
CAPTURE: tuple[Field, ...] = (
    # {field: method}: how each field was filled ({"title": "profile:ecns", "body": "trafilatura"}),
    # stored compactly (`compact_extraction`).
    Field("extraction", "dict[str, str]"),
    Field("fetched_at", "str | None"),
    # {"file", "offset", "record_id"} of the WARC response record the page was parsed from
    # (archive/warc.py), when the raw capture is kept.
    Field("warc", "dict[str, Any] | None", columns=("warc_file", "warc_offset", "warc_record_id")),
)

RECORD_FIELDS = tuple(f.name for f in RECORD)
# The fields the extractor fills and names the method of: the fields "*" stands for in a
# stored `extraction` (`compact_extraction`).
EXTRACTION_FIELDS = tuple(f.name for f in RECORD if f.extracted)
# The columns of `articles` that hold the record (the rest is bookkeeping: id, url_key,
# content_hash, first_seen, last_seen, the capture).
RECORD_COLUMNS = tuple(c for f in RECORD for c in f.stored_in)
# The columns whose change makes a new revision; `revisions` keeps them. Bookkeeping
# (last_seen, the URL it was seen under) and derived fields do not.
REVISION_COLUMNS = tuple(c for f in RECORD if f.revised for c in f.stored_in)
# An archived record: the record's fields with the article's id and when it was first and
# last seen (`row_to_record`).
ARCHIVED_FIELDS = ("id", *RECORD_FIELDS, "first_seen", "last_seen")


def _json(value: Any) -> str | None:
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False)


def record_to_row(record: Mapping[str, Any]) -> dict[str, Any]:
    """The `articles` columns for an extracted record and its capture (lists and objects as
    JSON; the related list is not a column)."""
    copyright_ = record.get("copyright") or {}
    encoded = {
        "url": record["url"],
        "authors": _json(list(record.get("authors") or [])),
        "copyright_text": copyright_.get("text"),
        "copyright_holder": copyright_.get("holder"),
        "copyright_years": _json(copyright_.get("years")),
    }
    row = {column: encoded[column] if column in encoded else record.get(column) for column in RECORD_COLUMNS}
    row["extraction"] = compact_extraction(record.get("extraction"))
    row["fetched_at"] = record.get("fetched_at")
    row.update(warc_columns(record.get("warc")))
    return row


def warc_columns(pointer: Mapping[str, Any] | None) -> dict[str, Any]:
    """The WARC pointer columns for a {file, offset, record_id} pointer (all null if none)."""
    pointer = pointer or {}
    return {
        "warc_file": pointer.get("file"),
        "warc_offset": pointer.get("offset"),
        "warc_record_id": pointer.get("record_id"),
    }


def row_to_record(row: Mapping[str, Any], related: Iterable[Mapping[str, Any]] = ()) -> dict[str, Any]:
    """The inverse of `record_to_row`: an archived article as the record the extractor made,
    with its `id`, `first_seen` and `last_seen` (ARCHIVED_FIELDS, in that order)."""
    years = json.loads(row["copyright_years"]) if row.get("copyright_years") else None
    has_copyright = row.get("copyright_text") or row.get("copyright_holder") or years
    decoded = {
        "url": row["url"],
        "authors": json.loads(row["authors"]) if row.get("authors") else [],
        "related": [{"title": r["title"], "url": r["url"], "published": r["published"]} for r in related],
        "copyright": (
            {"text": row.get("copyright_text"), "holder": row.get("copyright_holder"), "years": years}
            if has_copyright
            else None
        ),
    }
    return {
        "id": row["id"],
        **{name: decoded[name] if name in decoded else row.get(name) for name in RECORD_FIELDS},
        "first_seen": row.get("first_seen"),
        "last_seen": row.get("last_seen"),
    }


def compact_extraction(methods: Mapping[str, str] | None) -> str | None:
    """`record["extraction"]` ({field: method}) as stored in `articles.extraction`: JSON
    where "*" names the method that filled most fields, followed by the fields filled
    otherwise and, as null, the fields no method filled (a page of a site profile:
    `{"*":"profile:ecns"}`), or the plain object when that is shorter. `extraction_methods`
    reads either back."""
    if methods is None:
        return None
    counts: dict[str, int] = {}
    for field, method in methods.items():
        if field in EXTRACTION_FIELDS:
            counts[method] = counts.get(method, 0) + 1
    plain = json.dumps(dict(methods), ensure_ascii=False, separators=(",", ":"))
    if not counts or "*" in methods:
        return plain
    common = max(counts, key=counts.get)
    out: dict[str, str | None] = {"*": common}
    out.update((f, m) for f, m in methods.items() if m != common or f not in EXTRACTION_FIELDS)
    out.update((f, None) for f in EXTRACTION_FIELDS if f not in methods)
    compact = json.dumps(out, ensure_ascii=False, separators=(",", ":"))
    return compact if len(compact) < len(plain) else plain


def extraction_methods(stored: str | None) -> dict[str, str] | None:
    """{field: method} from `articles.extraction` (either form: compact, or a plain object as
    archives before migration m203 held)."""
    if not stored:
        return None
    data = json.loads(stored)
    if "*" not in data:
        return data
    methods = {f: data["*"] for f in EXTRACTION_FIELDS if f not in data}
    methods.update((f, m) for f, m in data.items() if f != "*" and m is not None)
    return methods
