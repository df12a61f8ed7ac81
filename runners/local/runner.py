"""`LocalDagRunner`: runs a pipeline on this machine, recording everything in ML Metadata.

Nodes run in topological order, independent ready nodes at the same time in worker processes.
Before a node runs, its cache key is looked up (in this process, before any heavy import), so a
fully cached run imports no TensorFlow. Outputs are written to a staging directory and published
(renamed into place, then recorded LIVE in one transaction) only when the executor succeeds.

Output layout: `{pipeline_root}/{node_id}/{output_key}/{execution_id}/`; staging:
`{pipeline_root}/{node_id}/.staging/{execution_id}/`; log: `{node_id}/.logs/{execution_id}.log`.
When a new ML Metadata store meets a pipeline root that already holds outputs (the old store
was deleted or replaced), its execution ids start again at 1, so every folder of the new store
gets a suffix chosen when the store first saw the pipeline and recorded in its pipeline context
(`{execution_id}-{suffix}`): the old outputs are never overwritten, and the run says so.
With an object-store `pipeline_root` (`s3://`, `gs://`, `minio://`; the metadata store given
apart), staging, logs and local copies of inputs live in a local folder and outputs are
published to the store, files first and a marker object last (see `remote_root.py`).

SIGTERM and SIGINT (Ctrl-C) stop a run cleanly (see `signals.py`): workers are stopped, running
executions are recorded CANCELED with their real duration, their staging folders removed, and
`RunInterrupted` carries the one line to print. A full disk (`DiskFullError`) stops the run with
nothing half-published.

This module checks, connects and reports; the rest lives apart: `options.py` (`RunOptions`:
selection, parameters, resume hint), `run_state.py` (one run's state and its scheduling),
`node_run.py` (one node: cache hit or staged task, publish, retry, failure), `staging.py`,
`results.py`, and the worker processes in `workers.py` (`tasks.py`, `preimport.py`,
`start_method.py`).
"""

from __future__ import annotations

import os
import signal
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tfxkit.dsl.base_component import BaseComponent
from tfxkit.dsl.pipeline import Pipeline
from tfxkit.errors import (
    DiskFullError,
    ExecutionError,
    MetadataError,
    PipelineDefinitionError,
    RunInterrupted,
    shown_path,
)
from tfxkit.runners.base import DagRunner
from tfxkit.runners.local.node_settings import settings_not_applied
from tfxkit.runners.local.options import RunOptions
from tfxkit.runners.local.remote_root import RemoteRoot
from tfxkit.runners.local.reporter import ConsoleReporter, RunHooks
from tfxkit.runners.local.results import NodeResult, RunResult
from tfxkit.runners.local.run_state import RunState
from tfxkit.runners.local.signals import SignalGuard, Stopped, signal_name
from tfxkit.runners.local.staging import (
    discard,
    holds_files,
    output_folder,
    staging_folder,
)
from tfxkit.runners.local.workers import (
    check_workers_can_start,
    default_start_method,
)
from tfxkit.secrets import declared_secret_env, mask_secrets

if TYPE_CHECKING:
    from ml_metadata.metadata_store.metadata_store import MetadataStore


# Run ids executing in this process, so that a run here can tell an execution this process left
# RUNNING after losing its store (abandoned) from one that another run here is still executing.
_LIVE_RUNS: set[str] = set()
_LIVE_RUNS_LOCK = threading.Lock()


