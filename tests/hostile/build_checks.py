"""Hostile-input cases: Checks when a pipeline is built (issues 12, 19): component parameter types,
eval configs, push destinations, names, module files.

Each case builds the pipeline and, were it accepted, would run it: the error must come from the
build, so nothing is recorded in the store.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.hostile.harness import REPO, cli, run
from tests.resources.tiny_pipelines import make_examples
from tfxkit import Output, Parameter, Pipeline, RuntimeParameter, component
from tfxkit.types.standard_artifacts import Examples

CASES_DIR = Path("/work/shared/cases/fail-early")
PENGUIN_MODULE = REPO / "examples" / "penguin" / "penguin_module.py"


def _case_module(case: str, file: str) -> Any:
    spec = importlib.util.spec_from_file_location(f"hostile_{case}", CASES_DIR / case / file)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def penguin(root: Path, **knobs: Any) -> Callable[[], None]:
    """Build the cases' penguin pipeline (pp.py) with `knobs` under `root`, then run it."""
    def build_and_run() -> None:
        case = _case_module("evaluator_unknown_metric", "pp.py")
        run(case.create_pipeline(pipeline_root=str(root), serving_model_dir=str(root / "serving"),
                                 **knobs))
    return build_and_run


def eval_config(root: Path, config: dict[str, Any]) -> Callable[[], None]:
    """The penguin pipeline with `config` as the Evaluator's eval_config."""
    def build_and_run() -> None:
        from tfxkit.components import Evaluator

        case = _case_module("evaluator_unknown_metric", "pp.py")
        pipeline = case.create_pipeline(pipeline_root=str(root),
                                        serving_model_dir=str(root / "serving"))
        gen = pipeline.node("CsvExampleGen")
        trainer = pipeline.node("Trainer")
        Evaluator(examples=gen.outputs["examples"], model=trainer.outputs["model"],
                  eval_config=config)
        run(pipeline)
    return build_and_run


def module_file(root: Path, text: str, knob: str = "module_file") -> Callable[[], None]:
    def build_and_run() -> None:
        root.mkdir(parents=True, exist_ok=True)
        (root / "steps.py").write_text(text)
        penguin(root, **{knob: str(root / "steps.py")})()
    return build_and_run


def default_of_wrong_type(annotation: str, default: str) -> Callable[[Path], Callable[[], None]]:
    def make(root: Path) -> Callable[[], None]:
        def build_and_run() -> None:
            namespace: dict[str, Any] = {"Output": Output, "Parameter": Parameter,
                                         "Examples": Examples}
            exec(f"def step(examples: Output[Examples], p: {annotation} = {default}) -> None:\n"
                 f"    pass\n", namespace)
            run(Pipeline("defaults", str(root), [component(namespace["step"])()]))
        return build_and_run
    return make


def element_type(value: Any) -> Callable[[Path], Callable[[], None]]:
    def make(root: Path) -> Callable[[], None]:
        def build_and_run() -> None:
            @component
            def widths(examples: Output[Examples], w: Parameter[list[int]] = [1]) -> None:  # noqa: B006
                """Takes list[int]."""

            run(Pipeline("elements", str(root), [widths(w=value)]))
        return build_and_run
    return make


def named(kind: str, name: str) -> Callable[[Path], Callable[[], None]]:
    def make(root: Path) -> Callable[[], None]:
        def build_and_run() -> None:
            node = make_examples(root=str(root))
            if kind == "pipeline":
                run(Pipeline(name, str(root), [node]))
            elif kind == "id":
                run(Pipeline("names", str(root), [node.with_id(name)]))
            elif kind == "runtime":
                run(Pipeline("names", str(root), [make_examples(
                    root=str(root), rows=RuntimeParameter(name, int, 3))]))
            else:
                run(Pipeline("names", str(root), [node.with_env(**{name: "1"})]))
        return build_and_run
    return make


