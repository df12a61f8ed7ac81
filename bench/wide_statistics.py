"""Benchmark of StatisticsGen and SchemaGen on a very wide input: the `wide` case of issue 11.

Run: `.venv/bin/python bench/wide_statistics.py [--workdir /tmp/tfxkit_wide] [--columns 10000]`.

Writes `{workdir}/input/wide.csv` (header f0..f9999, 40 rows of random digits, seeded as the
case's make.py), runs CsvExampleGen once, then in a fresh process per figure:

- `StatisticsGen` and `SchemaGen`: the executors' `Do` (wall and CPU seconds, peak RSS, and RSS
  added over the process after importing TFDV), the schema's feature count;
- `TFDV extraction` (before): TFDV's own `stats_impl.extract_statistics_output` on the train
  split's first `--sample` columns, which is what StatisticsGen ran before (about 10 ms per
  feature and split, whatever the row count), with its per-feature cost scaled to all columns;
- `tfxkit extraction` (after): `statistics_in_process` on the same columns.

CPU seconds are the figure to compare on a busy machine; wall time there measures neighbours.
Target (issue 11): StatisticsGen + SchemaGen in seconds, well under 500 MB over the imports.

Measured 2026-11-30 on the 2 shared cores (load 2-3): before, StatisticsGen was stopped after
270 s at 1.6 GB (issue) / 77 s CPU at 1.9 GB (here), TFDV's extraction alone ~74 s CPU per
split; after, StatisticsGen 37.5 s CPU (50 s wall), peak 1008 MB (+244 MB over the imports),
SchemaGen 4.9 s CPU, 10,000 INT features; extraction ~20 s CPU per split.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, resource, sys, time
spec = json.loads(sys.stdin.read())
sys.path.insert(0, spec["root"])
import tensorflow_data_validation  # imports are not what is measured
from tfxkit.types.artifact import Artifact
from tfxkit.dsl.base_component import import_object
base_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
def usage():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return time.perf_counter(), r.ru_utime + r.ru_stime
if spec["kind"] == "executor":
    inputs = {k: [Artifact.from_dict(a) for a in v] for k, v in spec["inputs"].items()}
    outputs = {k: [Artifact.from_dict(a) for a in v] for k, v in spec["outputs"].items()}
    wall, cpu = usage()
    import_object(spec["executor"])().Do(inputs, outputs, spec["props"])
    extra = {"outputs": {k: [a.to_dict() for a in v] for k, v in outputs.items()}}
else:
    import glob
    import pyarrow as pa
    from tensorflow_data_validation.statistics import stats_impl
    from tfxkit.components.statistics_gen import executor
    files = sorted(glob.glob(spec["split_dir"] + "/*"))
    batch = next(executor.decoded_record_batches(files))
    names = batch.schema.names[: spec["sample"]]
    batch = pa.RecordBatch.from_arrays([batch.column(n) for n in names], names)
    options = executor.make_stats_options(None, None)
    wall, cpu = usage()
    if spec["kind"] == "tfdv":
        generators = stats_impl.get_generators(options, in_memory=True)
        accumulators = [g.add_input(g.create_accumulator(), batch) for g in generators]
        stats_impl.extract_statistics_output(accumulators, generators)
    else:
        executor.statistics_in_process(iter([batch]), options)
    extra = {"columns": len(names)}
end_wall, end_cpu = usage()
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"do": end_wall - wall, "cpu": end_cpu - cpu, "rss_mb": rss,
                  "added_mb": rss - base_mb, **extra}))
"""


def write_csv(path: Path, columns: int, rows: int = 40) -> None:
    """The case's input: header f0..f<columns-1>, `rows` rows of random digits (seed 0)."""
    random.seed(0)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as f:
        f.write(",".join(f"f{i}" for i in range(columns)) + "\n")
        for _ in range(rows):
            f.write(",".join(str(random.randint(0, 9)) for _ in range(columns)) + "\n")


def child(spec: dict) -> dict:
    """Run CHILD with `spec` in a fresh interpreter; its JSON report."""
    done = subprocess.run([sys.executable, "-c", CHILD], input=json.dumps({"root": str(ROOT),
                                                                           **spec}),
                          capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"child failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    """Build the input, run each measurement, print one line per figure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", default="/tmp/tfxkit_wide")
    parser.add_argument("--columns", type=int, default=10000)
    parser.add_argument("--sample", type=int, default=1000,
                        help="columns timed with TFDV's own extraction (the 'before' figure)")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from tfxkit.components.csv_example_gen.executor import Executor as CsvExampleGen
    from tfxkit.types.standard_artifacts import Examples, ExampleStatistics, Schema

    work = Path(args.workdir)
    write_csv(work / "input" / "wide.csv", args.columns)
    examples = Examples(uri=str(work / "examples"))
    CsvExampleGen().Do({}, {"examples": [examples]}, {"input_base": str(work / "input")})
    statistics = ExampleStatistics(uri=str(work / "statistics"))
    schema = Schema(uri=str(work / "schema"))
    print(f"{args.columns} columns x 40 rows; figures: wall s, CPU s, peak RSS MB "
          f"(added over the imports)")
    stats = child({"kind": "executor",
                   "executor": "tfxkit.components.statistics_gen.executor.Executor",
                   "inputs": {"examples": [examples.to_dict()]},
                   "outputs": {"statistics": [statistics.to_dict()]}, "props": {}})
    written = ExampleStatistics.from_dict(stats["outputs"]["statistics"][0])
    inferred = child({"kind": "executor",
                      "executor": "tfxkit.components.schema_gen.executor.Executor",
                      "inputs": {"statistics": [written.to_dict()]},
                      "outputs": {"schema": [schema.to_dict()]}, "props": {}})
    for name, report in (("StatisticsGen", stats), ("SchemaGen", inferred)):
        print(f"{name:<22} {report['do']:7.1f} s wall {report['cpu']:7.1f} s CPU "
              f"{report['rss_mb']:6.0f} MB ({report['added_mb']:+.0f} MB)")
    text = (work / "schema" / "schema.pbtxt").read_text()
    print(f"{'schema features':<22} {text.count('feature {')}")
    split_dir = str(work / "examples" / "Split-train")
    scale = args.columns / min(args.sample, args.columns)
    for kind, label in (("tfdv", "TFDV extraction"), ("tfxkit", "tfxkit extraction")):
        report = child({"kind": kind, "split_dir": split_dir, "sample": args.sample})
        print(f"{label:<22} {report['cpu']:7.2f} s CPU for {report['columns']} columns, one "
              f"split: ~{report['cpu'] * scale:.0f} s CPU per split for all {args.columns}")


if __name__ == "__main__":
    main()
