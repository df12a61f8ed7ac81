"""Questions to ML Metadata about runs and the models they made: the one query API under
`tfxkit runs --compare / --diff`, `tfxkit report --compare`, `tfxkit models` and the notebook.

    from tfxkit.metadata import connect
    from tfxkit.metadata import query

    store = connect("pipeline_output/metadata.sqlite", read_only=True)
    table = query.compare_runs(store, sort="sparse_categorical_accuracy")
    best = table.runs[0]                      # a RunRecord
    best.run_id, best.parameters, best.metrics["Overall"], best.pushed_version
    query.diff_runs(store, "20261101-120000-ab12", "latest").changes

A run's record covers every node its model depends on: the nodes it executed (or took from
the cache) and, for a partial run (`--from Evaluator`), the earlier executions whose outputs it
reused, found through the input events. Its `parameters` are the execution parameters of those
nodes flattened to `Node.parameter[.key...]` (so the project's configuration and `-p`
overrides show up where they land, e.g. `Trainer.train_args.num_steps`), its `metrics` the
Evaluator's per-slice metrics (`slice_metrics`, else `overall_metrics`, read from ML Metadata:
no TFMA import), `blessed` the ModelBlessing and `pushed_version` the Pusher's push.

Only `ml-metadata` is imported, inside the functions.
"""

from __future__ import annotations

import dataclasses
import json
import re
from typing import TYPE_CHECKING, Any

from tfxkit.errors import DataError
from tfxkit.metadata import record

if TYPE_CHECKING:
    from ml_metadata.metadata_store.metadata_store import MetadataStore

OVERALL = "Overall"
# Metrics where lower is better: `sort` puts the lowest first for these, the highest otherwise.
_LOWER_IS_BETTER = re.compile(r"loss|error|mae|mse|rmse|mape|log_?loss", re.IGNORECASE)
_FLAT_LIMIT = 4  # dict nesting flattened into dotted keys; deeper values stay JSON text


@dataclasses.dataclass
class NodeFacts:
    """One node's execution behind a run.

    Attributes:
        node_id, component: the node and its component type.
        execution_id: its ML Metadata execution.
        run_id: the run that recorded the execution (an earlier run for `reused` nodes).
        state: COMPLETE, CACHED, FAILED, RUNNING, CANCELED or ABANDONED.
        reused: not executed in this run: a partial run took its latest outputs.
        cache_key: the execution's cache key ("" if not recorded).
        parameters: execution parameters (JSON values).
        code: user-code sha256 by parameter (`module_file`, ...).
        fingerprints: input data fingerprints (`input_data`: ExampleGen's input file contents).
        inputs, outputs: artifact ids by input / output key.
    """

    node_id: str
    component: str
    execution_id: int
    run_id: str
    state: str
    reused: bool
    cache_key: str
    parameters: dict[str, Any]
    code: dict[str, str]
    fingerprints: dict[str, str]
    inputs: dict[str, list[int]]
    outputs: dict[str, list[int]]


