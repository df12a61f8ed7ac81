"""Recording runs in ML Metadata: contexts, executions with states, artifacts, events.

Small functions over an `ml_metadata` store. Every write that must be all-or-nothing (an
execution with its events and artifacts) is one `put_execution` call, i.e. one transaction, so
a crash never leaves half a record. Context names: pipeline `{pipeline}`, run
`{pipeline}.{run_id}`, node `{pipeline}.{node_id}`.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Callable, Collection, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from tfxkit import fs
from tfxkit.metadata.store import retrying
from tfxkit.secrets import mask_secrets
from tfxkit.types.artifact import Artifact, ArtifactState, PropertyType
from tfxkit.types.standard_artifacts import artifact_class

if TYPE_CHECKING:
    from ml_metadata.metadata_store.metadata_store import MetadataStore
    from ml_metadata.proto.metadata_store_pb2 import Artifact as MlmdArtifact
    from ml_metadata.proto.metadata_store_pb2 import Context, Event, Execution

PIPELINE_CONTEXT = "pipeline"
# Custom property of a pipeline context: suffix of the output folder names of this store in the
# pipeline root, set when the store first met a root holding another store's outputs.
OUTPUT_SUFFIX = "tfxkit_output_suffix"
RUN_CONTEXT = "pipeline_run"
NODE_CONTEXT = "node"
T = TypeVar("T")
MAX_ERROR_CHARS = 8000

_MLMD_TYPES = {PropertyType.INT: "INT", PropertyType.FLOAT: "DOUBLE", PropertyType.STRING: "STRING"}
_STATE_NAMES = {
    ArtifactState.PENDING: "PENDING",
    ArtifactState.LIVE: "LIVE",
    ArtifactState.ABANDONED: "ABANDONED",
    ArtifactState.DELETED: "DELETED",
}


def _pb() -> Any:
    from ml_metadata.proto import metadata_store_pb2

    return metadata_store_pb2


# -- values ------------------------------------------------------------------------------------
def set_value(target: Any, value: Any) -> None:
    """Write a Python int / float / str / bool into an MLMD Value proto. Text is masked
    (`tfxkit.secrets.mask_secrets`): no password, token or secret environment value is ever
    recorded in ML Metadata, whatever property or error message carries it."""
    if isinstance(value, bool):
        target.int_value = int(value)
    elif isinstance(value, int):
        target.int_value = value
    elif isinstance(value, float):
        target.double_value = value
    else:
        target.string_value = mask_secrets(str(value))


def get_value(value: Any) -> Any:
    """Read an MLMD Value proto as a Python int / float / str."""
    kind = value.WhichOneof("value")
    if kind == "int_value":
        return value.int_value
    if kind == "double_value":
        return value.double_value
    if kind == "string_value":
        return value.string_value
    return None


def custom(proto: Any, name: str, default: Any = None) -> Any:
    """Custom property `name` of an MLMD execution/artifact/context proto, or `default`."""
    if name in proto.custom_properties:
        return get_value(proto.custom_properties[name])
    return default


# -- types and contexts ------------------------------------------------------------------------
def _register(action: Callable[[], T], what: str) -> T:
    """Register a type: idempotent, but two runs registering it at once make one of them see
    AlreadyExists; the second attempt then finds the type the other run created."""
    from ml_metadata import errors as mlmd_errors

    try:
        return retrying(action, what)
    except mlmd_errors.AlreadyExistsError:
        return retrying(action, what)


def artifact_type_id(store: MetadataStore, cls: type[Artifact]) -> int:
    """Register (or find) the MLMD artifact type of `cls`, with its declared properties."""
    pb = _pb()
    artifact_type = pb.ArtifactType(name=cls.TYPE_NAME)
    for name, ptype in cls.PROPERTIES.items():
        artifact_type.properties[name] = getattr(pb, _MLMD_TYPES[ptype])
    return int(_register(lambda: store.put_artifact_type(artifact_type, can_add_fields=True),
                         f"registering artifact type {cls.TYPE_NAME}"))


def execution_type_id(store: MetadataStore, type_name: str) -> int:
    """Register (or find) the MLMD execution type named after a component class."""
    pb = _pb()
    return int(_register(lambda: store.put_execution_type(pb.ExecutionType(name=type_name),
                                                          can_add_fields=True),
                         f"registering execution type {type_name}"))


def get_or_create_context(
    store: MetadataStore, type_name: str, name: str, properties: Mapping[str, Any] | None = None
) -> Context:
    """Return the context (`type_name`, `name`), creating it with custom `properties` if new."""
    pb = _pb()
    existing = store.get_context_by_type_and_name(type_name, name)
    if existing is not None:
        return existing
    type_id = _register(lambda: store.put_context_type(pb.ContextType(name=type_name)),
                        f"registering context type {type_name}")
    context = pb.Context(type_id=type_id, name=name)
    for key, value in (properties or {}).items():
        set_value(context.custom_properties[key], value)
    from ml_metadata import errors as mlmd_errors

    try:
        [context.id] = retrying(lambda: store.put_contexts([context]), f"creating context {name}")
    except mlmd_errors.AlreadyExistsError:  # created concurrently by another run
        found = store.get_context_by_type_and_name(type_name, name)
        assert found is not None
        return found
    return context


def pipeline_context(store: MetadataStore, pipeline_name: str,
                     properties: Mapping[str, Any] | None = None) -> Context:
    """The context grouping every run and node of pipeline `pipeline_name`; `properties` are
    set only when it is created (e.g. `OUTPUT_SUFFIX`)."""
    return get_or_create_context(store, PIPELINE_CONTEXT, pipeline_name, properties)


def run_context(store: MetadataStore, pipeline_name: str, run_id: str,
                properties: Mapping[str, Any] | None = None) -> Context:
    """The context of one run (`{pipeline}.{run_id}`), with run facts as custom properties."""
    return get_or_create_context(store, RUN_CONTEXT, f"{pipeline_name}.{run_id}",
                                 {"pipeline_name": pipeline_name, "run_id": run_id,
                                  **(properties or {})})


def node_context(store: MetadataStore, pipeline_name: str, node_id: str) -> Context:
    """The context of one node across runs (`{pipeline}.{node_id}`)."""
    return get_or_create_context(store, NODE_CONTEXT, f"{pipeline_name}.{node_id}",
                                 {"pipeline_name": pipeline_name, "node_id": node_id})


# -- artifacts ---------------------------------------------------------------------------------
def files_fingerprint(uri: str) -> tuple[int, int]:
    """(file count, total bytes) under `uri`: cheap evidence that published files are intact.
    An object-store URI is listed on its store (`tfxkit.fs.tree_fingerprint`)."""
    if fs.is_object_store(uri):
        return fs.tree_fingerprint(uri)
    path = Path(uri)
    if path.is_file():
        return 1, path.stat().st_size
    count = size = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            count += 1
            size += os.stat(os.path.join(root, name)).st_size
    return count, size


def to_proto(store: MetadataStore, artifact: Artifact) -> MlmdArtifact:
    """The MLMD form of `artifact` (registering its type if needed)."""
    pb = _pb()
    proto = pb.Artifact(type_id=artifact_type_id(store, type(artifact)), uri=artifact.uri)
    if artifact.id is not None:
        proto.id = artifact.id
    proto.state = getattr(pb.Artifact, _STATE_NAMES[artifact.state])
    for key, value in artifact.properties.items():
        set_value(proto.properties[key], value)
    for key, value in artifact.custom_properties.items():
        set_value(proto.custom_properties[key], value)
    return proto


def from_proto(proto: MlmdArtifact, type_name: str) -> Artifact:
    """The tfxkit form of an MLMD artifact of type `type_name`."""
    pb = _pb()
    cls = artifact_class(type_name)
    artifact = cls(uri=proto.uri)
    artifact.id = proto.id
    for key, value in proto.properties.items():
        artifact.properties[key] = get_value(value)
    for key, value in proto.custom_properties.items():
        artifact.custom_properties[key] = get_value(value)
    state_name = pb.Artifact.State.Name(proto.state)
    artifact.state = ArtifactState(state_name) if state_name in ArtifactState.__members__ else (
        ArtifactState.PENDING)
    return artifact


def load_artifacts(store: MetadataStore, ids: Iterable[int]) -> dict[int, Artifact]:
    """Artifacts by id, as tfxkit artifacts of their recorded types."""
    ids = list(ids)
    if not ids:
        return {}
    protos = store.get_artifacts_by_id(ids)
    type_names = {t.id: t.name for t in store.get_artifact_types_by_id(
        list({p.type_id for p in protos}))}
    return {p.id: from_proto(p, type_names[p.type_id]) for p in protos}


def _event(kind: str, key: str, index: int) -> Event:
    pb = _pb()
    event = pb.Event(type=getattr(pb.Event, kind))
    event.path.steps.add().key = key
    event.path.steps.add().index = index
    return event


def _artifact_events(
    store: MetadataStore, kind: str, artifacts: Mapping[str, list[Artifact]], existing: bool
) -> list[tuple[MlmdArtifact, Event]]:
    pairs = []
    by_id = {}
    if existing:
        ids = [a.id for group in artifacts.values() for a in group if a.id is not None]
        by_id = {p.id: p for p in store.get_artifacts_by_id(ids)} if ids else {}
    for key, group in artifacts.items():
        for index, artifact in enumerate(group):
            proto = by_id[artifact.id] if existing and artifact.id in by_id else to_proto(
                store, artifact)
            pairs.append((proto, _event(kind, key, index)))
    return pairs


# -- executions --------------------------------------------------------------------------------
def start_execution(
    store: MetadataStore,
    type_name: str,
    contexts: list[Context],
    inputs: Mapping[str, list[Artifact]],
    facts: Mapping[str, Any],
) -> int:
    """Record a RUNNING execution with its input events; return its id.

    `facts` become custom properties (node id, run id, cache key, parameters, code hashes;
    `started_at`, epoch seconds, defaults to now: the runner passes the instant its clock for
    the node started, so `tfxkit run`, `runs` and `report` show the same times). The runner's
    pid and host are added so a later run can tell a killed run's leftovers.
    """
    pb = _pb()
    execution = pb.Execution(type_id=execution_type_id(store, type_name),
                             last_known_state=pb.Execution.RUNNING)
    for key, value in {"started_at": time.time(), **facts, "runner_pid": os.getpid(),
                       "runner_host": socket.gethostname()}.items():
        set_value(execution.custom_properties[key], value)
    pairs = _artifact_events(store, "INPUT", inputs, existing=True)
    execution_id, _, _ = retrying(
        lambda: store.put_execution(execution, pairs, contexts,
                                    reuse_context_if_already_exist=True),
        "recording the start of an execution",
    )
    return int(execution_id)


def _finish(store: MetadataStore, execution_id: int, state: str,
            extra: Mapping[str, Any]) -> Execution:
    pb = _pb()
    [execution] = store.get_executions_by_id([execution_id])
    execution.last_known_state = getattr(pb.Execution, state)
    for key, value in {**extra, "finished_at": time.time()}.items():
        set_value(execution.custom_properties[key], value)
    return execution


def publish_execution(
    store: MetadataStore,
    execution_id: int,
    contexts: list[Context],
    outputs: Mapping[str, list[Artifact]],
    properties: Mapping[str, Any] | None = None,
) -> None:
    """Mark the execution COMPLETE and record its outputs as LIVE artifacts, in one transaction.

    Call only after the output files are in their final place. Sets `id` and `state` on the
    given artifacts and records each artifact's file count and size for later integrity checks.
    `properties` are further custom properties of the execution (e.g. `phase_seconds`).
    """
    for group in outputs.values():
        for artifact in group:
            count, size = files_fingerprint(artifact.uri)
            artifact.set_custom_property("tfxkit_file_count", count)
            artifact.set_custom_property("tfxkit_total_bytes", size)
            artifact.state = ArtifactState.LIVE
    execution = _finish(store, execution_id, "COMPLETE", properties or {})
    pairs = _artifact_events(store, "OUTPUT", outputs, existing=False)
    _, artifact_ids, _ = retrying(
        lambda: store.put_execution(execution, pairs, contexts,
                                    reuse_context_if_already_exist=True),
        "publishing an execution's outputs",
    )
    flat = [a for group in outputs.values() for a in group]
    for artifact, artifact_id in zip(flat, artifact_ids, strict=True):
        artifact.id = artifact_id


def fail_execution(store: MetadataStore, execution_id: int, message: str,
                   state: str = "FAILED") -> None:
    """Mark the execution FAILED (or CANCELED) with the error message; it published nothing."""
    execution = _finish(store, execution_id, state, {"error": message[-MAX_ERROR_CHARS:]})
    retrying(lambda: store.put_executions([execution]), "recording a failed execution")


def record_cached_execution(
    store: MetadataStore,
    type_name: str,
    contexts: list[Context],
    inputs: Mapping[str, list[Artifact]],
    outputs: Mapping[str, list[Artifact]],
    facts: Mapping[str, Any],
) -> int:
    """Record a CACHED execution that reuses existing output artifacts; return its id. Its
    `started_at` is `facts["started_at"]` when given (when the cache lookup began), else now."""
    pb = _pb()
    execution = pb.Execution(type_id=execution_type_id(store, type_name),
                             last_known_state=pb.Execution.CACHED)
    now = time.time()
    for key, value in {"started_at": now, **facts, "finished_at": now}.items():
        set_value(execution.custom_properties[key], value)
    pairs = _artifact_events(store, "INPUT", inputs, existing=True)
    pairs += _artifact_events(store, "OUTPUT", outputs, existing=True)
    execution_id, _, _ = retrying(
        lambda: store.put_execution(execution, pairs, contexts,
                                    reuse_context_if_already_exist=True),
        "recording a cached execution",
    )
    return int(execution_id)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def abandon_stale_executions(store: MetadataStore, pipeline_name: str,
                             live_runs: Collection[str] = ()) -> list[Execution]:
    """Mark RUNNING executions of `pipeline_name` whose run is over as CANCELED (custom property
    `abandoned`=1) and return them; their staged outputs were never published.

    A run is over when its runner process on this host is gone (killed, crashed), or when it
    was this process and its run id is not in `live_runs` (a run here that lost its store).
    Executions of other hosts are left alone: nothing here can tell whether they are alive.
    """
    pb = _pb()
    context = store.get_context_by_type_and_name(PIPELINE_CONTEXT, pipeline_name)
    if context is None:
        return []
    host = socket.gethostname()
    stale = []
    for execution in store.get_executions_by_context(context.id):
        if execution.last_known_state != pb.Execution.RUNNING:
            continue
        if custom(execution, "runner_host") != host:
            continue  # another machine's run: cannot tell if it is alive
        pid = custom(execution, "runner_pid")
        if pid == os.getpid():
            if custom(execution, "run_id") in live_runs:
                continue
            reason = "its run in this process stopped"
        elif pid is not None and _process_alive(int(pid)):
            continue
        else:
            reason = f"runner process {pid} on {host} ended (killed or crashed)"
        execution.last_known_state = pb.Execution.CANCELED
        set_value(execution.custom_properties["abandoned"], 1)
        set_value(execution.custom_properties["error"],
                  f"{reason} while this execution was running; its outputs were never "
                  f"published")
        set_value(execution.custom_properties["finished_at"], time.time())
        stale.append(execution)
    if stale:
        retrying(lambda: store.put_executions(stale), "marking abandoned executions")
    return stale


def encode_parameters(exec_properties: Mapping[str, Any]) -> dict[str, str]:
    """Execution parameters as `param.<name>` custom properties (JSON text), for lineage."""
    return {f"param.{k}": json.dumps(v, sort_keys=True) for k, v in exec_properties.items()}
