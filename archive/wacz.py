"""Where the WARC files of a WACZ are (the ZIP that Browsertrix and ArchiveWeb.page write:
`archive/*.warc.gz` beside `datapackage.json`, `pages/`, `indexes/`), for `newsarchive import`.

    warc_members(path) -> WaczContents: each WARC file as a byte range of the .wacz

The WACZ spec requires the WARC files to be stored in the ZIP, not compressed by it, so each
one is a run of bytes of the .wacz, read in place by archive/warc.py's reader: its records'
offsets are the .wacz's, and an article's capture pointer (file, offset) and an import's
progress (how far the file was read) need nothing WACZ-specific. A member the ZIP compressed
(a non-conforming WACZ) cannot be read that way and is named in `problems`.

The members are found by the ZIP's central directory, each one's data starting after its
local header (whose name and extra field lengths may differ from the central directory's).
A .wacz without a central directory (cut short) is walked by its local headers instead, so
the records before the cut are read; a member written with its sizes in a data descriptor
after it (as streaming ZIP writers do) ends where a descriptor gives its own length.

No Scrapy here.
"""

from __future__ import annotations

import os
import struct
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from archive.warc import GZIP_MAGIC

WACZ_SUFFIXES = (".wacz",)

# A local file header: signature, versions, flags, method, time, date, CRC, sizes, name and
# extra field lengths.
_LOCAL_HEADER = struct.Struct("<4sHHHHHIIIHH")
_LOCAL_SIGNATURE = b"PK\x03\x04"
_DESCRIPTOR_SIGNATURE = b"PK\x07\x08"
_SIZES_IN_DESCRIPTOR = 0x8
_UTF8_NAME = 0x800
_ZIP64_EXTRA = 0x0001
_ZIP64_SIZE = 0xFFFFFFFF
_METHODS = {zipfile.ZIP_DEFLATED: "deflate", zipfile.ZIP_BZIP2: "bzip2", zipfile.ZIP_LZMA: "lzma"}
_CHUNK = 1 << 20


class WaczError(Exception):
    """A .wacz whose WARC files cannot be read: not a ZIP, no WARC file in it, or members
    compressed by the ZIP. The message is one line for the user."""


@dataclass(frozen=True)
class WarcMember:
    """One WARC file of a WACZ: its name in the ZIP and its bytes' place in the .wacz."""

    name: str
    start: int
    end: int  # where its bytes end (the file's end, if the .wacz is cut short within it)
    compressed: bool  # gzip members (a .warc.gz), else a plain .warc


@dataclass
class WaczContents:
    members: list[WarcMember]  # in file order
    problems: list[str] = field(default_factory=list)  # WARC files that cannot be read in place


def is_wacz(path: Path) -> bool:
    return path.name.lower().endswith(WACZ_SUFFIXES)


def is_warc_name(name: str) -> bool:
    name = name.lower()
    return name.startswith("archive/") and name.endswith((".warc", ".warc.gz"))


@dataclass(frozen=True)
class _Entry:
    name: str
    method: int
    start: int  # its data's first byte
    end: int


