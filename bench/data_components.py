"""Benchmark of the data components on the taxi sample replicated 67 times (1,005,134 rows).

Run: `.venv/bin/python bench/data_components.py [--workdir /tmp/tfxkit_bench]`.

Builds `{workdir}/input/taxi_1m.csv` (128 MB) from ../shared/data/chicago_taxi_15k.csv, then runs
each component's executor in a fresh Python process, chained on the previous outputs:
CsvExampleGen, StatisticsGen, SchemaGen, ExampleValidator. Prints, per component, the wall time
of the whole process, the import of the heavy libraries the executor uses (`PREIMPORT`, done
before `Do` so that `Do` times the work), the executor's own `Do` time, and the process's peak
RSS (`ru_maxrss`, of the process or of its largest child); `Do CPU` (user + system seconds of
all threads and child processes during `Do`) is the figure to compare on a busy machine, where
wall time mostly measures the neighbours. `--only CsvExampleGen --repeat 3` times ExampleGen
alone; `--only StatisticsGen` times StatisticsGen alone on the last run's Examples
(`{workdir}/last_examples.json`); with `--baseline REV` (a git revision) each repeat runs the
StatisticsGen executor and TFRecord reader of REV first and then the working tree's, one right
after the other, for before/after pairs on the same machine state:
`bench/data_components.py --only StatisticsGen --baseline d7417d2 --repeat 3`.

After StatisticsGen, the reference row `TFDV in memory` times TFDV's own in-memory statistics on
the same rows, in a fresh process of the same kind: the Examples are decoded to one Arrow
RecordBatch first (not timed), then `stats_impl.generate_statistics_in_memory` (the engine of
`tfdv.generate_statistics_from_dataframe`) runs on it; `TFDV dataframe` times
`tfdv.generate_statistics_from_dataframe` on a pandas DataFrame of the same rows (one column per
feature, missing cells as None/NaN), which adds TFDV's DataFrame-to-Arrow conversion.
Targets: ExampleGen < 16 s (issue 3); StatisticsGen within 2x of TFDV in memory (issue 17);
RSS < 2 GB.

Measured (2026-11-30, the shared 2-core machine, `--baseline 9c7d8b0 --repeat 3`, 11:19, load
0.4-1.4): StatisticsGen `Do` 2.8 / 3.1 / 2.6 s (CPU 4.7 / 5.2 / 4.5 s, peak RSS 1.3 GB) with
the native reader (components/_shared/native.c) against 4.8 / 6.6 / 5.1 s (CPU 8.4 / 11.7 /
9.2 s) for 9c7d8b0, TensorFlow's parser; TFDV in memory 2.1 s (1.5-2.1 s over the day's
runs): 1.27x (1.2-1.9x over four paired runs). The FeatureStats.pb files are byte-identical.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TAXI = ROOT.parent / "shared" / "data" / "chicago_taxi_15k.csv"
REPLICAS = 67

# Heavy libraries each executor imports when it runs, imported (and timed) before `Do` so that
# `Do` measures the work: the import cost is the same whatever the data size.
PREIMPORT = {
    "tfxkit.components.csv_example_gen.executor.Executor": ["pyarrow.csv", "tfx_bsl.coders"],
    "tfxkit.components.statistics_gen.executor.Executor":
        ["tensorflow", "tensorflow_data_validation"],
    "tfxkit.components.transform.executor.Executor":
        ["tensorflow", "tensorflow_transform", "tensorflow_transform.beam", "apache_beam"],
}

# Runs inside the child: build artifacts, import, call Do, report the times and peak RSS as JSON.
CHILD = r"""
import importlib, json, os, resource, sys, time
spec = json.loads(sys.argv[1])
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
from tfxkit.types.artifact import Artifact
from tfxkit.dsl.base_component import import_object
def artifact(d):
    return Artifact.from_dict(d)
inputs = {k: [artifact(a) for a in v] for k, v in spec["inputs"].items()}
outputs = {k: [artifact(a) for a in v] for k, v in spec["outputs"].items()}
def cpu_seconds():
    return sum(u.ru_utime + u.ru_stime for u in (resource.getrusage(resource.RUSAGE_SELF),
                                                 resource.getrusage(resource.RUSAGE_CHILDREN)))
start = time.perf_counter()
for name in spec["preimport"]:
    importlib.import_module(name)
