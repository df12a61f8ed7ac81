"""`run_step`: one component's real executor on recorded upstream artifacts, in a scratch folder.

    from tfxkit.testing import run_step

    result = run_step("Trainer", train_steps=5)            # the project of the working folder
    result.uri("model")                                    # .../model, a serving SavedModel
    run_step("Transform", run="20261101-120000-ab12")      # a named run's upstream artifacts
    run_step("Trainer", inputs="fixtures")                 # the golden inputs in tests/fixtures/

The step's upstream artifacts come either from the project's ML Metadata store (opened
read-only: nothing is recorded, no file of the pipeline root is written) or from a snapshot made
by `snapshot_inputs` (`tests/fixtures/<node>/`). The executor is the one the runners use,
called in this process with `Do(input_dict, output_dict, exec_properties)`; its outputs go to a
new folder (`output_dir`, default a fresh temporary folder), never to the pipeline root.

Only the standard library and tfxkit's light layers are imported here; the executor imports
TensorFlow & co. when it runs.
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import os
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tfxkit.errors import TfxkitError
from tfxkit.testing.inputs import (
    FixturesNotFoundError,
    StepInputsError,
    load_project_pipeline,
    node_of,
    store_exists,
    store_inputs,
)
from tfxkit.types.artifact import Artifact

if TYPE_CHECKING:
    from tfxkit.dsl.base_component import BaseComponent
    from tfxkit.dsl.pipeline import Pipeline

INPUT_MODES = ("auto", "store", "fixtures")
# TFX's Trainer once took `train_steps` / `eval_steps`; they stand for `*_args.num_steps`.
STEP_SHORTHANDS = {"train_steps": "train_args", "eval_steps": "eval_args"}


@dataclasses.dataclass
class StepResult:
    """What `run_step` did.

    Attributes:
        node_id: the step (component id) that ran.
        component: its component class name (`Trainer`).
        outputs: output key -> artifacts written under `output_dir/<key>/`, with the
            properties the executor set (`split_names`, blessing verdicts, ...).
        inputs: input key -> the upstream artifacts it read (store or fixture copies).
        exec_properties: the parameters it ran with (the pipeline's, overrides applied).
        output_dir: the folder holding every output.
        source: where the inputs came from: "store" or "fixtures".
        source_run_id: the run whose artifacts were used (for fixtures: the run they were
            snapshotted from), "" if unknown.
        seconds: wall time of the executor.
    """

    node_id: str
    component: str
    outputs: dict[str, list[Artifact]]
    inputs: dict[str, list[Artifact]]
    exec_properties: dict[str, Any]
    output_dir: Path
    source: str
    source_run_id: str
    seconds: float

    def output(self, key: str) -> Artifact:
        """The single artifact of output `key`; KeyError naming the outputs if there is none."""
        group = self.outputs.get(key)
        if not group:
            raise KeyError(f"{self.node_id} has no output {key!r}; outputs: "
                           f"{', '.join(sorted(self.outputs))}")
        return group[0]

    def uri(self, key: str) -> str:
        """The folder of output `key` (see `output`)."""
        return self.output(key).uri


# -- parameters -----------------------------------------------------------------------------
def apply_overrides(node: BaseComponent, overrides: Mapping[str, Any]) -> dict[str, Any]:
    """The node's exec properties (runtime parameters at their defaults) with `overrides`.

    An override names a parameter of the component; a dict-valued parameter is merged key by
    key (`custom_config={"epochs": 1}` keeps the other keys). `train_steps` / `eval_steps`
    set `train_args` / `eval_args`' `num_steps` (TFX's Trainer arguments of those names).
    Values are checked as the component's constructor checks them.

    Raises:
        ComponentArgumentError: a name that is not a parameter (the message lists the valid
            names) or a value of the wrong type.
    """
    from tfxkit.dsl.runtime_parameter import RuntimeParameter
    from tfxkit.errors import ComponentArgumentError

    spec = type(node).SPEC_CLASS
    properties: dict[str, Any] = {}
    for name, value in node.exec_properties.items():
        properties[name] = value.resolve({}) if isinstance(value, RuntimeParameter) else value
    properties = copy.deepcopy(properties)
    valid = sorted(spec.PARAMETERS) + sorted(s for s, p in STEP_SHORTHANDS.items()
                                             if p in spec.PARAMETERS)
    for name, value in overrides.items():
        target, merged = name, value
        if name in STEP_SHORTHANDS and STEP_SHORTHANDS[name] in spec.PARAMETERS:
            target = STEP_SHORTHANDS[name]
            merged = {**(properties.get(target) or {}), "num_steps": value}
        elif name not in spec.PARAMETERS:
            close = difflib.get_close_matches(name, valid, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise ComponentArgumentError(
                f"run_step({node.id!r}, {name}=...): {name!r} is not a parameter of "
                f"{type(node).__name__}.{hint} Valid names: {', '.join(valid)}. (Pipeline "
                f"settings go in pipeline_params={{...}}, as `-p` would pass them.)")
        elif isinstance(value, dict) and isinstance(properties.get(name), dict):
            merged = {**properties[name], **value}
        properties[target] = spec._check_parameter(type(node).__name__, target, merged)
    return properties


def _redirect_push(node: BaseComponent, properties: dict[str, Any], output_dir: Path,
                   overridden: set[str]) -> None:
    """A step that pushes (writes to its push destination) pushes into `output_dir` instead, so
    that a test never publishes a model; other steps only read their destination."""
    from tfxkit.types.standard_artifacts import PushedModel

    writes = any(issubclass(c.type, PushedModel) for c in node.outputs.values())
    if writes and "push_destination" in properties and "push_destination" not in overridden:
        properties["push_destination"] = {
            "filesystem": {"base_directory": str(output_dir / "push_destination")}}


# -- running ----------------------------------------------------------------------------------
def run_step(
    node_id: str,
    *,
    pipeline: Pipeline | str | os.PathLike[str] | None = None,
    run: str = "latest",
    metadata: str | None = None,
    output_dir: str | os.PathLike[str] | None = None,
    inputs: str = "auto",
    fixtures: str | os.PathLike[str] | None = None,
    pipeline_params: Mapping[str, Any] | None = None,
    **overrides: Any,
) -> StepResult:
    """Run one step's real executor on recorded upstream artifacts, outside the pipeline.

    Args:
        node_id: the step's component id (`"Trainer"`, `"Transform"`, ...).
        pipeline: a Pipeline, a project folder or pipeline file (built with
            `create_pipeline(**pipeline_params)`), or None: the project of the working folder.
        run: whose upstream artifacts to use from the store: `"latest"` (each upstream step's
            newest completed execution, as `tfxkit run --only` does), a run id or `latest~N`.
        metadata: the ML Metadata store (default: the pipeline's own).
        output_dir: where outputs go (`<output_dir>/<output key>/`); default a new temporary
            folder, kept so that the result can be inspected.
        inputs: `"store"` (the store, read-only), `"fixtures"` (the golden inputs that
            `snapshot_inputs` wrote under `fixtures`), or `"auto"` (default): the store when it
            exists and holds a run of the pipeline, else the golden inputs. So a notebook or
            a developer's checkout uses the latest real artifacts, and a fresh clone or CI,
            where no pipeline has run, uses the committed snapshot; a test that must give the
            same answer everywhere passes `inputs="fixtures"`.
        fixtures: the golden inputs folder (default `<project>/tests/fixtures`).
        pipeline_params: `create_pipeline()` arguments / runtime parameters (what `-p` sets),
            when `pipeline` is loaded from a file.
        **overrides: parameters of the component for this run only, e.g. `train_steps=5`,
            `custom_config={"epochs": 1}` (dicts are merged into the pipeline's value).

    Returns:
        A StepResult with the output artifacts (uris under `output_dir`, properties as the
        executor set them).

    Raises:
        PipelineDefinitionError: no step `node_id` (the message lists the steps).
        ComponentArgumentError: an override that is not a parameter of the component (the
            message lists the valid names), or a value of the wrong type.
        StepInputsError: no store or run, an upstream step that never completed, an upstream
            artifact missing on disk; FixturesNotFoundError when golden inputs are asked for
            and none exist (the message says how to make them).
        Any exception of the executor itself (user code in `run_fn` etc.), unchanged, with a
        note naming the step and its inputs.

    Nothing is recorded in ML Metadata and nothing under the pipeline root is written; a step
    that pushes a model (Pusher) pushes into `output_dir/push_destination`.
    """
    from tfxkit.dsl.base_executor import ExecutorContext
    from tfxkit.testing.fixtures import fixture_inputs, fixtures_root

    if inputs not in INPUT_MODES:
        raise ValueError(f"inputs={inputs!r}: expected one of {', '.join(INPUT_MODES)}.")
    built, project = load_project_pipeline(pipeline, pipeline_params)
    node = node_of(built, node_id)
    properties = apply_overrides(node, overrides)
    folder = fixtures_root(project, fixtures)
    mode = inputs
    if mode == "auto":
        mode = "store" if _has_run(built, metadata) else "fixtures"
    if mode == "store":
        resolved, source_run = store_inputs(built, node, run, metadata)
    else:
        resolved, source_run = fixture_inputs(node, folder)
    target = Path(output_dir) if output_dir is not None else Path(
        tempfile.mkdtemp(prefix=f"tfxkit-step-{node.id}-"))
    target = target.absolute()
    target.mkdir(parents=True, exist_ok=True)
    _redirect_push(node, properties, target, set(overrides))
    outputs: dict[str, list[Artifact]] = {}
    for key, channel in node.outputs.items():
        (target / key).mkdir(parents=True, exist_ok=True)
        outputs[key] = [channel.type(uri=str(target / key))]
    tmp_dir = target / ".tmp"
    tmp_dir.mkdir(exist_ok=True)
    context = ExecutorContext(beam_pipeline_args=list(built.beam_pipeline_args),
                              tmp_dir=str(tmp_dir), pipeline_name=built.pipeline_name,
                              pipeline_root=str(target), node_id=node.id,
                              run_id=f"run_step-{time.strftime('%Y%m%d-%H%M%S')}")
    began = time.perf_counter()
    with _node_environment(dict(node.node_config.env)):
        executor = node.build_executor(context)
        try:
            executor.Do({k: list(v) for k, v in resolved.items()}, outputs, dict(properties))
        except Exception as exc:
            where = f"run {source_run}" if mode == "store" else f"golden inputs in {folder}"
            exc.add_note(f"(tfxkit.testing.run_step: {node.id} on the {where}; outputs in "
                         f"{target})")
            raise
    seconds = time.perf_counter() - began
    return StepResult(node_id=node.id, component=type(node).__name__, outputs=outputs,
                      inputs=resolved, exec_properties=properties, output_dir=target,
                      source=mode, source_run_id=source_run, seconds=seconds)


def _has_run(pipeline: Pipeline, metadata: str | None) -> bool:
    """Whether the store exists and records a run of `pipeline` (for `inputs="auto"`)."""
    location = metadata or pipeline.metadata
    if not store_exists(location):
        return False
    from tfxkit.metadata import connect, query

    try:
        store = connect(location, read_only=True)
        return bool(query.run_contexts(store, pipeline.pipeline_name))
    except TfxkitError:
        return False


def _node_environment(env: dict[str, str]) -> Any:
    """The node's `with_env` variables while its executor runs (as in the local runner)."""
    from tfxkit.runners.local.workers import node_environment

    return node_environment(env)


__all__ = [
    "FixturesNotFoundError",
    "StepInputsError",
    "StepResult",
    "apply_overrides",
    "load_project_pipeline",
    "node_of",
    "run_step",
    "store_inputs",
]
