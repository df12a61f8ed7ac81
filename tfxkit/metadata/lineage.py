"""Reading the record back: latest outputs of a node, runs, and the lineage of an artifact."""

from __future__ import annotations

import dataclasses
import json
from typing import TYPE_CHECKING, Any

from tfxkit.metadata import record
from tfxkit.metadata.cache import execution_outputs, outputs_intact
from tfxkit.types.artifact import Artifact

if TYPE_CHECKING:
    from ml_metadata.metadata_store.metadata_store import MetadataStore


def _state_name(execution: Any) -> str:
    from ml_metadata.proto import metadata_store_pb2 as pb

    name = pb.Execution.State.Name(execution.last_known_state)
    return "ABANDONED" if record.custom(execution, "abandoned") else name


def latest_outputs(
    store: MetadataStore, pipeline_name: str, node_id: str
) -> tuple[int, dict[str, list[Artifact]]] | None:
    """(execution id, outputs) of the newest COMPLETE or CACHED execution of a node whose
    outputs are intact, or None when the node never produced usable outputs."""
    from ml_metadata.proto import metadata_store_pb2 as pb

    context = store.get_context_by_type_and_name(record.NODE_CONTEXT, f"{pipeline_name}.{node_id}")
    if context is None:
        return None
    done = (pb.Execution.COMPLETE, pb.Execution.CACHED)
    executions = [e for e in store.get_executions_by_context(context.id)
                  if e.last_known_state in done]
    for execution in sorted(executions, key=lambda e: e.id, reverse=True):
        outputs = execution_outputs(store, execution.id)
        if outputs_intact(outputs):
            return execution.id, outputs
    return None


@dataclasses.dataclass
class NodeOutcome:
    """One node's execution in a run."""

    node_id: str
    execution_id: int
    state: str
    seconds: float
    error: str = ""


@dataclasses.dataclass
class RunSummary:
    """A recorded run: its id, pipeline, start time and node outcomes."""

    pipeline_name: str
    run_id: str
    started_at: float
    nodes: list[NodeOutcome]


def list_runs(store: MetadataStore, pipeline_name: str | None = None,
              limit: int = 10) -> list[RunSummary]:
    """The newest `limit` runs (optionally of one pipeline), newest first."""
    contexts = [c for c in store.get_contexts_by_type(record.RUN_CONTEXT)
                if pipeline_name is None or record.custom(c, "pipeline_name") == pipeline_name]
    contexts.sort(key=lambda c: c.create_time_since_epoch, reverse=True)
    runs = []
    for context in contexts[:limit]:
        nodes = []
        for execution in sorted(store.get_executions_by_context(context.id), key=lambda e: e.id):
            started = record.custom(execution, "started_at", 0.0)
            finished = record.custom(execution, "finished_at", started)
            nodes.append(NodeOutcome(
                node_id=record.custom(execution, "node_id", "?"),
                execution_id=execution.id,
                state=_state_name(execution),
                seconds=max(0.0, float(finished) - float(started)),
                error=record.custom(execution, "error", ""),
            ))
        runs.append(RunSummary(
            pipeline_name=record.custom(context, "pipeline_name", ""),
            run_id=record.custom(context, "run_id", context.name),
            started_at=context.create_time_since_epoch / 1000.0,
            nodes=nodes,
        ))
    return runs


def find_artifact(store: MetadataStore, ref: str) -> Artifact | None:
    """The artifact `ref` names: an id (digits), an artifact uri (newest if several; relative
    paths and symlinks resolved), or a pushed model version folder (`serving_model/1`, as the
    Pusher prints it), which names the PushedModel artifact of that push."""
    if ref.isdigit():
        found = record.load_artifacts(store, [int(ref)])
        return found.get(int(ref))
    protos = []
    for uri in _spellings(ref):
        protos = store.get_artifacts_by_uri(uri)
        if protos:
            break
    if not protos:
        return find_pushed_model(store, ref)
    newest = max(protos, key=lambda p: p.id)
    return record.load_artifacts(store, [newest.id])[newest.id]


def _spellings(location: str) -> list[str]:
    """`location` as given, absolute, and with symlinks resolved (local paths), no trailing /."""
    import os

    given = location.rstrip("/") or location
    if "://" in given:
        return [given]
    found = [given, os.path.abspath(given), os.path.realpath(given)]
    return list(dict.fromkeys(found))


