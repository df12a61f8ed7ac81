"""TFRecord files without TensorFlow: framing, gzip writing, reading, and checking framing.

The one home of the TFRecord format in tfxkit: ExampleGen writes with it, Transform and
StatisticsGen read with it, and the local runner's damaged-file diagnosis checks with it.

The frame of one record is `uint64 length | uint32 masked_crc32c(length) | data |
uint32 masked_crc32c(data)`, little-endian (TensorFlow's `record_writer.cc`). Files written here
read back with `tf.data.TFRecordDataset(paths, compression_type="GZIP")`, TFDV and Beam's
ReadFromTFRecord. numpy and google_crc32c are imported inside the functions (executors only);
paths with a scheme (`gs://`, `s3://`) are opened through Beam's FileSystems.
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import mmap
import os
import struct
import threading
import weakref
import zlib
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, BinaryIO

from tfxkit.errors import DataError

if TYPE_CHECKING:
    import numpy as np

    from tfxkit.types.artifact import Artifact

__all__ = ["DamagedRecordsError", "GzipTFRecordWriter", "check_framing", "crc32c_array",
           "damaged_files", "frame", "frame_bytes", "inflate_whole", "is_damaged_data_error",
           "read_records", "read_spans"]

_MASK_DELTA = 0xA282EAD8
_GZIP_WBITS = 31  # zlib wbits for a gzip header/trailer; TF's GZIP reader expects one.
_HEADER = 12  # uint64 length, uint32 masked CRC of the length
_FOOTER = 4  # uint32 masked CRC of the data
_MAX_RECORD = 1 << 30  # a larger length in a header is damage, not data
_LENGTH = struct.Struct("<Q")
# One is held while a whole inflated file (up to `whole_file_bytes`) is being read: two per
# process (StatisticsGen reads two splits at once), so memory stays bounded by two files.
WHOLE_FILES_AT_ONCE = 2
_WHOLE_FILE_SLOTS = threading.BoundedSemaphore(WHOLE_FILES_AT_ONCE)
DEFAULT_CHUNK_BYTES = 8 << 20


class DamagedRecordsError(DataError):
    """A TFRecord file that is truncated, not gzip where it claims to be, or fails a checksum.

    A `DataError` (so a `ValueError`): the message names the file and the offset. The local
    runner recognises it (with `is_damaged_data_error`) and names the damaged input artifacts.
    """


def is_damaged_data_error(exc: BaseException) -> bool:
    """Whether `exc` (or an exception it was raised from) is a read of damaged data: a
    `DamagedRecordsError`, a zlib or gzip error, an unexpected end of file, or TensorFlow's
    `DataLossError` (recognised by class, without importing TensorFlow)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, DamagedRecordsError | zlib.error | gzip.BadGzipFile | EOFError):
            return True
        if any(cls.__name__ == "DataLossError" and cls.__module__.startswith("tensorflow")
               for cls in type(current).__mro__):
            return True
        current = current.__cause__ or current.__context__
    return False


# --- framing -------------------------------------------------------------------------------

def _masked(crcs: np.ndarray) -> np.ndarray:
    import numpy as np

    crcs = crcs.astype(np.uint64)
    rotated = ((crcs >> np.uint64(15)) | (crcs << np.uint64(17))) & np.uint64(0xFFFFFFFF)
    return ((rotated + np.uint64(_MASK_DELTA)) & np.uint64(0xFFFFFFFF)).astype(np.uint32)


def _length_crcs(lengths: np.ndarray) -> np.ndarray:
    """Unmasked crc32c of each length's 8 little-endian bytes (one crc per distinct length)."""
    import google_crc32c
    import numpy as np

    unique, inverse = np.unique(lengths, return_inverse=True)
    return np.array([google_crc32c.value(struct.pack("<Q", int(x))) for x in unique],
                    dtype=np.uint32)[inverse]


def crc32c_array(records: Any) -> np.ndarray:
    """crc32c (unmasked) of each record, as a uint32 array; also a cheap per-row hash."""
    import google_crc32c
    import numpy as np

    return np.fromiter(map(google_crc32c.value, records), dtype=np.uint32, count=len(records))


