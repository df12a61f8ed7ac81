"""Evaluator: TFMA on the penguin model; blessings always carry their reason, and the baseline
is the latest version at the push destination."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path
from typing import Any

import pytest

from tfxkit.components import Evaluator
from tfxkit.components.evaluator.executor import Executor
from tfxkit.errors import ComponentArgumentError, ExecutionError
from tfxkit.types.channel import Channel
from tfxkit.types.standard_artifacts import (
    Examples,
    Model,
    ModelBlessing,
    ModelEvaluation,
    Schema,
)

ACCURACY = "sparse_categorical_accuracy"


def eval_config(lower_bound: float | None = None, change: float | None = None) -> dict[str, Any]:
    """EvalConfig JSON: SparseCategoricalAccuracy with optional value / change thresholds."""
    threshold: dict[str, Any] = {}
    if lower_bound is not None:
        threshold["value_threshold"] = {"lower_bound": lower_bound}
    if change is not None:
        threshold["change_threshold"] = {"direction": "HIGHER_IS_BETTER",
                                         "absolute": change}
    metric: dict[str, Any] = {"class_name": "SparseCategoricalAccuracy"}
    if threshold:
        metric["threshold"] = threshold
    return {"model_specs": [{"label_key": "species"}], "slicing_specs": [{}],
            "metrics_specs": [{"metrics": [metric]}]}


def _evaluate(tmp_path: Path, examples: Examples, model: Model, schema: Schema,
              props: dict[str, Any], baseline: Model | None = None,
              ) -> tuple[ModelEvaluation, ModelBlessing]:
    evaluation = ModelEvaluation(uri=str(tmp_path / "evaluation"))
    blessing = ModelBlessing(uri=str(tmp_path / "blessing"))
    inputs: dict[str, list] = {"examples": [examples], "model": [model], "schema": [schema]}
    if baseline is not None:
        inputs["baseline_model"] = [baseline]
    Executor().Do(inputs, {"evaluation": [evaluation], "blessing": [blessing]}, props)
    return evaluation, blessing


def _marker(blessing: ModelBlessing) -> list[str]:
    return sorted(p.name for p in Path(blessing.uri).iterdir())


def test_component_checks_destination_and_splits() -> None:
    with pytest.raises(ComponentArgumentError, match="base_directory"):
        Evaluator(examples=Channel(Examples), model=Channel(Model),
                  eval_config=eval_config(0.6), push_destination={"filesystem": {}})
    with pytest.raises(ComponentArgumentError, match="example_splits"):
        Evaluator(examples=Channel(Examples), model=Channel(Model),
                  eval_config=eval_config(0.6), example_splits="eval")  # type: ignore[arg-type]
    evaluator = Evaluator(examples=Channel(Examples), model=Channel(Model),
                          eval_config=eval_config(0.6), push_destination="/models/penguin")
    assert set(evaluator.outputs) == {"evaluation", "blessing"}


@pytest.mark.integration
def test_blesses_above_lower_bound_first_push_skips_change(
    tmp_path: Path, penguin_examples: Examples, penguin_model: Model, penguin_schema: Schema
) -> None:
    import tensorflow_model_analysis as tfma

    destination = {"filesystem": {"base_directory": str(tmp_path / "serving")}}
    evaluation, blessing = _evaluate(
        tmp_path, penguin_examples, penguin_model, penguin_schema,
        {"eval_config": eval_config(0.6, change=-1e-10), "push_destination": destination})
    assert blessing.custom_properties["blessed"] == 1
    assert _marker(blessing) == ["BLESSED"]
    reason = blessing.custom_properties["blessing_reason"]
    assert reason.startswith(f"all thresholds passed ({ACCURACY} = ")
    assert "change thresholds skipped: no baseline (nothing pushed to" in reason
    metrics = json.loads(evaluation.custom_properties["overall_metrics"])
    assert metrics[ACCURACY] > 0.8
    assert tfma.load_eval_result(evaluation.uri).slicing_metrics


@pytest.mark.integration
def test_impossible_bound_is_not_blessed_with_reason(
    tmp_path: Path, penguin_examples: Examples, penguin_model: Model, penguin_schema: Schema,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING):
        _, blessing = _evaluate(tmp_path, penguin_examples, penguin_model, penguin_schema,
                                {"eval_config": eval_config(1.001)})
    assert blessing.custom_properties["blessed"] == 0
    assert _marker(blessing) == ["NOT_BLESSED"]
    reason = blessing.custom_properties["blessing_reason"]
    value = float(reason.split(f"{ACCURACY} on Overall = ")[1].split()[0])
    assert 0.9 <= value <= 1.0, reason
    assert "lower_bound { value: 1.001 }" in reason
    assert "NOT_BLESSED" in caplog.text and "1.001" in caplog.text


@pytest.mark.integration
def test_no_thresholds_blesses_explicitly(
    tmp_path: Path, penguin_examples: Examples, penguin_model: Model, penguin_schema: Schema
) -> None:
    _, blessing = _evaluate(tmp_path, penguin_examples, penguin_model, penguin_schema,
                            {"eval_config": eval_config(), "example_splits": ["eval", "train"]})
    assert blessing.custom_properties["blessed"] == 1
    assert blessing.custom_properties["blessing_reason"] == (
        "no thresholds configured; blessed by default")


@pytest.mark.integration
def test_baseline_is_latest_pushed_version(
    tmp_path: Path, penguin_examples: Examples, penguin_model: Model, penguin_schema: Schema
) -> None:
    serving = tmp_path / "serving"
    for version in ("1", "2"):
        shutil.copytree(Path(penguin_model.uri, "Format-Serving"), serving / version)
    # The same model as baseline: demanding an improvement of 0.01 must fail.
    _, blessing = _evaluate(tmp_path, penguin_examples, penguin_model, penguin_schema,
                            {"eval_config": eval_config(0.6, change=0.01),
                             "push_destination": str(serving)})
    assert blessing.custom_properties["baseline_model"] == str(serving / "2")
    assert blessing.custom_properties["blessed"] == 0
    reason = blessing.custom_properties["blessing_reason"]
    assert f"{ACCURACY} (change vs baseline) on Overall = 0 fails" in reason


@pytest.mark.integration
def test_explicit_baseline_model_wins_over_destination(
    tmp_path: Path, penguin_examples: Examples, penguin_model: Model, penguin_schema: Schema
) -> None:
    _, blessing = _evaluate(tmp_path, penguin_examples, penguin_model, penguin_schema,
                            {"eval_config": eval_config(0.6, change=-1e-10),
                             "push_destination": str(tmp_path / "empty")},
                            baseline=penguin_model)
    assert blessing.custom_properties["blessed"] == 1
    assert blessing.custom_properties["baseline_model"] == penguin_model.uri
    assert "skipped" not in blessing.custom_properties["blessing_reason"]


@pytest.mark.integration
def test_bad_eval_config_names_the_field(tmp_path: Path) -> None:
    model = Model(uri=str(tmp_path / "model"))
    Path(model.uri, "Format-Serving").mkdir(parents=True)
    config = {"model_specs": [{"label_key": "species"}],
              "metrics_specs": [{"metrics": [{"class_name": "SparseCategoricalAccuracy",
                                              "threshold": {"value_threshold": {
                                                  "lower_bound": {"value": 0.6}}}}]}]}
    with pytest.raises(ExecutionError, match="lower_bound"):
        Executor().Do({"examples": [Examples(uri=str(tmp_path))], "model": [model]},
                      {"evaluation": [ModelEvaluation(uri=str(tmp_path / "e"))],
                       "blessing": [ModelBlessing(uri=str(tmp_path / "b"))]},
                      {"eval_config": config})
