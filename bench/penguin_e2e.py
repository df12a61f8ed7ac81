"""Benchmark: the full penguin pipeline (8 standard components) from a fresh process.

Cold = empty pipeline root and metadata store; warm = the same command again with nothing
changed (every node a cache hit). Each is the median of 3 runs; per-component seconds come from
the runner's progress lines. Reference (our 2-core machine, DESIGN/issue 4): TFX 1.16's
LocalDagRunner takes about 47 s cold and 15 s for the unchanged rerun, from process start.

    .venv/bin/python bench/penguin_e2e.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PIPELINE = REPO / "examples" / "penguin" / "pipeline.py"
NODE_LINE = re.compile(r"^\s+(\w+)\s+(done|cached)\s+([\d.]+) s$")


def run_once(root: Path) -> tuple[float, dict[str, float], str]:
    """Run the pipeline in a fresh process; return wall seconds, per-node seconds, stderr."""
    command = [sys.executable, "-m", "tfxkit", "run", str(PIPELINE),
               "-p", f"pipeline_root={root / 'out'}", "-p", f"serving_model_dir={root / 'serving'}"]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=root)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"pipeline failed:\n{done.stderr[-3000:]}")
    nodes = {m.group(1): float(m.group(3)) for line in done.stderr.splitlines()
             if (m := NODE_LINE.match(line))}
    return seconds, nodes, done.stderr


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    cold: list[float] = []
    warm: list[float] = []
    per_node: dict[str, list[float]] = {}
    for _ in range(args.repeats):
        root = Path(tempfile.mkdtemp(prefix="tfxkit-bench-penguin-"))
        try:
            seconds, nodes, _ = run_once(root)
            cold.append(seconds)
            for node, value in nodes.items():
                per_node.setdefault(node, []).append(value)
            seconds, nodes, stderr = run_once(root)
            assert "8 cached" in stderr, stderr
            warm.append(seconds)
        finally:
            shutil.rmtree(root, ignore_errors=True)
    print(f"penguin pipeline, {args.repeats} repeats, from process start")
    print(f"  cold (empty store):        median {statistics.median(cold):6.2f} s   "
          f"runs {', '.join(f'{s:.2f}' for s in cold)}   (TFX 1.16: ~47 s)")
    print(f"  warm (nothing changed):    median {statistics.median(warm):6.2f} s   "
          f"runs {', '.join(f'{s:.2f}' for s in warm)}   (TFX 1.16: ~15 s)")
    print("  per component, cold (median):")
    for node, values in per_node.items():
        print(f"    {node:<18} {statistics.median(values):6.2f} s")


if __name__ == "__main__":
    main()