class LocalDagRunner(DagRunner):
    """Runs pipelines locally with caching, lineage and concurrent independent nodes.

    Args:
        workers: how many nodes may run at once (default: CPU count). 0 runs every node in this
            process, one at a time, without isolation (for debugging and notebooks).
        hooks: lifecycle hooks; default prints progress to stderr.
        resume_command: shown after a failure: a callable taking the failed node's id and
            returning the command (the CLI's repeats the user's `tfxkit run ...` with `--from`
            or `--only`), or a string in which the literal `{node}` is replaced by that id.
        capture_logs: send what executors print (TensorFlow's and Beam's chatter included) to
            `{pipeline_root}/{node_id}/.logs/{execution_id}.log` instead of the console; the
            tail of the log is shown when a node fails. Ignored when `workers` is 0.
        start_method: how worker processes start: "fork" (fast, inherits everything) or
            "spawn" (fresh interpreters; components must be importable by name). Default:
            fork unless this process already loaded TensorFlow or similar (fork-unsafe).
    """

    LOG_TAIL_LINES = 40

    def __init__(
        self,
        workers: int | None = None,
        hooks: RunHooks | None = None,
        resume_command: str | Callable[[str], str] | None = None,
        capture_logs: bool = True,
        start_method: str | None = None,
    ) -> None:
        self.workers = (os.cpu_count() or 1) if workers is None else workers
        self.hooks: RunHooks = hooks or ConsoleReporter()
        self.resume_command = resume_command
        self.capture_logs = capture_logs
        self.start_method = start_method

    # -- public ------------------------------------------------------------------------------
    def run(  # type: ignore[override]  # DagRunner.run takes **options; these are ours
        self,
        pipeline: Pipeline,
        run_params: dict[str, Any] | None = None,
        from_node: str | None = None,
        to_node: str | None = None,
        only_node: str | None = None,
        enable_cache: bool | None = None,
        run_id: str | None = None,
    ) -> RunResult:
        """Run `pipeline` and return a RunResult.

        Args:
            pipeline: the pipeline.
            run_params: values for RuntimeParameters, by name.
            from_node: run this node and everything downstream of it.
            to_node: run this node and everything upstream of it.
            only_node: run just this node.
            enable_cache: override the pipeline's `enable_cache`.
            run_id: id for the run (default: a UTC timestamp).

        Nodes outside the selection that selected nodes depend on are not run: their newest
        published outputs are reused. Outputs land under `{pipeline_root}/{node_id}/...` and
        every execution is recorded in the pipeline's ML Metadata store.

        Raises:
            ExecutionError: when a node fails (after recording it; finished nodes stay published).
            PipelineDefinitionError: for unknown node ids or missing upstream outputs.
        """
        return super().run(pipeline, run_params=run_params, from_node=from_node, to_node=to_node,
                           only_node=only_node, enable_cache=enable_cache, run_id=run_id)

    # -- implementation ----------------------------------------------------------------------
    def _run(self, pipeline: Pipeline, **options: Any) -> RunResult:
        from tfxkit.metadata.store import connect

        run_options = RunOptions(**{k: v for k, v in options.items() if v is not None})
        # an object-store root: metadata given apart, store reachable (see remote_root.py)
        remote = RemoteRoot.open(pipeline)
        started = time.perf_counter()
        selected = run_options.select(pipeline)
        exec_properties = run_options.resolve_parameters(pipeline)
        for node in selected:  # e.g. a missing input_base: said before anything runs
            check = getattr(node, "check_before_run", None)
            if callable(check):
                check(exec_properties[node.id])
        if self.workers > 0:  # before anything is recorded: can workers start cleanly?
            check_workers_can_start(pipeline, self.start_method or default_start_method())
        cache = run_options.cache_enabled(pipeline)
        run_id = run_options.new_run_id()
        root = remote.local_root if remote else Path(pipeline.pipeline_root).absolute()
        secret_env = {env for node in pipeline.components
                      for keys in node.node_config.secrets.values() for env in keys.values()}
        with SignalGuard() as signals, declared_secret_env(secret_env):
            try:
                with signals.interruptible():  # nothing is recorded yet
                    store = connect(pipeline.metadata)
                if hasattr(store, "tfxkit_pause"):  # waiting for a locked store: interruptible
                    store.tfxkit_pause = signals.pause
                with _LIVE_RUNS_LOCK:
                    _LIVE_RUNS.add(run_id)
                try:
                    return self._run_with_store(pipeline, store, root, run_id, selected,
                                                exec_properties, cache, started, signals,
                                                run_options, remote=remote)
                finally:
                    with _LIVE_RUNS_LOCK:
                        _LIVE_RUNS.discard(run_id)
            except Stopped as stop:  # while connecting, before any node started
                raise self._interrupted(stop.signal_number, [], selected[0].id,
                                        run_options) from None

    def _run_with_store(self, pipeline: Pipeline, store: MetadataStore, root: Path, run_id: str,
                        selected: list[BaseComponent], exec_properties: dict[str, dict],
                        cache: bool, started: float, signals: SignalGuard,
                        options: RunOptions, remote: RemoteRoot | None = None) -> RunResult:
        from tfxkit.metadata import record
        from tfxkit.metadata.store import parse

        suffix = self._output_suffix(store, pipeline, root, remote)
        self._report_abandoned(store, pipeline, root, suffix)

        results: dict[str, NodeResult] = {}
        selected_ids = {n.id for n in selected}
        for node in selected:
            for upstream in node.upstream:
                if upstream.id not in selected_ids and upstream.id not in results:
                    results[upstream.id] = self._reuse(store, pipeline, upstream, node)

        contexts = [record.pipeline_context(store, pipeline.pipeline_name),
                    record.run_context(store, pipeline.pipeline_name, run_id)]
        self.hooks.on_run_start(pipeline.pipeline_name, run_id, [n.id for n in selected],
                                max(1, self.workers), parse(pipeline.metadata).display())
        ignored = settings_not_applied(selected)
        if ignored:  # said once per run
            getattr(self.hooks, "on_run_note", lambda note: None)(ignored)
        state = RunState(self, store, pipeline, root, run_id, contexts, exec_properties, cache,
                          results)
        state.signals, state.suffix, state.remote = signals, suffix, remote
        try:
            signals.check()
            state.execute(selected)
        except (MetadataError, DiskFullError):
            self.hooks.on_run_end({n: r.outcome for n, r in results.items()},
                                  time.perf_counter() - started, "")
            raise
        except KeyboardInterrupt as stop:  # SIGTERM or SIGINT (Ctrl-C)
            number = stop.signal_number if isinstance(stop, Stopped) else signal.SIGINT
            with signals.held():
                stopped = state.stop(f"stopped by {signal_name(number)}")
            unfinished = [n.id for n in selected if n.id in stopped or n.id not in results]
            raise self._interrupted(number, stopped, unfinished[0] if unfinished else None,
                                    options) from None
        finally:
            with signals.held():
                state.close()
            getattr(self.hooks, "close", lambda: None)()  # end a live progress view
        seconds = time.perf_counter() - started
        failed = [n for n in selected if results.get(n.id, NodeResult("skipped")).outcome == "failed"]
        for node in selected:
            results.setdefault(node.id, NodeResult("skipped"))
        hint = ""
        if failed:
            first = failed[0].id
            hint = (f"tfxkit: {first} failed; fix it, then resume with:\n    "
                    f"{options.resume(first, self.resume_command)}\n"
                    f"  (completed nodes are reused from the cache)")
        self.hooks.on_run_end({n.id: results[n.id].outcome for n in selected}, seconds, hint)
        result = RunResult(pipeline.pipeline_name, run_id, results, seconds)
        if failed:
            errors = "; ".join(f"{n.id}: {results[n.id].error}" for n in failed)
            raise ExecutionError(mask_secrets(  # with_secret variables are secrets only now
                f"Pipeline {pipeline.pipeline_name!r} run {run_id} failed. {errors}\n{hint}"))
        return result

    @staticmethod
    def _select(pipeline: Pipeline, from_node: str | None, to_node: str | None,
                only_node: str | None) -> list[BaseComponent]:
        """The selected nodes (see `RunOptions.select`; `plan_run` calls this)."""
        return RunOptions(from_node=from_node, to_node=to_node,
                          only_node=only_node).select(pipeline)

    @staticmethod
    def _resolve_parameters(pipeline: Pipeline, run_params: dict[str, Any]) -> dict[str, dict]:
        """Parameters by node (see `RunOptions.resolve_parameters`; `plan_run` calls this)."""
        return RunOptions(run_params=run_params).resolve_parameters(pipeline)

    def _interrupted(self, number: int, stopped: list[str], resume_from: str | None,
                     options: RunOptions) -> RunInterrupted:
        """The RunInterrupted for signal `number`: one line saying what was stopped and how to
        resume, e.g. "terminated (SIGTERM); train was stopped; resume with: ... --from train"."""
        name = signal_name(number)
        verb = "terminated" if number == signal.SIGTERM else "interrupted"
        parts = [f"{verb} ({name})"]
        if stopped:
            parts.append(f"{', '.join(stopped)} {'was' if len(stopped) == 1 else 'were'} stopped "
                         f"and recorded CANCELED")
        if resume_from:
            parts.append(f"resume with: {options.resume(resume_from, self.resume_command)}")
        return RunInterrupted("; ".join(parts), number, stopped)

    def _output_suffix(self, store: MetadataStore, pipeline: Pipeline, root: Path,
                       remote: RemoteRoot | None = None) -> str:
        """The suffix of this store's output folders in `root`: "" normally; when the store
        first sees the pipeline while `root` already holds node folders (the store that wrote
        them was deleted or replaced), a new suffix, recorded in the pipeline context, so that
        restarted execution ids never meet the old folders."""
        from tfxkit.metadata import record

        context = store.get_context_by_type_and_name(record.PIPELINE_CONTEXT,
                                                     pipeline.pipeline_name)
        if context is None:
            earlier = [n.id for n in pipeline.components if (
                remote.holds_outputs(n.id) if remote else holds_files(root / n.id))]
            properties = {record.OUTPUT_SUFFIX: uuid.uuid4().hex[:8]} if earlier else {}
            context = record.pipeline_context(store, pipeline.pipeline_name, properties)
            suffix = str(record.custom(context, record.OUTPUT_SUFFIX, ""))
            if suffix and earlier:
                note = getattr(self.hooks, "on_run_note", None)
                if note is not None:
                    where = remote.uri if remote else shown_path(root)
                    note(f"{where} already holds outputs of {', '.join(earlier)} "
                         f"that this ML Metadata store did not record (was its store deleted "
                         f"or replaced?); they are left untouched and this store writes its "
                         f"outputs to <node>/<output>/<execution id>-{suffix} folders")
        return str(record.custom(context, record.OUTPUT_SUFFIX, ""))

    def _report_abandoned(self, store: MetadataStore, pipeline: Pipeline, root: Path,
                          suffix: str = "") -> None:
        from tfxkit.metadata import record

        with _LIVE_RUNS_LOCK:
            live = set(_LIVE_RUNS)
        for execution in record.abandon_stale_executions(store, pipeline.pipeline_name, live):
            node_id = record.custom(execution, "node_id", "")
            discard(staging_folder(root, node_id, output_folder(execution.id, suffix)))

    @staticmethod
    def _reuse(store: MetadataStore, pipeline: Pipeline, upstream: BaseComponent,
               consumer: BaseComponent) -> NodeResult:
        from tfxkit.metadata.lineage import latest_outputs

        found = latest_outputs(store, pipeline.pipeline_name, upstream.id)
        if found is None:
            raise PipelineDefinitionError(
                f"{consumer.id} needs the outputs of {upstream.id}, but {upstream.id} has no "
                f"completed execution with intact outputs in pipeline "
                f"{pipeline.pipeline_name!r}. Run it first, e.g. `tfxkit run <pipeline file> "
                f"--to {upstream.id}`.")
        execution_id, outputs = found
        return NodeResult("reused", execution_id=execution_id, outputs=outputs)
