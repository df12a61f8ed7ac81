"""Transform: z-scores the penguin features on Beam, writes TFX's layout, reuses the analyzer
cache, and points at the user's file and line when preprocessing_fn fails."""

from __future__ import annotations

import glob
import logging
import sys
from pathlib import Path

import pytest

from tests.components.conftest import FEATURES, LABEL, PENGUIN_MODULE
from tfxkit import Output, Parameter, component
from tfxkit.components import Transform
from tfxkit.components.transform.executor import Executor, resolve_splits
from tfxkit.errors import ComponentArgumentError, ExecutionError, UserCodeError
from tfxkit.types.artifact import Artifact
from tfxkit.types.channel import Channel
from tfxkit.types.standard_artifacts import (
    Examples,
    Schema,
    TransformCache,
    TransformGraph,
)


def _outputs(root: Path) -> dict[str, list[Artifact]]:
    return {
        "transform_graph": [TransformGraph(uri=str(root / "graph"))],
        "transformed_examples": [Examples(uri=str(root / "transformed"))],
        "updated_analyzer_cache": [TransformCache(uri=str(root / "cache"))],
    }


def _read_transformed(graph_uri: str, examples_uri: str, split: str) -> dict:
    import tensorflow as tf
    import tensorflow_transform as tft

    spec = tft.TFTransformOutput(graph_uri).transformed_feature_spec()
    files = glob.glob(f"{examples_uri}/Split-{split}/transformed_examples-*.gz")
    assert files, f"no transformed examples for {split} under {examples_uri}"
    records = list(tf.data.TFRecordDataset(files, compression_type="GZIP").as_numpy_iterator())
    return {k: v.numpy() for k, v in tf.io.parse_example(records, spec).items()}


def test_component_requires_exactly_one_user_code_source() -> None:
    with pytest.raises(ComponentArgumentError, match="exactly one of module_file"):
        Transform(examples=Channel(Examples), schema=Channel(Schema))
    with pytest.raises(ComponentArgumentError, match="found both"):
        Transform(examples=Channel(Examples), schema=Channel(Schema), module_file="m.py",
                  preprocessing_fn="m.preprocessing_fn")
    transform = Transform(examples=Channel(Examples), schema=Channel(Schema),
                          module_file=str(PENGUIN_MODULE))
    assert set(transform.outputs) == {"transform_graph", "transformed_examples",
                                      "updated_analyzer_cache"}


def test_default_splits_analyze_train_transform_all() -> None:
    assert resolve_splits(None, ["train", "eval"]) == (["train"], ["train", "eval"])
    assert resolve_splits({"analyze": ["eval"]}, ["train", "eval"]) == (
        ["eval"], ["train", "eval"])
    with pytest.raises(ExecutionError, match="unknown key"):
        resolve_splits({"analyse": ["train"]}, ["train"])


def test_component_import_loads_no_tensorflow() -> None:
    import subprocess

    code = ("import sys, tfxkit.components as c; "
            "assert c.Transform and c.Trainer and c.Evaluator and c.Pusher; "
            "heavy = [m for m in ('tensorflow', 'tensorflow_transform', "
            "'tensorflow_model_analysis', 'apache_beam', 'tfx_bsl') if m in sys.modules]; "
            "assert not heavy, heavy")
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.integration
def test_transform_z_scores_features(penguin_transform: dict[str, Artifact]) -> None:
    import numpy as np

    graph = penguin_transform["transform_graph"]
    transformed = penguin_transform["transformed_examples"]
    assert transformed.split_names == ["train", "eval"]  # type: ignore[attr-defined]
    train = _read_transformed(graph.uri, transformed.uri, "train")
    assert len(train[LABEL]) == 222
    for name in FEATURES:
        assert abs(float(np.mean(train[name]))) < 1e-4, name
        assert abs(float(np.std(train[name])) - 1.0) < 1e-3, name
    evaluation = _read_transformed(graph.uri, transformed.uri, "eval")
    assert len(evaluation[LABEL]) == 112
    assert set(np.unique(train[LABEL])) == {0, 1, 2}


@pytest.mark.integration
def test_transform_graph_opens_with_tft(penguin_transform: dict[str, Artifact]) -> None:
    import tensorflow as tf
    import tensorflow_transform as tft

    uri = penguin_transform["transform_graph"].uri
    for folder in ("transform_fn", "transformed_metadata", "metadata"):
        assert Path(uri, folder).is_dir(), folder
    output = tft.TFTransformOutput(uri)
    assert set(output.raw_feature_spec()) == {LABEL, *FEATURES}
    assert set(output.transformed_feature_spec()) == {LABEL, *FEATURES}
    raw = {name: tf.constant([[0.5]]) for name in FEATURES}
    raw[LABEL] = tf.constant([[1]], dtype=tf.int64)
    result = output.transform_raw_features(raw)
    assert set(result) >= set(FEATURES)


