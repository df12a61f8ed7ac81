"""Benchmark of the data components on the taxi sample replicated 67 times (1,005,134 rows).

Run: `.venv/bin/python bench/data_components.py [--workdir /tmp/tfxkit_bench]`.

Builds `{workdir}/input/taxi_1m.csv` (128 MB) from ../shared/data/chicago_taxi_15k.csv, then runs
each component's executor in a fresh Python process, chained on the previous outputs:
CsvExampleGen, StatisticsGen, SchemaGen, ExampleValidator. Prints, per component, the wall time
of the whole process (imports included), the executor's own `Do` time, and the process's peak
RSS (`ru_maxrss`); `Do CPU` (user + system seconds of all threads during `Do`) is the figure to
compare on a busy machine, where wall time mostly measures the neighbours. `--only CsvExampleGen
--repeat 3` times ExampleGen alone. Targets (issue 3): ExampleGen < 16 s, StatisticsGen < 14 s, RSS < 2 GB.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TAXI = ROOT.parent / "shared" / "data" / "chicago_taxi_15k.csv"
REPLICAS = 67

# Runs inside the child: build artifacts, call Do, report Do time and peak RSS as JSON.
CHILD = r"""
import json, resource, sys, time
spec = json.loads(sys.argv[1])
from tfxkit.types.artifact import Artifact
from tfxkit.dsl.base_component import import_object
def artifact(d):
    return Artifact.from_dict(d)
inputs = {k: [artifact(a) for a in v] for k, v in spec["inputs"].items()}
outputs = {k: [artifact(a) for a in v] for k, v in spec["outputs"].items()}
start = time.perf_counter()
cpu_start = resource.getrusage(resource.RUSAGE_SELF)
import_object(spec["executor"])().Do(inputs, outputs, spec["props"])
do_seconds = time.perf_counter() - start
cpu_end = resource.getrusage(resource.RUSAGE_SELF)
cpu = (cpu_end.ru_utime + cpu_end.ru_stime) - (cpu_start.ru_utime + cpu_start.ru_stime)
print(json.dumps({"do": do_seconds, "cpu": cpu,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "outputs": {k: [a.to_dict() for a in v] for k, v in outputs.items()}}))
"""


def build_input(workdir: Path) -> Path:
    """Write `{workdir}/input/taxi_1m.csv`: the header once, the 15k rows 67 times."""
    folder = workdir / "input"
    path = folder / "taxi_1m.csv"
    if path.exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    header, _, body = TAXI.read_bytes().partition(b"\n")
    body = body if body.endswith(b"\n") else body + b"\n"
    with path.open("wb") as f:
        f.write(header + b"\n")
        for _ in range(REPLICAS):
            f.write(body)
    return folder


def run(name: str, executor: str, inputs: dict, outputs: dict, props: dict) -> dict:
    """Run one executor in a fresh process; return its figures and output artifacts."""
    spec = json.dumps({"executor": executor, "inputs": inputs, "outputs": outputs,
                       "props": props})
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", CHILD, spec], capture_output=True,
                            text=True, cwd=ROOT)
    wall = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"{name} failed:\n{result.stderr[-3000:]}")
    report = json.loads(result.stdout.strip().splitlines()[-1])
    report["wall"] = wall
    print(f"{name:<18} wall {wall:6.1f} s   Do {report['do']:6.1f} s   "
          f"Do CPU {report['cpu']:6.1f} s   peak RSS {report['rss_mb']:7.0f} MB", flush=True)
    return report


def artifact(type_name: str, uri: Path) -> dict:
    """Plain-data artifact (Artifact.to_dict form)."""
    return {"type": type_name, "uri": str(uri), "properties": {}, "custom_properties": {}}


def main() -> None:
    """Build the input, run the four components, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", default="/tmp/tfxkit_bench")
    parser.add_argument("--only", choices=["CsvExampleGen"], help="time only this component")
    parser.add_argument("--repeat", type=int, default=1, help="runs of --only's component")
    args = parser.parse_args()
    workdir = Path(args.workdir)
    input_base = build_input(workdir)
    out = workdir / f"run-{int(time.time())}"
    print(f"input: {input_base}/taxi_1m.csv; outputs under {out}")
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
    stats = run("StatisticsGen", "tfxkit.components.statistics_gen.executor.Executor",
                {"examples": examples},
                {"statistics": [artifact("ExampleStatistics", out / "statistics")]}, {})
    statistics = stats["outputs"]["statistics"]
    schema = run("SchemaGen", "tfxkit.components.schema_gen.executor.Executor",
                 {"statistics": statistics},
                 {"schema": [artifact("Schema", out / "schema")]}, {})
    run("ExampleValidator", "tfxkit.components.example_validator.executor.Executor",
        {"statistics": statistics, "schema": schema["outputs"]["schema"]},
        {"anomalies": [artifact("ExampleAnomalies", out / "anomalies")]}, {})
    print(f"rows: {examples[0]['custom_properties']['example_counts']}")


if __name__ == "__main__":
    main()
