"""`ComponentSpec`: the declarative contract of a component (PARAMETERS, INPUTS, OUTPUTS).

A spec is checked when its class is defined (names unique across the three tables, valid
identifiers, artifact types for channels) and arguments are checked when a component is built
(unknown, missing and mistyped values), so mistakes surface before anything runs.
"""

from __future__ import annotations

import builtins
import dataclasses
import json
import keyword
from collections.abc import Mapping
from typing import Any, ClassVar

from tfxkit.dsl.names import did_you_mean
from tfxkit.dsl.runtime_parameter import RuntimeParameter
from tfxkit.dsl.value_types import (
    JSON_TYPES,
    check_value,
    describe_default,
    hint_name,
    top_type,
    unsupported_part,
)
from tfxkit.errors import ComponentArgumentError, ComponentDefinitionError
from tfxkit.types.artifact import Artifact
from tfxkit.types.channel import Channel


@dataclasses.dataclass(frozen=True)
class ExecutionParameter:
    """One execution parameter of a component.

    Args:
        type: accepted Python type(s): int, float, str, bool, dict or list.
        optional: whether the parameter may be omitted.
        default: value used when omitted (only for optional parameters).
        description: one line for docs and error messages.
        proto: dotted name of the proto message a dict value is parsed into inside the executor
            (its JSON mapping, as `json_format.ParseDict` reads it), e.g.
            "tensorflow_model_analysis.EvalConfig". Proto objects passed here become dicts.
        user_code: the value names user code (a module file path or a dotted path); the code's
            source becomes part of the cache key.
        hint: the full type hint (e.g. `list[int]`, `dict[str, list[float]]`, `int | None`);
            values are then checked at every depth, not only their top-level type.
    """

    type: type | tuple[type, ...]
    optional: bool = False
    default: Any = None
    description: str = ""
    proto: str = ""
    user_code: bool = False
    hint: Any = None

    @property
    def types(self) -> tuple[builtins.type, ...]:
        """The accepted types as a tuple."""
        return self.type if isinstance(self.type, tuple) else (self.type,)

    @property
    def type_name(self) -> str:
        """The declared type as messages show it: the hint (`list[int]`) or `int or float`."""
        return hint_name(self.hint) if self.hint is not None else _type_names(self.types)

    def check(self, value: Any) -> tuple[Any, str | None]:
        """(value, None) if plain `value` fits this parameter (ints widened to floats where a
        float is declared), else (value, what is wrong: "found str 'x'", "element 0 is ...")."""
        if self.hint is not None:
            return check_value(value, self.hint)
        if isinstance(value, bool) and bool not in self.types:
            return value, f"found {type(value).__name__} {value!r}"
        if isinstance(value, int) and float in self.types and int not in self.types:
            return float(value), None
        if isinstance(value, self.types):
            return value, None
        return value, f"found {type(value).__name__} {value!r}"


@dataclasses.dataclass(frozen=True)
class ChannelParameter:
    """One input or output of a component: a channel of artifacts of `type`."""

    type: type[Artifact]
    optional: bool = False
    description: str = ""


def _type_names(types: tuple[type, ...]) -> str:
    return " or ".join(t.__name__ for t in types)


def runtime_parameter_problem(param: ExecutionParameter, value: RuntimeParameter) -> str:
    """What makes RuntimeParameter `value` unfit for `param` ("" if it fits): its ptype, or its
    default checked as any other value."""
    types = (top_type(param.hint),) if param.hint is not None else param.types
    if not any(issubclass(value.ptype, t) and not (value.ptype is bool and t is int)
               for t in types):
        return f"of type {value.ptype.__name__}"
    if value.default is not None:
        _, problem = param.check(value.default)
        if problem:
            return f"whose {describe_default(value.default, problem)}"
    return ""


def _check_declaration(where: str, name: str, entry: ExecutionParameter) -> None:
    """At class definition: the types are JSON types, the hint is supported and agrees with
    them, and the default fits."""
    bad = [t for t in entry.types if t not in JSON_TYPES]
    if bad:
        raise ComponentDefinitionError(
            f"{where}.PARAMETERS[{name!r}] type must be one of int, float, str, "
            f"bool, dict, list (plain data a pipeline spec can carry), found "
            f"{_type_names(tuple(bad))}."
        )
    if entry.hint is not None:
        part = unsupported_part(entry.hint)
        if part is not None or top_type(entry.hint) not in entry.types:
            raise ComponentDefinitionError(
                f"{where}.PARAMETERS[{name!r}]: hint {hint_name(entry.hint)} does not fit type "
                f"{_type_names(entry.types)}"
                f"{f' ({part} is not plain JSON data)' if part else ''}. Use int, float, str, "
                f"bool, list[T], dict[str, T] or T | None, matching `type`."
            )
    if entry.default is not None and not isinstance(entry.default, RuntimeParameter):
        _, problem = entry.check(entry.default)
        if problem is not None:
            raise ComponentDefinitionError(
                f"{where}.PARAMETERS[{name!r}] is declared {entry.type_name} but its "
                f"{describe_default(entry.default, problem)}. Fix the default or the declared "
                f"type."
            )


def normalize_value(value: Any) -> Any:
    """Turn a proto message into its JSON-mapping dict; leave plain values unchanged."""
    if hasattr(value, "DESCRIPTOR") and hasattr(value, "SerializeToString"):
        from google.protobuf import json_format

        return json_format.MessageToDict(value, preserving_proto_field_name=True)
    return value


