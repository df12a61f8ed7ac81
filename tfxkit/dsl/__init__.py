"""The pipeline DSL: component specs, executors, components, function components, pipelines."""

from tfxkit.dsl.base_component import BaseComponent
from tfxkit.dsl.base_executor import BaseExecutor, ExecutorContext
from tfxkit.dsl.component_spec import ChannelParameter, ComponentSpec, ExecutionParameter
from tfxkit.dsl.function_component import Input, Output, Parameter, component
from tfxkit.dsl.pipeline import Pipeline
from tfxkit.dsl.runtime_parameter import RuntimeParameter

__all__ = [
    "BaseComponent",
    "BaseExecutor",
    "ChannelParameter",
    "ComponentSpec",
    "ExecutionParameter",
    "ExecutorContext",
    "Input",
    "Output",
    "Parameter",
    "Pipeline",
    "RuntimeParameter",
    "component",
]
