"""TransformSpec: Examples + Schema + preprocessing_fn in; TransformGraph, transformed Examples
and the analyzer cache out."""

from __future__ import annotations

from tfxkit.dsl.component_spec import ChannelParameter, ComponentSpec, ExecutionParameter
from tfxkit.types.standard_artifacts import Examples, Schema, TransformCache, TransformGraph


class TransformSpec(ComponentSpec):
    """Parameters, inputs and outputs of Transform (see `Transform` for their meaning)."""

    PARAMETERS = {
        "module_file": ExecutionParameter(
            type=str, optional=True, user_code=True,
            description="path of a .py file defining preprocessing_fn(inputs)"),
        "preprocessing_fn": ExecutionParameter(
            type=str, optional=True, user_code=True,
            description="dotted path of the preprocessing_fn, e.g. 'steps.transform."
                        "preprocessing_fn'"),
        "splits_config": ExecutionParameter(
            type=dict, optional=True, hint=dict[str, list[str]],
            description="{'analyze': [splits], 'transform': [splits]} (TFX SplitsConfig JSON); "
                        "default analyzes 'train' and transforms every split"),
        "force_tf_compat_v1": ExecutionParameter(
            type=bool, optional=True, default=False,
            description="trace preprocessing_fn in TF1 graph mode"),
        "custom_config": ExecutionParameter(
            type=dict, optional=True,
            description="passed as preprocessing_fn(inputs, custom_config) if it takes it"),
        "disable_analyzer_cache": ExecutionParameter(
            type=bool, optional=True, default=False,
            description="do not read or write the analyzer cache"),
    }
    INPUTS = {
        "examples": ChannelParameter(type=Examples, description="raw examples"),
        "schema": ChannelParameter(type=Schema, description="schema of the raw examples"),
        "analyzer_cache": ChannelParameter(
            type=TransformCache, optional=True,
            description="cache from an earlier Transform run, reused for unchanged data"),
    }
    OUTPUTS = {
        "transform_graph": ChannelParameter(type=TransformGraph,
                                            description="tft.TFTransformOutput folder"),
        "transformed_examples": ChannelParameter(type=Examples,
                                                 description="transformed examples per split"),
        "updated_analyzer_cache": ChannelParameter(type=TransformCache,
                                                   description="analyzer cache for later runs"),
    }
