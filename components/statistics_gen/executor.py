"""StatisticsGen executor: Examples -> per-split TFDV statistics.

Output: `{statistics.uri}/Split-<name>/FeatureStats.pb`, a serialized
DatasetFeatureStatisticsList that `tfdv.load_stats_binary` reads.

In-process path (default): the split's gzipped TFRecords are read and decoded into Arrow
RecordBatches and streamed through TFDV's own in-memory statistics generators
(`stats_impl.get_generators(options, in_memory=True)`, the engine behind
`tfdv.generate_statistics_from_dataframe`), batch by batch, so memory stays bounded. Splits run
concurrently. When the Examples artifact says which scalar features every example carries
(custom property `feature_types`, set by tfxkit's ExampleGens), decoding is native when built
(`native_record_batches`: `_shared/native.c` frames the TFRecords in place and decodes plain
tf.Examples straight into Arrow; any other batch goes to TensorFlow's parser whole), else
TensorFlow's fast parser (`tf.io.parse_example`); without the types, tfx-bsl's decoder. Each
split is a pipeline of three threads, each a bounded queue ahead of the next: reading (inflate
and framing; a file that inflates to at most WHOLE_FILE_BYTES is inflated in one call by the
system's libdeflate when present, 2.6x less CPU than zlib), decoding, and TFDV summarising.

On 1M taxi rows (18 features, ~500 bytes per example) the native path takes ~4.3 CPU s in all
(TFDV's own statistics ~1.9 s, inflating ~0.8 s, decoding ~1 s, framing ~0.1 s) where
TensorFlow's parser path took ~7 (parsing alone 2.5-3 s, a Python framing loop 0.9 s, string
tensors and Arrow columns ~0.5 s); the FeatureStats.pb files are byte-identical. Two splits
run side by side on two cores.

Small inputs import TensorFlow and Beam all the same: TFDV's in-memory statistics modules
import both at module level (`stats_impl` and `basic_stats_generator` import Beam,
`stats_impl` imports `image_stats_generator`, which imports TensorFlow), as does the package's
`__init__` (TensorFlow ~2.5 s CPU, Beam ~1.2 s; the work on 344 penguin rows takes
0.02-0.2 s).

Beam path: with beam pipeline args naming a non-Direct runner (or `--tfxkit_use_beam`), or stats
options that need Beam (slicing), `tfdv.GenerateStatistics` runs on Beam with those args, on
batches decoded by tfx-bsl under the same feature types. Both paths give the same statistics
(tests/components/test_statistics_scale.py says exactly how); the one difference from TFX's own
StatisticsGen is that a feature with no value in a whole split keeps the type ExampleGen
recorded (see `decoder_schema`). Heavy libraries are imported inside functions only.
"""

from __future__ import annotations

import copy
import functools
import glob
import inspect
import itertools
import json
import logging
import os
import re
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from tfxkit.components._shared.beam import beam_options, use_beam
from tfxkit.components._shared.schema import load_optional_schema
from tfxkit.components._shared.statistics import STATS_FILE, selected_splits
from tfxkit.dsl.base_executor import BaseExecutor
from tfxkit.errors import DataError
from tfxkit.types.artifact import Artifact

if TYPE_CHECKING:
    import pyarrow as pa

logger = logging.getLogger(__name__)

BATCH_SIZE = 65536
READ_CHUNK_BYTES = 1 << 20  # compressed bytes per read: ~8 MB of records at a time
# A gzipped file that inflates to at most this is inflated in one call by libdeflate when the
# system has it (`tfrecord.inflate_whole`); bigger ones stream through zlib.
WHOLE_FILE_BYTES = 256 << 20
# Above this many features, tf.io.parse_example (one output tensor, and one Arrow conversion,
# per feature and batch) costs more than tfx-bsl's decoder saves on the few rows wide data has.
PARSE_MAX_FEATURES = 500
# Up to this many features, `native_record_batches` decodes (when built): its offsets take
# 8 bytes per feature and row, 32 MB a batch at this width.
NATIVE_MAX_FEATURES = 64
# Above this many features the run says up front how long statistics will take, and splits run
# one at a time.
WIDE_FEATURES = 2000
# Features whose statistics are accumulated together (see `statistics_by_chunks`), and how much
# decoded data is kept for the chunks rather than decoded again for each.
CHUNK_FEATURES = 2000
KEEP_BYTES = 128 << 20
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


