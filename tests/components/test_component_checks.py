"""Standard components check their configuration when the pipeline is built (issue 19 item 1):
the Evaluator's eval_config (metric class names TFMA knows, fields, types, thresholds, feature
names when the examples' header is known) and push destinations (Pusher and the Evaluator's
baseline lookup), all without importing TensorFlow."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.resources.permissions import permission_checked
from tfxkit.components import CsvExampleGen, Evaluator, Pusher
from tfxkit.components.evaluator import metric_names
from tfxkit.errors import ComponentArgumentError, PipelineDefinitionError
from tfxkit.types import Channel
from tfxkit.types.standard_artifacts import Examples, Model

CASES = Path("/work/shared/cases/fail-early")
NOT_A_DIR = CASES / "pusher_destination_is_a_file" / "not_a_dir.txt"
REPO = Path(__file__).resolve().parents[2]
GOOD = {"model_specs": [{"signature_name": "serving_default", "label_key": "species"}],
        "slicing_specs": [{}],
        "metrics_specs": [{"metrics": [
            {"class_name": "ExampleCount"},
            {"class_name": "SparseCategoricalAccuracy",
             "threshold": {"value_threshold": {"lower_bound": 0.6},
                           "change_threshold": {"direction": "HIGHER_IS_BETTER",
                                                "absolute": -1e-10}}}]}]}


def _case(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(f"case_{name}", CASES / name / "pp.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _evaluator(config: dict[str, Any], **kwargs: Any) -> Evaluator:
    return Evaluator(examples=Channel(Examples), model=Channel(Model), eval_config=config,
                     **kwargs)


def _with_metric(metric: dict[str, Any], **spec: Any) -> dict[str, Any]:
    return {"model_specs": [{"label_key": "species"}],
            "metrics_specs": [{"metrics": [{"class_name": "ExampleCount"}, metric], **spec}]}


# -- metric class names -----------------------------------------------------------------------
def test_case_evaluator_unknown_metric_fails_when_the_pipeline_is_built() -> None:
    case = _case("evaluator_unknown_metric")
    with pytest.raises(ComponentArgumentError) as caught:
        case.create_pipeline(metric="NotAMetric")
    message = str(caught.value)
    assert message.startswith("Evaluator: eval_config.metrics_specs[0].metrics[1].class_name "
                              "'NotAMetric' is not a known metric")
    assert "SparseCategoricalAccuracy" in message  # suggestions
    assert "'module': 'my_project.metrics'" in message  # how to register a custom metric
    assert case.create_pipeline().components[-2].id == "Evaluator"


@pytest.mark.parametrize(("name", "close"), [
    ("SparseCategoricalAcuracy", "SparseCategoricalAccuracy"),
    ("sparse_categorical_accuracy", "SparseCategoricalAccuracy"),  # a Keras function: fails in TFMA
    ("auc", "AUC"),
    ("MeanSquaredErorr", "MeanSquaredError"),
    ("ExampleCounts", "ExampleCount"),
])
def test_close_matches_are_suggested(name: str, close: str) -> None:
    with pytest.raises(ComponentArgumentError, match=rf"'{name}' is not a known metric.*Close "
                                                     rf"matches: [^.]*\b{close}\b"):
        _evaluator(_with_metric({"class_name": name}))


@pytest.mark.parametrize("name", ["SparseCategoricalAccuracy", "AUC", "MeanIoU", "BinaryAccuracy",
                                  "MeanSquaredError", "CalibrationPlot", "WeightedExampleCount"])
def test_known_metrics_pass(name: str) -> None:
    _evaluator(_with_metric({"class_name": name}))


def test_custom_metric_modules_and_losses() -> None:
    _evaluator(_with_metric({"class_name": "MyMetric", "module": "json"}))  # findable module
    with pytest.raises(ComponentArgumentError, match=r"metrics\[1\].module 'no_such_pkg.metrics' "
                                                     r"cannot be found.*'module'"):
        _evaluator(_with_metric({"class_name": "MyMetric", "module": "no_such_pkg.metrics"}))
    with pytest.raises(ComponentArgumentError, match="is not a dotted module path"):
        _evaluator(_with_metric({"class_name": "MyMetric", "module": "my metrics"}))
    _evaluator(_with_metric({"class_name": "Huber", "module": metric_names.LOSSES_MODULE}))
    with pytest.raises(ComponentArgumentError, match=r"'Hubber' is not a Keras loss.*Huber"):
        _evaluator(_with_metric({"class_name": "Hubber", "module": metric_names.LOSSES_MODULE}))
    with pytest.raises(ComponentArgumentError, match=r"class_name is empty"):
        _evaluator(_with_metric({"class_name": ""}))


@pytest.mark.parametrize(("config", "message"), [
    ("not json", r"metrics\[1\].config 'not json' is not JSON"),
    ("[1, 2]", r"is not a JSON object"),
])
def test_metric_config_must_be_a_json_object(config: str, message: str) -> None:
    with pytest.raises(ComponentArgumentError, match=message):
        _evaluator(_with_metric({"class_name": "AUC", "config": config}))


# -- fields, types, thresholds ----------------------------------------------------------------
@pytest.mark.parametrize(("config", "message"), [
    ({"metric_specs": []}, r"eval_config has an unknown field 'metric_specs' .*Did you mean "
                           r"'metrics_specs'\?"),
    (_with_metric({"class_name": "AUC", "thresold": {}}),
     r"eval_config.metrics_specs\[0\].metrics\[1\] has an unknown field 'thresold'.*Did you mean "
     r"'threshold'"),
    ({"model_specs": [{"labelkey": "species"}]},
     r"eval_config.model_specs\[0\] has an unknown field 'labelkey'.*Did you mean 'label_key'"),
    ({"slicing_specs": [{"feature_key": ["island"]}]},
     r"slicing_specs\[0\] has an unknown field 'feature_key'.*'feature_keys'"),
    (_with_metric({"class_name": "AUC", "threshold": {"value_threshold": {"lower_bund": 0.5}}}),
     r"metrics\[1\].threshold.value_threshold has an unknown field 'lower_bund'"),
    (_with_metric({"class_name": "AUC", "threshold": {"value_threshold": {"lower_bound": "x"}}}),
     r"eval_config.metrics_specs\[0\].metrics\[1\].threshold.value_threshold.lower_bound.value is "
     r"not valid in a TFMA EvalConfig: Couldn't parse float: x"),
    (_with_metric({"class_name": "AUC", "threshold": {"change_threshold": {"direction": "UP"}}}),
     r"change_threshold.direction is not valid.*Invalid enum value UP"),
    ({"model_specs": "species"}, r"eval_config.*not valid in a TFMA EvalConfig"),
    (_with_metric({"class_name": "AUC", "threshold": {"value_threshold": {
        "lower_bound": 0.9, "upper_bound": 0.1}}}),
     r"value_threshold has lower_bound 0.9 above upper_bound 0.1"),
    (_with_metric({"class_name": "AUC"}, thresholds={"acuracy": {"value_threshold": {
        "lower_bound": 0.5}}}),
     r"metrics_specs\[0\].thresholds\['acuracy'\] names no metric of this metrics_spec \(its "
     r"metrics: example_count, auc\).*Close matches: [^.]*accuracy"),
    (_with_metric({"class_name": "AUC", "config": '{"name": "my_auc"}'},
                  per_slice_thresholds={"auc": {"thresholds": []}, "my_acu": {"thresholds": []}}),
     r"per_slice_thresholds\['my_acu'\].*its metrics: example_count, my_auc"),
    ({"model_specs": [{"label_key": "  "}]}, r"model_specs\[0\].label_key is empty"),
    ({"model_specs": [{}, {}, {}]}, r"model_specs has 3 entries"),
])
def test_eval_config_mistakes_fail_at_construction(config: dict[str, Any], message: str) -> None:
    with pytest.raises(ComponentArgumentError, match=message):
        _evaluator(config)


def test_threshold_keys_may_name_configured_or_compiled_metrics() -> None:
    _evaluator(_with_metric({"class_name": "AUC", "config": '{"name": "my_auc"}'},
                            thresholds={"my_auc": {"value_threshold": {"lower_bound": 0.5}},
                                        "sparse_categorical_accuracy": {},  # compiled in Keras
                                        "loss": {}}))
    _evaluator(GOOD)
    _evaluator({"modelSpecs": [{"labelKey": "species"}], "slicingSpecs": [{}]})  # camelCase


# -- feature names known when the pipeline is built -------------------------------------------
def test_case_evaluator_label_not_in_data_fails_before_anything_runs(tmp_path: Path) -> None:
    case = _case("evaluator_label_not_in_data")
    with pytest.raises(ComponentArgumentError) as caught:
        case.create_pipeline(pipeline_root=str(tmp_path / "out"), label_key="no_such_label")
    assert str(caught.value).startswith(
        "Evaluator: eval_config.model_specs[0].label_key 'no_such_label' is not a feature of the "
        "examples (features: species, culmen_length_mm, culmen_depth_mm, flipper_length_mm, "
        "body_mass_g)")
    assert not (tmp_path / "out").exists()


def test_slicing_and_weight_keys_are_checked_against_the_csv_header(tmp_path: Path) -> None:
    (tmp_path / "data.csv").write_text("a,b,label\n1,2,0\n")
    gen = CsvExampleGen(input_base=str(tmp_path))
    config = {"model_specs": [{"label_key": "label", "example_weight_key": "w"}],
              "slicing_specs": [{}, {"feature_keys": ["a", "island"]}]}
    with pytest.raises(ComponentArgumentError) as caught:
        Evaluator(examples=gen.outputs["examples"], model=Channel(Model), eval_config=config)
    message = str(caught.value)
    assert "model_specs[0].example_weight_key 'w' is not a feature" in message
    assert "slicing_specs[1].feature_keys[1] 'island' is not a feature" in message
    assert "(features: a, b, label)" in message
    config["model_specs"][0].pop("example_weight_key")
    config["slicing_specs"][1]["feature_keys"] = ["a"]
    Evaluator(examples=gen.outputs["examples"], model=Channel(Model), eval_config=config)


def test_unknowable_headers_are_not_guessed(tmp_path: Path) -> None:
    (tmp_path / "one.csv").write_text("a,label\n1,0\n")
    (tmp_path / "two.csv").write_text("b,label\n1,0\n")  # disagreeing headers: the executor says
    config = {"model_specs": [{"label_key": "zzz"}]}
    for gen in (CsvExampleGen(input_base=str(tmp_path)),
                CsvExampleGen(input_base=str(tmp_path / "missing")),
                CsvExampleGen(input_base="gs://bucket/data")):
        Evaluator(examples=gen.outputs["examples"], model=Channel(Model), eval_config=config)


# -- push destinations ------------------------------------------------------------------------
def _pusher(destination: Any) -> Pusher:
    return Pusher(model=Channel(Model), push_destination=destination)


def test_case_pusher_destination_is_a_file() -> None:
    target = CASES / "pusher_destination_is_a_file" / "not_a_dir.txt"
    expected = (f"push destination {target} is a file; expected a directory (it is created if "
                f"missing)")
    with pytest.raises(ComponentArgumentError, match="Pusher: " + re.escape(expected)):
        _pusher({"filesystem": {"base_directory": str(target)}})
    with pytest.raises(ComponentArgumentError, match=r"Evaluator \(baseline lookup\): "
                                                     + re.escape(expected)):
        _evaluator(GOOD, push_destination={"filesystem": {"base_directory": str(target)}})


@pytest.mark.parametrize("make", ["plain", "dict"])
def test_destination_under_a_file_and_links_to_files(tmp_path: Path, make: str) -> None:
    (tmp_path / "file.txt").write_text("x")
    (tmp_path / "link").symlink_to(tmp_path / "file.txt")
    wrap = (lambda p: p) if make == "plain" else (lambda p: {"filesystem": {"base_directory": p}})
    with pytest.raises(ComponentArgumentError, match=rf"{tmp_path}/file.txt/models/v is under the "
                                                     rf"file {tmp_path}/file.txt"):
        _pusher(wrap(str(tmp_path / "file.txt" / "models" / "v")))
    with pytest.raises(ComponentArgumentError, match=rf"{tmp_path}/link \(real path "
                                                     rf"{tmp_path}/file.txt\) is a file"):
        _pusher(wrap(str(tmp_path / "link")))
    with pytest.raises(ComponentArgumentError, match="is under the file"):
        _evaluator(GOOD, push_destination=wrap(str(tmp_path / "file.txt" / "m")))


def test_relative_destinations_are_made_absolute_against_the_working_directory(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    pusher = _pusher({"filesystem": {"base_directory": "serving"}})
    assert pusher.exec_properties["push_destination"] == {
        "filesystem": {"base_directory": str(tmp_path / "serving")}}
    assert _pusher("serving").exec_properties["push_destination"] == str(tmp_path / "serving")
    evaluator = _evaluator(GOOD, push_destination="serving")
    assert evaluator.exec_properties["push_destination"] == str(tmp_path / "serving")
    assert not (tmp_path / "serving").exists()  # created by the push, not by the check


def test_object_store_destinations_are_left_to_the_executor() -> None:
    assert _pusher("gs://bucket/models").exec_properties["push_destination"] == "gs://bucket/models"


def test_unwritable_destination_is_refused_for_the_pusher_only(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    script = ("import re, pytest\n"
              "from tests.components.test_component_checks import GOOD, _evaluator, _pusher\n"
              "from tfxkit.errors import ComponentArgumentError\n"
              f"target = {str(locked / 'models')!r}\n"
              f"with pytest.raises(ComponentArgumentError, match=re.escape({str(locked)!r}) "
              "+ ' is not writable'):\n"
              "    _pusher(target)\n"
              "_evaluator(GOOD, push_destination=target)  # reading is enough\n"
              "print('checked')\n")
    try:
        done = subprocess.run(permission_checked([sys.executable, "-c", script]), cwd=REPO,
                              capture_output=True, text=True, timeout=120)
    finally:
        locked.chmod(0o700)
    assert done.returncode == 0 and done.stdout.strip() == "checked", done.stderr[-2000:]


def test_building_these_components_imports_no_tensorflow() -> None:
    script = ("import sys\n"
              "from tests.components.test_component_checks import GOOD, _evaluator, _pusher\n"
              "_evaluator(GOOD, push_destination='/tmp/serving')\n_pusher('/tmp/serving')\n"
              "print([m for m in sys.modules if m.startswith(('tensorflow', 'apache_beam'))])")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=REPO, timeout=120, check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"


# -- the metric list cannot drift from TFMA ---------------------------------------------------
@pytest.mark.integration
def test_metric_names_file_matches_the_installed_tfma() -> None:
    """Regenerate components/evaluator/metric_names.py with the real TFMA and compare."""
    done = subprocess.run([sys.executable, str(REPO / "scripts" / "generate_metric_names.py"),
                           "--check"], capture_output=True, text=True, cwd=REPO, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]


@pytest.mark.integration
def test_tfma_itself_agrees_with_the_checks() -> None:
    """Every known name resolves in TFMA; rejected names fail there too; the private-pool
    parse of an eval config is byte-identical to TFMA's own."""
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    from google.protobuf import json_format
    from tensorflow_model_analysis.metrics import metric_specs
    from tensorflow_model_analysis.proto import config_pb2

    from tfxkit.components.evaluator.config_check import parse

    for name in metric_names.KNOWN_METRICS:
        try:
            metric_specs.metric_instance(config_pb2.MetricConfig(class_name=name))
        except TypeError as exc:  # a known class that needs config arguments
            assert "required positional argument" in str(exc), (name, exc)
    for name in ("NotAMetric", "sparse_categorical_accuracy", "SparseCategoricalAcuracy"):
        assert name not in metric_names.KNOWN_METRICS
        with pytest.raises((ValueError, TypeError)):
            metric_specs.metric_instance(config_pb2.MetricConfig(class_name=name))
    ours = parse(GOOD).SerializeToString(deterministic=True)
    theirs = json_format.ParseDict(GOOD, config_pb2.EvalConfig())
    assert ours == theirs.SerializeToString(deterministic=True)


