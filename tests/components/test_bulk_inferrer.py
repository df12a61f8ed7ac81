"""BulkInferrer: TFX's names and parameter shapes checked at construction; the shared pipeline
run (tests/serving/pipeline_fixture.py) writes one PredictionLog per input example, readable
with TF Serving's proto, and output examples with the prediction column; a NOT_BLESSED model
is skipped with a recorded reason; a missing split or signature fails before Beam starts."""

from __future__ import annotations

import glob
import json
import os
from pathlib import Path
from typing import Any

import pytest

from tfxkit.components import BulkInferrer, CsvExampleGen, Trainer
from tfxkit.components.bulk_inferrer.executor import Executor
from tfxkit.errors import ComponentArgumentError, ExecutionError, PipelineDefinitionError
from tfxkit.types.standard_artifacts import Examples, InferenceResult, Model, ModelBlessing

PREDICT_SPEC = {"output_columns_spec": [{"predict_output": {"output_columns": [
    {"output_key": "outputs", "output_column": "probabilities"}]}}]}


@pytest.fixture
def upstream(tmp_path: Path) -> tuple[Any, Any]:
    """An ExampleGen and a Trainer to wire a BulkInferrer to (nothing runs)."""
    (tmp_path / "data.csv").write_text("a,b\n1,2\n")
    module = tmp_path / "module.py"
    module.write_text("def run_fn(fn_args):\n    pass\n")
    gen = CsvExampleGen(input_base=str(tmp_path))
    trainer = Trainer(examples=gen.outputs["examples"], module_file=str(module))
    return gen, trainer


def test_outputs_follow_tfx(upstream: tuple[Any, Any]) -> None:
    gen, trainer = upstream
    plain = BulkInferrer(examples=gen.outputs["examples"], model=trainer.outputs["model"])
    assert list(plain.outputs) == ["inference_result"]
    assert plain.outputs["inference_result"].type is InferenceResult
    with_examples = BulkInferrer(examples=gen.outputs["examples"],
                                 model=trainer.outputs["model"],
                                 output_example_spec=PREDICT_SPEC)
    assert list(with_examples.outputs) == ["inference_result", "output_examples"]
    assert with_examples.outputs["output_examples"].type is Examples


BAD_SPECS: list[tuple[str, dict[str, Any], str]] = [
    ("data_spec_typo", {"data_spec": {"example_split": ["eval"]}},
     r"data_spec: unknown field 'example_split'.*Did you mean 'example_splits'\?"),
    ("data_spec_split_not_a_list", {"data_spec": {"example_splits": "eval"}},
     r"data_spec\['example_splits'\]: expected list, found str 'eval'"),
    ("data_spec_bad_split_name", {"data_spec": {"example_splits": ["ev al"]}},
     r"data_spec\['example_splits'\]\[0\]"),
    ("model_spec_two_signatures", {"model_spec": {"model_signature_name": ["a", "b"]}},
     r"expected one signature name"),
    ("model_spec_tag_type", {"model_spec": {"tag": [1]}},
     r"model_spec\['tag'\]\[0\]: expected a non-empty str, found int 1"),
    ("output_spec_two_entries", {"output_example_spec": {"output_columns_spec": [
        PREDICT_SPEC["output_columns_spec"][0]] * 2}}, r"expected one entry"),
    ("output_spec_no_kind", {"output_example_spec": {"output_columns_spec": [{}]}},
     r"expected exactly one of predict_output, classify_output, regress_output, found none"),
    ("output_spec_kind_typo", {"output_example_spec": {"output_columns_spec": [
        {"predict_outputs": {}}]}}, r"Did you mean 'predict_output'\?"),
    ("output_spec_missing_key", {"output_example_spec": {"output_columns_spec": [
        {"predict_output": {"output_columns": [{"output_column": "p"}]}}]}},
     r"missing 'output_key'"),
    ("output_spec_repeated_column", {"output_example_spec": {"output_columns_spec": [
        {"predict_output": {"output_columns": [
            {"output_key": "a", "output_column": "p"},
            {"output_key": "b", "output_column": "p"}]}}]}},
     r"output column\(s\) 'p' named more than once"),
    ("output_spec_other_signature", {
        "model_spec": {"model_signature_name": ["serving_default"]},
        "output_example_spec": {"output_columns_spec": [
            {"signature_name": "other", **PREDICT_SPEC["output_columns_spec"][0]}]}},
     r"output_example_spec names signature 'other' but the model is run with signature "
     r"'serving_default'"),
]


@pytest.mark.parametrize(("arguments", "pattern"), [c[1:] for c in BAD_SPECS],
                         ids=[c[0] for c in BAD_SPECS])
def test_bad_specs_refused_at_construction(upstream: tuple[Any, Any], arguments: dict[str, Any],
                                           pattern: str) -> None:
    gen, trainer = upstream
    # Split names go through the shared whole-string name check (PipelineDefinitionError).
    with pytest.raises((ComponentArgumentError, PipelineDefinitionError), match=pattern):
        BulkInferrer(examples=gen.outputs["examples"], model=trainer.outputs["model"],
                     **arguments)


