"""Benchmark: the full penguin pipeline (8 standard components) from a fresh process.

Cold = empty pipeline root and metadata store; warm = the same command again with nothing
changed (every node a cache hit). Each is the median of 3 runs; per-component seconds come from
the runner's progress lines. Reference (our 2-core machine, DESIGN/issue 4): TFX 1.16's
LocalDagRunner takes about 47 s cold and 15 s for the unchanged rerun, from process start.

    .venv/bin/python bench/penguin_e2e.py [--repeats 3] [--cold-only]

Idle workers pre-import TF/TFDV/TFT/TFMA only while a core is idle; compare with
TFXKIT_PREIMPORT=1 (always) against TFXKIT_PREIMPORT=0 (never), alternating runs.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PIPELINE = REPO / "examples" / "penguin" / "pipeline.py"
NODE_LINE = re.compile(r"^\s+(\w+)\s+(ran|done|cached)\s+([\d.]+) s$")


CPU: list[float] = []  # CPU seconds (user + system, the process and its workers) per run


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_once(root: Path) -> tuple[float, dict[str, float], str]:
    """Run the pipeline in a fresh process; return wall seconds, per-node seconds, stderr.
    The run's CPU seconds (its process and workers) are appended to CPU."""
    command = [sys.executable, "-m", "tfxkit", "run", str(PIPELINE),
               "-p", f"pipeline_root={root / 'out'}", "-p", f"serving_model_dir={root / 'serving'}"]
    started, cpu = time.perf_counter(), _children_cpu()
    done = subprocess.run(command, capture_output=True, text=True, cwd=root)
    seconds = time.perf_counter() - started
    CPU.append(_children_cpu() - cpu)
    if done.returncode != 0:
        raise SystemExit(f"pipeline failed:\n{done.stderr[-3000:]}")
    nodes = {m.group(1): float(m.group(3)) for line in done.stderr.splitlines()
             if (m := NODE_LINE.match(line))}
    return seconds, nodes, done.stderr


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--cold-only", action="store_true", help="skip the unchanged reruns")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    cold: list[float] = []
    warm: list[float] = []
    per_node: dict[str, list[float]] = {}
    cold_cpu: list[float] = []
    for _ in range(args.repeats):
        root = Path(tempfile.mkdtemp(prefix="tfxkit-bench-penguin-"))
        try:
            seconds, nodes, _ = run_once(root)
            cold.append(seconds)
            cold_cpu.append(CPU[-1])
            for node, value in nodes.items():
                per_node.setdefault(node, []).append(value)
            if args.cold_only:
                continue
            seconds, nodes, stderr = run_once(root)
            assert "8 cached" in stderr, stderr
            warm.append(seconds)
        finally:
            shutil.rmtree(root, ignore_errors=True)
    print(f"penguin pipeline, {args.repeats} repeats, from process start")
    print(f"  cold (empty store):        median {statistics.median(cold):6.2f} s   "
          f"runs {', '.join(f'{s:.2f}' for s in cold)}   (TFX 1.16: ~47 s)")
    print(f"  cold CPU (user+sys):       median {statistics.median(cold_cpu):6.2f} s   "
          f"runs {', '.join(f'{s:.2f}' for s in cold_cpu)}")
    if warm:
        print(f"  warm (nothing changed):    median {statistics.median(warm):6.2f} s   "
              f"runs {', '.join(f'{s:.2f}' for s in warm)}   (TFX 1.16: ~15 s)")
    print(f"  load average: {load:.2f} at start, {os.getloadavg()[0]:.2f} at end (2 cores)")
    print("  per component, cold (median):")
    for node, values in per_node.items():
        print(f"    {node:<18} {statistics.median(values):6.2f} s")


if __name__ == "__main__":
    main()