@pytest.mark.integration
def test_analyzer_cache_is_reused(
    tmp_path: Path, penguin_examples: Examples, penguin_schema: Schema,
    penguin_transform: dict[str, Artifact], caplog: pytest.LogCaptureFixture,
) -> None:
    cache = penguin_transform["updated_analyzer_cache"]
    assert any(Path(cache.uri).iterdir()), "first run wrote no analyzer cache"
    outputs = _outputs(tmp_path)
    with caplog.at_level(logging.INFO, logger="tfxkit.components.transform.executor"):
        Executor().Do({"examples": [penguin_examples], "schema": [penguin_schema],
                       "analyzer_cache": [cache]},
                      outputs, {"module_file": str(PENGUIN_MODULE)})
    assert "analyzer cache covers split(s) ['train']" in caplog.text
    again = _read_transformed(outputs["transform_graph"][0].uri,
                              outputs["transformed_examples"][0].uri, "train")
    first = _read_transformed(penguin_transform["transform_graph"].uri,
                              penguin_transform["transformed_examples"].uri, "train")
    for name in FEATURES:
        assert (abs(again[name] - first[name]) < 1e-6).all(), name
    assert any(Path(outputs["updated_analyzer_cache"][0].uri).iterdir())


@pytest.mark.integration
def test_dotted_path_preprocessing_fn(
    tmp_path: Path, penguin_examples: Examples, penguin_schema: Schema
) -> None:
    outputs = _outputs(tmp_path)
    Executor().Do({"examples": [penguin_examples], "schema": [penguin_schema]}, outputs,
                  {"preprocessing_fn": "tests.resources.penguin_module.preprocessing_fn",
                   "splits_config": {"analyze": ["train"], "transform": ["eval"]},
                   "disable_analyzer_cache": True})
    transformed = outputs["transformed_examples"][0]
    assert transformed.split_names == ["eval"]  # type: ignore[attr-defined]
    assert len(_read_transformed(outputs["transform_graph"][0].uri, transformed.uri,
                                 "eval")[LABEL]) == 112


BROKEN_MODULE = '''\
import tensorflow_transform as tft


def preprocessing_fn(inputs):
    outputs = {"body_mass_g": tft.scale_to_z_score(inputs["body_mass_g"])}
    outputs["ratio"] = inputs["culmen_length"] / inputs["body_mass_g"]
    return outputs
'''


@pytest.mark.integration
def test_error_in_preprocessing_fn_names_file_and_line(
    tmp_path: Path, penguin_examples: Examples, penguin_schema: Schema
) -> None:
    module = tmp_path / "broken_transform.py"
    module.write_text(BROKEN_MODULE)
    with pytest.raises(UserCodeError) as raised:
        Executor().Do({"examples": [penguin_examples], "schema": [penguin_schema]},
                      _outputs(tmp_path), {"module_file": str(module)})
    message = str(raised.value)
    assert f"{module}, line 6, in preprocessing_fn" in message
    assert 'inputs["culmen_length"]' in message
    assert "KeyError" in message
    assert not [name for name in sys.modules if name.startswith("_tfxkit_user_broken")]


@pytest.mark.integration
def test_missing_split_is_a_clear_error(
    tmp_path: Path, penguin_examples: Examples, penguin_schema: Schema
) -> None:
    with pytest.raises(ExecutionError, match=r"split 'test'.*splits available: train, eval"):
        Executor().Do({"examples": [penguin_examples], "schema": [penguin_schema]},
                      _outputs(tmp_path),
                      {"module_file": str(PENGUIN_MODULE),
                       "splits_config": {"analyze": ["test"]}})


SEPARATE_WORKER_MODULE = '''\
import tensorflow_transform as tft

from penguin_features import NUMERIC  # a sibling file, like `features.py` in a project

SCALED = [name for name in NUMERIC if name != "flipper_length_mm"]


def preprocessing_fn(inputs):
    return {name: tft.scale_to_z_score(inputs[name]) for name in SCALED}
'''