@dataclasses.dataclass
class RunRecord:
    """What one run made and from what (see the module docstring).

    Attributes:
        pipeline_name, run_id: the run.
        started_at: seconds since the epoch.
        nodes: node id -> NodeFacts, in execution order.
        metrics: slice ("Overall", "island=Biscoe", ...) -> metric name -> value.
        blessed: the Evaluator's verdict (None: no blessing).
        blessing_reason: why.
        model_uri: the evaluated (or pushed) model's folder ("" if none).
        pushed_version: the version the Pusher pushed (None: not pushed).
        pushed_destination: that version's folder ("" if not pushed).
    """

    pipeline_name: str
    run_id: str
    started_at: float
    nodes: dict[str, NodeFacts]
    metrics: dict[str, dict[str, float]] = dataclasses.field(default_factory=dict)
    blessed: bool | None = None
    blessing_reason: str = ""
    model_uri: str = ""
    pushed_version: int | None = None
    pushed_destination: str = ""

    @property
    def parameters(self) -> dict[str, Any]:
        """Every node's parameters flattened to `Node.parameter[.key...]` -> scalar or JSON
        text (lists stay whole: `[16, 8]`)."""
        flat: dict[str, Any] = {}
        for node in self.nodes.values():
            for name, value in node.parameters.items():
                _flatten(f"{node.node_id}.{name}", value, flat, 0)
        return dict(sorted(flat.items()))

    def metric(self, name: str, slice_name: str = OVERALL) -> float | None:
        """The value of metric `name` on slice `slice_name`, or None."""
        return self.metrics.get(slice_name, {}).get(name)

    def to_dict(self) -> dict[str, Any]:
        """Plain data (JSON-ready): the fields, `parameters`, and nodes as dicts."""
        data = dataclasses.asdict(self)
        data["parameters"] = self.parameters
        return data


def _flatten(prefix: str, value: Any, into: dict[str, Any], depth: int) -> None:
    if isinstance(value, dict) and value and depth < _FLAT_LIMIT:
        for key, item in value.items():
            _flatten(f"{prefix}.{key}", item, into, depth + 1)
    elif value is None or isinstance(value, bool | int | float | str):
        into[prefix] = value
    else:
        into[prefix] = json.dumps(value, sort_keys=True)


def _state_name(execution: Any) -> str:
    from ml_metadata.proto import metadata_store_pb2 as pb

    if record.custom(execution, "abandoned"):
        return "ABANDONED"
    return str(pb.Execution.State.Name(execution.last_known_state))


# -- runs -------------------------------------------------------------------------------------
def run_contexts(store: MetadataStore, pipeline_name: str | None = None) -> list[Any]:
    """Run contexts (optionally of one pipeline), newest first."""
    contexts = [c for c in store.get_contexts_by_type(record.RUN_CONTEXT)
                if pipeline_name is None or record.custom(c, "pipeline_name") == pipeline_name]
    contexts.sort(key=lambda c: (c.create_time_since_epoch, c.id), reverse=True)
    return contexts


def find_run(store: MetadataStore, run: str, pipeline_name: str | None = None) -> Any:
    """The context of run `run`: a run id, `latest`, or `latest~N` (N runs before the latest).

    Raises DataError naming recent run ids when there is no such run, or the pipelines when the
    id is ambiguous.
    """
    contexts = run_contexts(store, pipeline_name)
    where = f" of pipeline {pipeline_name!r}" if pipeline_name else ""
    if not contexts:
        raise DataError(f"No runs{where} are recorded in this metadata store; run the pipeline "
                        f"first (`tfxkit run pipeline.py`).")
    back = re.fullmatch(r"latest(?:~(\d+))?", run)
    if back:
        index = int(back.group(1) or 0)
        if index >= len(contexts):
            raise DataError(f"{run!r}: only {len(contexts)} run(s){where} are recorded.")
        return contexts[index]
    found = [c for c in contexts if record.custom(c, "run_id", "") == run or c.name == run]
    if not found:
        recent = ", ".join(record.custom(c, "run_id", c.name) for c in contexts[:5])
        raise DataError(f"No run {run!r}{where} in this metadata store. Recent runs: {recent}. "
                        f"Pass one of them, 'latest' or 'latest~1' (`tfxkit runs` lists runs).")
    if len(found) > 1:
        names = ", ".join(sorted({record.custom(c, "pipeline_name", "?") for c in found}))
        raise DataError(f"Run id {run!r} exists in several pipelines ({names}); pass the "
                        f"pipeline name (--pipeline NAME).")
    return found[0]


