"""Data-time checks: once the schema of a node's examples is published, run the node's
`check_against_schema` hook, before Transform or Trainer start.

Which schema a node is checked against: its own `Schema` input when it has one, else the first
`Schema` output (in topological order) of a node that depends on the producer of the node's
`examples` (SchemaGen over StatisticsGen over the same ExampleGen). Reading `schema.pbtxt`
needs only `tensorflow_metadata`'s protos, never TensorFlow.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tfxkit.components._shared.schema import load_schema
from tfxkit.dsl.base_component import BaseComponent
from tfxkit.errors import TfxkitError
from tfxkit.types.standard_artifacts import Schema

if TYPE_CHECKING:
    from tfxkit.dsl.pipeline import Pipeline
    from tfxkit.types.channel import Channel


def has_schema_check(node: BaseComponent) -> bool:
    """Whether `node`'s class overrides `BaseComponent.check_against_schema`."""
    return type(node).check_against_schema is not BaseComponent.check_against_schema


def schema_source(pipeline: Pipeline, node: BaseComponent) -> tuple[BaseComponent, str] | None:
    """(producer, output key) of the schema `node` is checked against, or None."""
    own = [c for c in node.inputs.values() if _is_schema(c) and c.producer is not None]
    if own:
        return own[0].producer, own[0].output_key  # type: ignore[return-value]
    examples = node.inputs.get("examples")
    if examples is None or examples.producer is None:
        return None
    source = examples.producer.id
    for candidate in pipeline.components:
        if candidate is node:
            continue
        for key, channel in candidate.outputs.items():
            if _is_schema(channel) and source in {
                    n.id for n in pipeline.upstream_closure(candidate.id)}:
                return candidate, key
    return None


def _is_schema(channel: Channel) -> bool:
    return isinstance(channel.type, type) and issubclass(channel.type, Schema)


def failed_schema_checks(
    pipeline: Pipeline,
    pending: list[BaseComponent],
    outputs_of: dict[str, dict[str, list[Any]]],
    exec_properties: dict[str, dict[str, Any]],
    checked: set[str],
    will_run: set[str],
    latest: Callable[[str], dict[str, list[Any]] | None],
) -> list[tuple[BaseComponent, str]]:
    """Run the checks of `pending` nodes whose schema is now available.

    Args:
        pipeline: the pipeline.
        pending: nodes not started yet.
        outputs_of: node id -> output key -> artifacts, for nodes that ran, hit the cache or
            were reused.
        exec_properties: resolved parameters by node id.
        checked: ids of nodes already checked (updated).
        will_run: ids of nodes this run has still to run or is running.
        latest: node id -> its newest published outputs, for a schema producer outside the
            run (a partial run such as `--from Evaluator`), or None.

    Returns:
        (node, error message) for each check that failed.
    """
    failures = []
    for node in pending:
        if node.id in checked or not has_schema_check(node):
            continue
        source = schema_source(pipeline, node)
        if source is None:
            checked.add(node.id)
            continue
        producer, key = source
        published = outputs_of.get(producer.id)
        if published is None:
            if producer.id in will_run:
                continue  # not published yet
            published = latest(producer.id) or {}  # outside this (partial) run: its newest
        checked.add(node.id)
        artifacts = published.get(key) or []
        if not artifacts:
            continue
        try:
            schema = load_schema(artifacts[0], node.id)
        except TfxkitError:
            continue  # an unreadable schema is reported by the nodes that read it
        try:
            node.check_against_schema(schema, exec_properties.get(node.id, {}))
        except TfxkitError as exc:
            failures.append((node, str(exc)))
    return failures


__all__ = ["failed_schema_checks", "has_schema_check", "schema_source"]
