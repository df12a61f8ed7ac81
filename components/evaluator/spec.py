"""EvaluatorSpec: Examples + Model (+ baseline) and an EvalConfig in; ModelEvaluation and
ModelBlessing out."""

from __future__ import annotations

from tfxkit.dsl.component_spec import ChannelParameter, ComponentSpec, ExecutionParameter
from tfxkit.types.standard_artifacts import (
    Examples,
    Model,
    ModelBlessing,
    ModelEvaluation,
    Schema,
)


class EvaluatorSpec(ComponentSpec):
    """Parameters, inputs and outputs of Evaluator (see `Evaluator` for their meaning)."""

    PARAMETERS = {
        "eval_config": ExecutionParameter(
            type=dict, proto="tensorflow_model_analysis.EvalConfig",
            description="TFMA EvalConfig in its JSON mapping (model_specs, slicing_specs, "
                        "metrics_specs with thresholds)"),
        "push_destination": ExecutionParameter(
            type=(dict, str), optional=True,
            description="the Pusher's destination; its latest version is the baseline"),
        "baseline": ExecutionParameter(
            type=str, optional=True,
            description="which pushed version is the baseline: 'latest' (default) or an alias "
                        "such as 'production'"),
        "example_splits": ExecutionParameter(
            type=list, optional=True, hint=list[str], description="splits to evaluate on (default ['eval'])"),
    }
    INPUTS = {
        "examples": ChannelParameter(type=Examples, description="raw examples"),
        "model": ChannelParameter(type=Model, description="the candidate model"),
        "baseline_model": ChannelParameter(
            type=Model, optional=True,
            description="explicit baseline (otherwise the latest pushed version)"),
        "schema": ChannelParameter(type=Schema, optional=True,
                                   description="schema of the raw examples"),
    }
    OUTPUTS = {
        "evaluation": ChannelParameter(type=ModelEvaluation, description="TFMA output"),
        "blessing": ChannelParameter(type=ModelBlessing,
                                     description="BLESSED / NOT_BLESSED and the reason"),
    }