class ComponentSpec:
    """Declares a component's PARAMETERS, INPUTS and OUTPUTS; subclass it per component.

    Example::

        class TrainerSpec(ComponentSpec):
            PARAMETERS = {"train_steps": ExecutionParameter(type=int)}
            INPUTS = {"examples": ChannelParameter(type=Examples)}
            OUTPUTS = {"model": ChannelParameter(type=Model)}
    """

    PARAMETERS: ClassVar[dict[str, ExecutionParameter]] = {}
    INPUTS: ClassVar[dict[str, ChannelParameter]] = {}
    OUTPUTS: ClassVar[dict[str, ChannelParameter]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        where = f"{cls.__module__}.{cls.__qualname__}"
        seen: dict[str, str] = {}
        tables = (("PARAMETERS", ExecutionParameter), ("INPUTS", ChannelParameter),
                  ("OUTPUTS", ChannelParameter))
        for table, entry_type in tables:
            entries = getattr(cls, table)
            if not isinstance(entries, Mapping):
                raise ComponentDefinitionError(
                    f"{where}.{table} must be a dict of name -> {entry_type.__name__}, found "
                    f"{type(entries).__name__}."
                )
            for name, entry in entries.items():
                if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
                    raise ComponentDefinitionError(
                        f"{where}.{table}: {name!r} is not a valid Python identifier; component "
                        f"arguments are keyword arguments, so rename it (e.g. 'train_steps')."
                    )
                if name in seen:
                    raise ComponentDefinitionError(
                        f"{where}: {name!r} is declared in both {seen[name]} and {table}. Names "
                        f"must be unique across PARAMETERS, INPUTS and OUTPUTS; rename one."
                    )
                seen[name] = table
                if not isinstance(entry, entry_type):
                    raise ComponentDefinitionError(
                        f"{where}.{table}[{name!r}] must be a {entry_type.__name__}, found "
                        f"{type(entry).__name__}."
                    )
                if isinstance(entry, ChannelParameter) and not (
                    isinstance(entry.type, type) and issubclass(entry.type, Artifact)
                ):
                    raise ComponentDefinitionError(
                        f"{where}.{table}[{name!r}] type must be an Artifact subclass such as "
                        f"Examples, found {entry.type!r}."
                    )
                if isinstance(entry, ExecutionParameter):
                    _check_declaration(where, name, entry)

    @classmethod
    def bind(
        cls, component: str, kwargs: Mapping[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Channel]]:
        """Check constructor arguments of `component`; return (exec_properties, inputs).

        Raises ComponentArgumentError for unknown names, missing required ones, values of the
        wrong type and channels carrying the wrong artifact type.
        """
        accepted = [*cls.PARAMETERS, *cls.INPUTS]
        exec_properties: dict[str, Any] = {}
        inputs: dict[str, Channel] = {}
        for name, value in kwargs.items():
            if name in cls.OUTPUTS:
                raise ComponentArgumentError(
                    f"{component}: {name!r} is an output; outputs are created by the component. "
                    f"Read it as component.outputs[{name!r}] instead of passing it."
                )
            if name not in accepted:
                raise ComponentArgumentError(
                    f"{component} got an unknown argument {name!r}.{did_you_mean(name, accepted)}"
                    f" Accepted: {', '.join(accepted) or 'none'}."
                )
            if value is None:
                continue
            if name in cls.INPUTS:
                inputs[name] = cls._check_channel(component, name, value)
            else:
                exec_properties[name] = cls._check_parameter(component, name, value)
        for name, param in cls.PARAMETERS.items():
            if name in exec_properties:
                continue
            if not param.optional:
                raise ComponentArgumentError(
                    f"{component} is missing required parameter {name!r} "
                    f"({_type_names(param.types)}"
                    f"{': ' + param.description if param.description else ''}). Pass {name}=..."
                )
            if param.default is not None:
                exec_properties[name] = param.default
        for name, channel_param in cls.INPUTS.items():
            if name not in inputs and not channel_param.optional:
                raise ComponentArgumentError(
                    f"{component} is missing required input {name!r} (a channel of "
                    f"{channel_param.type.TYPE_NAME}). Pass {name}=<upstream>.outputs[...]."
                )
        return exec_properties, inputs

    @classmethod
    def _check_channel(cls, component: str, name: str, value: Any) -> Channel:
        expected = cls.INPUTS[name].type
        if not isinstance(value, Channel):
            raise ComponentArgumentError(
                f"{component}: input {name!r} expects a channel of {expected.TYPE_NAME}, found "
                f"{type(value).__name__} {value!r}. Pass an upstream component's output, e.g. "
                f"{name}=example_gen.outputs['examples']."
            )
        if not issubclass(value.type, expected):
            raise ComponentArgumentError(
                f"{component}: input {name!r} expects {expected.TYPE_NAME}, found "
                f"{value.type.TYPE_NAME} ({value!r}). Connect an output of type "
                f"{expected.TYPE_NAME}."
            )
        return value

    @classmethod
    def _check_parameter(cls, component: str, name: str, value: Any) -> Any:
        param = cls.PARAMETERS[name]
        if isinstance(value, RuntimeParameter):
            mismatch = runtime_parameter_problem(param, value)
            if mismatch:
                raise ComponentArgumentError(
                    f"{component}: parameter {name!r} expects {param.type_name}, found "
                    f"RuntimeParameter {value.name!r} {mismatch}."
                )
            return value
        value = normalize_value(value)
        value, problem = param.check(value)
        if problem is not None:
            separator = ", " if problem.startswith("found") else "; "
            raise ComponentArgumentError(
                f"{component}: parameter {name!r} expects {param.type_name}{separator}{problem}."
            )
        try:
            json.dumps(value, sort_keys=True)
        except (TypeError, ValueError) as exc:
            raise ComponentArgumentError(
                f"{component}: parameter {name!r} must be plain JSON data (dicts, lists, str, "
                f"numbers, bools) so the pipeline can be compiled and cached; {exc}."
            ) from None
        return value
