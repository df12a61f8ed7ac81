"""SchemaGen and ExampleValidator never import TensorFlow, and produce what TFDV produces.

Their executors run TFDV's native validation extension through
`tfxkit.components._shared.validation`; these tests run them in a fresh interpreter and assert
that neither TensorFlow, Beam nor TFDV's package was imported, and compare every output with
TFDV's own `infer_schema` / `update_schema` / `validate_statistics` on the same statistics.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
HEAVY = ("tensorflow", "tensorflow_data_validation", "apache_beam", "tfx_bsl", "pyarrow",
         "tensorflow_transform", "tensorflow_model_analysis")


def _statistics(rows: int, species: dict[str, int], mass_missing: int = 0,
                sliced: bool = False, composite: bool = False) -> Any:
    """A small but realistic DatasetFeatureStatisticsList (string, int and float features,
    missing values, top values), optionally sliced or with a composite feature."""
    from tensorflow_metadata.proto.v0 import statistics_pb2

    stats = statistics_pb2.DatasetFeatureStatisticsList()
    names = ["All Examples", "island_Biscoe"] if sliced else [""]
    for name in names:
        dataset = stats.datasets.add(name=name, num_examples=rows)
        feature = dataset.features.add(type=statistics_pb2.FeatureNameStatistics.STRING)
        feature.path.step.append("species")
        strings = feature.string_stats
        strings.common_stats.num_non_missing = rows
        strings.common_stats.min_num_values = strings.common_stats.max_num_values = 1
        strings.common_stats.avg_num_values = 1.0
        strings.common_stats.tot_num_values = rows
        strings.unique = len(species)
        for value, count in sorted(species.items(), key=lambda kv: -kv[1]):
            strings.top_values.add(value=value, frequency=count)
            strings.rank_histogram.buckets.add(label=value, sample_count=count)
        strings.avg_length = 6.0
        mass = dataset.features.add(type=statistics_pb2.FeatureNameStatistics.INT)
        mass.path.step.append("body_mass_g")
        common = mass.num_stats.common_stats
        common.num_non_missing = rows - mass_missing
        common.num_missing = mass_missing
        common.min_num_values = common.max_num_values = 1
        common.avg_num_values = 1.0
        common.tot_num_values = rows - mass_missing
        mass.num_stats.min, mass.num_stats.max, mass.num_stats.mean = 2700, 6300, 4200
        bill = dataset.features.add(type=statistics_pb2.FeatureNameStatistics.FLOAT)
        bill.path.step.append("bill_length_mm")
        common = bill.num_stats.common_stats
        common.num_non_missing = rows
        common.min_num_values = common.max_num_values = 1
        common.avg_num_values = 1.0
        common.tot_num_values = rows
        bill.num_stats.min, bill.num_stats.max, bill.num_stats.mean = 32.1, 59.6, 43.9
        if composite:  # e.g. a SparseFeature: no common stats, TFDV leaves it out of inference
            sparse = dataset.features.add(type=statistics_pb2.FeatureNameStatistics.STRUCT)
            sparse.path.step.append("sparse_weights")
            sparse.custom_stats.add(name="missing_value", num=0)
    return stats


def _write_statistics(root: Path, splits: dict[str, Any]) -> dict[str, Any]:
    """An ExampleStatistics artifact dict holding `splits` (`Split-<name>/FeatureStats.pb`)."""
    from tfxkit.types.standard_artifacts import ExampleStatistics

    for split, stats in splits.items():
        (root / f"Split-{split}").mkdir(parents=True)
        (root / f"Split-{split}" / "FeatureStats.pb").write_bytes(stats.SerializeToString())
    artifact = ExampleStatistics(uri=str(root))
    artifact.split_names = list(splits)
    return artifact.to_dict()


_RUN_BOTH = """
import json, sys
from tfxkit.types.artifact import Artifact
from tfxkit.components.schema_gen.executor import Executor as SchemaGen
from tfxkit.components.example_validator.executor import Executor as ExampleValidator
from tfxkit.types.standard_artifacts import ExampleAnomalies, Schema
args = json.loads(sys.argv[1])
statistics = Artifact.from_dict(args["statistics"])
baseline = Artifact.from_dict(args["baseline"])
schema = Schema(uri=args["schema_uri"])
SchemaGen().Do({"statistics": [statistics]}, {"schema": [schema]}, {"exclude_splits": ["eval"]})
anomalies = ExampleValidator().Do
out = ExampleAnomalies(uri=args["anomalies_uri"])
anomalies({"statistics": [statistics], "schema": [schema], "baseline_statistics": [baseline]},
          {"anomalies": [out]},
          {"drift_thresholds": {"species": 0.01}, "required_features": ["body_mass_g"],
           "on_missing_required": "drop"})
heavy = [m for m in json.loads(sys.argv[2]) if m in sys.modules]
print(json.dumps({"heavy": heavy, "count": out.get_custom_property("anomaly_count"),
                  "summary": json.loads(out.get_custom_property("anomalies_summary")),
                  "note": out.get_custom_property("note")}))
