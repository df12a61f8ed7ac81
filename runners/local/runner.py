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
"""

from __future__ import annotations

import dataclasses
import os
import signal
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tfxkit.dsl.base_component import BaseComponent
from tfxkit.dsl.base_executor import ExecutorContext
from tfxkit.dsl.pipeline import Pipeline
from tfxkit.errors import (
    DiskFullError,
    ExecutionError,
    MetadataError,
    PipelineDefinitionError,
    RunInterrupted,
    TfxkitError,
    disk_full_error,
    is_disk_full,
    shown_path,
)
from tfxkit.runners.base import DagRunner
from tfxkit.runners.local.node_settings import settings_not_applied
from tfxkit.runners.local.options import RunOptions
from tfxkit.runners.local.remote_root import RemoteRoot
from tfxkit.runners.local.reporter import ConsoleReporter, RunHooks
from tfxkit.runners.local.results import NodeResult, RunResult
from tfxkit.runners.local.signals import SignalGuard, Stopped, signal_name
from tfxkit.runners.local.staging import (
    Publication,
    create_staging,
    discard,
    existing_paths,
    holds_files,
    output_folder,
    reset_outputs,
    staging_folder,
)
from tfxkit.runners.local.workers import (
    Task,
    TaskResult,
    WorkerPool,
    check_workers_can_start,
    crash_location,
    default_start_method,
    execute,
    node_modules,
    preimport_modules,
)
from tfxkit.secrets import declared_secret_env, mask_file, mask_secrets
from tfxkit.types.artifact import Artifact

if TYPE_CHECKING:
    from ml_metadata.metadata_store.metadata_store import MetadataStore
    from ml_metadata.proto.metadata_store_pb2 import Context


# Run ids executing in this process, so that a run here can tell an execution this process left
# RUNNING after losing its store (abandoned) from one that another run here is still executing.
_LIVE_RUNS: set[str] = set()
_LIVE_RUNS_LOCK = threading.Lock()


@dataclasses.dataclass
class _Running:
    node: BaseComponent
    execution_id: int
    staging: Path
    outputs: dict[str, list[Artifact]]
    final_uris: dict[str, str]
    started: float
    inputs: dict[str, list[Artifact]]
    log_file: str | None
    task: Task | None = None
    attempt: int = 1  # with_retries: which run of the node this is


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
        state = _RunState(self, store, pipeline, root, run_id, contexts, exec_properties, cache,
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


def _damaged_inputs_note(inputs: dict[str, list[Artifact]]) -> str:
    """Name the input artifacts whose files are damaged, for an error that looks like a read
    of corrupted or truncated data (the library's own message rarely says which file)."""
    from tfxkit.components._shared.tfrecord import damaged_files

    found = []
    for key, group in inputs.items():
        for artifact in group:
            problems = damaged_files(artifact)
            if problems:
                found.append(f"input {key!r}: {type(artifact).TYPE_NAME} artifact {artifact.id} "
                             f"at {artifact.uri}: {'; '.join(problems[:3])}")
    if not found:
        return ""
    return (f". Damaged input artifact(s): {' | '.join(found)}. Rerun the producing node "
            f"without the cache (e.g. `tfxkit run ... --from <producer> --no-cache`), or "
            f"restore the files.")


def _log_tail(path: str, lines: int) -> str:
    try:
        text = Path(path).read_text(errors="replace").splitlines()
    except OSError:
        return ""
    if not text:
        return ""
    return (f"--- last {min(lines, len(text))} lines of {path} ---\n" + "\n".join(text[-lines:])
            + "\n--- end of log ---\n")


def _disk_full_with(exc: DiskFullError, stopped: list[str]) -> DiskFullError:
    """`exc` with what the run did about it, still one line."""
    done = (f"; {', '.join(stopped)} stopped and published nothing" if stopped else "")
    error = DiskFullError(f"{exc}{done} (finished nodes are reused from the cache)")
    error.errno = exc.errno
    return error


class _RunState:
    """The mutable state of one run: what is done, running and ready."""

    def __init__(self, runner: LocalDagRunner, store: MetadataStore, pipeline: Pipeline,
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
        self.running: dict[int, _Running] = {}
        self.pool: WorkerPool | None = None
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
            raise _disk_full_with(exc, stopped) from exc
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
        pending = list(selected)
        while pending or self.running:
            self.signals.check()
            progressed = True
            while progressed and not self.failed:
                progressed = False
                for node in list(pending):
                    if self._check_against_schema(pending):
                        break
                    if not all(u.id in self.results for u in node.upstream):
                        continue
                    if any(self.results[u.id].outcome in ("failed", "skipped")
                           for u in node.upstream):
                        pending.remove(node)
                        self.results[node.id] = NodeResult("skipped")
                        self.hooks.after_node_run(node.id, "skipped", 0.0)
                        progressed = True
                        continue
                    if not self._has_capacity():
                        break
                    pending.remove(node)
                    self._start(node)
                    progressed = True
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
                    self.pipeline, pending, {r.node.id for r in self.running.values()}))
            for result in self._wait():
                self._finish(result)

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
            self._fail(node, error, time.perf_counter(), None)
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

    # -- one node ----------------------------------------------------------------------------
    def _start(self, node: BaseComponent) -> None:
        from tfxkit.metadata import record
        from tfxkit.metadata.cache import compute_cache_key, find_cache_hit

        began, began_at = time.perf_counter(), time.time()  # the node's clock, also recorded
        inputs = {key: list(self.results[channel.producer.id].outputs.get(channel.output_key, []))
                  for key, channel in node.inputs.items() if channel.producer is not None}
        properties = self.exec_properties[node.id]
        try:
            with self.signals.interruptible():  # hashing inputs and code: nothing recorded
                computed = compute_cache_key(node, properties, inputs)  # as --dry-run does
        except Exception as exc:  # bad user-code reference etc.: fail this node, not the runner
            # recorded FAILED (with no cache key) so `tfxkit runs` and `report` show it; only
            # an unexpected error carries a traceback (a tfxkit error's message says it all)
            details = "" if isinstance(exc, TfxkitError) else traceback.format_exc()
            execution_id = record.start_execution(
                self.store, node.type_name, self._node_contexts(node),
                inputs, {**self._facts(node, began_at), **record.encode_parameters(properties)})
            self._fail(node, f"{type(exc).__name__}: {exc}", began, execution_id, details)
            return
        contexts = self._node_contexts(node)
        # the key and its parts (`runs --diff`, `runs --why`, `run --dry-run` read them)
        facts = {**self._facts(node, began_at), **computed.facts(),
                 **record.encode_parameters(properties)}
        use_cache = self.cache if node.node_config.enable_cache is None else (
            node.node_config.enable_cache)
        facts["cache_enabled"] = int(bool(use_cache))
        key = computed.key
        if use_cache:
            with self.signals.interruptible():  # reads, and checks files are intact
                hit = find_cache_hit(self.store, self.pipeline.pipeline_name, node.id, key)
            if hit is not None:
                source_id, outputs = hit
                seconds = time.perf_counter() - began  # read as the store stamps finished_at
                execution_id = record.record_cached_execution(
                    self.store, node.type_name, contexts, inputs, outputs,
                    {**facts, "cached_from": source_id})
                self.results[node.id] = NodeResult("cached", seconds, execution_id, outputs)
                self.hooks.after_node_run(node.id, "cached", seconds)
                return
        execution_id = record.start_execution(self.store, node.type_name, contexts, inputs, facts)
        folder = output_folder(execution_id, self.suffix)
        staging = staging_folder(self.root, node.id, folder)
        final_uris = {key: str(self.root / node.id / key / folder) for key in node.outputs}
        log_file = None
        if self.runner.capture_logs and self.runner.workers > 0:
            log_file = str(self.root / node.id / ".logs" / f"{folder}.log")
        taken = existing_paths(staging, final_uris.values(), log_file)
        if self.remote is not None:  # outputs go to the store; staging and logs are scratch
            final_uris = {k: self.remote.output_uri(node.id, k, folder) for k in node.outputs}
            try:
                taken = self.remote.taken(list(final_uris.values()), taken)
            except TfxkitError as exc:  # the store cannot be reached: this node fails
                self._fail(node, str(exc), began, execution_id)
                return
        if taken:  # another store's outputs: never overwrite them
            self._fail(node, f"its output folder {taken[0]} already exists, but this ML Metadata "
                             f"store ({self.store_display}) did not write it: "
                             f"{self.remote.uri if self.remote else self.root} holds "
                             f"outputs of another store. Nothing was overwritten; move those "
                             f"outputs away or pass a new pipeline_root", began, execution_id)
            return
        try:
            staged = create_staging(node, staging, log_file)
        except OSError as exc:
            discard(staging)
            if not is_disk_full(exc):
                self._fail(node, f"could not create its staging folder {staging}: {exc}", began,
                           execution_id)
                return
            record.fail_execution(self.store, execution_id, "no space left for its staging "
                                  "folder", state="CANCELED")
            raise disk_full_error(staging, f"(preparing {node.id})") from exc
        if self.remote is not None:  # executors read local copies of inputs on the store
            try:
                with self.signals.interruptible():
                    inputs = self.remote.local_inputs(inputs)
            except BaseException as exc:
                discard(staging)
                if not isinstance(exc, Exception) or is_disk_full(exc):
                    record.fail_execution(self.store, execution_id, "stopped while staging its "
                                          "inputs", state="CANCELED")
                    if isinstance(exc, Exception):
                        raise disk_full_error(staging, f"(staging inputs of {node.id})") from exc
                    raise
                self._fail(node, f"could not stage its inputs: {exc}", began, execution_id)
                return
        context = ExecutorContext(
            beam_pipeline_args=list(self.pipeline.beam_pipeline_args),
            tmp_dir=str(staging / ".tmp"),
            pipeline_name=self.pipeline.pipeline_name,
            pipeline_root=str(self.root),
            node_id=node.id,
            run_id=self.run_id,
        )
        task = Task(
            log_file=log_file,
            task_id=execution_id,
            node_id=node.id,
            inputs={k: [a.to_dict() for a in v] for k, v in inputs.items()},
            outputs={k: [a.to_dict() for a in v] for k, v in staged.items()},
            exec_properties=properties,
            context=context,
            timeout=node.node_config.timeout_seconds,
            env=dict(node.node_config.env),
            modules=node_modules(node),
        )
        self.running[execution_id] = _Running(node, execution_id, staging, staged, final_uris,
                                              began, inputs, log_file, task)
        if log_file:  # optional hook: a progress view shows the log's latest line
            getattr(self.hooks, "on_node_log", lambda node_id, path: None)(node.id, log_file)
        self.hooks.before_node_run(node.id)
        if self.runner.workers <= 0:
            with self.signals.interruptible():
                result = execute(self.pipeline, task)
            self._finish(result)
            return
        if self.pool is None:
            self.pool = WorkerPool(self.pipeline, self.runner.workers, self.runner.start_method)
        self.pool.submit(task)

    def _finish(self, result: TaskResult) -> None:
        from tfxkit.metadata import record

        running = self.running.pop(result.task_id)
        node = running.node
        if not result.ok and self._retry(running, result):
            return
        if running.log_file:
            mask_file(running.log_file)  # what user code printed may hold a secret
        if not result.ok:
            discard(running.staging)
            details, error = result.details, result.error
            if running.log_file:
                details = _log_tail(running.log_file, self.runner.LOG_TAIL_LINES) + details
                if result.died:
                    where = crash_location(Path(running.log_file).read_text(errors="replace"))
                    error += f" (at {where})" if where else ""
                if result.details:  # the log holds the whole story; the console shows its path
                    with open(running.log_file, "a") as log:
                        log.write(mask_secrets(f"\n--- tfxkit: {node.id} failed ---\n"
                                               f"{result.details}"))
            if result.damaged_input:
                error += _damaged_inputs_note(running.inputs)
            self._fail(node, error, running.started, running.execution_id, details,
                       running.log_file)
            return
        publication = Publication(running.staging, running.final_uris, self.remote)
        try:
            published = publication.publish(result.outputs)
            node_context = record.node_context(self.store, self.pipeline.pipeline_name, node.id)
            seconds = time.perf_counter() - running.started  # as the store stamps finished_at
            record.publish_execution(self.store, running.execution_id,
                                     [*self.contexts, node_context], published)
        except BaseException as exc:
            # Not recorded (one transaction): the files must go too, or they would sit where
            # a LIVE artifact belongs. If the commit did land but its reply was lost, the cache
            # sees the files missing and recomputes.
            publication.undo()
            if not isinstance(exc, Exception):  # a signal while waiting for a locked store
                self.running[running.execution_id] = running  # recorded CANCELED by stop()
                raise
            if isinstance(exc, (MetadataError, DiskFullError)) or is_disk_full(exc):
                self.running[running.execution_id] = running  # stopped with the run
                if isinstance(exc, (MetadataError, DiskFullError)):
                    raise
                raise disk_full_error(running.staging, f"(publishing {node.id})") from exc
            self._fail(node, f"publishing outputs failed: {type(exc).__name__}: {exc}",
                       running.started, running.execution_id)
            return
        self.results[node.id] = NodeResult("ran", seconds, running.execution_id, published)
        self.hooks.after_node_run(node.id, "ran", seconds)
        for group in published.values():
            for artifact in group:
                note = artifact.get_custom_property("note")
                if note:
                    self.hooks.on_node_note(node.id, mask_secrets(str(note)))

    def _retry(self, running: _Running, result: TaskResult) -> bool:
        """Run a failed node again while it has retries left (`with_retries`, as Kubeflow's
        retry policy does, without its back-off): same execution, fresh staging outputs, a
        note per retry. False when no retry is left (the failure then stands)."""
        retries = running.node.node_config.retries
        if running.task is None or running.attempt > retries:
            return False
        running.attempt += 1
        reset_outputs(running.staging, running.outputs)
        self.hooks.on_node_note(running.node.id, f"attempt {running.attempt - 1} failed "
                                f"({result.error.splitlines()[0][:200] if result.error else '?'});"
                                f" retrying (attempt {running.attempt} of {retries + 1})")
        self.running[running.execution_id] = running
        if self.runner.workers <= 0:
            self._finish(execute(self.pipeline, running.task))
        else:
            assert self.pool is not None
            self.pool.submit(running.task)
        return True

    def _node_contexts(self, node: BaseComponent) -> list[Context]:
        from tfxkit.metadata import record

        return [*self.contexts, record.node_context(self.store, self.pipeline.pipeline_name,
                                                    node.id)]

    def _facts(self, node: BaseComponent, began_at: float) -> dict[str, Any]:
        """The custom properties every execution of `node` in this run records."""
        return {"node_id": node.id, "run_id": self.run_id, "pipeline_name":
                self.pipeline.pipeline_name, "component": node.type_name,
                "executor": node.executor_identity(), "started_at": began_at}

    def _fail(self, node: BaseComponent, error: str, began: float, execution_id: int | None,
              details: str = "", log_file: str | None = None) -> None:
        from tfxkit.components._shared.user_code import TRACEBACK_NOTE
        from tfxkit.metadata import record

        if log_file:  # a UserCodeError says where its traceback is: in this log
            error = error.replace(TRACEBACK_NOTE, f"the full traceback is in {log_file}")
        error, details = mask_secrets(error), mask_secrets(details)
        seconds = time.perf_counter() - began  # read as the store stamps finished_at
        if execution_id is not None:
            record.fail_execution(self.store, execution_id, f"{error}\n{details}".strip())
        message = f"component {node.id} ({type(node).__name__}) failed: {error}"
        self.results[node.id] = NodeResult("failed", seconds, execution_id, error=message)
        self.failed = True
        self.hooks.on_node_error(node.id, message, seconds, details, log_file)

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
