"""The command every Kubeflow task runs: one node's executor, driven by KFP's ExecutorInput.

    python -m tfxkit.runners.kubeflow.entrypoint --component PKG.MOD.Class --node-id ID \
        --pipeline-name NAME [--beam-args JSON] --executor-input '{{$}}'

It maps `gs://`, `minio://` and `s3://` URIs to the launcher's `/gcs/`, `/minio/`, `/s3/` mounts,
applies the run's pipeline parameter values along the compiled bindings (`parameters.py`),
runs the very executor the local runner runs, and writes ExecutorOutput JSON (artifact metadata
such as split names, blessing and pushed version) to `outputs.outputFile`. A failing executor
exits non-zero with the error on stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tfxkit import fs
from tfxkit.dsl.base_component import BaseComponent, import_object
from tfxkit.dsl.base_executor import ExecutorContext
from tfxkit.runners.kubeflow.parameters import OVERLAYS_KEY, PARAM_PREFIX, apply_overlays
from tfxkit.types.artifact import Artifact, ArtifactState
from tfxkit.types.standard_artifacts import artifact_class

MOUNTS = fs.DEFAULT_MOUNTS
TYPE_KEY = "tfxkit_type"


def local_path(uri: str) -> str:
    """The launcher's local path for `uri` (`gs://b/x` -> `/gcs/b/x`); local paths unchanged.
    The mounts are `tfxkit.fs.launcher_mounts()` (the launcher's, or TFXKIT_LAUNCHER_MOUNTS)."""
    return fs.mount_path(uri) or uri


def artifact_from_kfp(entry: dict[str, Any], default_type: type[Artifact]) -> Artifact:
    """A tfxkit artifact from one KFP RuntimeArtifact JSON (uri mapped to its local path)."""
    metadata = dict(entry.get("metadata") or {})
    cls = artifact_class(metadata.pop(TYPE_KEY)) if TYPE_KEY in metadata else default_type
    artifact = cls(uri=local_path(entry.get("uri", "")))
    artifact.name = entry.get("name", "")
    for key, value in metadata.items():
        if isinstance(value, float) and value.is_integer():
            value = int(value)  # JSON numbers arrive as doubles
        if key in cls.PROPERTIES:
            artifact.set_property(key, cls.PROPERTIES[key].check(key, value, cls.TYPE_NAME))
        elif isinstance(value, int | float | str):
            artifact.set_custom_property(key, value)
    artifact.state = ArtifactState.LIVE
    return artifact


def artifact_to_kfp(artifact: Artifact, uri: str, name: str) -> dict[str, Any]:
    """KFP RuntimeArtifact JSON for an output: original `uri`, properties as metadata."""
    metadata: dict[str, Any] = {TYPE_KEY: artifact.TYPE_NAME}
    metadata.update(artifact.properties)
    metadata.update(artifact.custom_properties)
    return {"name": name, "uri": uri, "metadata": metadata}


def _coerce(component: type[BaseComponent], key: str, value: Any) -> Any:
    param = component.SPEC_CLASS.PARAMETERS.get(key)
    if param is None:
        raise ValueError(f"{component.__name__} has no parameter {key!r}; the compiled spec and "
                         f"the image's tfxkit/project code disagree. Rebuild the image.")
    if int in param.types and isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict | list):
        return _integral_numbers(value)
    return value


def _integral_numbers(value: Any) -> Any:
    """Struct values reach the container as JSON doubles (protobuf Value); turn 100.0 back into
    100 inside dicts and lists so parameters like train_args={"num_steps": 100} keep their ints."""
    if isinstance(value, dict):
        return {k: _integral_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_integral_numbers(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def run(component_path: str, node_id: str, pipeline_name: str, beam_args: list[str],
        executor_input: dict[str, Any]) -> dict[str, Any]:
    """Run the node's executor for `executor_input`; write and return the ExecutorOutput."""
    component = import_object(component_path)
    if not (isinstance(component, type) and issubclass(component, BaseComponent)):
        raise TypeError(f"--component {component_path!r} is not a tfxkit component class.")
    spec = component.SPEC_CLASS
    inputs_json = executor_input.get("inputs", {})
    outputs_json = executor_input.get("outputs", {})
    values = dict(inputs_json.get("parameterValues") or {})
    overlays = json.loads(values.pop(OVERLAYS_KEY, None) or "[]")
    params = {k: values.pop(k) for k in list(values) if k.startswith(PARAM_PREFIX)}
    values = apply_overlays(values, overlays, params)  # the run's pipeline parameter values
    exec_properties = {k: _coerce(component, k, v) for k, v in values.items()}
    input_dict = {
        key: [artifact_from_kfp(a, spec.INPUTS[key].type) for a in group.get("artifacts", [])]
        for key, group in (inputs_json.get("artifacts") or {}).items() if key in spec.INPUTS
    }
    output_dict: dict[str, list[Artifact]] = {}
    original: dict[str, list[tuple[str, str]]] = {}
    for key, group in (outputs_json.get("artifacts") or {}).items():
        entries = group.get("artifacts", [])
        output_dict[key] = []
        original[key] = []
        for entry in entries:
            artifact = spec.OUTPUTS[key].type(uri=local_path(entry["uri"]))
            Path(artifact.uri).mkdir(parents=True, exist_ok=True)
            output_dict[key].append(artifact)
            original[key].append((entry["uri"], entry.get("name", "")))
    with tempfile.TemporaryDirectory(prefix=f"tfxkit-{node_id}-") as tmp_dir:
        context = ExecutorContext(beam_pipeline_args=beam_args, tmp_dir=tmp_dir,
                                  pipeline_name=pipeline_name, node_id=node_id)
        component.build_executor(context).Do(input_dict, output_dict, exec_properties)
    result = {"artifacts": {
        key: {"artifacts": [artifact_to_kfp(a, uri, name)
                            for a, (uri, name) in zip(output_dict[key], original[key],
                                                      strict=True)]}
        for key in output_dict}}
    output_file = outputs_json.get("outputFile")
    if output_file:
        path = Path(local_path(output_file))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(result))
    return result


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments, run the node, return the exit code (1 with the error on stderr)."""
    parser = argparse.ArgumentParser(prog="python -m tfxkit.runners.kubeflow.entrypoint")
    parser.add_argument("--component", required=True, help="dotted path of the component class")
    parser.add_argument("--node-id", required=True)
    parser.add_argument("--pipeline-name", required=True)
    parser.add_argument("--beam-args", default="[]", help="JSON list of Beam pipeline args")
    parser.add_argument("--executor-input", required=True, help="KFP ExecutorInput JSON")
    args = parser.parse_args(argv)
    try:
        executor_input = json.loads(args.executor_input)
        run(args.component, args.node_id, args.pipeline_name, json.loads(args.beam_args),
            executor_input)
    except Exception as exc:
        traceback.print_exc()
        print(f"tfxkit: node {args.node_id} failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