@pytest.mark.integration
def test_module_file_runs_on_separate_worker_processes(
    tmp_path: Path, penguin_examples: Examples, penguin_schema: Schema
) -> None:
    from tfxkit.dsl.base_executor import ExecutorContext

    (tmp_path / "penguin_features.py").write_text(f"NUMERIC = {FEATURES!r}\n")
    module = tmp_path / "worker_transform.py"
    module.write_text(SEPARATE_WORKER_MODULE)
    outputs = _outputs(tmp_path)
    beam_args = ["--direct_running_mode=multi_processing", "--direct_num_workers=2"]
    Executor(ExecutorContext(beam_pipeline_args=beam_args)).Do(
        {"examples": [penguin_examples], "schema": [penguin_schema]}, outputs,
        {"module_file": str(module)})
    transformed = _read_transformed(outputs["transform_graph"][0].uri,
                                    outputs["transformed_examples"][0].uri, "train")
    assert set(transformed) == set(FEATURES) - {"flipper_length_mm"}
    assert abs(transformed[FEATURES[0]].mean()) < 1e-3


# -- user code errors point at user code (issue 19) ---------------------------------------------
# The module of cases/fail-early/transform_syntax_error: line 3 is not Python.
SYNTAX_MODULE = '''\
import tensorflow_transform as tft
def preprocessing_fn(inputs):
    return {k: v for k, v in inputs.items() if }
'''


def _light_inputs(root: Path) -> dict[str, list[Artifact]]:
    """Examples and Schema artifacts that get the executor as far as loading the module file,
    without TensorFlow: one empty split file and a one-feature schema."""
    split = root / "examples" / "Split-train"
    split.mkdir(parents=True)
    (split / "data_tfrecord-00000-of-00001.gz").write_bytes(b"")
    examples = Examples(uri=str(root / "examples"))
    examples.split_names = ["train"]
    (root / "schema").mkdir()
    (root / "schema" / "schema.pbtxt").write_text('feature { name: "x" type: FLOAT }\n')
    return {"examples": [examples], "schema": [Schema(uri=str(root / "schema"))]}


@pytest.mark.parametrize(("source", "line", "message", "caret_under"), [
    (SYNTAX_MODULE, 3, "invalid syntax", "}"),
    ("def preprocessing_fn(inputs):\nreturn inputs\n", 2,
     "expected an indented block after function definition on line 1", "return"),
    ("def preprocessing_fn(inputs):\n    x = (1,\n    return x\n", 2, "'(' was never closed",
     "("),
], ids=["invalid syntax", "IndentationError", "unclosed bracket"])
def test_syntax_error_names_user_file_line_and_caret(
    tmp_path: Path, source: str, line: int, message: str, caret_under: str
) -> None:
    module = tmp_path / "tr_syntax.py"
    module.write_text(source)
    with pytest.raises(UserCodeError) as raised:
        Executor().Do(_light_inputs(tmp_path), _outputs(tmp_path), {"module_file": str(module)})
    text = str(raised.value)
    lines = text.splitlines()
    assert lines[0] == f"Transform: tr_syntax.py, line {line}: {message}"
    offending = source.splitlines()[line - 1].strip()
    assert lines[1] == f"    {offending}"
    assert lines[2].index("^") == lines[1].index(caret_under)
    assert str(module) in text
    assert "components" not in text and "tfxkit" not in text and "Traceback" not in text
    assert raised.value.__cause__ is None  # no chained tfxkit traceback to print


def test_syntax_error_in_an_imported_helper_names_the_helper(tmp_path: Path) -> None:
    (tmp_path / "features.py").write_text("SCALE = = 1.0\n")
    module = tmp_path / "preprocessing.py"
    module.write_text("from features import SCALE\n\ndef preprocessing_fn(inputs):\n"
                      "    return inputs\n")
    with pytest.raises(UserCodeError, match=r"^Transform: features\.py, line 1: invalid syntax"):
        Executor().Do(_light_inputs(tmp_path), _outputs(tmp_path), {"module_file": str(module)})


@pytest.mark.parametrize("signature", ["()", "(inputs, extra)", "(*, inputs)"])
def test_preprocessing_fn_with_wrong_signature_is_named(tmp_path: Path, signature: str) -> None:
    module = tmp_path / "tr_signature.py"
    module.write_text(f"def preprocessing_fn{signature}:\n    return {{}}\n")
    with pytest.raises(UserCodeError) as raised:
        Executor().Do(_light_inputs(tmp_path), _outputs(tmp_path), {"module_file": str(module)})
    assert str(raised.value).startswith(
        f"Transform: preprocessing_fn in tr_signature.py has the signature preprocessing_fn"
        f"{signature}")
    assert "def preprocessing_fn(inputs):" in str(raised.value)


MUST = "it must return a dict mapping feature names to tensors"


