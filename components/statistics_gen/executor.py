"""StatisticsGen executor: Examples -> per-split TFDV statistics.

Output: `{statistics.uri}/Split-<name>/FeatureStats.pb`, a serialized
DatasetFeatureStatisticsList that `tfdv.load_stats_binary` reads.

In-process path (default): the split's gzipped TFRecords are read and decoded into Arrow
RecordBatches and streamed through TFDV's own in-memory statistics generators
(`stats_impl.get_generators(options, in_memory=True)`, the engine behind
`tfdv.generate_statistics_from_dataframe`), batch by batch, so memory stays bounded. Splits run
concurrently. When the Examples artifact says which scalar features every example carries
(custom property `feature_types`, set by tfxkit's ExampleGens), decoding uses TensorFlow's
fast parser (`tf.io.parse_example`); otherwise tfx-bsl's decoder.

Beam path: with beam pipeline args naming a non-Direct runner (or `--tfxkit_use_beam`), or stats
options that need Beam (slicing), `tfdv.GenerateStatistics` runs on Beam with those args.
Heavy libraries are imported inside functions only.
"""

from __future__ import annotations

import glob
import inspect
import json
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from tfxkit.components.example_gen.executor import beam_options, use_beam
from tfxkit.dsl.base_executor import BaseExecutor
from tfxkit.errors import DataError
from tfxkit.types.artifact import Artifact

if TYPE_CHECKING:
    import pyarrow as pa

STATS_FILE = "FeatureStats.pb"
BATCH_SIZE = 65536
# StatsOptions arguments that are Python objects, not plain data: not accepted from a dict.
_NOT_PLAIN = {"self", "schema", "generators", "slice_functions", "experimental_slice_functions",
              "slicing_config", "vocab_paths"}


def split_files(artifact: Artifact, split: str) -> list[str]:
    """Data files of one split of an Examples artifact (`{uri}/Split-<split>/*`)."""
    folder = os.path.join(artifact.uri, f"Split-{split}")
    files = sorted(p for p in glob.glob(os.path.join(folder, "*")) if os.path.isfile(p))
    if not files:
        raise DataError(f"{artifact.TYPE_NAME} split {split!r}: no data files in {folder}. "
                        f"Expected {folder}/data_tfrecord-*.gz as written by an ExampleGen; "
                        f"re-run the ExampleGen or check split_names ({artifact.split_names}).")
    return files


def selected_splits(artifact: Artifact, exclude_splits: list[str] | None, what: str) -> list[str]:
    """`artifact.split_names` minus `exclude_splits`; DataError for unknown names or none left."""
    names: list[str] = artifact.split_names
    exclude = list(exclude_splits or [])
    unknown = [s for s in exclude if s not in names]
    if not names:
        raise DataError(f"{what}: the input {artifact.TYPE_NAME} artifact at {artifact.uri} has "
                        f"no split_names property. Produce it with an ExampleGen (which sets "
                        f"split_names) or set artifact.split_names.")
    if unknown:
        raise DataError(f"{what} exclude_splits: {unknown} are not splits of the input (it has "
                        f"{names}). Remove them from exclude_splits.")
    chosen = [s for s in names if s not in exclude]
    if not chosen:
        raise DataError(f"{what} exclude_splits={exclude} excludes every split of the input "
                        f"({names}); leave at least one.")
    return chosen


def load_schema(artifacts: list[Artifact] | None) -> Any:
    """The Schema proto of the first artifact in `artifacts` (`{uri}/schema.pbtxt`), or None."""
    if not artifacts:
        return None
    import tensorflow_data_validation as tfdv

    path = os.path.join(artifacts[0].uri, "schema.pbtxt")
    if not os.path.exists(path):
        raise DataError(f"Schema artifact at {artifacts[0].uri}: expected {path}, which is "
                        f"missing. Produce it with SchemaGen or ImportSchemaGen.")
    return tfdv.load_schema_text(path)