def frame_bytes(data: Any, lengths: Any, crcs: np.ndarray | None = None) -> np.ndarray:
    """Frame records as TFRecord bytes.

    Args:
        data: the records back to back (bytes or a uint8 array).
        lengths: each record's length, in order.
        crcs: crc32c of each record (from `crc32c_array`); computed when None.

    Returns:
        A uint8 array holding the framed records back to back.
    """
    import google_crc32c
    import numpy as np

    lengths = np.asarray(lengths, dtype=np.uint64)
    n = len(lengths)
    if n == 0:
        return np.empty(0, dtype=np.uint8)
    raw = bytes(data) if isinstance(data, bytes | bytearray) else None
    data = np.frombuffer(raw, dtype=np.uint8) if raw is not None else data
    ends = np.cumsum(lengths.astype(np.int64))
    begins = ends - lengths.astype(np.int64)
    if crcs is None:
        raw = data.tobytes() if raw is None else raw
        crcs = np.fromiter((google_crc32c.value(raw[b:e])
                            for b, e in zip(begins.tolist(), ends.tolist(), strict=True)),
                           dtype=np.uint32, count=n)
    header = np.empty(n, dtype=[("length", "<u8"), ("length_crc", "<u4"), ("data_crc", "<u4")])
    header["length"] = lengths
    header["length_crc"] = _masked(_length_crcs(lengths))
    header["data_crc"] = _masked(crcs)
    # Non-data bytes in file order are: header(12) of record 0, crc(4) of 0, header of 1, ...
    # which is exactly the struct layout above, so one boolean mask places everything.
    starts = begins + 16 * np.arange(n, dtype=np.int64)
    out = np.empty(len(data) + 16 * n, dtype=np.uint8)
    is_data = np.ones(len(out), dtype=bool)
    is_data[(starts[:, None] + np.arange(_HEADER)).ravel()] = False
    tails = starts + _HEADER + lengths.astype(np.int64)
    is_data[(tails[:, None] + np.arange(_FOOTER)).ravel()] = False
    out[is_data] = data
    out[~is_data] = header.view(np.uint8)
    return out


def frame(records: Any, crcs: np.ndarray) -> np.ndarray:
    """`frame_bytes` of a pyarrow BinaryArray of serialized records, with their `crcs`."""
    import numpy as np

    n = len(records)
    if n == 0:
        return np.empty(0, dtype=np.uint8)
    buffers = records.buffers()
    offsets = np.frombuffer(buffers[1], dtype=np.int32)[records.offset: records.offset + n + 1]
    data = np.frombuffer(buffers[2], dtype=np.uint8)[offsets[0]: offsets[-1]]
    return frame_bytes(data, np.diff(offsets), crcs)


# --- writing -------------------------------------------------------------------------------

class GzipTFRecordWriter:
    """Gzips framed TFRecord chunks into one file (zlib releases the GIL, so writers in
    different threads compress in parallel).

    `target` is a local path (opened here) or a writable binary file (closed with the writer).
    """

    def __init__(self, target: str | IO[bytes], compression_level: int = 6) -> None:
        self._file: IO[bytes] = (open(target, "wb")  # noqa: SIM115 - closed in close()
                                 if isinstance(target, str) else target)
        self._zip = zlib.compressobj(compression_level, zlib.DEFLATED, _GZIP_WBITS)
        self.records = 0

    def write(self, framed: Any) -> None:
        """Write bytes already framed (by `frame` or `frame_bytes`)."""
        self._file.write(self._zip.compress(memoryview(framed)))

    def write_framed(self, framed: Any, count: int) -> None:
        """Write `count` records already framed by `frame()`."""
        if count:
            self.write(framed)
            self.records += count

    def close(self) -> None:
        """Finish the gzip stream and close the file."""
        self._file.write(self._zip.flush())
        self._file.close()


# --- reading -------------------------------------------------------------------------------

def _open(path: str) -> IO[bytes]:
    if "://" not in path:
        return open(path, "rb")
    from apache_beam.io.filesystem import CompressionTypes
    from apache_beam.io.filesystems import FileSystems

    return FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED)


