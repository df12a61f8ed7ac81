"""A run explained before it starts (`tfxkit run --dry-run`): per node, "would run" or "cached"
and why.

`plan_run` walks the selected nodes in topological order exactly as `LocalDagRunner` would:
the same selection (`--from`, `--to`, `--only`; unselected upstream nodes reuse their latest
outputs), the same runtime parameters, the same pre-run checks, the same cache key
(`tfxkit.metadata.cache.compute_cache_key`) and the same cache lookup (`find_cache_hit`), with
the outputs of nodes that would be cache hits as the inputs of the nodes after them. A node
downstream of one that would run, runs too (its input artifacts will be new). Reasons compare
the node's key parts with the newest earlier execution of the node that completed
(`tfxkit.metadata.explain`): which parameter, input artifact, code file or library changed.

Touches nothing: the ML Metadata store is opened read-only (a missing store means no earlier
execution; none is created), no folder is made, nothing is recorded, and no TensorFlow is
imported (only what a fully cached run reads).
"""

from __future__ import annotations

import dataclasses
import json
from typing import TYPE_CHECKING, Any

from tfxkit.dsl.pipeline import Pipeline
from tfxkit.errors import PipelineDefinitionError, StoreNotFoundError, TfxkitError
from tfxkit.metadata.explain import Explanation, Reason, describe, param_texts, why_ran
from tfxkit.types.artifact import Artifact

if TYPE_CHECKING:
    from ml_metadata.metadata_store.metadata_store import MetadataStore

WOULD_RUN = "would run"
CACHED = "cached"
REUSED = "reused"
WOULD_FAIL = "would fail"
SKIPPED = "skipped"
# What the run's outcome will be for each verdict (`RunResult.outcome`).
OUTCOMES = {WOULD_RUN: "ran", CACHED: "cached", REUSED: "reused", WOULD_FAIL: "failed",
            SKIPPED: "skipped"}


@dataclasses.dataclass
class RunPlan:
    """What `LocalDagRunner.run` would do with the same arguments, node by node.

    Attributes:
        pipeline_name: the pipeline.
        store: the ML Metadata store consulted, as messages show it.
        store_exists: False when there is no store yet (no earlier execution of anything).
        nodes: one Explanation per node in topological order: unselected upstream nodes
            (`reused`) first, then the selected ones (`would run`, `cached`, `would fail`,
            `skipped`).
    """

    pipeline_name: str
    store: str
    store_exists: bool
    nodes: list[Explanation]

    def verdicts(self) -> dict[str, str]:
        """Node id -> verdict."""
        return {node.node_id: node.verdict for node in self.nodes}

    def outcomes(self) -> dict[str, str]:
        """Node id -> the outcome the run will report (`ran`, `cached`, `reused`, ...)."""
        return {node.node_id: OUTCOMES[node.verdict] for node in self.nodes}

    def to_dict(self) -> dict[str, Any]:
        """Plain data (JSON-ready), as `tfxkit run --dry-run --format json` prints it."""
        return {"pipeline_name": self.pipeline_name, "store": self.store,
                "store_exists": self.store_exists,
                "would_run": [n.node_id for n in self.nodes if n.verdict == WOULD_RUN],
                "nodes": [n.to_dict() for n in self.nodes]}

    def text(self) -> str:
        """The plan as `tfxkit run --dry-run` prints it: one block per node, then a summary."""
        width = max([len(n.node_id) for n in self.nodes] + [4])
        lines = [f"Dry run of pipeline {self.pipeline_name!r} against {self.store}"
                 + ("" if self.store_exists else " (no store yet)")
                 + ": nothing is run or written."]
        for node in self.nodes:
            lines.append(f"  {node.node_id:<{width}}  {node.verdict}")
            lines += [f"  {'':<{width}}    {reason.text}" for reason in node.reasons]
        running = [n.node_id for n in self.nodes if n.verdict == WOULD_RUN]
        selected = [n for n in self.nodes if n.verdict != REUSED]
        lines.append(f"{len(running)} of {len(selected)} node(s) would run"
                     + (f": {', '.join(running)}" if running else "; everything is cached")
                     + ".")
        return "\n".join(lines)


def _open_store(location: str) -> MetadataStore | None:
    from tfxkit.metadata.store import connect

    try:
        return connect(location, read_only=True)
    except StoreNotFoundError:
        return None


