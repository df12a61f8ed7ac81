"""Evaluator: TFMA on the penguin model; blessings always carry their reason, and the baseline
is the latest version at the push destination."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path
from typing import Any

import pytest

from tfxkit.components import Evaluator
from tfxkit.components.evaluator.executor import Executor
from tfxkit.errors import ComponentArgumentError, ExecutionError
from tfxkit.types.channel import Channel
from tfxkit.types.standard_artifacts import (
    Examples,
    Model,
    ModelBlessing,
    ModelEvaluation,
    Schema,
)

ACCURACY = "sparse_categorical_accuracy"


def eval_config(lower_bound: float | None = None, change: float | None = None) -> dict[str, Any]:
    """EvalConfig JSON: SparseCategoricalAccuracy with optional value / change thresholds."""
    threshold: dict[str, Any] = {}
    if lower_bound is not None:
        threshold["value_threshold"] = {"lower_bound": lower_bound}
    if change is not None:
        threshold["change_threshold"] = {"direction": "HIGHER_IS_BETTER",
                                         "absolute": change}
    metric: dict[str, Any] = {"class_name": "SparseCategoricalAccuracy"}
    if threshold:
        metric["threshold"] = threshold
    return {"model_specs": [{"label_key": "species"}], "slicing_specs": [{}],
            "metrics_specs": [{"metrics": [metric]}]}


def _evaluate(tmp_path: Path, examples: Examples, model: Model, schema: Schema,
              props: dict[str, Any], baseline: Model | None = None,
              ) -> tuple[ModelEvaluation, ModelBlessing]:
    evaluation = ModelEvaluation(uri=str(tmp_path / "evaluation"))
    blessing = ModelBlessing(uri=str(tmp_path / "blessing"))
    inputs: dict[str, list] = {"examples": [examples], "model": [model], "schema": [schema]}
    if baseline is not None:
        inputs["baseline_model"] = [baseline]
    Executor().Do(inputs, {"evaluation": [evaluation], "blessing": [blessing]}, props)
    return evaluation, blessing


def _marker(blessing: ModelBlessing) -> list[str]:
    return sorted(p.name for p in Path(blessing.uri).iterdir())


def test_component_checks_destination_and_splits() -> None:
    with pytest.raises(ComponentArgumentError, match="base_directory"):
        Evaluator(examples=Channel(Examples), model=Channel(Model),
                  eval_config=eval_config(0.6), push_destination={"filesystem": {}})
    with pytest.raises(ComponentArgumentError, match="example_splits"):
        Evaluator(examples=Channel(Examples), model=Channel(Model),
                  eval_config=eval_config(0.6), example_splits="eval")  # type: ignore[arg-type]
    evaluator = Evaluator(examples=Channel(Examples), model=Channel(Model),
                          eval_config=eval_config(0.6), push_destination="/models/penguin")
    assert set(evaluator.outputs) == {"evaluation", "blessing"}


@pytest.mark.integration
def test_blesses_above_lower_bound_first_push_skips_change(
    tmp_path: Path, penguin_examples: Examples, penguin_model: Model, penguin_schema: Schema
) -> None:
    import tensorflow_model_analysis as tfma

    destination = {"filesystem": {"base_directory": str(tmp_path / "serving")}}
    evaluation, blessing = _evaluate(
        tmp_path, penguin_examples, penguin_model, penguin_schema,
        {"eval_config": eval_config(0.6, change=-1e-10), "push_destination": destination})
    assert blessing.custom_properties["blessed"] == 1
    assert _marker(blessing) == ["BLESSED"]
    reason = blessing.custom_properties["blessing_reason"]
    assert reason.startswith(f"all thresholds passed ({ACCURACY} = ")
    assert "change thresholds skipped: no baseline (nothing pushed to" in reason
    metrics = json.loads(evaluation.custom_properties["overall_metrics"])
    assert metrics[ACCURACY] > 0.8
    assert tfma.load_eval_result(evaluation.uri).slicing_metrics


@pytest.mark.integration
def test_impossible_bound_is_not_blessed_with_reason(
    tmp_path: Path, penguin_examples: Examples, penguin_model: Model, penguin_schema: Schema,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING):
        _, blessing = _evaluate(tmp_path, penguin_examples, penguin_model, penguin_schema,
                                {"eval_config": eval_config(1.001)})
    assert blessing.custom_properties["blessed"] == 0
    assert _marker(blessing) == ["NOT_BLESSED"]
    reason = blessing.custom_properties["blessing_reason"]
    value = float(reason.split(f"{ACCURACY} on Overall = ")[1].split()[0])
    assert 0.9 <= value <= 1.0, reason
    assert "lower_bound { value: 1.001 }" in reason
    assert "NOT_BLESSED" in caplog.text and "1.001" in caplog.text


@pytest.mark.integration
def test_no_thresholds_blesses_explicitly(
    tmp_path: Path, penguin_examples: Examples, penguin_model: Model, penguin_schema: Schema
) -> None:
    _, blessing = _evaluate(tmp_path, penguin_examples, penguin_model, penguin_schema,
                            {"eval_config": eval_config(), "example_splits": ["eval", "train"]})
    assert blessing.custom_properties["blessed"] == 1
    assert blessing.custom_properties["blessing_reason"] == (
        "no thresholds configured; blessed by default")


@pytest.mark.integration
def test_baseline_is_latest_pushed_version(
    tmp_path: Path, penguin_examples: Examples, penguin_model: Model, penguin_schema: Schema
) -> None:
    serving = tmp_path / "serving"
    for version in ("1", "2"):
        shutil.copytree(Path(penguin_model.uri, "Format-Serving"), serving / version)
    # The same model as baseline: demanding an improvement of 0.01 must fail.
    _, blessing = _evaluate(tmp_path, penguin_examples, penguin_model, penguin_schema,
                            {"eval_config": eval_config(0.6, change=0.01),
                             "push_destination": str(serving)})
    assert blessing.custom_properties["baseline_model"] == str(serving / "2")
    assert blessing.custom_properties["blessed"] == 0
    reason = blessing.custom_properties["blessing_reason"]
    assert f"{ACCURACY} (change vs baseline) on Overall = 0 fails" in reason


@pytest.mark.integration
def test_explicit_baseline_model_wins_over_destination(
    tmp_path: Path, penguin_examples: Examples, penguin_model: Model, penguin_schema: Schema
) -> None:
    _, blessing = _evaluate(tmp_path, penguin_examples, penguin_model, penguin_schema,
                            {"eval_config": eval_config(0.6, change=-1e-10),
                             "push_destination": str(tmp_path / "empty")},
                            baseline=penguin_model)
    assert blessing.custom_properties["blessed"] == 1
    assert blessing.custom_properties["baseline_model"] == penguin_model.uri
    assert "skipped" not in blessing.custom_properties["blessing_reason"]


@pytest.mark.integration
def test_bad_eval_config_names_the_field(tmp_path: Path) -> None:
    model = Model(uri=str(tmp_path / "model"))
    Path(model.uri, "Format-Serving").mkdir(parents=True)
    config = {"model_specs": [{"label_key": "species"}],
              "metrics_specs": [{"metrics": [{"class_name": "SparseCategoricalAccuracy",
                                              "threshold": {"value_threshold": {
                                                  "lower_bound": {"value": 0.6}}}}]}]}
    with pytest.raises(ExecutionError, match="lower_bound"):
        Executor().Do({"examples": [Examples(uri=str(tmp_path))], "model": [model]},
                      {"evaluation": [ModelEvaluation(uri=str(tmp_path / "e"))],
                       "blessing": [ModelBlessing(uri=str(tmp_path / "b"))]},
                      {"eval_config": config})


# -- data-time checks: eval_config names against the examples' schema (issue 19) -----------------
PENGUIN_FEATURES = "species, culmen_length_mm, culmen_depth_mm, flipper_length_mm, body_mass_g"


def _schema_proto(names: list[str]) -> Any:
    from tensorflow_metadata.proto.v0 import schema_pb2

    schema = schema_pb2.Schema()
    for name in names:
        schema.feature.add(name=name, type=schema_pb2.FLOAT)
    return schema


def test_label_key_not_in_schema_is_named_with_the_features() -> None:
    # cases/fail-early/evaluator_label_not_in_data
    evaluator = Evaluator(examples=Channel(Examples), model=Channel(Model),
                          eval_config={"model_specs": [{"label_key": "no_such_label"}]})
    schema = _schema_proto(PENGUIN_FEATURES.split(", "))
    with pytest.raises(ComponentArgumentError) as raised:
        evaluator.check_against_schema(schema, evaluator.exec_properties)
    assert str(raised.value).splitlines()[0] == (
        "Evaluator: eval_config.model_specs[0].label_key 'no_such_label' is not a feature of "
        f"the examples (features: {PENGUIN_FEATURES})")
    good = {"eval_config": eval_config(0.6)}
    assert evaluator.check_against_schema(schema, good) is None


@pytest.mark.parametrize(("config", "where"), [
    ({"model_specs": [{"label_key": "species", "example_weight_key": "weight"}]},
     "eval_config.model_specs[0].example_weight_key 'weight'"),
    ({"model_specs": [{"labelKey": "Species"}]}, "eval_config.model_specs[0].label_key 'Species'"),
    ({"model_specs": [{"label_keys": {"head": "nope"}}]},
     "eval_config.model_specs[0].label_keys['head'] 'nope'"),
    ({"model_specs": [{"label_key": "species", "example_weight_keys": {"head": "w"}}]},
     "eval_config.model_specs[0].example_weight_keys['head'] 'w'"),
    ({"model_specs": [{"label_key": "species"}],
      "slicing_specs": [{}, {"feature_keys": ["island"]}]},
     "eval_config.slicing_specs[1].feature_keys[0] 'island'"),
    ({"model_specs": [{"label_key": "species"}],
      "slicing_specs": [{"feature_values": {"sex": "MALE"}}]},
     "eval_config.slicing_specs[0].feature_values 'sex'"),
    ({"model_specs": [{"label_key": "species"}],
      "cross_slicing_specs": [{"baseline_spec": {"feature_keys": ["island"]},
                               "slicing_specs": [{"featureKeys": ["year"]}]}]},
     "eval_config.cross_slicing_specs[0].baseline_spec.feature_keys[0] 'island'"),
    ({"model_specs": [{"label_key": "species"}, {"label_key": "label", "is_baseline": True}]},
     "eval_config.model_specs[1].label_key 'label'"),
], ids=["weight key", "camelCase label, wrong case", "multi-output label", "multi-output weight",
        "slice feature key", "slice feature value", "cross slice", "baseline model spec"])
def test_every_feature_name_in_eval_config_is_checked(config: dict[str, Any], where: str) -> None:
    from tfxkit.components.evaluator.schema_check import eval_config_feature_problems

    problems = eval_config_feature_problems(config, PENGUIN_FEATURES.split(", "))
    assert problems and problems[0] == (
        f"{where} is not a feature of the examples (features: {PENGUIN_FEATURES})")


def test_transformed_labels_and_slices_are_not_checked_against_raw_features() -> None:
    from tfxkit.components.evaluator.schema_check import eval_config_feature_problems

    config = {"model_specs": [{"label_key": "species_xf",
                               "preprocessing_function_names": ["transform_features"]}],
              "slicing_specs": [{"feature_keys": ["bucket_xf"]}]}
    assert eval_config_feature_problems(config, ["species"]) == []


def _executed_nodes(root: Path) -> list[str]:
    """Node ids of every execution recorded under `root` (any state)."""
    from tfxkit.metadata import connect
    from tfxkit.metadata.record import custom

    store = connect(str(root / "metadata.sqlite"))
    return sorted(str(custom(e, "node_id")) for e in store.get_executions())


def _schema_pipeline(root: Path, label_key: str) -> Any:
    from tests.components import evaluator_pipeline

    return evaluator_pipeline.create_pipeline(str(root), label_key)


@pytest.mark.parametrize("workers", [0, 1])
def test_runner_checks_label_once_the_schema_exists_before_training(
        tmp_path: Path, workers: int) -> None:
    from tfxkit.runners import LocalDagRunner
    from tfxkit.runners.local import SilentReporter

    with pytest.raises(ExecutionError) as raised:
        LocalDagRunner(workers=workers, hooks=SilentReporter()).run(
            _schema_pipeline(tmp_path, "no_such_label"))
    assert ("component Evaluator (Evaluator) failed: Evaluator: eval_config.model_specs[0]"
            ".label_key 'no_such_label' is not a feature of the examples (features: "
            f"{PENGUIN_FEATURES})") in str(raised.value)
    assert not (tmp_path / "trained.txt").exists(), "the trainer ran before the check"
    assert _executed_nodes(tmp_path) == ["make_penguin_examples", "write_schema"]


def test_partial_run_from_the_evaluator_checks_the_reused_schema(tmp_path: Path) -> None:
    from tfxkit.runners import LocalDagRunner
    from tfxkit.runners.local import SilentReporter

    runner = LocalDagRunner(workers=0, hooks=SilentReporter())
    runner.run(_schema_pipeline(tmp_path, "species"), to_node="train")
    with pytest.raises(ExecutionError, match=r"label_key 'no_such_label' is not a feature"):
        runner.run(_schema_pipeline(tmp_path, "no_such_label"), from_node="Evaluator")
    # Failed by the runner's check: the Evaluator's executor never started.
    assert "Evaluator" not in _executed_nodes(tmp_path)


@pytest.mark.integration
def test_executor_checks_label_before_beam_without_a_schema(
    tmp_path: Path, penguin_examples: Examples, penguin_model: Model
) -> None:
    evaluation = ModelEvaluation(uri=str(tmp_path / "evaluation"))
    config = {**eval_config(0.6), "model_specs": [{"label_key": "no_such_label"}]}
    with pytest.raises(ComponentArgumentError) as raised:
        Executor().Do({"examples": [penguin_examples], "model": [penguin_model]},
                      {"evaluation": [evaluation],
                       "blessing": [ModelBlessing(uri=str(tmp_path / "blessing"))]},
                      {"eval_config": config})
    # Without a schema the features come from the examples themselves (label first there).
    assert ("Evaluator: eval_config.model_specs[0].label_key 'no_such_label' is not a feature "
            "of the examples (features: ") in str(raised.value)
    assert "culmen_length_mm" in str(raised.value)
    assert not Path(evaluation.uri).exists()


# -- baselines: incomplete pushed versions are skipped (issue 19) -------------------------------
@pytest.mark.integration
def test_empty_highest_version_is_skipped_and_the_baseline_named(
    tmp_path: Path, penguin_examples: Examples, penguin_model: Model, penguin_schema: Schema
) -> None:
    # cases/fail-early/baseline_empty_version: serving/2 is an empty folder above version 1.
    serving = tmp_path / "serving"
    shutil.copytree(Path(penguin_model.uri, "Format-Serving"), serving / "1")
    (serving / "2").mkdir()
    (serving / "3").mkdir()
    (serving / "3" / "variables").mkdir()  # a half-finished copy: no saved_model.pb
    evaluation, blessing = _evaluate(
        tmp_path, penguin_examples, penguin_model, penguin_schema,
        {"eval_config": eval_config(0.6, change=-1e-10), "push_destination": str(serving)})
    assert blessing.custom_properties["blessed"] == 1
    for artifact in (evaluation, blessing):
        assert artifact.custom_properties["baseline_version"] == 1
        assert artifact.custom_properties["baseline_model"] == str(serving / "1")
    note = blessing.custom_properties["note"]
    assert f"baseline: pushed version 1 at {serving / '1'}" in note
    assert (f"skipped incomplete pushed version folder(s) {serving / '2'}, {serving / '3'} "
            f"(no saved_model.pb)") in note


@pytest.mark.integration
def test_only_incomplete_versions_means_no_baseline(
    tmp_path: Path, penguin_examples: Examples, penguin_model: Model, penguin_schema: Schema
) -> None:
    serving = tmp_path / "serving"
    (serving / "1").mkdir(parents=True)
    _, blessing = _evaluate(
        tmp_path, penguin_examples, penguin_model, penguin_schema,
        {"eval_config": eval_config(0.6, change=-1e-10), "push_destination": str(serving)})
    assert blessing.custom_properties["blessed"] == 1
    assert "baseline_version" not in blessing.custom_properties
    assert blessing.custom_properties["baseline_model"] == (
        f"no complete model pushed to {serving} yet")
    assert f"skipped incomplete pushed version folder(s) {serving / '1'}" in (
        blessing.custom_properties["note"])


def test_explicit_baseline_without_saved_model_fails_before_beam(tmp_path: Path) -> None:
    from tfxkit.components.evaluator.executor import Executor as EvaluatorExecutor

    baseline = Model(uri=str(tmp_path / "baseline"))
    Path(baseline.uri, "Format-Serving").mkdir(parents=True)
    with pytest.raises(ExecutionError, match=r"the baseline_model at .*Format-Serving has no "
                                             r"saved_model.pb \(found an empty folder\)"):
        EvaluatorExecutor._baseline({"baseline_model": [baseline]}, {})


def test_schema_source_and_unreadable_schema(tmp_path: Path) -> None:
    from tfxkit.runners.local.schema_checks import failed_schema_checks, schema_source

    pipeline = _schema_pipeline(tmp_path, "no_such_label")
    evaluator = pipeline.node("Evaluator")
    producer, key = schema_source(pipeline, evaluator)  # type: ignore[misc]
    assert (producer.id, key) == ("write_schema", "schema")
    properties = {"Evaluator": evaluator.exec_properties}
    folder = tmp_path / "schema"
    folder.mkdir()
    (folder / "schema.pbtxt").write_text("feature { name: 'species' type: INT }\n")
    outputs = {"write_schema": {"schema": [Schema(uri=str(folder))]}}
    # Still to be published in this run: wait; published: check.
    assert failed_schema_checks(pipeline, [evaluator], {}, properties, set(), {"write_schema"},
                                lambda _: None) == []
    failures = failed_schema_checks(pipeline, [evaluator], outputs, properties, set(), set(),
                                    lambda _: None)
    assert [(n.id, e.split(" (")[0]) for n, e in failures] == [
        ("Evaluator", "Evaluator: eval_config.model_specs[0].label_key 'no_such_label' is not "
                      "a feature of the examples")]
    # Outside the run (a partial run): the newest published schema is used.
    assert len(failed_schema_checks(pipeline, [evaluator], {}, properties, set(), set(),
                                    lambda node_id: outputs[node_id])) == 1
    # A schema that does not parse is reported by the nodes that read it, not as this check.
    (folder / "schema.pbtxt").write_text("feature { name: \n")
    assert failed_schema_checks(pipeline, [evaluator], outputs, properties, set(), set(),
                                lambda _: None) == []


@pytest.mark.integration
def test_feature_names_without_a_schema_read_past_an_empty_first_shard(tmp_path: Path) -> None:
    """A small split written as two shards may have an empty first shard (the penguin eval
    split does): the no-schema feature check must read on to the next shard, not see no
    features and refuse a correct label_key."""
    import gzip

    import tensorflow as tf

    from tfxkit.components.evaluator.executor import _example_feature_names

    example = tf.train.Example(features=tf.train.Features(feature={
        "species": tf.train.Feature(int64_list=tf.train.Int64List(value=[1])),
        "body_mass_g": tf.train.Feature(float_list=tf.train.FloatList(value=[3750.0]))}))
    split = tmp_path / "Split-eval"
    split.mkdir()
    with tf.io.TFRecordWriter(str(split / "data_tfrecord-00001-of-00002.gz"), "GZIP") as writer:
        writer.write(example.SerializeToString())
    (split / "data_tfrecord-00000-of-00002.gz").write_bytes(gzip.compress(b""))
    assert sorted(_example_feature_names([str(split / "*")])) == ["body_mass_g", "species"]