def destination(where: str) -> Callable[[Path], Callable[[], None]]:
    def make(root: Path) -> Callable[[], None]:
        def build_and_run() -> None:
            root.mkdir(parents=True, exist_ok=True)
            (root / "models.txt").write_text("not a folder\n")
            target = root / "models.txt" / ("v1" if where == "under" else "")
            case = _case_module("evaluator_unknown_metric", "pp.py")
            run(case.create_pipeline(pipeline_root=str(root),
                                     serving_model_dir=str(target).rstrip("/")))
        return build_and_run
    return make


NOT_A_DIR = CASES_DIR / "pusher_destination_is_a_file" / "not_a_dir.txt"

CASES: list[Any] = [
    # component parameter types (cases component_default_wrong_type, component_list_element_type)
    ("case component_default_wrong_type", lambda r: lambda: _case_module(
        "component_default_wrong_type", "pipeline.py").create_pipeline(str(r)),
     r"make_rows: parameter 'rows' is declared Parameter\[int\] but its default is str 'ten' "
     r"\(at .*pipeline.py:9\)"),
    ("case component_list_element_type", element_type(["x", None, {"a": 1}]),
     r"parameter 'w' expects list\[int\]; element 0 is str 'x'"),
    ("list[int] given a bool element", element_type([1, True]), r"element 1 is bool True"),
    ("bool default for Parameter[int]", default_of_wrong_type("Parameter[int]", "True"),
     r"declared Parameter\[int\] but its default is bool True"),
    ("nested dict default", default_of_wrong_type("Parameter[dict[str, list[float]]]",
                                                  "{'a': [1.0, 'x']}"),
     r"the value of key 'a'\[1\] is str 'x'"),
    ("RuntimeParameter default of the wrong type", lambda r: lambda: run(Pipeline(
        "rt", str(r), [make_examples(root=str(r), rows=RuntimeParameter("rows", int, "3"))])),
     r"'rows' is declared int but its default is str '3'"),
    # eval configs (cases evaluator_unknown_metric, evaluator_label_not_in_data)
    ("case evaluator_unknown_metric", lambda r: penguin(r, metric="NotAMetric"),
     r"eval_config.metrics_specs\[0\].metrics\[1\].class_name 'NotAMetric' is not a known metric"
     r".*SparseCategoricalAccuracy.*'module'"),
    ("case evaluator_unknown_metric from the CLI", lambda r: cli(
        "run", str(CASES_DIR / "evaluator_unknown_metric" / "pp.py"), "-p", f"pipeline_root={r}",
        "-p", f"serving_model_dir={r}/serving", "-p", "metric=NotAMetric"),
     r"'NotAMetric' is not a known metric"),
    ("case evaluator_label_not_in_data", lambda r: penguin(r, label_key="no_such_label"),
     r"label_key 'no_such_label' is not a feature of the examples \(features: species, "
     r"culmen_length_mm, culmen_depth_mm, flipper_length_mm, body_mass_g\)"),
    ("misspelt metric", lambda r: penguin(r, metric="SparseCategoricalAcuracy"),
     r"Close matches: SparseCategoricalAccuracy"),
    ("unknown eval_config field", lambda r: eval_config(r, {"metric_specs": []}),
     r"unknown field 'metric_specs'.*Did you mean 'metrics_specs'"),
    ("threshold key naming no metric", lambda r: eval_config(r, {"metrics_specs": [{
        "metrics": [{"class_name": "AUC"}], "thresholds": {"acc": {}}}]}),
     r"thresholds\['acc'\] names no metric of this metrics_spec"),
    ("impossible bounds", lambda r: eval_config(r, {"metrics_specs": [{"metrics": [{
        "class_name": "AUC", "threshold": {"value_threshold": {"lower_bound": 1,
                                                               "upper_bound": 0}}}]}]}),
     r"lower_bound 1.0 above upper_bound 0.0"),
    ("enum name that does not exist", lambda r: eval_config(r, {"metrics_specs": [{"metrics": [{
        "class_name": "AUC", "threshold": {"change_threshold": {"direction": "UP"}}}]}]}),
     r"Invalid enum value UP"),
    ("slicing feature not in the data", lambda r: eval_config(r, {
        "model_specs": [{"label_key": "species"}],
        "slicing_specs": [{"feature_keys": ["island"]}]}),
     r"slicing_specs\[0\].feature_keys\[0\] 'island' is not a feature"),
    # push destinations (case pusher_destination_is_a_file)
    ("case pusher_destination_is_a_file", lambda r: lambda: run(_case_module(
        "evaluator_unknown_metric", "pp.py").create_pipeline(
            pipeline_root=str(r), serving_model_dir=str(NOT_A_DIR))),
     r"push destination .*/not_a_dir.txt is a file; expected a directory \(it is created if "
     r"missing\)"),
    ("push destination under a file", destination("under"),
     r"push destination .*/models.txt/v1 is under the file .*/models.txt"),
    ("push destination that is a file (made here)", destination("file"),
     r"/models.txt is a file; expected a directory"),
    # module files
    ("case transform_syntax_error at build time", lambda r: penguin(
        r, module_file=str(CASES_DIR / "transform_syntax_error" / "tr_syntax.py")),
     r"Transform: tr_syntax.py, line 3: invalid syntax"),
    ("module file without preprocessing_fn", lambda r: module_file(
        r, "def run_fn(fn_args):\n    pass\n"),
     r"defines no function 'preprocessing_fn'.*functions found: run_fn"),
    ("run_fn taking two arguments", lambda r: module_file(
        r, "def run_fn(fn_args, extra):\n    pass\n", "trainer_module"),
     r"run_fn at .*steps.py:1 is defined as run_fn\(fn_args, extra\)"),
    ("module file that does not exist", lambda r: penguin(r, module_file=str(r / "nope.py")),
     r"module_file .*nope.py' does not exist"),
    # names as whole strings (issue 12 item 3)
    ("newline at the end of a pipeline name", named("pipeline", "penguin\n"),
     r"'\\n' \(control character U\+000A\) at position 7"),
    ("NUL inside a component id", named("id", "Trainer\x00x"),
     r"'\\x00' \(control character U\+0000\) at position 7"),
    ("right-to-left override in a component id", named("id", "Pusher\u202etxt"),
     r"RIGHT-TO-LEFT OVERRIDE"),
    ("backslash in a pipeline name", named("pipeline", "a\\..\\escape"),
     r"path separator\) at position 1"),
    ("newline in a runtime parameter name", named("runtime", "rows\n"),
     r"RuntimeParameter name 'rows\\n' is not a valid name"),
    ("newline in an environment variable name", named("env", "MODE\n"),
     r"with_env: variable 'MODE\\n' is not a valid name"),
    ("newline after an output split name", lambda r: lambda: _split_named(r, "train\n"),
     r"split name must be .*found 'train\\n'"),
    ("newline in an Evaluator split name", lambda r: lambda: _evaluator_splits(r, ["eval\n"]),
     r"example_splits\[0\] 'eval\\n' is not a valid name"),
]


def _split_named(root: Path, name: str) -> None:
    from tfxkit.components import CsvExampleGen

    data = root / "data"
    data.mkdir(parents=True, exist_ok=True)
    (data / "rows.csv").write_text("a,label\n1,0\n2,1\n")
    run(Pipeline("splits", str(root), [CsvExampleGen(input_base=str(data), output_config={
        "split_config": {"splits": [{"name": name, "hash_buckets": 1}]}})]))


def _evaluator_splits(root: Path, splits: list[str]) -> None:
    from tfxkit.components import Evaluator
    from tfxkit.types import Channel
    from tfxkit.types.standard_artifacts import Model

    Evaluator(examples=Channel(Examples), model=Channel(Model), eval_config={},
              example_splits=splits)
