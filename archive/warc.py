"""Raw captures: every HTTP exchange of a crawl kept as WARC records, so the archive can be
re-parsed from the bytes the site sent without fetching it again.

Files are `<prefix>-<UTC timestamp>-<serial>-<pid>.warc.gz`, one gzip member per record
(any record can be read from its offset alone), each file opened with a `warcinfo` record
and rotated when it reaches a size limit. A page is a `response` record (status line,
headers and body as received) followed by the `request` record that asked for it
(`WARC-Concurrent-To` links them). The body is kept as it came over the wire, compressed
if the server compressed it; the transfer framing is not (the network layer removes it),
so a `Transfer-Encoding` header is renamed `X-Newsarchive-Transfer-Encoding`.

Each record is flushed to the operating system as soon as it is written, so a crawl killed
with SIGKILL loses at most the record being written: a capture an article row points to
(committed later) is complete on disk. Damage costs only the records it hits:
`read_records()` reads a file's whole records and reports the damaged byte ranges between
them (a file cut by a crash, bytes overwritten), picking up again at the next record, since
every record starts a gzip member of its own. It reads any WARC file, ours or not.

No Scrapy here: the crawl's capture middleware turns its requests and responses into the
plain values `WarcWriter.write_exchange` takes.
"""

from __future__ import annotations

import gzip
import io
import os
import re
import socket
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http import HTTPStatus
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.statusandheaders import StatusAndHeaders, StatusAndHeadersParser, StatusAndHeadersParserException
from warcio.warcwriter import WARCWriter

DEFAULT_MAX_FILE_SIZE = 100 * 1024 * 1024
WARC_SUFFIXES = (".warc.gz", ".warc")
# What reading a damaged record can raise, from warcio, zlib or the HTTP header parser
# (warcio lets AttributeError and TypeError out of some half-read headers).
READ_ERRORS = (
    ArchiveLoadFailed, StatusAndHeadersParserException, zlib.error, EOFError, ValueError, OSError,
    AttributeError, TypeError, KeyError,
)

Headers = Sequence[tuple[str, str]]


class WarcError(Exception):
    """A capture that cannot be written or read; the message is meant for the user."""


@dataclass(frozen=True)
class WarcPointer:
    """Where one record lives: the file, the byte offset its gzip member starts at, and its
    WARC-Record-ID (checked when it is read back)."""

    file: str
    offset: int
    record_id: str

    def as_dict(self) -> dict:
        return {"file": self.file, "offset": self.offset, "record_id": self.record_id}


@dataclass
class Capture:
    """A response record read back: what the crawl received for `url`."""

    url: str
    date: str | None
    status: int
    reason: str
    protocol: str
    headers: list[tuple[str, str]]
    body: bytes
    record_id: str
    truncated: str | None = None  # WARC-Truncated: the body is not all the server meant to send

    def header(self, name: str) -> str | None:
        name = name.lower()
        return next((v for k, v in self.headers if k.lower() == name), None)


@dataclass
class ScanResult:
    """What `scan()` found in one file: its whole records, the damaged ranges between or
    after them, and `error` when the file could not be read at all."""

    path: Path
    records: list[dict] = field(default_factory=list)  # {offset, length, type, url, record_id, date}
    damaged: list[DamagedRange] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return not self.damaged and self.error is None

    @property
    def damaged_bytes(self) -> int:
        return sum(r.length for r in self.damaged)

    def summary(self) -> str:
        """One line: the file, its good records, how much is damaged."""
        line = f"{self.path}: {len(self.records)} good records"
        if self.damaged:
            ranges = "range" if len(self.damaged) == 1 else "ranges"
            line += f", {len(self.damaged)} damaged {ranges} ({self.damaged_bytes} bytes)"
        if self.error:
            line += f"; {self.error}"
        return line

    def describe(self, most: int = 5) -> str:
        """One line for a log: `summary()` and the first `most` damaged ranges."""
        shown = "; ".join(r.describe() for r in self.damaged[:most])
        more = f"; {len(self.damaged) - most} more" if len(self.damaged) > most else ""
        return self.summary() + (f": {shown}{more}" if shown else "")


