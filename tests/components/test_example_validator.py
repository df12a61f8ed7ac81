"""ExampleValidator with real TFDV: penguins chain, taxi drift and new categories,
fail_on_anomalies, and the HTML report of the data artifacts."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

from tests.components.data_helpers import (
    PENGUINS_CSV,
    TAXI_CSV,
    input_dir,
    read_split,
    run_csv_example_gen,
    run_example_validator,
    run_schema_gen,
    run_statistics_gen,
)
from tfxkit.components import ExampleValidator
from tfxkit.components.example_validator.executor import AnomaliesFoundError
from tfxkit.errors import DataError
from tfxkit.types.standard_artifacts import ExampleStatistics, Schema

pytestmark = pytest.mark.integration


def _chain(tmp: Path, source: Path) -> tuple[ExampleStatistics, Schema]:
    examples = run_csv_example_gen(input_dir(tmp, source), tmp / "examples")
    statistics = run_statistics_gen(examples, tmp / "stats")
    return statistics, run_schema_gen(statistics, tmp / "schema")


@pytest.fixture(scope="module")
def taxi(tmp_path_factory: pytest.TempPathFactory) -> tuple[ExampleStatistics, Schema]:
    return _chain(tmp_path_factory.mktemp("taxi"), TAXI_CSV)


@pytest.fixture(scope="module")
def drifted_taxi_statistics(tmp_path_factory: pytest.TempPathFactory) -> ExampleStatistics:
    """The taxi sample with a new payment_type ("Bitcoin", 1 row in 5) and fares x5."""
    tmp = tmp_path_factory.mktemp("drifted")
    with TAXI_CSV.open(newline="") as f:
        rows = list(csv.DictReader(f))
    for i, row in enumerate(rows):
        if i % 5 == 0:
            row["payment_type"] = "Bitcoin"
        if row["fare"]:
            row["fare"] = str(float(row["fare"]) * 5 + 40)
    source = tmp / "taxi_new.csv"
    with source.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    examples = run_csv_example_gen(input_dir(tmp, source), tmp / "examples")
    return run_statistics_gen(examples, tmp / "stats")


def test_penguins_through_all_four_components(tmp_path: Path) -> None:
    """CSV -> Examples (read back with tf.data) -> statistics -> schema -> no anomalies."""
    import tensorflow as tf

    examples = run_csv_example_gen(input_dir(tmp_path, PENGUINS_CSV), tmp_path / "examples")
    files = sorted(str(p) for p in Path(examples.uri, "Split-train").glob("data_tfrecord-*.gz"))
    records = list(tf.data.TFRecordDataset(files, compression_type="GZIP").as_numpy_iterator())
    assert len(records) == read_split(examples, "train").num_rows
    example = tf.train.Example.FromString(records[0])
    assert example.features.feature["year"].int64_list.value[0] in (2007, 2008, 2009)
    statistics = run_statistics_gen(examples, tmp_path / "stats")
    schema = run_schema_gen(statistics, tmp_path / "schema")
    anomalies = run_example_validator(statistics, schema, tmp_path / "anomalies",
                                      fail_on_anomalies=True)
    assert anomalies.split_names == ["train", "eval"]
    assert anomalies.get_custom_property("anomaly_count") == 0
    assert Path(anomalies.uri, "Split-eval", "SchemaDiff.pb").exists()


def test_drift_and_new_category_are_reported(taxi, drifted_taxi_statistics,
                                             tmp_path: Path) -> None:
    from tensorflow_metadata.proto.v0 import anomalies_pb2

    baseline, schema = taxi
    anomalies = run_example_validator(
        drifted_taxi_statistics, schema, tmp_path / "anomalies", baseline=baseline,
        drift_thresholds={"payment_type": 0.01, "fare": {"jensen_shannon_divergence": 0.1}})
    summary = json.loads(anomalies.get_custom_property("anomalies_summary"))
    assert anomalies.get_custom_property("anomaly_count") == len(summary)
    by_feature: dict[str, set[str]] = {}
    for entry in summary:
        if entry["split"] == "train":
            by_feature.setdefault(entry["feature"], set()).update(entry["kinds"])
    assert {"ENUM_TYPE_UNEXPECTED_STRING_VALUES", "COMPARATOR_L_INFTY_HIGH"} <= by_feature[
        "payment_type"]
    assert "COMPARATOR_JENSEN_SHANNON_DIVERGENCE_HIGH" in by_feature["fare"]
    proto = anomalies_pb2.Anomalies()
    proto.ParseFromString(Path(anomalies.uri, "Split-train", "SchemaDiff.pb").read_bytes())
    assert "payment_type" in proto.anomaly_info


def test_same_data_has_no_drift(taxi, tmp_path: Path) -> None:
    baseline, schema = taxi
    anomalies = run_example_validator(baseline, schema, tmp_path / "a", baseline=baseline,
                                      drift_thresholds={"payment_type": 0.01, "fare": 0.1})
    assert anomalies.get_custom_property("anomaly_count") == 0


def test_fail_on_anomalies_lists_them(taxi, drifted_taxi_statistics, tmp_path: Path) -> None:
    _, schema = taxi
    with pytest.raises(AnomaliesFoundError) as info:
        run_example_validator(drifted_taxi_statistics, schema, tmp_path / "a",
                              fail_on_anomalies=True, exclude_splits=["eval"])
    message = str(info.value)
    assert "split 'train', feature 'payment_type', ENUM_TYPE_UNEXPECTED_STRING_VALUES" in message
    assert "Bitcoin" in message and "fail_on_anomalies=False" in message
    assert "'eval'" not in message


def test_drift_threshold_errors(taxi, tmp_path: Path) -> None:
    baseline, schema = taxi
    with pytest.raises(DataError, match="need a baseline_statistics input"):
        run_example_validator(baseline, schema, tmp_path / "a", drift_thresholds={"fare": 0.1})
    with pytest.raises(DataError, match="feature 'fair' is not in the schema"):
        run_example_validator(baseline, schema, tmp_path / "b", baseline=baseline,
                              drift_thresholds={"fair": 0.1})


def test_report_renders_each_artifact(taxi, drifted_taxi_statistics, tmp_path: Path) -> None:
    from tfxkit.reports.data import render_html

    statistics, schema = taxi
    anomalies = run_example_validator(drifted_taxi_statistics, schema, tmp_path / "a")
    stats_html = render_html("ExampleStatistics", statistics.uri)
    # Drawn offline from the protos (issue 14), no Facets web component from the network.
    assert "facets" not in stats_html.lower() and "train vs eval" in stats_html
    assert "class='hist-bar'" in stats_html and "https://" not in stats_html
    schema_html = render_html("Schema", schema.uri)
    assert "payment_type" in schema_html and "<table" in schema_html
    anomalies_html = render_html("ExampleAnomalies", anomalies.uri)
    assert "Bitcoin" in anomalies_html
    with pytest.raises(DataError, match="No HTML view for artifact type 'Model'"):
        render_html("Model", schema.uri)


def test_component_construction(taxi) -> None:
    from tfxkit.components import CsvExampleGen, SchemaGen, StatisticsGen

    gen = CsvExampleGen(input_base="data")
    stats = StatisticsGen(examples=gen.outputs["examples"])
    schema = SchemaGen(statistics=stats.outputs["statistics"])
    validator = ExampleValidator(statistics=stats.outputs["statistics"],
                                 schema=schema.outputs["schema"],
                                 baseline_statistics=stats.outputs["statistics"],
                                 drift_thresholds={"fare": 0.1}, fail_on_anomalies=True)
    assert validator.exec_properties == {"drift_thresholds": {"fare": 0.1},
                                         "fail_on_anomalies": True}
    assert set(validator.outputs) == {"anomalies"}


CASES = Path(__file__).resolve().parents[3] / "shared" / "cases" / "data"


@pytest.fixture(scope="module")
def missing_labels(tmp_path_factory: pytest.TempPathFactory) -> tuple[ExampleStatistics, Schema]:
    """The `missing_labels` case: the template's penguins with `species` empty in 20 rows."""
    return _chain(tmp_path_factory.mktemp("missing_labels"),
                  CASES / "missing_labels" / "data" / "penguins.csv")