def test_a_destination_first_known_at_run_time_is_checked_by_the_pusher(tmp_path: Path) -> None:
    """A RuntimeParameter destination is resolved when the run starts: the executor then says
    the same thing, naming the file, instead of a FileExistsError from pathlib."""
    from tfxkit.components.pusher.executor import Executor
    from tfxkit.types.standard_artifacts import PushedModel

    model = Model(uri=str(tmp_path / "model"))
    (tmp_path / "model" / "Format-Serving").mkdir(parents=True)
    (tmp_path / "model" / "Format-Serving" / "saved_model.pb").write_bytes(b"x")
    pushed = PushedModel(uri=str(tmp_path / "pushed"))
    with pytest.raises(ComponentArgumentError, match=re.escape(
            f"Pusher: push destination {NOT_A_DIR} is a file; expected a directory")):
        Executor().Do({"model": [model]}, {"pushed_model": [pushed]},
                      {"push_destination": {"filesystem": {"base_directory": str(NOT_A_DIR)}}})
    assert NOT_A_DIR.read_text()  # untouched


def test_a_baseline_folder_first_known_at_run_time_is_checked_by_the_evaluator() -> None:
    from tfxkit.components.evaluator.executor import Executor

    with pytest.raises(ComponentArgumentError, match=re.escape(
            f"Evaluator (baseline lookup): push destination {NOT_A_DIR} is a file")):
        Executor._baseline({}, {"push_destination": str(NOT_A_DIR)})