def utc_timestamp(moment: datetime | None = None) -> str:
    return (moment or datetime.now(timezone.utc)).strftime("%Y%m%d%H%M%S")


def check_capture_dir(path: str | os.PathLike) -> Path:
    """Create the capture directory if needed and prove it is writable, or raise WarcError
    with one line saying why not."""
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise WarcError(f"capture directory is not a directory: {path}") from None
    except OSError as exc:
        raise WarcError(f"cannot create capture directory {path}: {exc.strerror or exc}") from None
    if not path.is_dir():
        raise WarcError(f"capture directory is not a directory: {path}")
    probe = path / f".write-test-{os.getpid()}"
    try:
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise WarcError(f"capture directory is not writable: {path} ({exc.strerror or exc})") from None
    return path


def _http_headers(status_line: str, headers: Headers, protocol: str) -> StatusAndHeaders:
    renamed = [
        ("X-Newsarchive-Transfer-Encoding" if k.lower() == "transfer-encoding" else k, v) for k, v in headers
    ]
    return StatusAndHeaders(status_line, renamed, protocol=protocol or "HTTP/1.1")


class WarcWriter:
    """Writes request/response pairs to size-rotated, per-record-gzipped WARC files in
    `directory`. Not thread-safe (a crawl writes from its one reactor thread)."""

    def __init__(
        self,
        directory: str | os.PathLike,
        *,
        prefix: str = "newsarchive",
        max_file_size: int = DEFAULT_MAX_FILE_SIZE,
        info: dict | None = None,
    ):
        self.directory = check_capture_dir(directory)
        self.prefix = prefix
        self.max_file_size = max(1, int(max_file_size))
        self.info = {"software": "newsarchive (warcio)", "format": "WARC File Format 1.1",
                     "hostname": socket.gethostname(), **(info or {})}
        self.serial = 0
        self.files: list[Path] = []
        self.records = 0
        self._fh: io.BufferedWriter | None = None
        self._writer: WARCWriter | None = None
        self._path: Path | None = None

    # -- files -------------------------------------------------------------------

    def _open_next(self) -> None:
        self._close_file()
        self.serial += 1
        name = f"{self.prefix}-{utc_timestamp()}-{self.serial:05d}-{os.getpid()}.warc.gz"
        self._path = self.directory / name
        try:
            self._fh = open(self._path, "xb")
        except OSError as exc:
            raise WarcError(f"cannot create capture file {self._path}: {exc.strerror or exc}") from None
        self._writer = WARCWriter(self._fh, gzip=True, warc_version="1.1")
        self.files.append(self._path)
        self._write(self._writer.create_warcinfo_record(name, dict(self.info)))

    def _close_file(self) -> None:
        if self._fh is not None:
            self._fh.flush()
            os.fsync(self._fh.fileno())
            self._fh.close()
        self._fh = self._writer = None

    def close(self) -> None:
        self._close_file()
        self._path = None

    def __enter__(self) -> "WarcWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _write(self, record) -> int:
        assert self._fh is not None and self._writer is not None
        offset = self._fh.tell()
        self._writer.write_record(record)
        # To the OS now: a SIGKILL after this cannot lose the record.
        self._fh.flush()
        return offset

    # -- records -----------------------------------------------------------------

    def write_exchange(
        self,
        *,
        url: str,
        method: str,
        request_headers: Headers,
        request_body: bytes = b"",
        status: int,
        response_headers: Headers,
        body: bytes,
        protocol: str | None = None,
        truncated: str | None = None,
        extra: dict[str, str] | None = None,
        date: datetime | None = None,
    ) -> WarcPointer:
        """Write one response record and its request record; returns where the response
        record is. `truncated` sets WARC-Truncated (e.g. "disconnect" for a body cut short);
        `extra` adds WARC headers (WARC-Newsarchive-*)."""
        if self._fh is None or self._fh.tell() >= self.max_file_size:
            self._open_next()
        assert self._writer is not None and self._path is not None
        warc_date = (date or datetime.now(timezone.utc)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        try:
            reason = HTTPStatus(status).phrase
        except ValueError:
            reason = "Unknown"
        response_headers_dict = {"WARC-Date": warc_date, **(extra or {})}
        if truncated:
            response_headers_dict["WARC-Truncated"] = truncated
        response = self._writer.create_warc_record(
            url,
            "response",
            payload=io.BytesIO(body),
            length=len(body),  # known: warcio then needs no temporary buffer
            warc_headers_dict=response_headers_dict,
            http_headers=_http_headers(f"{status} {reason}", response_headers, protocol or "HTTP/1.1"),
        )
        record_id = response.rec_headers.get_header("WARC-Record-ID")
        split = url.split("://", 1)[-1]
        path = "/" + split.split("/", 1)[1] if "/" in split else "/"
        request = self._writer.create_warc_record(
            url,
            "request",
            payload=io.BytesIO(request_body or b""),
            length=len(request_body or b""),
            warc_headers_dict={"WARC-Date": warc_date, "WARC-Concurrent-To": record_id},
            http_headers=StatusAndHeaders(f"{method} {path} HTTP/1.1", list(request_headers), is_http_request=True),
        )
        offset = self._write(response)
        self._write(request)
        self.records += 1
        return WarcPointer(str(self._path), offset, record_id)

    def copy_record(self, data: bytes, record_id: str) -> WarcPointer:
        """Append a whole WARC record read from another file (its bytes, uncompressed) as a
        gzip member of its own: a copy of a capture whose file may go away (`import --copy`)."""
        if self._fh is None or self._fh.tell() >= self.max_file_size:
            self._open_next()
        assert self._fh is not None and self._path is not None
        offset = self._fh.tell()
        self._fh.write(gzip.compress(data, compresslevel=6, mtime=0))
        self._fh.flush()
        self.records += 1
        return WarcPointer(str(self._path), offset, record_id)

    def write_response(self, *, url: str, date: str | None, status: int, headers: Headers, body: bytes,
                       protocol: str | None = None) -> WarcPointer:
        """Write one response record alone, dated `date` (a WARC-Date as read): a capture met
        in a file that cannot be copied as it is (an ARC record, a revisit resolved to its
        payload)."""
        if self._fh is None or self._fh.tell() >= self.max_file_size:
            self._open_next()
        assert self._writer is not None and self._path is not None
        try:
            reason = HTTPStatus(status).phrase
        except ValueError:
            reason = "Unknown"
        warc_headers = {"WARC-Date": date} if date else {}
        record = self._writer.create_warc_record(
            url, "response", payload=io.BytesIO(body), length=len(body), warc_headers_dict=warc_headers,
            http_headers=_http_headers(f"{status} {reason}", headers, protocol or "HTTP/1.1"),
        )
        offset = self._write(record)
        self.records += 1
        return WarcPointer(str(self._path), offset, record.rec_headers.get_header("WARC-Record-ID"))


# -- reading ---------------------------------------------------------------------------

GZIP_MAGIC = b"\x1f\x8b\x08"  # a gzip member's first bytes (deflate is the only method in use)
# A record is not read past this size uncompressed: no page is that big, and a run of
# damaged bytes must not decompress into all of memory.
MAX_RECORD_BYTES = 256 * 1024 * 1024
# WARC headers are a few hundred bytes; a record whose blank line is not within this is damaged.
MAX_HEADER_BYTES = 64 * 1024
_CHUNK = 1 << 20
_CONTENT_LENGTH = re.compile(rb"(?im)^content-length:[ \t]*(\d+)[ \t]*\r?$")
_HEADER_PARSER = StatusAndHeadersParser(["WARC/1.1", "WARC/1.0", "WARC/0.18", "WARC/0.17"], verify=False)


@dataclass(frozen=True)
class DamagedRange:
    """A run of bytes in a WARC file that holds no whole record: where it starts, how long
    it is, and why it was not read. The reason is ours: never the bytes themselves (a
    library's message may quote them, and they are binary or untrusted)."""

    offset: int
    length: int
    reason: str

    def describe(self) -> str:
        return f"{self.length} bytes at offset {self.offset} ({self.reason})"


@dataclass(frozen=True)
class WarcRecord:
    """One whole record read back: where it is in the file and its bytes, uncompressed.
    In a .warc.gz, `offset` and `length` are its gzip member's (shared by the records of a
    member holding several, which WARC writers are not meant to make)."""

    offset: int
    length: int
    headers: StatusAndHeaders  # the WARC headers
    data: bytes  # the record: WARC headers, block, the CRLF pair that closes it

    def header(self, name: str) -> str | None:
        return self.headers.get_header(name)

    @property
    def type(self) -> str | None:
        return self.header("WARC-Type")

    def entry(self) -> dict:
        return {"offset": self.offset, "length": self.length, "type": self.type, "url": self.header("WARC-Target-URI"),
                "record_id": self.header("WARC-Record-ID"), "date": self.header("WARC-Date")}

    def capture(self) -> Capture:
        """The HTTP response this response record holds (a resource record: its block, with
        its Content-Type, as a 200 response). Raises WarcError when its HTTP part does not
        parse."""
        if self.type == "resource":
            content_type = self.header("Content-Type")
            head_end = self.data.find(b"\r\n\r\n")
            return Capture(url=(self.header("WARC-Target-URI") or "").strip("<>"), date=self.header("WARC-Date"),
                           status=200, reason="OK", protocol="",
                           headers=[("Content-Type", content_type)] if content_type else [],
                           body=self.data[head_end + 4:-4], record_id=self.header("WARC-Record-ID") or "",
                           truncated=self.header("WARC-Truncated"))
        try:
            return _capture_from(next(iter(ArchiveIterator(io.BytesIO(self.data)))))
        except (*READ_ERRORS, StopIteration) as exc:
            raise WarcError(f"its HTTP response does not parse ({type(exc).__name__})") from None


class _Damage(Exception):
    """Why the bytes at an offset are not a whole record, in a few words of our own."""


def _read_at(fh, offset: int, size: int) -> bytes:
    fh.seek(offset)
    return fh.read(size)


def _is_gzip(fh, path: Path, at: int = 0) -> bool:
    """Whether the records from `at` on are gzip members: by the file's name or their first
    bytes (a WACZ holds .warc.gz and .warc files alike)."""
    return path.name.endswith(".gz") or _read_at(fh, at, len(GZIP_MAGIC)) == GZIP_MAGIC


def _zlib_reason(exc: zlib.error) -> str:
    if "incorrect data check" in str(exc) or "incorrect length check" in str(exc):
        return "gzip checksum does not match: bytes changed"
    return "gzip data does not decompress"


def _split_records(data: bytes, offset: int, length: int) -> list[WarcRecord]:
    """The whole records `data` (one gzip member's bytes, or one record's) holds."""
    records = []
    start = 0
    while start < len(data):
        if not data.startswith(b"WARC/", start):
            raise _Damage("not a WARC record")
        header_end = data.find(b"\r\n\r\n", start, start + MAX_HEADER_BYTES)
        if header_end < 0:
            raise _Damage("WARC headers without their end")
        head = data[start:header_end + 2]
        declared = _CONTENT_LENGTH.search(head)
        if declared is None:
            raise _Damage("WARC record without a Content-Length")
        block_end = header_end + 4 + int(declared.group(1))
        if data[block_end:block_end + 4] != b"\r\n\r\n":
            raise _Damage("record shorter than its Content-Length" if block_end + 4 > len(data)
                          else "record longer than its Content-Length")
        try:
            headers = _HEADER_PARSER.parse(io.BytesIO(head + b"\r\n"))
        except READ_ERRORS:
            raise _Damage("WARC headers do not parse") from None
        records.append(WarcRecord(offset, length, headers, data[start:block_end + 4]))
        start = block_end + 4
    return records


def _read_member(fh, offset: int, size: int) -> tuple[list[WarcRecord], int]:
    """The records of the gzip member at `offset`, and where the member ends (by `size`)."""
    head = _read_at(fh, offset, len(GZIP_MAGIC))
    if head != GZIP_MAGIC:
        if GZIP_MAGIC.startswith(head):  # the file ends within the magic
            raise _Damage("cut short: the file ends inside this record")
        raise _Damage("not the start of a gzip member")
    fh.seek(offset)
    inflater = zlib.decompressobj(wbits=31)
    parts: list[bytes] = []
    total = 0
    position = offset  # of `pending`'s first byte
    pending = b""
    want = 1 << 14  # most members are small: read a little, more as the member goes on
    while True:
        if not pending:
            pending = fh.read(max(0, min(want, size - fh.tell())))
            want = min(want * 2, _CHUNK)
            if not pending:
                raise _Damage("cut short: the file ends inside this record")
        try:
            piece = inflater.decompress(pending, MAX_RECORD_BYTES + 1 - total)
        except zlib.error as exc:
            raise _Damage(_zlib_reason(exc)) from None
        parts.append(piece)
        total += len(piece)
        if total > MAX_RECORD_BYTES:
            raise _Damage(f"record over {MAX_RECORD_BYTES >> 20} MiB uncompressed: not read")
        if inflater.eof:
            end = position + len(pending) - len(inflater.unused_data)
            return _split_records(b"".join(parts), offset, end - offset), end
        position += len(pending) - len(inflater.unconsumed_tail)
        pending = inflater.unconsumed_tail


def _read_plain(fh, offset: int, size: int) -> tuple[list[WarcRecord], int]:
    """The record at `offset` of an uncompressed file, and where it ends (by `size`)."""
    head = _read_at(fh, offset, min(MAX_HEADER_BYTES, size - offset))
    if not head.startswith(b"WARC/"):
        raise _Damage("not a WARC record")
    header_end = head.find(b"\r\n\r\n")
    declared = _CONTENT_LENGTH.search(head, 0, max(header_end, 0))
    if header_end < 0 or declared is None:
        if offset + len(head) >= size:
            raise _Damage("cut short: the file ends inside this record")
        raise _Damage("WARC headers without their end" if header_end < 0 else "WARC record without a Content-Length")
    length = header_end + 4 + int(declared.group(1)) + 4
    if length > MAX_RECORD_BYTES:
        raise _Damage(f"record over {MAX_RECORD_BYTES >> 20} MiB: not read")
    if offset + length > size:
        raise _Damage("cut short: the file ends inside this record")
    return _split_records(_read_at(fh, offset, length), offset, length), offset + length


def _member_starts_record(fh, offset: int) -> bool:
    try:
        return zlib.decompressobj(wbits=31).decompress(_read_at(fh, offset, 4096), 8).startswith(b"WARC/")
    except zlib.error:
        return False


def _plain_starts_record(fh, offset: int) -> bool:
    head = _read_at(fh, offset, MAX_HEADER_BYTES)
    header_end = head.find(b"\r\n\r\n")
    return (re.match(rb"WARC/\d\.\d+\r\n", head) is not None and header_end > 0
            and _CONTENT_LENGTH.search(head, 0, header_end) is not None)


def _next_start(fh, start: int, size: int, marker: bytes, skip: int, starts_record) -> int:
    """The first offset from `start` on where `marker` (then `skip` bytes into it) begins
    a record by `starts_record`; `size` if none does."""
    position = max(0, start - skip)
    while position < size:
        chunk = _read_at(fh, position, min(_CHUNK, size - position))
        found = chunk.find(marker)
        while found >= 0:
            candidate = position + found + skip
            if start <= candidate < size and starts_record(fh, candidate):
                return candidate
            found = chunk.find(marker, found + 1)
        if len(chunk) < _CHUNK:
            break
        position += len(chunk) - (len(marker) - 1)
    return size


def read_records(path: str | os.PathLike, start: int = 0, end: int | None = None,
                 compressed: bool | None = None) -> Iterator[WarcRecord | DamagedRange]:
    """Every whole record of a WARC file, in file order, and a DamagedRange for each run of
    bytes between them that is not a whole record. After damage, reading resumes at the
    next record: in a .warc.gz (one gzip member per record) the next gzip member that
    decompresses to a WARC record; in an uncompressed .warc the next "WARC/1.x" line after
    a line break that opens a whole record. So damage costs the records it hits and no
    others, and a file cut short loses only its last record.

    `start`: the offset to begin at (a record's start: where an earlier reading stopped).
    `end`: where the WARC data ends, when it is part of a larger file (a WACZ's member:
    offsets stay the larger file's); `compressed`: whether its records are gzip members
    (by default the file's name and first bytes tell).

    Nothing in the file's bytes makes this raise; an OSError if the file cannot be read."""
    path = Path(path)
    with path.open("rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        if end is not None:
            size = min(size, end)
        if _is_gzip(fh, path) if compressed is None else compressed:
            read_unit, marker, skip, starts_record = _read_member, GZIP_MAGIC, 0, _member_starts_record
        else:
            read_unit, marker, skip, starts_record = _read_plain, b"\nWARC/", 1, _plain_starts_record
        damaged: DamagedRange | None = None
        offset = start
        while offset < size:
            try:
                records, end = read_unit(fh, offset, size)
            except _Damage as exc:
                resume = _next_start(fh, offset + 1, size, marker, skip, starts_record)
                if damaged is None:
                    damaged = DamagedRange(offset, resume - offset, str(exc))
                else:  # one run of damage, however many tries it took to get past it
                    damaged = DamagedRange(damaged.offset, resume - damaged.offset, damaged.reason)
                offset = resume
                continue
            if damaged is not None:
                yield damaged
                damaged = None
            yield from records
            offset = end
        if damaged is not None:
            yield damaged


def read_record(path: str | os.PathLike, offset: int) -> WarcRecord:
    """The record at `offset` of `path` (the first, if its gzip member holds several): a
    WARC file, or a WACZ, whose WARC files are stored in it byte for byte (the offset is then
    the WACZ's; each record's bytes say whether it is compressed).
    Raises WarcError, with a reason of our own, when the file cannot be opened or the bytes
    there are not a whole record."""
    path = Path(path)
    try:
        fh = path.open("rb")
    except OSError as exc:
        raise WarcError(f"cannot open capture {path}: {exc.strerror or exc}") from None
    with fh:
        try:
            size = os.fstat(fh.fileno()).st_size
            if not 0 <= offset < size:
                raise WarcError(f"no record at offset {offset} of {path}: the file has {size} bytes")
            read_unit = _read_member if _is_gzip(fh, path, offset) else _read_plain
            records, _ = read_unit(fh, offset, size)
        except _Damage as exc:
            raise WarcError(f"damaged record at offset {offset} of {path}: {exc}") from None
        except OSError as exc:
            raise WarcError(f"cannot read capture {path}: {exc.strerror or exc}") from None
    if not records:
        raise WarcError(f"no record at offset {offset} of {path} (an empty gzip member)")
    return records[0]


def dechunk(data: bytes) -> bytes | None:
    """A chunked transfer-coded body's payload, or None when the chunks stop short."""
    out, position = [], 0
    while True:
        line_end = data.find(b"\r\n", position)
        if line_end < 0:
            return None
        try:
            size = int(data[position:line_end].split(b";", 1)[0].strip() or b"x", 16)
        except ValueError:
            return None
        if size == 0:
            return b"".join(out)
        start = line_end + 2
        if start + size > len(data):
            return None
        out.append(data[start:start + size])
        position = start + size + 2


def without_transfer_coding(capture: Capture) -> Capture:
    """The capture with a chunked body unframed (other tools, wget among them, store the
    bytes as they came over the wire; ours rename the header, see above); a body that does
    not parse as chunks is marked truncated."""
    codings = [v.strip().lower() for k, v in capture.headers if k.lower() == "transfer-encoding"]
    if "chunked" not in codings:
        return capture
    capture.headers = [(k, v) for k, v in capture.headers if k.lower() != "transfer-encoding"]
    body = dechunk(capture.body)
    if body is None:
        capture.truncated = capture.truncated or "chunked body cut short"
    else:
        capture.body = body
    return capture


def _capture_from(record) -> Capture:
    http = record.http_headers
    status_line = http.get_statuscode() if http else "200"
    reason = http.statusline.split(" ", 1)[1] if http and " " in http.statusline else ""
    # raw_stream: the payload exactly as stored, whatever the HTTP headers claim
    body = record.raw_stream.read()
    capture = without_transfer_coding(Capture(
        url=(record.rec_headers.get_header("WARC-Target-URI") or "").strip("<>"),
        date=record.rec_headers.get_header("WARC-Date"),
        status=int(status_line),
        reason=reason,
        protocol=http.protocol if http else "HTTP/1.1",
        headers=list(http.headers if http else []),
        body=body,
        record_id=record.rec_headers.get_header("WARC-Record-ID"),
        truncated=record.rec_headers.get_header("WARC-Truncated"),
    ))
    # Our own captures' transfer framing was undone before they were written.
    capture.headers = [("Transfer-Encoding" if k == "X-Newsarchive-Transfer-Encoding" else k, v)
                       for k, v in capture.headers]
    return capture


def read_capture(path: str | os.PathLike, offset: int, record_id: str | None = None) -> Capture:
    """The response (or resource) record at `offset` of `path`. Raises WarcError when the
    file is missing, the bytes there are not a whole response record, or its id is not
    `record_id`."""
    record = read_record(path, offset)
    if record.type not in ("response", "resource"):
        raise WarcError(f"record at offset {offset} of {path} is a {record.type}, not a response")
    found_id = record.header("WARC-Record-ID")
    if record_id and found_id != record_id:
        raise WarcError(f"record at offset {offset} of {path} is {found_id}, not {record_id}")
    try:
        return record.capture()
    except WarcError as exc:
        raise WarcError(f"damaged record at offset {offset} of {path}: {exc}") from None


def scan(path: str | os.PathLike) -> ScanResult:
    """Every whole record of one WARC file (`read_records`), and the damaged ranges between
    them: bytes that do not decompress or parse, a record shorter than its Content-Length,
    a gzip member without its end (a file cut by a crash)."""
    result = ScanResult(Path(path))
    try:
        for item in read_records(path):
            if isinstance(item, DamagedRange):
                result.damaged.append(item)
            else:
                result.records.append(item.entry())
    except OSError as exc:
        result.error = f"cannot read: {exc.strerror or type(exc).__name__}"
    return result


def pointer_path(path: str | os.PathLike, archive_path: str | os.PathLike) -> str:
    """How an article row names its WARC file: relative to the archive's directory when the
    file is under it (archive and captures then move together), else absolute."""
    path = Path(path).resolve()
    base = Path(archive_path).resolve().parent
    try:
        return str(path.relative_to(base))
    except ValueError:
        return str(path)


def locate(file: str, archive_path: str | os.PathLike, search: Iterable[str | os.PathLike] = ()) -> Path:
    """The WARC file an article row names (`pointer_path`), or the file of that name in one
    of the `search` directories (captures moved elsewhere); the stored path if neither."""
    stored = Path(file)
    path = stored if stored.is_absolute() else Path(archive_path).resolve().parent / stored
    if path.exists():
        return path
    for directory in search:
        candidate = Path(directory) / stored.name
        if candidate.exists():
            return candidate
    return path


def warc_files(paths: Iterable[str | os.PathLike]) -> list[Path]:
    """WARC files named by `paths`, directories searched recursively, in name order (which
    is the order they were written in)."""
    found: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found.extend(q for q in p.rglob("*") if q.name.endswith(WARC_SUFFIXES) and q.is_file())
        elif p.exists():
            found.append(p)
        else:
            raise WarcError(f"no such capture file or directory: {p}")
    return sorted(found)


def iter_responses(paths: Iterable[str | os.PathLike]) -> Iterator[tuple[Path, dict]]:
    """(file, record entry) for every good response record of the WARC files under
    `paths`; damaged ranges are skipped (`scan` reports them)."""
    for path in warc_files(paths):
        for entry in scan(path).records:
            if entry["type"] == "response":
                yield path, entry