def test_missing_required_label_stops_the_run(missing_labels, tmp_path: Path) -> None:
    from tfxkit.components.example_validator.executor import MissingRequiredError

    statistics, schema = missing_labels
    with pytest.raises(MissingRequiredError) as caught:
        run_example_validator(statistics, schema, tmp_path / "a", required_features=["species"])
    message = str(caught.value)
    assert "required feature 'species' is missing in 20 of 344 rows (train: " in message
    found = re.search(r"train: (\d+) of (\d+), eval: (\d+) of (\d+)\)", message)
    assert found is not None
    train, train_rows, evaluation, eval_rows = map(int, found.groups())
    assert train + evaluation == 20 and train_rows + eval_rows == 344
    assert "before any model is trained" in message
    assert "drop_rows_without_label = True" in message


def test_missing_label_with_drop_is_counted_not_fatal(missing_labels, tmp_path: Path) -> None:
    statistics, schema = missing_labels
    anomalies = run_example_validator(statistics, schema, tmp_path / "a",
                                      required_features=["species"], on_missing_required="drop",
                                      fail_on_anomalies=True)
    note = anomalies.get_custom_property("note")
    assert "'species' is missing in 20 of 344 rows" in note and "dropped before training" in note
    assert anomalies.get_custom_property("anomaly_count") == 0


