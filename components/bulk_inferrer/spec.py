"""BulkInferrerSpec: Examples + Model (+ ModelBlessing) in; InferenceResult (+ Examples) out."""

from __future__ import annotations

from typing import Any

from tfxkit.dsl.component_spec import ChannelParameter, ComponentSpec, ExecutionParameter
from tfxkit.types.standard_artifacts import Examples, InferenceResult, Model, ModelBlessing


class BulkInferrerSpec(ComponentSpec):
    """Parameters, inputs and outputs of BulkInferrer (see `BulkInferrer` for their meaning)."""

    PARAMETERS = {
        "data_spec": ExecutionParameter(
            type=dict, optional=True, hint=dict[str, Any],
            description="TFX DataSpec JSON: {'example_splits': ['eval']} (default: all splits)"),
        "model_spec": ExecutionParameter(
            type=dict, optional=True, hint=dict[str, Any],
            description="TFX ModelSpec JSON: {'model_signature_name': [...], 'tag': [...]}"),
        "output_example_spec": ExecutionParameter(
            type=dict, optional=True, hint=dict[str, Any],
            description="TFX OutputExampleSpec JSON: which prediction outputs become columns "
                        "of output_examples"),
    }
    INPUTS = {
        "examples": ChannelParameter(type=Examples, description="examples to predict on"),
        "model": ChannelParameter(type=Model, description="the model, {uri}/Format-Serving/"),
        "model_blessing": ChannelParameter(
            type=ModelBlessing, optional=True,
            description="the Evaluator's verdict; NOT_BLESSED skips inference"),
    }
    OUTPUTS = {
        "inference_result": ChannelParameter(
            type=InferenceResult, description="PredictionLog records, prediction_logs-*.gz"),
        "output_examples": ChannelParameter(
            type=Examples, optional=True,
            description="the examples with prediction columns (only with output_example_spec)"),
    }
