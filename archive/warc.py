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
(committed later) is complete on disk. A file cut short by a crash (or a power loss) is
detected by `scan()`, which reads the good records and reports the damaged tail.

No Scrapy here: the crawl's capture middleware turns its requests and responses into the
plain values `WarcWriter.write_exchange` takes.
"""

from __future__ import annotations

import io
import os
import socket
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http import HTTPStatus
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.statusandheaders import StatusAndHeaders, StatusAndHeadersParserException
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
    """What `scan()` found in one file: its readable records and, if the file ends in bytes
    that are not a whole record, where that damaged tail starts and how long it is."""

    path: Path
    records: list[dict] = field(default_factory=list)  # {offset, type, url, record_id, date}
    damaged_at: int | None = None
    damaged_bytes: int = 0
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.damaged_at is None

    def describe(self) -> str:
        good = f"{len(self.records)} good records"
        if self.ok:
            return f"{self.path}: {good}"
        return (
            f"{self.path}: {good}; damaged tail of {self.damaged_bytes} bytes from offset "
            f"{self.damaged_at} ({self.error})"
        )


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

    @property
    def current_file(self) -> Path | None:
        return self._path

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


# -- reading ---------------------------------------------------------------------------


def _capture_from(record) -> Capture:
    http = record.http_headers
    status_line = http.get_statuscode() if http else "200"
    reason = http.statusline.split(" ", 1)[1] if http and " " in http.statusline else ""
    headers = [
        ("Transfer-Encoding" if k == "X-Newsarchive-Transfer-Encoding" else k, v)
        for k, v in (http.headers if http else [])
    ]
    # raw_stream: the payload exactly as stored, whatever the HTTP headers claim
    body = record.raw_stream.read()
    return Capture(
        url=record.rec_headers.get_header("WARC-Target-URI"),
        date=record.rec_headers.get_header("WARC-Date"),
        status=int(status_line),
        reason=reason,
        protocol=http.protocol if http else "HTTP/1.1",
        headers=headers,
        body=body,
        record_id=record.rec_headers.get_header("WARC-Record-ID"),
        truncated=record.rec_headers.get_header("WARC-Truncated"),
    )


def read_capture(path: str | os.PathLike, offset: int, record_id: str | None = None) -> Capture:
    """The response record at `offset` of `path`. Raises WarcError when the file is missing,
    the bytes there are not a whole response record, or its id is not `record_id`."""
    try:
        fh = open(path, "rb")
    except OSError as exc:
        raise WarcError(f"cannot open capture {path}: {exc.strerror or exc}") from None
    with fh:
        try:
            # First pass: the record is all there (a record cut by a crash is never used).
            fh.seek(offset)
            iterator = ArchiveIterator(fh, no_record_parse=True)
            record = next(iter(iterator), None)
            if record is None:
                raise WarcError(f"no readable record at offset {offset} of {path} (file cut short or damaged)")
            declared = int(record.rec_headers.get_header("Content-Length") or 0)
            if len(record.raw_stream.read()) < declared or (
                str(path).endswith(".gz") and not _gzip_member_complete(fh, offset, iterator.get_record_length())
            ):
                raise WarcError(f"record at offset {offset} of {path} is cut short (damaged file)")
            # Second pass: the HTTP response in it.
            fh.seek(offset)
            record = next(iter(ArchiveIterator(fh)))
            if record.rec_type != "response":
                raise WarcError(f"record at offset {offset} of {path} is a {record.rec_type}, not a response")
            found_id = record.rec_headers.get_header("WARC-Record-ID")
            if record_id and found_id != record_id:
                raise WarcError(f"record at offset {offset} of {path} is {found_id}, not {record_id}")
            return _capture_from(record)
        except READ_ERRORS as exc:
            raise WarcError(f"damaged record at offset {offset} of {path}: {exc}") from None


def scan(path: str | os.PathLike) -> ScanResult:
    """Every readable record of one WARC file, and its damaged tail if it has one: a record
    shorter than its Content-Length, bytes that do not decompress or parse, or a gzip
    member without its end (a file cut by a crash)."""
    path = Path(path)
    result = ScanResult(path)
    size = path.stat().st_size
    end = 0
    with path.open("rb") as fh:
        iterator = ArchiveIterator(fh, no_record_parse=True)
        try:
            for record in iterator:
                # Read the block before asking for offsets: warcio's offset getters consume it.
                declared = int(record.rec_headers.get_header("Content-Length") or 0)
                read = 0
                while chunk := record.raw_stream.read(1 << 16):
                    read += len(chunk)
                offset, length = iterator.get_record_offset(), iterator.get_record_length()
                if offset != end:
                    raise ArchiveLoadFailed(f"unexpected bytes at offset {end}")
                if read < declared:
                    raise ArchiveLoadFailed(f"record cut short: {read} of {declared} bytes")
                if path.name.endswith(".gz") and not _gzip_member_complete(fh, offset, length):
                    raise ArchiveLoadFailed("gzip member without its end")
                result.records.append(
                    {
                        "offset": offset,
                        "type": record.rec_type,
                        "url": record.rec_headers.get_header("WARC-Target-URI"),
                        "record_id": record.rec_headers.get_header("WARC-Record-ID"),
                        "date": record.rec_headers.get_header("WARC-Date"),
                    }
                )
                end = offset + length
        except READ_ERRORS as exc:
            result.error = str(exc) or type(exc).__name__
    if end < size:
        result.damaged_at = end
        result.damaged_bytes = size - end
        result.error = result.error or "bytes after the last record are not a record"
    return result


def _gzip_member_complete(fh, offset: int, length: int) -> bool:
    """Whether the gzip member at offset..offset+length decompresses to its end (its
    trailer is there), without disturbing the file position."""
    position = fh.tell()
    try:
        fh.seek(offset)
        data = fh.read(length)
    finally:
        fh.seek(position)
    decompressor = zlib.decompressobj(wbits=31)
    try:
        decompressor.decompress(data)
    except zlib.error:
        return False
    return decompressor.eof


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
    `paths`; damaged tails are skipped (`scan` reports them)."""
    for path in warc_files(paths):
        for entry in scan(path).records:
            if entry["type"] == "response":
                yield path, entry
