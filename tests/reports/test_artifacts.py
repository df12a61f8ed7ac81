"""Artifact views for `tfxkit show` and notebooks, on real penguin artifacts (TFDV, TFT, TF,
TFMA); layout-based type guessing; clear errors for folders that are not artifacts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import PenguinSession
from tfxkit.errors import DataError
from tfxkit.reports import artifact_fragment, guess_type, render_html
from tfxkit.reports.artifacts import evaluation_metrics, read_scalars, slice_name


def test_missing_folder_and_unknown_types(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="the folder does not exist"):
        render_html("Model", str(tmp_path / "nope"))
    (tmp_path / "notes.txt").write_text("hi")
    page = artifact_fragment("MyCustomType", str(tmp_path), {"id": 7, "custom_properties":
                                                             {"owner": "ana"}})
    assert "MyCustomType #7" in page and "notes.txt" in page and "owner" in page
    assert guess_type(str(tmp_path)) is None
    with pytest.raises(DataError, match="eval_config.json is missing"):
        render_html("ModelEvaluation", str(tmp_path))
    assert slice_name(()) == "Overall"
    assert slice_name((("species", 1), ("island", "Dream"))) == "species = 1, island = Dream"


def test_blessing_and_push_verdicts_without_heavy_imports(tmp_path: Path) -> None:
    (tmp_path / "NOT_BLESSED").touch()
    page = render_html("ModelBlessing", str(tmp_path), {"custom_properties": {
        "blessed": 0, "blessing_reason": "accuracy 0.5 < 0.6"}})
    assert "NOT BLESSED" in page and "accuracy 0.5 &lt; 0.6" in page
    assert guess_type(str(tmp_path)) == "ModelBlessing"
    pushed = render_html("PushedModel", str(tmp_path), {"custom_properties": {
        "pushed": 0, "pushed_reason": "model not blessed"}})
    assert "Not pushed. model not blessed" in pushed


@pytest.mark.integration
def test_every_standard_output_renders_and_is_guessed(penguin_context: PenguinSession) -> None:
    context = penguin_context.context
    for component in penguin_context.components.values():
        for key, channel in component.outputs.items():
            for artifact in context.artifacts(channel):
                page = render_html(artifact.TYPE_NAME, artifact.uri, artifact.to_dict())
                assert f"{artifact.TYPE_NAME} #{artifact.id}" in page, (component.id, key)
                # A TransformCache has no layout of its own; a PushedModel that was not pushed
                # (model not blessed) is an empty folder.
                unpushed = artifact.get_custom_property("pushed") == 0
                if artifact.TYPE_NAME != "TransformCache" and not unpushed:
                    assert guess_type(artifact.uri) == artifact.TYPE_NAME, (component.id, key)
                if unpushed:
                    assert "Not pushed." in page


@pytest.mark.integration
def test_evaluation_and_training_data(penguin_context: PenguinSession) -> None:
    c, context = penguin_context.components, penguin_context.context
    [evaluation] = context.artifacts(c["Evaluator"].outputs["evaluation"])
    slices = dict(evaluation_metrics(evaluation.uri))
    assert set(slices) == {"Overall", "species = 0", "species = 1", "species = 2"}
    assert slices["Overall"]["example_count"] > 50
    [model_run] = context.artifacts(c["Trainer"].outputs["model_run"])
    scalars = read_scalars(model_run.uri)
    assert set(scalars["epoch_loss"]) == {"train", "validation"}
    assert [step for step, _ in scalars["epoch_loss"]["train"]] == [0.0, 1.0, 2.0]
    empty = Path(model_run.uri).parent / "empty-run"
    empty.mkdir()
    assert "Add <code>tf.keras.callbacks.TensorBoard" in render_html("ModelRun", str(empty))


@pytest.mark.integration
def test_failed_thresholds_are_listed_per_slice(penguin_context: PenguinSession,
                                                tmp_path: Path) -> None:
    from tfxkit.components.evaluator.executor import Executor
    from tfxkit.types.standard_artifacts import ModelBlessing, ModelEvaluation

    context, c = penguin_context.context, penguin_context.components
    [examples] = context.artifacts(c["CsvExampleGen"].outputs["examples"])
    [model] = context.artifacts(c["Trainer"].outputs["model"])
    evaluation = ModelEvaluation(uri=str(tmp_path / "evaluation"))
    blessing = ModelBlessing(uri=str(tmp_path / "blessing"))
    config = {"model_specs": [{"label_key": "species"}], "slicing_specs": [{}],
              "metrics_specs": [{"metrics": [{"class_name": "SparseCategoricalAccuracy",
                                              "threshold": {"value_threshold":
                                                            {"lower_bound": 0.9999}}}]}]}
    Executor().Do({"examples": [examples], "model": [model]},
                  {"evaluation": [evaluation], "blessing": [blessing]}, {"eval_config": config})
    page = render_html("ModelEvaluation", evaluation.uri)
    assert "Thresholds failed" in page
    assert "<td>Overall</td><td>sparse_categorical_accuracy</td>" in page
    assert "lower_bound { value: 0.9999 }" in page


@pytest.mark.integration
def test_evaluation_bars_are_zoomed_with_the_threshold_and_full_slice_names(
        penguin_context: PenguinSession) -> None:
    """Issue 14, item 3: accuracies near 1.0 differ visibly (the axis spans the values and the
    threshold, not 0..1), the 0.5 lower bound is drawn, slice names are not cut."""
    from tfxkit.reports.artifacts import metric_thresholds

    c, context = penguin_context.components, penguin_context.context
    [evaluation] = context.artifacts(c["Evaluator"].outputs["evaluation"])
    assert metric_thresholds(evaluation.uri) == {"sparsecategoricalaccuracy": {"lower bound": 0.5}}
    page = render_html("ModelEvaluation", evaluation.uri)
    start = page.index(">sparse_categorical_accuracy</text>")
    chart = page[page.rindex("<svg", 0, start):page.index("</svg>", start)]
    for name in ("Overall", "species = 0", "species = 1", "species = 2"):
        assert f">{name}</text>" in chart, name
    assert chart.count("class='bar'") == 4
    assert "<line class='marker'" in chart and "lower bound: 0.5</title>" in chart
    low, high = re.search(r"axis from ([-\d.e]+) to ([-\d.e]+) \(not from 0\)", chart).groups()
    values = dict(evaluation_metrics(evaluation.uri))
    accuracies = [v["sparse_categorical_accuracy"] for v in values.values()]
    assert 0.0 <= float(low) < min(0.5, *accuracies) and float(high) > max(0.5, *accuracies)
    # The threshold is inside the axis, the values and threshold fill most of it.
    spread = max(0.5, *accuracies) - min(0.5, *accuracies)
    assert float(high) - float(low) < 1.5 * spread + 0.01


@pytest.mark.integration
def test_model_run_with_few_points_is_a_table(tmp_path: Path) -> None:
    """A one-epoch run has one point per curve: a table, not charts of single dots; three or
    more points stay charts."""
    import tensorflow as tf

    for run, loss in (("train", 0.9), ("validation", 1.1)):
        with tf.summary.create_file_writer(str(tmp_path / "short" / run)).as_default():
            tf.summary.scalar("epoch_loss", loss, step=0)
            tf.summary.scalar("epoch_accuracy", 1 - loss / 2, step=0)
        with tf.summary.create_file_writer(str(tmp_path / "long" / run)).as_default():
            for step in range(3):
                tf.summary.scalar("epoch_loss", loss / (step + 1), step=step)
    short = render_html("ModelRun", str(tmp_path / "short"))
    assert "<svg" not in short and "<h3>Training metrics by epoch</h3>" in short
    assert ("<tr><th>epoch</th><th>accuracy (train)</th><th>accuracy (validation)</th>"
            "<th>loss (train)</th><th>loss (validation)</th></tr>") in short
    assert "<tr><td>0</td><td>0.55</td><td>0.45</td><td>0.9</td><td>1.1</td></tr>" in short
    long = render_html("ModelRun", str(tmp_path / "long"))
    assert long.count("<polyline") == 2 and "Training metrics by" not in long


def test_thresholds_are_read_from_the_saved_eval_config(tmp_path: Path) -> None:
    from tfxkit.reports.artifacts import metric_thresholds

    # The layout TFMA 0.47 writes (camelCase JSON of EvalConfig inside "evalConfig").
    (tmp_path / "eval_config.json").write_text(
        '{"evalConfig": {"metricsSpecs": [{"metrics": ['
        '{"className": "ExampleCount"},'
        '{"className": "SparseCategoricalAccuracy", "perSliceThresholds": [{"slicingSpecs": '
        '[{}], "threshold": {"valueThreshold": {"lowerBound": 0.6}, "changeThreshold": '
        '{"absolute": -0.05, "direction": "HIGHER_IS_BETTER"}}}]},'
        '{"className": "MeanAbsoluteError", "threshold": {"valueThreshold": {"upperBound": 2}}},'
        '{"className": "AUC", "perSliceThresholds": [{"slicingSpecs": [{"featureKeys": ["x"]}],'
        '"threshold": {"valueThreshold": {"lowerBound": 0.7}}}]}]}]}, "version": "0.47.1"}')
    assert metric_thresholds(str(tmp_path)) == {
        "sparsecategoricalaccuracy": {"lower bound": 0.6},
        "meanabsoluteerror": {"upper bound": 2.0},
        "auc": {"lower bound (some slices)": 0.7}}
    (tmp_path / "eval_config.json").write_text("not json")
    assert metric_thresholds(str(tmp_path)) == {}
