"""Benchmark: ExampleGen -> StatisticsGen -> SchemaGen -> Transform on 10M taxi rows, one machine.

Run: `.venv/bin/python bench/scale_10m.py [--replicas 67,667] [--cache DIR] [--keep]`.

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

Measured once (2026-11-30, the shared 2-core machine at load 5-12, so CPU seconds are the
figures to compare): per 1M -> 10M rows, CsvExampleGen Do CPU 21.4 -> 204.5 s (0.96 of
linear), peak RSS 726 -> 1056 MB; StatisticsGen 7.8 -> 81.5 s (1.05), 1129 -> 1246 MB;
SchemaGen 0.0 s, 45 MB; Transform 39.2 -> 229.1 s (0.59), 1687 -> 8019 MB: over 2 GB at 10M.

Outputs go under the cache folder and are deleted after the run unless `--keep`. The 10M run
writes about 1.3 GB of CSV and 1.5 GB of outputs and takes many minutes on a shared 2-core
machine: run it rarely.
"""

from __future__ import annotations

import argparse
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


def build_input(folder: Path, replicas: int) -> Path:
    """`{folder}/taxi.csv` (the sample's rows `replicas` times), written once; return the folder
    (CsvExampleGen's input_base)."""
    return data_components.write_replicated_taxi(folder / "taxi.csv", replicas).parent


def run_size(cache: Path, replicas: int, keep: bool) -> dict[str, dict]:
    """Run the four steps on `replicas` copies of the sample; return each step's figures."""
    input_base = build_input(cache / f"taxi_x{replicas}" / "input", replicas)
    out = cache / f"taxi_x{replicas}" / f"run-{int(time.time())}"
    artifact = data_components.artifact
    run = data_components.run
    print(f"\n{replicas} replicas: input {input_base}/taxi.csv "
          f"({(input_base / 'taxi.csv').stat().st_size / 1e9:.2f} GB); outputs under {out}; "
          f"load average {os.getloadavg()[0]:.1f}", flush=True)
    figures: dict[str, dict] = {}
    try:
        figures["CsvExampleGen"] = run(
            "CsvExampleGen", "tfxkit.components.csv_example_gen.executor.Executor", {},
            {"examples": [artifact("Examples", out / "examples")]},
            {"input_base": str(input_base)})
        examples = figures["CsvExampleGen"]["outputs"]["examples"]
        figures["StatisticsGen"] = run(
            "StatisticsGen", "tfxkit.components.statistics_gen.executor.Executor",
            {"examples": examples},
            {"statistics": [artifact("ExampleStatistics", out / "statistics")]}, {})
        figures["SchemaGen"] = run(
            "SchemaGen", "tfxkit.components.schema_gen.executor.Executor",
            {"statistics": figures["StatisticsGen"]["outputs"]["statistics"]},
            {"schema": [artifact("Schema", out / "schema")]}, {"exclude_splits": ["eval"]})
        figures["Transform"] = run(
            "Transform", "tfxkit.components.transform.executor.Executor",
            {"examples": examples, "schema": figures["SchemaGen"]["outputs"]["schema"]},
            {"transform_graph": [artifact("TransformGraph", out / "transform_graph")],
             "transformed_examples": [artifact("Examples", out / "transformed_examples")],
             "updated_analyzer_cache": [artifact("TransformCache", out / "cache")]},
            {"module_file": str(TRANSFORM_MODULE)})
        print(f"rows: {examples[0]['custom_properties'].get('example_counts')}")
    finally:
        if not keep:
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
    args = parser.parse_args()
    sizes = [int(r) for r in args.replicas.split(",")]
    results = {replicas: run_size(args.cache, replicas, args.keep) for replicas in sizes}
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
