"""Benchmark: SchemaGen + ExampleValidator in a fresh process, TFDV's Python API vs tfxkit's
executors (TFDV's native validation extension only, no TensorFlow).

"tfdv" runs what the executors did before (import tensorflow_data_validation; load_stats_binary;
infer_schema; write_schema_text; load_schema_text; validate_statistics); "tfxkit" runs the two
executors' Do. Both on the same penguin-shaped statistics (train + eval splits), alternating,
each in a fresh interpreter; wall and CPU seconds (user + system) from process start to end, and
the cumulative import time of the heaviest module (`python -X importtime`).

    .venv/bin/python bench/validation_no_tf.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

_TFDV = """
import os, sys
import tensorflow_data_validation as tfdv
root = sys.argv[1]
splits = {s: tfdv.load_stats_binary(f"{root}/stats/Split-{s}/FeatureStats.pb")
          for s in ("train", "eval")}
schema = tfdv.infer_schema(splits["train"])
os.makedirs(f"{root}/tfdv-schema", exist_ok=True)
tfdv.write_schema_text(schema, f"{root}/tfdv-schema/schema.pbtxt")
schema = tfdv.load_schema_text(f"{root}/tfdv-schema/schema.pbtxt")
for s, stats in splits.items():
    os.makedirs(f"{root}/tfdv-anomalies/Split-{s}", exist_ok=True)
    with open(f"{root}/tfdv-anomalies/Split-{s}/SchemaDiff.pb", "wb") as f:
        f.write(tfdv.validate_statistics(stats, schema).SerializeToString())
"""

_TFXKIT = """
import sys
from tfxkit.types.artifact import Artifact
from tfxkit.types.standard_artifacts import ExampleAnomalies, ExampleStatistics, Schema
from tfxkit.components.schema_gen.executor import Executor as SchemaGen
from tfxkit.components.example_validator.executor import Executor as ExampleValidator
root = sys.argv[1]
stats = ExampleStatistics(uri=f"{root}/stats")
stats.split_names = ["train", "eval"]
schema = Schema(uri=f"{root}/tfxkit-schema")
SchemaGen().Do({"statistics": [stats]}, {"schema": [schema]}, {"exclude_splits": ["eval"]})
ExampleValidator().Do({"statistics": [stats], "schema": [schema]},
                      {"anomalies": [ExampleAnomalies(uri=f"{root}/tfxkit-anomalies")]}, {})
"""


def _write_statistics(root: Path) -> None:
    """Penguin-shaped statistics: 3 string and 5 numeric features; eval has a new species."""
    from tensorflow_metadata.proto.v0 import statistics_pb2

    kinds = statistics_pb2.FeatureNameStatistics
    for split, rows, species in (("train", 240, {"Adelie": 110, "Gentoo": 90, "Chinstrap": 40}),
                                 ("eval", 104, {"Adelie": 40, "Gentoo": 40, "Emperor": 24})):
        stats = statistics_pb2.DatasetFeatureStatisticsList()
        dataset = stats.datasets.add(num_examples=rows)
        for name, values in (("species", species), ("island", {"Biscoe": rows // 2,
                                                               "Dream": rows - rows // 2}),
                             ("sex", {"male": rows // 2, "female": rows - rows // 2})):
            feature = dataset.features.add(type=kinds.STRING)
            feature.path.step.append(name)
            common = feature.string_stats.common_stats
            common.num_non_missing = common.tot_num_values = rows
            common.min_num_values = common.max_num_values = 1
            feature.string_stats.unique = len(values)
            for value, count in values.items():
                feature.string_stats.top_values.add(value=value, frequency=count)
                feature.string_stats.rank_histogram.buckets.add(label=value, sample_count=count)
        for name, kind in (("bill_length_mm", kinds.FLOAT), ("bill_depth_mm", kinds.FLOAT),
                           ("flipper_length_mm", kinds.INT), ("body_mass_g", kinds.INT),
                           ("year", kinds.INT)):
            feature = dataset.features.add(type=kind)
            feature.path.step.append(name)
            common = feature.num_stats.common_stats
            common.num_non_missing = common.tot_num_values = rows
            common.min_num_values = common.max_num_values = 1
            feature.num_stats.min, feature.num_stats.max = 1.0, 100.0
        folder = root / "stats" / f"Split-{split}"
        folder.mkdir(parents=True)
        (folder / "FeatureStats.pb").write_bytes(stats.SerializeToString())


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


_IMPORT_LINE = re.compile(r"import time:\s+\d+ \|\s+(\d+) \| (\s*)(\S+)")


def run(code: str, root: Path) -> tuple[float, float, tuple[str, float]]:
    """Wall s, CPU s, and (top-level module, cumulative import s) of its heaviest import."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    started, cpu = time.perf_counter(), _children_cpu()
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", code, str(root)],
                          capture_output=True, text=True, env=env, cwd=REPO)
    wall, cpu = time.perf_counter() - started, _children_cpu() - cpu
    if done.returncode != 0:
        raise SystemExit(done.stderr[-3000:])
    top = [(m.group(3), int(m.group(1)) / 1e6) for m in _IMPORT_LINE.finditer(done.stderr)
           if not m.group(2)]
    return wall, cpu, max(top, key=lambda t: t[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    load = os.getloadavg()[0]
    results: dict[str, list[tuple[float, float, tuple[str, float]]]] = {"tfdv": [], "tfxkit": []}
    with tempfile.TemporaryDirectory(prefix="tfxkit-bench-validation-") as tmp:
        root = Path(tmp)
        _write_statistics(root)
        for _ in range(args.repeats):  # alternating, so load changes hit both alike
            results["tfdv"].append(run(_TFDV, root))
            results["tfxkit"].append(run(_TFXKIT, root))
        same = all((root / f"tfdv-{p}").read_bytes() == (root / f"tfxkit-{p}").read_bytes()
                   for p in ("schema/schema.pbtxt", "anomalies/Split-train/SchemaDiff.pb",
                             "anomalies/Split-eval/SchemaDiff.pb"))
    print(f"SchemaGen + ExampleValidator, fresh process, {args.repeats} alternating runs")
    for name, rows in results.items():
        heaviest = max((r[2] for r in rows), key=lambda t: t[1])
        print(f"  {name:<7} wall median {statistics.median(r[0] for r in rows):6.2f} s   "
              f"CPU median {statistics.median(r[1] for r in rows):6.2f} s   runs "
              f"{json.dumps([round(r[0], 2) for r in rows])}   heaviest import "
              f"{heaviest[0]} {heaviest[1]:.2f} s")
    print(f"  outputs identical (schema.pbtxt, SchemaDiff.pb per split): {same}")
    print(f"  load average: {load:.2f} at start, {os.getloadavg()[0]:.2f} at end (2 cores)")


if __name__ == "__main__":
    main()
