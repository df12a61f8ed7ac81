"""tfxkit: TFX-style ML pipeline components, a local and Kubeflow DagRunner, and templates.

    from tfxkit import Pipeline, component, Input, Output, Parameter
    from tfxkit.types.standard_artifacts import Examples, Model
    from tfxkit.runners import LocalDagRunner

Importing tfxkit loads no TensorFlow; executors import heavy libraries when they run.
"""

from pkgutil import extend_path

# components/ and runners/ live beside tfxkit/ and install as tfxkit.components/.runners. The
# editable install (setup.py, strict mode) links them into a tree under build/; a checkout's
# own tfxkit/ folder earlier on sys.path (the repository root, as pytest and `python -c` there
# put it) would hide that tree, so tfxkit is every `tfxkit` folder on sys.path, in order.
__path__ = extend_path(__path__, __name__)

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
