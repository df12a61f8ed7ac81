"""ParquetExampleGen executor: Parquet files -> split, gzipped tf.Example TFRecords.

Streams row groups with `pyarrow.parquet.ParquetFile.iter_batches` (bounded memory) and hands
them to the shared engine (`tfxkit.components.example_gen.executor`). Column types map to
tf.Example kinds: integers, booleans, dates and timestamps -> int64; floats and decimals ->
float; strings and binary -> bytes; lists of those -> multi-valued features. Nulls stay missing.
Heavy libraries are imported inside functions only.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from tfxkit.components.example_gen.executor import BaseExampleGenExecutor, _Item
from tfxkit.errors import DataError

if TYPE_CHECKING:
    import pyarrow as pa

BATCH_ROWS = 65536


@dataclasses.dataclass
class ParquetPlan:
    """Column names, the tf.Example kind of each ("int", "float", "bytes") and which are lists."""

    column_names: list[str]
    kinds: dict[str, str]
    lists: set[str]


def _kind(arrow_type: pa.DataType) -> str | None:
    import pyarrow as pa

    t = pa.types
    if t.is_integer(arrow_type) or t.is_boolean(arrow_type) or t.is_temporal(arrow_type):
        return "int"
    if t.is_floating(arrow_type) or t.is_decimal(arrow_type):
        return "float"
    if t.is_string(arrow_type) or t.is_large_string(arrow_type) or t.is_binary(arrow_type) \
            or t.is_large_binary(arrow_type):
        return "bytes"
    return None


def _target(kind: str) -> pa.DataType:
    import pyarrow as pa

    return {"int": pa.int64(), "float": pa.float32(), "bytes": pa.binary()}[kind]


def _cast(column: pa.Array, kind: str) -> pa.Array:
    import pyarrow as pa

    if pa.types.is_temporal(column.type):  # stored ticks since the epoch
        column = column.view(pa.int64() if column.type.bit_width == 64 else pa.int32())
    if pa.types.is_decimal(column.type):
        column = column.cast(pa.float64())
    return column.cast(_target(kind))


class Executor(BaseExampleGenExecutor):
    """ParquetExampleGen's executor. exec_properties: `input_base`, `input_config`,
    `output_config`. Writes `{examples.uri}/Split-<name>/data_tfrecord-*.gz`."""

    INPUT_FORMAT = "parquet"

    def prepare(self, files: list[str], exec_properties: dict[str, Any]) -> ParquetPlan:
        """Check every file is Parquet with the same columns; map their types."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        plan: ParquetPlan | None = None
        for path in files:
            try:
                schema = pq.read_schema(path)
            except (pa.ArrowInvalid, OSError) as exc:
                raise DataError(f"Parquet file {path}: cannot be read as Parquet ({exc}). "
                                f"Remove it from input_base or fix its input_config pattern."
                                ) from None
            kinds: dict[str, str] = {}
            lists: set[str] = set()
            for field in schema:
                arrow_type = field.type
                if pa.types.is_list(arrow_type) or pa.types.is_large_list(arrow_type):
                    lists.add(field.name)
                    arrow_type = arrow_type.value_type
                kind = _kind(arrow_type)
                if kind is None:
                    raise DataError(
                        f"Parquet file {path}, column {field.name!r}: type {field.type} has no "
                        f"tf.Example equivalent (expected integers, floats, strings, binary, "
                        f"or lists of them). Drop or convert the column before ExampleGen.")
                kinds[field.name] = kind
            if plan is None:
                plan = ParquetPlan(list(schema.names), kinds, lists)
            elif list(schema.names) != plan.column_names or lists != plan.lists:
                raise DataError(
                    f"Parquet schema mismatch: {path} has columns {schema.names}, but "
                    f"{files[0]} has {plan.column_names}. Every file of an ExampleGen needs the "
                    f"same columns in the same order; fix it or give it its own input split.")
            else:
                for name, kind in kinds.items():
                    if kind != plan.kinds[name]:
                        # int in one file, float in another: float holds both.
                        if {kind, plan.kinds[name]} == {"int", "float"}:
                            plan.kinds[name] = "float"
                        else:
                            raise DataError(
                                f"Parquet column {name!r} is {kind} in {path} but "
                                f"{plan.kinds[name]} in {files[0]}. Make the types agree.")
        assert plan is not None
        return plan

    def read(self, path: str, prepared: ParquetPlan, exec_properties: dict[str, Any]
             ) -> Iterator[_Item]:
        """Stream `path` in batches of rows, cast to tf.Example kinds."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        for batch in pq.ParquetFile(path).iter_batches(batch_size=BATCH_ROWS):
            columns = []
            for name, column in zip(batch.schema.names, batch.columns, strict=True):
                kind = prepared.kinds[name]
                if name in prepared.lists:
                    values = _cast(column.flatten(), kind)
                    column = pa.ListArray.from_arrays(
                        column.offsets, values, mask=column.is_null())
                else:
                    column = _cast(column, kind)
                columns.append(column)
            yield _Item(batch=pa.RecordBatch.from_arrays(columns, batch.schema.names))

    def feature_types(self, prepared: ParquetPlan) -> dict[str, str] | None:
        """Exact only when no column is a list (a list may be empty, which is not missing)."""
        return None if prepared.lists else dict(prepared.kinds)
