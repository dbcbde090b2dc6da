"""Bytes to text: the page's real encoding, whatever it declares.

Order of evidence: a byte-order mark; the HTTP charset; the `<meta charset>` in the first
bytes; then detection. A declaration is only believed if the bytes decode under it, so a
page that says utf-8 but is gbk (or windows-1252) is still read right. gb2312 and gbk are
read as gb18030, their superset: real "gb2312" pages use characters outside gb2312.
"""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

_META_CHARSET = re.compile(
    rb"""<meta[^>]+?charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.IGNORECASE
)
_HTTP_CHARSET = re.compile(r"charset\s*=\s*[\"']?([a-zA-Z0-9_.:-]+)", re.IGNORECASE)

# Declared names that browsers (and the WHATWG encoding standard) read as a superset.
SUPERSETS = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "gb_2312-80": "gb18030",
    "big5": "big5hkscs",
    "iso-8859-1": "cp1252",
    "latin-1": "cp1252",
    "latin1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "shift_jis": "cp932",
    "euc-kr": "cp949",
}

BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# How much of the page to search for a <meta charset>: browsers look at the first 1024
# bytes; real pages put long scripts first, so look further.
META_SCAN_BYTES = 8192


def normalize_encoding(name: str | None) -> str | None:
    if not name:
        return None
    name = name.strip().strip("\"'").lower()
    name = SUPERSETS.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def http_charset(content_type: str | None) -> str | None:
    if not content_type:
        return None
    match = _HTTP_CHARSET.search(content_type)
    return normalize_encoding(match.group(1)) if match else None


def meta_charset(body: bytes) -> str | None:
    match = _META_CHARSET.search(body[:META_SCAN_BYTES])
    return normalize_encoding(match.group(1).decode("ascii", "replace")) if match else None


def _decodes(body: bytes, encoding: str) -> bool:
    try:
        body.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


_NON_ASCII = re.compile(rb"[\x80-\xff]+")
SINGLE_BYTE = ("cp1252", "iso8859", "latin", "cp125", "koi8", "mac")


def _looks_utf8(body: bytes, declared: str) -> bool:
    """Bytes that are valid utf-8 with real multi-byte characters are utf-8, whatever the
    page declares: a CMS template that says iso-8859-1 around utf-8 text is common, while
    text in a single-byte encoding (or a long gbk text) is almost never valid utf-8."""
    runs = _NON_ASCII.findall(body[:200_000])
    if not runs:
        return False
    needed = 1 if declared.startswith(SINGLE_BYTE) else 8
    if sum(len(r) for r in runs) < needed * 2:
        return False
    return _decodes(body, "utf-8")


def decode_html(body: bytes, content_type: str | None = None) -> tuple[str, str]:
    """(text, encoding used). Never raises for bad bytes: the last resort decodes with
    replacement characters."""
    for bom, encoding in BOMS:
        if body.startswith(bom):
            return body[len(bom) :].decode(encoding, errors="replace"), encoding
    declared = [e for e in (http_charset(content_type), meta_charset(body)) if e]
    if declared and declared[0] != "utf-8" and _looks_utf8(body, declared[0]):
        return body.decode("utf-8"), "utf-8"
    for encoding in dict.fromkeys(declared):
        if _decodes(body, encoding):
            return body.decode(encoding), encoding
    # Undeclared, or declared wrong: utf-8 is the only common encoding that rarely decodes
    # text that is not utf-8, so try it before guessing.
    if _decodes(body, "utf-8"):
        return body.decode("utf-8"), "utf-8"
    guess = from_bytes(body[:200_000]).best()
    encoding = normalize_encoding(guess.encoding) if guess else None
    if encoding and _decodes(body, encoding):
        return body.decode(encoding), encoding
    # A page with a few broken bytes: keep the declared reading if there was one.
    fallback = declared[0] if declared else (encoding or "utf-8")
    return body.decode(fallback, errors="replace"), fallback
