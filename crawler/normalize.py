"""Pure normalisation: whitespace, URLs, sites, dates and languages as the archive stores
them, and the normalise step of the flow (`normalized_fields`: a record's fields in that
form), which runs once on every record, after validation (crawler/parsing.py)."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from typing import Any, Mapping
from urllib.parse import urljoin, urlsplit, urlunsplit

import tldextract

_SPACES = " \t\r\f\v\u00a0\u2000-\u200b\u202f\u205f\u3000"  # a plain space first
# Whitespace to make one plain space: a run of it, or one character that is not a plain
# space. A lone plain space, by far the commonest, is left alone: the same result with a
# fraction of the substitutions.
_WS = re.compile(f"[{_SPACES}]{{2,}}|[{_SPACES[1:]}]")
_BLANK_LINES = re.compile(r"\n\s*\n")

# The public suffix list bundled with tldextract: never fetched at run time.
_extract_domain = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)

# Dates before the web and far in the future are parse errors, not publication dates.
EARLIEST_YEAR = 1990
FUTURE_SLACK = timedelta(days=2)


def collapse_whitespace(text: str | None) -> str:
    """One line: runs of any whitespace (including NBSP and ideographic space) -> one space."""
    if not text:
        return ""
    return _WS.sub(" ", text.replace("\n", " ")).strip()


def normalize_body(text: str | None) -> str:
    """Paragraphs separated by exactly one blank line, whitespace inside each collapsed.

    The characters stay in the form the page published them (no Unicode normalisation):
    `normalized_fields` makes stored text NFC for search, the extracted text is what the
    page printed."""
    if not text:
        return ""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    paragraphs = (collapse_whitespace(p) for p in _BLANK_LINES.split(text))
    return "\n\n".join(p for p in paragraphs if p)


# A plain web URL or root-relative path (printable ASCII, no parameters, no dot segments, no
# user or IPv6 host): for these, resolving and normalising is only lowering the scheme and
# host, "/" for an empty path and dropping an empty query and the fragment, done without
# urllib, which takes most of the time of reading a page's links.
_PLAIN_ABSOLUTE = re.compile(r"(?i)(https?)://([a-z0-9.-]+(?::[0-9]*)?)((?:/[!$-'*-:=@-\[\]-~]*)?)(\?[!$-\[\]-~]*)?(?:#.*)?")
_PLAIN_PATH = re.compile(r"(/(?!/)[!$-'*-:=@-\[\]-~]*)(\?[!$-\[\]-~]*)?(?:#.*)?")
_DOT_SEGMENT = re.compile(r"/\.\.?(?:/|$)")


def absolute_url(base: str, href: str | None) -> str | None:
    """`href` resolved against `base`, without fragment; None for non-web links."""
    if not href:
        return None
    href = href.strip()
    if href.lower().startswith(("javascript:", "mailto:", "tel:", "data:", "#")):
        return None
    plain = _plain_url(base, href)
    if plain:
        return plain
    try:
        parts = urlsplit(urljoin(base, href))
    except ValueError:  # not a URL: a bracket in the host ("https://]x/") is taken for broken IPv6
        return None
    if parts.scheme not in ("http", "https"):
        return None
    return urlunsplit((parts.scheme, parts.netloc.lower(), parts.path or "/", parts.query, ""))


def _plain_url(base: str, href: str) -> str | None:
    """`absolute_url` of a plain absolute or root-relative href (see _PLAIN_ABSOLUTE); None
    for any other, which urllib resolves."""
    match = _PLAIN_ABSOLUTE.fullmatch(href)
    if match is None:
        match = _PLAIN_PATH.fullmatch(href)
        if match is None or not base:
            return None
        origin = _PLAIN_ABSOLUTE.fullmatch(base)
        if origin is None:
            return None
        scheme, host = origin.group(1), origin.group(2)
        path, query = match.group(1), match.group(2)
    else:
        scheme, host, path, query = match.groups()
    if _DOT_SEGMENT.search(path):
        return None
    query = query if query and len(query) > 1 else ""
    return f"{scheme.lower()}://{host.lower()}{path or '/'}{query}"


_BCP47 = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")


def normalize_language(value: str | None) -> str | None:
    """A language tag in BCP 47's form (`EN_us` -> `en-US`), or None when it is not one."""
    if not value:
        return None
    value = value.strip().replace("_", "-")
    primary, _, rest = value.partition("-")
    value = primary.lower() + ("-" + rest.upper() if len(rest) == 2 else ("-" + rest if rest else ""))
    return value if _BCP47.match(value) else None


def site_of(url: str) -> str:
    """The registered domain: `http://www.ecns.cn/x` -> `ecns.cn`."""
    return _registered_domain((urlsplit(url).hostname or "").lower())


@lru_cache(maxsize=4096)
def _registered_domain(host: str) -> str:
    # The public-suffix lookup, remembered per host (each link of a page has its own URL, but
    # a page's links name a few hosts).
    parts = _extract_domain(host)
    if parts.domain and parts.suffix:
        return f"{parts.domain}.{parts.suffix}"
    return host


# -- dates ------------------------------------------------------------------------------

