"""Benchmark: the Transform component on the 1M-row Chicago taxi data.

Builds (once, cached) 1,005,000 rows by replicating `../shared/data/chicago_taxi_15k.csv` 67
times, as gzipped tf.Examples in ExampleGen's layout (`Split-train/`, `Split-eval/`, 2:1) plus a
TFDV schema; then runs `tfxkit.components.transform.executor.Executor().Do(...)` with TFX's
taxi `preprocessing_fn` (z-score the dense floats, vocabulary for the strings, bucketize the
coordinates) and prints the wall time and peak RSS of the Transform step.

Reference: TFX 1.16's Transform takes 92 s here; targets: under 46 s, peak RSS under 2 GB.

    .venv/bin/python bench/taxi_transform.py [--data-dir DIR] [--rebuild] [--beam-arg=...]

This file is also the Transform's module file (`preprocessing_fn` below); TensorFlow is imported
inside functions so that loading it as user code stays cheap.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
TAXI_CSV = REPO.parent / "shared" / "data" / "chicago_taxi_15k.csv"
REPLICAS = 67
DEFAULT_DATA_DIR = Path(tempfile.gettempdir()) / "tfxkit-bench" / "taxi_1m"

DENSE_FLOAT_FEATURE_KEYS = ["trip_miles", "fare", "trip_seconds"]
BUCKET_FEATURE_KEYS = ["pickup_latitude", "pickup_longitude", "dropoff_latitude",
                       "dropoff_longitude"]
FEATURE_BUCKET_COUNT = 10
CATEGORICAL_FEATURE_KEYS = ["trip_start_hour", "trip_start_day", "trip_start_month",
                            "pickup_census_tract", "dropoff_census_tract",
                            "pickup_community_area", "dropoff_community_area"]
VOCAB_FEATURE_KEYS = ["payment_type", "company"]
VOCAB_SIZE = 1000
OOV_SIZE = 10
LABEL_KEY = "tips"
FARE_KEY = "fare"


# -- the user code (TFX's taxi example preprocessing_fn) --------------------------------------
def _fill_in_missing(x: Any) -> Any:
    """Densify an optional (sparse) feature to shape [batch], with '' or 0 for missing."""
    import tensorflow as tf

    if not isinstance(x, tf.sparse.SparseTensor):
        return x
    default_value = "" if x.dtype == tf.string else 0
    dense = tf.sparse.to_dense(
        tf.SparseTensor(x.indices, x.values, [x.dense_shape[0], 1]), default_value)
    return tf.squeeze(dense, axis=1)


def preprocessing_fn(inputs: dict[str, Any]) -> dict[str, Any]:
    """TFX taxi preprocessing: z-scores, vocabularies, buckets, and the `tips` > 20% label."""
    import tensorflow as tf
    import tensorflow_transform as tft

    outputs = {}
    for key in DENSE_FLOAT_FEATURE_KEYS:
        outputs[key] = tft.scale_to_z_score(_fill_in_missing(inputs[key]))
    for key in VOCAB_FEATURE_KEYS:
        outputs[key] = tft.compute_and_apply_vocabulary(
            _fill_in_missing(inputs[key]), top_k=VOCAB_SIZE, num_oov_buckets=OOV_SIZE)
    for key in BUCKET_FEATURE_KEYS:
        outputs[key] = tft.bucketize(_fill_in_missing(inputs[key]), FEATURE_BUCKET_COUNT)
    for key in CATEGORICAL_FEATURE_KEYS:
        outputs[key] = _fill_in_missing(inputs[key])
    taxi_fare = _fill_in_missing(inputs[FARE_KEY])
    tips = _fill_in_missing(inputs[LABEL_KEY])
    outputs[LABEL_KEY] = tf.where(
        tf.math.is_nan(taxi_fare),
        tf.cast(tf.zeros_like(taxi_fare), tf.int64),
        tf.cast(tf.greater(tips, tf.multiply(taxi_fare, tf.constant(0.2))), tf.int64))
    return outputs


# -- data preparation (not timed) --------------------------------------------------------------
def _to_list_array(column: Any) -> Any:
    """A nullable column as a list<...> array: one value per row, null rows as null lists."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_floating(column.type):
        column = pc.cast(column, pa.float32())
    elif pa.types.is_integer(column.type):
        column = pc.cast(column, pa.int64())
    else:
        column = pc.cast(column, pa.large_binary())
    valid = np.asarray(column.is_valid())
    offsets = np.concatenate([[0], np.cumsum(valid)]).astype(np.int64)
    values = column.drop_null()
    return pa.LargeListArray.from_arrays(pa.array(offsets), values, mask=pa.array(~valid))