def read_records(path: str, verify: bool = True, chunk_size: int = DEFAULT_CHUNK_BYTES,
                 whole_file_bytes: int = 0) -> Iterator[list[bytes]]:
    """Yield lists of records (about `chunk_size` decompressed bytes each) of a TFRecord file,
    gzipped or not (detected by its first bytes; concatenated gzip members are read on).

    With `verify` the length and data checksums of every record are checked (as TensorFlow's
    reader does); without, only the framing is. Raises DamagedRecordsError (a ValueError)
    naming `path` and the offset when the file is corrupt or truncated.

    `whole_file_bytes` > 0 lets a local gzip file of one member that inflates to at most that
    many bytes be inflated in one call by libdeflate (`inflate_whole`, 2-3x faster than zlib,
    GIL released), when the system has it; the records and errors are the same (anything
    libdeflate does not inflate is read by the streaming zlib path, which names the damage).
    At most WHOLE_FILES_AT_ONCE whole files are held per process: a reader that finds them all
    held streams its file.
    """
    whole = _whole_file(path, whole_file_bytes)
    if whole is not None:
        yield from _whole_records(whole, path, verify, 8 * chunk_size, _WHOLE_FILE_SLOTS.release)
        return

    def records(buf: bytes, offset: int) -> Generator[list[bytes], None, int]:
        found, used = _split_records(buf, path, offset, verify)
        if found:
            yield found
        return used

    yield from _streamed(path, chunk_size, records)


def read_spans(path: str, max_records: int, chunk_size: int = DEFAULT_CHUNK_BYTES,
               whole_file_bytes: int = 0) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """The records of a gzipped TFRecord file as spans `(view, starts, lengths)`: a uint8
    array of inflated bytes and int64 arrays of the offset and length of each record's data in
    it, at most `max_records` per span, framed by native code (`native.frame_records`).

    `read_records(path, verify=False)` without a bytes object per record: for StatisticsGen's
    native decoder. Checksums are not read (gzip's CRC-32 covers every byte); the inflating
    (`whole_file_bytes`, libdeflate) and the errors are `read_records`'. A whole file holds one
    of the WHOLE_FILES_AT_ONCE slots for as long as its memory is held: until the last span of
    it is dropped (every span of it shares one `view`), not merely until reading ends. Needs
    `native.available()`.
    """
    import numpy as np

    from tfxkit.components._shared import native

    def spans(view: np.ndarray, offset: int
              ) -> Generator[tuple[np.ndarray, np.ndarray, np.ndarray], None, int]:
        """The spans of the complete records of `view`; returns the offset after them."""
        pos = 0
        while True:
            starts, lengths, pos, bad = native.frame_records(view, pos, max_records, _MAX_RECORD)
            if bad >= 0:
                error = _oversized(path, int.from_bytes(view[bad:bad + 8].tobytes(), "little"),
                                   offset + bad)
                del view  # the traceback keeps this frame, not the file's memory
                raise error
            if not starts.size:
                return pos
            yield view, starts, lengths

    whole = _whole_file(path, whole_file_bytes)
    if whole is not None:
        view = np.frombuffer(whole, dtype=np.uint8)
        del whole  # held by `view` alone, so freed with it (and its slot given back then)
        weakref.finalize(view, _WHOLE_FILE_SLOTS.release)
        try:
            used = yield from spans(view, 0)
        except BaseException:
            del view  # the traceback keeps this frame, not the file's memory
            raise
        size = view.size
        del view
        if used < size:
            raise _truncated(path, size - used, used)
        return
    yield from _streamed(path, chunk_size,
                         lambda buf, offset: spans(np.frombuffer(buf, dtype=np.uint8), offset))


def _streamed(path: str, chunk_size: int,
              frame: Callable[[bytes, int], Generator[Any, None, int]]) -> Iterator[Any]:
    """What `frame(buf, offset)` yields for the inflated bytes of `path` (`_inflated_chunks`),
    read on in chunks: `buf` is the bytes not framed yet, `offset` theirs in the file, and
    `frame` returns how many of them it framed (whole records); the rest waits for the next
    chunk. Raises the truncation error when bytes are left at the end."""
    pending = b""
    offset = 0  # of `pending` in the uncompressed file, for error messages
    for raw in _inflated_chunks(path, chunk_size):
        buf = pending + raw if pending else raw
        used = yield from frame(buf, offset)
        pending = buf[used:]
        offset += used
    if pending:
        raise _truncated(path, len(pending), offset)