executor = import_object(spec["executor"])()
import_seconds = time.perf_counter() - start
start = time.perf_counter()
cpu_start = cpu_seconds()
executor.Do(inputs, outputs, spec["props"])
do_seconds = time.perf_counter() - start
cpu = cpu_seconds() - cpu_start
print(json.dumps({"do": do_seconds, "cpu": cpu, "import": import_seconds,
                  "rss_mb": max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                                resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024,
                  "outputs": {k: [a.to_dict() for a in v] for k, v in outputs.items()}}))
"""


# The reference: TFDV's own in-memory statistics on the rows of an Examples artifact.
REFERENCE = r"""
import glob, json, os, resource, sys, time
import pyarrow as pa
import tensorflow_data_validation as tfdv
from tensorflow_data_validation.statistics import stats_impl
from tfxkit.components.statistics_gen import executor
examples, mode = json.loads(sys.argv[1]), sys.argv[2]
files = sorted(glob.glob(os.path.join(examples["uri"], "Split-*", "*")))
types = json.loads(examples["custom_properties"]["feature_types"])
table = pa.Table.from_batches(list(executor.parsed_record_batches(files, types)))
batch = table.combine_chunks().to_batches(max_chunksize=table.num_rows)[0]
if mode == "dataframe":
    import pandas as pd
    import pyarrow.compute as pc
    # One value per row (CSV rows), None/NaN where missing.
    data = {name: pc.list_element(batch.column(name), 0).to_pandas()
            for name in batch.schema.names}
    frame = pd.DataFrame(data)
    del table, batch
def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
start, cpu_start = time.perf_counter(), cpu()
if mode == "dataframe":
    result = tfdv.generate_statistics_from_dataframe(frame)
else:
    result = stats_impl.generate_statistics_in_memory(batch, tfdv.StatsOptions())
seconds, used = time.perf_counter() - start, cpu() - cpu_start
print(json.dumps({"do": seconds, "cpu": used, "outputs": {},
                  "rows": result.datasets[0].num_examples,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def write_replicated_taxi(path: Path, replicas: int = REPLICAS) -> Path:
    """Write `path` (the taxi sample's header once, its rows `replicas` times) unless it is
    already there, through a `.partial` file renamed at the end; return `path`. Shared by the
    benches that need a big taxi CSV (1M rows at 67 replicas)."""
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    header, _, body = TAXI.read_bytes().partition(b"\n")
    body = body if body.endswith(b"\n") else body + b"\n"
    partial = path.with_suffix(".partial")
    with partial.open("wb") as f:
        f.write(header + b"\n")
        for _ in range(replicas):
            f.write(body)
    partial.rename(path)
    return path


def build_input(workdir: Path) -> Path:
    """`{workdir}/input/` holding the 1M-row taxi CSV (CsvExampleGen's input_base)."""
    return write_replicated_taxi(workdir / "input" / "taxi_1m.csv").parent


def run(name: str, executor: str, inputs: dict, outputs: dict, props: dict) -> dict:
    """Run one executor in a fresh process; return its figures and output artifacts."""
    spec = json.dumps({"executor": executor, "inputs": inputs, "outputs": outputs,
                       "props": props, "preimport": PREIMPORT.get(executor, [])})
    return run_child(name, [CHILD, spec])


def run_child(name: str, argv: list[str]) -> dict:
    """Run `python -c argv...` from the repository; print and return the figures it reports
    as JSON on its last line, with the process's wall time added."""
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", *argv], capture_output=True,
                            text=True, cwd=ROOT)
    wall = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"{name} failed:\n{result.stderr[-3000:]}")
    report = json.loads(result.stdout.strip().splitlines()[-1])
    report["wall"] = wall
    print(f"{name:<18} wall {wall:6.1f} s   import {report.get('import', 0):5.1f} s   "
          f"Do {report['do']:6.1f} s   "
          f"Do CPU {report['cpu']:6.1f} s   peak RSS {report['rss_mb']:7.0f} MB   "
          f"load {os.getloadavg()[0]:.1f}", flush=True)
    return report


def reference(examples: list[dict], statistics: dict) -> None:
    """Time TFDV's own in-memory statistics on the rows of `examples` (Arrow and DataFrame)
    and print how StatisticsGen's `Do` compares."""
    arrow = run_child("TFDV in memory", [REFERENCE, json.dumps(examples[0]), "arrow"])
    frame = run_child("TFDV dataframe", [REFERENCE, json.dumps(examples[0]), "dataframe"])
    for what, figures in (("in memory", arrow), ("dataframe", frame)):
        print(f"  StatisticsGen / TFDV {what}: Do {statistics['do'] / figures['do']:.2f}x, "
              f"CPU {statistics['cpu'] / figures['cpu']:.2f}x")


def baseline_executor(revision: str, workdir: Path) -> str:
    """Write StatisticsGen's executor and the TFRecord reader of git `revision` as two modules
    under `{workdir}/baseline/` (the executor made to read with that reader), put the folder on
    the children's PYTHONPATH, and return the executor's dotted path."""
    folder = workdir / "baseline"
    folder.mkdir(parents=True, exist_ok=True)

    def show(path: str) -> str:
        return subprocess.run(["git", "show", f"{revision}:{path}"], cwd=ROOT, check=True,
                              capture_output=True, text=True).stdout

    (folder / "baseline_tfrecord.py").write_text(show("components/_shared/tfrecord.py"))
    source = show("components/statistics_gen/executor.py").replace(
        "from tfxkit.components._shared import tfrecord\n",
        "import baseline_tfrecord as tfrecord\n")
    (folder / "baseline_statistics_gen.py").write_text(source)
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [str(folder), *filter(None, [os.environ.get("PYTHONPATH")])])
    PREIMPORT["baseline_statistics_gen.Executor"] = \
        PREIMPORT["tfxkit.components.statistics_gen.executor.Executor"]
    return "baseline_statistics_gen.Executor"


