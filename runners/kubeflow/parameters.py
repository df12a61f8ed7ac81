"""Pipeline parameters a KFP run can change from the UI, traced from `create_pipeline()`.

A project's settings are plain values (`train_steps=100`, `data_root="data"`,
`accuracy_lower_bound=0.6`) that `create_pipeline()` turns into component parameters, often
inside structures (`train_args={"num_steps": train_steps}`) or paths (`PROJECT/data`). To wire
each setting to the parameters it feeds, the pipeline is built once more per setting with a
marker value, and the component parameters that change are recorded as bindings: the parameter
key, the path inside its value, and for text the fixed text around the setting. The compiled
spec gets one pipeline parameter per setting with a binding (its default: the value compiled
with), and the entrypoint applies the run's values along the bindings before the executor runs,
so a run launched with other values uses them everywhere the setting was used.

Settings looked at: `create_pipeline`'s named arguments with an int, float, str or bool default,
and, when it takes `**overrides`, the fields of a `PipelineConfig` dataclass its module reaches
(the templates' `pipeline/config.py`). A setting whose effect cannot be bound (it changes which
components exist, or is transformed beyond text around it) is left out, with the reason.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable, Iterator
from typing import Any

from tfxkit.dsl.pipeline import Pipeline

OVERLAYS_KEY = "tfxkit_overlays"
PARAM_PREFIX = "tfxkit_param_"
_PLAIN = (bool, int, float, str)


@dataclasses.dataclass(frozen=True)
class Binding:
    """Where a pipeline parameter goes: node `node_id`, parameter `key`, position `path` inside
    its value (dict keys and list indexes; empty for the whole value), and for text values the
    fixed `prefix` / `suffix` around the parameter's text."""

    node_id: str
    key: str
    path: tuple[str | int, ...] = ()
    prefix: str = ""
    suffix: str = ""


@dataclasses.dataclass
class PipelineParameter:
    """A KFP pipeline parameter: `name`, Python type, `default` and its `bindings`."""

    name: str
    ptype: type
    default: Any
    bindings: list[Binding]
    description: str = ""


def settings(factory: Callable[..., Any], module: Any) -> dict[str, Any]:
    """The plain-valued settings of `create_pipeline` (`factory`) and their defaults."""
    found: dict[str, Any] = {}
    signature = inspect.signature(factory)
    for name, param in signature.parameters.items():
        if param.kind is param.VAR_KEYWORD:
            config_class = _config_class(module)
            if config_class is not None:
                for field in dataclasses.fields(config_class):
                    if field.default is not dataclasses.MISSING and \
                            isinstance(field.default, _PLAIN):
                        found.setdefault(field.name, field.default)
        elif param.default is not param.empty and isinstance(param.default, _PLAIN):
            found[name] = param.default
    return found


def _config_class(module: Any) -> type | None:
    for value in vars(module).values():
        candidate = value if isinstance(value, type) else getattr(value, "PipelineConfig", None)
        if isinstance(candidate, type) and candidate.__name__ == "PipelineConfig" and \
                dataclasses.is_dataclass(candidate):
            return candidate
    return None


def _markers(name: str, value: Any, index: int) -> list[Any]:
    """Values to build with instead of `value`: unique, of the same type. Text is tried first
    as an object-store URI (it passes the checks a location gets), then as a plain word."""
    if isinstance(value, bool):
        return [not value]
    if isinstance(value, int):
        return [7_340_033 + index]
    if isinstance(value, float):
        return [0.734_003_3 + index]
    return [f"gs://tfxkit-param/{name}", f"tfxkit-param-{name}"]


def _leaves(value: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[tuple[str | int,
                                                                                  ...], Any]]:
    if isinstance(value, dict):
        for key in sorted(value, key=str):
            yield from _leaves(value[key], (*path, key))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _leaves(item, (*path, index))
    else:
        yield path, value