def make_stats_options(value: Any, schema: Any) -> Any:
    """tfdv.StatsOptions from a dict of its plain arguments (e.g. {"sample_rate": 0.1,
    "num_top_values": 50}) or from `StatsOptions.to_json()` text; `schema` is set on it."""
    import tensorflow_data_validation as tfdv

    if isinstance(value, str):
        options = tfdv.StatsOptions.from_json(value)
    else:
        data = dict(value or {})
        allowed = sorted(set(inspect.signature(tfdv.StatsOptions.__init__).parameters)
                         - _NOT_PLAIN)
        unknown = sorted(set(data) - set(allowed))
        if unknown:
            raise DataError(f"StatisticsGen stats_options: unknown option(s) {unknown}; accepted "
                            f"plain-data options: {allowed}. Pass a schema as the schema input.")
        try:
            options = tfdv.StatsOptions(**data)
        except (TypeError, ValueError) as exc:
            raise DataError(f"StatisticsGen stats_options {data}: {exc}") from None
    if schema is not None and options.schema is None:
        options.schema = schema
    return options


def _needs_beam(options: Any) -> bool:
    return bool(options.slicing_config or options.experimental_slice_functions
                or options.experimental_slice_sqls)


def _list_array(lengths: Any, values: Any) -> pa.Array:
    import numpy as np
    import pyarrow as pa

    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    arrow_values = pa.array(values, type=pa.large_binary() if values.dtype == object else None)
    return pa.LargeListArray.from_arrays(pa.array(offsets), arrow_values,
                                         mask=pa.array(lengths == 0))


def parsed_record_batches(files: list[str], feature_types: dict[str, str],
                          batch_size: int = BATCH_SIZE) -> Iterator[pa.RecordBatch]:
    """RecordBatches of examples whose scalar features are `feature_types`, parsed by
    `tf.io.parse_example` (C++, multi-threaded); a feature with no value becomes null, as
    tfx-bsl's decoder makes it."""
    import numpy as np
    import pyarrow as pa
    import tensorflow as tf

    dtypes = {"int": tf.int64, "float": tf.float32, "bytes": tf.string}
    names = sorted(feature_types)
    spec = {n: tf.io.VarLenFeature(dtypes[feature_types[n]]) for n in names}
    dataset = (tf.data.TFRecordDataset(files, compression_type="GZIP", buffer_size=4 << 20,
                                       num_parallel_reads=min(len(files), 2))
               .batch(batch_size)
               .map(lambda x: tf.io.parse_example(x, spec), num_parallel_calls=2,
                    deterministic=True)
               .prefetch(2))
    for parsed in dataset:
        columns = []
        for name in names:
            sparse = parsed[name]
            rows = int(sparse.dense_shape[0])
            lengths = np.bincount(sparse.indices.numpy()[:, 0], minlength=rows)
            columns.append(_list_array(lengths, sparse.values.numpy()))
        yield pa.RecordBatch.from_arrays(columns, names)


def decoded_record_batches(files: list[str], batch_size: int = BATCH_SIZE
                           ) -> Iterator[pa.RecordBatch]:
    """RecordBatches of any tf.Examples, decoded by tfx-bsl's ExamplesToRecordBatchDecoder."""
    from tfx_bsl.coders import example_coder

    from tfxkit.components.example_gen import tfrecord

    decoder = example_coder.ExamplesToRecordBatchDecoder()
    pending: list[bytes] = []
    for path in files:
        for records in tfrecord.read_records(path, chunk_size=1 << 20):
            pending.extend(records)
            while len(pending) >= batch_size:
                yield decoder.DecodeBatch(pending[:batch_size])
                del pending[:batch_size]
    if pending:
        yield decoder.DecodeBatch(pending)