# -- split names known when the pipeline is built ---------------------------------------------
PENGUIN_DATA = REPO / "examples" / "penguin" / "data"
PENGUIN_MODULE = REPO / "examples" / "penguin" / "penguin_module.py"


def _gen_with_test_split() -> CsvExampleGen:
    return CsvExampleGen(input_base=str(PENGUIN_DATA), output_config={"split_config": {"splits": [
        {"name": "train", "hash_buckets": 2}, {"name": "test", "hash_buckets": 1}]}})


def test_splits_named_downstream_must_exist_upstream() -> None:
    from tfxkit.components import Trainer, Transform
    from tfxkit.types.standard_artifacts import Schema

    gen = _gen_with_test_split()
    examples = gen.outputs["examples"]
    with pytest.raises(ComponentArgumentError, match=re.escape(
            "Evaluator: example_splits is not set and defaults to ['eval'], but 'eval' is not a "
            "split of CsvExampleGen.outputs['examples'] (its splits: train, test). Fix: set "
            "example_splits to splits among those")):
        Evaluator(examples=examples, model=Channel(Model), eval_config={})
    with pytest.raises(ComponentArgumentError, match=r"example_splits\[1\] 'tset' is not a split"):
        Evaluator(examples=examples, model=Channel(Model), eval_config={},
                  example_splits=["test", "tset"])
    Evaluator(examples=examples, model=Channel(Model), eval_config={}, example_splits=["test"])
    with pytest.raises(ComponentArgumentError, match=r"splits_config\['analyze'\]\[0\] 'training' "
                                                     r"is not a split"):
        Transform(examples=examples, schema=Channel(Schema), module_file=str(PENGUIN_MODULE),
                  splits_config={"analyze": ["training"]})
    transform = Transform(examples=examples, schema=Channel(Schema),
                          module_file=str(PENGUIN_MODULE))
    with pytest.raises(ComponentArgumentError, match=re.escape(
            "Trainer: eval_args['splits'] is not set and defaults to ['eval'], but 'eval' is not "
            "a split of Transform.outputs['transformed_examples'] (its splits: train, test)")):
        Trainer(examples=transform.outputs["transformed_examples"],
                module_file=str(PENGUIN_MODULE))
    Trainer(examples=transform.outputs["transformed_examples"], module_file=str(PENGUIN_MODULE),
            eval_args={"splits": ["test"]})
    only_train = Transform(examples=examples, schema=Channel(Schema),
                           module_file=str(PENGUIN_MODULE), splits_config={"transform": ["train"]})
    with pytest.raises(ComponentArgumentError, match=r"'test' is not a split of Transform"):
        Trainer(examples=only_train.outputs["transformed_examples"],
                module_file=str(PENGUIN_MODULE), eval_args={"splits": ["test"]})