def plan_run(
    pipeline: Pipeline,
    run_params: dict[str, Any] | None = None,
    from_node: str | None = None,
    to_node: str | None = None,
    only_node: str | None = None,
    enable_cache: bool | None = None,
) -> RunPlan:
    """What `LocalDagRunner().run(pipeline, ...)` with the same arguments would do, touching
    nothing (see the module docstring).

    Raises what the run raises before it starts anything: PipelineDefinitionError for unknown
    node ids, runtime parameters or missing upstream outputs of a partial run, or an object-store
    pipeline_root without its own metadata location; DataError from components' pre-run checks
    (e.g. a missing `input_base`) or an unreachable object store; MetadataError for a store that
    cannot be read. A node whose cache key cannot be computed (e.g. a missing module file) is
    `would fail`, and the nodes after it `skipped`, as in the run.
    """
    from tfxkit.metadata import record
    from tfxkit.metadata.cache import compute_cache_key, find_cache_hit
    from tfxkit.metadata.store import parse
    from tfxkit.runners.local.remote_root import RemoteRoot
    from tfxkit.runners.local.runner import LocalDagRunner

    RemoteRoot.open(pipeline)  # an object-store root: the run's checks (read-only)
    selected = LocalDagRunner._select(pipeline, from_node, to_node, only_node)
    exec_properties = LocalDagRunner._resolve_parameters(pipeline, run_params or {})
    for node in selected:  # the run's own pre-run checks (read-only)
        check = getattr(node, "check_before_run", None)
        if callable(check):
            check(exec_properties[node.id])
    cache = pipeline.enable_cache if enable_cache is None else enable_cache
    store = _open_store(pipeline.metadata)
    name = pipeline.pipeline_name
    plans: dict[str, Explanation] = {}
    outputs: dict[str, dict[str, list[Artifact]]] = {}
    selected_ids = {n.id for n in selected}
    for node in selected:  # upstream of a partial run: its latest outputs, as the run takes
        for upstream in node.upstream:
            if upstream.id in selected_ids or upstream.id in plans:
                continue
            if store is None:
                raise PipelineDefinitionError(
                    f"{node.id} needs the outputs of {upstream.id}, but pipeline {name!r} has "
                    f"not run yet (no ML Metadata store at {parse(pipeline.metadata).display()})"
                    f". Run it first, e.g. `tfxkit run <pipeline file> --to {upstream.id}`.")
            reused = LocalDagRunner._reuse(store, pipeline, upstream, node)
            assert reused.execution_id is not None
            outputs[upstream.id] = reused.outputs
            [execution] = store.get_executions_by_id([reused.execution_id])
            plans[upstream.id] = Explanation(
                upstream.id, REUSED, [Reason("reused", "", None, reused.execution_id,
                                             f"not selected: its latest outputs "
                                             f"({describe(execution)}) are reused")],
                reused.execution_id)
    upstream_order = list(plans)
    for node in selected:
        failed = [u.id for u in node.upstream if plans[u.id].verdict in (WOULD_FAIL, SKIPPED)]
        if failed:
            plans[node.id] = Explanation(node.id, SKIPPED, [Reason(
                "upstream", failed[0], text=f"{failed[0]} would not finish")])
            continue
        inputs: dict[str, list[Artifact]] = {}
        reruns: dict[str, str] = {}
        for key, channel in node.inputs.items():
            if channel.producer is None:
                continue
            if plans[channel.producer.id].verdict == WOULD_RUN:
                reruns[key] = channel.producer.id
                inputs[key] = []
            else:
                inputs[key] = list(outputs[channel.producer.id].get(channel.output_key, []))
        properties = exec_properties[node.id]
        try:
            computed = compute_cache_key(node, properties, inputs)
        except Exception as exc:  # the run fails this node the same way
            message = str(exc) if isinstance(exc, TfxkitError) else f"{type(exc).__name__}: {exc}"
            plans[node.id] = Explanation(node.id, WOULD_FAIL, [Reason(
                "error", "", None, None, f"its cache key cannot be computed: {message}")])
            continue
        use_cache = cache if node.node_config.enable_cache is None else (
            node.node_config.enable_cache)
        if store is None:
            plans[node.id] = Explanation(node.id, WOULD_RUN, [Reason(
                "new", text=f"no earlier execution of {node.id} (no run recorded yet)")])
            continue
        if use_cache and not reruns:
            hit = find_cache_hit(store, name, node.id, computed.key)
            if hit is not None:
                source_id, found = hit
                outputs[node.id] = found
                [source] = store.get_executions_by_id([source_id])
                plans[node.id] = Explanation(
                    node.id, CACHED, [Reason("cached", "", None, source_id,
                                             f"same cache key as {describe(source)}; its "
                                             f"outputs are intact")],
                    source_id, str(record.custom(source, "run_id", "")))
                continue
        reasons, previous = why_ran(store, name, node.id, None, computed.parts,
                                    param_texts(properties), computed.key, reruns)
        if not use_cache:
            reasons.insert(0, Reason("cache off", text="caching is off (--no-cache, or "
                                                       "enable_cache=False)"))
            if reasons[1].kind == "outputs":  # same key: caching alone decides
                del reasons[1:]
        plans[node.id] = Explanation(
            node.id, WOULD_RUN, reasons, None, "",
            previous.id if previous is not None else None,
            "" if previous is None else str(record.custom(previous, "run_id", "")))
    order = upstream_order + [n.id for n in selected]
    return RunPlan(name, parse(pipeline.metadata).display(), store is not None,
                   [plans[node_id] for node_id in order])


def plan_json(plan: RunPlan) -> str:
    """`plan.to_dict()` as indented JSON."""
    return json.dumps(plan.to_dict(), indent=2, default=str)


__all__ = ["CACHED", "REUSED", "SKIPPED", "WOULD_FAIL", "WOULD_RUN", "RunPlan", "plan_json",
           "plan_run"]
