"""`@component`: turn a typed Python function into a pipeline component.

    @component
    def count_rows(examples: Input[Examples], report: Output[Artifact], limit: Parameter[int] = 10):
        ...

The signature is the spec: `Input[T]` parameters become inputs, `Output[T]` outputs, and
`Parameter[int]` (or a plain int / float / str / bool / dict / list annotation) execution
parameters. Type hints are required and checked when the decorator runs. At run time the function
receives artifacts (objects with `.uri`, `.split_names` and property access) and plain values;
it writes its outputs under each output artifact's `.uri`.
"""

from __future__ import annotations

import ast
import hashlib
import inspect
import json
import textwrap
import typing
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from tfxkit.dsl.base_component import BaseComponent, check_id
from tfxkit.dsl.base_executor import BaseExecutor, ExecutorContext
from tfxkit.dsl.component_spec import (
    ChannelParameter,
    ComponentSpec,
    ExecutionParameter,
    runtime_parameter_problem,
)
from tfxkit.dsl.runtime_parameter import RuntimeParameter
from tfxkit.dsl.value_types import (
    JSON_TYPES,
    check_value,
    describe_default,
    hint_name,
    top_type,
    unsupported_part,
    unwrap_optional,
)
from tfxkit.errors import ComponentDefinitionError, ExecutionError
from tfxkit.types.artifact import Artifact

A = TypeVar("A", bound=Artifact)
P = TypeVar("P")


class Input(Generic[A]):
    """Annotation of a function-component input: `examples: Input[Examples]`."""


class Output(Generic[A]):
    """Annotation of a function-component output: `model: Output[Model]`."""


class Parameter(Generic[P]):
    """Annotation of an execution parameter: `steps: Parameter[int] = 100`."""


def _parameter_line(func: Callable[..., Any], name: str) -> tuple[str, int]:
    """(file, line) of parameter `name` in `func`'s definition (the def line as a fallback)."""
    code = getattr(func, "__code__", None)
    filename = code.co_filename if code else "<unknown>"
    line = code.co_firstlineno if code else 0
    try:
        lines, start = inspect.getsourcelines(func)
        tree = ast.parse(textwrap.dedent("".join(lines)))
    except (OSError, TypeError, SyntaxError):
        return filename, line
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            arguments = node.args
            for arg in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs):
                if arg.arg == name:
                    return filename, start + arg.lineno - 1
            break
    return filename, line


def _check_default(func: Callable[..., Any], name: str, declared: str, hint: Any,
                   default: Any) -> None:
    """At decoration: the default of parameter `name` fits its hint (a RuntimeParameter
    default: its ptype and its own default)."""
    if isinstance(default, RuntimeParameter):
        probe = ExecutionParameter(type=top_type(hint), hint=hint)
        problem = runtime_parameter_problem(probe, default)
        found = f"default is RuntimeParameter {default.name!r} {problem}" if problem else ""
    else:
        _, problem_text = check_value(default, hint)
        found = describe_default(default, problem_text) if problem_text else ""
        if not found:
            try:
                json.dumps(default, sort_keys=True)
            except (TypeError, ValueError) as exc:
                found = f"default {default!r} is not plain JSON data ({exc})"
    if not found:
        return
    filename, line = _parameter_line(func, name)
    raise ComponentDefinitionError(
        f"{func.__qualname__}: parameter {name!r} is declared {declared} but its {found} (at "
        f"{filename}:{line}). Fix the default or the annotation; nothing has run."
    )


def _where(func: Callable[..., Any]) -> str:
    code = getattr(func, "__code__", None)
    location = f" ({code.co_filename}:{code.co_firstlineno})" if code else ""
    return f"@component function {func.__qualname__}{location}"


