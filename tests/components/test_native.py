"""StatisticsGen's native reading path (`components/_shared/native.c`) gives exactly what the
TensorFlow path gives, for any input, or the same error.

- Decoding: `native.ExampleColumns.decode` either returns None (the caller then parses the batch
  with `tf.io.parse_example`) or the very RecordBatch `executor.tf_parser` makes of the same
  records; and `native_record_batches` over a gzipped file equals `parsed_record_batches`, or
  both raise the same DamagedRecordsError. Checked on crafted records of every shape a
  tf.Example can take on the wire (hand-encoded where `tf.train.Example` would not write it),
  on every cut and on damage at every byte of a record, and on random damage (a fixed seed).
  A record under test ends at a page the process may not read, so a read past its end crashes
  the test instead of passing unseen.
- Framing: `tfrecord.read_spans` yields the records and raises the errors of
  `tfrecord.read_records(verify=False)`, whole-file or streamed.
- Batching: `executor.record_spans` makes the batches `executor.record_lists` makes, across files.
- Switch: with `TFXKIT_NATIVE=0` the native path is off and StatisticsGen writes the same bytes.
"""

from __future__ import annotations

import ctypes
import gc
import gzip
import math
import mmap
import random
import struct
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.components.data_helpers import (
    PENGUINS_CSV,
    input_dir,
    run_csv_example_gen,
    run_statistics_gen,
)
from tests.components.test_statistics_reading import RECORDS, _framed, _read, _slots_free
from tfxkit.components._shared import native, tfrecord
from tfxkit.components._shared.tfrecord import DamagedRecordsError

needs_native = pytest.mark.skipif(not native.available(),
                                  reason="the native library is not built here")
pytestmark = needs_native

LIMIT = 64 << 20
INT64_MIN, INT64_MAX = -(1 << 63), (1 << 63) - 1


# --- tf.Example on the wire, by hand ---------------------------------------------------------

def _varint(value: int) -> bytes:
    """Protobuf's base-128 varint of `value` (a negative int64 as its 10-byte two's complement)."""
    value &= (1 << 64) - 1
    out = bytearray()
    while value > 0x7F:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _field(tag: int, payload: bytes) -> bytes:
    """A length-delimited field: its one-byte tag, the length, the payload."""
    return bytes([tag]) + _varint(len(payload)) + payload


def _bytes_list(*values: bytes) -> bytes:
    """A Feature holding a BytesList."""
    return _field(0x0A, b"".join(_field(0x0A, v) for v in values))


def _float_list(*values: float) -> bytes:
    """A Feature holding a FloatList, packed (as protobuf writes it)."""
    return _field(0x12, _field(0x0A, struct.pack(f"<{len(values)}f", *values)) if values else b"")


def _int_list(*values: int) -> bytes:
    """A Feature holding an Int64List, packed (as protobuf writes it)."""
    return _field(0x1A, _field(0x0A, b"".join(map(_varint, values))) if values else b"")


def _entry(name: str | bytes, feature: bytes | None) -> bytes:
    """A `Features.feature` map entry: key, then value (none when `feature` is None)."""
    key = name.encode() if isinstance(name, str) else name
    return _field(0x0A, _field(0x0A, key) + (b"" if feature is None else _field(0x12, feature)))


def _example(*entries: bytes) -> bytes:
    """An Example whose `features` holds `entries`."""
    return _field(0x0A, b"".join(entries))


def _tf_example(features: dict[str, tuple[str, list[Any]] | None]) -> bytes:
    """The same through `tf.train.Example` (deterministic: keys sorted); None is `Feature {}`."""
    import tensorflow as tf

    feature = {}
    for name, spec in features.items():
        if spec is None:
            feature[name] = tf.train.Feature()
            continue
        kind, values = spec
        feature[name] = {
            "bytes": lambda v: tf.train.Feature(bytes_list=tf.train.BytesList(value=v)),
            "float": lambda v: tf.train.Feature(float_list=tf.train.FloatList(value=v)),
            "int": lambda v: tf.train.Feature(int64_list=tf.train.Int64List(value=v)),
        }[kind](values)
    return tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString(
        deterministic=True)


TYPES = {"b": "bytes", "f": "float", "i": "int"}


def _plain(i: int) -> bytes:
    """A plain example of TYPES: one value of each feature."""
    return _example(_entry("b", _bytes_list(b"row %d" % i)), _entry("f", _float_list(i + 0.5)),
                    _entry("i", _int_list(i - 2)))


def _around(*odd: bytes) -> list[bytes]:
    """`odd` records among plain ones (so the whole batch's decoding is at stake)."""
    return [_plain(0), _plain(1), *odd, _plain(2)]