def _events_by_execution(store: MetadataStore, execution_ids: list[int]
                         ) -> tuple[dict[int, dict[str, list[int]]], dict[int, dict[str, list[int]]]]:
    from ml_metadata.proto import metadata_store_pb2 as pb

    inputs: dict[int, dict[str, list[int]]] = {}
    outputs: dict[int, dict[str, list[int]]] = {}
    if not execution_ids:
        return inputs, outputs
    for event in store.get_events_by_execution_ids(execution_ids):
        key = event.path.steps[0].key if event.path.steps else ""
        if event.type == pb.Event.INPUT:
            inputs.setdefault(event.execution_id, {}).setdefault(key, []).append(
                event.artifact_id)
        elif event.type == pb.Event.OUTPUT:
            outputs.setdefault(event.execution_id, {}).setdefault(key, []).append(
                event.artifact_id)
    return inputs, outputs


def _producers(store: MetadataStore, artifact_ids: set[int]) -> dict[int, int]:
    """Artifact id -> id of the execution that first produced it."""
    from ml_metadata.proto import metadata_store_pb2 as pb

    found: dict[int, int] = {}
    if not artifact_ids:
        return found
    for event in store.get_events_by_artifact_ids(list(artifact_ids)):
        if event.type == pb.Event.OUTPUT:
            found[event.artifact_id] = min(found.get(event.artifact_id, event.execution_id),
                                           event.execution_id)
    return found


def _node_facts(execution: Any, reused: bool, inputs: dict[str, list[int]],
                outputs: dict[str, list[int]]) -> NodeFacts:
    props = {k: record.get_value(v) for k, v in execution.custom_properties.items()}
    parameters = {}
    for key, value in props.items():
        if key.startswith("param."):
            try:
                parameters[key[len("param."):]] = json.loads(value)
            except (TypeError, ValueError):
                parameters[key[len("param."):]] = value
    return NodeFacts(
        node_id=str(props.get("node_id", "?")),
        component=str(props.get("component", "")),
        execution_id=execution.id,
        run_id=str(props.get("run_id", "")),
        state=_state_name(execution),
        reused=reused,
        cache_key=str(props.get("cache_key", "")),
        parameters=parameters,
        code={k[len("code."):]: str(v) for k, v in props.items() if k.startswith("code.")},
        fingerprints={k[len("fingerprint."):]: str(v) for k, v in props.items()
                      if k.startswith("fingerprint.")},
        inputs=inputs,
        outputs=outputs,
    )


def load_run_record(store: MetadataStore, run: str, pipeline_name: str | None = None
                    ) -> RunRecord:
    """The RunRecord of run `run` (id, `latest` or `latest~N`; see `find_run`).

    Raises DataError when there is no such run.
    """
    context = find_run(store, run, pipeline_name)
    executions = sorted(store.get_executions_by_context(context.id), key=lambda e: e.id)
    inputs, outputs = _events_by_execution(store, [e.id for e in executions])
    nodes: dict[str, NodeFacts] = {}
    for execution in executions:  # a node run twice in one run (retried): the last one counts
        facts = _node_facts(execution, False, inputs.get(execution.id, {}),
                            outputs.get(execution.id, {}))
        nodes[facts.node_id] = facts
    # A partial run reused earlier outputs: follow input artifacts to their producers.
    seen = {e.id for e in executions}
    pending = {a for node in nodes.values() for ids in node.inputs.values() for a in ids}
    reused: list[NodeFacts] = []
    while pending:
        producers = _producers(store, pending)
        new = sorted(set(producers.values()) - seen)
        pending = set()
        if not new:
            break
        seen.update(new)
        more_in, more_out = _events_by_execution(store, new)
        for execution in store.get_executions_by_id(new):
            facts = _node_facts(execution, True, more_in.get(execution.id, {}),
                                more_out.get(execution.id, {}))
            if facts.node_id not in nodes:
                reused.append(facts)
                pending |= {a for ids in facts.inputs.values() for a in ids}
    ordered = {f.node_id: f for f in sorted(reused, key=lambda f: f.execution_id)}
    ordered.update(nodes)
    started = min((float(record.custom(e, "started_at", 0.0) or 0.0) for e in executions),
                  default=0.0) or context.create_time_since_epoch / 1000.0
    result = RunRecord(pipeline_name=str(record.custom(context, "pipeline_name", "")),
                       run_id=str(record.custom(context, "run_id", context.name)),
                       started_at=started, nodes=ordered)
    _add_outcomes(store, result)
    return result