def statistics_in_process(batches: Iterator[pa.RecordBatch], options: Any) -> Any:
    """DatasetFeatureStatisticsList of the batches via TFDV's in-memory generators, streamed.

    Honours options.sample_rate (rows kept at random with a fixed seed) and feature_allowlist.
    """
    import numpy as np
    import pyarrow as pa
    from tensorflow_data_validation.statistics import stats_impl

    generators = stats_impl.get_generators(options, in_memory=True)
    accumulators = [g.create_accumulator() for g in generators]
    rng = np.random.default_rng(0)
    allow = list(options.feature_allowlist or [])
    for batch in batches:
        if options.sample_rate is not None:
            batch = batch.filter(pa.array(rng.random(batch.num_rows) < options.sample_rate))
        if allow:
            keep = [n for n in allow if n in batch.schema.names]
            batch = pa.RecordBatch.from_arrays([batch.column(n) for n in keep], keep)
        if batch.num_rows:
            accumulators = [g.add_input(a, batch)
                            for g, a in zip(generators, accumulators, strict=True)]
    return stats_impl.extract_statistics_output(accumulators, generators)


class Executor(BaseExecutor):
    """StatisticsGen's executor.

    input_dict: {"examples": [Examples], "schema": [Schema] (optional)}.
    exec_properties: `stats_options` (dict of tfdv.StatsOptions arguments), `exclude_splits`.
    output_dict: {"statistics": [ExampleStatistics]}; writes
    `{uri}/Split-<name>/FeatureStats.pb` per split and sets split_names and span.
    """

    def Do(
        self,
        input_dict: dict[str, list[Artifact]],
        output_dict: dict[str, list[Artifact]],
        exec_properties: dict[str, Any],
    ) -> None:
        """Compute statistics of each selected split of the input Examples."""
        examples = input_dict["examples"][0]
        splits = selected_splits(examples, exec_properties.get("exclude_splits"),
                                 "StatisticsGen")
        options = make_stats_options(exec_properties.get("stats_options"),
                                     load_schema(input_dict.get("schema")))
        statistics = output_dict["statistics"][0]
        files = {split: split_files(examples, split) for split in splits}
        outputs = {split: os.path.join(statistics.uri, f"Split-{split}", STATS_FILE)
                   for split in splits}
        for path in outputs.values():
            os.makedirs(os.path.dirname(path), exist_ok=True)
        if use_beam(self.context.beam_pipeline_args) or _needs_beam(options):
            self._run_on_beam(files, outputs, options)
        else:
            raw_types = examples.get_custom_property("feature_types")
            feature_types = json.loads(raw_types) if raw_types else None

            def one_split(split: str) -> None:
                if feature_types:
                    batches = parsed_record_batches(files[split], feature_types)
                else:
                    batches = decoded_record_batches(files[split])
                result = statistics_in_process(batches, options)
                with open(outputs[split], "wb") as f:
                    f.write(result.SerializeToString())

            with ThreadPoolExecutor(max_workers=min(2, len(splits))) as pool:
                list(pool.map(one_split, splits))
        statistics.split_names = splits
        statistics.span = int(getattr(examples, "span", 0) or 0)

    def _run_on_beam(self, files: dict[str, list[str]], outputs: dict[str, str],
                     options: Any) -> None:
        import apache_beam as beam
        import tensorflow_data_validation as tfdv
        from tfx_bsl.coders import example_coder

        decoder = example_coder.ExamplesToRecordBatchDecoder()
        with beam.Pipeline(options=beam_options(self.context.beam_pipeline_args)) as pipeline:
            for split, paths in files.items():
                pattern = os.path.join(os.path.dirname(paths[0]), "*")
                _ = (pipeline
                     | f"Read[{split}]" >> beam.io.ReadFromTFRecord(pattern)
                     | f"Batch[{split}]" >> beam.BatchElements(min_batch_size=1000,
                                                               max_batch_size=BATCH_SIZE)
                     | f"Decode[{split}]" >> beam.Map(decoder.DecodeBatch)
                     | f"Stats[{split}]" >> tfdv.GenerateStatistics(options)
                     | f"Write[{split}]" >> tfdv.WriteStatisticsToBinaryFile(outputs[split]))
