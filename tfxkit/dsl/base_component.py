"""`BaseComponent`: a node of a pipeline, naming its spec and its executor by dotted path.

Constructing a component checks its arguments against its spec and creates its output channels;
it never imports the executor, so defining a pipeline loads no TensorFlow.
"""

from __future__ import annotations

import dataclasses
import importlib
import re
from typing import TYPE_CHECKING, Any, ClassVar

from tfxkit.dsl.component_spec import ComponentSpec
from tfxkit.dsl.names import ID_PATTERN, check_env_name, check_id, first_bad_character
from tfxkit.errors import ComponentArgumentError, ComponentDefinitionError, PipelineDefinitionError
from tfxkit.types.channel import Channel

if TYPE_CHECKING:
    from tfxkit.dsl.base_executor import BaseExecutor, ExecutorContext

__all__ = ["ID_PATTERN", "BaseComponent", "NodeConfig", "check_id", "check_splits_exist",
           "import_object"]


def check_splits_exist(component: str, where: str, splits: list[str] | None, channel: Any,
                       default: list[str] | None = None) -> None:
    """At construction: every name in `splits` (or in `default` when `splits` is empty) is a
    split of the artifacts `channel` carries, when its producer knows them
    (`known_split_names`); raise ComponentArgumentError naming the split, the splits that exist
    and who produces them. Unknowable splits are not checked."""
    producer = getattr(channel, "producer", None)
    if producer is None:
        return
    known = producer.known_split_names(channel.output_key)
    if not known:
        return
    source = f"{producer.id}.outputs[{channel.output_key!r}]"
    for index, split in enumerate(splits or default or []):
        if split in known:
            continue
        found = (f"{where}[{index}] {split!r}" if splits else
                 f"{where} is not set and defaults to {default!r}, but {split!r}")
        raise ComponentArgumentError(
            f"{component}: {found} is not a split of {source} (its splits: "
            f"{', '.join(known)}). Fix: set {where} to splits among those, or add {split!r} "
            f"to {producer.id}'s splits.")


def import_object(dotted_path: str) -> Any:
    """Import `pkg.module.Name` (or `pkg.module:Name`) and return the named object."""
    module_name, sep, attr = dotted_path.replace(":", ".").rpartition(".")
    if not sep:
        raise ImportError(f"{dotted_path!r} is not a dotted path like 'package.module.Name'.")
    module = importlib.import_module(module_name)
    obj: Any = module
    try:
        for part in attr.split("."):
            obj = getattr(obj, part)
    except AttributeError:
        raise ImportError(f"module {module_name!r} has no attribute {attr!r}") from None
    return obj


@dataclasses.dataclass
class NodeConfig:
    """How a node runs, beyond what it computes: resources, retries, environment, secrets,
    caching and a time limit. Set with the `with_*` methods of a component.

    Attributes:
        cpu: CPU request and limit on Kubeflow, e.g. "2" or "500m".
        memory: memory request and limit on Kubeflow, e.g. "4G".
        gpu: number of GPUs on Kubeflow.
        gpu_type: accelerator resource type, e.g. "nvidia.com/gpu".
        retries: how many times Kubeflow retries a failed task.
        env: plain environment variables for the task container (never secrets).
        secrets: Kubernetes secret name -> {secret key: environment variable}.
        enable_cache: per-node override of the pipeline's cache setting.
        timeout_seconds: stop the node (locally: kill its worker) after this many seconds.
    """

    cpu: str | None = None
    memory: str | None = None
    gpu: int = 0
    gpu_type: str = "nvidia.com/gpu"
    retries: int = 0
    env: dict[str, str] = dataclasses.field(default_factory=dict)
    secrets: dict[str, dict[str, str]] = dataclasses.field(default_factory=dict)
    enable_cache: bool | None = None
    timeout_seconds: float | None = None


_QUANTITY = re.compile(r"[0-9]+(\.[0-9]+)?(m|k|M|G|T|Ki|Mi|Gi|Ti)?")
_SECRET_NAME = re.compile(r"[a-z0-9]([-a-z0-9.]*[a-z0-9])?")


