"""Other tools' web archives read record by record: WARC 1.0 / 1.1 / 0.17 / 0.18 (`.warc`,
`.warc.gz`: Common Crawl's CC-NEWS, Heritrix, `wget --warc-file`, Browsertrix, our own
captures), WACZ (`.wacz`: Browsertrix, ArchiveWeb.page) and ARC 1.0 (`.arc`, `.arc.gz`), for
`newsarchive import`.

    read_archive_file(path, start) -> ArchivedRecord | DamagedRange, in file order

Each ArchivedRecord says where it is (offset, end: where the next one starts, the offset an
interrupted import resumes at), what it is (WARC-Type; an ARC record is a `response`) and,
on demand, the HTTP response it holds (`capture()`): the status, the headers (decoded as
UTF-8, else Latin-1, never an error), and the payload with its transfer framing (chunked)
undone; Content-Encoding is left for crawler/parsing.py to undo, as for a crawled page.

WARC files are read by archive/warc.py's `read_records` (damage costs the records it hits:
reading resumes at the next record); so are a WACZ's, each WARC file as the byte range of
the .wacz archive/wacz.py finds it at, its records' offsets the .wacz's (a WaczError after
the others are read when some cannot be: see there); ARC files by warcio, resuming after
damage at the next gzip member (`.arc.gz`) or the next line that opens an ARC record (`.arc`).

No Scrapy here.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from warcio.archiveiterator import ArchiveIterator

from archive.warc import (
    GZIP_MAGIC,
    READ_ERRORS,
    Capture,
    DamagedRange,
    WarcError,
    WarcRecord,
    read_record,
    read_records,
    without_transfer_coding,
)
from archive.wacz import WACZ_SUFFIXES, WaczError, is_wacz, warc_members

WARC_SUFFIXES = (".warc", ".warc.gz")
ARC_SUFFIXES = (".arc", ".arc.gz")
ARCHIVE_SUFFIXES = WARC_SUFFIXES + ARC_SUFFIXES + WACZ_SUFFIXES

# An ARC record's header line: URL, IP address, 14-digit date, content type, length.
_ARC_HEADER = re.compile(rb"\n(?=[a-z][a-z0-9+.-]*:\S* \S+ \d{14} \S* \d+\r?\n)")


def is_archive_file(path: Path) -> bool:
    return path.name.lower().endswith(ARCHIVE_SUFFIXES)


def is_arc(path: Path) -> bool:
    return path.name.lower().endswith(ARC_SUFFIXES)


@dataclass
class ArchivedRecord:
    """One whole record of a web archive file."""

    path: Path
    offset: int  # where it starts (its gzip member's start in a compressed file)
    end: int  # where the next record starts
    type: str | None  # WARC-Type: response, resource, revisit, request, metadata, warcinfo...
    url: str | None
    date: str | None  # WARC-Date (ISO 8601)
    record_id: str | None
    payload_digest: str | None
    size: int  # bytes of the record's block (HTTP headers and payload)
    warc: WarcRecord | None = None  # a WARC record's bytes
    arc_capture: Capture | None = None  # an ARC record, read as it was met

    def header(self, name: str) -> str | None:
        return self.warc.header(name) if self.warc is not None else None

    def capture(self) -> Capture:
        """The HTTP response the record holds (a resource record: its block, with its
        Content-Type, as a 200 response). WarcError when it does not parse."""
        if self.arc_capture is not None:
            return self.arc_capture
        assert self.warc is not None
        return self.warc.capture()


def read_archive_file(path: str | os.PathLike, start: int = 0) -> Iterator[ArchivedRecord | DamagedRange]:
    """Every whole record of a WARC, WACZ or ARC file from offset `start`, in file order, and
    a DamagedRange for each run of bytes between them that is not one. An OSError if the file
    cannot be read; a WaczError for a WACZ whose WARC files cannot be read (raised after the
    readable ones are read)."""
    path = Path(path)
    if is_arc(path):
        yield from _read_arc(path, start)
        return
    if is_wacz(path):
        yield from _read_wacz(path, start)
        return
    for item in read_records(path, start):
        if isinstance(item, DamagedRange):
            yield item
            continue
        yield _warc_entry(path, item)


def _warc_entry(path: Path, record: WarcRecord) -> ArchivedRecord:
    header = record.header
    head_end = record.data.find(b"\r\n\r\n")
    return ArchivedRecord(
        path=path, offset=record.offset, end=record.offset + record.length, type=record.type,
        url=(header("WARC-Target-URI") or "").strip("<>") or None, date=header("WARC-Date"),
        record_id=header("WARC-Record-ID"), payload_digest=header("WARC-Payload-Digest"),
        size=len(record.data) - head_end - 8, warc=record,
    )


def _read_wacz(path: Path, start: int) -> Iterator[ArchivedRecord | DamagedRange]:
    contents = warc_members(path)
    for member in contents.members:
        if member.end <= start:
            continue
        for item in read_records(path, max(start, member.start), member.end, compressed=member.compressed):
            yield item if isinstance(item, DamagedRange) else _warc_entry(path, item)
    if contents.problems:
        raise WaczError("; ".join(contents.problems))


def _arc_date(value: str | None) -> str | None:
    """An ARC 14-digit date (warcio gives it as ISO 8601 already in arc2warc mode)."""
    if value and re.fullmatch(r"\d{14}", value):
        return f"{value[:4]}-{value[4:6]}-{value[6:8]}T{value[8:10]}:{value[10:12]}:{value[12:14]}Z"
    return value


def _next_arc_start(fh, start: int, size: int, compressed: bool) -> int:
    """The next offset from `start` on that may open an ARC record; `size` if none does."""
    chunk_size = 1 << 20
    position = start
    while position < size:
        fh.seek(position)
        chunk = fh.read(chunk_size)
        if compressed:
            found = chunk.find(GZIP_MAGIC)
            if found >= 0:
                return position + found
        else:
            found = _ARC_HEADER.search(chunk)
            if found:
                return position + found.start() + 1
        if len(chunk) < chunk_size:
            break
        position += len(chunk) - 64
    return size


def _read_arc(path: Path, start: int) -> Iterator[ArchivedRecord | DamagedRange]:
    with path.open("rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        fh.seek(0)
        compressed = fh.read(len(GZIP_MAGIC)) == GZIP_MAGIC
        offset = start
        while offset < size:
            fh.seek(offset)
            iterator = ArchiveIterator(fh, arc2warc=True)
            try:
                for record in iterator:
                    headers = record.rec_headers
                    http = record.http_headers
                    body = record.raw_stream.read()
                    iterator.read_to_end(record)
                    record_offset = iterator.member_info[0]
                    end = iterator.offset  # the next record's start, blank lines between skipped
                    url = headers.get_header("WARC-Target-URI")
                    date = _arc_date(headers.get_header("WARC-Date"))
                    capture = None
                    if record.rec_type == "response" and http is not None:
                        status = http.get_statuscode()
                        capture = without_transfer_coding(Capture(
                            url=url, date=date, status=int(status) if status and status.isdigit() else 0,
                            reason=http.statusline.split(" ", 1)[1] if " " in http.statusline else "",
                            protocol=http.protocol, headers=list(http.headers), body=body,
                            record_id="",  # ARC records have no id (warcio makes a random one)
                        ))
                    yield ArchivedRecord(
                        path=path, offset=record_offset, end=end,
                        type=record.rec_type if capture is not None or record.rec_type != "response" else "unparsed",
                        url=url, date=date, record_id=None, payload_digest=None,
                        size=len(body), arc_capture=capture,
                    )
                    offset = end
                offset = size
            except READ_ERRORS:
                resume = _next_arc_start(fh, offset + 1, size, compressed)
                yield DamagedRange(offset, resume - offset, "ARC record does not parse")
                offset = resume


def read_payload(path: str | os.PathLike, offset: int) -> Capture:
    """The response record at `offset` of a WARC or WACZ file (what a revisit record refers to).
    WarcError when it is not a whole response record."""
    record = read_record(path, offset)
    if record.type != "response":
        raise WarcError(f"record at offset {offset} of {path} is a {record.type}, not a response")
    return record.capture()


def archive_files(paths) -> tuple[list[Path], list[str]]:
    """The web archive files named by `paths` (files, directories searched recursively for
    .warc/.warc.gz/.arc/.arc.gz/.wacz, glob patterns), each once, in the order given (a directory's
    and a pattern's files in name order); and one line for each path that names none."""
    import glob

    found: list[Path] = []
    seen: set[Path] = set()
    problems: list[str] = []
    for given in map(str, paths):
        path = Path(given)
        if path.is_dir():
            matches = sorted(p for p in path.rglob("*") if p.is_file() and is_archive_file(p))
            if not matches:
                problems.append(f"{given}: no .warc, .warc.gz, .arc, .arc.gz or .wacz files in this directory")
        elif path.exists():
            matches = [path]
        elif glob.has_magic(given):
            matches = sorted(Path(p) for p in glob.glob(given, recursive=True) if Path(p).is_file())
            if not matches:
                problems.append(f"{given}: no file matches this pattern")
        else:
            matches = []
            problems.append(f"{given}: no such file or directory")
        for match in matches:
            if match.resolve() not in seen:
                seen.add(match.resolve())
                found.append(match)
    return found, problems


__all__ = [
    "ARCHIVE_SUFFIXES", "ArchivedRecord", "Capture", "DamagedRange", "WaczError", "WarcError", "archive_files",
    "read_archive_file", "read_payload",
]
