"""The shared engine of the file-based ExampleGens: read batches, encode, split, write.

A format executor (CSV, Parquet, TFRecord) subclasses `BaseExampleGenExecutor` and implements
`prepare` (a checking pass over all inputs: headers, types, bad rows) and `read` (stream the rows
of one file as Arrow RecordBatches, or as serialized tf.Examples). Everything after that is here:

- tf.Example encoding with tfx-bsl's C++ encoder (`RecordBatchToExamplesEncoder`),
- a deterministic split per row: a vectorized 64-bit hash of the row's values (or crc32c of the
  value of `partition_feature_name`; for imported records, of the record) modulo the total hash
  buckets, the same in every run and process,
- gzipped TFRecord writing (`_shared/tfrecord.py`), one file per worker thread per split.

Worker threads run encode, hash, frame and compress in parallel (all release the GIL for the
heavy part); the reader streams, so memory stays bounded by a few batches per worker.
With beam pipeline args naming a non-Direct runner (or `--tfxkit_use_beam`), each input file,
or each byte range of a big file cut on row boundaries (`byte_ranges`), becomes one Beam element
converted by the same code on the workers. The custom property `engine` records which path ran
(`in-process` or `beam:<Runner>`).

Output: `{examples.uri}/Split-<name>/data_tfrecord-<i>-of-<n>.gz`; properties split_names, span=0,
version=0; custom properties `example_counts` (JSON split -> rows), `bad_rows_skipped`, `note`
(one line the runner prints: what the format noticed, see `report`), the format's own (e.g.
CSV's `date_columns`) and, when every row has the same scalar features, `feature_types` (JSON
name -> int / float / bytes). A split left with 0 rows is a DataError naming it, the row counts
and the fix, as is an input with no rows at all.
Heavy libraries (pyarrow, numpy, tfx-bsl, Beam) are imported inside functions only.
"""

from __future__ import annotations

import dataclasses
import json
import os
import queue
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, ClassVar

from tfxkit.components._shared import tfrecord
from tfxkit.components._shared.beam import beam_options, beam_runner_name, use_beam
from tfxkit.components.example_gen import config as split_config
from tfxkit.dsl.base_executor import BaseExecutor
from tfxkit.errors import DataError
from tfxkit.types.artifact import Artifact

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

COMPRESSION_LEVEL = 3  # zlib level: 6 costs ~40% more CPU for ~10% smaller files
_QUEUE_DEPTH = 2


@dataclasses.dataclass
class _Item:
    """One unit of work: a RecordBatch to encode, or serialized records, bound for a split."""

    batch: Any = None
    records: list[bytes] | None = None
    fixed_split: int = -1


def to_list_batch(batch: pa.RecordBatch) -> pa.RecordBatch:
    """Make every column a list column of int64, float32 or binary (what the tf.Example encoder
    takes); a null value becomes a null list, i.e. a feature with no value."""
    import numpy as np
    import pyarrow as pa

    columns = []
    for column in batch.columns:
        if pa.types.is_list(column.type) or pa.types.is_large_list(column.type):
            columns.append(column)
            continue
        if pa.types.is_floating(column.type) and column.type != pa.float32():
            column = column.cast(pa.float32())
        elif pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            column = column.cast(pa.binary())
        valid = column.is_valid().to_numpy(zero_copy_only=False)
        offsets = np.zeros(len(column) + 1, dtype=np.int32)
        np.cumsum(valid, out=offsets[1:])
        columns.append(pa.ListArray.from_arrays(
            pa.array(offsets), column.drop_null(), mask=pa.array(~valid)))
    return pa.RecordBatch.from_arrays(columns, batch.schema.names)


