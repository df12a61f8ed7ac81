"""Trainer: calls run_fn with TFX's FnArgs names, produces a SavedModel serving raw
tf.Examples, and says clearly when run_fn saved nothing or raised."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.components.conftest import (
    FEATURES,
    LABEL,
    penguin_rows,
    serialize_examples,
)
from tfxkit.components import Trainer
from tfxkit.components.trainer.executor import Executor
from tfxkit.components.trainer.fn_args import DataAccessor
from tfxkit.errors import ComponentArgumentError, ExecutionError, UserCodeError
from tfxkit.types.artifact import Artifact
from tfxkit.types.channel import Channel
from tfxkit.types.standard_artifacts import (
    Examples,
    HyperParameters,
    Model,
    ModelRun,
    Schema,
)

RECORDING_MODULE = '''\
import json
import os

import tensorflow as tf

NAMES = ["train_files", "eval_files", "train_steps", "eval_steps", "transform_output",
         "transform_graph_path", "schema_path", "serving_model_dir", "model_run_dir",
         "hyperparameters", "custom_config"]


def run_fn(fn_args):
    with open(os.path.join(fn_args.model_run_dir, "fn_args.json"), "w") as handle:
        json.dump({name: getattr(fn_args, name) for name in NAMES}, handle)
    assert hasattr(fn_args.data_accessor, "tf_dataset_factory")
    module = tf.Module()
    module.serve = tf.function(lambda x: {"y": x * 2},
                               input_signature=[tf.TensorSpec([None], tf.float32)])
    tf.saved_model.save(module, fn_args.serving_model_dir,
                        signatures={"serving_default": module.serve})
'''

NOTHING_MODULE = '''\
def run_fn(fn_args):
    print("training... but forgot to save")
'''

RAISING_MODULE = '''\
def run_fn(fn_args):
    steps = fn_args.custom_config["learning_steps"]
    return steps
'''


def _run(tmp_path: Path, inputs: dict[str, list[Artifact]], props: dict) -> tuple[Model, ModelRun]:
    model = Model(uri=str(tmp_path / "model"))
    model_run = ModelRun(uri=str(tmp_path / "model_run"))
    Executor().Do(inputs, {"model": [model], "model_run": [model_run]}, props)
    return model, model_run


def test_component_requires_exactly_one_run_fn_source() -> None:
    with pytest.raises(ComponentArgumentError, match="exactly one of module_file"):
        Trainer(examples=Channel(Examples))
    trainer = Trainer(examples=Channel(Examples), run_fn="tests.resources.penguin_module.run_fn",
                      train_args={"num_steps": 100})
    assert trainer.exec_properties["train_args"] == {"num_steps": 100}
    assert set(trainer.outputs) == {"model", "model_run"}


@pytest.mark.integration
def test_trained_model_predicts_from_raw_serialized_examples(penguin_model: Model) -> None:
    import numpy as np
    import tensorflow as tf

    serving = Path(penguin_model.uri, "Format-Serving")
    assert (serving / "saved_model.pb").is_file()
    loaded = tf.saved_model.load(str(serving))
    serve = loaded.signatures["serving_default"]
    rows = penguin_rows()
    without_label = [{k: v for k, v in row.items() if k != LABEL} for row in rows]
    for batch in (rows, without_label):
        logits = serve(examples=tf.constant(serialize_examples(batch)))["outputs"].numpy()
        assert logits.shape == (len(rows), 3)
        accuracy = float(np.mean(np.argmax(logits, axis=1) == [r[LABEL] for r in rows]))
        assert accuracy > 0.8, accuracy


@pytest.mark.integration
def test_fn_args_carry_tfx_names(
    tmp_path: Path, penguin_examples: Examples, penguin_schema: Schema
) -> None:
    module = tmp_path / "recording_module.py"
    module.write_text(RECORDING_MODULE)
    hyperparameters = HyperParameters(uri=str(tmp_path / "hp"))
    Path(hyperparameters.uri).mkdir()
    Path(hyperparameters.uri, "best_hyperparameters.txt").write_text(
        json.dumps({"values": {"learning_rate": 0.05}}))
    model, model_run = _run(
        tmp_path,
        {"examples": [penguin_examples], "schema": [penguin_schema],
         "hyperparameters": [hyperparameters]},
        {"module_file": str(module), "train_args": {"num_steps": 7},
         "eval_args": {"num_steps": 3}, "custom_config": {"team": "penguins"}},
    )
    recorded = json.loads(Path(model_run.uri, "fn_args.json").read_text())
    assert recorded["train_files"] == [f"{penguin_examples.uri}/Split-train/*"]
    assert recorded["eval_files"] == [f"{penguin_examples.uri}/Split-eval/*"]
    assert (recorded["train_steps"], recorded["eval_steps"]) == (7, 3)
    assert recorded["transform_output"] is None and recorded["transform_graph_path"] is None
    assert recorded["schema_path"] == f"{penguin_schema.uri}/schema.pbtxt"
    assert recorded["serving_model_dir"] == f"{model.uri}/Format-Serving"
    assert recorded["model_run_dir"] == model_run.uri
    assert recorded["hyperparameters"] == {"learning_rate": 0.05}
    assert recorded["custom_config"] == {"team": "penguins"}


@pytest.mark.integration
def test_data_accessor_builds_batched_dataset(
    penguin_examples: Examples, penguin_schema: Schema
) -> None:
    from google.protobuf import text_format
    from tensorflow_metadata.proto.v0 import schema_pb2
    from tfx_bsl.public import tfxio

    schema = text_format.Parse(Path(penguin_schema.uri, "schema.pbtxt").read_text(),
                               schema_pb2.Schema())
    dataset = DataAccessor().tf_dataset_factory(
        [f"{penguin_examples.uri}/Split-train/*"],
        tfxio.TensorFlowDatasetOptions(batch_size=20, label_key=LABEL, num_epochs=1),
        schema)
    features, labels = next(iter(dataset))
    assert set(features) == set(FEATURES)
    assert labels.shape[0] == 20


@pytest.mark.integration
def test_run_fn_that_saves_nothing_fails_clearly(
    tmp_path: Path, penguin_examples: Examples
) -> None:
    module = tmp_path / "nothing_module.py"
    module.write_text(NOTHING_MODULE)
    with pytest.raises(ExecutionError) as raised:
        _run(tmp_path, {"examples": [penguin_examples]}, {"module_file": str(module)})
    message = str(raised.value)
    assert "run_fn returned without saving a model" in message
    assert f"{tmp_path}/model/Format-Serving" in message
    assert "found nothing" in message
    assert "model.save(fn_args.serving_model_dir" in message


@pytest.mark.integration
def test_error_in_run_fn_names_file_and_line(
    tmp_path: Path, penguin_examples: Examples
) -> None:
    module = tmp_path / "raising_module.py"
    module.write_text(RAISING_MODULE)
    with pytest.raises(UserCodeError) as raised:
        _run(tmp_path, {"examples": [penguin_examples]},
             {"module_file": str(module), "custom_config": {"steps": 3}})
    assert f"{module}, line 2, in run_fn" in str(raised.value)
    assert "KeyError" in str(raised.value)


@pytest.mark.integration
def test_missing_train_split_is_a_clear_error(
    tmp_path: Path, penguin_examples: Examples
) -> None:
    with pytest.raises(ExecutionError, match=r"split 'validation'.*train, eval"):
        _run(tmp_path, {"examples": [penguin_examples]},
             {"run_fn": "tests.resources.penguin_module.run_fn",
              "eval_args": {"splits": ["validation"]}})


# -- user code errors point at user code (issue 19) ---------------------------------------------
def _light_examples(root: Path) -> Examples:
    """Examples with empty train/eval split files: enough to reach the loading of run_fn."""
    for split in ("train", "eval"):
        (root / "examples" / f"Split-{split}").mkdir(parents=True)
        (root / "examples" / f"Split-{split}" / "data_tfrecord-00000-of-00001.gz").write_bytes(b"")
    examples = Examples(uri=str(root / "examples"))
    examples.split_names = ["train", "eval"]
    return examples


def test_syntax_error_in_run_fn_module_names_file_line_and_caret(tmp_path: Path) -> None:
    module = tmp_path / "model.py"
    module.write_text("def run_fn(fn_args):\n    model = build(\n    model.fit(fn_args)\n"
                      "    model.save(fn_args.serving_model_dir\n")
    with pytest.raises(UserCodeError) as raised:
        _run(tmp_path, {"examples": [_light_examples(tmp_path)]}, {"module_file": str(module)})
    lines = str(raised.value).splitlines()
    assert lines[0] == "Trainer: model.py, line 4: '(' was never closed"
    assert lines[1] == "    model.save(fn_args.serving_model_dir"
    assert lines[2].index("^") == lines[1].index("(")
    assert "tfxkit" not in str(raised.value) and "components" not in str(raised.value)


@pytest.mark.parametrize("signature", ["()", "(fn_args, extra)", "(*, fn_args)"])
def test_run_fn_with_wrong_signature_is_named(tmp_path: Path, signature: str) -> None:
    module = tmp_path / "model.py"
    module.write_text(f"def run_fn{signature}:\n    pass\n")
    with pytest.raises(UserCodeError) as raised:
        _run(tmp_path, {"examples": [_light_examples(tmp_path)]}, {"module_file": str(module)})
    assert str(raised.value).startswith(
        f"Trainer: run_fn in model.py has the signature run_fn{signature}")
    assert "def run_fn(fn_args):" in str(raised.value)


@pytest.mark.integration
def test_run_fn_returning_its_model_instead_of_saving_it_is_named(tmp_path: Path) -> None:
    module = tmp_path / "model.py"
    module.write_text("def run_fn(fn_args):\n    return {'weights': [1.0, 2.0]}\n")
    with pytest.raises(ExecutionError) as raised:
        _run(tmp_path, {"examples": [_light_examples(tmp_path)]}, {"module_file": str(module)})
    message = str(raised.value)
    assert "run_fn returned without saving a model. run_fn returned a dict; its return value " \
           "is ignored, the model must be saved, not returned." in message
    assert "model.save(fn_args.serving_model_dir" in message
