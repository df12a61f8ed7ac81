"""The eval config is a valid TFMA EvalConfig with the configured thresholds, and the real
Evaluator runs it on the golden inputs (tests/fixtures/Evaluator/: a sample of the last run's
examples and its model, `make fixtures`)."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from google.protobuf import json_format
from tfxkit.testing import StepResult

from pipeline.config import PipelineConfig
from steps.evaluation import eval_config


@pytest.mark.integration
def test_eval_config_parses_into_tfma(config: PipelineConfig) -> None:
    import tensorflow_model_analysis as tfma

    parsed = json_format.ParseDict(eval_config(config), tfma.EvalConfig())
    [metric] = [m for m in parsed.metrics_specs[0].metrics
                if m.class_name == "SparseCategoricalAccuracy"]
    assert metric.per_slice_thresholds[0].threshold.value_threshold.lower_bound.value == config.accuracy_lower_bound
    assert metric.per_slice_thresholds[0].threshold.change_threshold.absolute.value == -config.accuracy_max_drop
    assert parsed.model_specs[0].label_key == config.label_key + "_xf"


@pytest.mark.integration
def test_evaluator_on_golden_inputs(config: PipelineConfig,
                                    run_on_fixtures: Callable[..., StepResult]) -> None:
    result = run_on_fixtures("Evaluator")
    metrics = json.loads(result.output("evaluation").get_custom_property("overall_metrics"))
    assert 0.0 <= metrics["sparse_categorical_accuracy"] <= 1.0
    assert metrics["example_count"] > 0
    blessing = result.output("blessing")
    assert blessing.get_custom_property("blessed") in (0, 1)
    assert blessing.get_custom_property("blessing_reason")
