"""`ExampleValidatorSpec`: ExampleStatistics + Schema (+ baseline statistics) -> ExampleAnomalies."""

from __future__ import annotations

from tfxkit.dsl.component_spec import ChannelParameter, ComponentSpec, ExecutionParameter
from tfxkit.types.standard_artifacts import ExampleAnomalies, ExampleStatistics, Schema


class ExampleValidatorSpec(ComponentSpec):
    """statistics, schema, baseline_statistics (optional), exclude_splits, fail_on_anomalies,
    drift_thresholds, required_features, on_missing_required -> anomalies."""

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
        "required_features": ExecutionParameter(
            type=list, optional=True,
            description="features every example must have (e.g. the label): the schema's "
                        "presence is set to min_fraction 1, min_count 1 before validating"),
        "on_missing_required": ExecutionParameter(
            type=str, optional=True,
            description="'error' (default): examples missing a required feature stop the run; 'drop': a "
                        "later step drops them, the count is noted"),
    }
    INPUTS = {
        "statistics": ChannelParameter(type=ExampleStatistics),
        "schema": ChannelParameter(type=Schema),
        "baseline_statistics": ChannelParameter(
            type=ExampleStatistics, optional=True,
            description="earlier statistics to compare against for drift"),
    }
    OUTPUTS = {"anomalies": ChannelParameter(type=ExampleAnomalies)}
