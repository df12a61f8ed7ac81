"""`KubeflowDagRunner`: compiles a pipeline into a KFP v2 PipelineSpec YAML; executes nothing.

The spec (schemaVersion 2.1.0) has one container task per node whose explicit `command` runs
`python -m tfxkit.runners.kubeflow.entrypoint` with the ExecutorInput (`{{$}}`), typed artifact
inputs and outputs (KFP `system.*` types, the tfxkit type in artifact metadata), execution
parameters as task inputs (RuntimeParameters become pipeline parameters), dependencies,
resources, retries, caching options and env vars. Kubernetes secrets go in the platform spec
(kfp-kubernetes), the second YAML document. No resolver or importer executors: the Evaluator
finds its baseline at the push destination, so nothing needs ML Metadata on the cluster.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tfxkit._version import __version__
from tfxkit.dsl.base_component import BaseComponent
from tfxkit.dsl.pipeline import Pipeline
from tfxkit.dsl.runtime_parameter import RuntimeParameter
from tfxkit.errors import PipelineDefinitionError
from tfxkit.paths import is_inside, is_uri, real_path
from tfxkit.runners.base import DagRunner
from tfxkit.runners.kubeflow.parameters import (
    OVERLAYS_KEY,
    PARAM_PREFIX,
    Binding,
    PipelineParameter,
)

if TYPE_CHECKING:
    from kfp.pipeline_spec.pipeline_spec_pb2 import PipelineSpec

SCHEMA_VERSION = "2.1.0"
SDK_VERSION = "kfp-2.13.0"  # the pipeline_spec protos this compiler is built with
ENTRYPOINT = ["python", "-m", "tfxkit.runners.kubeflow.entrypoint"]
OBJECT_STORE_PREFIXES = ("gs://", "s3://", "minio://")
# KFP's system types for the standard artifacts; anything else is a system.Artifact.
KFP_TYPES = {"Examples": "system.Dataset", "Model": "system.Model"}
_PARAMETER_TYPES = {int: "NUMBER_INTEGER", float: "NUMBER_DOUBLE", str: "STRING",
                    bool: "BOOLEAN", dict: "STRUCT", list: "LIST"}


class CompileError(PipelineDefinitionError):
    """The pipeline cannot run on Kubeflow as defined; the message says what to change."""


@dataclasses.dataclass
class KubeflowDagRunnerConfig:
    """How to compile for Kubeflow Pipelines.

    Args:
        image: container image holding tfxkit and the project's modules (see the templates'
            Dockerfile); its working directory is the project root. Default: the image the
            project recorded when it was generated (`kubeflow_image` in
            `<project_root>/.tfxkit/answers.json`); with neither, compiling is an error.
        pipeline_root: object-store root for artifacts (`gs://`, `s3://`, `minio://`); default:
            the pipeline's own root when it is one, else the KFP backend's default root.
        project_root: local directory copied into the image as its working directory; absolute
            local paths under it become relative paths, any other absolute local path is an error.
        output_filename: where `run()` writes the YAML (default `{pipeline_name}.yaml`).
        image_pull_policy: "Always", "IfNotPresent" or "Never" (default: the cluster's).
        cpu: CPU request and limit of every step that sets none itself with
            `.with_resources()` (e.g. "1"); default: the cluster's.
        memory: memory request and limit of such steps (e.g. "4Gi"); default: the cluster's.
        step_resources: per-step defaults, node id (or "*" for every step) -> {"cpu": ...,
            "memory": ...}; default: the project's recorded `kubeflow_resources` (same shape,
            in `.tfxkit/answers.json`). A step's own `.with_resources()` wins over both.
        local_push_destination: accept a local push destination (every task mounts the same
            volume there); by default it is refused, since a container's files are discarded.
    """

    image: str | None = None
    pipeline_root: str | None = None
    project_root: str = "."
    output_filename: str | None = None
    image_pull_policy: str | None = None
    cpu: str | None = None
    memory: str | None = None
    local_push_destination: bool = False
    step_resources: dict[str, dict[str, str]] | None = None


ANSWERS_FILE = Path(".tfxkit") / "answers.json"


def recorded_image(project_root: str) -> str | None:
    """The container image a generated project recorded (`kubeflow_image` in
    `.tfxkit/answers.json` under `project_root`), or None."""
    path = Path(project_root) / ANSWERS_FILE
    try:
        image = json.loads(path.read_text(encoding="utf-8")).get("kubeflow_image")
    except (OSError, ValueError, AttributeError):
        return None
    return image if isinstance(image, str) and image.strip() else None


def recorded_resources(project_root: str) -> dict[str, dict[str, str]]:
    """The per-step CPU/memory defaults a generated project recorded (`kubeflow_resources` in
    `.tfxkit/answers.json`: node id or "*" -> {"cpu": "1", "memory": "4Gi"}); {} when none.
    Raises CompileError when the entry has another shape."""
    path = Path(project_root) / ANSWERS_FILE
    try:
        value = json.loads(path.read_text(encoding="utf-8")).get("kubeflow_resources")
    except (OSError, ValueError, AttributeError):
        return {}
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(
            isinstance(step, dict) and set(step) <= {"cpu", "memory"}
            and all(isinstance(v, str) for v in step.values()) for step in value.values()):
        raise CompileError(
            f"{path}: kubeflow_resources must map a step id (or \"*\") to {{\"cpu\": \"1\", "
            f"\"memory\": \"4Gi\"}}, found {value!r}.")
    return value


def kfp_name(text: str) -> str:
    """KFP's sanitized form of a name: lowercase letters, digits and '-'."""
    return re.sub(r"-+", "-", re.sub(r"[^a-z0-9-]", "-", text.lower())).strip("-")