def _whole_file(path: str, whole_file_bytes: int) -> mmap.mmap | None:
    """The inflated bytes of `path` (`_read_whole`) holding one of the WHOLE_FILES_AT_ONCE
    slots, which the caller releases once done with them; None (no slot held) when
    `whole_file_bytes` is 0, every slot is held, or the file is not inflated whole."""
    if whole_file_bytes <= 0 or not _WHOLE_FILE_SLOTS.acquire(blocking=False):
        return None
    whole = None
    try:
        whole = _read_whole(path, whole_file_bytes)
    finally:
        if whole is None:
            _WHOLE_FILE_SLOTS.release()
    return whole


def _oversized(path: str, length: int, offset: int) -> DamagedRecordsError:
    """The error for a record header claiming `length` (> _MAX_RECORD) bytes at `offset`."""
    return DamagedRecordsError(f"{path}: corrupt TFRecord (record header claims {length} "
                               f"bytes) at uncompressed offset {offset}.")


def _whole_records(data: mmap.mmap, path: str, verify: bool, size: int,
                   done: Callable[[], None]) -> Iterator[list[bytes]]:
    """The records of a whole inflated file, framed in place, those starting within each `size`
    bytes at a time; the pages already read are given back to the system as it goes (so the
    whole file is held only at its start). Closes `data` and calls `done` at the end."""
    size = max(size - size % mmap.PAGESIZE, mmap.PAGESIZE)
    release = getattr(data, "madvise", None) if hasattr(mmap, "MADV_DONTNEED") else None
    pos = freed = 0
    try:
        while pos < len(data):
            records, pos_after = _split_records(data, path, 0, verify, start=pos,
                                                limit=pos + size)
            if not records:
                break
            pos = pos_after
            yield records
            read = pos - pos % mmap.PAGESIZE
            if release is not None and read > freed:
                release(mmap.MADV_DONTNEED, freed, read - freed)
                freed = read
        if pos < len(data):
            raise _truncated(path, len(data) - pos, pos)
    finally:
        with contextlib.suppress(BufferError):  # a view still held: freed with its holder
            data.close()
        done()


def _truncated(path: str, trailing: int, offset: int) -> DamagedRecordsError:
    """The error for a file ending inside a record: `trailing` bytes left at `offset`."""
    return DamagedRecordsError(f"{path}: truncated TFRecord file ({trailing} trailing bytes at "
                               f"offset {offset}).")


def _inflated_chunks(path: str, chunk_size: int) -> Iterator[bytes]:
    """The uncompressed bytes of the file at `path` (gzip or not), a compressed chunk of
    `chunk_size` bytes at a time: through ISA-L's inflate (python-isal, ~4x less CPU than zlib)
    when installed, else zlib. On any damage ISA-L stops at, reading goes on with zlib from the
    same uncompressed offset, so the bytes and the error (zlib's words) are zlib's either way."""
    fast = _isal_zlib()
    if fast is None:
        yield from _inflate_stream(path, chunk_size, zlib)
        return
    done = 0  # uncompressed bytes yielded
    try:
        for raw in _inflate_stream(path, chunk_size, fast):
            yield raw
            done += len(raw)
        return
    except DamagedRecordsError:  # every kind, a cut stream too: ISA-L also calls garbage
        pass                     # after a member a cut stream, where zlib names it
    for raw in _inflate_stream(path, chunk_size, zlib):
        if done >= len(raw):
            done -= len(raw)
            continue
        yield raw[done:]
        done = 0


@functools.cache
def _isal_zlib() -> Any:
    """python-isal's zlib-compatible module (a dependency of tfxkit), or None in an environment
    without it, where zlib serves alone."""
    try:
        from isal import isal_zlib
    except ImportError:
        return None
    return isal_zlib


def _inflate_stream(path: str, chunk_size: int, inflater: Any) -> Iterator[bytes]:
    """`_inflated_chunks` with `inflater`, a module with zlib's `decompressobj` and `error`."""
    offset = 0  # uncompressed bytes so far, for error messages
    with _open(path) as f:
        raw = f.read(chunk_size)
        inflate = inflater.decompressobj(_GZIP_WBITS) if raw[:2] == b"\x1f\x8b" else None
        in_member = False  # inside a gzip member that has not ended yet
        while raw:
            if inflate is not None:
                parts, data = [], raw
                while data:
                    try:
                        parts.append(inflate.decompress(data))
                    except inflater.error as exc:
                        raise DamagedRecordsError(
                            f"{path}: not a readable gzip stream ({exc}) near uncompressed "
                            f"offset {offset}.") from None
                    in_member = not inflate.eof
                    data = b""
                    if inflate.eof:  # concatenated gzip members: start a new stream
                        data = inflate.unused_data
                        inflate = inflater.decompressobj(_GZIP_WBITS)
                raw = b"".join(parts)
            offset += len(raw)
            yield raw
            raw = f.read(chunk_size)
        if in_member:
            raise DamagedRecordsError(f"{path}: truncated gzip stream.")


