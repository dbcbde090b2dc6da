"""From a captured response to an article record, or a typed skip: the one pure function
every door into the archive goes through, so that a record never depends on which door a
page came in by.

    parse_response(CapturedResponse) -> dict | Skip

No Scrapy here: the argument and the result are plain, picklable data, so the function runs
as well in a worker process, over WARC records, or in a test. Its steps, in order, each
usable on its own:

    decode_content     Content-Encoding undone, as Scrapy's HttpCompressionMiddleware does
    response_problem   an HTTP error, not HTML, truncated                  -> Skip
    extract_page       crawler.extraction.extract_article                  -> record | Skip
    validate_record    no title, no body: not an article                   -> Skip
    normalized_fields  the stored form of each field (crawler/normalize.py)

(`extract_response` is the first three.)

A Skip names its `step`: "response" and "extraction" skips are pages that cannot be parsed
as articles (the crawl counts them as `pages/skipped/<reason>`); "validation" skips are
records that are not articles (`validate/dropped/<reason>`).

Who calls what: `newsarchive reparse` calls `parse_response`. A crawl runs the same steps
where Scrapy puts them: the spider calls `extract_response` (crawler/spiders/base.py), the
validate and normalise pipelines (crawler/pipelines/) call `validate_record` and
`normalized_fields`, so that drops go through Scrapy's item pipeline as before (its
signals, stats and log lines). `newsarchive extract`, over saved pages that have no HTTP
exchange, calls `extract_page` and prints the record as extracted.
"""

from __future__ import annotations

import gzip
import importlib.util
import io
import mimetypes
import re
import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

from crawler.extraction import ExtractionError, extract_article
from crawler.extraction.page import sniff_binary
from crawler.items import Article
from crawler.normalize import collapse_whitespace, normalized_fields

# The steps a Skip comes from.
RESPONSE = "response"
EXTRACTION = "extraction"
VALIDATION = "validation"

# A page needs at least this much text to be an article rather than a stub or an index.
MIN_BODY_CHARS = 20

# The record's fields: the Article item's, less the dedupe decision (set by the dedupe pipeline).
RECORD_FIELDS = tuple(name for name in Article.__dataclass_fields__ if name != "dedupe")
# The fields extraction fills (the rest say where and when the page was fetched).
EXTRACTED_FIELDS = tuple(name for name in RECORD_FIELDS if name not in ("fetched_at", "warc"))


@dataclass(frozen=True)
class CapturedResponse:
    """A response as it was received: from Scrapy (crawler/responses.py) or a WARC record."""

    url: str
    body: bytes
    status: int = 200
    # (name, value) pairs in the order received; a repeated header is repeated.
    headers: tuple[tuple[str, str], ...] = ()
    # The body is shorter than the server sent or announced (Scrapy's "dataloss" flag,
    # WARC-Truncated, a Content-Length over the body's length).
    truncated: bool = False
    # The request's meta (JSON-able): meta["warc"] says where the capture is stored.
    meta: Mapping[str, Any] = field(default_factory=dict)
    # When it was fetched (ISO 8601), stored with the record.
    fetched_at: str | None = None

    @classmethod
    def from_warc(cls, capture, meta: Mapping[str, Any] | None = None) -> "CapturedResponse":
        """A WARC response record read back (archive.warc.Capture), fetched at its WARC-Date.
        Truncated when the WARC says so, or when the body is shorter than its Content-Length
        (which counts the body as sent, before any Content-Encoding is undone)."""
        headers = cls.header_pairs(capture.headers)
        declared = last_header(headers, "Content-Length")
        short = declared is not None and declared.isdigit() and int(declared) > len(capture.body)
        return cls(url=capture.url, body=capture.body, status=capture.status, headers=headers,
                   truncated=bool(capture.truncated) or short, meta=dict(meta or {}), fetched_at=capture.date)

    @staticmethod
    def header_pairs(headers: Mapping[str, str] | Iterable[tuple[str, str]] | None) -> tuple[tuple[str, str], ...]:
        """Headers given as a dict or as pairs, as the pairs this class holds."""
        if not headers:
            return ()
        items = headers.items() if isinstance(headers, Mapping) else headers
        return tuple((str(name), str(value)) for name, value in items)


@dataclass(frozen=True)
class Skip:
    """Why a response gives no article: `reason` is a short stats key (not_html, truncated,
    empty, missing_body, http_404, ...), `message` one line for the log, `step` where it was
    found (RESPONSE, EXTRACTION or VALIDATION)."""

    reason: str
    message: str
    step: str


