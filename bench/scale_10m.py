"""Benchmark: ExampleGen -> StatisticsGen -> SchemaGen -> Transform on 10M taxi rows, one machine.

Run: `.venv/bin/python bench/scale_10m.py [--replicas 67,667] [--cache DIR] [--keep]`;
`--only Transform` runs Transform alone on the upstream outputs of the newest `--keep` run of
each size (to measure Transform again without redoing the rest).

The taxi sample (../shared/data/chicago_taxi_15k.csv, 15,002 rows) is replicated into one CSV per
size, written once into a cache folder outside the repository (default
`$TMPDIR/tfxkit-bench/taxi_x<replicas>/taxi.csv`: 1.0M rows / 128 MB for 67 replicas, 10.0M rows /
1.29 GB for 667). Each step runs its executor in a fresh Python process (as the local runner's
workers do), chained on the previous step's outputs: CsvExampleGen, StatisticsGen, SchemaGen (on
the train split: the sample's pickup_census_tract has one value in 15,002 rows, all in train, so
inferring from eval too would deprecate it, as TFDV's update_schema does, and the taxi
`preprocessing_fn` reads it), and Transform with TFX's taxi `preprocessing_fn`
(bench/taxi_transform.py). Per step it prints the
process's wall time (imports included), the executor's `Do` wall time and CPU seconds (user +
system of all its threads; the figure to compare on a busy machine), and the process's peak RSS
(`ru_maxrss`, children included). Target (issue 17): every step's peak RSS under 2 GB at 10M rows,
time linear or better from 1M to 10M; the last lines give the 10M / 1M ratios per step.

Measured (2026-11-30, the shared 2-core machine; wall and CPU seconds both move with the load,
so take ratios from runs close together). Full run at load 4.7-8.5, per 1M -> 10M rows, `Do`
wall / CPU seconds, peak RSS, and the 10M/1M ratio of CPU (1.0 = linear):
CsvExampleGen 36.2 / 16.2 s, 676 MB -> 331.4 / 168.3 s, 1028 MB (1.04);
StatisticsGen 14.2 / 7.5 s, 1318 MB -> 114.6 / 63.4 s, 1514 MB (0.85); with the native
reader and ISA-L (11:19-11:21, load 0.4-2.0, `bench/data_components.py --only StatisticsGen`
on this run's Examples): 1M 2.8 / 4.7 s, 1367 MB -> 10M 29.4 / 52.2 s, 1479 MB (1.11 CPU,
1.05 wall; 9c7d8b0 on the same 10M Examples at 10:47: 49.8 / 87.5 s, 1461 MB);
SchemaGen 0.1 / 0.0 s, 37 MB at both sizes;
Transform 113.0 / 34.0 s (at load 8.1), 909 MB -> 373.7 / 231.0 s, 897 MB (0.68).
Every step under 2 GB. Transform alone (`--only Transform`): 1M 33.6 / 33.5 s, 897 MB at load
1.7; 10M 242.6 / 232.8 s, 913 MB at load 2.2: x7.2 wall, x6.9 CPU for x10 rows (better than
linear: the fixed cost of building and tracing the pipeline is a larger share at 1M).
Before Transform read a large split twice (the analysis and the transform each stream it,
components/transform/executor.py), it decoded it once and Beam held every decoded batch in
memory until the analysis ended: 1M 32.5 s CPU, 1535 MB (against 36.7 s, 894 MB just after,
load 2.0); 10M 229.1 s CPU, 8019 MB.

Outputs go under the cache folder (`taxi_x<replicas>/run-<time>/`) and are deleted after the
run unless `--keep`. The 10M run
writes about 1.3 GB of CSV and 1.5 GB of outputs and takes many minutes on a shared 2-core
machine: run it rarely.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import data_components  # noqa: E402 - the bench folder is not a package

TRANSFORM_MODULE = BENCH / "taxi_transform.py"
STEPS = ("CsvExampleGen", "StatisticsGen", "SchemaGen", "Transform")
RSS_LIMIT_MB = 2048
UPSTREAM_FILE = "upstream.json"  # a kept run's upstream figures and artifacts


def build_input(folder: Path, replicas: int) -> Path:
    """`{folder}/taxi.csv` (the sample's rows `replicas` times), written once; return the folder
    (CsvExampleGen's input_base)."""
    return data_components.write_replicated_taxi(folder / "taxi.csv", replicas).parent


def run_upstream(out: Path, input_base: Path) -> dict[str, dict]:
    """Run CsvExampleGen, StatisticsGen and SchemaGen into `out`; return their figures."""
    artifact, run = data_components.artifact, data_components.run
    figures: dict[str, dict] = {}
    figures["CsvExampleGen"] = run(
        "CsvExampleGen", "tfxkit.components.csv_example_gen.executor.Executor", {},
        {"examples": [artifact("Examples", out / "examples")]},
        {"input_base": str(input_base)})
    figures["StatisticsGen"] = run(
        "StatisticsGen", "tfxkit.components.statistics_gen.executor.Executor",
        {"examples": figures["CsvExampleGen"]["outputs"]["examples"]},
        {"statistics": [artifact("ExampleStatistics", out / "statistics")]}, {})
    figures["SchemaGen"] = run(
        "SchemaGen", "tfxkit.components.schema_gen.executor.Executor",
        {"statistics": figures["StatisticsGen"]["outputs"]["statistics"]},
        {"schema": [artifact("Schema", out / "schema")]}, {"exclude_splits": ["eval"]})
    return figures


def last_kept_run(cache: Path, replicas: int) -> Path:
    """The newest run folder of `replicas` kept with `--keep` (its upstream figures saved)."""
    runs = sorted((cache / f"taxi_x{replicas}").glob(f"run-*/{UPSTREAM_FILE}"))
    if not runs:
        sys.exit(f"--only Transform needs a run of {replicas} replicas made with --keep; none "
                 f"under {cache / f'taxi_x{replicas}'}: run once with --keep first.")
    return runs[-1].parent


def run_size(cache: Path, replicas: int, keep: bool, only_transform: bool = False
             ) -> dict[str, dict]:
    """Run the four steps on `replicas` copies of the sample, or with `only_transform`
    Transform alone on the Examples and Schema of the newest kept run (whose upstream
    figures are reported again); return each step's figures."""
    input_base = build_input(cache / f"taxi_x{replicas}" / "input", replicas)
    reused = last_kept_run(cache, replicas) if only_transform else None
    out = reused or cache / f"taxi_x{replicas}" / f"run-{int(time.time())}"
    print(f"\n{replicas} replicas: input {input_base}/taxi.csv "
          f"({(input_base / 'taxi.csv').stat().st_size / 1e9:.2f} GB); outputs under {out}; "
          f"load average {os.getloadavg()[0]:.1f}", flush=True)
    artifact = data_components.artifact
    try:
        if reused is not None:
            figures = json.loads((reused / UPSTREAM_FILE).read_text())
            for name in ("transform_graph", "transformed_examples", "cache"):
                shutil.rmtree(reused / name, ignore_errors=True)
        else:
            figures = run_upstream(out, input_base)
            if keep:
                (out / UPSTREAM_FILE).write_text(json.dumps(figures))
        examples = figures["CsvExampleGen"]["outputs"]["examples"]
        figures["Transform"] = data_components.run(
            "Transform", "tfxkit.components.transform.executor.Executor",
            {"examples": examples, "schema": figures["SchemaGen"]["outputs"]["schema"]},
            {"transform_graph": [artifact("TransformGraph", out / "transform_graph")],
             "transformed_examples": [artifact("Examples", out / "transformed_examples")],
             "updated_analyzer_cache": [artifact("TransformCache", out / "cache")]},
            {"module_file": str(TRANSFORM_MODULE)})
        print(f"rows: {examples[0]['custom_properties'].get('example_counts')}")
    finally:
        if not keep and reused is None:
            shutil.rmtree(out, ignore_errors=True)
    return figures


def main() -> None:
    """Run every size, then print the per-step scaling and the RSS verdict."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicas", default="67,667",
                        help="comma-separated sizes in copies of the 15k sample (67: 1M rows, "
                             "667: 10M rows)")
    parser.add_argument("--cache", type=Path,
                        default=Path(tempfile.gettempdir()) / "tfxkit-bench")
    parser.add_argument("--keep", action="store_true", help="keep the step outputs")
    parser.add_argument("--only", choices=["Transform"],
                        help="run Transform alone on the newest run kept with --keep")
    args = parser.parse_args()
    sizes = [int(r) for r in args.replicas.split(",")]
    results = {replicas: run_size(args.cache, replicas, args.keep, args.only == "Transform")
               for replicas in sizes}
    small, large = min(sizes), max(sizes)
    if small != large:
        print(f"\nscaling {large} / {small} replicas (x{large / small:.1f} rows; "
              f"1.0 = linear):")
        for step in STEPS:
            a, b = results[small][step], results[large][step]
            factor = large / small
            print(f"  {step:<14} Do x{b['do'] / a['do']:5.1f} ({b['do'] / a['do'] / factor:.2f} "
                  f"of linear)   CPU x{b['cpu'] / a['cpu']:5.1f} "
                  f"({b['cpu'] / a['cpu'] / factor:.2f} of linear)   "
                  f"peak RSS {a['rss_mb']:.0f} -> {b['rss_mb']:.0f} MB")
    over = [(replicas, step, figures["rss_mb"]) for replicas, steps in results.items()
            for step, figures in steps.items() if figures["rss_mb"] > RSS_LIMIT_MB]
    print("peak RSS: every step under 2 GB" if not over else
          "peak RSS over 2 GB: " + ", ".join(f"{step} at {replicas} replicas {rss:.0f} MB"
                                           for replicas, step, rss in over))


if __name__ == "__main__":
    main()
