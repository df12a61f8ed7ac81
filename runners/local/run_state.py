"""The mutable state of one local run, and its scheduling.

`RunState` holds what one `LocalDagRunner.run` call has done, is running and will run; the
runner object holds only configuration, so concurrent runs never share state. Scheduling is
`graphlib.TopologicalSorter`'s: a node is ready once its selected upstream nodes are done;
ready nodes start in the pipeline's order while there is capacity (workers), and a node whose
upstream failed or was skipped is skipped. One node's life is in `node_run.py`.
"""

from __future__ import annotations

import graphlib
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from tfxkit.errors import DiskFullError, MetadataError
from tfxkit.runners.local.node_run import NodeSteps, RunnerSettings, RunningNode
from tfxkit.runners.local.preimport import CpuMeter
from tfxkit.runners.local.results import NodeResult
from tfxkit.runners.local.signals import SignalGuard
from tfxkit.runners.local.staging import discard
from tfxkit.runners.local.workers import TaskResult, WorkerPool, preimport_modules
from tfxkit.types.artifact import Artifact

if TYPE_CHECKING:
    from ml_metadata.metadata_store.metadata_store import MetadataStore
    from ml_metadata.proto.metadata_store_pb2 import Context

    from tfxkit.dsl.base_component import BaseComponent
    from tfxkit.dsl.pipeline import Pipeline
    from tfxkit.runners.local.remote_root import RemoteRoot


def disk_full_with(exc: DiskFullError, stopped: list[str]) -> DiskFullError:
    """`exc` with what the run did about it, still one line."""
    done = (f"; {', '.join(stopped)} stopped and published nothing" if stopped else "")
    error = DiskFullError(f"{exc}{done} (finished nodes are reused from the cache)")
    error.errno = exc.errno
    return error