def warc_members(path: str | os.PathLike) -> WaczContents:
    """The WARC files (`archive/*.warc.gz`, `archive/*.warc`) of the WACZ at `path`, each as
    a byte range of the file. WaczError when the file is not a ZIP, holds no WARC file, or
    holds only WARC files the ZIP compressed; OSError when it cannot be read."""
    path = Path(path)
    with path.open("rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        try:
            with zipfile.ZipFile(fh) as zf:
                infos = [i for i in zf.infolist() if is_warc_name(i.filename)]
        except (zipfile.BadZipFile, ValueError, NotImplementedError, struct.error):
            # No central directory (the file cut short), or none zipfile can read.
            fh.seek(0)
            if fh.read(len(_LOCAL_SIGNATURE)) != _LOCAL_SIGNATURE:
                raise WaczError("not a ZIP file (a WACZ is one)") from None
            entries = [e for e in _walk_local_headers(fh, size) if is_warc_name(e.name)]
            missing = "no WARC file in archive/ before the file ends (no ZIP central directory: cut short?)"
        else:
            entries = [_entry_of(fh, info, size) for info in infos]
            missing = "no WARC file in archive/ (a WACZ keeps its WARC files there)"
        members, problems = [], []
        for entry in sorted(entries, key=lambda e: e.start):
            if entry.method != zipfile.ZIP_STORED:
                method = _METHODS.get(entry.method, f"method {entry.method}")
                problems.append(f"{entry.name} is compressed in the ZIP ({method}), not stored as WACZ requires:"
                                " not read")
            elif entry.start < 0:
                problems.append(f"{entry.name}: no ZIP local header where the central directory puts it: not read")
            else:
                fh.seek(entry.start)
                compressed = entry.name.lower().endswith(".gz") or fh.read(len(GZIP_MAGIC)) == GZIP_MAGIC
                members.append(WarcMember(entry.name, entry.start, entry.end, compressed))
    if not members:
        raise WaczError("; ".join(problems) or missing)
    return WaczContents(members, problems)


def _entry_of(fh, info: zipfile.ZipInfo, size: int) -> _Entry:
    """A central directory entry, its data placed by its local header (start -1 when there
    is none where the entry says)."""
    fh.seek(info.header_offset)
    head = fh.read(_LOCAL_HEADER.size)
    if len(head) < _LOCAL_HEADER.size or head[:4] != _LOCAL_SIGNATURE:
        return _Entry(info.filename, info.compress_type, -1, -1)
    *_, name_length, extra_length = _LOCAL_HEADER.unpack(head)
    start = info.header_offset + _LOCAL_HEADER.size + name_length + extra_length
    return _Entry(info.filename, info.compress_type, start, min(start + info.compress_size, size))


def _walk_local_headers(fh, size: int) -> list[_Entry]:
    """The entries of a ZIP read from its local headers, from the first on, up to the
    central directory or the first bytes that are not a whole local header."""
    entries: list[_Entry] = []
    offset = 0
    while offset + _LOCAL_HEADER.size <= size:
        fh.seek(offset)
        head = fh.read(_LOCAL_HEADER.size)
        if head[:4] != _LOCAL_SIGNATURE:
            break
        _, _, flags, method, _, _, _, compressed_size, _, name_length, extra_length = _LOCAL_HEADER.unpack(head)
        raw_name = fh.read(name_length)
        extra = fh.read(extra_length)
        if len(raw_name) < name_length or len(extra) < extra_length:
            break
        name = raw_name.decode("utf-8" if flags & _UTF8_NAME else "cp437", errors="replace")
        start = offset + _LOCAL_HEADER.size + name_length + extra_length
        if flags & _SIZES_IN_DESCRIPTOR:
            end, following = _descriptor_end(fh, start, size)
        else:
            if compressed_size == _ZIP64_SIZE:
                compressed_size = _zip64_compressed_size(extra, compressed_size)
            end = following = start + compressed_size
        entries.append(_Entry(name, method, start, min(end, size)))
        offset = following
    return entries


def _zip64_compressed_size(extra: bytes, default: int) -> int:
    """The compressed size in a local header's Zip64 extra field (after the uncompressed
    size, both there when the header's own fields are 0xFFFFFFFF)."""
    position = 0
    while position + 4 <= len(extra):
        kind, length = struct.unpack_from("<HH", extra, position)
        if kind == _ZIP64_EXTRA and length >= 16:
            return struct.unpack_from("<Q", extra, position + 12)[0]
        position += 4 + length
    return default


def _descriptor_end(fh, start: int, size: int) -> tuple[int, int]:
    """Where a member whose sizes follow it ends, and where the next header starts: at the
    first data descriptor (signed) whose compressed size is the distance from `start`
    (bytes of the data that merely look like a descriptor do not also give that), 32-bit
    or Zip64; the file's end when none does."""
    position = start
    while position < size:
        fh.seek(position)
        chunk = fh.read(min(_CHUNK, size - position))
        found = chunk.find(_DESCRIPTOR_SIGNATURE)
        while found >= 0:
            at = position + found
            fh.seek(at + 8)
            sizes = fh.read(18)
            if len(sizes) >= 8:
                distance = at - start
                short, wide = struct.unpack_from("<I", sizes)[0], struct.unpack_from("<Q", sizes)[0]
                # A Zip64 descriptor's 8-byte size starts with the same 4 bytes as a short
                # one's; the short one's two sizes read as one 8-byte number only match an
                # empty member, which the next header's signature then tells apart.
                if wide == distance and (distance > 0 or sizes[8:10] != b"PK"):
                    return at, at + 24
                if short == distance:
                    return at, at + 16
            found = chunk.find(_DESCRIPTOR_SIGNATURE, found + 1)
        if len(chunk) < _CHUNK:
            break
        position += len(chunk) - (len(_DESCRIPTOR_SIGNATURE) - 1)
    return size, size
