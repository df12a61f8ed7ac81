"""`ExampleValidator`: check statistics against a schema (and a baseline, for drift)."""

from __future__ import annotations

from typing import Any

from tfxkit.components.example_validator.spec import ExampleValidatorSpec
from tfxkit.dsl.base_component import BaseComponent
from tfxkit.types.channel import Channel


class ExampleValidator(BaseComponent):
    """Finds anomalies in each split's statistics with `tfdv.validate_statistics`: values or
    types the schema does not allow, missing features, and, given `baseline_statistics`,
    drift beyond per-feature thresholds.

    Inputs:
        statistics (ExampleStatistics): the statistics to check.
        schema (Schema): the expected data, e.g. from SchemaGen or ImportSchemaGen.
        baseline_statistics (ExampleStatistics, optional): earlier statistics (e.g. the last
            accepted data); each split is compared with the baseline split of the same name.

    Outputs:
        anomalies (ExampleAnomalies): `{uri}/Split-<name>/SchemaDiff.pb`, a serialized TFDV
            Anomalies proto per split; properties split_names and span; custom properties
            `anomaly_count` (int) and `anomalies_summary` (JSON list of {split, feature,
            kinds, description}).

    Parameters:
        exclude_splits: split names to leave out.
        fail_on_anomalies: when True, any anomaly stops the pipeline with an error listing each
            one (split, feature, kind, description). Validation nobody reads protects nothing.
        drift_thresholds: feature -> threshold for drift against `baseline_statistics`. A number
            uses the L-infinity distance for categorical (string, or categorical int) features
            and the Jensen-Shannon divergence for numeric ones; a dict picks the measure, e.g.
            `{"fare": {"jensen_shannon_divergence": 0.1}}` or `{"payment_type":
            {"infinity_norm": 0.01}}`.
    """

    SPEC_CLASS = ExampleValidatorSpec
    EXECUTOR = "tfxkit.components.example_validator.executor.Executor"

    def __init__(
        self,
        statistics: Channel,
        schema: Channel,
        baseline_statistics: Channel | None = None,
        exclude_splits: list[str] | None = None,
        fail_on_anomalies: bool | None = None,
        drift_thresholds: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(statistics=statistics, schema=schema,
                         baseline_statistics=baseline_statistics, exclude_splits=exclude_splits,
                         fail_on_anomalies=fail_on_anomalies, drift_thresholds=drift_thresholds)