def record_lists(files: list[str], batch_size: int = BATCH_SIZE) -> Iterator[list[bytes]]:
    """The serialized records of `files`, in order, in lists of `batch_size` (the last one
    shorter), read by `tfxkit.components._shared.tfrecord.read_records` in a background thread
    (`prefetched`) one chunk of about 8 MB ahead of the caller, which assembles the lists.

    Record checksums are verified unless the file is gzipped: gzip's own CRC-32 over the
    uncompressed stream (checked by zlib at the end of each member) already covers every byte.
    """
    from tfxkit.components._shared import tfrecord

    def chunks() -> Iterator[list[bytes]]:
        for path in files:
            yield from tfrecord.read_records(path, verify=not _is_gzip(path),
                                             chunk_size=READ_CHUNK_BYTES,
                                             whole_file_bytes=WHOLE_FILE_BYTES)

    pending: list[bytes] = []
    for records in prefetched(chunks(), depth=1):
        pending.extend(records)
        while len(pending) >= batch_size:
            yield pending[:batch_size]
            del pending[:batch_size]
    if pending:
        yield pending


def use_native(files: list[str], feature_types: dict[str, str]) -> bool:
    """Whether `native_record_batches` reads these files: the native library is built, the
    files are local gzip, and the features few enough (its list offsets take 8 bytes per
    feature and row of a batch)."""
    from tfxkit.components._shared import native

    if not native.available() and not native.switched_off():
        _say_native_missing()
    return (len(feature_types) <= NATIVE_MAX_FEATURES and native.available()
            and all(_is_gzip(path) for path in files))


@functools.cache
def _say_native_missing() -> None:
    logger.info("StatisticsGen: tfxkit's native reader is not built here (no C compiler when "
                "tfxkit was installed?), so examples are parsed by TensorFlow at ~4x the CPU. "
                "Install a C compiler (apt-get install gcc libc6-dev) and reinstall tfxkit "
                "(scripts/setup in a checkout).")


def _is_gzip(path: str) -> bool:
    if "://" in path:
        return False  # not peeked at: verified
    with open(path, "rb") as f:
        return f.read(2) == b"\x1f\x8b"


def prefetched(items: Iterator[Any], depth: int = 2) -> Iterator[Any]:
    """`items`, produced by a background thread up to `depth` ahead of the consumer.

    The producer's C++ work (zlib, TensorFlow's example parser) releases the GIL, so decoding
    the next batch overlaps with TFDV's statistics of this one; memory holds at most
    `depth` + 2 batches. An exception in the producer is raised in the consumer; a consumer
    that stops early stops the producer.
    """
    import queue
    import threading

    done = object()
    results: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                results.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put((item, None)):
                    return
            put((done, None))
        except BaseException as exc:
            put((done, exc))

    thread = threading.Thread(target=produce, name="statistics-reader", daemon=True)
    thread.start()
    try:
        while True:
            item, error = results.get()
            if item is done:
                if error is not None:
                    raise error
                return
            yield item
    finally:
        stop.set()
        thread.join()


def parsed_record_batches(files: list[str], feature_types: dict[str, str],
                          batch_size: int = BATCH_SIZE) -> Iterator[pa.RecordBatch]:
    """RecordBatches of examples whose scalar features are `feature_types`, parsed by
    `tf.io.parse_example` (C++) from records read by `record_lists`: reading runs a chunk
    ahead of parsing and parsing two batches ahead of the consumer, each in its own thread
    (`prefetched`). The batches equal what tfx-bsl's decoder makes under
    `decoder_schema(feature_types)`: large_list columns of int64, float32 or large_binary, a
    row where the feature has no value a null list."""
    return prefetched(map(tf_parser(files, feature_types), record_lists(files, batch_size)))


