"""The run report: one recorded run as a DAG picture, a timeline and a table of its nodes.

Everything comes from ML Metadata: the run's context, its executions (node, outcome, start and
finish times, error, outputs) and, through input events, which node fed which. Upstream nodes a
partial run reused from earlier runs appear dashed, as "reused".
"""

from __future__ import annotations

import dataclasses
import datetime
from typing import TYPE_CHECKING, Any

from tfxkit.metadata import record
from tfxkit.metadata.query import find_run
from tfxkit.reports.htmlkit import esc, table
from tfxkit.reports.svg import DagNode, dag_svg, timeline_svg
from tfxkit.types.artifact import Artifact

if TYPE_CHECKING:
    from ml_metadata.metadata_store.metadata_store import MetadataStore

# One vocabulary for a node's outcome: `tfxkit run` prints these words, `tfxkit runs` and the
# run report translate ML Metadata's execution states into them.
OUTCOMES = {"COMPLETE": "ran", "CACHED": "cached", "FAILED": "failed", "CANCELED": "canceled",
            "RUNNING": "running", "NEW": "running", "ABANDONED": "abandoned"}


def outcome_word(state: str) -> str:
    """The outcome word ("ran", "cached", "failed", ...) of an ML Metadata execution state
    name ("COMPLETE", "CACHED", ...; "ABANDONED" for a killed run's leftovers)."""
    return OUTCOMES.get(state, state.lower())


@dataclasses.dataclass
class NodeRun:
    """One node's execution in a run, as the report shows it.

    Attributes:
        node_id: component id.
        component: component type name.
        execution_id: ML Metadata execution id (None for reused upstream nodes).
        outcome: "ran", "cached", "failed", "canceled", "running", "abandoned" or "reused".
        started: seconds since the run began (0 for reused nodes).
        seconds: wall time.
        error: first line of the failure, if any.
        outputs: output key -> published artifacts.
        upstream: ids of the nodes whose outputs it read.
    """

    node_id: str
    component: str
    execution_id: int | None
    outcome: str
    started: float = 0.0
    seconds: float = 0.0
    error: str = ""
    outputs: dict[str, list[Artifact]] = dataclasses.field(default_factory=dict)
    upstream: list[str] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class RunReport:
    """A run read back from ML Metadata: pipeline, run id, start time (epoch seconds), nodes in
    execution order (reused upstream nodes first)."""

    pipeline_name: str
    run_id: str
    started_at: float
    nodes: list[NodeRun]

    @property
    def seconds(self) -> float:
        """Nodes' time: wall time from the first node's start to the last node's end (the
        `started_at` / `finished_at` the store records). Shorter than the whole-run time the
        runner reports, which also counts loading the pipeline and opening the store."""
        return max((n.started + n.seconds for n in self.nodes), default=0.0)


def _outcome(execution: Any) -> str:
    from ml_metadata.proto import metadata_store_pb2 as pb

    if record.custom(execution, "abandoned"):
        return "abandoned"
    return outcome_word(pb.Execution.State.Name(execution.last_known_state))


def load_run(store: MetadataStore, run: str, pipeline_name: str | None = None) -> RunReport:
    """Read run `run` (id or "latest") back from ML Metadata as a RunReport."""
    from ml_metadata.proto import metadata_store_pb2 as pb

    context = find_run(store, run, pipeline_name)
    executions = sorted(store.get_executions_by_context(context.id), key=lambda e: e.id)
    events = store.get_events_by_execution_ids([e.id for e in executions]) if executions else []
    in_run = {e.id: record.custom(e, "node_id", "?") for e in executions}
    output_ids: dict[int, dict[str, list[int]]] = {}
    input_ids: dict[int, list[int]] = {}
    for event in events:
        if event.type == pb.Event.OUTPUT:
            key = event.path.steps[0].key if event.path.steps else ""
            output_ids.setdefault(event.execution_id, {}).setdefault(key, []).append(
                event.artifact_id)
        elif event.type == pb.Event.INPUT:
            input_ids.setdefault(event.execution_id, []).append(event.artifact_id)
    artifacts = record.load_artifacts(store, {a for ids in output_ids.values()
                                              for group in ids.values() for a in group})
    producers = _producers(store, {a for ids in input_ids.values() for a in ids}, in_run)
    started_at = min((float(record.custom(e, "started_at", 0.0)) for e in executions),
                     default=context.create_time_since_epoch / 1000.0)
    nodes: dict[str, NodeRun] = {}
    for node_id, component in sorted({p for p in producers.values() if p[0] not in
                                      in_run.values()}):
        nodes[node_id] = NodeRun(node_id, component, None, "reused")
    for execution in executions:
        start = float(record.custom(execution, "started_at", started_at))
        finish = float(record.custom(execution, "finished_at", start))
        node_id = in_run[execution.id]
        upstream = sorted({producers[a][0] for a in input_ids.get(execution.id, [])
                           if a in producers})
        nodes[node_id] = NodeRun(
            node_id=node_id,
            component=record.custom(execution, "component", ""),
            execution_id=execution.id,
            outcome=_outcome(execution),
            started=max(0.0, start - started_at),
            seconds=max(0.0, finish - start),
            error=(str(record.custom(execution, "error", "") or "").strip().splitlines()
                   or [""])[0],
            outputs={k: [artifacts[i] for i in ids if i in artifacts]
                     for k, ids in output_ids.get(execution.id, {}).items()},
            upstream=upstream,
        )
    return RunReport(record.custom(context, "pipeline_name", ""),
                     record.custom(context, "run_id", context.name), started_at,
                     list(nodes.values()))


