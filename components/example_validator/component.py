"""`ExampleValidator`: check statistics against a schema (and a baseline, for drift)."""

from __future__ import annotations

from typing import Any

from tfxkit.components.example_validator.spec import ExampleValidatorSpec
from tfxkit.dsl.base_component import BaseComponent
from tfxkit.errors import ComponentArgumentError
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
        required_features: features every example must have, typically the label: their
            schema presence becomes required (`min_fraction: 1`, `min_count: 1`, as a curated
            TFX schema marks them) before validation, so a missing value is an anomaly
            (FEATURE_TYPE_LOW_FRACTION_PRESENT) whatever the inferred schema says.
        on_missing_required: what examples missing a required feature mean. "error" (default):
            they stop the run here, before training, with a DataError naming
            the feature, the number of examples per split and the fix, whatever
            `fail_on_anomalies` says. "drop": a later step drops them (the tabular recipe's
            `drop_rows_without_label`); the anomaly is recorded and the count is noted.
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
        required_features: list[str] | None = None,
        on_missing_required: str | None = None,
    ) -> None:
        if on_missing_required not in (None, "error", "drop"):
            raise ComponentArgumentError(
                f"ExampleValidator on_missing_required={on_missing_required!r}: expected "
                f"'error' (stop the run) or 'drop' (a later step drops those examples).")
        super().__init__(statistics=statistics, schema=schema,
                         baseline_statistics=baseline_statistics, exclude_splits=exclude_splits,
                         fail_on_anomalies=fail_on_anomalies, drift_thresholds=drift_thresholds,
                         required_features=required_features,
                         on_missing_required=on_missing_required)
