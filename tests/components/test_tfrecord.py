"""The one TFRecord module (`components/_shared/tfrecord.py`): framing written here is what
TensorFlow reads; reading checks framing always and checksums with `verify=True`; damage is a
typed error the runner recognises by class, and `damaged_files` names the damaged file.

No TensorFlow here: files are framed by hand (the format is four fields), so these tests run
in well under a second.
"""

from __future__ import annotations

import gzip
import struct
import zlib
from pathlib import Path

import pytest

from tfxkit.components._shared import tfrecord
from tfxkit.errors import DataError
from tfxkit.types.standard_artifacts import Examples


def _masked_crc(data: bytes) -> int:
    import google_crc32c

    crc = google_crc32c.value(data)
    return ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF


def _frame_by_hand(records: list[bytes]) -> bytes:
    """TensorFlow's record_writer.cc, one record at a time."""
    out = b""
    for record in records:
        length = struct.pack("<Q", len(record))
        out += length + struct.pack("<I", _masked_crc(length)) + record
        out += struct.pack("<I", _masked_crc(record))
    return out


RECORDS = [b"", b"a", b"bc" * 50, bytes(range(256)) * 3, b"z"]


def test_frame_bytes_and_frame_equal_the_reference_framing() -> None:
    import pyarrow as pa

    data = b"".join(RECORDS)
    lengths = [len(r) for r in RECORDS]
    assert tfrecord.frame_bytes(data, lengths).tobytes() == _frame_by_hand(RECORDS)
    array = pa.array(RECORDS, type=pa.binary())
    framed = tfrecord.frame(array.slice(1, 3), tfrecord.crc32c_array(RECORDS[1:4]))
    assert framed.tobytes() == _frame_by_hand(RECORDS[1:4])


@pytest.mark.parametrize("verify", [True, False])
def test_written_gzip_file_reads_back(tmp_path: Path, verify: bool) -> None:
    path = tmp_path / "data_tfrecord-0.gz"
    writer = tfrecord.GzipTFRecordWriter(str(path), compression_level=1)
    writer.write_framed(tfrecord.frame_bytes(b"".join(RECORDS), [len(r) for r in RECORDS]),
                        len(RECORDS))
    writer.close()
    assert writer.records == 5
    assert gzip.decompress(path.read_bytes()) == _frame_by_hand(RECORDS)
    chunks = list(tfrecord.read_records(str(path), verify=verify, chunk_size=7))
    assert [r for chunk in chunks for r in chunk] == RECORDS
    # Two gzip members back to back (as `cat a.gz b.gz` makes) read as one file.
    path.write_bytes(path.read_bytes() * 2)
    assert sum(len(c) for c in tfrecord.read_records(str(path), verify=verify)) == 10


def test_verify_finds_a_flipped_byte_that_framing_alone_cannot(tmp_path: Path) -> None:
    data = bytearray(_frame_by_hand(RECORDS))
    data[12 + 0 + 4 + 12 + 0] ^= 0xFF  # the data byte of record 1 (b"a")
    path = tmp_path / "bad.tfrecord"
    path.write_bytes(bytes(data))
    assert len([r for c in tfrecord.read_records(str(path), verify=False) for r in c]) == 5
    with pytest.raises(tfrecord.DamagedRecordsError,
                       match=r"bad\.tfrecord: corrupt TFRecord \(checksum mismatch\) in the "
                             r"record at uncompressed offset 16\.") as caught:
        list(tfrecord.read_records(str(path), verify=True))
    assert isinstance(caught.value, DataError) and isinstance(caught.value, ValueError)