def kfp_artifact_type(type_name: str) -> str:
    """The KFP schema title carrying a tfxkit artifact type."""
    return KFP_TYPES.get(type_name, "system.Artifact")


def _proto_modules() -> tuple[Any, Any]:
    from kfp.kubernetes import kubernetes_executor_config_pb2
    from kfp.pipeline_spec import pipeline_spec_pb2

    return pipeline_spec_pb2, kubernetes_executor_config_pb2


class KubeflowDagRunner(DagRunner):
    """Compiles pipelines to KFP v2 YAML that the open-source KFP backend and Vertex AI accept.

    Args:
        config: image, roots and output file; see KubeflowDagRunnerConfig.
    """

    def __init__(self, config: KubeflowDagRunnerConfig | None = None) -> None:
        self.config = config or KubeflowDagRunnerConfig()
        self._image: str | None = None
        self._resources: dict[str, dict[str, str]] = {}

    def _run(self, pipeline: Pipeline, **options: Any) -> str:
        """Compile `pipeline` and write it to `output_file` (option) or the config's filename;
        returns the path written."""
        output = options.get("output_file") or self.config.output_filename or (
            f"{pipeline.pipeline_name}.yaml")
        text = self.compile_to_yaml(pipeline, options.get("parameters") or ())
        _refuse_secrets(text, output)
        Path(output).parent.mkdir(parents=True, exist_ok=True)
        Path(output).write_text(text)
        return str(output)

    # -- compiling ---------------------------------------------------------------------------
    def compile_to_yaml(self, pipeline: Pipeline,
                        parameters: Sequence[PipelineParameter] = ()) -> str:
        """The pipeline as KFP YAML: the PipelineSpec, then the platform spec when secrets are used."""
        import yaml
        from google.protobuf import json_format

        spec, platform = self.compile(pipeline, parameters)
        documents = [json_format.MessageToDict(spec)]
        if platform is not None:
            documents.append(json_format.MessageToDict(platform))
        header = (f"# PIPELINE DEFINITION\n# Name: {spec.pipeline_info.name}\n"
                  f"# Compiled by tfxkit {__version__} for KFP v2 (schemaVersion {SCHEMA_VERSION})\n")
        return header + yaml.safe_dump_all(documents, sort_keys=True)

    def compile(self, pipeline: Pipeline, parameters: Sequence[PipelineParameter] = ()
                ) -> tuple[PipelineSpec, Any]:
        """Build the PipelineSpec proto and the PlatformSpec proto (None without secrets).

        `parameters` (see `parameters.trace`) become pipeline parameters wired into the
        components whose parameters they feed. Raises CompileError (no image known, a local
        push destination, local paths outside the project, name clashes)."""
        pb, _ = _proto_modules()
        self._image = self.config.image or recorded_image(self.config.project_root)
        self._resources = {**recorded_resources(self.config.project_root),
                           **(self.config.step_resources or {})}
        spec = pb.PipelineSpec(schema_version=SCHEMA_VERSION, sdk_version=SDK_VERSION)
        name = kfp_name(pipeline.pipeline_name)
        spec.pipeline_info.name = name
        spec.pipeline_info.display_name = pipeline.pipeline_name
        spec.pipeline_info.description = f"Compiled by tfxkit {__version__}"
        root = self.config.pipeline_root or (
            pipeline.pipeline_root if pipeline.pipeline_root.startswith(OBJECT_STORE_PREFIXES)
            else None)
        if root:
            if not root.startswith(OBJECT_STORE_PREFIXES):
                raise CompileError(
                    f"Kubeflow pipeline_root {root!r} is not an object-store URI; expected "
                    f"gs://, s3:// or minio://, or leave it unset for the backend's default.")
            spec.default_pipeline_root = root

        task_names = self._task_names(pipeline)
        runtime = pipeline.runtime_parameters()
        for param in runtime.values():
            definition = spec.root.input_definitions.parameters[param.name]
            definition.parameter_type = getattr(pb.ParameterType, _PARAMETER_TYPES[param.ptype])
            if param.default is not None:
                definition.default_value.CopyFrom(_to_value(param.default))
            else:
                definition.is_optional = False
            definition.description = param.description
        bindings = self._pipeline_parameters(spec, parameters, runtime)
        platform_executors: dict[str, Any] = {}
        for node in pipeline.components:
            task = task_names[node.id]
            component_name, executor_name = f"comp-{task}", f"exec-{task}"
            spec.components[component_name].CopyFrom(self._component_spec(node, executor_name))
            spec.deployment_spec.fields["executors"].struct_value.fields[executor_name].CopyFrom(
                _struct_value({"container": self._container(pipeline, node)}))
            spec.root.dag.tasks[task].CopyFrom(self._task(node, task, component_name, task_names,
                                                          pipeline))
            if node.id in bindings:
                self._bind(spec, node, task, component_name, bindings[node.id])
            if node.node_config.secrets:
                platform_executors[executor_name] = self._kubernetes_config(node)
        platform = None
        if platform_executors:
            platform = pb.PlatformSpec()
            executors = platform.platforms["kubernetes"].deployment_spec.executors
            for executor_name, config in platform_executors.items():
                executors[executor_name].CopyFrom(_struct_from_message(config))
        if not self._image:
            raise CompileError(
                "No container image for the Kubeflow tasks: pass --image (tfxkit compile / "
                "deploy) or KubeflowDagRunnerConfig(image=...), or record it in the project as "
                f"\"kubeflow_image\" in {Path(self.config.project_root) / ANSWERS_FILE} (projects "
                "made by `tfxkit new` have it).")
        return spec, platform

    def _pipeline_parameters(self, spec: Any, parameters: Sequence[PipelineParameter],
                             runtime: dict[str, RuntimeParameter]
                             ) -> dict[str, list[tuple[PipelineParameter, Binding]]]:
        """Declare `parameters` on the root; return node id -> its (parameter, binding)s."""
        pb, _ = _proto_modules()
        by_node: dict[str, list[tuple[PipelineParameter, Binding]]] = {}
        for param in parameters:
            if param.name in runtime:
                raise CompileError(f"Pipeline parameter {param.name!r} is also a runtime "
                                   f"parameter; rename one of them.")
            definition = spec.root.input_definitions.parameters[param.name]
            definition.parameter_type = getattr(pb.ParameterType, _PARAMETER_TYPES[param.ptype])
            definition.default_value.CopyFrom(_to_value(param.default))
            definition.is_optional = True
            definition.description = param.description or (
                "feeds " + ", ".join(f"{b.node_id}.{b.key}" for b in param.bindings))
            for binding in param.bindings:
                by_node.setdefault(binding.node_id, []).append((param, binding))
        return by_node

    @staticmethod
    def _bind(spec: Any, node: BaseComponent, task: str, component_name: str,
              bindings: list[tuple[PipelineParameter, Binding]]) -> None:
        """Wire pipeline parameters into `task`: one input per parameter, plus the overlays
        (key, path, text around) the entrypoint applies to the execution parameters."""
        pb, _ = _proto_modules()
        component = spec.components[component_name]
        task_spec = spec.root.dag.tasks[task]
        overlays = []
        for param, binding in bindings:
            input_name = f"{PARAM_PREFIX}{param.name}"
            definition = component.input_definitions.parameters[input_name]
            definition.parameter_type = getattr(pb.ParameterType, _PARAMETER_TYPES[param.ptype])
            task_spec.inputs.parameters[input_name].component_input_parameter = param.name
            overlays.append({"param": input_name, "key": binding.key,
                             "path": list(binding.path), "prefix": binding.prefix,
                             "suffix": binding.suffix})
        definition = component.input_definitions.parameters[OVERLAYS_KEY]
        definition.parameter_type = pb.ParameterType.STRING
        task_spec.inputs.parameters[OVERLAYS_KEY].runtime_value.constant.CopyFrom(
            _to_value(json.dumps(overlays)))

    @staticmethod
    def _task_names(pipeline: Pipeline) -> dict[str, str]:
        names: dict[str, str] = {}
        for node in pipeline.components:
            task = kfp_name(node.id)
            clash = [other for other, name in names.items() if name == task]
            if clash:
                raise CompileError(
                    f"Components {clash[0]!r} and {node.id!r} both become Kubeflow task "
                    f"{task!r} (KFP lowercases names and turns '_' into '-'); rename one with "
                    f".with_id().")
            names[node.id] = task
        return names

    def _component_spec(self, node: BaseComponent, executor_name: str) -> Any:
        pb, _ = _proto_modules()
        spec_class = type(node).SPEC_CLASS
        component = pb.ComponentSpec(executor_label=executor_name)
        for key, param in spec_class.PARAMETERS.items():
            if key not in node.exec_properties:
                continue
            value = node.exec_properties[key]
            ptype = value.ptype if isinstance(value, RuntimeParameter) else param.types[0]
            if not isinstance(value, RuntimeParameter) and type(value) in param.types:
                ptype = type(value)
            definition = component.input_definitions.parameters[key]
            definition.parameter_type = getattr(pb.ParameterType, _PARAMETER_TYPES[ptype])
            definition.description = param.description
        for key, channel_param in spec_class.INPUTS.items():
            if key not in node.inputs:
                continue  # an unconnected optional input: each node has its own component spec
            definition = component.input_definitions.artifacts[key]
            definition.artifact_type.schema_title = kfp_artifact_type(channel_param.type.TYPE_NAME)
            definition.artifact_type.schema_version = "0.0.1"
            definition.is_optional = channel_param.optional
        for key, channel_param in spec_class.OUTPUTS.items():
            definition = component.output_definitions.artifacts[key]
            definition.artifact_type.schema_title = kfp_artifact_type(channel_param.type.TYPE_NAME)
            definition.artifact_type.schema_version = "0.0.1"
        return component

    def _container(self, pipeline: Pipeline, node: BaseComponent) -> dict[str, Any]:
        component_path = f"{type(node).__module__}.{type(node).__qualname__}"
        if "<locals>" in component_path:
            raise CompileError(
                f"{node.id}: its component {component_path} is defined inside a function; the "
                f"Kubeflow container imports components by dotted path, so define it at module "
                f"level of a module the image contains.")
        args = ["--component", component_path, "--node-id", node.id,
                "--pipeline-name", pipeline.pipeline_name]
        if pipeline.beam_pipeline_args:
            args += ["--beam-args", json.dumps(pipeline.beam_pipeline_args)]
        args += ["--executor-input", "{{$}}"]
        container: dict[str, Any] = {"image": self._image, "command": list(ENTRYPOINT),
                                     "args": args}
        if node.node_config.env:
            container["env"] = [{"name": k, "value": v}
                                for k, v in sorted(node.node_config.env.items())]
        resources: dict[str, Any] = {}
        config = node.node_config
        step = {**self._resources.get("*", {}), **self._resources.get(node.id, {})}
        cpu = config.cpu or step.get("cpu") or self.config.cpu
        memory = config.memory or step.get("memory") or self.config.memory
        if cpu:
            resources.update(resourceCpuRequest=cpu, resourceCpuLimit=cpu)
        if memory:
            resources.update(resourceMemoryRequest=memory, resourceMemoryLimit=memory)
        if config.gpu:
            resources["accelerator"] = {"resourceType": config.gpu_type,
                                        "resourceCount": str(config.gpu)}
        if resources:
            container["resources"] = resources
        return container

    def _task(self, node: BaseComponent, task: str, component_name: str,
              task_names: dict[str, str], pipeline: Pipeline) -> Any:
        pb, _ = _proto_modules()
        spec = pb.PipelineTaskSpec()
        spec.task_info.name = task
        spec.component_ref.name = component_name
        spec.dependent_tasks.extend(sorted(task_names[up.id] for up in node.upstream))
        cache = node.node_config.enable_cache
        if cache is None:
            # Inputs outside the pipeline (ExampleGen's files) are invisible to KFP's cache key.
            reads_outside = type(node).cache_fingerprint is not BaseComponent.cache_fingerprint
            cache = pipeline.enable_cache and not reads_outside
        spec.caching_options.enable_cache = cache
        if node.node_config.retries:
            spec.retry_policy.max_retry_count = node.node_config.retries
            spec.retry_policy.backoff_duration.FromSeconds(30)
            spec.retry_policy.backoff_factor = 2.0
            spec.retry_policy.backoff_max_duration.FromSeconds(3600)
        for key, value in node.exec_properties.items():
            target = spec.inputs.parameters[key]
            if isinstance(value, RuntimeParameter):
                target.component_input_parameter = value.name
            else:
                portable = self._portable(value, f"{node.id} parameter {key!r}")
                if key == "push_destination":
                    self._check_push_destination(value, node.id)
                target.runtime_value.constant.CopyFrom(_to_value(portable))
        for key, channel in node.inputs.items():
            assert channel.producer is not None
            ref = spec.inputs.artifacts[key].task_output_artifact
            ref.producer_task = task_names[channel.producer.id]
            ref.output_artifact_key = channel.output_key
        return spec

    def _check_push_destination(self, destination: Any, node_id: str) -> None:
        """Refuse a local push destination: each Kubeflow task runs in its own container, so a
        model pushed to its disk is lost and the Evaluator never finds a baseline there."""
        base = destination
        if isinstance(destination, dict):
            base = (destination.get("filesystem") or {}).get("base_directory")
        if not isinstance(base, str) or is_uri(base) or self.config.local_push_destination:
            return
        raise CompileError(
            f"{node_id} parameter 'push_destination' is the local path {base!r}: on Kubeflow "
            f"every task runs in its own container and its files are discarded, so a model "
            f"pushed there is lost (and the Evaluator finds no baseline). Push to an object "
            f"store, e.g. -p serving_model_dir=gs://<bucket>/serving (or s3://, minio://), or "
            f"set KubeflowDagRunnerConfig(local_push_destination=True) when every task mounts "
            f"the same volume at that path.")

    def _kubernetes_config(self, node: BaseComponent) -> Any:
        _, k8s = _proto_modules()
        config = k8s.KubernetesExecutorConfig()
        for secret_name, keys in sorted(node.node_config.secrets.items()):
            entry = config.secret_as_env.add(secret_name=secret_name)
            for secret_key, env in sorted(keys.items()):
                entry.key_to_env.add(secret_key=secret_key, env_var=env)
        if self.config.image_pull_policy:
            config.image_pull_policy = self.config.image_pull_policy
        return config

    def portable(self, value: Any, where: str) -> Any:
        """A parameter value as the spec holds it (see `_portable`); raises CompileError."""
        return self._portable(value, where)

    def _portable(self, value: Any, where: str) -> Any:
        """`value` with local paths checked on their real path (symlinks resolved): a path
        whose real location is inside the project becomes relative to it (the image's working
        directory is the project); one that is, or resolves, outside it is an error naming the
        given path and where it resolves. Relative paths are checked when they exist under
        the project (`data` may be a symlink out of it)."""
        if isinstance(value, dict):
            return {k: self._portable(v, f"{where}[{k!r}]") for k, v in value.items()}
        if isinstance(value, list):
            return [self._portable(v, f"{where}[{i}]") for i, v in enumerate(value)]
        if not isinstance(value, str) or not value or "\n" in value or is_uri(value):
            return value
        project = Path(self.config.project_root).absolute()
        if os.path.isabs(value):
            path = Path(value)
        elif os.path.lexists(project / value):
            path = project / value
        else:
            return value  # not a path of the project (a label key, a signature name, ...)
        project_real = real_path(str(project))
        real = real_path(str(path))
        if is_inside(real, project_real):
            if not os.path.isabs(value):
                return value
            if path == project or project in path.parents:
                return str(path.relative_to(project)) or "."
            return os.path.relpath(real, project_real)
        textually_inside = path == project or project in path.parents
        resolves = (f", which resolves to {real} (a symlink leads out of the project)"
                    if textually_inside or real != os.path.normpath(str(path)) else "")
        raise CompileError(
            f"{where} is the local path {value!r}{resolves}, outside the project "
            f"({project}) that the image contains. On Kubeflow use an object-store URI "
            f"(gs://, s3://, minio://) or a path inside the project; copy the files into the "
            f"project rather than linking to them.")


