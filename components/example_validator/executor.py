"""ExampleValidator executor: per-split `tfdv.validate_statistics` -> `SchemaDiff.pb`.

Output: `{anomalies.uri}/Split-<name>/SchemaDiff.pb` (serialized Anomalies proto); custom
properties `anomaly_count` and `anomalies_summary` (JSON list of {split, feature, kinds,
short_description, description}). With `fail_on_anomalies`, raises `AnomaliesFoundError`
listing them. `required_features` are made required in the schema before validating; examples
missing one raise `MissingRequiredError` (or are counted in the note with
`on_missing_required="drop"`). String columns that hold ISO dates, nearly one value per row, are
named in the note: as vocabulary words they would not generalise. TensorFlow is never imported:
validation runs TFDV's native validation extension through `tfxkit.components._shared.validation`
(what `tfdv.validate_statistics` returns, byte for byte).
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

from tfxkit.components._shared import validation
from tfxkit.components._shared.schema import load_optional_schema
from tfxkit.components._shared.statistics import load_split_statistics, selected_splits
from tfxkit.dsl.base_executor import BaseExecutor
from tfxkit.errors import DataError
from tfxkit.types.artifact import Artifact

ANOMALIES_FILE = "SchemaDiff.pb"
_MEASURES = ("infinity_norm", "jensen_shannon_divergence")


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?"
                       r"(Z|[+-]\d{2}:?\d{2})?)?")


class AnomaliesFoundError(DataError):
    """ExampleValidator(fail_on_anomalies=True) found anomalies; the message lists each one."""


class MissingRequiredError(DataError):
    """Examples lack a feature listed in ExampleValidator's `required_features` (e.g. the
    label); the message names the feature, the counts per split and the fix."""


def require_features(schema: Any, names: list[str]) -> Any:
    """A copy of `schema` in which each of `names` must be present in every example
    (`presence { min_fraction: 1 min_count: 1 }`). Raises DataError for a name the schema
    does not have (no example had it, or it is misspelt)."""
    from tensorflow_metadata.proto.v0 import schema_pb2

    result = schema_pb2.Schema()
    result.CopyFrom(schema)
    features = {f.name: f for f in result.feature}
    for name in names:
        feature = features.get(name)
        if feature is None:
            raise MissingRequiredError(
                f"ExampleValidator required_features: {name!r} is not in the schema, so no "
                f"example has it (schema features: {', '.join(sorted(features))}). Check the "
                f"column name (e.g. label_key) against the data's header.")
        feature.presence.min_fraction = 1.0
        feature.presence.min_count = 1
    return result


def _common_stats(feature: Any) -> Any:
    kind = feature.WhichOneof("stats")
    return getattr(feature, kind).common_stats if kind else None


def missing_counts(statistics: Any, name: str) -> tuple[int, int]:
    """(examples without feature `name`, examples) of one split's statistics."""
    dataset = statistics.datasets[0]
    for feature in dataset.features:
        path = list(feature.path.step) or [feature.name]
        if path == [name]:
            common = _common_stats(feature)
            missing = int(common.num_missing) if common is not None else dataset.num_examples
            return missing, int(dataset.num_examples)
    return int(dataset.num_examples), int(dataset.num_examples)


def date_like_features(statistics: Any) -> list[str]:
    """String features of one split's statistics whose most frequent values all look like ISO
    dates or timestamps and that take a distinct value in at least half of the examples: as
    categories (a vocabulary) they would not generalise."""
    found = []
    for feature in statistics.datasets[0].features:
        if feature.WhichOneof("stats") != "string_stats":
            continue
        strings = feature.string_stats
        values = [v.value for v in strings.top_values]
        present = strings.common_stats.num_non_missing
        if values and present and strings.unique >= present / 2 and all(
                _ISO_DATE.fullmatch(v.strip()) for v in values):
            found.append(".".join(feature.path.step) or feature.name)
    return found


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
        statistics = input_dict["statistics"][0]
        schema = load_optional_schema(input_dict.get("schema"), "ExampleValidator")
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
        required = list(exec_properties.get("required_features") or [])
        on_missing = exec_properties.get("on_missing_required") or "error"
        if on_missing not in ("error", "drop"):
            raise DataError(f"ExampleValidator on_missing_required={on_missing!r}: expected "
                            f"'error' or 'drop'.")
        if required:
            required_schema = require_features(schema, required)  # also checks the names
            # With "drop", rows without them are expected here: counted, not an anomaly.
            schema = required_schema if on_missing == "error" else schema
        split_statistics: dict[str, Any] = {}
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
            current = load_split_statistics(statistics, split)
            anomalies = validation.validate_statistics(current, schema,
                                                       previous_statistics=previous)
            folder = os.path.join(out.uri, f"Split-{split}")
            os.makedirs(folder, exist_ok=True)
            with open(os.path.join(folder, ANOMALIES_FILE), "wb") as f:
                f.write(anomalies.SerializeToString())
            entries.extend(summarize(split, anomalies))
            split_statistics[split] = current
        out.split_names = splits
        out.span = int(getattr(statistics, "span", 0) or 0)
        out.set_custom_property("anomaly_count", len(entries))
        out.set_custom_property("anomalies_summary", json.dumps(entries))
        notes = []
        if entries:
            notes.append(f"{len(entries)} anomal{'y' if len(entries) == 1 else 'ies'}; see "
                         f"`tfxkit show {out.uri}`")
        dates = sorted({name for stats in split_statistics.values()
                        for name in date_like_features(stats)})
        if dates:
            notes.append(f"{', '.join(dates)}: ISO dates, nearly one per row: as vocabulary words "
                         f"they will not generalise; use them as dates (the tabular recipe's "
                         f"date_features) or leave them out (excluded_features)")
        for name in required:
            counts = {split: missing_counts(stats, name)
                      for split, stats in split_statistics.items()}
            missing = sum(m for m, _ in counts.values())
            if not missing:
                continue
            total = sum(n for _, n in counts.values())
            where = ", ".join(f"{split}: {m} of {n}" for split, (m, n) in counts.items())
            if on_missing == "drop":
                notes.append(f"{name!r} is missing in {missing} of {total} rows ({where}): "
                             f"dropped before training (on_missing_required='drop')")
                continue
            raise MissingRequiredError(
                f"ExampleValidator: required feature {name!r} is missing in {missing} of "
                f"{total} rows ({where}). A model cannot learn from rows without it, so the run "
                f"stops here, before any model is trained. Fix: fill in {name!r} in the data; "
                f"or drop those rows: in a tfxkit project set `drop_rows_without_label = True` "
                f"in steps/data.py (ExampleValidator on_missing_required='drop').")
        if notes:
            out.set_custom_property("note", "; ".join(notes))
        if entries and exec_properties.get("fail_on_anomalies"):
            raise AnomaliesFoundError(
                f"ExampleValidator found {len(entries)} anomal{'y' if len(entries) == 1 else 'ies'}"
                f" (fail_on_anomalies=True):\n{format_anomalies(entries)}\nFix the data; or, if "
                f"the change is expected, update the schema (e.g. the file ImportSchemaGen "
                f"reads) or drift_thresholds; or set fail_on_anomalies=False to only record them.")
