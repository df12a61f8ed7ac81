"""Comparing model versions: every recorded evaluation with its model, verdict and metrics.

`model_evaluations(store)` reads each ModelEvaluation artifact back from ML Metadata with the
model it evaluated, the Trainer parameters that made that model, the blessing and the overall
metrics; `comparison_fragment(records)` shows them side by side as a table and a bar chart per
metric.
"""

from __future__ import annotations

import dataclasses
import json
from typing import TYPE_CHECKING, Any

from tfxkit.metadata import record
from tfxkit.reports.htmlkit import esc, table
from tfxkit.reports.svg import bar_chart_svg

if TYPE_CHECKING:
    from ml_metadata.metadata_store.metadata_store import MetadataStore


@dataclasses.dataclass
class EvaluationRecord:
    """One evaluated model version.

    Attributes:
        evaluation_id: the ModelEvaluation artifact's id.
        evaluation_uri: where TFMA's result is (`tfma.load_eval_result(uri)`).
        model_id: id of the Model artifact it evaluated (None if not recorded).
        model_uri: that model's folder.
        run_id: run of the evaluating execution.
        blessed: the Evaluator's verdict (None when there is no blessing output).
        metrics: overall metric name -> value.
        trainer_parameters: parameters of the Trainer execution that produced the model.
    """

    evaluation_id: int
    evaluation_uri: str
    model_id: int | None
    model_uri: str
    run_id: str
    blessed: bool | None
    metrics: dict[str, float]
    trainer_parameters: dict[str, Any]


def _overall_metrics(artifact: Any) -> dict[str, float]:
    raw = artifact.get_custom_property("overall_metrics")
    if raw:
        return {k: float(v) for k, v in json.loads(raw).items() if isinstance(v, int | float)}
    from tfxkit.reports.artifacts import evaluation_metrics

    return dict(next((values for name, values in evaluation_metrics(artifact.uri)
                      if name == "Overall"), {}))


def model_evaluations(store: MetadataStore, pipeline_name: str | None = None
                      ) -> list[EvaluationRecord]:
    """Every ModelEvaluation recorded in `store` (optionally of one pipeline), oldest first,
    with its model, the Trainer parameters, the blessing and the overall metrics."""
    from tfxkit.metadata.query import evaluated_models

    records = []
    for found in evaluated_models(store, pipeline_name):  # the one query API (issue 16)
        evaluation = record.load_artifacts(store, [found.evaluation_id])[found.evaluation_id]
        records.append(EvaluationRecord(
            evaluation_id=found.evaluation_id,
            evaluation_uri=found.evaluation_uri,
            model_id=found.model_id,
            model_uri=found.model_uri,
            run_id=found.run_id,
            blessed=found.blessed,
            metrics=dict(found.metrics.get("Overall") or _overall_metrics(evaluation)),
            trainer_parameters=found.trainer_parameters,
        ))
    return records


def _differing(records: list[EvaluationRecord]) -> dict[int, str]:
    """Per evaluation, the Trainer parameters that differ between the records, as text."""
    keys = sorted({k for r in records for k in r.trainer_parameters})
    varying = [k for k in keys if len({json.dumps(r.trainer_parameters.get(k), sort_keys=True)
                                       for r in records}) > 1]
    return {r.evaluation_id: ", ".join(f"{k}={json.dumps(r.trainer_parameters.get(k))}"
                                       for k in varying) for r in records}


def comparison_fragment(records: list[EvaluationRecord], metrics: list[str] | None = None) -> str:
    """HTML `<div>`: a table of the evaluated models side by side (model, run, the Trainer
    parameters that differ, blessing, metrics) and one bar chart per metric."""
    if not records:
        return "<p>No model evaluations recorded yet: run an Evaluator first.</p>"
    names = metrics or sorted({m for r in records for m in r.metrics})
    params = _differing(records)
    rows = [[f"model #{r.model_id}", r.run_id, params[r.evaluation_id],
             {True: "BLESSED", False: "NOT BLESSED", None: ""}[r.blessed],
             *(r.metrics.get(m) for m in names)] for r in records]
    labels = [f"model #{r.model_id}" for r in records]
    charts = [bar_chart_svg(labels, {m: [r.metrics.get(m) for r in records]}, title=m,
                            width=max(320, 90 * len(records) + 80))
              for m in names if m != "example_count"]
    return ("<div class='tfxkit-compare'><h2>Evaluated models</h2>"
            + table(["model", "run", "trainer parameters", "blessing", *names], rows)
            + "<div class='charts'>" + "".join(charts) + "</div>"
            + f"<p>{esc(len(records))} evaluation(s).</p></div>")
