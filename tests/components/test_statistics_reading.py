"""How StatisticsGen reads gzipped TFRecords fast: a whole file inflated in one call by
libdeflate (`tfrecord.inflate_whole`, when the system has it) gives exactly the records, in the
same order, and the same errors as the streaming zlib reader; anything libdeflate does not
inflate (several gzip members, a size past the limit, damage, not gzip) falls back to zlib.

No TensorFlow here: the files are framed by `tfrecord.frame_bytes` and gzipped by hand.
"""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path
from typing import Any

import pytest

from tfxkit.components._shared import tfrecord

RECORDS = [b"", b"a", b"bc" * 50, bytes(range(256)) * 3, b"z"] + \
    [b"record %d " % i * (i % 37) for i in range(400)]
LIMIT = 64 << 20


def _framed(records: list[bytes]) -> bytes:
    return tfrecord.frame_bytes(b"".join(records), [len(r) for r in records]).tobytes()


def _read(path: Path, whole_file_bytes: int, chunk_size: int = 1 << 12,
          verify: bool = False) -> list[bytes]:
    return [r for chunk in tfrecord.read_records(str(path), verify=verify, chunk_size=chunk_size,
                                                 whole_file_bytes=whole_file_bytes)
            for r in chunk]


needs_libdeflate = pytest.mark.skipif(tfrecord._libdeflate() is None,
                                      reason="libdeflate is not installed here")


@needs_libdeflate
def test_inflate_whole_equals_zlib() -> None:
    framed = _framed(RECORDS)
    raw = gzip.compress(framed, compresslevel=6)
    inflated = tfrecord.inflate_whole(raw, LIMIT)
    assert inflated is not None and inflated[:] == framed
    assert tfrecord.inflate_whole(raw, len(framed) - 1) is None  # past the limit: streamed
    assert tfrecord.inflate_whole(raw * 2, LIMIT) is None  # two members: streamed
    assert tfrecord.inflate_whole(framed, LIMIT) is None  # not gzip
    assert tfrecord.inflate_whole(gzip.compress(b""), LIMIT) is None  # empty: streamed


@pytest.mark.parametrize("verify", [False, True])
@pytest.mark.parametrize("members", [1, 2])
@pytest.mark.parametrize("chunk_size", [7, 1 << 12, 1 << 20])
def test_whole_file_read_gives_the_streamed_records(tmp_path: Path, members: int,
                                                    chunk_size: int, verify: bool) -> None:
    """The same records in the same order with and without whole-file inflation, whatever the
    window size (records cut across windows carry over), checksums verified or not, and for
    concatenated members."""
    path = tmp_path / "data_tfrecord-00000-of-00001.gz"
    path.write_bytes(gzip.compress(_framed(RECORDS)) * members)
    streamed = _read(path, 0, chunk_size, verify)
    assert streamed == RECORDS * members
    assert _read(path, LIMIT, chunk_size, verify) == streamed
    assert _read(path, 100, chunk_size, verify) == streamed  # file bigger than the limit


@pytest.mark.parametrize(("name", "damage", "message"), [
    ("cut.gz", lambda b: gzip.compress(b)[:-30], r"cut\.gz: truncated gzip stream"),
    ("crc.gz", lambda b: gzip.compress(b)[:-8] + b"\0\0\0\0" + gzip.compress(b)[-4:],
     r"crc\.gz: not a readable gzip stream \(.*incorrect data check"),
    ("zip.gz", lambda b: gzip.compress(b)[:10] + bytes(40) + gzip.compress(b)[50:],
     r"zip\.gz: not a readable gzip stream"),
    ("tail.gz", lambda b: gzip.compress(b) + b"garbage!", r"tail\.gz: not a readable gzip"),
    ("short.gz", lambda b: gzip.compress(b[:-3]), r"short\.gz: truncated TFRecord file"),
])
def test_damage_gives_the_streamed_error(tmp_path: Path, name: str, damage: object,
                                         message: str) -> None:
    """A damaged file fails with the same DamagedRecordsError whether whole-file inflation is
    allowed or not (libdeflate refuses it; the zlib reader names the damage)."""
    path = tmp_path / name
    path.write_bytes(damage(_framed(RECORDS)))  # type: ignore[operator]
    for whole_file_bytes in (0, LIMIT):
        with pytest.raises(tfrecord.DamagedRecordsError, match=message):
            _read(path, whole_file_bytes)
    assert _slots_free()


def test_a_flipped_byte_under_a_valid_gzip_gives_the_streamed_error(tmp_path: Path) -> None:
    """Damage inside the TFRecord framing of a well-formed gzip file (libdeflate inflates it):
    the record checksum catches it at the same offset whole or streamed; a length that runs
    past the end is the same truncation."""
    framed = bytearray(_framed(RECORDS))
    framed[5000] ^= 0x55
    path = tmp_path / "flipped.gz"
    path.write_bytes(gzip.compress(bytes(framed)))
    errors = []
    for whole_file_bytes in (0, LIMIT):
        with pytest.raises(tfrecord.DamagedRecordsError, match=r"checksum mismatch") as caught:
            _read(path, whole_file_bytes, verify=True)
        errors.append(str(caught.value))
    assert errors[0] == errors[1]
    cut = tmp_path / "cut.gz"
    cut.write_bytes(gzip.compress(_framed(RECORDS)[:-3]))
    messages = []
    for whole_file_bytes in (0, LIMIT):
        with pytest.raises(tfrecord.DamagedRecordsError, match=r"truncated TFRecord") as caught:
            _read(cut, whole_file_bytes)
        messages.append(str(caught.value))
    assert messages[0] == messages[1]
    assert _slots_free()


