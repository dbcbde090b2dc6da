"""Raw captures: WARC records written per gzip member, read back by offset, rotated by size;
a file cut by a crash is detected, its good records still readable."""

from __future__ import annotations

import gzip

import pytest

from archive.warc import WarcError, WarcWriter, check_capture_dir, iter_responses, read_capture, scan, warc_files


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
            assert result.damaged_at + result.damaged_bytes == cut
            assert "damaged tail" in result.describe()
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
    assert not result.ok and result.damaged_at == size and len(result.records) == 7


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
