"""`ExampleValidatorSpec`: ExampleStatistics + Schema (+ baseline statistics) -> ExampleAnomalies."""

from __future__ import annotations

from tfxkit.dsl.component_spec import ChannelParameter, ComponentSpec, ExecutionParameter
from tfxkit.types.standard_artifacts import ExampleAnomalies, ExampleStatistics, Schema


class ExampleValidatorSpec(ComponentSpec):
    """statistics, schema, baseline_statistics (optional), exclude_splits, fail_on_anomalies,
    drift_thresholds -> anomalies."""

    PARAMETERS = {
        "exclude_splits": ExecutionParameter(
            type=list, optional=True, description="split names to leave out"),
        "fail_on_anomalies": ExecutionParameter(
            type=bool, optional=True, default=False,
            description="stop the pipeline, listing the anomalies, when any is found"),
        "drift_thresholds": ExecutionParameter(
            type=dict, optional=True,
            description="feature -> max drift against baseline_statistics, e.g. "
                        "{'payment_type': 0.01}"),
    }
    INPUTS = {
        "statistics": ChannelParameter(type=ExampleStatistics),
        "schema": ChannelParameter(type=Schema),
        "baseline_statistics": ChannelParameter(
            type=ExampleStatistics, optional=True,
            description="earlier statistics to compare against for drift"),
    }
    OUTPUTS = {"anomalies": ChannelParameter(type=ExampleAnomalies)}
