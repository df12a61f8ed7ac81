"""`SchemaGenSpec`: ExampleStatistics -> Schema."""

from __future__ import annotations

from tfxkit.dsl.component_spec import ChannelParameter, ComponentSpec, ExecutionParameter
from tfxkit.types.standard_artifacts import ExampleStatistics, Schema


class SchemaGenSpec(ComponentSpec):
    """statistics, infer_feature_shape, exclude_splits -> schema."""

    PARAMETERS = {
        "infer_feature_shape": ExecutionParameter(
            type=bool, optional=True, default=True,
            description="infer fixed shapes for features always present with one value"),
        "exclude_splits": ExecutionParameter(
            type=list, optional=True, description="split names to leave out"),
    }
    INPUTS = {"statistics": ChannelParameter(type=ExampleStatistics)}
    OUTPUTS = {"schema": ChannelParameter(type=Schema)}
