"""tfxkit's native reading path (native.c, through ctypes): TFRecord framing and a decoder of
plain tf.Examples into Arrow, for StatisticsGen's in-process statistics.

`native.c` is built by setup.py as an optional extension (`tfxkit.components._shared._native`,
a plain C library without the Python API: it is loaded here by ctypes, never imported, and
`import tfxkit.components._shared._native` fails by design); without a C compiler at install
time it is absent, `available()` is False and the callers take their pure-Python/TensorFlow
paths, with the same results. A library built from another version of native.c (`_ABI`) is
not used either: run `scripts/setup` (or reinstall tfxkit) to rebuild it. `TFXKIT_NATIVE=0` in
the environment switches it off too (tests compare both ways).

ctypes releases the GIL for every call, so framing, decoding and gathering run alongside the
other threads. Nothing here imports TensorFlow.
"""

from __future__ import annotations

import ctypes
import functools
import importlib.machinery
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

__all__ = ["ExampleColumns", "available", "frame_records", "load", "switched_off"]

_KINDS = {"bytes": 0, "float": 1, "int": 2}
_ABI = 1  # native.c's TFXKIT_NATIVE_ABI: the argument lists below
_I64P = ctypes.POINTER(ctypes.c_int64)


@functools.cache
def _library() -> Any:
    """The built native library (ctypes), or None when it was not built or is switched off."""
    if switched_off() or sys.byteorder != "little":
        return None
    here = Path(__file__).parent  # the installed package, not the file a link points to
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        path = here / f"_native{suffix}"
        if path.is_file():
            break
    else:
        return None
    return load(path)


def load(path: Path) -> Any:
    """The native library at `path` (ctypes, argument types set), or None when it cannot be
    loaded or was built from another version of native.c (its `tfxkit_native_abi` differs from
    `_ABI`, or it has none)."""
    try:
        lib = ctypes.CDLL(str(path))
        lib.tfxkit_native_abi.restype = ctypes.c_int64
        if lib.tfxkit_native_abi() != _ABI:
            return None
    except (OSError, AttributeError):  # not loadable, or built before the ABI was stated
        return None
    p, i64 = ctypes.c_void_p, ctypes.c_int64
    lib.tfxkit_frame_records.argtypes = [p, i64, i64, i64, ctypes.c_uint64, p, p, _I64P, _I64P]
    lib.tfxkit_frame_records.restype = i64
    lib.tfxkit_decode_examples.argtypes = [p, p, p, i64, i64, p, p, p, i64, p, p, p, p, p]
    lib.tfxkit_decode_examples.restype = i64
    lib.tfxkit_gather_bytes.argtypes = [p, p, p, i64, p]
    lib.tfxkit_gather_bytes.restype = None
    return lib


def switched_off() -> bool:
    """Whether `TFXKIT_NATIVE=0` is set: the library, built or not, is not used."""
    return os.environ.get("TFXKIT_NATIVE", "1") == "0"


def available() -> bool:
    """Whether the native library was built and is not switched off (`TFXKIT_NATIVE=0`)."""
    return _library() is not None


def _check_view(view: Any) -> None:
    """Raise ValueError unless `view` is what the C side reads: a 1-d C-contiguous uint8 array."""
    import numpy as np

    if not (isinstance(view, np.ndarray) and view.dtype == np.uint8 and view.ndim == 1
            and view.flags.c_contiguous):
        raise ValueError(f"expected a 1-d contiguous uint8 numpy array, found "
                         f"{type(view).__name__} {getattr(view, 'dtype', '')}")


def _address(array: Any) -> int:
    return int(array.ctypes.data)