def _slots_free() -> bool:
    """Whether no whole file is held (every slot can be taken, and is given back)."""
    taken = [tfrecord._WHOLE_FILE_SLOTS.acquire(blocking=False)
             for _ in range(tfrecord.WHOLE_FILES_AT_ONCE)]
    for ok in taken:
        if ok:
            tfrecord._WHOLE_FILE_SLOTS.release()
    return all(taken)


def test_whole_files_at_once_are_bounded(tmp_path: Path) -> None:
    """While WHOLE_FILES_AT_ONCE readers hold whole inflated files, another file is streamed
    (same records); closing or finishing a reader frees its slot for the next file."""
    path = tmp_path / "data_tfrecord-00000-of-00001.gz"
    path.write_bytes(gzip.compress(_framed(RECORDS)))
    holders = [tfrecord.read_records(str(path), verify=False, chunk_size=1 << 10,
                                     whole_file_bytes=LIMIT)
               for _ in range(tfrecord.WHOLE_FILES_AT_ONCE)]
    heads = [next(holder) for holder in holders]
    assert _read(path, LIMIT) == RECORDS  # streamed beside the held files
    if tfrecord._libdeflate() is not None:
        assert not tfrecord._WHOLE_FILE_SLOTS.acquire(blocking=False)
    for holder in holders:
        holder.close()  # type: ignore[attr-defined]
    assert _slots_free()
    assert all(head == RECORDS[:len(head)] for head in heads)
    assert _read(path, LIMIT) == RECORDS and _slots_free()


def test_uncompressed_files_stream(tmp_path: Path) -> None:
    """A plain (not gzipped) TFRecord file is read as before, whole-file inflation or not."""
    path = tmp_path / "data_tfrecord-00000-of-00001"
    path.write_bytes(_framed(RECORDS))
    assert _read(path, LIMIT) == _read(path, 0) == RECORDS
    assert _slots_free()


def test_native_reader_is_built() -> None:
    """The install compiled components/_shared/native.c (setup.py; `.ci/run` installs a C
    compiler), so StatisticsGen's native path, and tests/components/test_native.py, run here
    rather than quietly falling back to TensorFlow's parser."""
    import os

    from tfxkit.components._shared import native

    assert os.environ.get("TFXKIT_NATIVE", "1") != "0", "TFXKIT_NATIVE=0 switches it off"
    assert native.available(), ("the native reader is not built: install a C compiler "
                                "(apt-get install gcc libc6-dev) and run scripts/setup again")


def _bytes_then_error(path: Path, chunks: Any) -> tuple[bytes, str]:
    """The uncompressed bytes `chunks` gives for `path`, and the error it ends with ("")."""
    out = bytearray()
    try:
        for chunk in chunks:
            out += chunk
    except tfrecord.DamagedRecordsError as exc:
        return bytes(out), str(exc)
    return bytes(out), ""


def _gzip_damages() -> list[tuple[str, Any]]:
    framed = _framed(RECORDS)
    whole = gzip.compress(framed)

    def flip(at: int) -> Any:
        return lambda: whole[:at] + bytes([whole[at] ^ 0xA5]) + whole[at + 1:]

    flipped = [(f"flip-{at}", flip(at)) for at in (11, 40, len(whole) // 3, len(whole) // 2,
                                                   len(whole) - 12, len(whole) - 6,
                                                   len(whole) - 2)]
    return [
        ("whole", lambda: whole),
        ("two-members", lambda: whole + gzip.compress(framed[:999])),
        ("cut", lambda: whole[:-30]),
        ("cut-header", lambda: whole[:7]),
        ("crc", lambda: whole[:-8] + b"\0\0\0\0" + whole[-4:]),
        ("zeros", lambda: whole[:10] + bytes(40) + whole[50:]),
        ("tail-garbage", lambda: whole + b"garbage!"),
        ("second-member-damaged", lambda: whole + gzip.compress(framed)[:200] + bytes(30)),
        ("not-gzip", lambda: framed),
        *flipped,
    ]


@pytest.mark.parametrize("chunk_size", [1 << 9, 1 << 16])
@pytest.mark.parametrize(("name", "make"), _gzip_damages())
def test_isal_inflate_gives_zlibs_bytes_and_errors(tmp_path: Path, name: str, make: Any,
                                                    chunk_size: int) -> None:
    """ISA-L streams a gzip file (`_inflated_chunks`) to zlib's bytes; at any damage it stops
    at, zlib goes on from the same offset, so the error's words (and offset) are zlib's for
    every kind of damage (flipped bytes anywhere, cuts, bad CRC, garbage after a member, a
    damaged second member). Before the error, every byte is zlib's; there may be more of them
    than zlib gave, as zlib drops the rest of the chunk it fails in, where ISA-L had given them
    (garbage after a member: ISA-L waits for more header, then the stream ends)."""
    assert tfrecord._isal_zlib() is not None, "python-isal is a dependency (pyproject.toml)"
    path = tmp_path / f"{name}.gz"
    path.write_bytes(make())
    zlib_bytes, zlib_error = _bytes_then_error(
        path, tfrecord._inflate_stream(str(path), chunk_size, zlib))
    isal_bytes, _ = _bytes_then_error(
        path, tfrecord._inflate_stream(str(path), chunk_size, tfrecord._isal_zlib()))
    got, error = _bytes_then_error(path, tfrecord._inflated_chunks(str(path), chunk_size))
    assert error == zlib_error
    if not error:
        assert got == zlib_bytes
    else:
        assert got.startswith(zlib_bytes) and (got == zlib_bytes or isal_bytes.startswith(got))
    if name in ("whole", "two-members", "not-gzip"):
        assert not error and got == zlib_bytes == isal_bytes