# -- headers -------------------------------------------------------------------------------


def header_values(headers: Iterable[tuple[str, str]], name: str) -> list[str]:
    name = name.lower()
    return [value for key, value in headers if key.lower() == name]


def last_header(headers: Iterable[tuple[str, str]], name: str) -> str | None:
    """The value Scrapy's `Headers.get(name)` gives: the last one received."""
    values = header_values(headers, name)
    return values[-1] if values else None


def first_values(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Each header's first value, names title-cased as Scrapy's `Headers` keeps them: what
    the extractor is given."""
    out: dict[str, str] = {}
    for name, value in headers:
        out.setdefault(name.title(), value)
    return out


# -- Content-Encoding ----------------------------------------------------------------------


class DecodingError(ValueError):
    """A body its Content-Encoding cannot undo."""


def _gunzip(data: bytes) -> bytes:
    # As much as can be read (a cut or damaged stream still gives its start), as Scrapy's
    # scrapy.utils.gz.gunzip; nothing readable is an error.
    out, reader = [], gzip.GzipFile(fileobj=io.BytesIO(data))
    while True:
        try:
            chunk = reader.read1(65536)
        except (OSError, EOFError, struct.error):
            if out:
                break
            raise
        if not chunk:
            break
        out.append(chunk)
    return b"".join(out)


def _inflate(data: bytes) -> bytes:
    try:
        return zlib.decompressobj().decompress(data)
    except zlib.error:  # raw deflate, as some servers send it
        return zlib.decompressobj(wbits=-15).decompress(data)


def _unbrotli(data: bytes) -> bytes:
    try:
        import brotli
    except ImportError:
        import brotlicffi as brotli
    return brotli.decompress(data)


def _unzstd(data: bytes) -> bytes:
    try:
        from compression import zstd  # Python 3.14
    except ImportError:
        from backports import zstd
    return zstd.decompress(data)


def _available(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


_DECODERS = {"gzip": _gunzip, "x-gzip": _gunzip, "deflate": _inflate}
if _available("brotli") or _available("brotlicffi"):
    _DECODERS["br"] = _unbrotli
if _available("compression.zstd") or _available("backports.zstd"):
    _DECODERS["zstd"] = _unzstd


def decode_content(body: bytes, headers: tuple[tuple[str, str], ...]) -> tuple[bytes, tuple[tuple[str, str], ...]]:
    """The body as a spider sees it, with the headers that go with it: Content-Encoding
    undone from the last coding applied, as Scrapy's HttpCompressionMiddleware does (gzip,
    deflate, br, zstd). An unknown coding and those under it are left, and named in the
    header; the header goes when every coding is undone. DecodingError when a coding cannot
    be undone. A body already decoded (no Content-Encoding) is returned as it is."""
    codings = [c.strip().lower() for value in header_values(headers, "Content-Encoding") for c in value.split(",")]
    if not codings:
        return body, headers
    while codings and codings[-1] in _DECODERS:
        coding = codings.pop()
        try:
            body = _DECODERS[coding](body)
        except Exception as exc:  # each library has its own errors: zlib, OSError, brotli.error
            raise DecodingError(f"cannot undo Content-Encoding {coding}: {exc}") from None
    kept = tuple((k, v) for k, v in headers if k.lower() != "content-encoding")
    if codings:
        kept += (("Content-Encoding", ",".join(codings)),)
    return body, kept


# -- is it text? -----------------------------------------------------------------------------

# The media types Scrapy makes a TextResponse of (scrapy.responsetypes.ResponseTypes.CLASSES);
# any other text/* does too.
TEXT_MEDIA_TYPES = frozenset({
    "text/html", "application/atom+xml", "application/rdf+xml", "application/rss+xml",
    "application/xhtml+xml", "application/vnd.wap.xhtml+xml", "application/xml", "application/json",
    "application/x-json", "application/json-amazonui-streaming", "application/javascript",
    "application/x-javascript", "text/xml",
})
# Control characters that make bytes binary to Scrapy (scrapy.utils.python.binary_is_text:
# all below 32 but NUL, tab, line feed and carriage return).
_BINARY_CHAR = re.compile(rb"[\x01-\x08\x0b\x0c\x0e-\x1f]")


def _media_types() -> mimetypes.MimeTypes:
    """File extensions to media types as Scrapy reads them: its own mime.types, found
    without importing Scrapy; Python's table where Scrapy is not installed."""
    table = mimetypes.MimeTypes()
    spec = importlib.util.find_spec("scrapy")
    for location in (spec.submodule_search_locations or []) if spec else []:
        path = Path(location) / "mime.types"
        if path.is_file():
            with path.open(encoding="utf8") as fh:
                table.readfp(fh)
            break
    return table


