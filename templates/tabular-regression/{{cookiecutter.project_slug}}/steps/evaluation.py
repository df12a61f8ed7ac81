"""Evaluation and the bar a model must clear to be pushed. Owner: {{ cookiecutter.owner_evaluation }}.

The Evaluator computes these metrics with TFMA on the eval split, overall and per slice, and
compares the new model with the one currently pushed (the baseline: `baseline` in
pipeline/config.py, the latest version or an alias set with `tfxkit models promote`). The
model is pushed only if every threshold holds. The config is TFMA's EvalConfig in its JSON form.

Test this step alone: `python -m pytest tests/test_evaluation.py`.
"""

from __future__ import annotations

from typing import Any

from tfxkit.recipes.tabular import LABEL_PRESENT, transformed_name

from pipeline.config import PipelineConfig


def eval_config(config: PipelineConfig) -> dict[str, Any]:
    """TFMA EvalConfig: mean absolute error at most `mae_upper_bound`, and no more than
    `mae_max_increase` above the pushed model's; example counts; overall and per
    `slice_features`."""
    model_spec = {
        "signature_name": "serving_default",
        "label_key": transformed_name(config.label_key),
        "preprocessing_function_names": ["transform_features"],
    }
    if config.drop_rows_without_label:  # rows without a label weigh nothing
        model_spec["example_weight_key"] = LABEL_PRESENT
    return {
        "model_specs": [model_spec],
        "slicing_specs": [{}] + [{"feature_keys": [key]} for key in config.slice_features
                                 if key != config.label_key],
        "metrics_specs": [{
            "metrics": [
                {"class_name": "ExampleCount"},
                {"class_name": "MeanSquaredError"},
                {"class_name": "MeanAbsoluteError",
                 # Judged on the whole eval split; slices are reported, not gated (small
                 # slices are noisy).
                 "per_slice_thresholds": [{"slicing_specs": [{}], "threshold": {
                     "value_threshold": {"upper_bound": config.mae_upper_bound},
                     "change_threshold": {"direction": "LOWER_IS_BETTER",
                                          "absolute": config.mae_max_increase},
                 }}]},
            ],
        }],
    }
