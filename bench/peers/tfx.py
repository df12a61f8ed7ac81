"""The TFX 1.16 peer of the penguin benchmark, run from tfxkit's own venv (standard library only).

TFX needs Python 3.10 here, so it lives in its own venv made by `bench/peers/tfx/setup.sh`
(outside the repository; TFX is never a dependency of tfxkit). This module finds that venv and
runs `bench/peers/tfx/penguin_pipeline.py` in it as a fresh process:

    from peers.tfx import peer_python, run_tfx_penguin   # with bench/ on sys.path
    if peer_python() is not None:                       # set up? (else run_* raise SystemExit)
        seconds, per_node = run_tfx_penguin(workdir)    # cold on an empty workdir
        seconds, per_node = run_tfx_penguin(workdir)    # again: the unchanged, cached rerun
    run = run_tfx_penguin_measured(workdir)             # PeerRun: + CPU s, peak RSS, node states

Or from the command line, to print TFX's figures alone (cold runs in fresh workdirs, each
followed by its unchanged rerun, which must be all 8 nodes CACHED):

    .venv/bin/python bench/peers/tfx.py [--repeats 3] [--cold-only]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

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


# MLMD's Execution.last_known_state values (metadata_store.proto).
STATES = {0: "UNKNOWN", 1: "NEW", 2: "RUNNING", 3: "COMPLETE", 4: "FAILED", 5: "CACHED",
          6: "CANCELED"}


class PeerRun(NamedTuple):
    """One run of the TFX penguin pipeline: wall `seconds` from process start to exit, CPU
    seconds (user + system) and peak RSS (MB) of that process, and per node (pipeline order)
    its seconds and MLMD state ("COMPLETE", or "CACHED" on an unchanged rerun). A NamedTuple,
    not a dataclass: bench/penguin_e2e.py loads this file by path, outside sys.modules."""

    seconds: float
    cpu_seconds: float
    peak_rss_mb: float
    node_seconds: dict[str, float]
    node_states: dict[str, str]


def _executions(store: Path, after_id: int) -> list[tuple[int, str, int, int, int]]:
    """(id, node, state, create ms, last update ms) of the executions with id > after_id in
    TFX's SQLite MLMD store, read with sqlite3 (MLMD's own schema: Execution, Association,
    Context, Type), so this needs no ml-metadata in tfxkit's venv."""
    connection = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
    try:
        rows = connection.execute(
            "SELECT e.id, c.name, e.last_known_state, e.create_time_since_epoch, "
            "e.last_update_time_since_epoch "
            "FROM Execution e JOIN Association a ON a.execution_id = e.id "
            "JOIN Context c ON c.id = a.context_id JOIN Type t ON t.id = c.type_id "
            "WHERE t.name = 'node' AND e.id > ? ORDER BY e.id", (after_id,)).fetchall()
    finally:
        connection.close()
    return [(int(i), name.rsplit(".", 1)[-1], int(state), int(created), int(updated))
            for i, name, state, created, updated in rows]