@pytest.mark.parametrize(("name", "damage", "message"), [
    ("cut.tfrecord", lambda b: b[:-3], r"cut\.tfrecord: truncated TFRecord file \(\d+ trailing"),
    ("cut.gz", lambda b: gzip.compress(b)[:-30], r"cut\.gz: truncated gzip stream"),
    ("header.tfrecord", lambda b: b"\xff" * 12 + b, r"header\.tfrecord: corrupt TFRecord "
                                                    r"\(record header claims \d+ bytes\)"),
    ("zip.gz", lambda b: gzip.compress(b)[:10] + bytes(40) + gzip.compress(b)[50:],
     r"zip\.gz: not a readable gzip stream"),
])
def test_damage_is_a_typed_error_naming_the_file(tmp_path: Path, name: str, damage: object,
                                                 message: str) -> None:
    path = tmp_path / name
    path.write_bytes(damage(_frame_by_hand(RECORDS)))  # type: ignore[operator]
    for verify in (True, False):
        with pytest.raises(tfrecord.DamagedRecordsError, match=message) as caught:
            list(tfrecord.read_records(str(path), verify=verify))
        assert tfrecord.is_damaged_data_error(caught.value)


def test_is_damaged_data_error_goes_by_class_not_message() -> None:
    assert tfrecord.is_damaged_data_error(zlib.error("x"))
    assert tfrecord.is_damaged_data_error(EOFError())
    assert tfrecord.is_damaged_data_error(gzip.BadGzipFile("x"))
    # Wrapped (as Beam and executors re-raise): the cause counts.
    try:
        try:
            raise zlib.error("incorrect header check")
        except zlib.error as inner:
            raise RuntimeError("step Decode failed") from inner
    except RuntimeError as outer:
        assert tfrecord.is_damaged_data_error(outer)
    # Words alone do not: a user's message about CRC or gzip is not damaged data.
    assert not tfrecord.is_damaged_data_error(ValueError("crc mismatch in my gzip parser"))
    assert not tfrecord.is_damaged_data_error(DataError("truncated column 'gzip'"))
    # TensorFlow's DataLossError is recognised by its class, without importing TensorFlow.
    data_loss = type("DataLossError", (Exception,), {"__module__": "tensorflow.python.framework"
                                                                   ".errors_impl"})
    assert tfrecord.is_damaged_data_error(data_loss("x"))
    assert not tfrecord.is_damaged_data_error(type("DataLossError", (Exception,), {})("x"))


def test_check_framing_says_where_a_stream_is_cut() -> None:
    import io

    whole = _frame_by_hand(RECORDS)
    assert tfrecord.check_framing(io.BytesIO(whole)) == ""
    assert tfrecord.check_framing(io.BytesIO(whole[:5])) == \
        "ends inside a record header at byte 0"
    assert tfrecord.check_framing(io.BytesIO(whole[:20])) == \
        "ends inside a record header at byte 16"
    assert tfrecord.check_framing(io.BytesIO(whole[:29])) == \
        "ends inside a record of 1 bytes starting at byte 16"
    assert tfrecord.check_framing(io.BytesIO(b"\xff" * 16)).startswith(
        "has a corrupted record header at byte 0 (length ")


def test_damaged_files_names_each_damaged_file(tmp_path: Path) -> None:
    artifact = Examples()
    artifact.uri = str(tmp_path / "examples")
    assert tfrecord.damaged_files(artifact) == [f"{artifact.uri} is missing"]
    split = tmp_path / "examples" / "Split-train"
    split.mkdir(parents=True)
    good = gzip.compress(_frame_by_hand(RECORDS))
    (split / "data_tfrecord-00000-of-00002.gz").write_bytes(good)
    assert tfrecord.damaged_files(artifact) == []
    cut = split / "data_tfrecord-00001-of-00002.gz"
    cut.write_bytes(gzip.compress(_frame_by_hand(RECORDS)[:-3]))
    assert tfrecord.damaged_files(artifact) == [
        f"{cut} ends inside a record of 1 bytes starting at byte "
        f"{len(_frame_by_hand(RECORDS[:-1]))}"]
    cut.write_bytes(good[: len(good) // 2] + bytes(len(good) - len(good) // 2))
    [problem] = tfrecord.damaged_files(artifact)
    assert problem.startswith(f"{cut} does not decompress (")