@pytest.mark.integration
@pytest.mark.parametrize(("returned", "found"), [
    # cases/fail-early/transform_returns_non_dict: a single tensor
    ('tft.scale_to_z_score(inputs["culmen_length_mm"])', f"returned a Tensor; {MUST}"),
    ("None", f"returned None; {MUST}"),
    ('[inputs["body_mass_g"]]', "returned a list ("),
    ('(inputs["body_mass_g"],)', "returned a tuple ("),
    ('{1: inputs["body_mass_g"]}', f"returned a dict with the key 1 (int); {MUST}"),
    ('{"mass": 3.0}', f"returned a dict whose value for 'mass' is a float (3.0); {MUST}"),
    ('{"mass": "body_mass_g"}', f"returned a dict whose value for 'mass' is a str "
                                f"('body_mass_g'); {MUST}"),
    ("{}", f"returned an empty dict; {MUST}"),
], ids=["Tensor", "None", "list", "tuple", "int key", "float value", "str value", "empty"])
def test_preprocessing_fn_returning_a_non_dict_is_named(
    tmp_path: Path, penguin_examples: Examples, penguin_schema: Schema, returned: str, found: str
) -> None:
    module = tmp_path / "tr_tensor.py"
    module.write_text("import tensorflow_transform as tft\n\n\ndef preprocessing_fn(inputs):\n"
                      f"    return {returned}\n")
    with pytest.raises(UserCodeError) as raised:
        Executor().Do({"examples": [penguin_examples], "schema": [penguin_schema]},
                      _outputs(tmp_path), {"module_file": str(module)})
    text = str(raised.value)
    assert text.startswith(f"Transform: preprocessing_fn in tr_tensor.py {found}"), text
    assert MUST in text
    assert "tensorflow" not in text and "in user code" not in text and "\n" not in text
    assert not (tmp_path / "graph" / "transform_fn").exists()


@pytest.mark.integration
def test_preprocessing_fn_with_custom_config_still_checked(
    tmp_path: Path, penguin_examples: Examples, penguin_schema: Schema
) -> None:
    module = tmp_path / "tr_config.py"
    module.write_text("def preprocessing_fn(inputs, custom_config):\n"
                      "    return inputs[custom_config['feature']]\n")
    with pytest.raises(UserCodeError, match=f"^Transform: preprocessing_fn in tr_config.py "
                                            f"returned a Tensor; {MUST}$"):
        Executor().Do({"examples": [penguin_examples], "schema": [penguin_schema]},
                      _outputs(tmp_path), {"module_file": str(module),
                                           "custom_config": {"feature": "body_mass_g"}})


# -- the cache sees helper modules (issue 19, cases/fail-early/cache_helper_module) -------------
@component
def copy_artifact(source: Parameter[str], examples: Output[Examples]) -> None:
    """Copy the folder `source` (a session fixture's artifact) into `examples`."""
    import shutil

    shutil.copytree(source, examples.uri, dirs_exist_ok=True)
    examples.split_names = sorted(p.name[len("Split-"):] for p in Path(source).glob("Split-*"))


@component
def copy_schema(source: Parameter[str], schema: Output[Schema]) -> None:
    """Copy the folder `source` (a session fixture's schema) into `schema`."""
    import shutil

    shutil.copytree(source, schema.uri, dirs_exist_ok=True)


@pytest.mark.integration
def test_changing_only_an_imported_helper_reruns_transform(
    tmp_path: Path, penguin_examples: Examples, penguin_schema: Schema
) -> None:
    from tfxkit import Pipeline
    from tfxkit.runners import LocalDagRunner
    from tfxkit.runners.local import SilentReporter

    project = tmp_path / "project"
    (project / "steps").mkdir(parents=True)
    (project / "pyproject.toml").write_text("[project]\nname = 'cachecheck'\n")
    (project / "steps" / "__init__.py").write_text("")
    (project / "steps" / "features.py").write_text("NUMERIC_SCALE = 1.0\n")
    (project / "steps" / "preprocessing.py").write_text(
        "import tensorflow_transform as tft\n\n"
        "from steps.features import NUMERIC_SCALE\n\n\n"
        "def preprocessing_fn(inputs):\n"
        f"    return {{name: tft.scale_to_z_score(inputs[name]) * NUMERIC_SCALE\n"
        f"            for name in {FEATURES!r}}}\n")

    def run() -> tuple[str, dict]:
        examples = copy_artifact(source=penguin_examples.uri)
        schema = copy_schema(source=penguin_schema.uri)
        transform = Transform(examples=examples.outputs["examples"],
                              schema=schema.outputs["schema"],
                              module_file=str(project / "steps" / "preprocessing.py"))
        pipeline = Pipeline("cachecheck", str(tmp_path / "out"), [examples, schema, transform])
        result = LocalDagRunner(workers=0, hooks=SilentReporter()).run(pipeline)
        graph = result.outputs("Transform", "transform_graph")[0].uri
        transformed = result.outputs("Transform", "transformed_examples")[0].uri
        return result.outcome("Transform"), _read_transformed(graph, transformed, "train")

    outcome, first = run()
    assert outcome == "ran"
    (project / "steps" / "features.py").write_text("NUMERIC_SCALE = 100.0\n")
    outcome, second = run()
    assert outcome == "ran"  # a cache hit would reuse the graph scaled by 1.0
    for name in FEATURES:
        assert second[name] == pytest.approx(first[name] * 100.0, rel=1e-4, abs=1e-4)
    assert run()[0] == "cached"