def _add_outcomes(store: MetadataStore, run: RunRecord) -> None:
    """Fill metrics, blessing, model and push from the run's output artifacts."""
    ids = {a for node in run.nodes.values() for group in node.outputs.values() for a in group}
    artifacts = record.load_artifacts(store, ids)
    model_ids: list[int] = []
    for node in run.nodes.values():
        for group in node.outputs.values():
            for artifact_id in group:
                artifact = artifacts.get(artifact_id)
                if artifact is None:
                    continue
                kind = artifact.TYPE_NAME
                if kind == "ModelEvaluation":
                    run.metrics = evaluation_metrics(artifact)
                    model_ids += node.inputs.get("model", [])
                elif kind == "ModelBlessing" and artifact.get_custom_property(
                        "blessed") is not None:
                    run.blessed = bool(artifact.get_custom_property("blessed"))
                    run.blessing_reason = str(artifact.get_custom_property(
                        "blessing_reason", "") or "")
                elif kind == "PushedModel" and artifact.get_custom_property("pushed"):
                    version = artifact.get_custom_property("pushed_version")
                    run.pushed_version = None if version is None else int(version)
                    run.pushed_destination = str(artifact.get_custom_property(
                        "pushed_destination", "") or "")
                    model_ids += node.inputs.get("model", [])
    if model_ids:
        found = record.load_artifacts(store, [model_ids[0]])
        run.model_uri = found[model_ids[0]].uri if model_ids[0] in found else ""


def evaluation_metrics(evaluation: Any) -> dict[str, dict[str, float]]:
    """Slice -> metric -> value of a ModelEvaluation artifact, from its `slice_metrics`
    custom property (per slice) or else `overall_metrics` (the Overall slice only)."""
    for name in ("slice_metrics", "overall_metrics"):
        raw = evaluation.get_custom_property(name)
        if not raw:
            continue
        try:
            data = json.loads(raw)
        except ValueError:
            continue
        if name == "overall_metrics":
            data = {OVERALL: data}
        return {str(s): {str(k): float(v) for k, v in values.items()
                         if isinstance(v, int | float) and not isinstance(v, bool)}
                for s, values in data.items() if isinstance(values, dict)}
    return {}


# -- comparing runs ---------------------------------------------------------------------------
@dataclasses.dataclass
class Comparison:
    """Runs side by side: `runs` (sorted as asked), `changed` (the flattened parameters whose
    values differ between them) and `metric_names` (`METRIC` for Overall, `METRIC@SLICE` for
    other slices)."""

    runs: list[RunRecord]
    changed: list[str]
    metric_names: list[str]

    def rows(self) -> list[dict[str, Any]]:
        """One dict per run: run_id, pipeline, started (ISO time), each changed parameter,
        each metric, blessed, pushed_version (for CSV / JSON output)."""
        import datetime

        rows = []
        for run in self.runs:
            row: dict[str, Any] = {
                "run_id": run.run_id, "pipeline": run.pipeline_name,
                "started": datetime.datetime.fromtimestamp(run.started_at).isoformat(
                    timespec="seconds")}
            params = run.parameters
            row.update({key: params.get(key) for key in self.changed})
            row.update({name: metric_value(run, name) for name in self.metric_names})
            row["blessed"] = run.blessed
            row["pushed_version"] = run.pushed_version
            rows.append(row)
        return rows


def metric_value(run: RunRecord, name: str) -> float | None:
    """Metric `name` of `run`: `METRIC` (Overall slice) or `METRIC@SLICE`."""
    metric, _, slice_name = name.partition("@")
    return run.metric(metric, slice_name or OVERALL)


