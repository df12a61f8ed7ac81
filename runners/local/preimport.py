"""Importing heavy libraries ahead: while earlier nodes run, an idle worker imports the
modules (TensorFlow, TFDV, TFT, TFMA, Beam) of the nodes that will run next.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tfxkit.dsl.pipeline import Pipeline


# What the standard executors import (by executor path), in the order they do. While earlier
# nodes run, an idle worker imports these for the heavy nodes that come next (see
# `preimport_modules` and `WorkerPool.preimport`), so the 8-14 s import of TensorFlow, TFDV,
# TFT, TFMA and Beam overlaps other work instead of lengthening the critical path.
PREIMPORTS: dict[str, tuple[str, ...]] = {
    "tfxkit.components.statistics_gen.executor.Executor":
        ("tensorflow", "tensorflow_data_validation"),
    "tfxkit.components.transform.executor.Executor":
        ("tensorflow", "tensorflow_transform", "tensorflow_transform.beam"),
    # tfx-bsl's TFXIO (and Beam under it) builds FnArgs.data_accessor's datasets
    "tfxkit.components.trainer.executor.Executor": ("tensorflow", "tf_keras",
                                                    "tfx_bsl.public.tfxio"),
    "tfxkit.components.evaluator.executor.Executor": ("tensorflow", "tensorflow_model_analysis"),
    "tfxkit.components.bulk_inferrer.executor.Executor": ("tensorflow",),
}
TRANSFORM_MODULE = "tensorflow_transform"
PREIMPORT_ENV = "TFXKIT_PREIMPORT"  # "0": off, "1": always; unset: when a core is idle


class CpuMeter:
    """Idle CPU cores since the previous reading, from the machine's `/proc/stat` counters
    (Linux): what is free now, unlike the load average, which trails by a minute and counts a
    run's own earlier nodes (back-to-back runs then turned importing ahead off on an idle
    machine: 29.8 s cold instead of 25.2 s)."""

    def __init__(self) -> None:
        self._last = _cpu_times()

    def idle_cores(self) -> float | None:
        """Cores idle (idle + iowait time / all time x cores) since the previous call or since
        the meter was made; None where /proc/stat is unreadable or too little time passed
        (under 5 clock ticks) to tell."""
        now = _cpu_times()
        if now is None or self._last is None or now[1] - self._last[1] < 5:
            return None
        idle, total = now[0] - self._last[0], now[1] - self._last[1]
        self._last = now
        return idle / total * (os.cpu_count() or 1)


def _cpu_times() -> tuple[int, int] | None:
    """(idle + iowait, all) clock ticks of all CPUs from /proc/stat's `cpu` line; None off
    Linux."""
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            fields = [int(f) for f in stat.readline().split()[1:9]]
    except (OSError, ValueError):
        return None
    if len(fields) < 5:
        return None
    return fields[3] + fields[4], sum(fields)


def preimport_enabled(meter: CpuMeter | None = None) -> bool:
    """TFXKIT_PREIMPORT=1: pre-import; =0: never; unset: only while a CPU core is idle: at
    least half a core idle since `meter`'s previous reading, or, without a reading, the
    1-minute load average + the node running now <= cores. On a saturated machine importing
    ahead only competes with the running node for CPU: measured on 2 busy cores it saved
    nothing."""
    setting = os.environ.get(PREIMPORT_ENV, "")
    if setting in ("0", "1"):
        return setting == "1"
    idle = meter.idle_cores() if meter is not None else None
    if idle is not None:
        return idle >= 0.5
    try:
        load = os.getloadavg()[0]
    except OSError:
        return True
    return load + 1 <= (os.cpu_count() or 1)


def node_modules(node: Any) -> tuple[str, ...]:
    """The heavy modules `node`'s executor imports: its class's `PREIMPORTS` attribute (a
    custom component may declare one), else the PREIMPORTS entry of its executor, followed by
    TFT for a TensorFlow node that consumes a TransformGraph (its user code opens it with
    `tft.TFTransformOutput`, as a Trainer's run_fn does); () for other executors and for nodes
    with `with_env` variables (they may change how those libraries load)."""
    if node.node_config.env:
        return ()
    declared = getattr(type(node), "PREIMPORTS", None)
    if declared is not None:
        return tuple(declared)
    modules = PREIMPORTS.get(str(getattr(type(node), "EXECUTOR", "")), ())
    reads_transform_graph = any(getattr(channel.type, "TYPE_NAME", "") == "TransformGraph"
                                for channel in node.inputs.values())
    if modules and reads_transform_graph and TRANSFORM_MODULE not in modules:
        modules = (*modules, TRANSFORM_MODULE)
    return modules


def preimport_modules(pipeline: Pipeline, pending: list[Any], running: set[str],
                      meter: CpuMeter | None = None) -> tuple[str, ...]:
    """Heavy modules worth importing now: those of pending nodes downstream of a running node
    (their inputs will be new artifacts, so they cannot be cache hits and will run), in the
    order the nodes come. Empty when nothing runs (a fully cached run imports nothing heavy)
    or when `preimport_enabled(meter)` says no."""
    if not running or not preimport_enabled(meter):
        return ()
    will_run = set(running)
    for node in pipeline.components:  # topological order
        if any(up.id in will_run for up in node.upstream):
            will_run.add(node.id)
    names: dict[str, None] = {}
    for node in pending:
        if node.id in will_run:
            names.update(dict.fromkeys(node_modules(node)))
    return tuple(names)


@dataclasses.dataclass
class Preimport:
    """Message to an idle worker: import `modules` (stopping early when a task arrives)."""

    modules: tuple[str, ...]


@dataclasses.dataclass
class Preimported:
    """A worker's reply to Preimport: the modules it imported."""

    modules: tuple[str, ...]


def import_in_worker(conn: Connection, modules: tuple[str, ...]) -> Preimported:
    """Import `modules` one by one until a message (a task) is waiting; output goes to
    /dev/null (library import chatter would otherwise reach the run's console). A module that
    fails to import ends the list: the executor that needs it reports the error."""
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")  # as the executors do before importing TF
    import importlib

    done: list[str] = []
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with open(os.devnull, "wb") as null:
        os.dup2(null.fileno(), 1)
        os.dup2(null.fileno(), 2)
        try:
            for name in modules:
                if conn.poll():
                    break
                try:
                    importlib.import_module(name)
                except Exception:
                    break
                done.append(name)
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])
    return Preimported(tuple(done))


__all__ = ["PREIMPORTS", "PREIMPORT_ENV", "CpuMeter", "Preimport", "Preimported",
           "import_in_worker", "node_modules", "preimport_enabled", "preimport_modules"]