def run_tfx_penguin_measured(workdir: Path) -> PeerRun:
    """`run_tfx_penguin` with CPU seconds, peak RSS and each node's MLMD state as well."""
    python = peer_python()
    if python is None:
        raise SystemExit(
            f"the TFX peer is not set up (expected a venv with {TFX_REQUIREMENT} at "
            f"{peer_home() / 'tfx-1.16'}). Fix: run {SETUP} (once, ~2 GB of wheels from PyPI; "
            "needs Python 3.10 from pyenv), then run this again.")
    workdir = Path(workdir).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    store = workdir / "metadata.sqlite"
    before = max((row[0] for row in _executions(store, 0)), default=0) if store.exists() else 0
    # The peer's environment: nothing of tfxkit's venv leaks into it.
    env = {key: value for key, value in os.environ.items()
           if key not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env["TF_USE_LEGACY_KERAS"] = "1"
    log = workdir / f"tfx-run-{before}.log"
    with log.open("w") as output:
        started = time.perf_counter()
        process = subprocess.Popen([str(python), str(PIPELINE), str(workdir)], cwd=workdir,
                                   env=env, stdout=output, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        tail = log.read_text(errors="replace")[-3000:]
        raise SystemExit(f"the TFX peer pipeline failed (exit {process.returncode}); "
                         f"log {log}:\n{tail}")
    rows = _executions(store, before)
    order = {node: index for index, node in enumerate(NODES)}
    rows.sort(key=lambda row: (order.get(row[1], len(NODES)), row[0]))
    return PeerRun(seconds=seconds, cpu_seconds=usage.ru_utime + usage.ru_stime,
                   peak_rss_mb=usage.ru_maxrss / 1024,
                   node_seconds={node: (updated - created) / 1000.0
                                 for _, node, _, created, updated in rows},
                   node_states={node: STATES.get(state, str(state)) for _, node, state, _, _ in rows})


def run_tfx_penguin(workdir: Path) -> tuple[float, dict[str, float]]:
    """Run TFX 1.16's penguin pipeline (bench/peers/tfx/penguin_pipeline.py: the 8 components
    of examples/penguin on the same data and module) in a fresh process in the peer venv.

    `workdir` holds the pipeline root, the SQLite MLMD store and the pushed models: empty for
    a cold run, the same again for the unchanged (fully cached) rerun; the run's log is
    `workdir/tfx-run-<n>.log`. Returns the wall seconds from process start to exit and each
    node's seconds in pipeline order, only this run's executions, from ML Metadata: execution
    create time to last update, i.e. from TFX registering the execution (inputs resolved,
    before driver and executor) to publishing its outputs. TFX imports TF, TFDV, TFT, TFMA
    and Beam when `tfx.v1` is imported, before the first node, so imports are in the wall
    time but mostly outside the nodes.

    Raises SystemExit when the peer venv is not set up (run bench/peers/tfx/setup.sh) or the
    pipeline fails (with the end of its log).
    """
    run = run_tfx_penguin_measured(workdir)
    return run.seconds, run.node_seconds


def _line(label: str, run: PeerRun) -> str:
    nodes = "  ".join(f"{node} {value:.2f}" for node, value in run.node_seconds.items())
    return (f"  {label:<12} {run.seconds:7.2f} s wall  {run.cpu_seconds:7.2f} s CPU  "
            f"{run.peak_rss_mb:6.0f} MB peak RSS   {nodes}")


def main() -> None:
    """Print TFX's figures alone: cold runs (each in a fresh workdir) and unchanged reruns."""
    parser = argparse.ArgumentParser(description="TFX 1.16's penguin pipeline, cold and rerun")
    parser.add_argument("--repeats", type=int, default=1, help="cold runs, each in a fresh workdir")
    parser.add_argument("--cold-only", action="store_true", help="skip the unchanged reruns")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    cold: list[PeerRun] = []
    warm: list[PeerRun] = []
    for _ in range(args.repeats):
        workdir = Path(tempfile.mkdtemp(prefix="tfxkit-peer-tfx-"))
        try:
            cold.append(run_tfx_penguin_measured(workdir))
            print(_line(f"cold {len(cold)}", cold[-1]), flush=True)
            if not args.cold_only:
                warm.append(run_tfx_penguin_measured(workdir))
                print(_line(f"rerun {len(warm)}", warm[-1]), flush=True)
                not_cached = [n for n, state in warm[-1].node_states.items() if state != "CACHED"]
                if not_cached or len(warm[-1].node_states) != len(NODES):
                    raise SystemExit(f"the unchanged rerun was not fully cached: "
                                     f"{warm[-1].node_states}")
        finally:
            shutil.rmtree(workdir, ignore_errors=True)

    def median(runs: list[PeerRun], field: str) -> str:
        values = [getattr(run, field) for run in runs]
        return f"median {statistics.median(values):7.2f}   runs {', '.join(f'{v:.2f}' for v in values)}"

    print(f"TFX 1.16 penguin pipeline (LocalDagRunner, Python 3.10), {args.repeats} repeats, "
          "from process start")
    print(f"  cold (empty store)      wall s {median(cold, 'seconds')}")
    print(f"                          CPU s  {median(cold, 'cpu_seconds')}")
    print(f"                          RSS MB {median(cold, 'peak_rss_mb')}")
    if warm:
        print(f"  rerun (all 8 cached)    wall s {median(warm, 'seconds')}")
        print(f"                          CPU s  {median(warm, 'cpu_seconds')}")
    print(f"  load average: {load:.2f} at start, {os.getloadavg()[0]:.2f} at end (2 cores)")
    print("  per component, cold (median; MLMD execution create to last update):")
    per_node = {node: statistics.median(run.node_seconds[node] for run in cold)
                for node in cold[0].node_seconds}
    for node, value in per_node.items():
        print(f"    {node:<18} {value:6.2f} s")
    outside = statistics.median(run.seconds for run in cold) - sum(per_node.values())
    print(f"    {'(outside nodes)':<18} {outside:6.2f} s   interpreter, imports (tfx.v1 loads "
          "TF/TFDV/TFT/TFMA/Beam), pipeline compile, exit")


if __name__ == "__main__":
    main()