def trace(factory: Callable[..., Any], module: Any, given: dict[str, Any],
          portable: Callable[[Any, str], Any]) -> tuple[list[PipelineParameter], dict[str, str]]:
    """(the pipeline parameters of `create_pipeline`, setting -> why it was left out).

    Args:
        factory: `create_pipeline`.
        module: the module defining it (to find a PipelineConfig).
        given: the values the pipeline is compiled with (`-p`), which become the defaults.
        portable: how the compiler writes a parameter value into the spec (local paths made
            project-relative); applied before comparing.
    """
    base_pipeline = factory(**given)
    base = _properties(base_pipeline, portable)
    runtime = set(base_pipeline.runtime_parameters())
    parameters: list[PipelineParameter] = []
    skipped: dict[str, str] = {}
    for index, (name, default) in enumerate(sorted(settings(factory, module).items())):
        default = given.get(name, default)
        if name in runtime:
            skipped[name] = "a runtime parameter of that name exists"
            continue
        traced, marker = None, None
        for marker in _markers(name, default, index):
            try:
                traced = _properties(factory(**{**given, name: marker}), portable)
                break
            except Exception as exc:  # the factory refuses the marker value: not bindable
                skipped[name] = (f"create_pipeline() refused a changed value "
                                 f"({type(exc).__name__})")
        if traced is None:
            continue
        skipped.pop(name, None)
        if traced.keys() != base.keys():
            skipped[name] = "it changes which components or parameters the pipeline has"
            continue
        bindings, reason = _bindings(base, traced, marker)
        if reason:
            skipped[name] = reason
        elif bindings:
            # the default is the value as the spec holds it (a local path made relative)
            first = bindings[0]
            leaf = dict(_leaves(base[(first.node_id, first.key)]))[first.path]
            if isinstance(leaf, str) and (first.prefix or first.suffix) and \
                    leaf.startswith(first.prefix) and leaf.endswith(first.suffix):
                leaf = leaf[len(first.prefix):len(leaf) - len(first.suffix)]
            default = leaf if type(leaf) is type(default) else default
            parameters.append(PipelineParameter(name, type(default), default, bindings))
    return parameters, skipped


def _properties(pipeline: Pipeline, portable: Callable[[Any, str], Any]) -> dict[tuple[str, str],
                                                                                 Any]:
    from tfxkit.dsl.runtime_parameter import RuntimeParameter

    return {(node.id, key): portable(value, f"{node.id} parameter {key!r}")
            for node in pipeline.components for key, value in node.exec_properties.items()
            if not isinstance(value, RuntimeParameter)}


def _bindings(base: dict[tuple[str, str], Any], traced: dict[tuple[str, str], Any],
              marker: Any) -> tuple[list[Binding], str]:
    bindings = []
    for (node_id, key), value in traced.items():
        if value == base[(node_id, key)]:
            continue
        before = dict(_leaves(base[(node_id, key)]))
        after = dict(_leaves(value))
        if before.keys() != after.keys():
            return [], f"it changes the shape of {node_id} parameter {key!r}"
        for path, leaf in after.items():
            if leaf == before[path]:
                continue
            if type(leaf) is type(marker) and leaf == marker:
                bindings.append(Binding(node_id, key, path))
            elif isinstance(marker, str) and isinstance(leaf, str) and leaf.count(marker) == 1:
                prefix, _, suffix = leaf.partition(marker)
                bindings.append(Binding(node_id, key, path, prefix, suffix))
            else:
                return [], f"{node_id} parameter {key!r} is computed from it"
    return bindings, ""


def apply_overlays(exec_properties: dict[str, Any], overlays: list[dict[str, Any]],
                   values: dict[str, Any]) -> dict[str, Any]:
    """`exec_properties` with each overlay's parameter value put at its key and path (the
    entrypoint's half of the bindings; `values`: parameter name -> the run's value)."""
    for overlay in overlays:
        value = values[overlay["param"]]
        if overlay.get("prefix") or overlay.get("suffix"):
            value = f"{overlay.get('prefix', '')}{value}{overlay.get('suffix', '')}"
        path = list(overlay.get("path") or [])
        key = overlay["key"]
        if not path:
            exec_properties[key] = value
            continue
        target = exec_properties[key]
        for step in path[:-1]:
            target = target[int(step) if isinstance(target, list) else step]
        last = path[-1]
        target[int(last) if isinstance(target, list) else last] = value
    return exec_properties

