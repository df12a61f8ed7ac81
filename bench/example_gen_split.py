"""Benchmark: CsvExampleGen's Beam path on ONE big CSV file, whole vs cut into byte ranges.

Run: `.venv/bin/python bench/example_gen_split.py [--workdir /tmp/tfxkit_bench] [--workers 2]
[--range-mb 32]`.

Builds (or reuses) `{workdir}/input/taxi_1m.csv` (the 15k-row taxi sample replicated 67 times,
1,005,134 rows, 128 MB; as bench/data_components.py), then runs the executor on Beam's
DirectRunner with `--direct_running_mode=multi_processing --direct_num_workers=N` (N SDK worker
processes, as a cluster would have N workers) twice, each in a fresh Python process:

- before: one Beam element for the file (what ExampleGen's Beam path did before byte ranges:
  one worker converts it, the others idle);
- after: the file cut into byte ranges of `--range-mb` on row boundaries, spread over the
  workers.

Prints the wall time of the executor's `Do` (the driver's checking pass, which reads the file
once to infer column types, included and also shown alone), how many worker processes read the
file and when (each worker's elements, from the start of the first read to the end of its last
read; the encoding and writing of the last batches follow), and checks that both
runs wrote the same number of examples per split. On a machine shared with other work the
wall times scale with the load average, which is printed too.
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
sys.path.insert(0, str(ROOT / "bench"))

import data_components  # noqa: E402 - the bench folder is not a package

REPLICAS = data_components.REPLICAS

CHILD = r"""
import json, sys, time
spec = json.loads(sys.argv[1])
from tfxkit.components.csv_example_gen.executor import Executor
from tfxkit.types.standard_artifacts import Examples

class Traced(Executor):  # records when and in which worker process each element is read
    def read(self, path, prepared, exec_properties, byte_range=None):
        import os, time
        began, cpu = time.time(), time.process_time()
        yield from super().read(path, prepared, exec_properties, byte_range)
        with open(spec["trace"], "a") as f:
            f.write(json.dumps([os.getpid(), began, time.time(), time.process_time() - cpu])
                    + "\n")

executor = Traced(Executor.Context(beam_pipeline_args=spec["args"]))
executor.RANGE_BYTES = spec["range_bytes"]
files = [spec["file"]]
began = time.perf_counter()
plan = executor.prepare(files, {})
prepare = time.perf_counter() - began
ranges = executor.byte_ranges(files[0], plan) or [None]
examples = Examples(uri=spec["out"])
began = time.perf_counter()
executor.Do({}, {"examples": [examples]}, {"input_base": spec["input"]})
spans = [json.loads(line) for line in open(spec["trace"])]
first = min(span[1] for span in spans)
workers = {}
for pid, start, end, _ in spans:
    count, lo, hi = workers.get(pid, (0, float("inf"), 0.0))
    workers[pid] = (count + 1, min(lo, start - first), max(hi, end - first))
print(json.dumps({"do": time.perf_counter() - began, "prepare": prepare,
                  "workers": sorted(workers.values(), key=lambda w: w[1]),
                  "read_span": max(span[2] for span in spans) - first,
                  "cpu_per_second": sum(span[3] for span in spans)
                  / sum(span[2] - span[1] for span in spans),
                  "ranges": len(ranges), "engine": examples.get_custom_property("engine"),
                  "counts": json.loads(examples.get_custom_property("example_counts"))}))
"""


def build_input(workdir: Path) -> Path:
    """`{workdir}/input/taxi_1m.csv`: the header once, the 15k rows 67 times."""
    return data_components.write_replicated_taxi(workdir / "input" / "taxi_1m.csv", REPLICAS)


def run(path: Path, out: Path, workers: int, range_bytes: int) -> dict[str, object]:
    trace = out.parent / f"{out.name}.trace"
    trace.unlink(missing_ok=True)
    spec = {"file": str(path), "input": str(path.parent), "out": str(out), "trace": str(trace),
            "range_bytes": range_bytes,
            "args": ["--tfxkit_use_beam", "--direct_running_mode=multi_processing",
                     "--pickle_library=cloudpickle",  # ships the tracing subclass by value
                     f"--direct_num_workers={workers}"]}
    began = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", CHILD, json.dumps(spec)], cwd=ROOT,
                          capture_output=True, text=True, timeout=1800)
    if done.returncode:
        raise SystemExit(done.stderr[-4000:])
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    result["process"] = time.perf_counter() - began
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", default="/tmp/tfxkit_bench")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--range-mb", type=int, default=32)
    args = parser.parse_args()
    workdir = Path(args.workdir)
    path = build_input(workdir)
    size_mb = path.stat().st_size / 2**20
    print(f"input: {path} ({size_mb:.0f} MB), {args.workers} Beam workers (DirectRunner "
          f"multi_processing), {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    results = {}
    for label, range_bytes in (("before: one element per file", 1 << 62),
                               (f"after: {args.range_mb} MB byte ranges", args.range_mb << 20)):
        out = workdir / f"split_{range_bytes}"
        subprocess.run(["rm", "-rf", str(out)], check=True)
        result = run(path, out, args.workers, range_bytes)
        results[label] = result
        print(f"{label:34s} ranges {result['ranges']:>3}  Do {result['do']:6.1f} s  (checking "
              f"pass {result['prepare']:5.1f} s of it)  process {result['process']:6.1f} s  "
              f"{result['engine']}; a reading worker used {result['cpu_per_second']:.2f} "
              f"CPU-seconds per second")
        for count, start, end in result["workers"]:  # type: ignore[attr-defined]
            print(f"    a worker process read {count} element(s) from {start:5.1f} s to "
                  f"{end:5.1f} s (after the first read started)")
    print(f"load average after: {os.getloadavg()[0]:.1f} (wall times scale with it)")
    before, after = results.values()
    assert before["counts"] == after["counts"], (before["counts"], after["counts"])
    print(f"examples per split (identical): {after['counts']}")
    convert_before = float(before["do"]) - float(before["prepare"])  # type: ignore[arg-type]
    convert_after = float(after["do"]) - float(after["prepare"])  # type: ignore[arg-type]
    print(f"conversion (Do minus checking pass): {convert_before:.1f} s -> {convert_after:.1f} s "
          f"({convert_before / convert_after:.2f}x)")


if __name__ == "__main__":
    main()