def tf_parser(files: list[str], feature_types: dict[str, str]
              ) -> Callable[[list[bytes]], pa.RecordBatch]:
    """A function of a list of serialized examples (records of `files`) to their RecordBatch
    (see `parsed_record_batches`), by `tf.io.parse_example`; raises DamagedRecordsError when
    one is not a tf.Example of `feature_types`."""
    import numpy as np
    import pyarrow as pa
    import tensorflow as tf

    dtypes = {"int": tf.int64, "float": tf.float32, "bytes": tf.string}
    names = sorted(feature_types)
    spec = {n: tf.io.RaggedFeature(dtypes[feature_types[n]], row_splits_dtype=tf.int64)
            for n in names}

    def parse(records: list[bytes]) -> pa.RecordBatch:
        # The list made a tensor here, in one C++ call: given the list itself, parse_example
        # first walks it in Python (nest.flatten and the autopacking check of every record),
        # ~0.6 CPU s per 1M records with the GIL held, which the other threads wait for.
        serialized = tf.constant(records, dtype=tf.string)
        try:
            parsed = tf.io.parse_example(serialized, spec)
        except tf.errors.InvalidArgumentError as exc:
            raise not_examples(files, exc.message, typed=True) from None
        except UnicodeDecodeError as exc:  # TF's message quotes the record: not always UTF-8
            raise not_examples(files, bytes(exc.object).decode("utf-8", "replace"),
                               typed=True) from None
        columns = []
        for name in names:
            ragged = parsed[name]
            offsets = ragged.row_splits.numpy()
            if ragged.flat_values.dtype == tf.string:
                # Joined and measured in C++: no Python bytes object per value (GIL held).
                lengths = tf.strings.length(ragged.flat_values).numpy().astype(np.int64)
                ends = np.zeros(lengths.size + 1, dtype=np.int64)
                np.cumsum(lengths, out=ends[1:])
                arrow_values = pa.Array.from_buffers(
                    pa.large_binary(), lengths.size,
                    [None, pa.py_buffer(ends),
                     pa.py_buffer(tf.strings.reduce_join(ragged.flat_values).numpy())])
            else:
                arrow_values = pa.array(ragged.flat_values.numpy())
            columns.append(pa.LargeListArray.from_arrays(
                pa.array(offsets), arrow_values, mask=pa.array(np.diff(offsets) == 0)))
        return pa.RecordBatch.from_arrays(columns, names)

    return parse


def native_record_batches(files: list[str], feature_types: dict[str, str],
                          batch_size: int = BATCH_SIZE) -> Iterator[pa.RecordBatch]:
    """`parsed_record_batches(files, feature_types, batch_size)`, the same batches, read and
    decoded by tfxkit's native code (`_shared/native`): records framed in place
    (`tfrecord.read_spans`) and plain examples decoded straight into Arrow
    (`native.ExampleColumns`), ~4x less CPU than TF's parser and no bytes object per record.
    A batch with any other record (several values, unknown names, damage) is parsed by
    `tf_parser` whole, so the result is the same either way. Reading runs a batch ahead of
    decoding and decoding two batches ahead of the consumer, each in its own thread. Needs
    `native.available()` and gzipped files (gzip's CRC covers the records)."""
    from tfxkit.components._shared import native

    columns = native.ExampleColumns(feature_types)
    parse: Callable[[list[bytes]], pa.RecordBatch] | None = None  # TF's, made when first needed
    first = 0  # of the batch being decoded, in the split

    def decode(span: tuple[Any, Any, Any]) -> pa.RecordBatch:
        nonlocal parse, first
        view, starts, lengths = span
        batch = columns.decode(view, starts, lengths)
        if batch is None:
            if parse is None:  # said once per split: it costs TF's parse of each such batch
                logger.info("StatisticsGen: record %d of %s is not a plain example of the "
                            "recorded feature types (one value or none per feature); batches "
                            "with such records are parsed by TensorFlow instead, at ~4x the "
                            "CPU.", first + columns.irregular,
                            os.path.dirname(files[0]) or ".")
                parse = tf_parser(files, feature_types)
            batch = parse([view[s:s + n].tobytes()
                           for s, n in zip(starts.tolist(), lengths.tolist(), strict=True)])
        first += len(starts)
        return batch

    return prefetched(map(decode, prefetched(record_spans(files, batch_size), depth=1)))


