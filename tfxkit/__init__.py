"""tfxkit: TFX-style ML pipeline components, a local and Kubeflow DagRunner, and templates.

    from tfxkit import Pipeline, component, Input, Output, Parameter
    from tfxkit.types.standard_artifacts import Examples, Model
    from tfxkit.runners import LocalDagRunner

Importing tfxkit loads no TensorFlow; executors import heavy libraries when they run.
"""

from tfxkit._version import __version__
from tfxkit.dsl import (
    BaseComponent,
    BaseExecutor,
    ChannelParameter,
    ComponentSpec,
    ExecutionParameter,
    Input,
    Output,
    Parameter,
    Pipeline,
    RuntimeParameter,
    component,
)
from tfxkit.types import Artifact, Channel

__all__ = [
    "Artifact",
    "BaseComponent",
    "BaseExecutor",
    "Channel",
    "ChannelParameter",
    "ComponentSpec",
    "ExecutionParameter",
    "Input",
    "Output",
    "Parameter",
    "Pipeline",
    "RuntimeParameter",
    "__version__",
    "component",
]