"""


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Statistics with a train and an eval split (eval has an unseen species and missing
    body masses), a baseline whose species distribution differs; and where outputs go."""
    root = tmp_path_factory.mktemp("no-tf")
    train = _statistics(240, {"Adelie": 110, "Gentoo": 90, "Chinstrap": 40})
    evaluation = _statistics(104, {"Adelie": 40, "Gentoo": 30, "Chinstrap": 24, "Emperor": 10},
                             mass_missing=4)
    baseline = _statistics(240, {"Adelie": 200, "Gentoo": 30, "Chinstrap": 10})
    return {"statistics": _write_statistics(root / "stats", {"train": train,
                                                             "eval": evaluation}),
            "baseline": _write_statistics(root / "baseline", {"train": baseline,
                                                              "eval": baseline}),
            "schema_uri": str(root / "schema"), "anomalies_uri": str(root / "anomalies"),
            "protos": {"train": train, "eval": evaluation, "baseline": baseline}}


def test_schema_gen_and_example_validator_import_no_tensorflow(artifacts: dict[str, Any]
                                                               ) -> None:
    args = {k: v for k, v in artifacts.items() if k != "protos"}
    done = subprocess.run([sys.executable, "-c", _RUN_BOTH, json.dumps(args), json.dumps(HEAVY)],
                          capture_output=True, text=True, cwd=REPO, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["heavy"] == []
    assert Path(artifacts["schema_uri"], "schema.pbtxt").is_file()
    for split in ("train", "eval"):
        assert Path(artifacts["anomalies_uri"], f"Split-{split}", "SchemaDiff.pb").is_file()
    kinds = {(e["split"], e["feature"]): e["kinds"] for e in result["summary"]}
    # eval: a species outside the train domain; both splits drift from the baseline
    assert "ENUM_TYPE_UNEXPECTED_STRING_VALUES" in kinds[("eval", "species")]
    assert "COMPARATOR_L_INFTY_HIGH" in kinds[("train", "species")]
    # eval also lacks body_mass_g in 4 rows, which train (always present) made required
    assert sorted(kinds) == [("eval", "body_mass_g"), ("eval", "species"), ("train", "species")]
    assert result["count"] == len(result["summary"]) == 3
    assert "'body_mass_g' is missing in 4 of 344 rows" in result["note"]


@pytest.mark.integration
def test_outputs_are_identical_to_tfdvs(artifacts: dict[str, Any]) -> None:
    """The executors' schema and anomalies equal TFDV's own API's results; and the wrappers
    equal TFDV's on sliced statistics, composite features and without shape inference."""
    import tensorflow_data_validation as tfdv
    from tensorflow_metadata.proto.v0 import anomalies_pb2

    from tfxkit.components._shared import validation

    test_schema_gen_and_example_validator_import_no_tensorflow(artifacts)  # outputs on disk
    protos = artifacts["protos"]
    expected_schema = tfdv.infer_schema(protos["train"])
    written = tfdv.load_schema_text(os.path.join(artifacts["schema_uri"], "schema.pbtxt"))
    assert written == expected_schema
    drifting = tfdv.load_schema_text(os.path.join(artifacts["schema_uri"], "schema.pbtxt"))
    drifting.feature[0].drift_comparator.infinity_norm.threshold = 0.01
    for split in ("train", "eval"):
        expected = tfdv.validate_statistics(protos[split], drifting,
                                            previous_statistics=protos["baseline"])
        path = Path(artifacts["anomalies_uri"], f"Split-{split}", "SchemaDiff.pb")
        assert anomalies_pb2.Anomalies.FromString(path.read_bytes()) == expected

    cases = [_statistics(50, {"a": 30, "b": 20}, sliced=True),
             _statistics(50, {"a": 30, "b": 20}, composite=True),
             _statistics(50, {"a": 30, "b": 20}, mass_missing=50)]
    for stats in cases:
        for shape in (True, False):
            ours = validation.infer_schema(stats, infer_feature_shape=shape)
            assert ours == tfdv.infer_schema(stats, infer_feature_shape=shape)
        other = _statistics(70, {"a": 30, "c": 40}, mass_missing=3)
        assert validation.update_schema(ours, other) == tfdv.update_schema(ours, other)
        assert validation.validate_statistics(other, ours) == tfdv.validate_statistics(other,
                                                                                        ours)
    two = _statistics(10, {"a": 10})
    two.datasets.add(name="other")
    for call in (lambda: validation.infer_schema(two), lambda: tfdv.infer_schema(two)):
        with pytest.raises(ValueError, match="default slice"):
            call()


def test_missing_schema_file_is_a_data_error(tmp_path: Path) -> None:
    from tfxkit.components._shared.schema import load_optional_schema
    from tfxkit.errors import DataError
    from tfxkit.types.standard_artifacts import Schema

    with pytest.raises(DataError, match=r"schema\.pbtxt, which is missing.*SchemaGen"):
        load_optional_schema([Schema(uri=str(tmp_path))], "ExampleValidator")
    assert load_optional_schema(None, "ExampleValidator") is None