_MEDIA_TYPES = _media_types()


def _text_media_type(media_type: str) -> bool:
    return media_type in TEXT_MEDIA_TYPES or media_type.split("/", 1)[0] == "text"


def _text_file_name(name: str) -> bool:
    media_type, encoding = _MEDIA_TYPES.guess_type(name)
    return bool(media_type) and not encoding and _text_media_type(media_type)


def is_text(url: str, headers: tuple[tuple[str, str], ...], body: bytes) -> bool:
    """Whether Scrapy makes a TextResponse of this response (scrapy.responsetypes: the
    Content-Type, unless a Content-Encoding is left; then a Content-Disposition file name,
    the URL's file name, and last the bytes themselves)."""
    content_type = last_header(headers, "Content-Type")
    if content_type is not None and not last_header(headers, "Content-Encoding"):
        if _text_media_type(content_type.split(";")[0].strip().lower()):
            return True
    disposition = last_header(headers, "Content-Disposition")
    if disposition is not None:
        try:
            name = disposition.split(";")[1].split("=")[1].strip("\"'")
        except IndexError:
            name = None
        if name and _text_file_name(name):
            return True
    if _text_file_name(url):
        return True
    return not _BINARY_CHAR.search(body, 0, 5000)


# -- the steps -------------------------------------------------------------------------------


def looks_truncated(body: bytes) -> bool:
    """An HTML page that stops before its end tags: cut in transfer or in storage."""
    tail = body[-4096:].lower()
    return b"</html" not in tail and b"</body" not in tail


def response_problem(body: bytes, *, is_text: bool, truncated: bool = False, content_type: str = "",
                     status: int = 200) -> Skip | None:
    """Why a fetched article page cannot be parsed as one, or None if it can."""
    if not 200 <= status < 300:
        return Skip(f"http_{status}", f"HTTP status {status}", RESPONSE)
    if truncated:
        return Skip("truncated", "body shorter than its Content-Length", RESPONSE)
    binary = sniff_binary(body)
    if binary or not is_text:
        return Skip("not_html", f"response is {binary or content_type or 'not text'}, not HTML", RESPONSE)
    if looks_truncated(body):
        return Skip("truncated", "page ends before its closing tags", RESPONSE)
    return None


def extract_page(url: str, body: bytes, headers: Mapping[str, str] | None = None) -> dict[str, Any] | Skip:
    """The extraction step alone, over a page's bytes (crawler.extraction.extract_article):
    the record as extracted (with "extraction": which method filled each field), or why the
    page cannot be parsed. For saved pages, which have no HTTP exchange to check."""
    try:
        return extract_article(url, body, headers)
    except ExtractionError as exc:
        return Skip(exc.reason, str(exc), EXTRACTION)


def extract_response(response: CapturedResponse) -> dict[str, Any] | Skip:
    """The record the response holds, as extracted (not yet validated nor normalised), or
    why the response cannot be parsed as an article."""
    try:
        body, headers = decode_content(response.body, response.headers)
    except DecodingError as exc:
        return Skip("undecodable", str(exc), RESPONSE)
    problem = response_problem(
        body,
        is_text=is_text(response.url, headers, body),
        truncated=response.truncated,
        content_type=last_header(headers, "Content-Type") or "",
        status=response.status,
    )
    if problem:
        return problem
    found = extract_page(response.url, body, first_values(headers))
    if isinstance(found, Skip):
        return found
    record = {name: found[name] for name in EXTRACTED_FIELDS if name in found}
    record["fetched_at"] = response.fetched_at
    record["warc"] = response.meta.get("warc")
    return record


def validate_record(record: Mapping[str, Any]) -> Skip | None:
    """Why a record is not an article (no title, no body), or None."""
    if not collapse_whitespace(record.get("title")):
        return Skip("missing_title", "no title", VALIDATION)
    if len(collapse_whitespace(record.get("body"))) < MIN_BODY_CHARS:
        return Skip("missing_body", f"no body (under {MIN_BODY_CHARS} characters)", VALIDATION)
    return None


def parse_response(response: CapturedResponse) -> dict[str, Any] | Skip:
    """The article record a captured response holds (validated, normalised: as the archive
    stores it, with `fetched_at` and `warc` from the response), or why it holds none."""
    record = extract_response(response)
    if isinstance(record, Skip):
        return record
    problem = validate_record(record)
    if problem:
        return problem
    record.update(normalized_fields(record))
    return record