def changed_parameters(runs: list[RunRecord]) -> list[str]:
    """Flattened parameter keys whose values differ between `runs` (a key missing in some
    run counts as a difference)."""
    flats = [run.parameters for run in runs]
    keys = sorted({k for flat in flats for k in flat})
    return [k for k in keys if len({json.dumps(f.get(k, "<absent>"), sort_keys=True)
                                    for f in flats}) > 1]


def lower_is_better(metric: str) -> bool:
    """Whether smaller values of `metric` are better (losses and errors), for sorting."""
    return bool(_LOWER_IS_BETTER.search(metric.partition("@")[0]))


def compare_runs(store: MetadataStore, runs: list[str] | None = None,
                 pipeline_name: str | None = None, limit: int = 10,
                 sort: str | None = None) -> Comparison:
    """Compare runs `runs` (ids / `latest~N`; default: the newest `limit` runs, of
    `pipeline_name` if given, that evaluated a model) as a Comparison.

    `sort` names a metric (`METRIC`, or `METRIC@SLICE`): best first, i.e. highest first, or
    lowest first for losses and errors (`lower_is_better`); runs without it last. Without
    `sort`, newest first. Raises DataError for an unknown run or metric.
    """
    if runs:
        records = [load_run_record(store, run, pipeline_name) for run in runs]
    else:
        contexts = run_contexts(store, pipeline_name)
        if not contexts:
            where = f" of pipeline {pipeline_name!r}" if pipeline_name else ""
            raise DataError(f"No runs{where} are recorded in this metadata store; run the "
                            f"pipeline first (`tfxkit run pipeline.py`).")
        records = []
        for context in contexts:
            candidate = load_run_record(store, str(record.custom(context, "run_id",
                                                                 context.name)),
                                        str(record.custom(context, "pipeline_name", "")))
            if candidate.metrics:
                records.append(candidate)
            if len(records) >= limit:
                break
    names = sorted({m if s == OVERALL else f"{m}@{s}" for run in records
                    for s, values in run.metrics.items() for m in values},
                   key=lambda n: ("@" in n, n))
    if sort:
        if sort not in names:
            shown = ", ".join(n for n in names if "@" not in n) or "none recorded"
            raise DataError(f"--sort {sort!r}: no compared run has that metric. Metrics "
                            f"(Overall slice): {shown}; name a slice as METRIC@SLICE, e.g. "
                            f"{names[-1] if names else 'accuracy@island=Biscoe'}.")
        low = lower_is_better(sort)
        present = [r for r in records if metric_value(r, sort) is not None]
        absent = [r for r in records if metric_value(r, sort) is None]
        present.sort(key=lambda r: float(metric_value(r, sort) or 0.0), reverse=not low)
        records = present + absent
    return Comparison(records, changed_parameters(records), names)


# -- why did a run's model change? ------------------------------------------------------------
@dataclasses.dataclass
class Difference:
    """One thing that differs between two runs: on node `node_id`, a `kind` ("node",
    "parameter", "code", "input data", "inputs", "state", "metric", "outcome") named `name`,
    with the value in run A and in run B (None: absent)."""

    node_id: str
    kind: str
    name: str
    a: Any
    b: Any


@dataclasses.dataclass
class RunDiff:
    """Two runs compared node by node: `changes` lists what differs; `changed_nodes` the
    nodes whose cache keys differ (their results were computed from something new)."""

    a: RunRecord
    b: RunRecord
    changed_nodes: list[str]
    changes: list[Difference]