class RunState(NodeSteps):
    """The mutable state of one run: what is done, running and ready."""

    def __init__(self, runner: RunnerSettings, store: MetadataStore, pipeline: Pipeline,
                 root: Path, run_id: str, contexts: list[Context],
                 exec_properties: dict[str, dict], cache: bool,
                 results: dict[str, NodeResult]) -> None:
        self.runner = runner
        self.hooks = runner.hooks
        self.store = store
        self.pipeline = pipeline
        self.root = root
        self.run_id = run_id
        self.contexts = contexts
        self.exec_properties = exec_properties
        self.cache = cache
        self.results = results
        self.running: dict[int, RunningNode] = {}
        self.pool: WorkerPool | None = None
        self.cpu = CpuMeter()  # idle cores between scheduling steps (whether to import ahead)
        self.failed = False
        self.schema_checked: set[str] = set()  # nodes whose check_against_schema ran
        self.signals = SignalGuard()  # the run's (set by the runner); inactive by default
        self.suffix = ""  # of output folder names, see output_folder()
        self.remote: RemoteRoot | None = None  # an object-store root (set by the runner)
        from tfxkit.metadata.store import parse

        self.store_display = parse(pipeline.metadata).display()

    # -- scheduling --------------------------------------------------------------------------
    def execute(self, selected: list[BaseComponent]) -> None:
        """Run `selected` nodes; if the store is lost (MetadataError after its retries), stop
        every running node, discard its unpublished outputs and raise MetadataError."""
        try:
            self._schedule(selected)
        except DiskFullError as exc:
            stopped = self._discard_running("stopped: no space left", explain=False)
            raise disk_full_with(exc, stopped) from exc
        except MetadataError as exc:
            stopped = self._discard_running("stopped: the ML Metadata store was lost")
            raise MetadataError(
                f"Run {self.run_id} of pipeline {self.pipeline.pipeline_name!r} stopped: {exc}\n"
                f"Nodes that finished before are published and are reused by the next run"
                + (f"; {', '.join(stopped)} stopped and published nothing (the next run marks "
                   f"their executions abandoned)" if stopped else "") + ".") from exc

    def _discard_running(self, error: str, explain: bool = True) -> list[str]:
        """Kill the workers of running nodes and delete their staged outputs; record nothing.
        Without `explain`, each is reported as failed without an error block of its own (the
        run's one error line says it all)."""
        if self.pool is not None:
            self.pool.close(kill=True)
            self.pool = None
        stopped = []
        for running in list(self.running.values()):
            discard(running.staging)
            seconds = time.perf_counter() - running.started
            self.results[running.node.id] = NodeResult("failed", seconds, running.execution_id,
                                                       error=error)
            if explain:
                self.hooks.on_node_error(running.node.id, error, seconds, "")
            else:
                self.hooks.after_node_run(running.node.id, "failed", seconds)
            stopped.append(running.node.id)
        self.running.clear()
        return stopped

    def _schedule(self, selected: list[BaseComponent]) -> None:
        """Start ready nodes (in the pipeline's order, while there is capacity) and finish
        those whose tasks end, until every selected node has an outcome. A failure skips
        every node not started yet; running nodes still finish."""
        order = {node.id: index for index, node in enumerate(selected)}
        by_id = {node.id: node for node in selected}
        sorter = graphlib.TopologicalSorter(
            {node.id: [u.id for u in node.upstream if u.id in by_id] for node in selected})
        sorter.prepare()
        pending = list(selected)  # not started yet
        ready: list[str] = []  # handed out by the sorter, not started yet
        handed: set[str] = set()  # handed out by the sorter, not yet done
        while pending or self.running:
            self.signals.check()
            while not self.failed:
                for node_id in [n for n in handed if n in self.results]:  # over: ran, cached,
                    sorter.done(node_id)  # failed or skipped
                    handed.discard(node_id)
                if sorter.is_active():
                    fresh = sorter.get_ready()
                    handed.update(fresh)
                    ready = sorted([*ready, *fresh], key=order.__getitem__)
                if self._check_against_schema(pending):
                    break
                if not self._start_ready(ready, pending, by_id):
                    break
            if self.failed:
                for node in pending:
                    self.results[node.id] = NodeResult("skipped")
                    self.hooks.after_node_run(node.id, "skipped", 0.0)
                pending = []
            if not self.running:
                if pending:  # nothing running and nothing startable: upstream never finished
                    for node in pending:
                        self.results.setdefault(node.id, NodeResult("skipped"))
                    pending = []
                continue
            if self.pool is not None:  # idle workers import what the coming nodes need
                self.pool.preimport(preimport_modules(
                    self.pipeline, pending, {r.node.id for r in self.running.values()},
                    self.cpu))
            for result in self._wait():
                self._finish(result)

    def _start_ready(self, ready: list[str], pending: list[BaseComponent],
                     by_id: dict[str, BaseComponent]) -> bool:
        """Start (or skip, when an upstream node failed or was skipped) the first of the
        `ready` nodes; False when there is none or no capacity for it."""
        while ready and ready[0] not in {n.id for n in pending}:  # failed its schema check
            ready.pop(0)
        if not ready:
            return False
        node = by_id[ready[0]]
        if any(self.results[u.id].outcome in ("failed", "skipped") for u in node.upstream):
            ready.pop(0)
            pending.remove(node)
            self.results[node.id] = NodeResult("skipped")
            self.hooks.after_node_run(node.id, "skipped", 0.0)
            return True
        if not self._has_capacity():
            return False
        ready.pop(0)
        pending.remove(node)
        self._start(node)
        return True

    def _check_against_schema(self, pending: list[BaseComponent]) -> bool:
        """Run the data-time checks (`check_against_schema`) of pending nodes whose examples'
        schema is now published, before any further node starts; a failed check fails its
        node, records nothing and stops the run. Returns whether a check failed."""
        from tfxkit.runners.local.schema_checks import failed_schema_checks

        outputs = {node_id: r.outputs for node_id, r in self.results.items()
                   if r.outcome in ("ran", "cached", "reused")}
        will_run = {n.id for n in pending} | {r.node.id for r in self.running.values()}
        latest: Callable[[str], dict[str, list[Artifact]] | None] = self._latest_outputs
        if self.remote is not None:  # a schema on the store is read from its local copy
            outputs, latest = self.remote.schema_copies(outputs, latest)
        failures = failed_schema_checks(self.pipeline, pending, outputs, self.exec_properties,
                                        self.schema_checked, will_run, latest)
        for node, error in failures:
            pending.remove(node)
            self.fail(node, error, time.perf_counter(), None)
        return bool(failures)

    def _latest_outputs(self, node_id: str) -> dict[str, list[Artifact]] | None:
        from tfxkit.metadata.lineage import latest_outputs

        found = latest_outputs(self.store, self.pipeline.pipeline_name, node_id)
        return found[1] if found is not None else None

    def _has_capacity(self) -> bool:
        if self.runner.workers <= 0:
            return not self.running
        return len(self.running) < self.runner.workers

    def _wait(self) -> list[TaskResult]:
        assert self.pool is not None
        with self.signals.interruptible():
            return self.pool.wait()

    def stop(self, reason: str) -> list[str]:
        """Stop every worker at once; record each running execution CANCELED with `reason` and
        its real duration, delete its staging folder; return the ids of the stopped nodes."""
        from tfxkit.metadata import record

        if self.pool is not None:
            self.pool.close(kill=True)
            self.pool = None
        stopped = []
        for running in list(self.running.values()):
            discard(running.staging)
            seconds = time.perf_counter() - running.started
            record.fail_execution(self.store, running.execution_id,
                                  f"{reason} after {seconds:.1f} s; it published nothing",
                                  state="CANCELED")
            self.results[running.node.id] = NodeResult("failed", seconds, running.execution_id,
                                                       error=reason)
            stopped.append(running.node.id)
            del self.running[running.execution_id]
        return stopped

    def close(self) -> None:
        """Stop workers; mark executions still running (the run was interrupted) CANCELED."""
        if self.running:
            self.stop("run interrupted before this node finished")
        if self.pool is not None:
            self.pool.close()
            self.pool = None


__all__ = ["RunState"]