# --- comparing both paths --------------------------------------------------------------------

def _bits(batch: Any) -> Any:
    """`batch` with float32 values viewed as uint32: NaN equals the same NaN, -0.0 is not 0.0."""
    import numpy as np
    import pyarrow as pa

    columns = []
    for column in batch.columns:
        if pa.types.is_floating(column.type.value_type):
            values = pa.array(np.asarray(column.values).view(np.uint32))
            column = pa.LargeListArray.from_arrays(column.offsets, values, mask=column.is_null())
        columns.append(column)
    return pa.RecordBatch.from_arrays(columns, batch.schema.names)


def assert_same_batch(found: Any, expected: Any) -> None:
    """`found` equals `expected` (RecordBatches): schema, rows, nulls, offsets, and values
    (floats bit for bit)."""
    assert found.schema == expected.schema
    assert found.num_rows == expected.num_rows
    assert _bits(found).equals(_bits(expected)), (found.to_pydict(), expected.to_pydict())


class _Guarded:
    """Records laid back to back so the last ends where an unreadable page begins: a read past
    the end of the batch's bytes crashes the process instead of reading a neighbour's bytes."""

    def __init__(self, records: list[bytes]) -> None:
        import numpy as np

        data = b"".join(records)
        page = mmap.PAGESIZE
        size = -(-max(len(data), 1) // page) * page
        self._map = mmap.mmap(-1, size + page)
        self.view = np.frombuffer(self._map, dtype=np.uint8, count=size)
        libc = ctypes.CDLL(None, use_errno=True)
        libc.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
        if libc.mprotect(self.view.ctypes.data + size, page, 0) != 0:  # PROT_NONE
            raise OSError(ctypes.get_errno(), "mprotect")
        base = size - len(data)
        self.view[base:] = np.frombuffer(data, dtype=np.uint8)
        lengths = np.array([len(r) for r in records], dtype=np.int64)
        self.lengths = lengths
        self.starts = base + np.cumsum(lengths) - lengths


def _decode(types: dict[str, str], records: list[bytes]) -> Any:
    """The native decoder's RecordBatch of `records`, or None."""
    guarded = _Guarded(records)
    return native.ExampleColumns(types).decode(guarded.view, guarded.starts, guarded.lengths)


def _tf_parse(types: dict[str, str], records: list[bytes], files: list[str] | None = None
              ) -> Any:
    from tfxkit.components.statistics_gen.executor import tf_parser

    return tf_parser(files or ["data_tfrecord-00000-of-00001.gz"], types)(records)


def _agree(types: dict[str, str], records: list[bytes]) -> str:
    """Decode `records` both ways; assert the native batch, when there is one, is TF's; say
    what happened: "native" (decoded), "fallback" (None; TF parses), "refused" (TF raises)."""
    batch = _decode(types, records)
    try:
        expected = _tf_parse(types, records)
    except DamagedRecordsError:
        assert batch is None
        return "refused"
    if batch is None:
        return "fallback"
    assert_same_batch(batch, expected)
    return "native"


def _outcomes(path: Path, types: dict[str, str], batch_size: int
              ) -> tuple[list[Any] | None, list[Any] | None, str, str]:
    """`native_record_batches` and `parsed_record_batches` of `path`: each list, or None and
    the error message."""
    from tfxkit.components.statistics_gen.executor import (
        native_record_batches,
        parsed_record_batches,
    )

    results: list[Any] = []
    for read in (native_record_batches, parsed_record_batches):
        try:
            results += [list(read([str(path)], types, batch_size)), ""]
        except DamagedRecordsError as exc:
            results += [None, str(exc)]
    return results[0], results[2], results[1], results[3]


# --- 1. decoding: crafted records ------------------------------------------------------------

NAMES = ["a", "abcdefg", "abcdefgh", "abcdefghi", "abcdefghabcdefgh", "abcdefghabcdefghi",
         "n" * 40, "xabcdefgh", "yabcdefgh", "π", "名前のある特徴",
         # the same length, first 8 and last 8 bytes: one hash, told apart by comparing
         "aaaaaaaaXbbbbbbbb", "aaaaaaaaYbbbbbbbb"]
NAME_TYPES = {name: ("int", "float", "bytes")[i % 3] for i, name in enumerate(NAMES)}
WIDE_TYPES = {f"feature_{i:02d}": ("int", "float", "bytes")[i % 3] for i in range(60)}


def _value(kind: str, i: int) -> tuple[str, list[Any]]:
    return kind, [{"int": i * 1001 - 5, "float": i / 7, "bytes": b"v%d" % i}[kind]]


def _named_rows() -> list[bytes]:
    """Rows of NAME_TYPES, each missing a different few features."""
    return [_tf_example({n: _value(k, i + j) for j, (n, k) in enumerate(NAME_TYPES.items())
                         if (i + j) % 4}) for i in range(6)]


def _wide_rows() -> list[bytes]:
    """Rows of WIDE_TYPES (60 features), each missing a different third."""
    return [_tf_example({n: _value(k, i * j) for j, (n, k) in enumerate(WIDE_TYPES.items())
                         if (i + j) % 3}) for i in range(5)]


def _nan_with_payload() -> bytes:
    return _example(_entry("f", _field(0x12, _field(0x0A, struct.pack("<I", 0x7FC00123)))))


def _with_varint(tag: int, raw: bytes) -> bytes:
    """A Feature whose list holds one packed field `raw` (already encoded)."""
    return _field(tag, _field(0x0A, raw))


# (id, feature types, records, what the native decoder does: "native" decodes, "fallback"
# returns None and TF parses, "refused" returns None and TF raises).
CASES: list[tuple[str, dict[str, str], Callable[[], list[bytes]], str]] = [
    ("scalars_of_each_kind", TYPES, lambda: [
        _tf_example({"b": ("bytes", [b"a"]), "f": ("float", [0.5]), "i": ("int", [1])}),
        _tf_example({"b": ("bytes", [b"bc"]), "f": ("float", [-2.25]), "i": ("int", [-3])}),
        _plain(3)], "native"),
    ("missing_keys", TYPES, lambda: [
        _tf_example({"b": ("bytes", [b"a"])}), _tf_example({"f": ("float", [1.0])}),
        _tf_example({"i": ("int", [2])}), _tf_example({}), b"\x0a\x00", _plain(4)], "native"),
    ("feature_without_kind", TYPES, lambda: [
        _tf_example({"b": None, "f": ("float", [1.0]), "i": None}),
        _example(_entry("i", b""), _entry("b", b""), _entry("f", b"")), _plain(5)], "native"),
    ("empty_lists", TYPES, lambda: [
        _tf_example({"b": ("bytes", []), "f": ("float", []), "i": ("int", [])}),
        _example(_entry("b", _bytes_list()), _entry("f", _float_list()),
                 _entry("i", _int_list())), _plain(6)], "native"),
    ("special_floats", {"f": "float"}, lambda: [
        *[_tf_example({"f": ("float", [v])})
          for v in (math.nan, math.inf, -math.inf, -0.0, 0.0, 1e-45, 3.4028234e38, -1e-38)],
        _nan_with_payload()], "native"),
    ("int64_extremes", {"i": "int"}, lambda: [
        _tf_example({"i": ("int", [v])})
        for v in (0, -1, 1, INT64_MIN, INT64_MAX, INT64_MIN + 1, 127, 128, 1 << 32, -(1 << 32),
                  16383, 16384)], "native"),
    ("bytes_values", {"b": "bytes"}, lambda: [
        _tf_example({"b": ("bytes", [v])})
        for v in (b"", b"\0", b"a\0b\0", b"\xff\xfe\x80", "né".encode(), bytes(range(256)),
                  b"x" * 127, b"y" * 128, b"z" * 16383, b"w" * 16385)], "native"),
    ("names_of_many_lengths", NAME_TYPES, _named_rows, "native"),
    ("sixty_features", WIDE_TYPES, _wide_rows, "native"),
    ("empty_record", TYPES, lambda: _around(b"", b""), "native"),
    ("no_value_in_any_row", TYPES, lambda: [
        b"", _tf_example({}), _example(_entry("i", b""), _entry("b", _bytes_list()))], "native"),
    ("one_record", TYPES, lambda: [_plain(9)], "native"),
    ("noncanonical_length_varints", TYPES, lambda: _around(
        b"\x0a\x80\x00",  # `features` of length 0 in two bytes
        _field(0x0A, b"\x0a\x85\x00" + b"\x0a\x01i" + b"\x12\x00")), "native"),
    ("unknown_extra_key", TYPES, lambda: _around(
        _tf_example({"b": ("bytes", [b"a"]), "other": ("int", [1, 2])})), "fallback"),
    ("unknown_key_only", {"i": "int"}, lambda: [
        _tf_example({"i": ("int", [1])}), _tf_example({"j": ("int", [1])})], "fallback"),
    ("key_a_prefix_of_a_name", {"abcdefgh1": "int"}, lambda: [
        _example(_entry("abcdefgh1", _int_list(1))), _example(_entry("abcdefgh", _int_list(2)))],
     "fallback"),
    ("empty_key", TYPES, lambda: _around(_example(_entry("", _int_list(3)))), "fallback"),
    ("duplicate_key_same_value", TYPES, lambda: _around(
        _example(_entry("i", _int_list(3)), _entry("i", _int_list(3)))), "fallback"),
    ("duplicate_key_other_values", TYPES, lambda: _around(
        _example(_entry("i", _int_list(3)), _entry("b", b""), _entry("i", _int_list(4)))),
     "fallback"),
    ("multi_valued", TYPES, lambda: _around(
        _tf_example({"b": ("bytes", [b"a", b"b"]), "f": ("float", [1.0, 2.0]),
                     "i": ("int", [1, 2, 3])})), "fallback"),
    ("multi_valued_int_only", TYPES, lambda: _around(_example(_entry("i", _int_list(1, 2)))),
     "fallback"),
    ("unpacked_int64", TYPES, lambda: _around(
        _example(_entry("i", _field(0x1A, b"\x08" + _varint(7)))),
        _example(_entry("i", _field(0x1A, b"\x08\x01\x08\x02")))), "fallback"),
    ("unpacked_float", TYPES, lambda: _around(
        _example(_entry("f", _field(0x12, b"\x0d" + struct.pack("<f", 2.5)))),
        _example(_entry("f", _field(0x12, b"\x0d" + struct.pack("<f", 1.5) * 1)))),
     "fallback"),
    ("two_packed_chunks", TYPES, lambda: _around(
        _example(_entry("i", _field(0x1A, _field(0x0A, b"\x01") + _field(0x0A, b"\x02"))))),
     "fallback"),
    ("empty_packed_chunk", TYPES, lambda: _around(
        _example(_entry("i", _with_varint(0x1A, b""))),
        _example(_entry("f", _with_varint(0x12, b"")))), "fallback"),
    ("float_chunk_of_8_bytes", TYPES, lambda: _around(
        _example(_entry("f", _with_varint(0x12, struct.pack("<2f", 1.0, 2.0))))), "fallback"),
    ("ten_byte_varint_with_high_bits", TYPES, lambda: _around(
        _example(_entry("i", _with_varint(0x1A, b"\xff" * 9 + b"\x7f")))), "fallback"),
    ("value_before_key", TYPES, lambda: _around(
        _example(_field(0x0A, _field(0x12, _int_list(9)) + _field(0x0A, b"i")))), "fallback"),
    ("two_features_fields", TYPES, lambda: _around(
        _example(_entry("i", _int_list(1))) + _example(_entry("b", _bytes_list(b"x"))),
        _example(_entry("i", _int_list(1))) + _example(_entry("f", _float_list(2.0))),
        b"\x0a\x00\x0a\x00"), "fallback"),
    ("unknown_example_field", TYPES, lambda: _around(
        _plain(7) + b"\x10\x01", b"\x1a\x03abc" + _plain(8)), "fallback"),
    ("two_lists_in_a_feature", TYPES, lambda: _around(
        _example(_entry("i", _int_list(1) + _int_list(2))),
        _example(_entry("b", _bytes_list(b"x") + _int_list(2)))), "fallback"),
    ("entry_without_value", TYPES, lambda: _around(_example(_entry("i", None))), "refused"),
    ("entry_without_key", TYPES, lambda: _around(
        _example(_field(0x0A, _field(0x12, _int_list(1))))), "refused"),
    ("wrong_kind", TYPES, lambda: _around(_example(_entry("i", _float_list(1.0)))), "refused"),
    ("wrong_kind_bytes_for_float", TYPES, lambda: _around(
        _tf_example({"f": ("bytes", [b"1.0"])})), "refused"),
    ("wrong_kind_empty_list", TYPES, lambda: _around(_example(_entry("b", _int_list()))),
     "refused"),
    ("varint_of_11_bytes", TYPES, lambda: _around(
        _example(_entry("i", _with_varint(0x1A, b"\xff" * 10 + b"\x01")))), "refused"),
    ("not_an_example", TYPES, lambda: _around(b"\x0a\x05not a tf.Example"), "refused"),
    ("not_an_example_nor_utf8", TYPES, lambda: _around(b"\x0a\xff\xff\x80"), "refused"),
]


@pytest.mark.integration
@pytest.mark.parametrize(("records", "types", "expected"),
                         [pytest.param(make, types, expected, id=name)
                          for name, types, make, expected in CASES])
def test_native_decoding_equals_tensorflow(records: Callable[[], list[bytes]],
                                           types: dict[str, str], expected: str,
                                           tmp_path: Path) -> None:
    """The native decoder decodes plain examples into TF's very batch and hands anything else
    to TF; read from a gzipped file, the native path's batches (batches of 2 records: some
    decoded natively, the odd one's by TF) and the whole file's batch are TF's, or both paths
    raise the same error."""
    serialized = records()
    assert _agree(types, serialized) == expected
    path = tmp_path / "data_tfrecord-00000-of-00001.gz"
    path.write_bytes(gzip.compress(_framed(serialized)))
    for batch_size in (2, 1 << 16):
        found, wanted, found_error, wanted_error = _outcomes(path, types, batch_size)
        assert found_error == wanted_error
        assert (found is None) == (expected == "refused")
        if found is not None and wanted is not None:
            assert len(found) == len(wanted)
            for a, b in zip(found, wanted, strict=True):
                assert_same_batch(a, b)
    if expected == "refused":
        assert "is not a readable tf.Example of the recorded feature types" in found_error


@pytest.mark.integration
def test_hand_encoding_is_protobufs() -> None:
    """The hand encoder of these tests writes what `tf.train.Example` writes."""
    assert _plain(3) == _tf_example({"b": ("bytes", [b"row 3"]), "f": ("float", [3.5]),
                                     "i": ("int", [1])})
    assert _example(_entry("i", b"")) == _tf_example({"i": None})
    assert _example(_entry("b", _bytes_list()), _entry("f", _float_list()),
                    _entry("i", _int_list(INT64_MIN))) == \
        _tf_example({"b": ("bytes", []), "f": ("float", []), "i": ("int", [INT64_MIN])})


# --- 1. decoding: damage at every byte, and at random -----------------------------------------

def _small_record() -> bytes:
    return _example(_entry("b", _bytes_list(b"xy")), _entry("f", _float_list(-1.25)),
                    _entry("i", _int_list(-2)))


@pytest.mark.integration
def test_every_cut_of_a_record() -> None:
    """A record cut at each byte (the last of its batch, ending at an unreadable page): the
    decoder reads nothing past it and decodes only what TF decodes the same way."""
    record = _small_record()
    seen = {_agree(TYPES, [_plain(0), record[:cut]]) for cut in range(len(record) + 1)}
    assert {"native", "refused"} <= seen


@pytest.mark.integration
def test_every_damaged_byte_of_a_record() -> None:
    """Each byte of a record replaced by a few telling values (0, 0x0A and the other tags,
    0x7F, 0x80, 0xFF): the decoder never crashes, and decodes only what TF decodes the same."""
    record = _small_record()
    seen = set()
    for at in range(len(record)):
        for value in (0x00, 0x01, 0x08, 0x0A, 0x0D, 0x12, 0x1A, 0x7F, 0x80, 0xFF):
            damaged = record[:at] + bytes([value]) + record[at + 1:]
            seen.add(_agree(TYPES, [_plain(1), damaged]))
    assert seen == {"native", "fallback", "refused"}


@pytest.mark.integration
@pytest.mark.parametrize("where", ["features_length", "entry_length", "key_length",
                                   "value_length", "list_length", "chunk_length", "int_value"])
def test_overflowing_varints(where: str) -> None:
    """11 bytes of 0xFF (a varint past 64 bits) wherever a varint is read: refused or parsed
    by TF, never decoded."""
    bad = b"\xff" * 11
    record = {
        "features_length": b"\x0a" + bad,
        "entry_length": b"\x0a\x0c\x0a" + bad,
        "key_length": _field(0x0A, b"\x0a\x0c\x0a" + bad),
        "value_length": _field(0x0A, _field(0x0A, b"\x0a\x01i\x12" + bad)),
        "list_length": _example(_entry("i", b"\x1a" + bad)),
        "chunk_length": _example(_entry("i", b"\x1a\x0c\x0a" + bad)),
        "int_value": _example(_entry("i", _with_varint(0x1A, bad))),
    }[where]
    assert _agree(TYPES, [_plain(0), record]) in ("fallback", "refused")


def _fuzz_pool() -> list[bytes]:
    """Valid records to damage: plain ones of several shapes, and some TF parses but the
    decoder leaves to TF."""
    return [_plain(3), _small_record(), b"",
            _example(_entry("i", _int_list(INT64_MIN)), _entry("b", b"")),
            _example(_entry("f", _float_list(math.nan)), _entry("b", _bytes_list(b"\0" * 130))),
            _example(_entry("i", _int_list(1, 2)), _entry("f", _float_list())),
            _example(_entry("zz", _int_list(1)), _entry("b", _bytes_list(b"q")))]


@pytest.mark.integration
def test_random_damage() -> None:
    """300 records damaged at random (bytes replaced, inserted, deleted, or the record cut; a
    fixed seed): the decoder never crashes and decodes only what TF decodes the same way."""
    rng = random.Random(17)
    pool = _fuzz_pool()
    seen: dict[str, int] = {}
    for _ in range(300):
        record = bytearray(rng.choice(pool))
        for _ in range(rng.randint(1, 3)):
            how = rng.randrange(4)
            at = rng.randrange(len(record) + 1)
            if how == 0 and at < len(record):
                record[at] = rng.randrange(256)
            elif how == 1:
                record.insert(at, rng.choice([0x0A, 0x12, 0x1A, 0x80, 0xFF, rng.randrange(256)]))
            elif how == 2 and at < len(record):
                del record[at]
            elif how == 3:
                del record[at:]
        outcome = _agree(TYPES, [_plain(2), bytes(record)])
        seen[outcome] = seen.get(outcome, 0) + 1
    assert set(seen) == {"native", "fallback", "refused"}, seen


# --- 2. framing --------------------------------------------------------------------------------

def _spans(path: Path, whole_file_bytes: int, chunk_size: int, max_records: int
           ) -> list[bytes]:
    return [bytes(view[start:start + length])
            for view, starts, lengths in tfrecord.read_spans(str(path), max_records, chunk_size,
                                                             whole_file_bytes)
            for start, length in zip(starts.tolist(), lengths.tolist(), strict=True)]


@pytest.mark.parametrize("members", [1, 2])
@pytest.mark.parametrize("chunk_size", [7, 1 << 12, 1 << 20])
@pytest.mark.parametrize("whole_file_bytes", [0, LIMIT])
def test_read_spans_gives_the_records(tmp_path: Path, members: int, chunk_size: int,
                                      whole_file_bytes: int) -> None:
    """`read_spans` frames the records `read_records(verify=False)` reads, in order, whatever
    the chunk size, spans of 1, 3 or many records, whole-file or streamed, one gzip member or
    two; no whole file is held afterwards."""
    path = tmp_path / "data_tfrecord-00000-of-00001.gz"
    path.write_bytes(gzip.compress(_framed(RECORDS)) * members)
    expected = _read(path, whole_file_bytes, chunk_size)
    assert expected == RECORDS * members
    for max_records in (1, 3, 1000):
        assert _spans(path, whole_file_bytes, chunk_size, max_records) == expected
    assert _slots_free()


def test_a_whole_files_slot_is_held_while_its_spans_are(tmp_path: Path) -> None:
    """A whole file's slot is its memory: spans kept from three files hold the two slots (the
    third file streams), and the slots come back only once those spans are dropped."""
    paths = []
    for i in range(3):
        paths.append(tmp_path / f"{i}.gz")
        paths[-1].write_bytes(gzip.compress(_framed(RECORDS)))
    size = len(_framed(RECORDS))
    kept = [next(tfrecord.read_spans(str(p), 10, 1 << 10, LIMIT)) for p in paths]
    assert [view.size == size for view, _, _ in kept] == [True, True, False]  # whole, streamed
    assert not _slots_free()
    kept.pop()
    assert not _slots_free()
    del kept
    gc.collect()
    assert _slots_free()


def test_a_consumer_that_stops_early_leaves_no_thread_nor_slot(tmp_path: Path) -> None:
    """Stopping `native_record_batches` after one batch (a closed generator) ends its reading
    and decoding threads and gives back the whole-file slot of the file it was reading."""
    import threading

    from tfxkit.components.statistics_gen.executor import native_record_batches

    path = tmp_path / "plain.gz"
    records = [_plain(i) for i in range(500)]
    path.write_bytes(gzip.compress(_framed(records)))
    before = threading.active_count()
    batches = native_record_batches([str(path)], TYPES, batch_size=50)
    assert next(batches).num_rows == 50
    assert threading.active_count() > before
    batches.close()  # type: ignore[attr-defined]
    del batches
    gc.collect()
    assert threading.active_count() == before
    assert _slots_free()


def _claims(framed: bytes, at: int, length: int) -> bytes:
    """`framed` with the record header at `at` claiming `length` bytes."""
    return framed[:at] + struct.pack("<Q", length) + framed[at + 8:]


def _last_header(framed: bytes) -> int:
    return len(framed) - 16 - len(RECORDS[-1])


DAMAGE: list[tuple[str, Callable[[bytes], bytes]]] = [
    ("truncated_record", lambda b: gzip.compress(b[:-3])),
    ("truncated_in_header", lambda b: gzip.compress(b[:_last_header(b) + 5])),
    ("truncated_after_header", lambda b: gzip.compress(b[:_last_header(b) + 12])),
    ("huge_first_header", lambda b: gzip.compress(_claims(b, 0, (1 << 30) + 1))),
    ("huge_middle_header", lambda b: gzip.compress(_claims(b, _last_header(b), 1 << 40))),
    ("huge_header_at_the_end", lambda b: gzip.compress(
        _claims(b, _last_header(b), 1 << 31)[:_last_header(b) + 12])),
    ("huge_header_then_3_bytes", lambda b: gzip.compress(
        _claims(b, _last_header(b), 1 << 31)[:_last_header(b) + 15])),
    ("gzip_cut", lambda b: gzip.compress(b)[:-30]),
    ("gzip_crc", lambda b: gzip.compress(b)[:-8] + b"\0\0\0\0" + gzip.compress(b)[-4:]),
    ("gzip_damaged", lambda b: gzip.compress(b)[:10] + bytes(40) + gzip.compress(b)[50:]),
    ("gzip_trailing_garbage", lambda b: gzip.compress(b) + b"garbage!"),
]


@pytest.mark.parametrize(("name", "damage"), DAMAGE, ids=[name for name, _ in DAMAGE])
def test_read_spans_raises_the_same_errors(tmp_path: Path, name: str,
                                           damage: Callable[[bytes], bytes]) -> None:
    """A truncated file, a header claiming more than 1 GB (even where the file ends right
    after it) or gzip damage: `read_spans` raises `read_records(verify=False)`'s very
    DamagedRecordsError, whole-file or streamed, and holds no whole file once the errors
    are dropped."""
    path = tmp_path / f"{name}.gz"
    path.write_bytes(damage(_framed(RECORDS)))
    for whole_file_bytes in (0, LIMIT):
        for chunk_size in (7, 1 << 20):
            with pytest.raises(DamagedRecordsError) as expected:
                _read(path, whole_file_bytes, chunk_size)
            for max_records in (1, 1000):
                with pytest.raises(DamagedRecordsError) as found:
                    _spans(path, whole_file_bytes, chunk_size, max_records)
                assert str(found.value) == str(expected.value)
    # A whole file's slot is its memory: held while anything holds a span of it, here the
    # tracebacks' frames (the list being built), so given back once they are dropped.
    del expected, found
    gc.collect()  # a traceback and the generator frames it holds can form a cycle
    assert _slots_free()


# --- 3. batches across files -----------------------------------------------------------------

@pytest.mark.parametrize("batch_size", [1, 3, 7, 1 << 16])
@pytest.mark.parametrize("counts", [(5, 11), (4, 0, 9), (7, 7, 7)])
@pytest.mark.parametrize("streamed", [False, True])
def test_record_spans_batch_as_record_lists(tmp_path: Path, batch_size: int,
                                           counts: tuple[int, ...], streamed: bool,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """`record_spans` over 2-3 files (one may be empty) gives the records of `record_lists`
    in batches of the same sizes, batches straddling files included, whole-file or streamed in
    small chunks (several spans per file)."""
    from tfxkit.components.statistics_gen import executor

    if streamed:
        monkeypatch.setattr(executor, "WHOLE_FILE_BYTES", 0)
        monkeypatch.setattr(executor, "READ_CHUNK_BYTES", 64)
    files, at = [], 0
    for i, count in enumerate(counts):
        records = [b"file %d record %d " % (i, j) * (j % 5) for j in range(at, at + count)]
        at += count
        path = tmp_path / f"data_tfrecord-{i:05d}-of-{len(counts):05d}.gz"
        path.write_bytes(gzip.compress(_framed(records)))
        files.append(str(path))
    expected = list(executor.record_lists(files, batch_size))
    found = [[bytes(view[s:s + n]) for s, n in zip(starts.tolist(), lengths.tolist(),
                                                   strict=True)]
             for view, starts, lengths in executor.record_spans(files, batch_size)]
    assert [len(b) for b in found] == [len(b) for b in expected]
    assert found == expected
    assert sum(map(len, found)) == sum(counts)


# --- 4. the switch ---------------------------------------------------------------------------

@pytest.fixture
def native_off(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """`TFXKIT_NATIVE=0` for the test (native's cached library looked up again either side)."""
    monkeypatch.setenv("TFXKIT_NATIVE", "0")
    native._library.cache_clear()
    yield
    monkeypatch.undo()
    native._library.cache_clear()


@pytest.fixture(scope="module")
def penguin_csv_examples(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The penguin CSV (missing values included) through CsvExampleGen (train/eval 2:1)."""
    tmp = tmp_path_factory.mktemp("penguins")
    return run_csv_example_gen(input_dir(tmp, PENGUINS_CSV), tmp / "examples")


@pytest.mark.integration
def test_statistics_are_the_same_bytes_without_native(penguin_csv_examples: Any,
                                                      tmp_path: Path,
                                                      request: pytest.FixtureRequest) -> None:
    """StatisticsGen on the native path and with `TFXKIT_NATIVE=0` (TF's parser) writes the
    same FeatureStats.pb bytes for every split; switched off, `native.available()` and
    `use_native` say no."""
    import json

    from tfxkit.components.statistics_gen.executor import split_files, use_native

    types = json.loads(penguin_csv_examples.get_custom_property("feature_types"))
    splits = list(penguin_csv_examples.split_names)
    assert all(use_native(split_files(penguin_csv_examples, s), types) for s in splits)
    fast = run_statistics_gen(penguin_csv_examples, tmp_path / "native")
    request.getfixturevalue("native_off")
    assert not native.available()
    assert not any(use_native(split_files(penguin_csv_examples, s), types) for s in splits)
    slow = run_statistics_gen(penguin_csv_examples, tmp_path / "tf")
    for split in splits:
        assert (Path(fast.uri) / f"Split-{split}" / "FeatureStats.pb").read_bytes() == \
            (Path(slow.uri) / f"Split-{split}" / "FeatureStats.pb").read_bytes()


@pytest.mark.parametrize("abi", ["2", None])
def test_a_library_from_another_native_c_is_not_used(tmp_path: Path, abi: str | None) -> None:
    """A library built from another version of native.c (another ABI number, or from before
    there was one) is refused, so StatisticsGen takes TensorFlow's parser rather than calling
    C functions with the wrong arguments; this one's own library loads."""
    import shutil
    import subprocess

    from tfxkit.components._shared import native

    source = (Path(__file__).resolve().parents[2] / "components" / "_shared" / "native.c"
              ).read_text()
    if abi is None:
        source = source.replace("int64_t tfxkit_native_abi(void)", "int64_t other_name(void)")
    else:
        source = source.replace("#define TFXKIT_NATIVE_ABI 1", f"#define TFXKIT_NATIVE_ABI {abi}")
    (tmp_path / "native.c").write_text(source)
    compiler = shutil.which("cc") or shutil.which("gcc")
    assert compiler, "a C compiler is needed (.ci/run installs gcc)"
    built = tmp_path / "other.so"
    subprocess.run([compiler, "-O1", "-std=c99", "-shared", "-fPIC", "-o", str(built),
                    str(tmp_path / "native.c")], check=True, capture_output=True)
    assert native.load(built) is None
    assert native._library() is not None and native.load(Path(native._library()._name))


def test_the_native_calls_refuse_what_the_c_side_cannot_read() -> None:
    """The public calls check what they hand to C: a view that is not a 1-d contiguous uint8
    array, a position or a record outside it is a ValueError, never a read out of bounds."""
    import numpy as np

    from tfxkit.components._shared import native

    view = np.frombuffer(_framed([_plain(0)]), dtype=np.uint8)
    columns = native.ExampleColumns(TYPES)
    one = np.array([12], dtype=np.int64)
    size = np.array([len(_plain(0))], dtype=np.int64)
    assert columns.decode(view, one, size) is not None
    for bad_view in (view.astype(np.int16), view[::2], view.reshape(1, -1)):
        with pytest.raises(ValueError, match="1-d contiguous uint8"):
            columns.decode(bad_view, one, size)
        with pytest.raises(ValueError, match="1-d contiguous uint8"):
            native.frame_records(bad_view, 0, 10, 1 << 30)
    with pytest.raises(ValueError, match="outside the view"):
        columns.decode(view, one, size + 5)
    with pytest.raises(ValueError, match="outside the view"):
        columns.decode(view, one - 13, size)
    with pytest.raises(ValueError, match="outside the view"):
        native.frame_records(view, view.size + 1, 10, 1 << 30)


@pytest.mark.integration
def test_a_batch_parsed_by_tensorflow_is_said_once_with_the_first_odd_record(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Batches that fall back to TensorFlow's parser cost ~4x the CPU, so StatisticsGen says so
    once per split, naming the first record that is not plain (by its index in the split)."""
    import logging

    from tfxkit.components.statistics_gen.executor import native_record_batches

    records = [_plain(i) for i in range(20)]
    records[7] = _example(_entry("i", _int_list(1, 2)))  # two values: not plain
    records[13] = records[7]
    path = tmp_path / "odd.gz"
    path.write_bytes(gzip.compress(_framed(records)))
    with caplog.at_level(logging.INFO, logger="tfxkit.components.statistics_gen.executor"):
        batches = list(native_record_batches([str(path)], TYPES, batch_size=4))
    assert sum(b.num_rows for b in batches) == 20
    said = [r.getMessage() for r in caplog.records if "not a plain example" in r.getMessage()]
    assert len(said) == 1 and said[0].startswith("StatisticsGen: record 7 of "), said