def diff_runs(store: MetadataStore, run_a: str, run_b: str,
              pipeline_name: str | None = None) -> RunDiff:
    """What differs between runs `run_a` and `run_b`: nodes present in one only, and per
    common node its parameters, user-code hashes, input data fingerprints and upstream
    artifacts; then the outcomes (metrics, blessing, pushed version). Raises DataError for an
    unknown run."""
    a = load_run_record(store, run_a, pipeline_name)
    b = load_run_record(store, run_b, pipeline_name)
    changes: list[Difference] = []
    changed_nodes: list[str] = []
    order = list(dict.fromkeys([*a.nodes, *b.nodes]))
    for node_id in order:
        left, right = a.nodes.get(node_id), b.nodes.get(node_id)
        if left is None or right is None:
            changes.append(Difference(node_id, "node", "present",
                                      left is not None, right is not None))
            changed_nodes.append(node_id)
            continue
        found: list[Difference] = []
        flat_l: dict[str, Any] = {}
        flat_r: dict[str, Any] = {}
        for name, value in left.parameters.items():
            _flatten(name, value, flat_l, 0)
        for name, value in right.parameters.items():
            _flatten(name, value, flat_r, 0)
        for name in sorted(set(flat_l) | set(flat_r)):
            if flat_l.get(name) != flat_r.get(name):
                found.append(Difference(node_id, "parameter", name, flat_l.get(name),
                                        flat_r.get(name)))
        for kind, one, two in (("code", left.code, right.code),
                               ("input data", left.fingerprints, right.fingerprints)):
            for name in sorted(set(one) | set(two)):
                if one.get(name) != two.get(name):
                    found.append(Difference(node_id, kind, name, one.get(name), two.get(name)))
        for name in sorted(set(left.inputs) | set(right.inputs)):
            if sorted(left.inputs.get(name, [])) != sorted(right.inputs.get(name, [])):
                found.append(Difference(node_id, "inputs", name, left.inputs.get(name),
                                        right.inputs.get(name)))
        done = {"COMPLETE", "CACHED"}  # ran or reused its cached result: the same outputs
        if left.state != right.state and not {left.state, right.state} <= done:
            found.append(Difference(node_id, "state", "state", left.state, right.state))
        keys_differ = left.cache_key != right.cache_key
        if keys_differ and not [d for d in found if d.kind != "state"]:
            found.append(Difference(node_id, "cache", "cache_key (library or tfxkit "
                                    "versions, or executor)", left.cache_key[:12],
                                    right.cache_key[:12]))
        if keys_differ or [d for d in found if d.kind != "state"]:
            changed_nodes.append(node_id)
        changes += found
    names = sorted({(s, m) for run in (a, b) for s, values in run.metrics.items()
                    for m in values})
    for slice_name, metric in names:
        one_value, two_value = a.metric(metric, slice_name), b.metric(metric, slice_name)
        if one_value != two_value:
            label = metric if slice_name == OVERALL else f"{metric}@{slice_name}"
            changes.append(Difference("", "metric", label, one_value, two_value))
    for name in ("blessed", "pushed_version"):
        if getattr(a, name) != getattr(b, name):
            changes.append(Difference("", "outcome", name, getattr(a, name), getattr(b, name)))
    return RunDiff(a, b, changed_nodes, changes)


# -- every evaluated model -----------------------------------------------------------------
@dataclasses.dataclass
class EvaluatedModel:
    """One ModelEvaluation with the model it evaluated (the notebook's unit: each
    `InteractiveContext.run` is a run of its own, so models are compared, not runs).

    Attributes:
        evaluation_id, evaluation_uri: the ModelEvaluation artifact.
        model_id, model_uri: the Model it evaluated (None / "" if not recorded).
        run_id, pipeline_name: of the evaluating execution.
        blessed: the verdict (None without a blessing output).
        metrics: slice -> metric -> value (`evaluation_metrics`; {} when not recorded).
        trainer_parameters: parameters of the execution that produced the model.
    """

    evaluation_id: int
    evaluation_uri: str
    model_id: int | None
    model_uri: str
    run_id: str
    pipeline_name: str
    blessed: bool | None
    metrics: dict[str, dict[str, float]]
    trainer_parameters: dict[str, Any]