def _pushed_models(store: MetadataStore) -> dict[str, Any]:
    """PushedModel artifact protos by the version folder they pushed to (newest push wins,
    keyed by every spelling of the folder); not-pushed ones are absent."""
    try:
        pushed_type = store.get_artifact_type("PushedModel")
    except Exception:  # no PushedModel was ever recorded in this store
        return {}
    found: dict[str, Any] = {}
    for proto in sorted(store.get_artifacts_by_type(pushed_type.name), key=lambda p: p.id):
        destination = str(record.custom(proto, "pushed_destination", "") or "")
        if destination:
            for spelling in _spellings(destination):
                found[spelling] = proto
    return found


def find_pushed_model(store: MetadataStore, version_path: str) -> Artifact | None:
    """The PushedModel artifact whose push made the version folder `version_path` (relative
    or absolute, e.g. `serving_model/1`), from its `pushed_destination` property; None when
    this store recorded no push there."""
    pushed = _pushed_models(store)
    proto = next((pushed[s] for s in _spellings(version_path) if s in pushed), None)
    if proto is None:
        return None
    return record.load_artifacts(store, [proto.id])[proto.id]


def lineage(store: MetadataStore, artifact_id: int, depth: int = 20) -> dict[str, Any]:
    """What produced artifact `artifact_id`: the producing execution (node, run, parameters,
    code hashes, state) and, recursively, the lineage of each of its inputs."""
    from ml_metadata.proto import metadata_store_pb2 as pb

    artifact = record.load_artifacts(store, [artifact_id])[artifact_id]
    result: dict[str, Any] = {"artifact": artifact.to_dict(), "produced_by": None}
    producers = [e for e in store.get_events_by_artifact_ids([artifact_id])
                 if e.type == pb.Event.OUTPUT]
    if not producers or depth <= 0:
        return result
    # The original producer is the oldest execution that output it (later ones are cache hits).
    execution_id = min(e.execution_id for e in producers)
    [execution] = store.get_executions_by_id([execution_id])
    props = {k: record.get_value(v) for k, v in execution.custom_properties.items()}
    inputs: dict[str, list[dict[str, Any]]] = {}
    input_events = [e for e in store.get_events_by_execution_ids([execution_id])
                    if e.type == pb.Event.INPUT]
    for event in input_events:
        key = event.path.steps[0].key if event.path.steps else ""
        inputs.setdefault(key, []).append(lineage(store, event.artifact_id, depth - 1))
    result["produced_by"] = {
        "execution_id": execution_id,
        "node_id": props.get("node_id"),
        "run_id": props.get("run_id"),
        "component": props.get("component"),
        "state": _state_name(execution),
        "parameters": {k[len("param."):]: json.loads(v) for k, v in props.items()
                       if k.startswith("param.")},
        "user_code": {k[len("code."):]: v for k, v in props.items() if k.startswith("code.")},
        "inputs": inputs,
    }
    return result


def pushed_model_history(store: MetadataStore, version_paths: list[str]) -> dict[str, Any]:
    """For each pushed version folder, what produced it: the Pusher's run, the model, the
    Evaluator's overall metrics for that model, and the examples the model was trained from.

    Returns `{version_path: {"run_id", "model_uri", "metrics", "data"}}` for the versions this
    store knows (pushes recorded elsewhere are simply absent).
    """
    from ml_metadata.proto import metadata_store_pb2 as pb

    found: dict[str, Any] = {}
    pushed = _pushed_models(store)
    for path in version_paths:
        destination = str(path)
        proto = next((pushed[s] for s in _spellings(destination) if s in pushed), None)
        if proto is None:
            continue
        tree = lineage(store, proto.id)
        producer = tree["produced_by"] or {}
        model_tree = (producer.get("inputs", {}).get("model") or [{}])[0]
        model = model_tree.get("artifact", {})
        metrics: dict[str, Any] = {}
        model_events = store.get_events_by_artifact_ids([model["id"]]) if model else []
        consumers = [e.execution_id for e in model_events if e.type == pb.Event.INPUT]
        for event in store.get_events_by_execution_ids(consumers):
            if event.type != pb.Event.OUTPUT:
                continue
            [artifact] = store.get_artifacts_by_id([event.artifact_id])
            text = record.custom(artifact, "overall_metrics")
            if text:
                metrics = json.loads(text)
        found[destination] = {
            "run_id": producer.get("run_id"),
            "model_uri": model.get("uri"),
            "metrics": metrics,
            "data": sorted(_source_data(model_tree)),
        }
    return found


def _source_data(tree: dict[str, Any]) -> set[str]:
    """Input locations (`input_base` parameters) at the roots of a lineage tree."""
    producer = tree.get("produced_by") or {}
    sources = set()
    if "input_base" in producer.get("parameters", {}):
        sources.add(str(producer["parameters"]["input_base"]))
    for subtrees in producer.get("inputs", {}).values():
        for subtree in subtrees:
            sources |= _source_data(subtree)
    return sources