def _producers(store: MetadataStore, artifact_ids: set[int], in_run: dict[int, str]
               ) -> dict[int, tuple[str, str]]:
    """artifact id -> (node id, component) of the execution that produced it: one in this
    run if there is one, else the oldest (the original, not a later cache hit)."""
    from ml_metadata.proto import metadata_store_pb2 as pb

    if not artifact_ids:
        return {}
    made = [e for e in store.get_events_by_artifact_ids(list(artifact_ids))
            if e.type == pb.Event.OUTPUT]
    executions = {e.id: e for e in store.get_executions_by_id(list({m.execution_id
                                                                    for m in made}))}
    chosen: dict[int, int] = {}
    for event in sorted(made, key=lambda m: (m.execution_id not in in_run, m.execution_id)):
        chosen.setdefault(event.artifact_id, event.execution_id)
    return {artifact_id: (record.custom(executions[execution_id], "node_id", "?"),
                          record.custom(executions[execution_id], "component", ""))
            for artifact_id, execution_id in chosen.items() if execution_id in executions}


def run_dag_svg(report: RunReport) -> str:
    """The run's DAG as SVG: one box per node, coloured by outcome, with its time."""
    boxes = []
    for node in report.nodes:
        subtitle = node.outcome if node.outcome == "reused" else (
            f"{node.outcome} · {node.seconds:.2f} s")
        boxes.append(DagNode(node.node_id, node.node_id, subtitle, kind=node.outcome,
                             tooltip=f"{node.component} {node.error}".strip(),
                             dashed=node.outcome == "reused"))
    edges = [(up, node.node_id) for node in report.nodes for up in node.upstream]
    return dag_svg(boxes, edges)


def run_fragment(report: RunReport) -> str:
    """HTML `<div>` of a run: summary line, DAG, timeline and a table of nodes with outcome,
    timings, outputs and errors."""
    counts: dict[str, int] = {}
    for node in report.nodes:
        counts[node.outcome] = counts.get(node.outcome, 0) + 1
    when = datetime.datetime.fromtimestamp(report.started_at).strftime("%Y-%m-%d %H:%M:%S")
    summary = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items()))
    timed = [(n.node_id, n.started, n.started + n.seconds, n.outcome) for n in report.nodes
             if n.execution_id is not None]
    rows = []
    for node in report.nodes:
        outputs = "<br>".join(f"{esc(key)}: {esc(a.TYPE_NAME)} #{esc(a.id)} <code>{esc(a.uri)}"
                              f"</code>" for key, group in sorted(node.outputs.items())
                              for a in group)
        rows.append([node.node_id, node.component, node.outcome,
                     "" if node.execution_id is None else f"{node.seconds:.2f}",
                     "" if node.execution_id is None else f"+{node.started:.2f}",
                     node.execution_id, outputs, node.error])
    return (f"<div class='tfxkit-run'><p>Pipeline <b>{esc(report.pipeline_name)}</b>, run "
            f"<code>{esc(report.run_id)}</code>, started {esc(when)}: {esc(summary)}; "
            f"nodes' time {report.seconds:.2f} s <small>(first node's start to last node's "
            f"end, as recorded in ML Metadata; the whole-run time `tfxkit run` prints also "
            f"counts loading the pipeline and opening the store)</small>.</p>"
            f"<h2>Graph</h2><div class='graph'>"
            f"{run_dag_svg(report)}</div><h2>Timeline</h2>{timeline_svg(timed)}"
            f"<h2>Nodes</h2>"
            + table(["node", "component", "outcome", "seconds", "started", "execution",
                     "outputs", "error"], rows, raw_columns=frozenset({6}))
            + "</div>")