class BaseComponent:
    """A pipeline node: validated exec properties, input channels, output channels.

    Subclasses set `SPEC_CLASS` (a ComponentSpec) and `EXECUTOR` (dotted path of a BaseExecutor
    subclass, imported only when the component runs), and usually define `__init__` with typed
    keyword arguments that calls `super().__init__(**kwargs)`.

    Attributes:
        id: unique id in its pipeline (defaults to the class name; change with `with_id`).
        exec_properties: parameter values (plain data, or RuntimeParameters).
        inputs: input name -> Channel.
        outputs: output name -> Channel; outputs land under
            `{pipeline_root}/{id}/{output_name}/{execution_id}/`.
    """

    SPEC_CLASS: ClassVar[type[ComponentSpec]]
    EXECUTOR: ClassVar[str]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        spec = cls.__dict__.get("SPEC_CLASS")
        if spec is not None and not (isinstance(spec, type) and issubclass(spec, ComponentSpec)):
            raise ComponentDefinitionError(
                f"{cls.__qualname__}.SPEC_CLASS must be a ComponentSpec subclass, found {spec!r}."
            )
        executor = cls.__dict__.get("EXECUTOR")
        if executor is not None and (not isinstance(executor, str) or "." not in executor):
            raise ComponentDefinitionError(
                f"{cls.__qualname__}.EXECUTOR must be the dotted path of the executor class as a "
                f"string (e.g. 'mypkg.executor.Executor'), found {executor!r}; naming it by path "
                f"keeps TensorFlow out of pipeline definition."
            )

    def __init__(self, **kwargs: Any) -> None:
        cls = type(self)
        if not hasattr(cls, "SPEC_CLASS") or not hasattr(cls, "EXECUTOR"):
            raise ComponentDefinitionError(
                f"{cls.__qualname__} must set SPEC_CLASS and EXECUTOR before it can be built."
            )
        self._id = check_id(cls.__name__, "Component id")
        self.node_config = NodeConfig()
        self.exec_properties, self.inputs = cls.SPEC_CLASS.bind(cls.__name__, kwargs)
        self.outputs: dict[str, Channel] = {
            key: Channel(param.type, producer=self, output_key=key)
            for key, param in cls.SPEC_CLASS.OUTPUTS.items()
        }

    @property
    def id(self) -> str:
        """The node id: unique in the pipeline, used in paths, metadata and the CLI."""
        return self._id

    def with_id(self, id: str) -> BaseComponent:
        """Set the node id (default: class name) and return the component, TFX style."""
        self._id = check_id(id, "Component id")
        return self

    def with_resources(self, cpu: str | float | None = None, memory: str | None = None,
                       gpu: int = 0, gpu_type: str = "nvidia.com/gpu") -> BaseComponent:
        """Request CPU (e.g. "2", "500m"), memory (e.g. "4G") and GPUs on Kubeflow; returns self."""
        for name, value in (("cpu", cpu), ("memory", memory)):
            if value is not None and not _QUANTITY.fullmatch(str(value)):
                raise PipelineDefinitionError(
                    f"{self.id}.with_resources: {name}={value!r} is not a Kubernetes quantity; "
                    f"expected e.g. cpu='2' or '500m', memory='4G' or '512Mi'.")
        if not isinstance(gpu, int) or gpu < 0:
            raise PipelineDefinitionError(
                f"{self.id}.with_resources: gpu must be a non-negative int, found {gpu!r}.")
        self.node_config.cpu = None if cpu is None else str(cpu)
        self.node_config.memory = memory
        self.node_config.gpu, self.node_config.gpu_type = gpu, gpu_type
        return self

    def with_retries(self, retries: int) -> BaseComponent:
        """Let Kubeflow retry this node up to `retries` times; returns self."""
        if not isinstance(retries, int) or retries < 0:
            raise PipelineDefinitionError(
                f"{self.id}.with_retries expects a non-negative int, found {retries!r}.")
        self.node_config.retries = retries
        return self

    def with_env(self, **variables: str) -> BaseComponent:
        """Set plain environment variables for the node's container; returns self.
        Use `with_secret` for anything confidential."""
        for name, value in variables.items():
            check_env_name(name, f"{self.id}.with_env: variable")
            if not isinstance(value, str) or "\0" in value:
                raise PipelineDefinitionError(
                    f"{self.id}.with_env: {name}={value!r}: expected NAME='text' (a str without "
                    f"NUL characters); found {type(value).__name__} {value!r}.")
        self.node_config.env.update(variables)
        return self

    def with_secret(self, secret_name: str, keys_to_env: dict[str, str]) -> BaseComponent:
        """Expose keys of Kubernetes secret `secret_name` as environment variables
        (`{"password": "DB_PASSWORD"}`) on Kubeflow; the value never enters the spec."""
        if not isinstance(secret_name, str) or not _SECRET_NAME.fullmatch(secret_name):
            bad = first_bad_character(secret_name) if isinstance(secret_name, str) else None
            raise PipelineDefinitionError(
                f"{self.id}.with_secret: {secret_name!r} is not a Kubernetes secret name: "
                f"expected lowercase letters, digits, '-' and '.'"
                f"{'; found ' + bad if bad else ''}. Fix: e.g. 'db-credentials'.")
        for env in keys_to_env.values():
            check_env_name(env, f"{self.id}.with_secret: environment variable")
        self.node_config.secrets[secret_name] = dict(keys_to_env)
        return self

    def with_cache(self, enabled: bool) -> BaseComponent:
        """Turn caching on or off for this node only; returns self."""
        self.node_config.enable_cache = bool(enabled)
        return self

    def with_timeout(self, seconds: float) -> BaseComponent:
        """Stop this node if it runs longer than `seconds`; returns self."""
        if not isinstance(seconds, int | float) or seconds <= 0:
            raise PipelineDefinitionError(
                f"{self.id}.with_timeout expects a positive number of seconds, found {seconds!r}.")
        self.node_config.timeout_seconds = float(seconds)
        return self

    @property
    def upstream(self) -> list[BaseComponent]:
        """Components whose outputs this component consumes, in input order, without repeats."""
        seen: dict[int, BaseComponent] = {}
        for channel in self.inputs.values():
            if isinstance(channel.producer, BaseComponent):
                seen.setdefault(id(channel.producer), channel.producer)
        return list(seen.values())

    @property
    def type_name(self) -> str:
        """Dotted name of the component class (recorded in metadata and the cache key)."""
        return f"{type(self).__module__}.{type(self).__qualname__}"

    def executor_identity(self) -> str:
        """What identifies the code that runs this node, for the cache key: the executor path."""
        return type(self).EXECUTOR

    def cache_fingerprint(self, exec_properties: dict[str, Any]) -> str:
        """Extra cache-key material beyond parameters and inputs (e.g. input file contents).

        Called in the runner before any heavy import; the default adds nothing.
        """
        return ""

    def known_feature_names(self, output_key: str) -> list[str] | None:
        """Feature names of output `output_key`'s examples if they are knowable when the
        pipeline is built (e.g. the header of CsvExampleGen's input files), else None (the
        default). Downstream components check their parameters against them at construction;
        must read little and import nothing heavy."""
        return None

    def known_split_names(self, output_key: str) -> list[str] | None:
        """Split names of output `output_key`'s artifacts if knowable when the pipeline is
        built (e.g. ExampleGen's output_config), else None (the default). Downstream
        components check the splits they name against them at construction."""
        return None

    def check_against_schema(self, schema: Any, exec_properties: dict[str, Any]) -> None:
        """Data-time check of this node's parameters against the Schema proto of its examples
        (e.g. the Evaluator's label key is a feature), run by the local runner as soon as that
        schema is published, before Transform or Trainer start. Raise a TfxkitError naming
        what is wrong; the default checks nothing. Must not import TensorFlow.
        """

    @classmethod
    def build_executor(cls, context: ExecutorContext) -> BaseExecutor:
        """Import the executor class named by `EXECUTOR` and construct it (heavy imports here)."""
        executor_class = import_object(cls.EXECUTOR)
        return executor_class(context)  # type: ignore[no-any-return,unused-ignore]

    def __repr__(self) -> str:
        return f"{type(self).__name__}(id={self.id!r})"
