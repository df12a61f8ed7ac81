"""One node of a local run (`NodeSteps`, the node half of `run_state.RunState`): from its
inputs to a cache hit or a task, and from the task's result to published outputs or a
recorded failure.

`_start` gathers the node's inputs, computes its cache key (as `run --dry-run` does, in
`plan.py`), takes a cache hit when there is one, else records the execution RUNNING, stages its
outputs (`staging.py`) and hands a `Task` to a worker (or runs it here when `workers` is 0).
`_finish` publishes the outputs and records them LIVE in one transaction, retries a node that
has `with_retries` left, or records the failure with the tail of its log.
"""

from __future__ import annotations

import dataclasses
import json
import time
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from tfxkit.dsl.base_executor import ExecutorContext
from tfxkit.errors import (
    DiskFullError,
    MetadataError,
    TfxkitError,
    disk_full_error,
    is_disk_full,
)
from tfxkit.runners.local.results import NodeResult
from tfxkit.runners.local.staging import (
    Publication,
    create_staging,
    discard,
    existing_paths,
    output_folder,
    reset_outputs,
    staging_folder,
)
from tfxkit.runners.local.workers import (
    Task,
    TaskResult,
    WorkerPool,
    crash_location,
    execute,
    node_modules,
)
from tfxkit.secrets import mask_file, mask_secrets
from tfxkit.types.artifact import Artifact

if TYPE_CHECKING:
    from ml_metadata.metadata_store.metadata_store import MetadataStore
    from ml_metadata.proto.metadata_store_pb2 import Context

    from tfxkit.dsl.base_component import BaseComponent
    from tfxkit.dsl.pipeline import Pipeline
    from tfxkit.runners.local.remote_root import RemoteRoot
    from tfxkit.runners.local.reporter import RunHooks
    from tfxkit.runners.local.signals import SignalGuard


class RunnerSettings(Protocol):
    """What a run reads from its runner: configuration only (see `LocalDagRunner`)."""

    workers: int
    hooks: RunHooks
    capture_logs: bool
    start_method: str | None
    LOG_TAIL_LINES: int


@dataclasses.dataclass
class RunningNode:
    """A node whose task runs: its execution, staging folder and where it publishes."""

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


class NodeSteps:
    """One node's life in a run (the part of `RunState` that handles a single node): start it
    (`_start`: inputs, cache key, cache hit or staging and a task), finish it (`_finish`:
    publish and record LIVE, retry, or record the failure) and record a failure (`fail`)."""

    runner: RunnerSettings
    hooks: RunHooks
    store: MetadataStore
    pipeline: Pipeline
    root: Path
    run_id: str
    contexts: list[Context]
    exec_properties: dict[str, dict]
    cache: bool
    results: dict[str, NodeResult]
    running: dict[int, RunningNode]
    pool: WorkerPool | None
    failed: bool
    signals: SignalGuard
    suffix: str
    remote: RemoteRoot | None
    store_display: str

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
                self.store, node.type_name, self.node_contexts(node),
                inputs, {**self.facts(node, began_at), **record.encode_parameters(properties)})
            self.fail(node, f"{type(exc).__name__}: {exc}", began, execution_id, details)
            return
        contexts = self.node_contexts(node)
        # the key and its parts (`runs --diff`, `runs --why`, `run --dry-run` read them)
        facts = {**self.facts(node, began_at), **computed.facts(),
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
                self.fail(node, str(exc), began, execution_id)
                return
        if taken:  # another store's outputs: never overwrite them
            self.fail(node, f"its output folder {taken[0]} already exists, but this ML Metadata "
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
                self.fail(node, f"could not create its staging folder {staging}: {exc}", began,
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
                self.fail(node, f"could not stage its inputs: {exc}", began, execution_id)
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
        self.running[execution_id] = RunningNode(node, execution_id, staging, staged, final_uris,
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
            self.fail(node, error, running.started, running.execution_id, details,
                       running.log_file)
            return
        publication = Publication(running.staging, running.final_uris, self.remote)
        try:
            published = publication.publish(result.outputs)
            node_context = record.node_context(self.store, self.pipeline.pipeline_name, node.id)
            seconds = time.perf_counter() - running.started  # as the store stamps finished_at
            record.publish_execution(self.store, running.execution_id,
                                     [*self.contexts, node_context], published,
                                     _phase_properties(result))
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
            self.fail(node, f"publishing outputs failed: {type(exc).__name__}: {exc}",
                       running.started, running.execution_id)
            return
        self.results[node.id] = NodeResult("ran", seconds, running.execution_id, published)
        self.hooks.after_node_run(node.id, "ran", seconds)
        for group in published.values():
            for artifact in group:
                note = artifact.get_custom_property("note")
                if note:
                    self.hooks.on_node_note(node.id, mask_secrets(str(note)))


    def _retry(self, running: RunningNode, result: TaskResult) -> bool:
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

    def node_contexts(self, node: BaseComponent) -> list[Context]:
        """The ML Metadata contexts an execution of `node` belongs to: pipeline, run, node."""
        from tfxkit.metadata import record

        return [*self.contexts, record.node_context(self.store, self.pipeline.pipeline_name,
                                                    node.id)]

    def facts(self, node: BaseComponent, began_at: float) -> dict[str, Any]:
        """The custom properties every execution of `node` in this run records."""
        return {"node_id": node.id, "run_id": self.run_id, "pipeline_name":
                self.pipeline.pipeline_name, "component": node.type_name,
                "executor": node.executor_identity(), "started_at": began_at}

    def fail(self, node: BaseComponent, error: str, began: float, execution_id: int | None,
              details: str = "", log_file: str | None = None) -> None:
        """Record `node` failed with `error` (secrets masked; its execution FAILED when it has
        one), report it to the hooks, and mark the run failed (no further node starts)."""
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


PHASE_SECONDS = "phase_seconds"  # execution property: JSON seconds per phase (_shared/phases.py)


def _phase_properties(result: TaskResult) -> dict[str, str]:
    """The execution properties recording where the node's time went (`phase_seconds`:
    JSON `{"import": s, "setup": s, "work": s, "export": s}`), or none when not timed."""
    return {PHASE_SECONDS: json.dumps(result.phases)} if result.phases else {}


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


__all__ = ["PHASE_SECONDS", "NodeSteps", "RunnerSettings", "RunningNode"]