def test_split_names_of_the_default_and_input_split_configs() -> None:
    assert CsvExampleGen(input_base=str(PENGUIN_DATA)).known_split_names("examples") == [
        "train", "eval"]
    presplit = CsvExampleGen(input_base=str(PENGUIN_DATA), input_config={"splits": [
        {"name": "train", "pattern": "train/*"}, {"name": "holdout", "pattern": "holdout/*"}]})
    assert presplit.known_split_names("examples") == ["train", "holdout"]
    with pytest.raises(ComponentArgumentError, match=r"its splits: train, holdout"):
        Evaluator(examples=presplit.outputs["examples"], model=Channel(Model), eval_config={})


def test_excluded_splits_must_exist_and_carry_on_downstream() -> None:
    from tfxkit.components import SchemaGen, StatisticsGen

    gen = _gen_with_test_split()
    with pytest.raises(ComponentArgumentError, match=r"StatisticsGen: exclude_splits\[0\] 'eval' "
                                                     r"is not a split of CsvExampleGen"):
        StatisticsGen(examples=gen.outputs["examples"], exclude_splits=["eval"])
    with pytest.raises(PipelineDefinitionError, match=r"exclude_splits\[0\] 'test\\n' is not a "
                                                      r"valid name"):
        StatisticsGen(examples=gen.outputs["examples"], exclude_splits=["test\n"])
    stats = StatisticsGen(examples=gen.outputs["examples"], exclude_splits=["test"])
    assert stats.known_split_names("statistics") == ["train"]
    with pytest.raises(ComponentArgumentError, match=r"SchemaGen: exclude_splits\[0\] 'test' is "
                                                     r"not a split of StatisticsGen.outputs"):
        SchemaGen(statistics=stats.outputs["statistics"], exclude_splits=["test"])
