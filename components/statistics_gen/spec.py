"""`StatisticsGenSpec`: Examples (+ optional Schema) -> ExampleStatistics."""

from __future__ import annotations

from tfxkit.dsl.component_spec import ChannelParameter, ComponentSpec, ExecutionParameter
from tfxkit.types.standard_artifacts import Examples, ExampleStatistics, Schema


class StatisticsGenSpec(ComponentSpec):
    """examples, schema (optional), stats_options, exclude_splits -> statistics."""

    PARAMETERS = {
        "stats_options": ExecutionParameter(
            type=dict, optional=True, proto="tensorflow_data_validation.StatsOptions",
            description="tfdv.StatsOptions arguments, e.g. {'sample_rate': 0.1}"),
        "exclude_splits": ExecutionParameter(
            type=list, optional=True, description="split names to leave out"),
    }
    INPUTS = {
        "examples": ChannelParameter(type=Examples),
        "schema": ChannelParameter(type=Schema, optional=True),
    }
    OUTPUTS = {"statistics": ChannelParameter(type=ExampleStatistics)}
