"""Evaluation, push and batch prediction: the evaluation owner's settings and code.

Owner: {{ cookiecutter.owner_evaluation }} (CODEOWNERS).

The Evaluator computes these metrics with TFMA on the eval split, overall and per slice, and
compares the new model with the one currently pushed (the baseline: `baseline` below, the latest
version or an alias set with `tfxkit models promote`). The model is pushed only if every
threshold holds. The config is TFMA's EvalConfig in its JSON form.

Change a setting here (its default) for good, or for one run by its name without editing this
file: `tfxkit run pipeline/pipeline.py -p baseline=production`. The Evaluator records the
config it ran with.

Test this step alone: `python -m pytest tests/test_evaluation.py`.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from tfxkit.recipes.tabular import LABEL_PRESENT, transformed_name

if TYPE_CHECKING:
    from pipeline.config import PipelineConfig


@dataclasses.dataclass(frozen=True)
class EvaluationSettings:
    """The evaluation owner's settings: thresholds, slices, the baseline, batch prediction."""

    # The bar a model must clear to be pushed: accuracy on the whole eval split at least
    # accuracy_lower_bound, and at most accuracy_max_drop below the pushed model's (the baseline).
    accuracy_lower_bound: float = 0.6
    accuracy_max_drop: float = 0.05
    slice_features: list[str] = dataclasses.field(default_factory=lambda: ["island"])
    # The pushed model new models are compared with: "latest" (the highest pushed version) or
    # an alias set with `tfxkit models promote <serving_model_dir> <version> --alias production`
    # (then "production"). An alias not set yet means no baseline, as on the first push.
    baseline: str = "latest"
    # Batch prediction (TFX's BulkInferrer): True adds a step after the Evaluator that predicts
    # with the new model, if blessed, on `bulk_inference_splits` of the examples and writes
    # PredictionLog records (its `inference_result`).
    bulk_inference: bool = False
    bulk_inference_splits: list[str] = dataclasses.field(default_factory=lambda: ["eval"])


def eval_config(config: PipelineConfig) -> dict[str, Any]:
    """TFMA EvalConfig: accuracy at least `accuracy_lower_bound`, and no worse than the pushed
    model by more than `accuracy_max_drop`; example counts; overall and per `slice_features`.

    `config` holds every setting (a PipelineConfig is each group's settings): these, and the
    label's from steps/data.py.
    """
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
                {"class_name": "SparseCategoricalAccuracy",
                 # Judged on the whole eval split; slices are reported, not gated (small
                 # slices are noisy).
                 "per_slice_thresholds": [{"slicing_specs": [{}], "threshold": {
                     "value_threshold": {"lower_bound": config.accuracy_lower_bound},
                     "change_threshold": {"direction": "HIGHER_IS_BETTER",
                                          "absolute": -config.accuracy_max_drop},
                 }}]},
            ],
        }],
    }