def artifact(type_name: str, uri: Path) -> dict:
    """Plain-data artifact (Artifact.to_dict form)."""
    return {"type": type_name, "uri": str(uri), "properties": {}, "custom_properties": {}}


def main() -> None:
    """Build the input, run the four components, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", default="/tmp/tfxkit_bench")
    parser.add_argument("--only", choices=["CsvExampleGen", "StatisticsGen"],
                        help="time only this component (StatisticsGen: on the last run's "
                             "Examples, with the TFDV reference)")
    parser.add_argument("--no-reference", action="store_true",
                        help="skip the TFDV in-memory reference rows")
    parser.add_argument("--repeat", type=int, default=1, help="runs of --only's component")
    parser.add_argument("--baseline", metavar="REV",
                        help="with --only StatisticsGen: before each run, run REV's executor")
    args = parser.parse_args()
    workdir = Path(args.workdir)
    input_base = build_input(workdir)
    out = workdir / f"run-{int(time.time())}"
    print(f"input: {input_base}/taxi_1m.csv; outputs under {out}")
    last = workdir / "last_examples.json"
    if args.only == "StatisticsGen":
        examples = json.loads(last.read_text())
        before = baseline_executor(args.baseline, workdir) if args.baseline else None
        for i in range(args.repeat):
            if before:
                run(f"  {args.baseline[:10]}", before, {"examples": examples},
                    {"statistics": [artifact("ExampleStatistics", out / f"before-{i}")]}, {})
            stats = run("StatisticsGen", "tfxkit.components.statistics_gen.executor.Executor",
                        {"examples": examples},
                        {"statistics": [artifact("ExampleStatistics", out / f"stats-{i}")]}, {})
        if not args.no_reference:
            reference(examples, stats)
        return
    if args.only:
        for i in range(args.repeat):
            run(args.only, "tfxkit.components.csv_example_gen.executor.Executor", {},
                {"examples": [artifact("Examples", out / f"examples-{i}")]},
                {"input_base": str(input_base)})
        return
    gen = run("CsvExampleGen", "tfxkit.components.csv_example_gen.executor.Executor", {},
              {"examples": [artifact("Examples", out / "examples")]},
              {"input_base": str(input_base)})
    examples = gen["outputs"]["examples"]
    last.write_text(json.dumps(examples))
    stats = run("StatisticsGen", "tfxkit.components.statistics_gen.executor.Executor",
                {"examples": examples},
                {"statistics": [artifact("ExampleStatistics", out / "statistics")]}, {})
    statistics = stats["outputs"]["statistics"]
    if not args.no_reference:
        reference(examples, stats)
    schema = run("SchemaGen", "tfxkit.components.schema_gen.executor.Executor",
                 {"statistics": statistics},
                 {"schema": [artifact("Schema", out / "schema")]}, {})
    run("ExampleValidator", "tfxkit.components.example_validator.executor.Executor",
        {"statistics": statistics, "schema": schema["outputs"]["schema"]},
        {"anomalies": [artifact("ExampleAnomalies", out / "anomalies")]}, {})
    print(f"rows: {examples[0]['custom_properties']['example_counts']}")


if __name__ == "__main__":
    main()