def _to_value(value: Any) -> Any:
    from google.protobuf import struct_pb2

    result = struct_pb2.Value()
    if isinstance(value, bool):
        result.bool_value = value
    elif isinstance(value, int | float):
        result.number_value = value
    elif isinstance(value, str):
        result.string_value = value
    elif isinstance(value, dict):
        result.struct_value.update(value)
    elif isinstance(value, list):
        result.list_value.extend(value)
    else:
        raise CompileError(f"Cannot put {type(value).__name__} {value!r} into a Kubeflow spec.")
    return result


def _struct_value(data: dict[str, Any]) -> Any:
    from google.protobuf import struct_pb2

    value = struct_pb2.Value()
    value.struct_value.update(data)
    return value


def _struct_from_message(message: Any) -> Any:
    from google.protobuf import json_format, struct_pb2

    struct = struct_pb2.Struct()
    struct.update(json_format.MessageToDict(message))
    return struct


def _refuse_secrets(text: str, output: str) -> None:
    """Refuse to write a compiled pipeline that holds a secret (a password in a URL, a token,
    the value of a secret environment variable): the file is shared and stored as plain text,
    and masking the value would break the pipeline. Raises PipelineDefinitionError naming the
    kind of secret and the masked line it is on."""
    from tfxkit.secrets import mask_secrets, secrets_in

    found = secrets_in(text)
    if not found:
        return
    line = next((mask_secrets(line).strip() for line in text.splitlines()
                 if mask_secrets(line) != line), "")
    raise PipelineDefinitionError(
        f"Not writing {output}: the compiled pipeline would contain {' and '.join(found)} "
        f"(at: {line[:160]}). A compiled pipeline is shared and stored as plain text: pass "
        f"secrets to the task with .with_secret(<Kubernetes secret>, {{key: ENV_VAR}}) and read "
        f"them from the environment in the component; metadata URLs take no password "
        f"(TFXKIT_METADATA_PASSWORD).")