def _mix(h: np.ndarray) -> np.ndarray:
    """splitmix64's finalizer: spreads the bits of uint64 values (wrapping arithmetic)."""
    import numpy as np

    h = (h ^ (h >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    h = (h ^ (h >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return h ^ (h >> np.uint64(31))


def _column_hashes(column: pa.Array) -> np.ndarray:
    import numpy as np
    import pyarrow as pa

    if pa.types.is_floating(column.type) and column.type != pa.float32():
        column = column.cast(pa.float32())  # hash the value as written (float32)
    if pa.types.is_integer(column.type) or pa.types.is_floating(column.type):
        wide = pa.int64() if pa.types.is_integer(column.type) else pa.float64()
        values = column.cast(wide).fill_null(0).to_numpy(zero_copy_only=False).view(np.uint64)
        hashes = _mix(values + np.uint64(0x9E3779B97F4A7C15))
    else:
        hashes = partition_hashes(column).astype(np.uint64)
    if column.null_count:
        hashes[column.is_null().to_numpy(zero_copy_only=False)] = np.uint64(0x5BD1E995)
    return hashes


def row_hashes(batch: pa.RecordBatch) -> np.ndarray:
    """A deterministic 64-bit hash of each row's values (not of its serialized bytes: protobuf
    map order is not stable), the same in every run and process."""
    import numpy as np

    h = np.full(batch.num_rows, 0x2545F4914F6CDD1D, dtype=np.uint64)
    for column in batch.columns:
        h = _mix(h ^ _column_hashes(column))
    return h


def partition_hashes(column: pa.Array) -> np.ndarray:
    """crc32c of each row's value of the partition column (null -> hash of b"")."""
    import google_crc32c
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_list(column.type) or pa.types.is_large_list(column.type):
        column = pa.array([v[0] if v else None for v in column.to_pylist()])
    if not (pa.types.is_binary(column.type) or pa.types.is_string(column.type)):
        column = column.cast(pa.string())
    encoded = pc.dictionary_encode(column)
    keys = [b"" if v is None else (v if isinstance(v, bytes) else str(v).encode())
            for v in encoded.dictionary.to_pylist()]
    table = np.array([google_crc32c.value(k) for k in keys] + [google_crc32c.value(b"")],
                     dtype=np.uint32)
    indices = encoded.indices.fill_null(len(keys)).to_numpy(zero_copy_only=False)
    return table[indices]


class _SplitWriter:
    """Encodes, splits, frames and compresses items on worker threads; worker w owns
    `Split-<s>/data_tfrecord-<w>-of-<n>.gz` for every split s."""

    def __init__(self, uri: str, plan: split_config.SplitPlan, workers: int,
                 file_tag: str = "") -> None:
        self.plan = plan
        self.split_names = plan.split_names
        self.counts = [0] * len(self.split_names)
        self._lock = threading.Lock()
        self._error: BaseException | None = None
        buckets = [s.hash_buckets for s in plan.output_splits]
        self._total_buckets = sum(buckets)
        self._bounds = [sum(buckets[: i + 1]) for i in range(len(buckets))]
        self._queues: list[queue.Queue[_Item | None]] = []
        self._threads: list[threading.Thread] = []
        self._next = 0
        for w in range(workers):
            writers = []
            for name in self.split_names:
                folder = os.path.join(uri, f"Split-{name}")
                os.makedirs(folder, exist_ok=True)
                shard = file_tag or f"{w:05d}-of-{workers:05d}"
                writers.append(tfrecord.GzipTFRecordWriter(
                    os.path.join(folder, f"data_tfrecord-{shard}.gz"), COMPRESSION_LEVEL))
            q: queue.Queue[_Item | None] = queue.Queue(maxsize=_QUEUE_DEPTH)
            thread = threading.Thread(target=self._work, args=(q, writers), daemon=True)
            thread.start()
            self._queues.append(q)
            self._threads.append(thread)

    def submit(self, item: _Item) -> None:
        """Queue an item for the next worker (round robin keeps the output deterministic)."""
        self._raise_if_failed()
        self._queues[self._next].put(item)
        self._next = (self._next + 1) % len(self._queues)

    def close(self) -> list[int]:
        """Finish all work, close the files and return the row count of each split."""
        for q in self._queues:
            q.put(None)
        for thread in self._threads:
            thread.join()
        self._raise_if_failed()
        return self.counts

    def abort(self) -> None:
        """Stop the workers after an error elsewhere (files are left for the runner to drop)."""
        for q in self._queues:
            while True:
                try:
                    q.get_nowait()
                except queue.Empty:
                    break
            q.put(None)
        for thread in self._threads:
            thread.join()

    def _raise_if_failed(self) -> None:
        if self._error is not None:
            raise self._error

    def _work(self, q: queue.Queue[_Item | None], writers: list[Any]) -> None:
        from tfx_bsl.coders import example_coder

        encoder = example_coder.RecordBatchToExamplesEncoder()
        try:
            while (item := q.get()) is not None:
                if self._error is None:
                    self._write(item, encoder, writers)
        except BaseException as exc:  # surfaced in the reading thread by submit/close
            self._error = exc
            while q.get() is not None:
                pass
        finally:
            for writer in writers:
                writer.close()

    def _write(self, item: _Item, encoder: Any, writers: list[Any]) -> None:
        import numpy as np
        import pyarrow as pa

        partition = self.plan.partition_feature_name
        split_by_hash = item.fixed_split < 0
        if item.batch is not None:
            records = encoder.encode(to_list_batch(item.batch))
            key_column = item.batch.column(partition) if partition else None
            hashes = row_hashes(item.batch) if split_by_hash and not partition else None
        else:
            records = item.records or []
            key_column = None
            hashes = None
            if partition and records:
                key_column = _decode_column(records, partition)
        if not records:
            return
        crcs = tfrecord.crc32c_array(records)
        if key_column is not None:
            hashes = partition_hashes(key_column)
        elif hashes is None:
            hashes = crcs  # imported records: their bytes are given, so their crc is stable
        array = pa.array(records, type=pa.binary())
        del records
        if not split_by_hash:
            assignment = None
        else:
            buckets = hashes % np.uint64(self._total_buckets)
            assignment = np.searchsorted(self._bounds, buckets, side="right")
        for split_index, writer in enumerate(writers):
            if assignment is None:
                if split_index != item.fixed_split:
                    continue
                chosen, chosen_crcs = array, crcs
            else:
                rows = np.flatnonzero(assignment == split_index)
                if not len(rows):
                    continue
                chosen, chosen_crcs = array.take(pa.array(rows)), crcs[rows]
            writer.write_framed(tfrecord.frame(chosen, chosen_crcs), len(chosen))
            with self._lock:
                self.counts[split_index] += len(chosen)


def _decode_column(records: list[bytes], name: str) -> pa.Array:
    from tfx_bsl.coders import example_coder

    batch = example_coder.ExamplesToRecordBatchDecoder().DecodeBatch(records)
    if name not in batch.schema.names:
        raise DataError(f"output_config.split_config.partition_feature_name: feature {name!r} is"
                        f" not in the examples (features: {batch.schema.names}). Name one of "
                        f"them.")
    return batch.column(name)


class BaseExampleGenExecutor(BaseExecutor):
    """Converts input files to split, gzipped tf.Example TFRecords. Subclasses read a format.

    exec_properties: `input_base` (folder), `input_config` / `output_config` (split config
    dicts, see `config.py`) and the format's own options. output_dict: {"examples": [Examples]}.
    """

    INPUT_FORMAT: ClassVar[str] = ""
    WORKERS: ClassVar[int] = max(1, min(4, os.cpu_count() or 1))

    # -- what a format implements ------------------------------------------------------------
    def prepare(self, files: list[str], exec_properties: dict[str, Any]) -> Any:
        """Check every input file before writing anything; return what `read` needs (e.g. the
        column types inferred over all the data). Raise DataError naming file and line."""
        return None

    def read(self, path: str, prepared: Any, exec_properties: dict[str, Any]) -> Iterator[_Item]:
        """Yield the rows of `path` as `_Item(batch=RecordBatch)` or `_Item(records=[...])`."""
        raise NotImplementedError

    def byte_ranges(self, path: str, prepared: Any) -> list[tuple[int, int]] | None:
        """Byte ranges of `path` that `read_range` converts independently (each starting on a
        record boundary), so one big file spreads over Beam workers; None: the file is one
        unit (the default)."""
        return None

    def read_range(self, path: str, byte_range: tuple[int, int], prepared: Any,
                   exec_properties: dict[str, Any]) -> Iterator[_Item]:
        """The rows of one of `byte_ranges(path)`; read in order, a file's ranges yield
        exactly the rows `read(path)` yields."""
        raise NotImplementedError

    def bad_rows_skipped(self, prepared: Any) -> int:
        """How many bad rows `read` skips (recorded on the artifact)."""
        return 0

    def report(self, prepared: Any) -> tuple[list[str], dict[str, str]]:
        """What the data looks like: one-line notes (printed by the runner, joined into the
        `note` custom property) and further custom properties for the Examples artifact."""
        return [], {}

    def feature_types(self, prepared: Any) -> dict[str, str] | None:
        """Feature name -> "int" | "float" | "bytes" when every example carries exactly these
        features with at most one value each (a missing value is a feature with no value), or
        None when unknown. StatisticsGen uses it to take a faster decoding path."""
        return None

    # -- the shared engine ---------------------------------------------------------------------
    def Do(
        self,
        input_dict: dict[str, list[Artifact]],
        output_dict: dict[str, list[Artifact]],
        exec_properties: dict[str, Any],
    ) -> None:
        """Write `{examples.uri}/Split-<name>/data_tfrecord-*.gz` for each output split."""
        input_splits = split_config.parse_input_config(exec_properties.get("input_config"))
        plan = split_config.parse_output_config(exec_properties.get("output_config"),
                                                input_splits)
        matched = split_config.match_input_files(
            exec_properties.get("input_base", ""), input_splits,
            bool(exec_properties.get("follow_symlinks")),
            stage_dir=self.context.tmp_dir or None)  # object-store input is read from here
        files = matched.files
        all_files = [path for paths in files.values() for path in paths]
        prepared = self.prepare(all_files, exec_properties)
        self._check_partition(plan, prepared)
        examples = output_dict["examples"][0]
        tasks = [(path, -1 if plan.output_splits else index)
                 for index, paths in enumerate(files.values()) for path in paths]
        if use_beam(self.context.beam_pipeline_args):
            counts = self._run_on_beam(examples.uri, plan, tasks, prepared, exec_properties)
            engine = f"beam:{beam_runner_name(self.context.beam_pipeline_args)}"
        else:
            counts = self._run_local(examples.uri, plan, tasks, prepared, exec_properties)
            engine = "in-process"
        # Which path converted the data, recorded with the artifact in ML Metadata.
        examples.set_custom_property("engine", engine)
        if sum(counts) == 0:
            raise DataError(
                f"{type(self).__name__}: found no data rows in {', '.join(all_files)} (at most a "
                f"header). Expected at least one row per split; add data, or point input_base at "
                f"the folder that holds it.")
        self._check_empty_splits(plan, counts)
        examples.split_names = plan.split_names
        examples.span = 0
        examples.version = 0
        examples.set_custom_property(
            "example_counts", json.dumps(dict(zip(plan.split_names, counts, strict=True))))
        examples.set_custom_property("bad_rows_skipped", self.bad_rows_skipped(prepared))
        notes, properties = self.report(prepared)
        if self.bad_rows_skipped(prepared):
            notes = [f"skipped {self.bad_rows_skipped(prepared)} bad row(s) (bad_rows='skip')",
                     *notes]
        if notes:
            examples.set_custom_property("note", "; ".join(notes))
        for key, value in properties.items():
            examples.set_custom_property(key, value)
        if matched.outside:  # the user's opt-in: lineage shows what was really read
            examples.set_custom_property("followed_symlinks", json.dumps(matched.outside))
        types = self.feature_types(prepared)
        if types is not None:
            examples.set_custom_property("feature_types", json.dumps(types, sort_keys=True))

    @staticmethod
    def _check_empty_splits(plan: split_config.SplitPlan, counts: list[int]) -> None:
        """A split with no examples is an error: statistics, schema inference and validation
        of it would check nothing (TFDV marks every feature of an empty split DEPRECATED)."""
        empty = [name for name, count in zip(plan.split_names, counts, strict=True) if not count]
        if not empty:
            return
        total = sum(counts)
        found = ", ".join(f"{name} {count}" for name, count in
                          zip(plan.split_names, counts, strict=True))
        if plan.output_splits:
            fix = ("add data (a hash split needs enough rows to fill every split), change the "
                   "ratios (hash_buckets) in output_config, or set output_config's "
                   "partition_feature_name to a column with several values")
        else:
            fix = (f"add data rows to the files of input split {empty[0]!r}, or remove that "
                   f"split from input_config")
        raise DataError(
            f"ExampleGen: split {empty[0]!r} has 0 rows (input has {total} "
            f"row{'s' if total != 1 else ''}: {found}). Expected examples in every split; "
            f"an empty split leaves StatisticsGen, SchemaGen and ExampleValidator nothing to "
            f"check. Fix: {fix}.")

    def _check_partition(self, plan: split_config.SplitPlan, prepared: Any) -> None:
        names = getattr(prepared, "column_names", None)
        if plan.partition_feature_name and names is not None \
                and plan.partition_feature_name not in names:
            raise DataError(
                f"output_config.split_config.partition_feature_name: column "
                f"{plan.partition_feature_name!r} is not in the input (columns: {names}). Name "
                f"one of them, or drop partition_feature_name to split by row hash.")

    def _run_local(self, uri: str, plan: split_config.SplitPlan, tasks: list[tuple[str, int]],
                   prepared: Any, exec_properties: dict[str, Any]) -> list[int]:
        writer = _SplitWriter(uri, plan, self.WORKERS)
        try:
            for path, fixed_split in tasks:
                for item in self.read(path, prepared, exec_properties):
                    item.fixed_split = fixed_split
                    writer.submit(item)
        except BaseException:
            writer.abort()
            raise
        return writer.close()

    def beam_tasks(self, tasks: list[tuple[str, int]], prepared: Any
                   ) -> list[tuple[int, str, int, tuple[int, int] | None]]:
        """The Beam elements: (shard index, path, fixed split, byte range or None for the
        whole file), each file cut into its `byte_ranges`. Element i writes
        `data_tfrecord-<i>-of-<n>.gz`, so the shards of a split, read in name order, hold the
        rows in input order however the files were cut."""
        whole: list[tuple[int, int] | None] = [None]
        units = [(path, split, byte_range) for path, split in tasks
                 for byte_range in (self.byte_ranges(path, prepared) or whole)]
        return [(i, path, split, byte_range) for i, (path, split, byte_range) in enumerate(units)]

    def _run_on_beam(self, uri: str, plan: split_config.SplitPlan,
                     tasks: list[tuple[str, int]], prepared: Any,
                     exec_properties: dict[str, Any]) -> list[int]:
        """One Beam element per input file, or per byte range of a big file, converted on a
        worker by the same code."""
        import apache_beam as beam

        elements = self.beam_tasks(tasks, prepared)
        executor, n = self, len(elements)

        def convert(task: tuple[int, str, int, tuple[int, int] | None]) -> None:
            index, path, fixed_split, byte_range = task
            writer = _SplitWriter(uri, plan, 1, file_tag=f"{index:05d}-of-{n:05d}")
            try:
                items = (executor.read(path, prepared, exec_properties) if byte_range is None
                         else executor.read_range(path, byte_range, prepared, exec_properties))
                for item in items:
                    item.fixed_split = fixed_split
                    writer.submit(item)
            except BaseException:
                writer.abort()
                raise
            for name, count in zip(plan.split_names, writer.close(), strict=True):
                beam.metrics.Metrics.counter("tfxkit", f"examples_{name}").inc(count)

        pipeline = beam.Pipeline(options=beam_options(self.context.beam_pipeline_args))
        _ = (pipeline
             | "Files" >> beam.Create(elements)
             | "Reshuffle" >> beam.Reshuffle()
             | "Convert" >> beam.Map(convert))
        result = pipeline.run()
        result.wait_until_finish()
        counters = {
            r.key.metric.name: r.committed or r.attempted
            for r in result.metrics().query(
                beam.metrics.MetricsFilter().with_namespace("tfxkit"))["counters"]}
        return [int(counters.get(f"examples_{name}", 0)) for name in plan.split_names]