# -- memory bounded by the batch size (issue 17) ------------------------------------------------
def _tree(uri: str) -> dict[str, bytes]:
    """Every file under `uri`, by relative path."""
    root = Path(uri)
    return {str(path.relative_to(root)): path.read_bytes()
            for path in sorted(root.rglob("*")) if path.is_file()}


def _records(examples_uri: str, split: str) -> list[bytes]:
    """The serialized transformed tf.Examples of `split`, sorted (shards may split them
    differently)."""
    import tensorflow as tf

    files = sorted(glob.glob(f"{examples_uri}/Split-{split}/transformed_examples-*.gz"))
    assert files, f"no transformed examples for {split} under {examples_uri}"
    return sorted(tf.data.TFRecordDataset(files, compression_type="GZIP").as_numpy_iterator())


@pytest.mark.integration
def test_reading_a_split_twice_gives_the_outputs_of_decoding_it_once(
    tmp_path: Path, penguin_examples: Examples, penguin_schema: Schema,
    penguin_transform: dict[str, Artifact], monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The penguin train split is small, so `penguin_transform` decoded it once for both the
    analysis and the transform (with the label, which only the transform reads). A large split
    is read twice instead, to keep memory bounded: with the threshold at 0 the same data takes
    that path and the transformed examples and the transform graph are the same, byte for
    byte (the SavedModel's graph apart, whose function names differ from run to run; it is
    compared on what it computes)."""
    import tensorflow as tf
    import tensorflow_transform as tft

    from tfxkit.components.transform import executor

    train_bytes = sum(path.stat().st_size
                      for path in Path(penguin_examples.uri, "Split-train").iterdir())
    assert train_bytes <= executor.SHARED_READ_MAX_BYTES  # penguin_transform decoded it once
    monkeypatch.setattr(executor, "SHARED_READ_MAX_BYTES", 0)
    outputs = _outputs(tmp_path)
    with caplog.at_level(logging.INFO, logger="tfxkit.components.transform.executor"):
        Executor().Do({"examples": [penguin_examples], "schema": [penguin_schema]},
                      outputs, {"module_file": str(PENGUIN_MODULE),
                                "splits_config": {"transform": ["train"]},  # eval: read once
                                "disable_analyzer_cache": True})
    assert "split(s) ['train'] are over 0 bytes; read once for the analysis and again" \
        in caplog.text
    once, twice = penguin_transform, {key: value[0] for key, value in outputs.items()}
    records = _records(twice["transformed_examples"].uri, "train")
    assert len(records) == 222
    assert records == _records(once["transformed_examples"].uri, "train")
    # saved_model.pb names its traced functions from a per-process counter (two runs on the same
    # path differ there too), and fingerprint.pb hashes it; every other file is compared.
    traced = {"transform_fn/saved_model.pb", "transform_fn/fingerprint.pb"}
    graphs = [{path: data for path, data in _tree(graph.uri).items() if path not in traced}
              for graph in (once["transform_graph"], twice["transform_graph"])]
    assert "transform_fn/variables/variables.index" in graphs[0]
    assert graphs[0] == graphs[1]
    raw = {name: tf.constant([[0.5], [40.0], [3000.0]]) for name in FEATURES}
    raw[LABEL] = tf.constant([[0], [1], [2]], dtype=tf.int64)
    results = [tft.TFTransformOutput(graph.uri).transform_raw_features(raw)
               for graph in (once["transform_graph"], twice["transform_graph"])]
    for name in (*FEATURES, LABEL):
        assert results[0][name].numpy().tobytes() == results[1][name].numpy().tobytes(), name