def record_spans(files: list[str], batch_size: int = BATCH_SIZE
                 ) -> Iterator[tuple[Any, Any, Any]]:
    """The records of gzipped `files`, in order, as spans `(view, starts, lengths)` of
    `batch_size` records (the last one shorter; see `tfrecord.read_spans`): a batch that
    straddles two files' spans is copied into one buffer of its own."""
    import numpy as np

    from tfxkit.components._shared import tfrecord

    def copied(parts: list[tuple[Any, Any, Any]]) -> tuple[Any, Any, Any]:
        if len(parts) == 1:
            return parts[0]
        views, starts, lengths, base = [], [], [], 0
        for view, first, sizes in parts:  # records framed back to back: one slice each
            begin, end = int(first[0]), int(first[-1] + sizes[-1])
            views.append(view[begin:end])
            starts.append(first - begin + base)
            lengths.append(sizes)
            base += end - begin
        return np.concatenate(views), np.concatenate(starts), np.concatenate(lengths)

    parts: list[tuple[Any, Any, Any]] = []
    held = 0
    for path in files:
        for view, starts, lengths in tfrecord.read_spans(path, batch_size, READ_CHUNK_BYTES,
                                                         WHOLE_FILE_BYTES):
            at = 0
            while at < starts.size:
                take = min(batch_size - held, starts.size - at)
                parts.append((view, starts[at:at + take], lengths[at:at + take]))
                held += take
                at += take
                if held == batch_size:
                    yield copied(parts)
                    parts, held = [], 0
    if parts:
        yield copied(parts)


def decoder_schema(feature_types: dict[str, str] | None) -> bytes | None:
    """A serialized TFMD Schema declaring `feature_types` ({name: "int" | "float" | "bytes"},
    as tfxkit's ExampleGens record them) for tfx-bsl's decoder, or None without types.

    With it, a feature with no value in a whole batch or split keeps its type (tfx-bsl's
    untyped decoding, as TFX's StatisticsGen reads, makes it a null column that TFDV reports
    as STRING, and SchemaGen then deprecates a numeric column that is empty in one split).
    """
    if not feature_types:
        return None
    from tensorflow_metadata.proto.v0 import schema_pb2

    kinds = {"int": schema_pb2.INT, "float": schema_pb2.FLOAT, "bytes": schema_pb2.BYTES}
    schema = schema_pb2.Schema()
    for name in sorted(feature_types):
        schema.feature.add(name=name, type=kinds[feature_types[name]])
    return schema.SerializeToString()


def _decoder(feature_types: dict[str, str] | None) -> Any:
    from tfx_bsl.coders import example_coder

    serialized = decoder_schema(feature_types)
    return (example_coder.ExamplesToRecordBatchDecoder(serialized) if serialized
            else example_coder.ExamplesToRecordBatchDecoder())


def decoded_record_batches(files: list[str], batch_size: int = BATCH_SIZE,
                           feature_types: dict[str, str] | None = None
                           ) -> Iterator[pa.RecordBatch]:
    """RecordBatches of any tf.Examples, decoded by tfx-bsl's ExamplesToRecordBatchDecoder
    (under `decoder_schema(feature_types)` when the types are known) from records read by
    `record_lists`, reading and decoding each in its own thread ahead of the consumer."""
    decoder = _decoder(feature_types)

    def decode(records: list[bytes]) -> pa.RecordBatch:
        try:
            return decoder.DecodeBatch(records)
        except RuntimeError as exc:  # tfx-bsl's DATA_LOSS
            raise not_examples(files, str(exc), typed=bool(feature_types)) from None

    return prefetched(map(decode, record_lists(files, batch_size)))


def not_examples(files: list[str], detail: str, typed: bool) -> Exception:
    """The DamagedRecordsError for records of `files` that are no tf.Examples (of the recorded
    feature types): a damaged gzipped file (its CRC is checked only at its end) or one not
    written by an ExampleGen."""
    from tfxkit.components._shared.tfrecord import DamagedRecordsError

    detail = " ".join(re.sub(r"\{\{.*?\}\}|\[Op:\w+\]", "", detail).split())  # no TF op names
    return DamagedRecordsError(
        f"StatisticsGen: a record in {os.path.dirname(files[0]) or '.'} "
        f"({len(files)} file(s): {', '.join(os.path.basename(f) for f in files)}) is not a "
        f"readable tf.Example{' of the recorded feature types' if typed else ''} "
        f"({detail[:200] or 'no detail'}). The file is "
        f"damaged or was not written by an ExampleGen: re-run the ExampleGen that produced it.")