def _build_spec(func: Callable[..., Any]) -> type[ComponentSpec]:
    where = _where(func)
    try:
        hints = typing.get_type_hints(func)
    except NameError as exc:
        raise ComponentDefinitionError(
            f"{where}: a type hint names something undefined ({exc}). Import it in the module "
            f"that defines the function."
        ) from None
    parameters: dict[str, ExecutionParameter] = {}
    inputs: dict[str, ChannelParameter] = {}
    outputs: dict[str, ChannelParameter] = {}
    expected = (
        "Input[ArtifactType], Output[ArtifactType], Parameter[T] or a plain T, "
        "with T one of int, float, str, bool, dict, list"
    )
    for name, param in inspect.signature(func).parameters.items():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            raise ComponentDefinitionError(
                f"{where}: *{name} / **{name} cannot be a component argument; declare each "
                f"input, output and parameter by name."
            )
        if name not in hints:
            raise ComponentDefinitionError(
                f"{where} is expecting {name}: <type>, but found {name} without a type hint. "
                f"Annotate it as {expected}."
            )
        annotation, optional = unwrap_optional(hints[name])
        has_default = param.default is not inspect.Parameter.empty
        origin, args = typing.get_origin(annotation), typing.get_args(annotation)
        if origin in (Input, Output):
            artifact_type = args[0] if args else None
            if not (isinstance(artifact_type, type) and issubclass(artifact_type, Artifact)):
                raise ComponentDefinitionError(
                    f"{where} is expecting {name}: {origin.__name__}[ArtifactType], but found "
                    f"{name}: {hints[name]!r}. Use an artifact class such as Examples."
                )
            if origin is Output:
                if optional or has_default:
                    raise ComponentDefinitionError(
                        f"{where}: output {name!r} cannot be optional or have a default; every "
                        f"declared output is produced on each run."
                    )
                outputs[name] = ChannelParameter(type=artifact_type)
            else:
                if has_default and param.default is not None:
                    raise ComponentDefinitionError(
                        f"{where}: input {name!r} may only default to None (optional input), "
                        f"found default {param.default!r}."
                    )
                inputs[name] = ChannelParameter(type=artifact_type, optional=optional or has_default)
            continue
        declared = f"Parameter[{hint_name(args[0])}]" if origin is Parameter and args \
            else hint_name(hints[name])
        value_hint = args[0] if origin is Parameter and args else annotation
        if origin is Parameter:
            value_hint, optional_inner = unwrap_optional(value_hint)
            optional = optional or optional_inner
        part = unsupported_part(value_hint)
        if part is None and top_type(value_hint) not in JSON_TYPES:  # e.g. a bare Any
            part = hint_name(value_hint)
        if part is not None:
            raise ComponentDefinitionError(
                f"{where} is expecting {name}: {expected} (list[T] and dict[str, T] of those, "
                f"at any depth), but found {name}: {declared}, where {part} is not plain JSON "
                f"data a pipeline spec can carry."
            )
        full_hint = value_hint | None if optional else value_hint
        if has_default and param.default is not None:
            _check_default(func, name, declared, full_hint, param.default)
        parameters[name] = ExecutionParameter(
            type=top_type(value_hint),
            optional=optional or has_default,
            default=param.default if has_default else None,
            hint=full_hint,
        )
    return_hint = hints.get("return", None)
    if return_hint not in (None, type(None)):
        raise ComponentDefinitionError(
            f"{where} returns {return_hint!r}; function components return None and write their "
            f"results to Output[...] artifacts. Add an output such as `result: Output[Artifact]`."
        )
    spec_name = f"{func.__name__}Spec"
    return type(
        spec_name,
        (ComponentSpec,),
        {
            "PARAMETERS": parameters,
            "INPUTS": inputs,
            "OUTPUTS": outputs,
            "__module__": func.__module__,
            "__qualname__": spec_name,
        },
    )


def source_hash(func: Callable[..., Any]) -> str:
    """SHA-256 of a function's source (or of its bytecode when the source is unavailable)."""
    try:
        material = inspect.getsource(func).encode()
    except (OSError, TypeError):
        code = func.__code__
        material = code.co_code + repr(code.co_consts).encode()
    return hashlib.sha256(material).hexdigest()


class FunctionExecutor(BaseExecutor):
    """Runs a `@component` function: artifacts and parameters in as keyword arguments."""

    def __init__(self, func: Callable[..., Any], context: ExecutorContext | None = None) -> None:
        super().__init__(context)
        self.func = func

    def Do(
        self,
        input_dict: dict[str, list[Artifact]],
        output_dict: dict[str, list[Artifact]],
        exec_properties: dict[str, Any],
    ) -> None:
        """Call the function with one artifact per input/output and the parameter values."""
        kwargs: dict[str, Any] = dict(exec_properties)
        for key, artifacts in input_dict.items():
            kwargs[key] = artifacts[0] if artifacts else None
        for key, artifacts in output_dict.items():
            kwargs[key] = artifacts[0]
        result = self.func(**kwargs)
        if result is not None:
            raise ExecutionError(
                f"{_where(self.func)} returned {type(result).__name__}; it must return None and "
                f"write results to its Output[...] artifacts."
            )


class FunctionComponent(BaseComponent):
    """Base of the classes `@component` creates; `FUNCTION` is the user's function."""

    FUNCTION: Callable[..., Any]

    def executor_identity(self) -> str:
        """The function's dotted path plus a hash of its source: editing it misses the cache."""
        return f"{type(self).EXECUTOR}@{source_hash(type(self).FUNCTION)}"

    @classmethod
    def build_executor(cls, context: ExecutorContext) -> BaseExecutor:
        """Wrap the function itself; no import needed."""
        return FunctionExecutor(cls.FUNCTION, context)


def component(
    func: Callable[..., Any] | None = None, *, component_name: str | None = None
) -> Any:
    """Decorate a typed function to make it a component class.

    Args:
        func: the function; its annotated parameters become inputs, outputs and parameters.
        component_name: class name and default node id (defaults to the function's name).

    Returns:
        A BaseComponent subclass; call it with keyword arguments (inputs as channels,
        parameters as values) to make a pipeline node. Its outputs land under
        `{pipeline_root}/{id}/{output_name}/{execution_id}/`.
    """

    def decorate(f: Callable[..., Any]) -> type[FunctionComponent]:
        name = component_name or f.__name__
        check_id(name, f"{_where(f)}: component name")
        spec = _build_spec(f)
        cls = type(
            name,
            (FunctionComponent,),
            {
                "SPEC_CLASS": spec,
                "EXECUTOR": f"{f.__module__}.{f.__qualname__}",
                "FUNCTION": staticmethod(f),
                "__doc__": f.__doc__,
                "__module__": f.__module__,
                "__qualname__": f.__qualname__,
            },
        )
        return typing.cast(type[FunctionComponent], cls)

    return decorate(func) if func is not None else decorate
