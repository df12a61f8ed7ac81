"""Batch TFRecord I/O shared by the Beam executors: what it writes, TensorFlow reads; what it
decodes equals tfx-bsl's decoding; corrupt files fail with the file named."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration


def _schema() -> object:
    from google.protobuf import text_format
    from tensorflow_metadata.proto.v0 import schema_pb2

    return text_format.Parse(
        """
        feature { name: "f" type: FLOAT }
        feature { name: "i" type: INT }
        feature { name: "s" type: BYTES }
        """, schema_pb2.Schema())


def _examples(n: int) -> list[bytes]:
    import tensorflow as tf

    out = []
    for row in range(n):
        feature = {}
        if row % 5:  # some rows miss "f"
            feature["f"] = tf.train.Feature(float_list=tf.train.FloatList(value=[row / 3]))
        feature["i"] = tf.train.Feature(
            int64_list=tf.train.Int64List(value=[row, -row, 2**62][: row % 4]))
        feature["s"] = tf.train.Feature(bytes_list=tf.train.BytesList(value=[b"x" * (row % 7)]))
        out.append(tf.train.Example(
            features=tf.train.Features(feature=feature)).SerializeToString())
    return out


def _write(path: Path, records: list[bytes], compression: str | None) -> None:
    import tensorflow as tf

    with tf.io.TFRecordWriter(str(path), options=compression) as writer:
        for record in records:
            writer.write(record)


@pytest.mark.parametrize("compression", [None, "GZIP"])
def test_read_records_round_trips_tensorflow_files(tmp_path: Path, compression: str | None) -> None:
    from tfxkit.components._shared.tfrecord import read_records

    records = _examples(3000)
    path = tmp_path / "data.tfrecord"
    _write(path, records, compression)
    assert [r for chunk in read_records(str(path)) for r in chunk] == records


def test_read_records_names_a_corrupt_or_truncated_file(tmp_path: Path) -> None:
    from tfxkit.components._shared.tfrecord import read_records

    path = tmp_path / "data.tfrecord"
    _write(path, _examples(10), None)
    data = bytearray(path.read_bytes())
    data[20] ^= 0xFF
    (tmp_path / "bad.tfrecord").write_bytes(bytes(data))
    with pytest.raises(ValueError, match=r"bad\.tfrecord: corrupt TFRecord"):
        list(read_records(str(tmp_path / "bad.tfrecord")))
    (tmp_path / "short.gz").write_bytes(gzip.compress(path.read_bytes())[:-30])
    with pytest.raises(ValueError, match=r"short\.gz: truncated"):
        list(read_records(str(tmp_path / "short.gz")))


def test_batch_decoder_matches_tfx_bsl() -> None:
    from tfx_bsl.coders import example_coder

    from tfxkit.components._shared.record_io import batch_decoder

    schema = _schema().SerializeToString()  # type: ignore[attr-defined]
    records = _examples(500)
    expected = example_coder.ExamplesToRecordBatchDecoder(schema).DecodeBatch(records)
    decoded = batch_decoder(schema)(records)
    assert decoded.schema.equals(expected.schema)
    for name in ("f", "s"):  # the fast decoder's one difference: empty lists come out null
        assert decoded.column(name).equals(expected.column(name)), name
    assert decoded.column("i").to_pylist() == [v or None for v in
                                               expected.column("i").to_pylist()]


def test_encode_and_frame_matches_tfx_bsl_and_reads_back(tmp_path: Path) -> None:
    import numpy as np
    import pyarrow as pa
    import tensorflow as tf
    from tfx_bsl.coders import example_coder

    from tfxkit.components._shared.record_io import _encode_single_values, encode_and_frame

    n = 300
    ints = np.array([0, 1, 127, 128, 300, -1, 2**63 - 1, -(2**63)] * 50)[:n]

    def one_per_row(values: object) -> object:
        return pa.LargeListArray.from_arrays(pa.array(np.arange(n + 1)), pa.array(values))

    dense = pa.RecordBatch.from_arrays(
        [one_per_row(np.linspace(-2, 2, n).astype(np.float32)), one_per_row(ints)],
        ["a_float", "an_int"])
    ragged = pa.RecordBatch.from_arrays(
        [pa.array([[1, 2], None, [], [3]] * 5, type=pa.large_list(pa.int64()))], ["r"])
    floats = pa.RecordBatch.from_arrays([dense.column(0)], ["a_float"])
    for batch, fast in ((dense, True), (dense.slice(7, 50), True), (floats, True),
                        (ragged, False)):
        assert (_encode_single_values(batch) is not None) == fast
        path = tmp_path / f"out-{fast}-{batch.num_rows}.tfrecord"
        path.write_bytes(encode_and_frame(batch))
        read = list(tf.data.TFRecordDataset(str(path)).as_numpy_iterator())
        expected = example_coder.RecordBatchToExamples(batch)
        assert [tf.train.Example.FromString(r) for r in read] == [
            tf.train.Example.FromString(r) for r in expected]


def test_beam_read_and_write(tmp_path: Path) -> None:
    import apache_beam as beam
    import tensorflow as tf

    from tfxkit.components._shared.record_io import (
        encode_and_frame,
        read_record_batches,
        write_framed_records,
    )

    records = _examples(1000)
    for shard in range(2):
        _write(tmp_path / f"in-{shard}.gz", records[shard::2], "GZIP")
    with beam.Pipeline() as pipeline:
        _ = (pipeline
             | read_record_batches(str(tmp_path / "in-*.gz"), _schema(), batch_rows=128)
             | beam.Map(encode_and_frame)
             | write_framed_records(str(tmp_path / "out" / "part")))
    files = sorted(str(p) for p in (tmp_path / "out").glob("part-*-of-*.gz"))
    assert files
    read = list(tf.data.TFRecordDataset(files, compression_type="GZIP").as_numpy_iterator())

    def values(record: bytes) -> tuple:
        features = tf.train.Example.FromString(record).features.feature
        return tuple(tuple(getattr(features[name], kind).value) if name in features else ()
                     for name, kind in (("f", "float_list"), ("i", "int64_list"),
                                        ("s", "bytes_list")))

    assert sorted(map(values, read)) == sorted(map(values, records))
