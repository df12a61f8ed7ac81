"""Tiny pipelines of function components used as fixtures by runner and CLI tests.

Each component appends a line to `{pipeline_root}/events.log` when it starts and ends, so tests
can check ordering and concurrency from the files alone.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from tfxkit import Input, Output, Parameter, Pipeline, RuntimeParameter, component
from tfxkit.dsl.base_component import BaseComponent
from tfxkit.dsl.base_executor import BaseExecutor
from tfxkit.dsl.component_spec import ChannelParameter, ComponentSpec, ExecutionParameter
from tfxkit.types.standard_artifacts import Examples, Model, Schema


def log_event(root: str, text: str) -> None:
    """Append `text` with a timestamp to `{root}/events.log`."""
    Path(root).mkdir(parents=True, exist_ok=True)
    with open(Path(root) / "events.log", "a") as handle:
        handle.write(f"{time.time():.6f} {text}\n")


@component
def make_examples(examples: Output[Examples], root: Parameter[str], rows: Parameter[int] = 3,
                  sleep: Parameter[float] = 0.0) -> None:
    """Write `rows` lines to `{examples.uri}/Split-train/data.txt`."""
    log_event(root, "start make_examples")
    time.sleep(sleep)
    split = Path(examples.uri, "Split-train")
    split.mkdir()
    (split / "data.txt").write_text("".join(f"row{i}\n" for i in range(rows)))
    examples.split_names = ["train"]
    examples.span = 7
    log_event(root, "end make_examples")


@component
def count_rows(examples: Input[Examples], schema: Output[Schema], root: Parameter[str],
               sleep: Parameter[float] = 0.0, fail_if_exists: Parameter[str] = "") -> None:
    """Write the row count of the examples to `{schema.uri}/count.txt`."""
    log_event(root, "start count_rows")
    time.sleep(sleep)
    if fail_if_exists and Path(fail_if_exists).exists():
        raise ValueError(f"asked to fail because {fail_if_exists} exists")
    rows = (Path(examples.uri) / "Split-train" / "data.txt").read_text().splitlines()
    (Path(schema.uri) / "count.txt").write_text(str(len(rows)))
    log_event(root, "end count_rows")


@component
def measure(examples: Input[Examples], model: Output[Model], root: Parameter[str],
            sleep: Parameter[float] = 0.0) -> None:
    """Write the byte size of the examples to `{model.uri}/size.txt`."""
    log_event(root, "start measure")
    time.sleep(sleep)
    size = (Path(examples.uri) / "Split-train" / "data.txt").stat().st_size
    (Path(model.uri) / "size.txt").write_text(str(size))
    log_event(root, "end measure")


@component
def combine(schema: Input[Schema], model: Input[Model], result: Output[Model],
            root: Parameter[str], kill_marker: Parameter[str] = "") -> None:
    """Write count and size side by side; with `kill_marker`, write half, signal, then wait."""
    log_event(root, "start combine")
    out = Path(result.uri) / "result.txt"
    text = (Path(schema.uri) / "count.txt").read_text() + "," + (
        Path(model.uri) / "size.txt").read_text()
    if kill_marker:
        out.write_text(text[:1])  # a partial artifact, as a crash mid-write would leave
        Path(kill_marker).write_text(str(os.getpid()))
        time.sleep(60)
    out.write_text(text)
    log_event(root, "end combine")


def create_pipeline(root: str, rows: int = 3, sleep: float = 0.0, fail_if_exists: str = "",
                    kill_marker: str = "", enable_cache: bool = True,
                    rows_param: bool = False) -> Pipeline:
    """Diamond: make_examples -> (count_rows, measure) -> combine."""
    gen = make_examples(root=root, rows=RuntimeParameter("rows", int, rows) if rows_param
                        else rows)
    counted = count_rows(examples=gen.outputs["examples"], root=root, sleep=sleep,
                         fail_if_exists=fail_if_exists)
    measured = measure(examples=gen.outputs["examples"], root=root, sleep=sleep)
    combined = combine(schema=counted.outputs["schema"], model=measured.outputs["model"],
                       root=root, kill_marker=kill_marker)
    return Pipeline(pipeline_name="tiny", pipeline_root=root,
                    components=[combined, measured, counted, gen], enable_cache=enable_cache)


# -- a class-based component whose parameter names user code ------------------------------------
class UserCodeSpec(ComponentSpec):
    """Spec of UserCodeComponent."""

    PARAMETERS = {"module_file": ExecutionParameter(type=str, user_code=True)}
    INPUTS = {"examples": ChannelParameter(type=Examples)}
    OUTPUTS = {"model": ChannelParameter(type=Model)}


class UserCodeExecutor(BaseExecutor):
    """Copies the module file's text into the model directory."""

    def Do(self, input_dict, output_dict, exec_properties):  # type: ignore[no-untyped-def]
        text = Path(exec_properties["module_file"]).read_text()
        (Path(output_dict["model"][0].uri) / "module.txt").write_text(text)


class UserCodeComponent(BaseComponent):
    """Takes examples and a module file; outputs a model holding the module's text."""

    SPEC_CLASS = UserCodeSpec
    EXECUTOR = "tests.resources.tiny_pipelines.UserCodeExecutor"

    def __init__(self, examples, module_file: str) -> None:  # type: ignore[no-untyped-def]
        super().__init__(examples=examples, module_file=module_file)


class HeavySpec(ComponentSpec):
    """Spec of HeavyComponent."""

    OUTPUTS = {"model": ChannelParameter(type=Model)}


class HeavyComponent(BaseComponent):
    """A component whose executor module imports TensorFlow at import time."""

    SPEC_CLASS = HeavySpec
    EXECUTOR = "tests.resources.heavy_executor.Executor"