def statistics_in_process(batches: Iterator[pa.RecordBatch], options: Any) -> Any:
    """DatasetFeatureStatisticsList of the batches via TFDV's in-memory generators, streamed.

    Honours options.sample_rate (rows kept at random with a fixed seed) and feature_allowlist.
    The output equals `stats_impl.extract_statistics_output` (TFDV's own), built faster for
    numeric features (`extract_output`).
    """
    import numpy as np
    import pyarrow as pa
    from tensorflow_data_validation.statistics import stats_impl
    from tfx_bsl.statistics import merge_util

    generators = stats_impl.get_generators(options, in_memory=True)
    accumulators = [g.create_accumulator() for g in generators]
    rng = np.random.default_rng(0)
    allow = list(options.feature_allowlist or [])
    for batch in batches:
        if options.sample_rate is not None:
            batch = batch.filter(pa.array(rng.random(batch.num_rows) < options.sample_rate))
        if allow:
            present = set(batch.schema.names)
            keep = [n for n in allow if n in present]
            batch = pa.RecordBatch.from_arrays([batch.column(n) for n in keep], keep)
        if batch.num_rows:
            accumulators = [g.add_input(a, batch)
                            for g, a in zip(generators, accumulators, strict=True)]
    outputs = [extract_output(g, g.compact(a))
               for g, a in zip(generators, accumulators, strict=True)]
    return merge_util.merge_dataset_feature_statistics(outputs)


def statistics_by_chunks(make_batches: Callable[[], Iterator[pa.RecordBatch]], options: Any,
                         chunk: int = CHUNK_FEATURES, keep_bytes: int = KEEP_BYTES) -> Any:
    """`statistics_in_process(make_batches(), options)`, computed `chunk` features at a time
    when there are more, each chunk over a fresh pass of `make_batches()`, and merged.

    TFDV's accumulators hold a few quantile sketches per feature (~20 KB each, whatever the row
    count): 10,000 features at once held ~500 MB; by chunks of 2,000 about a fifth of that.
    A split whose decoded batches fit `keep_bytes` is decoded once; a bigger one once per chunk.
    """
    from tfx_bsl.statistics import merge_util

    batches = make_batches()
    held: list[pa.RecordBatch] = []  # the split's batches, while they fit keep_bytes
    size, complete = 0, True
    for batch in batches:
        held.append(batch)
        size += batch.nbytes
        if size > keep_bytes:
            complete = False
            break
    names = list(held[0].schema.names) if held else []
    allow = set(options.feature_allowlist or [])
    if allow:
        names = [n for n in names if n in allow]
    if len(names) <= chunk:
        return statistics_in_process(itertools.chain(held, () if complete else batches),
                                     options)
    if not complete:  # too big to keep: each chunk reads the split again
        held = []
        getattr(batches, "close", lambda: None)()  # stops a `prefetched` reader now
    outputs = []
    for start in range(0, len(names), chunk):
        chunk_options = copy.copy(options)
        chunk_options.feature_allowlist = names[start:start + chunk]
        outputs.append(statistics_in_process(iter(held) if held else make_batches(),
                                             chunk_options))
    return merge_util.merge_dataset_feature_statistics_list(outputs)


def extract_output(generator: Any, accumulator: Any) -> Any:
    """`generator.extract_output(accumulator)`, the same statistics proto, faster for TFDV's
    BasicStatsGenerator.

    TFDV builds each numeric feature's equal-width histogram by first writing a 1,000-bucket
    quantiles histogram proto and merging it in Python (`quantiles_util.
    generate_equi_width_histogram`): about 10 ms per feature and split, whatever the row count,
    so 10,000 columns took minutes. Here TFDV extracts everything but those histograms (the
    quantile sketches are held back), and `equi_width_histogram` computes them with the same
    arithmetic on arrays. tests/components/test_statistics_gen.py compares both outputs.
    """
    from tensorflow_data_validation import types
    from tensorflow_data_validation.statistics.generators import basic_stats_generator as basic
    from tensorflow_data_validation.utils import quantiles_util

    numeric_buckets = getattr(generator, "_num_histogram_buckets", None)
    quantile_buckets = getattr(generator, "_num_quantiles_histogram_buckets", None)
    if not isinstance(generator, basic.BasicStatsGenerator) or numeric_buckets is None \
            or quantile_buckets is None:
        return generator.extract_output(accumulator)
    held: dict[Any, Any] = {}  # feature path -> its quantiles sketch, held back from TFDV
    for path, stats in accumulator.items():
        numeric = stats.numeric_stats
        if numeric.quantiles_summary is not None and not numeric.has_weights:
            held[path] = numeric.quantiles_summary
            numeric.quantiles_summary = None
    try:
        result = generator.extract_output(accumulator)
    finally:
        for path, summary in held.items():
            accumulator[path].numeric_stats.quantiles_summary = summary
    factor = basic._NUM_QUANTILES_FACTOR_FOR_STD_HISTOGRAM
    by_path = {types.FeaturePath.from_proto(f.path): f for f in result.features}
    for path, summary in held.items():
        feature = by_path.get(path)
        partial = accumulator[path]
        valency = partial.common_stats.presence_and_valency_stats
        numeric = partial.numeric_stats
        values = (valency[-1].total_num_values if valency else 0) - numeric.num_nan
        if feature is None or not feature.HasField("num_stats") or values == 0:
            continue  # not numeric, or no value but NaN: TFDV never reads the sketch
        stats = feature.num_stats
        quantiles, counts = basic._get_quantiles_counts(summary,
                                                        factor * quantile_buckets)
        stats.median = float(quantiles_util.find_median(quantiles))
        standard = equi_width_histogram(quantiles, counts, numeric.finite_min,
                                        numeric.finite_max, numeric_buckets,
                                        numeric.pos_inf_count)
        standard.num_nan = numeric.num_nan
        stats.histograms.add().CopyFrom(standard)
        rebinned = quantiles_util.generate_quantiles_histogram(
            *quantiles_util.rebin_quantiles(quantiles, counts, factor))
        rebinned.num_nan = numeric.num_nan
        stats.histograms.add().CopyFrom(rebinned)
    return result


