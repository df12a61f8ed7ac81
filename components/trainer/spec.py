"""TrainerSpec: Examples (+ TransformGraph, Schema, HyperParameters) and run_fn in; Model and
ModelRun out."""

from __future__ import annotations

from tfxkit.dsl.component_spec import ChannelParameter, ComponentSpec, ExecutionParameter
from tfxkit.types.standard_artifacts import (
    Examples,
    HyperParameters,
    Model,
    ModelRun,
    Schema,
    TransformGraph,
)


class TrainerSpec(ComponentSpec):
    """Parameters, inputs and outputs of Trainer (see `Trainer` for their meaning)."""

    PARAMETERS = {
        "module_file": ExecutionParameter(
            type=str, optional=True, user_code=True,
            description="path of a .py file defining run_fn(fn_args)"),
        "run_fn": ExecutionParameter(
            type=str, optional=True, user_code=True,
            description="dotted path of the run_fn, e.g. 'steps.model.run_fn'"),
        "train_args": ExecutionParameter(
            type=dict, optional=True,
            description="{'num_steps': N, 'splits': ['train']} (TFX TrainArgs JSON)"),
        "eval_args": ExecutionParameter(
            type=dict, optional=True,
            description="{'num_steps': N, 'splits': ['eval']} (TFX EvalArgs JSON)"),
        "custom_config": ExecutionParameter(
            type=dict, optional=True, description="passed to run_fn as fn_args.custom_config"),
    }
    INPUTS = {
        "examples": ChannelParameter(
            type=Examples, description="training data (Transform's transformed_examples)"),
        "transform_graph": ChannelParameter(
            type=TransformGraph, optional=True, description="fn_args.transform_output"),
        "schema": ChannelParameter(type=Schema, optional=True,
                                   description="fn_args.schema_path"),
        "hyperparameters": ChannelParameter(
            type=HyperParameters, optional=True, description="fn_args.hyperparameters"),
        "base_model": ChannelParameter(
            type=Model, optional=True, description="fn_args.base_model, to warm-start from"),
    }
    OUTPUTS = {
        "model": ChannelParameter(type=Model, description="the serving SavedModel"),
        "model_run": ChannelParameter(type=ModelRun, description="TensorBoard logs"),
    }
