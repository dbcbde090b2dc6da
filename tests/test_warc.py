"""Raw captures: WARC records written per gzip member, read back by offset, rotated by size;
a file cut by a crash or damaged anywhere is read past the damage: every whole record stays
readable, the damaged ranges are reported."""

from __future__ import annotations

import gzip
import re

import pytest

from archive.warc import (
    DamagedRange,
    WarcError,
    WarcRecord,
    WarcWriter,
    check_capture_dir,
    iter_responses,
    read_capture,
    read_records,
    scan,
    warc_files,
)


def write_pages(directory, n=3, **kwargs):
    pointers = []
    with WarcWriter(directory, **kwargs) as writer:
        for i in range(n):
            pointers.append(
                writer.write_exchange(
                    url=f"https://www.example.com/news/{i}.html",
                    method="GET",
                    request_headers=[("User-Agent", "newsarchive-test"), ("Accept-Encoding", "gzip")],
                    status=200 if i else 404,
                    response_headers=[("Content-Type", "text/html; charset=utf-8"), ("Transfer-Encoding", "chunked")],
                    body=b"<html><body>" + f"page {i} ".encode() * 200 + b"</body></html>",
                    extra={"WARC-Newsarchive-Article": "1"},
                )
            )
    return writer, pointers


def test_records_are_read_back_by_offset_with_headers_and_exact_bytes(tmp_path):
    writer, pointers = write_pages(tmp_path)
    assert len(writer.files) == 1 and writer.files[0].name.endswith(".warc.gz")
    for i, pointer in enumerate(pointers):
        capture = read_capture(pointer.file, pointer.offset, pointer.record_id)
        assert capture.url == f"https://www.example.com/news/{i}.html"
        assert capture.status == (200 if i else 404)
        assert capture.body == b"<html><body>" + f"page {i} ".encode() * 200 + b"</body></html>"
        # The transfer framing is gone from the body, so its header is renamed on write and
        # restored on read.
        assert capture.header("transfer-encoding") == "chunked"
        assert capture.header("content-type") == "text/html; charset=utf-8"
    # Each record is its own gzip member: the file is a valid multi-member gzip stream.
    with gzip.open(writer.files[0]) as fh:
        text = fh.read()
    assert text.count(b"WARC-Type: response") == 3 and text.count(b"WARC-Type: request") == 3
    assert text.count(b"WARC-Type: warcinfo") == 1
    assert b"GET /news/1.html HTTP/1.1" in text and b"User-Agent: newsarchive-test" in text
    assert b"WARC-Concurrent-To: " + pointers[0].record_id.encode() in text


def test_wrong_record_id_or_offset_is_refused(tmp_path):
    _, pointers = write_pages(tmp_path)
    with pytest.raises(WarcError, match="not <urn:uuid:x>"):
        read_capture(pointers[0].file, pointers[0].offset, "<urn:uuid:x>")
    with pytest.raises(WarcError):
        read_capture(pointers[0].file, pointers[0].offset + 7)
    with pytest.raises(WarcError, match="cannot open"):
        read_capture(tmp_path / "missing.warc.gz", 0)


def test_files_rotate_by_size(tmp_path):
    writer, pointers = write_pages(tmp_path, n=6, max_file_size=1500)
    assert len(writer.files) >= 3
    assert [p.name for p in warc_files([tmp_path])] == sorted(p.name for p in writer.files)
    for pointer in pointers:
        assert read_capture(pointer.file, pointer.offset, pointer.record_id).status in (200, 404)
    for path in writer.files:
        result = scan(path)
        assert result.ok and result.records[0]["type"] == "warcinfo"
    assert len(list(iter_responses([tmp_path]))) == 6


def test_a_file_cut_anywhere_is_detected_and_its_whole_records_stay_readable(tmp_path):
    writer, pointers = write_pages(tmp_path / "w")
    data = writer.files[0].read_bytes()
    boundaries = {r["offset"] for r in scan(writer.files[0]).records} | {len(data)}
    cut_file = tmp_path / "cut.warc.gz"
    # Every byte around each record boundary (headers, gzip header and trailer), a sample of
    # the rest.
    near = {b + d for b in boundaries for d in range(-40, 41)}
    for cut in sorted(c for c in near | set(range(1, len(data), 11)) if 0 < c < len(data)):
        cut_file.write_bytes(data[:cut])
        result = scan(cut_file)
        assert result.ok == (cut in boundaries), cut
        if not result.ok:
            (damage,) = result.damaged
            assert damage.offset + damage.length == cut and damage.offset == max(b for b in boundaries if b < cut)
            assert "cut short" in damage.reason and f"{damage.length} bytes at offset {damage.offset}" in result.describe()
        listed = {r["offset"] for r in result.records}
        for pointer in pointers:
            whole = pointer.offset in listed
            if whole:
                assert read_capture(cut_file, pointer.offset, pointer.record_id).url.startswith("https://")
            else:
                with pytest.raises(WarcError):
                    read_capture(cut_file, pointer.offset, pointer.record_id)


