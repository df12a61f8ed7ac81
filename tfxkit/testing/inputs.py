"""Where a step's upstream artifacts come from: the project's pipeline, one of its nodes, and
that node's inputs as a run of the pipeline recorded them in ML Metadata (read-only), plus the
errors `run_step` and `snapshot_inputs` raise when they cannot be found.

Shared by `tfxkit.testing.steps` (running a step) and `tfxkit.testing.fixtures` (golden
inputs); imports only the standard library and tfxkit's light layers.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tfxkit.dsl.names import did_you_mean
from tfxkit.errors import DataError, PipelineDefinitionError, StoreNotFoundError, TfxkitError
from tfxkit.types.artifact import Artifact

if TYPE_CHECKING:
    from tfxkit.dsl.base_component import BaseComponent
    from tfxkit.dsl.pipeline import Pipeline


class StepInputsError(TfxkitError, ValueError):
    """The upstream artifacts of a step could not be found: no store, no run, an upstream node
    that never completed, an artifact missing on disk, or no golden inputs. The message says
    which, and what to run to make them."""


class FixturesNotFoundError(StepInputsError):
    """No golden inputs (`tests/fixtures/<node>/manifest.json`) for a step; the message names
    the command that makes them (`tfxkit snapshot NODE`)."""


# -- which pipeline -------------------------------------------------------------------------
def load_project_pipeline(pipeline: Pipeline | str | os.PathLike[str] | None,
                          pipeline_params: Mapping[str, Any] | None = None
                          ) -> tuple[Pipeline, Path | None]:
    """The pipeline to take the step from, and the project folder it belongs to (None if it is
    in none): a Pipeline object as it is; a project folder or pipeline file loaded with
    `create_pipeline(**pipeline_params)`; None: the project of the working folder.

    Raises:
        PipelineLoadError: the file cannot be found or built (from tfxkit.project.loading).
    """
    from tfxkit.dsl.pipeline import Pipeline
    from tfxkit.project.loading import find_pipeline_file, find_project_root, load_pipeline

    if isinstance(pipeline, Pipeline):
        if pipeline_params:
            raise TypeError("pipeline_params builds a pipeline from its file; pass the project "
                            "folder or pipeline file instead of a Pipeline object.")
        return pipeline, find_project_root()
    file = find_pipeline_file(os.fspath(pipeline) if pipeline is not None else None)
    built, _ = load_pipeline(file, dict(pipeline_params or {}))
    return built, find_project_root(Path(file).absolute().parent)


def node_of(pipeline: Pipeline, node_id: str) -> BaseComponent:
    """The component `node_id` of `pipeline`; StepInputsError listing the nodes otherwise."""
    for node in pipeline.components:
        if node.id == node_id:
            return node
    ids = [n.id for n in pipeline.components]
    hint = did_you_mean(node_id, ids)
    raise PipelineDefinitionError(
        f"Pipeline {pipeline.pipeline_name!r} has no step {node_id!r}.{hint} Steps: "
        f"{', '.join(ids)}.")


# -- inputs from the store --------------------------------------------------------------------
def _missing_on_disk(artifacts: Mapping[str, list[Artifact]]) -> tuple[str, Artifact] | None:
    for key, group in artifacts.items():
        for artifact in group:
            if not artifact.uri or not os.path.exists(artifact.uri):
                return key, artifact
    return None


def store_inputs(pipeline: Pipeline, node: BaseComponent, run: str, metadata: str | None
                 ) -> tuple[dict[str, list[Artifact]], str]:
    """The artifacts `node` reads, from the ML Metadata store (opened read-only), and the id of
    the run they come from.

    `run="latest"`: each upstream node's newest completed (or cached) execution, as
    `tfxkit run --only NODE` takes them. A run id (or `latest~N`): the executions that run
    used, including those a partial run reused from earlier runs.

    Raises:
        StepInputsError: no store, no run, an upstream node without a completed execution, or
            an upstream artifact whose folder is gone.
    """
    from tfxkit.metadata import connect, query, record
    from tfxkit.metadata.cache import execution_outputs

    location = metadata or pipeline.metadata
    name = pipeline.pipeline_name
    try:
        store = connect(location, read_only=True)
    except StoreNotFoundError as exc:
        raise StepInputsError(
            f"No ML Metadata store at {exc.location or location}: pipeline {name!r} has not run "
            f"here. Run it first (`tfxkit run`), or run the step on its golden inputs: "
            f"run_step({node.id!r}, inputs='fixtures') after `tfxkit snapshot {node.id}` "
            f"was run where the pipeline has run.") from exc
    try:
        context = query.find_run(store, run, name)
    except DataError as exc:
        raise StepInputsError(f"{exc} (looking for the inputs of {node.id}; metadata: "
                              f"{location})") from exc
    run_id = str(record.custom(context, "run_id", context.name))
    record_nodes = None if run == "latest" else query.load_run_record(store, run, name).nodes
    upstream_ids = {c.producer.id for c in node.inputs.values() if c.producer is not None}
    outputs: dict[str, dict[str, list[Artifact]]] = {}
    sources: dict[str, str] = {}
    for upstream in sorted(upstream_ids):
        if record_nodes is not None:
            facts = record_nodes.get(upstream)
            if facts is None or facts.state not in ("COMPLETE", "CACHED"):
                state = "is not part of it" if facts is None else f"ended {facts.state}"
                raise StepInputsError(
                    f"Run {run_id}: {node.id} needs the outputs of {upstream}, which "
                    f"{state}. Pick a run where {upstream} completed (`tfxkit runs`), or "
                    f"run='latest'.")
            found = execution_outputs(store, facts.execution_id)
            sources[upstream] = facts.run_id
        else:
            latest = _latest_completed(store, name, upstream)
            if latest is None:
                raise StepInputsError(
                    f"{node.id} needs the outputs of {upstream}, but {upstream} has no completed "
                    f"execution in pipeline {name!r} (metadata: {location}). Run it first: "
                    f"`tfxkit run --to {upstream}`.")
            execution, found = latest
            sources[upstream] = str(record.custom(execution, "run_id", ""))
        missing = _missing_on_disk(found)
        if missing is not None:
            key, artifact = missing
            raise StepInputsError(
                f"{upstream}'s {key!r} artifact (id {artifact.id}, {artifact.TYPE_NAME}) is "
                f"missing on disk: {artifact.uri} does not exist (deleted or moved). Re-run "
                f"{upstream} to make it again: `tfxkit run --from {upstream} --to {upstream} "
                f"--no-cache`, or `tfxkit run --to {upstream} --no-cache`.")
        outputs[upstream] = found
    inputs = {key: list(outputs[channel.producer.id].get(channel.output_key, []))
              for key, channel in node.inputs.items() if channel.producer is not None}
    if record_nodes is None:
        newest = sorted(sources.values())
        run_id = newest[-1] if newest else run_id
    return inputs, run_id


def _latest_completed(store: Any, pipeline_name: str, node_id: str
                      ) -> tuple[Any, dict[str, list[Artifact]]] | None:
    """The newest COMPLETE or CACHED execution of a node and its outputs (files not checked)."""
    from ml_metadata.proto import metadata_store_pb2 as pb

    from tfxkit.metadata import record
    from tfxkit.metadata.cache import execution_outputs

    context = store.get_context_by_type_and_name(record.NODE_CONTEXT,
                                                 f"{pipeline_name}.{node_id}")
    if context is None:
        return None
    done = (pb.Execution.COMPLETE, pb.Execution.CACHED)
    executions = [e for e in store.get_executions_by_context(context.id)
                  if e.last_known_state in done]
    if not executions:
        return None
    newest = max(executions, key=lambda e: e.id)
    return newest, execution_outputs(store, newest.id)


def store_exists(location: str) -> bool:
    """Whether the ML Metadata store at `location` exists: a MySQL/MariaDB URL counts as
    existing (the server is asked later), a SQLite path only when the file is there; an
    unparsable location is False. Never creates anything."""
    from tfxkit.metadata.store import parse

    try:
        info = parse(location)
    except TfxkitError:
        return False
    return info.kind != "sqlite" or Path(info.path).is_file()