_MONTHS = {
    name: i
    for i, names in enumerate(
        [
            ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"),
            ("may",), ("jun", "june"), ("jul", "july"), ("aug", "august"),
            ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}

_TIME = r"(?:[T\s]*(?P<hour>\d{1,2})[:：时](?P<minute>\d{2})(?:[:：分](?P<second>\d{2})(?:\.\d+)?)?秒?)?"
_OFFSET = r"\s*(?P<offset>Z|[+-]\d{2}:?\d{2}|(?:GMT|UTC)\s*[+-]\s*\d{1,2}(?::?\d{2})?)?"
_NUMERIC = re.compile(
    r"(?P<year>(?:19|20)\d{2})\s*[-/.年]\s*(?P<month>\d{1,2})\s*[-/.月]\s*(?P<day>\d{1,2})\s*日?"
    + _TIME + _OFFSET
)
_COMPACT = re.compile(r"(?<!\d)(?P<year>(?:19|20)\d{2})(?P<month>[01]\d)(?P<day>[0-3]\d)(?!\d)")
_WORDY = re.compile(
    r"(?P<mon>[A-Za-z]{3,9})\.?\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<year>(?:19|20)\d{2})"
    r"(?:,?\s+(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?\s*(?P<ampm>[AaPp]\.?[Mm]\.?)?)?"
    + _OFFSET
)
_WORDY_DMY = re.compile(
    r"(?P<day>\d{1,2})\.?\s+(?P<mon>[A-Za-z]{3,9})\.?,?\s+(?P<year>(?:19|20)\d{2})"
    r"(?:,?\s+(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?)?" + _OFFSET
)


def _offset(text: str | None) -> timezone | None:
    if not text:
        return None
    text = text.strip().upper().replace(" ", "")
    if text == "Z":
        return timezone.utc
    text = text.replace("GMT", "").replace("UTC", "")
    match = re.fullmatch(r"([+-])(\d{1,2}):?(\d{2})?", text)
    if not match:
        return None
    delta = timedelta(hours=int(match[2]), minutes=int(match[3] or 0))
    return timezone(-delta if match[1] == "-" else delta)


def _plausible(value: date, now: datetime | None) -> bool:
    now = now or datetime.now(timezone.utc)
    return EARLIEST_YEAR <= value.year and value <= (now + FUTURE_SLACK).date()


def parse_date(
    text: str | None, default_offset: str | None = None, *, now: datetime | None = None
) -> str | None:
    """The first date in `text` as ISO 8601: `2014-08-19T10:39:00+08:00` when a time is
    given (with the page's offset, or `default_offset` when the page gives none), a bare
    `2014-08-19` when only the day is. None when there is no plausible date.

    Understands `2014-08-19 10:39`, `2005-5-7 21:23:57`, `2005年5月7日 21:23`,
    `2024-11-18T10:25:18Z`, `Aug. 12, 2014`, `12 August 2014` and `20140819`."""
    if not text:
        return None
    text = unicodedata.normalize("NFKC", text)
    for pattern in (_NUMERIC, _WORDY, _WORDY_DMY, _COMPACT):
        for match in pattern.finditer(text):
            parts = match.groupdict()
            try:
                if "mon" in parts:
                    month = _MONTHS.get(parts["mon"].lower().rstrip("."))
                    if month is None:
                        continue
                else:
                    month = int(parts["month"])
                day_ = date(int(parts["year"]), month, int(parts["day"]))
            except (ValueError, TypeError):
                continue
            if not _plausible(day_, now):
                continue
            if not parts.get("hour"):
                return day_.isoformat()
            hour, minute = int(parts["hour"]), int(parts["minute"])
            ampm = (parts.get("ampm") or "").lower().replace(".", "")
            if ampm == "pm" and hour < 12:
                hour += 12
            elif ampm == "am" and hour == 12:
                hour = 0
            second = int(parts.get("second") or 0)
            if hour > 23 or minute > 59 or second > 59:
                return day_.isoformat()
            tz = _offset(parts.get("offset")) or _offset(default_offset)
            dt = datetime(day_.year, day_.month, day_.day, hour, minute, second, tzinfo=tz)
            return dt.isoformat(timespec="seconds")
    return None


# -- the record ----------------------------------------------------------------------------


def normalized_fields(record: Mapping[str, Any]) -> dict[str, Any]:
    """The fields this step owns, in the form the archive stores: whitespace, absolute URLs,
    ISO 8601 dates, BCP 47 language, the site's domain, text in NFC. Update the record with
    them; applied twice they change nothing."""
    url = record["url"]
    canonical = absolute_url(url, record.get("canonical_url"))
    related = []
    for entry in record.get("related") or []:
        link = absolute_url(url, entry.get("url"))
        if link:
            related.append({
                "title": collapse_whitespace(entry.get("title")) or None,
                "url": link,
                "published": parse_date(entry.get("published")) if entry.get("published") else None,
            })
    return {
        # Stored text is NFC: a search typed with composed characters must find text the
        # page published decomposed (the extractor keeps the page's own form).
        "title": unicodedata.normalize("NFC", collapse_whitespace(record.get("title"))),
        "body": unicodedata.normalize("NFC", normalize_body(record.get("body"))),
        "source": collapse_whitespace(record.get("source")) or None,
        "editor": collapse_whitespace(record.get("editor")) or None,
        "related_heading": collapse_whitespace(record.get("related_heading")) or None,
        "authors": list(dict.fromkeys(a for a in map(collapse_whitespace, record.get("authors") or []) if a)),
        # Already ISO from the extractor in the common case; re-parsing is a no-op then.
        "published": parse_date(record["published"]) if record.get("published") else None,
        "updated": parse_date(record["updated"]) if record.get("updated") else None,
        # A canonical link to another site names a different page, not this one's identity.
        "canonical_url": canonical if canonical and site_of(canonical) == site_of(url) else None,
        "related": related,
        "language": normalize_language(record.get("language")),
        "site": site_of(url),
    }