def test_required_feature_in_complete_data_passes(tmp_path: Path) -> None:
    statistics, schema = _chain(tmp_path, PENGUINS_CSV)
    anomalies = run_example_validator(statistics, schema, tmp_path / "a",
                                      required_features=["species", "island"])
    assert anomalies.get_custom_property("anomaly_count") == 0
    assert not anomalies.get_custom_property("note")


def test_required_feature_not_in_the_schema(missing_labels, tmp_path: Path) -> None:
    from tfxkit.components.example_validator.executor import MissingRequiredError

    statistics, schema = missing_labels
    with pytest.raises(MissingRequiredError, match=r"'Species' is not in the schema, so no "
                                                   r"example has it \(schema features: "
                                                   r"bill_depth_mm, .*species, year\)"):
        run_example_validator(statistics, schema, tmp_path / "a", required_features=["Species"])


def test_numeric_label_missing_in_some_rows(tmp_path: Path) -> None:
    """The same check for an integer label (penguins_processed: species 0-2), blank in 3 rows
    of one split at least, and a float feature blank too (not required: no error)."""
    from tfxkit.components.example_validator.executor import MissingRequiredError

    source = Path(__file__).resolve().parents[3] / "shared" / "data" / "penguins_processed.csv"
    lines = source.read_text().splitlines()
    header = lines[0].split(",")
    label = header.index("species")
    for i in (5, 50, 100):
        cells = lines[i].split(",")
        cells[label] = ""
        cells[0 if label else 1] = ""
        lines[i] = ",".join(cells)
    statistics, schema = _chain(tmp_path, ("penguins.csv", "\n".join(lines) + "\n"))
    with pytest.raises(MissingRequiredError, match=rf"'species' is missing in 3 of "
                                                   rf"{len(lines) - 1} rows"):
        run_example_validator(statistics, schema, tmp_path / "a", required_features=["species"])


def test_date_columns_are_named_in_the_note(tmp_path: Path) -> None:
    """The `dates` case: signup_date and last_seen hold ISO dates, nearly one per row; the note
    names them and the recipe's settings; the boolean and the plan column are categories."""
    statistics, schema = _chain(tmp_path, CASES / "dates" / "data" / "customers.csv")
    anomalies = run_example_validator(statistics, schema, tmp_path / "a")
    note = anomalies.get_custom_property("note")
    assert note.startswith("last_seen, signup_date: ISO dates, nearly one per row")
    assert "date_features" in note and "excluded_features" in note
    assert "is_premium" not in note and "plan" not in note


def test_on_missing_required_is_checked_at_construction(taxi) -> None:
    from tfxkit.components import CsvExampleGen, SchemaGen, StatisticsGen
    from tfxkit.errors import ComponentArgumentError

    gen = CsvExampleGen(input_base="data")
    stats = StatisticsGen(examples=gen.outputs["examples"])
    schema = SchemaGen(statistics=stats.outputs["statistics"])
    with pytest.raises(ComponentArgumentError, match="on_missing_required='skip'"):
        ExampleValidator(statistics=stats.outputs["statistics"], schema=schema.outputs["schema"],
                         required_features=["fare"], on_missing_required="skip")