def frame_records(view: np.ndarray, pos: int, max_records: int, max_record: int
                  ) -> tuple[np.ndarray, np.ndarray, int, int]:
    """Frame up to `max_records` complete TFRecords of `view` (uint8) from offset `pos`.

    `view` must be a 1-d C-contiguous uint8 array and 0 <= `pos` <= its size (ValueError
    otherwise). Returns (starts, lengths, next, bad): int64 arrays of each record's data
    offset and length in `view`, the offset after the last of them, and the offset of a header
    claiming more than `max_record` bytes (framing stops there), or -1. Checksums are not
    read: use it where another check covers the bytes (a gzip member's CRC-32). Needs
    `available()`.
    """
    import numpy as np

    _check_view(view)
    if not 0 <= pos <= view.size:
        raise ValueError(f"frame_records: pos {pos} is outside the view (0..{view.size})")
    lib = _library()
    room = max(0, min(max_records, (view.size - pos) // 16))
    starts = np.empty(room, dtype=np.int64)
    lengths = np.empty(room, dtype=np.int64)
    after, bad = ctypes.c_int64(), ctypes.c_int64()
    count = lib.tfxkit_frame_records(_address(view), view.size, pos, room, max_record,
                                     _address(starts), _address(lengths), ctypes.byref(after),
                                     ctypes.byref(bad))
    return starts[:count], lengths[:count], after.value, bad.value


class ExampleColumns:
    """A decoder of serialized tf.Examples into a pyarrow RecordBatch of `feature_types`
    ({name: "int" | "float" | "bytes"}): one large_list column per feature, sorted by name, of
    int64, float32 or large_binary, a row where the feature has no value a null list -- the
    batch `tf.io.parse_example` with RaggedFeatures gives, made Arrow as StatisticsGen does.

    Only plain examples are decoded: every feature a name of `feature_types`, at most once,
    with no value or one value of its kind (as tfxkit's ExampleGens write). `decode` returns
    None for a batch with any other record (an unknown or repeated name, another kind, several
    values, unpacked numbers, damage), for the caller's general decoder to take whole; the
    row of the first such record is then in `irregular`.
    """

    def __init__(self, feature_types: dict[str, str]) -> None:
        import numpy as np

        self.names = sorted(feature_types)
        self.irregular = -1  # the batch row `decode` last found not plain (-1: none yet)
        encoded = [name.encode() for name in self.names]
        self._kinds = [feature_types[name] for name in self.names]
        self._kind_codes = np.array([_KINDS[k] for k in self._kinds], dtype=np.uint8)
        self._names = np.frombuffer(b"".join(encoded) or b"\0", dtype=np.uint8)
        self._name_at = np.zeros(len(encoded) + 1, dtype=np.int64)
        np.cumsum([len(raw) for raw in encoded], out=self._name_at[1:])
        # Open addressing, as native.c's find_name probes: at most half full.
        size = 1 << max(1, (2 * len(encoded) - 1).bit_length())
        self._table = np.full(size, -1, dtype=np.int32)
        for f, raw in enumerate(encoded):
            slot = _name_hash(raw) & (size - 1)
            while self._table[slot] >= 0:
                slot = (slot + 1) & (size - 1)
            self._table[slot] = f

    def decode(self, view: np.ndarray, starts: np.ndarray, lengths: np.ndarray
               ) -> pa.RecordBatch | None:
        """The RecordBatch of the records at `starts`/`lengths` (int64, 1-d) in `view` (a 1-d
        contiguous uint8 array), or None when one of them is not a plain example of the
        features (see the class). Raises ValueError when `view` is not such an array or a
        record lies outside it."""
        import numpy as np
        import pyarrow as pa

        _check_view(view)
        starts = np.ascontiguousarray(starts, dtype=np.int64)
        lengths = np.ascontiguousarray(lengths, dtype=np.int64)
        if starts.shape != lengths.shape or starts.ndim != 1:
            raise ValueError("ExampleColumns.decode: starts and lengths must be 1-d and alike")
        if starts.size and (starts.min() < 0 or lengths.min() < 0
                            or int((starts + lengths).max()) > view.size):
            raise ValueError("ExampleColumns.decode: a record lies outside the view")
        lib = _library()
        n, count = int(starts.size), len(self.names)
        offsets = np.empty((n + 1, count), dtype=np.int64)
        values = [np.empty(n, dtype=np.float32 if kind == "float" else np.int64)
                  for kind in self._kinds]
        byte_lens = [np.empty(n, dtype=np.int64) if kind == "bytes" else None
                     for kind in self._kinds]
        value_ptrs = (ctypes.c_void_p * max(count, 1))(*[_address(v) for v in values])
        len_ptrs = (ctypes.c_void_p * max(count, 1))(
            *[_address(b) if b is not None else None for b in byte_lens])
        scratch = np.empty(max(2 * count, 1), dtype=np.int64)
        irregular = lib.tfxkit_decode_examples(
            _address(view), _address(starts), _address(lengths), n, count,
            _address(self._names), _address(self._name_at), _address(self._table),
            self._table.size, _address(self._kind_codes),
            _address(offsets), ctypes.addressof(value_ptrs), ctypes.addressof(len_ptrs),
            _address(scratch))
        if irregular >= 0:
            self.irregular = int(irregular)
            return None
        columns = {}
        for f, name in enumerate(self.names):
            row_offsets = np.ascontiguousarray(offsets[:, f])
            filled = int(row_offsets[-1])
            if self._kinds[f] == "bytes":
                lens = byte_lens[f][:filled]  # type: ignore[index]
                ends = np.zeros(filled + 1, dtype=np.int64)
                np.cumsum(lens, out=ends[1:])
                data = np.empty(int(ends[-1]), dtype=np.uint8)
                lib.tfxkit_gather_bytes(_address(view), _address(values[f]), _address(lens),
                                        filled, _address(data))
                arrow_values = pa.Array.from_buffers(
                    pa.large_binary(), filled, [None, pa.py_buffer(ends), pa.py_buffer(data)])
            else:
                arrow_values = pa.array(values[f][:filled])
            columns[name] = pa.LargeListArray.from_arrays(
                pa.array(row_offsets), arrow_values, mask=pa.array(np.diff(row_offsets) == 0))
        return pa.RecordBatch.from_arrays([columns[name] for name in self.names], self.names)


def _name_hash(name: bytes) -> int:
    """native.c's name_hash of `name`: from its length and first and last 8 bytes."""
    mask = 0xFFFFFFFFFFFFFFFF
    first = int.from_bytes(name[:8], "little")
    last = int.from_bytes(name[-8:], "little") if len(name) >= 8 else 0
    h = ((first * 0x9E3779B97F4A7C15) & mask) ^ ((last * 0xC2B2AE3D27D4EB4F) & mask) ^ len(name)
    return h ^ (h >> 29)