def prepare(data_dir: Path) -> None:
    """Write the 1M-row Examples (`{data_dir}/examples`) and schema (`{data_dir}/schema`)."""
    import pyarrow as pa
    import pyarrow.csv as pa_csv
    import tensorflow as tf
    import tensorflow_data_validation as tfdv
    from tensorflow_data_validation.statistics import stats_impl
    from tfx_bsl.coders import example_coder

    started = time.perf_counter()
    table = pa_csv.read_csv(TAXI_CSV)
    examples_dir = data_dir / "examples"
    schema_dir = data_dir / "schema"
    schema_dir.mkdir(parents=True, exist_ok=True)
    arrays = [_to_list_array(table.column(i).combine_chunks()) for i in range(table.num_columns)]
    batch = pa.RecordBatch.from_arrays(arrays, table.column_names)
    schema = tfdv.infer_schema(stats_impl.generate_statistics_in_memory(batch))
    tfdv.write_schema_text(schema, str(schema_dir / "schema.pbtxt"))
    serialized = example_coder.RecordBatchToExamplesEncoder().encode(batch)
    shards = {"train": 2, "eval": 1}
    for split, count in shards.items():
        folder = examples_dir / f"Split-{split}"
        folder.mkdir(parents=True, exist_ok=True)
        for shard in range(count):
            path = folder / f"data_tfrecord-{shard:05d}-of-{count:05d}.gz"
            with tf.io.TFRecordWriter(str(path), options="GZIP") as writer:
                for replica in range(REPLICAS):
                    # rows go 2:1 to train / eval, and over the train shards, by replica.
                    target = ("eval" if replica % 3 == 2 else "train",
                              (replica // 3) % shards["train"] if replica % 3 != 2 else 0)
                    if target != (split, shard):
                        continue
                    for record in serialized:
                        writer.write(record)
    (data_dir / "READY").write_text(f"{len(serialized) * REPLICAS}\n")
    print(f"prepared {len(serialized) * REPLICAS:,} examples in {data_dir} "
          f"({time.perf_counter() - started:.1f} s)")


# -- the benchmark -----------------------------------------------------------------------------
def run(data_dir: Path, beam_args: list[str]) -> dict[str, float]:
    """Run Transform on the prepared data; return seconds and peak RSS (GB)."""
    started = time.perf_counter()
    from tfxkit.components.transform.executor import Executor
    from tfxkit.dsl.base_executor import ExecutorContext
    from tfxkit.types.standard_artifacts import (
        Examples,
        Schema,
        TransformCache,
        TransformGraph,
    )

    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    import tensorflow_transform  # noqa: F401 - import cost reported apart from the run

    imported = time.perf_counter()
    out = Path(tempfile.mkdtemp(prefix="taxi-transform-out-"))
    try:
        examples = Examples(uri=str(data_dir / "examples"))
        examples.split_names = ["train", "eval"]
        outputs = {
            "transform_graph": [TransformGraph(uri=str(out / "transform_graph"))],
            "transformed_examples": [Examples(uri=str(out / "transformed_examples"))],
            "updated_analyzer_cache": [TransformCache(uri=str(out / "cache"))],
        }
        Executor(ExecutorContext(beam_pipeline_args=beam_args, tmp_dir=str(out))).Do(
            {"examples": [examples], "schema": [Schema(uri=str(data_dir / "schema"))]},
            outputs, {"module_file": str(Path(__file__).resolve())})
        done = time.perf_counter()
        written = sum(f.stat().st_size for f in (out / "transformed_examples").rglob("*.gz"))
    finally:
        shutil.rmtree(out, ignore_errors=True)
    rss = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
              resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024 / 1024
    return {"import_s": imported - started, "transform_s": done - imported,
            "peak_rss_gb": rss, "written_mb": written / 1e6}


def main(argv: list[str] | None = None) -> int:
    """Prepare the data if needed (in a child process, so its memory is not counted), run the
    Transform step and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--rebuild", action="store_true", help="rebuild the 1M-row data")
    parser.add_argument("--prepare-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--beam-arg", action="append", default=[],
                        help="Beam pipeline arg, e.g. --beam-arg=--direct_num_workers=2")
    args = parser.parse_args(argv)
    if args.prepare_only:
        prepare(args.data_dir)
        return 0
    if args.rebuild or not (args.data_dir / "READY").exists():
        shutil.rmtree(args.data_dir, ignore_errors=True)
        subprocess.run([sys.executable, __file__, "--prepare-only", "--data-dir",
                        str(args.data_dir)], check=True)
    figures = run(args.data_dir, args.beam_arg)
    rows = int((args.data_dir / "READY").read_text())
    print(f"taxi_transform: {rows:,} rows; Transform {figures['transform_s']:.1f} s "
          f"(target < 46 s; TFX 1.16: 92 s), imports {figures['import_s']:.1f} s, "
          f"peak RSS {figures['peak_rss_gb']:.2f} GB (target < 2 GB), "
          f"transformed examples {figures['written_mb']:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