def test_not_blessed_model_is_skipped_with_the_reason(tmp_path: Path) -> None:
    blessing = ModelBlessing(uri=str(tmp_path / "blessing"))
    blessing.set_custom_property("blessed", 0)
    blessing.set_custom_property("blessing_reason", "accuracy 0.41 < 0.6")
    result = InferenceResult(uri=str(tmp_path / "result"))
    examples = Examples(uri=str(tmp_path / "examples"))
    output_examples = Examples(uri=str(tmp_path / "output_examples"))
    Executor().Do({"examples": [examples], "model": [Model(uri=str(tmp_path / "model"))],
                   "model_blessing": [blessing]},
                  {"inference_result": [result], "output_examples": [output_examples]},
                  {"output_example_spec": PREDICT_SPEC})
    assert result.get_custom_property("inferred") == 0
    reason = result.get_custom_property("inference_reason")
    assert "NOT_BLESSED" in reason and "accuracy 0.41 < 0.6" in reason
    assert not os.path.exists(result.uri)
    assert output_examples.split_names == []


def test_missing_split_fails_before_beam(tmp_path: Path) -> None:
    examples = Examples(uri=str(tmp_path / "examples"))
    (tmp_path / "examples" / "Split-train").mkdir(parents=True)
    (tmp_path / "examples" / "Split-train" / "data_tfrecord-00000-of-00001.gz").write_bytes(b"")
    examples.split_names = ["train"]
    with pytest.raises(ExecutionError, match=r"asks for split 'eval'.*splits available: train"):
        Executor().Do({"examples": [examples], "model": [Model(uri=str(tmp_path / "model"))]},
                      {"inference_result": [InferenceResult(uri=str(tmp_path / "r"))]},
                      {"data_spec": {"example_splits": ["eval"]}})


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from tests.serving.pipeline_fixture import build

    return build(tmp_path_factory)


def read_records(pattern: str) -> list[bytes]:
    import tensorflow as tf

    files = sorted(glob.glob(pattern))
    assert files, f"nothing matches {pattern}"
    return [r.numpy() for r in tf.data.TFRecordDataset(files, compression_type="GZIP")]


@pytest.mark.integration
def test_pipeline_writes_one_prediction_log_per_example(built: Any) -> None:
    import numpy as np
    import tensorflow as tf
    from tensorflow_serving.apis import prediction_log_pb2

    result = built.artifact("BulkInferrer", "inference_result")
    examples = built.artifact("CsvExampleGen", "examples")
    inputs = read_records(os.path.join(examples.uri, "Split-eval", "*"))
    logs = [prediction_log_pb2.PredictionLog.FromString(r)
            for r in read_records(os.path.join(result.uri, "prediction_logs-*.gz"))]
    assert len(logs) == len(inputs) > 0
    assert result.get_custom_property("inferred") == 1
    assert result.get_custom_property("example_count") == len(inputs)
    assert {log.WhichOneof("log_type") for log in logs} == {"predict_log"}
    def canonical(record: bytes) -> str:  # feature order in the bytes may differ
        from google.protobuf import json_format

        return json.dumps(json_format.MessageToDict(tf.train.Example.FromString(record)),
                          sort_keys=True)

    logged = sorted(canonical(log.predict_log.request.inputs["examples"].string_val[0])
                    for log in logs)
    assert logged == sorted(canonical(r) for r in inputs)  # each input example exactly once
    model = tf.saved_model.load(os.path.join(
        built.artifact("Trainer", "model").uri, "Format-Serving"))
    for log in logs[:5]:
        request = log.predict_log.request.inputs["examples"].string_val[0]
        own = model.signatures["serving_default"](examples=tf.constant([request]))["outputs"]
        logged_output = tf.make_ndarray(log.predict_log.response.outputs["outputs"])
        np.testing.assert_allclose(logged_output, own.numpy(), atol=1e-6)


@pytest.mark.integration
def test_output_examples_carry_the_prediction_column(built: Any) -> None:
    import tensorflow as tf

    output = built.artifact("BulkInferrer", "output_examples")
    assert output.split_names == ["eval"]
    records = read_records(os.path.join(output.uri, "Split-eval", "examples-*.gz"))
    assert len(records) == built.artifact("BulkInferrer", "inference_result") \
        .get_custom_property("example_count")
    for record in records:
        features = tf.train.Example.FromString(record).features.feature
        probabilities = list(features["probabilities"].float_list.value)
        assert len(probabilities) == 3
        assert sum(probabilities) == pytest.approx(1.0, abs=1e-4)
        assert {"species", "island", "body_mass_g"} <= set(features)


@pytest.mark.integration
def test_unknown_signature_fails_before_beam(built: Any, tmp_path: Path) -> None:
    with pytest.raises(ExecutionError,
                       match=r"has no signature 'classify'; it has serving_default, "
                             r"transform_features\. Fix model_spec"):
        Executor().Do({"examples": [built.artifact("CsvExampleGen", "examples")],
                       "model": [built.artifact("Trainer", "model")]},
                      {"inference_result": [InferenceResult(uri=str(tmp_path / "r"))]},
                      {"model_spec": {"model_signature_name": ["classify"]}})
