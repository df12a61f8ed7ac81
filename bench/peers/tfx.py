"""The TFX 1.16 peer of the penguin benchmark, run from tfxkit's own venv (standard library only).

TFX needs Python 3.10 here, so it lives in its own venv made by `bench/peers/tfx/setup.sh`
(outside the repository; TFX is never a dependency of tfxkit). This module finds that venv and
runs `bench/peers/tfx/penguin_pipeline.py` in it as a fresh process:

    from peers.tfx import peer_python, run_tfx_penguin   # with bench/ on sys.path
    seconds, per_node = run_tfx_penguin(workdir)        # cold on an empty workdir
    seconds, per_node = run_tfx_penguin(workdir)        # again: the unchanged, cached rerun

Or from the command line, to print TFX's figures alone:

    .venv/bin/python bench/peers/tfx.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SETUP = HERE / "tfx" / "setup.sh"
PIPELINE = HERE / "tfx" / "penguin_pipeline.py"
CONSTRAINTS = HERE / "tfx" / "constraints.txt"
TFX_REQUIREMENT = "tfx==1.16.0"
# TFX's 8 components in pipeline order (MLMD node names are "penguin.<component>").
NODES = ("CsvExampleGen", "StatisticsGen", "SchemaGen", "ExampleValidator", "Transform",
         "Trainer", "Evaluator", "Pusher")


def peer_home() -> Path:
    """Where setup.sh puts peer venvs: $TFXKIT_PEER_HOME, else ~/.cache/tfxkit-peers."""
    return Path(os.environ.get("TFXKIT_PEER_HOME") or Path.home() / ".cache" / "tfxkit-peers")


def peer_python() -> Path | None:
    """The TFX peer venv's python if `bench/peers/tfx/setup.sh` has set it up with the current
    constraints.txt (its stamp file matches), else None."""
    import hashlib

    venv = peer_home() / "tfx-1.16"
    python, stamp = venv / "bin" / "python", venv / ".tfxkit-peer-installed"
    if not (python.exists() and stamp.exists() and CONSTRAINTS.exists()):
        return None
    expected = f"{TFX_REQUIREMENT} {hashlib.sha256(CONSTRAINTS.read_bytes()).hexdigest()}"
    return python if stamp.read_text().strip() == expected else None


def _node_seconds(store: Path, after_id: int) -> tuple[dict[str, float], int]:
    """Per-node seconds of the executions with id > after_id in TFX's SQLite MLMD store:
    last_update_time - create_time of each node's execution, i.e. from TFX registering it
    (inputs resolved, before the executor starts) to publishing its outputs; a cached node's
    execution is registered and published at once. Returns them and the largest id seen."""
    connection = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
    try:
        rows = connection.execute(
            "SELECT e.id, c.name, e.create_time_since_epoch, e.last_update_time_since_epoch "
            "FROM Execution e JOIN Association a ON a.execution_id = e.id "
            "JOIN Context c ON c.id = a.context_id JOIN Type t ON t.id = c.type_id "
            "WHERE t.name = 'node' AND e.id > ? ORDER BY e.id", (after_id,)).fetchall()
        last_id = connection.execute("SELECT COALESCE(MAX(id), 0) FROM Execution").fetchone()[0]
    finally:
        connection.close()
    seconds = {name.rsplit(".", 1)[-1]: (updated - created) / 1000.0
               for _, name, created, updated in rows}
    return {node: seconds[node] for node in NODES if node in seconds} | seconds, int(last_id)


def run_tfx_penguin(workdir: Path) -> tuple[float, dict[str, float]]:
    """Run TFX 1.16's penguin pipeline (bench/peers/tfx/penguin_pipeline.py: the 8 components
    of examples/penguin on the same data and module) in a fresh process in the peer venv.

    `workdir` holds the pipeline root, the SQLite MLMD store and the pushed models: empty for
    a cold run, the same again for the unchanged (fully cached) rerun. Returns the wall seconds
    from process start to exit and each node's seconds from MLMD (execution create time to
    last update, in pipeline order; only this run's executions). TFX's imports (tfx, TF, and
    the TFDV/TFT/TFMA/Beam it loads on first use inside nodes) are part of the wall time.

    Raises SystemExit when the peer venv is not set up (run bench/peers/tfx/setup.sh) or the
    pipeline fails (with the end of its log).
    """
    python = peer_python()
    if python is None:
        raise SystemExit(
            f"the TFX peer is not set up (expected a venv with {TFX_REQUIREMENT} at "
            f"{peer_home() / 'tfx-1.16'}). Fix: run {SETUP} (once, ~2 GB of wheels from PyPI; "
            "needs Python 3.10 from pyenv), then run this again.")
    workdir = Path(workdir).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    store = workdir / "metadata.sqlite"
    before = _node_seconds(store, 0)[1] if store.exists() else 0
    # The peer's environment: nothing of tfxkit's venv leaks into it.
    env = {key: value for key, value in os.environ.items()
           if key not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env["TF_USE_LEGACY_KERAS"] = "1"
    log = workdir / f"tfx-run-{before}.log"
    started = time.perf_counter()
    with log.open("w") as output:
        done = subprocess.run([str(python), str(PIPELINE), str(workdir)], cwd=workdir, env=env,
                              stdout=output, stderr=subprocess.STDOUT, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        tail = log.read_text(errors="replace")[-3000:]
        raise SystemExit(f"the TFX peer pipeline failed (exit {done.returncode}); log {log}:\n{tail}")
    return seconds, _node_seconds(store, before)[0]


def main() -> None:
    parser = argparse.ArgumentParser(description="TFX 1.16's penguin pipeline, cold and rerun")
    parser.add_argument("--repeats", type=int, default=1, help="cold runs, each in a fresh workdir")
    parser.add_argument("--cold-only", action="store_true", help="skip the unchanged reruns")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    cold: list[float] = []
    warm: list[float] = []
    per_node: dict[str, list[float]] = {}
    for _ in range(args.repeats):
        workdir = Path(tempfile.mkdtemp(prefix="tfxkit-peer-tfx-"))
        try:
            seconds, nodes = run_tfx_penguin(workdir)
            cold.append(seconds)
            print(f"  cold run {len(cold)}: {seconds:.2f} s  "
                  + "  ".join(f"{node} {value:.2f}" for node, value in nodes.items()), flush=True)
            for node, value in nodes.items():
                per_node.setdefault(node, []).append(value)
            if not args.cold_only:
                seconds, nodes = run_tfx_penguin(workdir)
                warm.append(seconds)
                print(f"  rerun {len(warm)}:    {seconds:.2f} s  "
                      + "  ".join(f"{node} {value:.2f}" for node, value in nodes.items()),
                      flush=True)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
    print(f"TFX 1.16 penguin pipeline, {args.repeats} repeats, from process start")
    print(f"  cold (empty store):      median {statistics.median(cold):6.2f} s   "
          f"runs {', '.join(f'{s:.2f}' for s in cold)}")
    if warm:
        print(f"  warm (nothing changed):  median {statistics.median(warm):6.2f} s   "
              f"runs {', '.join(f'{s:.2f}' for s in warm)}")
    print(f"  load average: {load:.2f} at start, {os.getloadavg()[0]:.2f} at end (2 cores)")
    print("  per component, cold (median, MLMD execution create to last update):")
    for node, values in per_node.items():
        print(f"    {node:<18} {statistics.median(values):6.2f} s")
    outside = statistics.median(cold) - sum(statistics.median(v) for v in per_node.values())
    print(f"    {'(outside nodes)':<18} {outside:6.2f} s   process start, imports, compile, exit")


if __name__ == "__main__":
    sys.exit(main())