def bin_weights(boundaries: Any, cumulative_weights: Any) -> tuple[Any, Any, Any]:
    """`quantiles_util._get_bin_weights` with the same result: the weight of each run of bins
    with one upper bound is spread evenly over the run (the same slice sums), looping over runs
    rather than bins (a few dozen, not a thousand, when the data has few distinct values)."""
    import numpy as np

    cumulative_weights = cumulative_weights.astype(np.float64)
    low, high = boundaries[:-1], boundaries[1:]
    counts = np.diff(cumulative_weights)
    if low.size:
        starts = np.flatnonzero(np.concatenate([[True], high[1:] != high[:-1]]))
        ends = np.append(starts[1:], low.size)
        for i, j in zip(starts[ends - starts > 1], ends[ends - starts > 1], strict=True):
            counts[i:j] = counts[i:j].sum() / (j - i)
        differs = np.flatnonzero((low != low[0]) | (high != high[0]))
        first = int(differs[0]) if differs.size else low.size
        if first > 0:
            counts[0:first] += cumulative_weights[0] / first
    return low, high, counts


def equi_width_histogram(quantiles: Any, cumulative_counts: Any, finite_min: float,
                         finite_max: float, num_buckets: int, num_pos_inf: float) -> Any:
    """`tensorflow_data_validation.utils.quantiles_util.generate_equi_width_histogram` with the
    same result, bit for bit: the same arithmetic (`_overlap`'s cases) and order of addition, on
    arrays instead of a 1,000-bucket proto, over only the buckets each interval overlaps."""
    import numpy as np
    from tensorflow_data_validation.utils import quantiles_util
    from tensorflow_metadata.proto.v0 import statistics_pb2

    result = statistics_pb2.Histogram()
    result.type = statistics_pb2.Histogram.STANDARD
    if not np.isfinite(finite_min) and not np.isfinite(finite_max):
        result.buckets.add(low_value=finite_min, high_value=finite_max,
                           sample_count=cumulative_counts[-1])
        return result
    quantiles, cumulative_counts, num_neg_inf = quantiles_util._strip_infinities(
        quantiles, cumulative_counts, finite_max, num_pos_inf)
    low, high, weights = bin_weights(quantiles, cumulative_counts)
    if finite_min == finite_max:
        boundaries = np.array([finite_min, finite_max])
    else:
        boundaries = np.linspace(finite_min, finite_max, num_buckets + 1)
        if not np.isfinite(boundaries).all():
            return result
    if num_neg_inf:
        result.buckets.add(low_value=float("-inf"), high_value=float("-inf"),
                           sample_count=num_neg_inf)
    # Buckets entirely before an interval (high < low bound) or of zero weight add exactly 0
    # to its sum, and every bucket after the first one entirely after it is ignored (lows are
    # sorted), so each interval sums a slice, in TFDV's order: a sequential sum. The slices of
    # all intervals are laid end to end (`at`: the bucket, `interval`: the interval of each
    # element) so that `_overlap`'s arithmetic runs once on arrays, element by element as TFDV.
    bounds_low, bounds_high = boundaries[:-1], boundaries[1:]
    begins = np.searchsorted(high, bounds_low, side="left")
    sizes = np.maximum(np.searchsorted(low, bounds_high, side="right") - begins, 0)
    interval = np.repeat(np.arange(sizes.size), sizes)
    at = np.arange(interval.size) - np.repeat(np.cumsum(sizes) - sizes - begins, sizes)
    b_low, b_high, b_weight = low[at], high[at], weights[at]
    low_bound, high_bound = bounds_low[interval], bounds_high[interval]
    width = b_high - b_low
    with np.errstate(divide="ignore", invalid="ignore"):
        # quantiles_util._overlap's cases, last first so the first matching one wins.
        overlap = np.where(high_bound >= b_high, (b_high - low_bound) / width,
                           (high_bound - low_bound) / width)
        overlap = np.where(low_bound <= b_low, (high_bound - b_low) / width, overlap)
        overlap = np.where((low_bound <= b_low) & (high_bound >= b_high), 1.0, overlap)
        overlap = np.where((b_high == b_low) & (b_low == low_bound),
                           np.where(interval == 0, 1.0, 0.0), overlap)
        terms = (overlap * b_weight).tolist()
    start = 0
    for i, size in enumerate(sizes.tolist()):
        sample_count: float = 0
        if size:
            sample_count = terms[start]
            for term in terms[start + 1:start + size]:  # left to right, as TFDV adds
                sample_count += term
            start += size
        result.buckets.add(low_value=bounds_low[i], high_value=bounds_high[i],
                           sample_count=sample_count)
    if num_pos_inf:
        result.buckets.add(low_value=float("inf"), high_value=float("inf"),
                           sample_count=num_pos_inf)
    return result


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
        options = make_stats_options(
            exec_properties.get("stats_options"),
            load_optional_schema(input_dict.get("schema"), "StatisticsGen"))
        statistics = output_dict["statistics"][0]
        files = {split: split_files(examples, split) for split in splits}
        outputs = {split: os.path.join(statistics.uri, f"Split-{split}", STATS_FILE)
                   for split in splits}
        for path in outputs.values():
            os.makedirs(os.path.dirname(path), exist_ok=True)
        raw_types = examples.get_custom_property("feature_types")
        feature_types = json.loads(raw_types) if raw_types else None
        if use_beam(self.context.beam_pipeline_args) or _needs_beam(options):
            self._run_on_beam(files, outputs, options, feature_types)
        else:

            def one_split(split: str) -> None:
                if feature_types and use_native(files[split], feature_types):
                    result = statistics_in_process(
                        native_record_batches(files[split], feature_types), options)
                elif feature_types and len(feature_types) <= PARSE_MAX_FEATURES:
                    result = statistics_in_process(
                        parsed_record_batches(files[split], feature_types), options)
                else:
                    result = statistics_by_chunks(
                        lambda: decoded_record_batches(files[split],
                                                       feature_types=feature_types), options)
                with open(outputs[split], "wb") as f:
                    f.write(result.SerializeToString())

            width = len(feature_types) if feature_types else 0
            began = time.perf_counter()
            if width > WIDE_FEATURES:
                logger.warning("StatisticsGen: %d features x %d split(s): TFDV spends about 1.5 "
                               "ms per feature and split whatever the row count, about %.0f s "
                               "here; stats_options={'feature_allowlist': [...]} computes fewer.",
                               width, len(splits), width * len(splits) * 0.0015)
            # Splits run side by side, but one at a time when wide: TFDV keeps quantile
            # sketches per feature, so memory grows with features x splits.
            workers = 1 if width > WIDE_FEATURES else min(2, len(splits))
            with ThreadPoolExecutor(max_workers=workers) as pool:
                list(pool.map(one_split, splits))
            if width > WIDE_FEATURES:
                statistics.set_custom_property(
                    "note", f"{width} features x {len(splits)} split(s) in "
                            f"{time.perf_counter() - began:.0f} s")
        statistics.split_names = splits
        statistics.span = int(getattr(examples, "span", 0) or 0)

    def _run_on_beam(self, files: dict[str, list[str]], outputs: dict[str, str],
                     options: Any, feature_types: dict[str, str] | None) -> None:
        import apache_beam as beam
        import tensorflow_data_validation as tfdv

        decoder = _decoder(feature_types)
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
