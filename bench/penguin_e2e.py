"""Benchmark: the full penguin pipeline (8 standard components) from a fresh process.

Cold = empty pipeline root and metadata store; warm = the same command again with nothing
changed (every node a cache hit). Each is the median of 3 runs; per-component seconds come from
the runner's progress lines, and their split into import / setup / work / export from each
execution's `phase_seconds` (recorded by the local runner, see components/_shared/phases.py;
"other" is the rest of the node's time: staging, handing the task to a worker, waiting for a
worker still importing, publishing). TFX 1.16's figures are measured, not quoted: `--peer tfx`
below for the cold run; its unchanged rerun (13-17 s here) is in bench/peers/README.md.

    .venv/bin/python bench/penguin_e2e.py [--repeats 3] [--cold-only] [--peer tfx]

`--peer tfx` runs TFX 1.16's penguin pipeline (bench/peers/tfx.py, its own Python 3.10 venv
made by bench/peers/tfx/setup.sh) right after each tfxkit cold run and prints both and the
ratio tfxkit / TFX.

Idle workers pre-import TF/TFDV/TFT/TFMA only while a core is idle; compare with
TFXKIT_PREIMPORT=1 (always) against TFXKIT_PREIMPORT=0 (never), alternating runs.
"""

from __future__ import annotations

import argparse
import json
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
from typing import Any

REPO = Path(__file__).resolve().parents[1]
PIPELINE = REPO / "examples" / "penguin" / "pipeline.py"
NODE_LINE = re.compile(r"^\s+(\w+)\s+(ran|done|cached)\s+([\d.]+) s$")


CPU: list[float] = []  # CPU seconds (user + system, the process and its workers) per run
PHASES = ("import", "setup", "work", "export")


def node_phases(metadata: Path) -> dict[str, dict[str, float]]:
    """Seconds per phase of each node that ran, from the executions' `phase_seconds`."""
    from tfxkit.metadata import record
    from tfxkit.metadata.store import connect

    store = connect(str(metadata), read_only=True)
    found = {}
    for execution in store.get_executions():
        text = record.custom(execution, "phase_seconds")
        if text:
            found[str(record.custom(execution, "node_id"))] = json.loads(text)
    return found


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


def _peer_runner(name: str | None) -> object | None:
    """A function running bench/peers/tfx.py's TFX penguin pipeline on a workdir and returning
    (wall seconds, seconds per node, CPU seconds or None), when `--peer tfx` is given and its
    venv is set up; exits with the setup command when it is not."""
    if name is None:
        return None
    import importlib.util

    path = Path(__file__).resolve().parent / "peers" / "tfx.py"
    spec = importlib.util.spec_from_file_location("tfxkit_bench_peer_tfx", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"no TFX peer module at {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if module.peer_python() is None:
        raise SystemExit("the TFX peer is not set up: run bench/peers/tfx/setup.sh first")
    measured = getattr(module, "run_tfx_penguin_measured", None)
    if measured is None:  # (seconds, per node) only
        return lambda workdir: (*module.run_tfx_penguin(workdir), None)
    return lambda workdir: (lambda run: (run.seconds, run.node_seconds, run.cpu_seconds))(
        measured(workdir))


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--cold-only", action="store_true", help="skip the unchanged reruns")
    parser.add_argument("--peer", choices=["tfx"], help="also run TFX's penguin pipeline after "
                        "each cold run and print the ratio tfxkit / TFX")
    args = parser.parse_args()
    peer: Any = _peer_runner(args.peer)
    load = os.getloadavg()[0]
    cold: list[float] = []
    warm: list[float] = []
    per_node: dict[str, list[float]] = {}
    per_phase: dict[str, dict[str, list[float]]] = {}
    cold_cpu: list[float] = []
    peer_cold: list[float] = []
    peer_cpu: list[float] = []
    peer_nodes: dict[str, list[float]] = {}
    for _ in range(args.repeats):
        root = Path(tempfile.mkdtemp(prefix="tfxkit-bench-penguin-"))
        try:
            seconds, nodes, _ = run_once(root)
            cold.append(seconds)
            cold_cpu.append(CPU[-1])
            for node, value in nodes.items():
                per_node.setdefault(node, []).append(value)
            for node, phases in node_phases(root / "out" / "metadata.sqlite").items():
                for phase in PHASES:
                    per_phase.setdefault(node, {}).setdefault(phase, []).append(
                        phases.get(phase, 0.0))
                per_phase[node].setdefault("other", []).append(
                    nodes.get(node, 0.0) - sum(phases.get(p, 0.0) for p in PHASES))
            if peer is not None:
                peer_root = Path(tempfile.mkdtemp(prefix="tfxkit-bench-tfx-"))
                try:
                    peer_seconds, peer_per_node, peer_cpu_seconds = peer(peer_root)
                finally:
                    shutil.rmtree(peer_root, ignore_errors=True)
                peer_cold.append(peer_seconds)
                if peer_cpu_seconds is not None:
                    peer_cpu.append(peer_cpu_seconds)
                for node, value in peer_per_node.items():
                    peer_nodes.setdefault(node, []).append(value)
            if args.cold_only:
                continue
            seconds, nodes, stderr = run_once(root)
            assert "8 cached" in stderr, stderr
            warm.append(seconds)
        finally:
            shutil.rmtree(root, ignore_errors=True)
    print(f"penguin pipeline, {args.repeats} repeats, from process start")
    print(f"  cold (empty store):        median {_median(cold):6.2f} s   "
          f"runs {', '.join(f'{s:.2f}' for s in cold)}")
    print(f"  cold CPU (user+sys):       median {_median(cold_cpu):6.2f} s   "
          f"runs {', '.join(f'{s:.2f}' for s in cold_cpu)}")
    if peer_cold:
        ratios = [ours / theirs for ours, theirs in zip(cold, peer_cold, strict=True)]
        print(f"  TFX 1.16 cold (peer):      median {_median(peer_cold):6.2f} s   "
              f"runs {', '.join(f'{s:.2f}' for s in peer_cold)}")
        if peer_cpu:
            print(f"  TFX 1.16 cold CPU:         median {_median(peer_cpu):6.2f} s   "
                  f"runs {', '.join(f'{s:.2f}' for s in peer_cpu)}")
        print(f"  ratio tfxkit / TFX, cold:  median {_median(ratios):6.3f}     "
              f"runs {', '.join(f'{r:.3f}' for r in ratios)}   (goal <= 0.45)")
    if warm:
        print(f"  warm (nothing changed):    median {_median(warm):6.2f} s   "
              f"runs {', '.join(f'{s:.2f}' for s in warm)}   (goal < 1 s)")
    print(f"  load average: {load:.2f} at start, {os.getloadavg()[0]:.2f} at end (2 cores)")
    print("  per component, cold (median seconds):")
    header = "".join(f"{p:>8}" for p in (*PHASES, "other"))
    print(f"    {'node':<18} {'total':>7} {header}" + ("     TFX" if peer_nodes else ""))
    for node, values in per_node.items():
        split_values = per_phase.get(node, {})
        split = "".join(f"{_median(split_values[p]):8.2f}" if p in split_values else f"{'-':>8}"
                        for p in (*PHASES, "other"))
        theirs = f"{_median(peer_nodes[node]):8.2f}" if node in peer_nodes else ""
        print(f"    {node:<18} {_median(values):7.2f} {split}{theirs}")


if __name__ == "__main__":
    main()
