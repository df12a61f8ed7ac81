"""Executes a compiled KFP v2 YAML without a cluster, the way the KFP v2 launcher would.

Walks the root DAG in dependency order; for each task builds its ExecutorInput with kfp's own
`kfp.local` helpers (parameter constants and pipeline parameters, upstream output artifacts with
the metadata their producers wrote), substitutes the command's placeholders with kfp's
`replace_placeholders`, and runs the container command as a subprocess in `workdir` (standing in
for the image's working directory) with the container's env. Artifact URIs are local paths under
`pipeline_root`, as `kfp.local` uses them.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from graphlib import TopologicalSorter
from pathlib import Path
from typing import Any

import yaml
from google.protobuf import json_format
from kfp import dsl
from kfp.local import executor_input_utils, placeholder_utils
from kfp.pipeline_spec import pipeline_spec_pb2


@dataclasses.dataclass
class TaskRun:
    """One executed task: its ExecutorOutput, exit code and output text."""

    name: str
    returncode: int
    output: dict[str, Any]
    stderr: str


def load(path: str | Path) -> tuple[pipeline_spec_pb2.PipelineSpec, dict[str, Any] | None]:
    """Parse the YAML strictly (unknown fields are errors) into PipelineSpec (+ platform dict)."""
    documents = list(yaml.safe_load_all(Path(path).read_text()))
    spec = json_format.ParseDict(documents[0], pipeline_spec_pb2.PipelineSpec(),
                                 ignore_unknown_fields=False)
    platform = documents[1] if len(documents) > 1 else None
    if platform is not None:
        json_format.ParseDict(platform, pipeline_spec_pb2.PlatformSpec(),
                              ignore_unknown_fields=False)
    return spec, platform


def run_pipeline(path: str | Path, pipeline_root: Path, workdir: Path,
                 arguments: dict[str, Any] | None = None,
                 env: dict[str, str] | None = None) -> dict[str, TaskRun]:
    """Run every task of the compiled pipeline at `path`; stop at the first failing task."""
    spec, _ = load(path)
    executors = json_format.MessageToDict(spec.deployment_spec)["executors"]
    pipeline_params = {k: json_format.MessageToDict(v.default_value)
                       for k, v in spec.root.input_definitions.parameters.items()
                       if v.HasField("default_value")}
    pipeline_params.update(arguments or {})
    tasks = spec.root.dag.tasks
    order = TopologicalSorter({name: list(t.dependent_tasks) for name, t in tasks.items()})
    results: dict[str, TaskRun] = {}
    for name in order.static_order():
        task = tasks[name]
        component = spec.components[task.component_ref.name]
        container = executors[component.executor_label]["container"]
        args: dict[str, Any] = {}
        for key, value in task.inputs.parameters.items():
            if value.HasField("component_input_parameter"):
                args[key] = pipeline_params[value.component_input_parameter]
            else:
                args[key] = json_format.MessageToDict(value.runtime_value.constant)
        for key, value in task.inputs.artifacts.items():
            ref = value.task_output_artifact
            produced = results[ref.producer_task].output["artifacts"][ref.output_artifact_key]
            entry = produced["artifacts"][0]
            args[key] = dsl.Artifact(name=entry.get("name", key), uri=entry["uri"],
                                     metadata=entry.get("metadata", {}))
        task_root = pipeline_root / name
        task_root.mkdir(parents=True, exist_ok=True)
        executor_input = executor_input_utils.construct_executor_input(
            component, args, str(task_root), block_input_artifact=False)
        executor_input_dict = executor_input_utils.executor_input_to_dict(executor_input,
                                                                         component)
        command = placeholder_utils.replace_placeholders(
            full_command=[*container["command"], *container.get("args", [])],
            executor_input_dict=executor_input_dict,
            pipeline_resource_name=spec.pipeline_info.name,
            task_resource_name=name,
            pipeline_root=str(pipeline_root),
            unique_pipeline_id="local-harness",
        )
        if command[0] == "python":
            command[0] = sys.executable  # the image's python is this venv's here
        task_env = {**os.environ, **(env or {}),
                    **{e["name"]: e["value"] for e in container.get("env", [])}}
        done = subprocess.run(command, cwd=workdir, env=task_env, capture_output=True,
                              text=True, timeout=900)
        output_file = Path(executor_input_dict["outputs"]["outputFile"])
        output = json.loads(output_file.read_text()) if output_file.exists() else {}
        results[name] = TaskRun(name, done.returncode, output, done.stderr)
        if done.returncode != 0:
            break
    return results