def test_garbage_after_the_last_record_is_reported(tmp_path):
    writer, _ = write_pages(tmp_path)
    path = writer.files[0]
    size = path.stat().st_size
    with path.open("ab") as fh:
        fh.write(b"\x00garbage after a crash" * 3)
    result = scan(path)
    assert not result.ok and len(result.records) == 7
    assert result.damaged == [DamagedRange(size, 66, "not the start of a gzip member")]


def test_capture_directory_must_be_creatable_and_writable(tmp_path):
    assert check_capture_dir(tmp_path / "a" / "b").is_dir()
    a_file = tmp_path / "file"
    a_file.write_text("x")
    with pytest.raises(WarcError, match="capture directory"):
        check_capture_dir(a_file)
    with pytest.raises(WarcError, match="cannot create capture directory"):
        check_capture_dir(a_file / "sub")


def test_read_only_capture_directory_is_refused(unwritable_dir):
    with pytest.raises(WarcError, match="not writable"):
        check_capture_dir(unwritable_dir)


def zero(data: bytes, start: int, count: int = 200) -> bytes:
    return data[:start] + b"\0" * len(data[start:start + count]) + data[start + count:]


def changed_records(data: bytes, damaged: bytes, records: list[dict]) -> list[dict]:
    """The records whose bytes the damage changed (zeroing a byte that was zero changes nothing)."""
    ends = [r["offset"] for r in records[1:]] + [len(data)]
    return [r for r, end in zip(records, ends) if data[r["offset"]:end] != damaged[r["offset"]:end]]


def printable(text: str) -> bool:
    return re.fullmatch(r"[ -~]*", text) is not None


def test_damage_anywhere_costs_only_the_records_it_hits(tmp_path):
    writer, pointers = write_pages(tmp_path / "w", n=4)
    data = writer.files[0].read_bytes()
    records = scan(writer.files[0]).records
    damaged_file = tmp_path / "damaged.warc.gz"
    for start in range(0, len(data), 29):
        damaged = zero(data, start)
        damaged_file.write_bytes(damaged)
        hit = changed_records(data, damaged, records)
        items = list(read_records(damaged_file))
        good = [i.entry() for i in items if isinstance(i, WarcRecord)]
        assert good == [r for r in records if r not in hit], start
        if not hit:  # only bytes that were zero already (a gzip trailer's)
            assert len(items) == len(records)
            continue
        # One run of damage: from the first record hit to the next whole record (or the end).
        after = [r["offset"] for r in records if r["offset"] > hit[-1]["offset"]]
        expected = DamagedRange(hit[0]["offset"], (after[0] if after else len(data)) - hit[0]["offset"], "")
        (damage,) = [i for i in items if isinstance(i, DamagedRange)]
        assert (damage.offset, damage.length) == (expected.offset, expected.length), start
        assert printable(damage.reason) and len(damage.reason) < 60
        for pointer in pointers:
            if any(r["offset"] == pointer.offset for r in hit):
                with pytest.raises(WarcError) as raised:
                    read_capture(damaged_file, pointer.offset, pointer.record_id)
                assert printable(str(raised.value)) and f"offset {pointer.offset}" in str(raised.value)
            else:
                assert read_capture(damaged_file, pointer.offset, pointer.record_id).status in (200, 404)


def test_several_damaged_ranges_in_one_file_are_each_reported(tmp_path):
    writer, _ = write_pages(tmp_path / "w", n=6)
    data = writer.files[0].read_bytes()
    records = scan(writer.files[0]).records
    damaged = zero(zero(data, records[3]["offset"] + 100, 50), records[9]["offset"] + 100, 50)
    path = tmp_path / "damaged.warc.gz"
    path.write_bytes(damaged)
    result = scan(path)
    assert [(d.offset, d.length) for d in result.damaged] == [
        (records[3]["offset"], records[4]["offset"] - records[3]["offset"]),
        (records[9]["offset"], records[10]["offset"] - records[9]["offset"]),
    ]
    assert result.records == [r for i, r in enumerate(records) if i not in (3, 9)]
    assert "2 damaged ranges" in result.summary() and printable(result.describe())


def test_an_uncompressed_warc_is_read_past_damaged_headers(tmp_path):
    writer, pointers = write_pages(tmp_path / "w", n=4)
    with gzip.open(writer.files[0]) as fh:  # the members, concatenated, are the plain file
        data = fh.read()
    path = tmp_path / "plain.warc"
    path.write_bytes(data)
    records = scan(path).records
    assert len(records) == 9 and scan(path).ok
    assert read_capture(path, records[3]["offset"]).url == "https://www.example.com/news/1.html"
    for n in range(1, len(records) - 1):
        # From inside record n-1's block into record n's headers: both lost, the next one read.
        path.write_bytes(zero(data, records[n]["offset"] - 50))
        result = scan(path)
        assert result.records == [r for i, r in enumerate(records) if i not in (n - 1, n)], n
        assert [(d.offset, d.length) for d in result.damaged] == [
            (records[n - 1]["offset"], records[n + 1]["offset"] - records[n - 1]["offset"])]
    path.write_bytes(data[:records[5]["offset"] + 30])
    result = scan(path)
    assert len(result.records) == 5 and result.damaged == [DamagedRange(records[5]["offset"], 30, "cut short: the file ends inside this record")]
