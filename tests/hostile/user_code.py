"""Hostile-input cases: User code and its cache (issue 19): syntax errors and wrong return types point
at user code, helper modules in the cache key, baselines.

Each case calls the component's executor (or its data-time check) directly, as a run would after
the pipeline was accepted: the error must name the user's file or the offending name, and
nothing is recorded in the store.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tfxkit.types.artifact import Artifact
from tfxkit.types.standard_artifacts import (
    Examples,
    Model,
    ModelBlessing,
    ModelEvaluation,
    ModelRun,
    Schema,
    TransformCache,
    TransformGraph,
)

PENGUIN = ["species", "culmen_length_mm", "culmen_depth_mm", "flipper_length_mm", "body_mass_g"]


def _examples(root: Path, rows: int = 0) -> Examples:
    """Examples with `train` and `eval` splits of `rows` tf.Examples each (0: an empty file,
    enough for executors that fail before reading), and `{root}/schema/schema.pbtxt`."""
    for split in ("train", "eval"):
        folder = root / "examples" / f"Split-{split}"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "data_tfrecord-00000-of-00001.gz"
        if not rows:
            path.write_bytes(b"")
            continue
        import tensorflow as tf

        with tf.io.TFRecordWriter(str(path), options="GZIP") as writer:
            for i in range(rows):
                feature = {name: tf.train.Feature(float_list=tf.train.FloatList(value=[i + 0.5]))
                           for name in PENGUIN[1:]}
                feature["species"] = tf.train.Feature(int64_list=tf.train.Int64List(value=[i % 3]))
                writer.write(tf.train.Example(features=tf.train.Features(
                    feature=feature)).SerializeToString())
    (root / "schema").mkdir(exist_ok=True)
    (root / "schema" / "schema.pbtxt").write_text("".join(
        f'feature {{ name: "{name}" type: {"INT" if name == "species" else "FLOAT"} '
        f'shape {{ dim {{ size: 1 }} }} presence {{ min_fraction: 1.0 }} }}\n' for name in PENGUIN))
    examples = Examples(uri=str(root / "examples"))
    examples.split_names = ["train", "eval"]
    return examples


def _transform(root: Path, module_text: str, name: str = "tr_module.py",
               rows: int = 0) -> Callable[[], None]:
    def call() -> None:
        from tfxkit.components.transform.executor import Executor

        root.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(module_text)
        outputs: dict[str, list[Artifact]] = {
            "transform_graph": [TransformGraph(uri=str(root / "graph"))],
            "transformed_examples": [Examples(uri=str(root / "transformed"))],
            "updated_analyzer_cache": [TransformCache(uri=str(root / "cache"))]}
        Executor().Do({"examples": [_examples(root, rows)],
                       "schema": [Schema(uri=str(root / "schema"))]},
                      outputs, {"module_file": str(root / name)})
    return call


def _transform_with_broken_helper(root: Path) -> Callable[[], None]:
    call = _transform(root, "from hostile_helper import SCALE\n\n"
                            "def preprocessing_fn(inputs):\n    return inputs\n")

    def with_helper() -> None:
        root.mkdir(parents=True, exist_ok=True)
        (root / "hostile_helper.py").write_text("SCALE = = 1\n")
        call()
    return with_helper


def _transform_dotted(root: Path, module_text: str) -> Callable[[], None]:
    def call() -> None:
        from tfxkit.components.transform.executor import Executor

        package = root / "hostile_steps"
        package.mkdir(parents=True, exist_ok=True)
        (package / "__init__.py").write_text("")
        (package / "prep.py").write_text(module_text)
        sys.path.insert(0, str(root))
        try:
            Executor().Do({"examples": [_examples(root)],
                           "schema": [Schema(uri=str(root / "schema"))]},
                          {"transform_graph": [TransformGraph(uri=str(root / "graph"))]},
                          {"preprocessing_fn": "hostile_steps.prep.preprocessing_fn"})
        finally:
            sys.path.remove(str(root))
            for module in [m for m in sys.modules if m.startswith("hostile_steps")]:
                del sys.modules[module]
    return call


def _trainer(root: Path, module_text: str) -> Callable[[], None]:
    def call() -> None:
        from tfxkit.components.trainer.executor import Executor

        root.mkdir(parents=True, exist_ok=True)
        (root / "model.py").write_text(module_text)
        Executor().Do({"examples": [_examples(root)]},
                      {"model": [Model(uri=str(root / "model"))],
                       "model_run": [ModelRun(uri=str(root / "model_run"))]},
                      {"module_file": str(root / "model.py")})
    return call


def _label_against_schema(root: Path, eval_config: dict[str, Any]) -> Callable[[], None]:
    def call() -> None:
        from tfxkit.components import Evaluator
        from tfxkit.components._shared.schema import load_schema
        from tfxkit.types.channel import Channel

        root.mkdir(parents=True, exist_ok=True)
        _examples(root)
        evaluator = Evaluator(examples=Channel(Examples), model=Channel(Model),
                              eval_config=eval_config)
        schema = load_schema(Schema(uri=str(root / "schema")), "test")
        evaluator.check_against_schema(schema, evaluator.exec_properties)
    return call


def _evaluator_without_schema(root: Path, label_key: str) -> Callable[[], None]:
    def call() -> None:
        from tfxkit.components.evaluator.executor import Executor

        root.mkdir(parents=True, exist_ok=True)
        examples = _examples(root, rows=3)
        Executor().Do({"examples": [examples], "model": [Model(uri=str(root / "model"))]},
                      {"evaluation": [ModelEvaluation(uri=str(root / "evaluation"))],
                       "blessing": [ModelBlessing(uri=str(root / "blessing"))]},
                      {"eval_config": {"model_specs": [{"label_key": label_key}]}})
    return call


def _empty_baseline_model(root: Path) -> Callable[[], None]:
    def call() -> None:
        from tfxkit.components.evaluator.executor import Executor

        baseline = Model(uri=str(root / "baseline"))
        Path(baseline.uri, "Format-Serving").mkdir(parents=True)
        Executor._baseline({"baseline_model": [baseline]}, {})
    return call


SYNTAX = ("import tensorflow_transform as tft\ndef preprocessing_fn(inputs):\n"
          "    return {k: v for k, v in inputs.items() if }\n")
MUST = "it must return a dict mapping feature names to tensors"

CASES: list[Any] = [
    # cases/fail-early/transform_syntax_error, met at run time (module changed after the build)
    ("Transform module file with a syntax error", lambda r: _transform(r, SYNTAX, "tr_syntax.py"),
     r"^Transform: tr_syntax\.py, line 3: invalid syntax\n    return \{k: v for k, v in "
     r"inputs\.items\(\) if \}\n {47}\^\n"),
    ("Transform module file with an IndentationError", lambda r: _transform(
        r, "def preprocessing_fn(inputs):\nreturn inputs\n", "tr_indent.py"),
     r"^Transform: tr_indent\.py, line 2: expected an indented block after function "
     r"definition on line 1\n"),
    ("Transform helper module with a syntax error", _transform_with_broken_helper,
     r"^Transform: hostile_helper\.py, line 1: invalid syntax"),
    ("Transform dotted-path preprocessing_fn with a syntax error", lambda r: _transform_dotted(
        r, "def preprocessing_fn(inputs)\n    return inputs\n"),
     r"^Transform: prep\.py, line 1: expected ':'"),
    ("preprocessing_fn with no parameter", lambda r: _transform(
        r, "def preprocessing_fn():\n    return {}\n", "tr_args.py"),
     r"^Transform: preprocessing_fn in tr_args\.py has the signature preprocessing_fn\(\)"),
    # cases/fail-early/transform_returns_non_dict, and the same kind: None, list, non-str keys
    ("preprocessing_fn returns a Tensor", lambda r: _transform(
        r, "import tensorflow_transform as tft\ndef preprocessing_fn(inputs):\n"
           "    return tft.scale_to_z_score(inputs['culmen_length_mm'])\n", "tr_tensor.py",
        rows=6),
     rf"(?m)^Transform: preprocessing_fn in tr_tensor\.py returned a Tensor; {MUST}$"),
    ("preprocessing_fn returns None", lambda r: _transform(
        r, "def preprocessing_fn(inputs):\n    inputs['x'] = 1\n", "tr_none.py", rows=6),
     rf"(?m)^Transform: preprocessing_fn in tr_none\.py returned None; {MUST}$"),
    ("preprocessing_fn returns a list", lambda r: _transform(
        r, "def preprocessing_fn(inputs):\n    return list(inputs.values())\n", "tr_list.py",
        rows=6), rf"(?m)^Transform: preprocessing_fn in tr_list\.py returned a list \(.*\); {MUST}$"),
    ("preprocessing_fn returns a dict keyed by int", lambda r: _transform(
        r, "def preprocessing_fn(inputs):\n    return dict(enumerate(inputs.values()))\n",
        "tr_keys.py", rows=6),
     rf"^Transform: preprocessing_fn in tr_keys\.py returned a dict with the key 0 \(int\); "
     rf"{MUST}"),
    ("run_fn with two parameters", lambda r: _trainer(
        r, "def run_fn(fn_args, model):\n    model.save(fn_args.serving_model_dir)\n"),
     r"^Trainer: run_fn in model\.py has the signature run_fn\(fn_args, model\) "
     r"\(missing a required argument: 'model'\)"),
    ("Trainer module file with a syntax error", lambda r: _trainer(
        r, "def run_fn(fn_args):\n    model.fit(x=1, x=2)\n"),
     r"^Trainer: model\.py, line 2: keyword argument repeated: x\n"),
    # cases/fail-early/evaluator_label_not_in_data: checked once the schema exists
    ("Evaluator label key not in the schema", lambda r: _label_against_schema(
        r, {"model_specs": [{"label_key": "no_such_label"}]}),
     r"^Evaluator: eval_config\.model_specs\[0\]\.label_key 'no_such_label' is not a feature of "
     r"the examples \(features: species, culmen_length_mm, culmen_depth_mm, flipper_length_mm, "
     r"body_mass_g\)"),
    ("Evaluator slice feature not in the schema", lambda r: _label_against_schema(
        r, {"model_specs": [{"label_key": "species"}],
            "slicing_specs": [{}, {"feature_keys": ["island"]}]}),
     r"eval_config\.slicing_specs\[1\]\.feature_keys\[0\] 'island' is not a feature"),
    ("Evaluator example weight key not in the schema", lambda r: _label_against_schema(
        r, {"model_specs": [{"label_key": "species", "example_weight_key": "weight"}]}),
     r"eval_config\.model_specs\[0\]\.example_weight_key 'weight' is not a feature"),
    ("Evaluator label key not in the examples (no schema input)",
     lambda r: _evaluator_without_schema(r, "Species"),
     r"^Evaluator: eval_config\.model_specs\[0\]\.label_key 'Species' is not a feature of the "
     r"examples \(features: .*species"),
    # baselines: a baseline without a SavedModel is named before Beam starts
    ("explicit baseline model without saved_model.pb", _empty_baseline_model,
     r"Evaluator: the baseline_model at .*Format-Serving has no saved_model\.pb"),
]