def evaluated_models(store: MetadataStore, pipeline_name: str | None = None
                     ) -> list[EvaluatedModel]:
    """Every ModelEvaluation recorded in `store` (optionally of one pipeline), oldest first,
    with its model, the blessing, the metrics and the parameters that made the model."""
    try:
        protos = store.get_artifacts_by_type("ModelEvaluation")
    except Exception:  # the type was never registered in this store
        return []
    evaluations = record.load_artifacts(store, [p.id for p in protos])
    producers = _producers(store, set(evaluations))
    executions = {e.id: e for e in store.get_executions_by_id(sorted(set(producers.values())))
                  } if producers else {}
    found = []
    for evaluation_id, evaluation in sorted(evaluations.items()):
        execution = executions.get(producers.get(evaluation_id, -1))
        if execution is None:
            continue
        if pipeline_name and record.custom(execution, "pipeline_name") != pipeline_name:
            continue
        inputs, outputs = _events_by_execution(store, [execution.id])
        models = inputs.get(execution.id, {}).get("model") or []
        blessings = outputs.get(execution.id, {}).get("blessing") or []
        model_id = models[0] if models else None
        blessing_id = blessings[0] if blessings else None
        linked = record.load_artifacts(store, [i for i in (model_id, blessing_id) if i])
        blessing = linked.get(blessing_id) if blessing_id else None
        parameters: dict[str, Any] = {}
        if model_id is not None:
            made_by = _producers(store, {model_id}).get(model_id)
            if made_by is not None:
                [trainer] = store.get_executions_by_id([made_by])
                parameters = _node_facts(trainer, False, {}, {}).parameters
        found.append(EvaluatedModel(
            evaluation_id=evaluation_id,
            evaluation_uri=evaluation.uri,
            model_id=model_id,
            model_uri=linked[model_id].uri if model_id in linked else "",
            run_id=str(record.custom(execution, "run_id", "")),
            pipeline_name=str(record.custom(execution, "pipeline_name", "")),
            blessed=None if blessing is None or blessing.get_custom_property(
                "blessed") is None else bool(blessing.get_custom_property("blessed")),
            metrics=evaluation_metrics(evaluation),
            trainer_parameters=parameters,
        ))
    return found


# -- the model registry, as ML Metadata recorded it -------------------------------------------
def alias_changes(store: MetadataStore, destination: str | None = None) -> list[dict[str, Any]]:
    """Alias changes recorded in ML Metadata by `tfxkit models promote` (oldest first),
    optionally for one push destination (base directory): dicts with alias, version,
    previous, action, time, user, host, destination, seq. The destination's own history
    (`tfxkit.components.pusher.registry.alias_events`) is the source of truth; this is its
    copy next to the lineage."""
    import os

    try:
        store.get_execution_type("ModelAliasChange")
    except Exception:  # never recorded in this store
        return []
    wanted = None if destination is None or "://" in destination else os.path.abspath(
        destination)
    changes = []
    for execution in sorted(store.get_executions_by_type("ModelAliasChange"),
                            key=lambda e: (record.custom(e, "time", 0.0), e.id)):
        props = {k: record.get_value(v) for k, v in execution.custom_properties.items()}
        if destination is not None and props.get("destination") not in (destination, wanted):
            continue
        changes.append({k: props.get(k) for k in ("alias", "version", "previous", "action",
                                                  "time", "user", "host", "destination",
                                                  "seq")})
    return changes


__all__ = [
    "Comparison",
    "Difference",
    "EvaluatedModel",
    "NodeFacts",
    "RunDiff",
    "RunRecord",
    "alias_changes",
    "changed_parameters",
    "compare_runs",
    "diff_runs",
    "evaluated_models",
    "evaluation_metrics",
    "find_run",
    "load_run_record",
    "lower_is_better",
    "metric_value",
    "run_contexts",
]
