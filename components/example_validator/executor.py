"""ExampleValidator executor: per-split `tfdv.validate_statistics` -> `SchemaDiff.pb`.

Output: `{anomalies.uri}/Split-<name>/SchemaDiff.pb` (serialized Anomalies proto); custom
properties `anomaly_count` and `anomalies_summary` (JSON list of {split, feature, kinds,
short_description, description}). With `fail_on_anomalies`, raises `AnomaliesFoundError`
listing them. Heavy libraries (TFDV) are imported inside functions only.
"""

from __future__ import annotations

import json
import os
from typing import Any

from tfxkit.components.schema_gen.executor import load_split_statistics
from tfxkit.components.statistics_gen.executor import load_schema, selected_splits
from tfxkit.dsl.base_executor import BaseExecutor
from tfxkit.errors import DataError
from tfxkit.types.artifact import Artifact

ANOMALIES_FILE = "SchemaDiff.pb"
_MEASURES = ("infinity_norm", "jensen_shannon_divergence")


class AnomaliesFoundError(DataError):
    """ExampleValidator(fail_on_anomalies=True) found anomalies; the message lists each one."""


def apply_drift_thresholds(schema: Any, thresholds: dict[str, Any]) -> Any:
    """A copy of `schema` with a drift comparator per feature in `thresholds`.

    A number means L-infinity for categorical features (BYTES, or INT with a categorical
    int_domain) and Jensen-Shannon divergence for numeric ones; a dict names the measure.
    """
    from tensorflow_metadata.proto.v0 import schema_pb2

    result = schema_pb2.Schema()
    result.CopyFrom(schema)
    features = {f.name: f for f in result.feature}
    for name, threshold in thresholds.items():
        feature = features.get(name)
        if feature is None:
            raise DataError(f"ExampleValidator drift_thresholds: feature {name!r} is not in the "
                            f"schema (features: {sorted(features)}). Use one of those names.")
        if isinstance(threshold, dict):
            measures = threshold
        else:
            categorical = feature.type == schema_pb2.BYTES or (
                feature.type == schema_pb2.INT and feature.int_domain.is_categorical)
            measures = {_MEASURES[0] if categorical else _MEASURES[1]: threshold}
        for measure, value in measures.items():
            if measure not in _MEASURES or isinstance(value, bool) \
                    or not isinstance(value, int | float):
                raise DataError(
                    f"ExampleValidator drift_thresholds[{name!r}]: expected a number or a dict "
                    f"of {list(_MEASURES)} to numbers, found {threshold!r}. Example: "
                    f"{{'{name}': 0.01}}.")
            getattr(feature.drift_comparator, measure).threshold = float(value)
    return result


def summarize(split: str, anomalies: Any) -> list[dict[str, Any]]:
    """One plain dict per anomaly of a split: split, feature, kinds, descriptions."""
    from tensorflow_metadata.proto.v0 import anomalies_pb2

    entries = []
    infos = list(anomalies.anomaly_info.items())
    if anomalies.HasField("dataset_anomaly_info"):
        infos.append(("(dataset)", anomalies.dataset_anomaly_info))
    for feature, info in sorted(infos):
        entries.append({
            "split": split,
            "feature": feature,
            "kinds": [anomalies_pb2.AnomalyInfo.Type.Name(r.type) for r in info.reason],
            "short_description": info.short_description,
            "description": info.description,
        })
    return entries


def format_anomalies(entries: list[dict[str, Any]]) -> str:
    """Readable lines: split, feature, kind, description."""
    return "\n".join(
        f"  - split {e['split']!r}, feature {e['feature']!r}, {'/'.join(e['kinds'])}: "
        f"{e['description'] or e['short_description']}" for e in entries)


class Executor(BaseExecutor):
    """ExampleValidator's executor.

    input_dict: {"statistics": [ExampleStatistics], "schema": [Schema],
    "baseline_statistics": [ExampleStatistics] (optional)}. exec_properties: `exclude_splits`,
    `fail_on_anomalies`, `drift_thresholds`. output_dict: {"anomalies": [ExampleAnomalies]};
    writes `{uri}/Split-<name>/SchemaDiff.pb`.
    """

    def Do(
        self,
        input_dict: dict[str, list[Artifact]],
        output_dict: dict[str, list[Artifact]],
        exec_properties: dict[str, Any],
    ) -> None:
        """Validate each selected split; record the summary; raise if asked to."""
        import tensorflow_data_validation as tfdv

        statistics = input_dict["statistics"][0]
        schema = load_schema(input_dict.get("schema"))
        if schema is None:
            raise DataError("ExampleValidator needs a schema input: pass schema="
                            "schema_gen.outputs['schema'].")
        baseline_list = input_dict.get("baseline_statistics") or []
        baseline = baseline_list[0] if baseline_list else None
        thresholds = exec_properties.get("drift_thresholds") or {}
        if thresholds and baseline is None:
            raise DataError(f"ExampleValidator drift_thresholds {thresholds} need a "
                            f"baseline_statistics input to compare with. Pass baseline_statistics"
                            f"=<earlier statistics>, or drop drift_thresholds.")
        if thresholds:
            schema = apply_drift_thresholds(schema, thresholds)
        out = output_dict["anomalies"][0]
        splits = selected_splits(statistics, exec_properties.get("exclude_splits"),
                                 "ExampleValidator")
        entries: list[dict[str, Any]] = []
        for split in splits:
            previous = None
            if baseline is not None:
                names = baseline.split_names
                if split not in names:
                    raise DataError(f"ExampleValidator baseline_statistics has no split "
                                    f"{split!r} (it has {names}). Compare like with like: use a "
                                    f"baseline with the same splits, or exclude {split!r}.")
                previous = load_split_statistics(baseline, split)
            anomalies = tfdv.validate_statistics(load_split_statistics(statistics, split),
                                                 schema, previous_statistics=previous)
            folder = os.path.join(out.uri, f"Split-{split}")
            os.makedirs(folder, exist_ok=True)
            with open(os.path.join(folder, ANOMALIES_FILE), "wb") as f:
                f.write(anomalies.SerializeToString())
            entries.extend(summarize(split, anomalies))
        out.split_names = splits
        out.span = int(getattr(statistics, "span", 0) or 0)
        out.set_custom_property("anomaly_count", len(entries))
        out.set_custom_property("anomalies_summary", json.dumps(entries))
        if entries:
            out.set_custom_property("note", f"{len(entries)} anomal"
                                            f"{'y' if len(entries) == 1 else 'ies'}; see "
                                            f"`tfxkit show {out.uri}`")
        if entries and exec_properties.get("fail_on_anomalies"):
            raise AnomaliesFoundError(
                f"ExampleValidator found {len(entries)} anomal{'y' if len(entries) == 1 else 'ies'}"
                f" (fail_on_anomalies=True):\n{format_anomalies(entries)}\nFix the data; or, if "
                f"the change is expected, update the schema (e.g. the file ImportSchemaGen "
                f"reads) or drift_thresholds; or set fail_on_anomalies=False to only record them.")
