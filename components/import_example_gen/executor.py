"""ImportExampleGen executor: existing TFRecord files of tf.Example -> split, gzipped TFRecords.

Records are copied as they are (gzipped or not on input; detected by content), split by the
shared engine (`tfxkit.components.example_gen.executor`). Heavy libraries are imported inside
functions only.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tfxkit.components._shared import tfrecord
from tfxkit.components.example_gen.executor import BaseExampleGenExecutor, _Item
from tfxkit.errors import DataError


class Executor(BaseExampleGenExecutor):
    """ImportExampleGen's executor. exec_properties: `input_base`, `input_config`,
    `output_config`. Writes `{examples.uri}/Split-<name>/data_tfrecord-*.gz`."""

    INPUT_FORMAT = "tfrecord"

    def prepare(self, files: list[str], exec_properties: dict[str, Any]) -> None:
        """Check the first record of every file is a tf.Example."""
        from tfx_bsl.coders import example_coder

        decoder = example_coder.ExamplesToRecordBatchDecoder()
        for path in files:
            try:
                chunks = tfrecord.read_records(path, verify=False, chunk_size=1 << 16)
                first: list[bytes] = next(chunks, [])[:1]
                if first:
                    decoder.DecodeBatch(first)
            except Exception as exc:  # zlib, framing or proto errors alike
                raise DataError(
                    f"TFRecord file {path}: the first record is not a readable tf.Example "
                    f"({type(exc).__name__}: {exc}). Expected TFRecord files (gzipped or not) of "
                    f"serialized tf.Example; remove other files from input_base.") from None

    def read(self, path: str, prepared: Any, exec_properties: dict[str, Any]
             ) -> Iterator[_Item]:
        """Stream the records of `path`."""
        try:
            for records in tfrecord.read_records(path, verify=False):
                yield _Item(records=records)
        except ValueError as exc:
            raise DataError(f"TFRecord file {path}: {exc}. Re-create or remove the file.") \
                from None
