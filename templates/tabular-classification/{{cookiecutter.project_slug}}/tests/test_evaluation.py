"""The eval config is a valid TFMA EvalConfig with the configured thresholds."""

from __future__ import annotations

import pytest
from google.protobuf import json_format

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
