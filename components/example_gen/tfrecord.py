"""Gzipped TFRecord files without TensorFlow: vectorized framing, zlib compression.

The TFRecord frame of one record is `uint64 length | uint32 masked_crc32c(length) | data |
uint32 masked_crc32c(data)`, little-endian. Files written here read back with
`tf.data.TFRecordDataset(paths, compression_type="GZIP")`, TFDV and Beam's ReadFromTFRecord.
numpy and google_crc32c are imported inside the functions (executors only).
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, BinaryIO

if TYPE_CHECKING:
    import numpy as np

_MASK_DELTA = 0xA282EAD8
_GZIP_WBITS = 31  # zlib wbits for a gzip header/trailer; TF's GZIP reader expects one.


def _masked(crcs: np.ndarray) -> np.ndarray:
    import numpy as np

    crcs = crcs.astype(np.uint64)
    rotated = ((crcs >> np.uint64(15)) | (crcs << np.uint64(17))) & np.uint64(0xFFFFFFFF)
    return ((rotated + np.uint64(_MASK_DELTA)) & np.uint64(0xFFFFFFFF)).astype(np.uint32)


def crc32c_array(records: Sequence[bytes]) -> np.ndarray:
    """crc32c (unmasked) of each record, as a uint32 array; also a cheap per-row hash."""
    import google_crc32c
    import numpy as np

    return np.fromiter(map(google_crc32c.value, records), dtype=np.uint32, count=len(records))


def frame(records: Any, crcs: np.ndarray) -> np.ndarray:
    """Frame records as TFRecord bytes.

    Args:
        records: a pyarrow BinaryArray of serialized records.
        crcs: crc32c of each record (from `crc32c_array`), same order.

    Returns:
        A uint8 array holding the framed records back to back.
    """
    import google_crc32c
    import numpy as np

    n = len(records)
    if n == 0:
        return np.empty(0, dtype=np.uint8)
    buffers = records.buffers()
    offsets = np.frombuffer(buffers[1], dtype=np.int32)[records.offset: records.offset + n + 1]
    data = np.frombuffer(buffers[2], dtype=np.uint8)[offsets[0]: offsets[-1]]
    lengths = np.diff(offsets).astype(np.uint64)
    unique_lengths, inverse = np.unique(lengths, return_inverse=True)
    length_crcs = np.array([google_crc32c.value(struct.pack("<Q", int(x)))
                            for x in unique_lengths], dtype=np.uint32)[inverse]
    header = np.empty(n, dtype=[("length", "<u8"), ("length_crc", "<u4"), ("data_crc", "<u4")])
    header["length"] = lengths
    header["length_crc"] = _masked(length_crcs)
    header["data_crc"] = _masked(crcs)
    # Non-data bytes in file order are: header(12) of record 0, crc(4) of 0, header of 1, ...
    # which is exactly the struct layout above, so one boolean mask places everything.
    starts = (offsets[:-1] - offsets[0]).astype(np.int64) + 16 * np.arange(n, dtype=np.int64)
    out = np.empty(len(data) + 16 * n, dtype=np.uint8)
    is_data = np.ones(len(out), dtype=bool)
    is_data[(starts[:, None] + np.arange(12)).ravel()] = False
    tails = starts + 12 + lengths.astype(np.int64)
    is_data[(tails[:, None] + np.arange(4)).ravel()] = False
    out[is_data] = data
    out[~is_data] = header.view(np.uint8)
    return out


class GzipTFRecordWriter:
    """Appends framed TFRecord chunks to one gzip file at `path` (zlib releases the GIL, so
    writers in different threads compress in parallel)."""

    def __init__(self, path: str, compression_level: int = 6) -> None:
        self._file: BinaryIO = open(path, "wb")  # noqa: SIM115 - closed in close()
        self._zip = zlib.compressobj(compression_level, zlib.DEFLATED, _GZIP_WBITS)
        self.records = 0

    def write_framed(self, framed: Any, count: int) -> None:
        """Write `count` records already framed by `frame()`."""
        if count:
            self._file.write(self._zip.compress(memoryview(framed)))
            self.records += count

    def close(self) -> None:
        """Finish the gzip stream and close the file."""
        self._file.write(self._zip.flush())
        self._file.close()


def read_records(path: str, chunk_size: int = 8 << 20) -> Iterator[list[bytes]]:
    """Yield lists of records (about `chunk_size` decompressed bytes each) from a TFRecord file,
    gzipped (`.gz`, or detected by its magic bytes) or not. Checksums are not verified."""
    with open(path, "rb") as f:
        gzipped = f.read(2) == b"\x1f\x8b"
        f.seek(0)
        inflate = zlib.decompressobj(_GZIP_WBITS) if gzipped else None
        pending = b""
        while True:
            raw = f.read(chunk_size)
            if not raw:
                break
            if inflate is not None:
                parts, data = [], raw
                while data:
                    parts.append(inflate.decompress(data))
                    data = b""
                    if inflate.eof:  # concatenated gzip members: start a new stream
                        data = inflate.unused_data
                        inflate = zlib.decompressobj(_GZIP_WBITS)
                raw = b"".join(parts)
            buf = pending + raw if pending else raw
            records, pos = [], 0
            end = len(buf)
            while pos + 12 <= end:
                (length,) = struct.unpack_from("<Q", buf, pos)
                stop = pos + 12 + length + 4
                if stop > end:
                    break
                records.append(buf[pos + 12: pos + 12 + length])
                pos = stop
            pending = buf[pos:]
            if records:
                yield records
        if pending:
            raise ValueError(f"{path}: truncated TFRecord file ({len(pending)} trailing bytes).")
