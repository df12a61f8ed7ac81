"""Read and write tf.Example TFRecord files on Beam a whole batch at a time.

Beam's TFRecord source and sink handle one record per element in Python, which on the
DirectRunner costs more than the work done on the records. Here one element is one file when
reading (decoded to Arrow record batches of `batch_rows` rows) and one framed block of records
when writing, so the per-record work is done in C++ (TensorFlow's example parser, tfx-bsl)
and numpy. Both read and write through Beam's FileSystems, so any runner and filesystem Beam
supports works. Written files read back with `tf.data.TFRecordDataset` (GZIP when gzipped),
tfx-bsl's TFXIO and Beam's ReadFromTFRecord. Beam, TensorFlow, numpy and tfx-bsl are imported
inside the functions (executors only). The TFRecord format itself (framing, gzip, checksums)
is `tfxkit.components._shared.tfrecord`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from tfxkit.components._shared.tfrecord import frame_bytes, read_records

DEFAULT_BATCH_ROWS = 8192
_READ_CHUNK_BYTES = 1 << 20


def read_record_batches(file_pattern: str, schema: Any,
                        batch_rows: int = DEFAULT_BATCH_ROWS) -> Any:
    """A PTransform from the pipeline root to the tf.Examples in `file_pattern`, decoded
    under `schema` (a TFMD Schema) into `pa.RecordBatch`es of up to `batch_rows` rows.

    The Arrow schema is that of tfx-bsl's `ExamplesToRecordBatchDecoder(schema)`, the same as
    `tfxio.TFExampleRecord(schema=schema).ArrowSchema()`, so the batches feed TFT and TFMA
    with that TFXIO's `TensorAdapterConfig()`. Files are gzipped or not (detected from their
    first bytes); record checksums are verified.
    """
    import apache_beam as beam
    from apache_beam.io import fileio

    serialized_schema = schema.SerializeToString()

    @beam.ptransform_fn
    def ReadRecordBatches(root: Any) -> Any:
        return (
            root
            | "Match" >> fileio.MatchFiles(file_pattern)
            | "Paths" >> beam.Map(lambda metadata: metadata.path)
            # One element per file; spread files over workers (no-op cost on DirectRunner).
            | "Reshuffle" >> beam.Reshuffle()
            | "Decode" >> beam.FlatMap(decode_file, serialized_schema, batch_rows)
        )

    return ReadRecordBatches()


def decode_file(path: str, serialized_schema: bytes, batch_rows: int) -> Iterator[Any]:
    """Record batches of the tf.Examples in the TFRecord file at `path`."""
    decode = batch_decoder(serialized_schema)
    pending: list[bytes] = []
    for records in read_records(path, verify=True, chunk_size=_READ_CHUNK_BYTES):
        pending.extend(records)
        while len(pending) >= batch_rows:
            yield decode(pending[:batch_rows])
            del pending[:batch_rows]
    if pending:
        yield decode(pending)


def batch_decoder(serialized_schema: bytes) -> Callable[[list[bytes]], Any]:
    """A function from serialized tf.Examples to a `pa.RecordBatch` with the Arrow schema of
    tfx-bsl's `ExamplesToRecordBatchDecoder(serialized_schema)`.

    When every feature of the schema is a plain INT, FLOAT or BYTES feature, TensorFlow's
    example parser does the parsing (several times faster than tfx-bsl's); the one difference
    is that a feature present with no values comes out as a null list, like a missing one
    (TFT reads both the same way). Other schemas use tfx-bsl's decoder.
    """
    from tensorflow_metadata.proto.v0 import schema_pb2
    from tfx_bsl.coders import example_coder

    tfx_bsl_decoder = example_coder.ExamplesToRecordBatchDecoder(serialized_schema)
    arrow_schema = tfx_bsl_decoder.ArrowSchema()
    schema = schema_pb2.Schema.FromString(serialized_schema)
    feature_types = {f.name: f.type for f in schema.feature}
    plain = (schema_pb2.INT, schema_pb2.FLOAT, schema_pb2.BYTES)
    if not arrow_schema.names or any(feature_types.get(name) not in plain
                                     for name in arrow_schema.names):
        return tfx_bsl_decoder.DecodeBatch
    import numpy as np
    import pyarrow as pa
    import tensorflow as tf

    dtypes = {schema_pb2.INT: tf.int64, schema_pb2.FLOAT: tf.float32,
              schema_pb2.BYTES: tf.string}
    spec = {name: tf.io.VarLenFeature(dtypes[feature_types[name]])
            for name in arrow_schema.names}

    def decode(records: list[bytes]) -> Any:
        n = len(records)
        parsed = tf.io.parse_example(records, spec)
        columns = []
        for field in arrow_schema:
            sparse = parsed[field.name]
            counts = np.bincount(sparse.indices.numpy()[:, 0], minlength=n)
            offsets = np.zeros(n + 1, dtype=np.int64)
            np.cumsum(counts, out=offsets[1:])
            values = sparse.values.numpy()
            items = pa.array(values if values.dtype != object else values.tolist(),
                             type=field.type.value_type)
            columns.append(pa.LargeListArray.from_arrays(
                pa.array(offsets), items, mask=pa.array(counts == 0)))
        return pa.RecordBatch.from_arrays(columns, schema=arrow_schema)

    return decode


def encode_and_frame(record_batch: Any) -> bytes:
    """The rows of `record_batch` as tf.Examples, framed as TFRecords back to back: one
    element for `write_framed_records`.

    Columns of one int64 or float32 value per row (what a `preprocessing_fn` usually outputs)
    are encoded with numpy; any other batch with tfx-bsl's `RecordBatchToExamples`. Both
    give the same Example (feature order aside, which protobuf maps do not keep).
    """
    import numpy as np

    encoded = _encode_single_values(record_batch)
    if encoded is None:
        from tfx_bsl.coders import example_coder

        serialized = example_coder.RecordBatchToExamples(record_batch)
        lengths = np.fromiter(map(len, serialized), dtype=np.int64, count=len(serialized))
        encoded = b"".join(serialized), lengths
    data, lengths = encoded
    return frame_bytes(data, lengths).tobytes()


def _encode_single_values(record_batch: Any) -> tuple[bytes, Any] | None:
    """(serialized tf.Examples back to back, their lengths) of a batch whose columns all hold
    exactly one int64 or float32 value per row, else None.

    Each row is `Example{features{feature{key, value}...}}`, built as a row of byte pieces: one
    piece per column of at most `width` bytes, of which the first `length` are used; a boolean
    mask over the [rows, bytes] matrix then concatenates every row's used bytes in order.
    """
    import numpy as np
    import pyarrow as pa

    n = record_batch.num_rows
    if n == 0 or record_batch.num_columns == 0:
        return None
    # (bytes [n, width] uint8, used lengths [n], or None when all are used)
    pieces: list[tuple[Any, Any]] = []
    for name, column in zip(record_batch.schema.names, record_batch.columns, strict=True):
        if not (pa.types.is_list(column.type) or pa.types.is_large_list(column.type)) \
                or column.null_count:
            return None
        offsets = np.asarray(column.offsets)
        if offsets[-1] - offsets[0] != n or not (np.diff(offsets) == 1).all():
            return None
        values = column.flatten()
        key = name.encode()
        if len(key) > 100:  # keeps every length below inside one varint byte
            return None
        value_type = column.type.value_type
        if pa.types.is_float32(value_type):
            # entry: 0A len key | 12 08 (Feature) 12 06 (FloatList) 0A 04 (packed) <4 bytes>
            prefix = bytes([0x0A, len(key) + 12, 0x0A, len(key)]) + key + bytes(
                [0x12, 0x08, 0x12, 0x06, 0x0A, 0x04])
            piece = np.empty((n, len(prefix) + 4), dtype=np.uint8)
            piece[:, :len(prefix)] = np.frombuffer(prefix, dtype=np.uint8)
            piece[:, len(prefix):] = np.asarray(values).astype("<f4").view(np.uint8).reshape(n, 4)
            pieces.append((piece, None))
        elif pa.types.is_int64(value_type):
            # entry: 0A len key | 12 4+s (Feature) 1A 2+s (Int64List) 0A s (packed) <varint s>
            varint, size = _varints(np.asarray(values).astype(np.int64).view(np.uint64))
            head = 4 + len(key)
            piece = np.empty((n, head + 6 + varint.shape[1]), dtype=np.uint8)
            piece[:, 0] = 0x0A
            piece[:, 1] = len(key) + 8 + size
            piece[:, 2] = 0x0A
            piece[:, 3] = len(key)
            piece[:, 4:head] = np.frombuffer(key, dtype=np.uint8)
            piece[:, head] = 0x12
            piece[:, head + 1] = 4 + size
            piece[:, head + 2] = 0x1A
            piece[:, head + 3] = 2 + size
            piece[:, head + 4] = 0x0A
            piece[:, head + 5] = size
            piece[:, head + 6:] = varint
            pieces.append((piece, head + 6 + size.astype(np.int64)))
        else:
            return None
    features_length = np.zeros(n, dtype=np.int64)
    for piece, length in pieces:
        features_length += piece.shape[1] if length is None else length
    header, header_size = _varints(np.asarray(features_length, dtype=np.uint64))
    example_header = np.empty((n, 1 + header.shape[1]), dtype=np.uint8)
    example_header[:, 0] = 0x0A
    example_header[:, 1:] = header
    pieces.insert(0, (example_header, 1 + header_size.astype(np.int64)))
    matrix = np.concatenate([piece for piece, _ in pieces], axis=1)
    used = np.ones(matrix.shape, dtype=bool)
    column = 0
    for piece, length in pieces:
        width = piece.shape[1]
        if length is not None:
            used[:, column: column + width] = np.arange(width) < length[:, None]
        column += width
    return matrix[used].tobytes(), 1 + header_size.astype(np.int64) + features_length


def _varints(values: Any) -> tuple[Any, Any]:
    """Protobuf varints of uint64 `values`: ([n, width] bytes, of which the first `size` are
    used; size [n]), width being the largest size."""
    import numpy as np

    limits = np.uint64(1) << (np.arange(1, 10, dtype=np.uint64) * np.uint64(7))
    size = 1 + np.searchsorted(limits, values, side="right")
    width = int(size.max())
    shifts = np.arange(width, dtype=np.uint64) * np.uint64(7)
    groups = ((values[:, None] >> shifts) & np.uint64(0x7F)).astype(np.uint8)
    groups[np.arange(width) < (size - 1)[:, None]] |= 0x80
    return groups, size.astype(np.uint8)


def write_framed_records(file_path_prefix: str, file_name_suffix: str = ".gz",
                         compression_level: int = 1) -> Any:
    """A PTransform writing blocks from `encode_and_frame` to TFRecord files
    `{file_path_prefix}-SSSSS-of-NNNNN{file_name_suffix}`, gzipped at `compression_level`
    when the suffix is `.gz` (level 1: several times faster than zlib's default, and the
    files are still read by any gzip/TFRecord reader)."""
    import apache_beam as beam

    return beam.io.Write(_framed_sink(file_path_prefix, file_name_suffix, compression_level))


def _framed_sink(file_path_prefix: str, file_name_suffix: str, compression_level: int) -> Any:
    from tfxkit.components._shared.framed_sink import FramedTFRecordSink

    return FramedTFRecordSink(file_path_prefix, file_name_suffix, compression_level)