def _read_whole(path: str, limit: int) -> mmap.mmap | None:
    """The inflated bytes of the local gzip file at `path` by `inflate_whole`, or None when it
    is not local, not gzip, bigger than `limit` bytes (compressed or inflated) or not inflated
    there (the caller streams it)."""
    if "://" in path or os.path.getsize(path) > limit:
        return None
    with open(path, "rb") as f:
        magic = f.read(2)
        if magic != b"\x1f\x8b":
            return None
        f.seek(0)
        raw = f.read()  # one copy (not magic + the rest: two)
    return inflate_whole(raw, limit)


@functools.cache
def _libdeflate() -> Any:
    """The system's libdeflate (ctypes), or None when it is not installed."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("deflate")
    if not name:
        return None
    try:
        lib = ctypes.CDLL(name)
        lib.libdeflate_gzip_decompress_ex  # noqa: B018 - present in libdeflate >= 1.0
    except (OSError, AttributeError):
        return None
    size_p = ctypes.POINTER(ctypes.c_size_t)
    lib.libdeflate_alloc_decompressor.restype = ctypes.c_void_p
    lib.libdeflate_free_decompressor.argtypes = [ctypes.c_void_p]
    lib.libdeflate_gzip_decompress_ex.argtypes = [
        ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_void_p, ctypes.c_size_t,
        size_p, size_p]
    lib.libdeflate_gzip_decompress_ex.restype = ctypes.c_int
    return lib


def inflate_whole(raw: bytes, limit: int) -> mmap.mmap | None:
    """The uncompressed bytes of `raw`, a gzip file of one member, inflated by libdeflate in one
    call (ctypes releases the GIL; libdeflate checks the member's CRC-32 and size as zlib does),
    in anonymous memory (an mmap, whose pages `_whole_records` gives back as it reads on).

    None when libdeflate is not installed, `raw` is not gzip, its size field says more than
    `limit` bytes (or none), or libdeflate does not inflate exactly all of `raw` to that size
    (several members, damage): the caller then reads it with zlib.
    """
    import ctypes

    if len(raw) < 18 or raw[:2] != b"\x1f\x8b":
        return None
    size = int.from_bytes(raw[-4:], "little")  # ISIZE: the last member's size mod 2**32
    lib = _libdeflate()
    if lib is None or not 0 < size <= limit:
        return None
    decompressor = lib.libdeflate_alloc_decompressor()
    if not decompressor:
        return None
    try:
        # MAP_POPULATE (Linux): the pages are made in one call, not faulted in one by one as
        # libdeflate writes (~0.2 CPU s less per 350 MB).
        flags = ({"flags": mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS
                  | getattr(mmap, "MAP_POPULATE", 0)} if hasattr(mmap, "MAP_PRIVATE") else {})
        out = mmap.mmap(-1, size, **flags)
        used_in, used_out = ctypes.c_size_t(), ctypes.c_size_t()
        status = lib.libdeflate_gzip_decompress_ex(
            decompressor, raw, len(raw), (ctypes.c_char * size).from_buffer(out), size,
            ctypes.byref(used_in), ctypes.byref(used_out))
    finally:
        lib.libdeflate_free_decompressor(decompressor)
    if status != 0 or used_in.value != len(raw) or used_out.value != size:
        out.close()
        return None
    return out


def _split_records(buf: bytes | mmap.mmap, path: str, offset: int, verify: bool,
                   start: int = 0, limit: int | None = None) -> tuple[list[bytes], int]:
    """The complete records of `buf` from `start` on (those starting at or before `limit`, when
    given), checked, and the position after the last of them. `offset` is that of `buf` in the
    uncompressed file, for error messages.

    One pass, one slice per record (the loop is the reader's cost per record)."""
    records: list[bytes] = []
    add = records.append
    unpack = _LENGTH.unpack_from
    pos, end = start, len(buf)
    last = end - _HEADER if limit is None else min(limit, end - _HEADER)
    while pos <= last:
        (length,) = unpack(buf, pos)
        if length > _MAX_RECORD:
            raise _oversized(path, length, offset + pos)
        stop = pos + length + _HEADER + _FOOTER
        if stop > end:
            break
        add(buf[pos + _HEADER: stop - _FOOTER])
        pos = stop
    if verify and records:
        _verify(buf, start, records, path, offset)
    return records, pos


def _verify(buf: bytes | mmap.mmap, start: int, records: list[bytes], path: str,
            offset: int) -> None:
    """Check the length and data checksums of `records`, framed back to back from `start` in
    `buf`; raise DamagedRecordsError at the first mismatch."""
    import numpy as np

    view = np.frombuffer(buf, dtype=np.uint8)
    sizes = np.fromiter(map(len, records), dtype=np.int64, count=len(records))
    first = start + np.concatenate([[0], np.cumsum(sizes + _HEADER + _FOOTER)[:-1]])
    stored_length_crcs = _gather_u32(view, first + 8)
    stored_data_crcs = _gather_u32(view, first + _HEADER + sizes)
    bad = ((_masked(_length_crcs(sizes.astype(np.uint64))) != stored_length_crcs)
           | (_masked(crc32c_array(records)) != stored_data_crcs))
    del view  # no view of `buf` kept alive by the traceback (an mmap must close)
    if bad.any():
        at = int(np.argmax(bad))
        raise DamagedRecordsError(f"{path}: corrupt TFRecord (checksum mismatch) in the record "
                                  f"at uncompressed offset {offset + int(first[at])}.")


def _gather_u32(view: Any, at: Any) -> Any:
    import numpy as np

    return view[at[:, None] + np.arange(4)].reshape(-1).view("<u4")


# --- checking files ------------------------------------------------------------------------

def check_framing(stream: BinaryIO) -> str:
    """Why a TFRecord byte stream is cut short or its framing broken ("" when whole). Reads
    the stream to its end; checksums are not computed (see `read_records(verify=True)`)."""
    offset = 0
    while True:
        header = stream.read(_HEADER)
        if not header:
            return ""
        if len(header) < _HEADER:
            return f"ends inside a record header at byte {offset}"
        (length,) = struct.unpack("<Q", header[:8])
        if length > _MAX_RECORD:
            return f"has a corrupted record header at byte {offset} (length {length})"
        body = stream.read(length + _FOOTER)
        if len(body) < length + _FOOTER:
            return f"ends inside a record of {length} bytes starting at byte {offset}"
        offset += _HEADER + length + _FOOTER


def damaged_files(artifact: Artifact) -> list[str]:
    """What is wrong with `artifact`'s files, one line each (empty when nothing is found):
    a file count or size that differs from what was published, a gzip file that does not
    decompress, a TFRecord file cut short. Reads local files only; imports nothing heavy."""
    from tfxkit.metadata import record

    problems = []
    expected = (artifact.get_custom_property("tfxkit_file_count"),
                artifact.get_custom_property("tfxkit_total_bytes"))
    if not os.path.exists(artifact.uri):
        return [f"{artifact.uri} is missing"]
    if None not in expected and record.files_fingerprint(artifact.uri) != expected:
        found = record.files_fingerprint(artifact.uri)
        problems.append(f"{artifact.uri} holds {found[0]} file(s), {found[1]} bytes; "
                        f"{expected[0]} file(s), {expected[1]} bytes were published")
    for path in sorted(Path(artifact.uri).rglob("*")):
        name = path.name.lower()
        if not path.is_file() or not (name.endswith(".gz") or "tfrecord" in name):
            continue
        try:
            with (gzip.open(path, "rb") if name.endswith(".gz") else open(path, "rb")) as stream:
                if "tfrecord" in name:
                    problem = check_framing(stream)  # type: ignore[arg-type]
                else:
                    while stream.read(1 << 20):  # a gzip error surfaces while reading
                        pass
                    problem = ""
        except (OSError, EOFError, zlib.error) as exc:
            problem = f"does not decompress ({exc})"
        if problem:
            problems.append(f"{path} {problem}")
    return problems
