"""Type hints of execution parameters, checked deeply: `list[int]`, `dict[str, list[float]]`,
`int | None`.

A parameter value crosses into a pipeline spec as JSON, so the hints allowed are the JSON ones:
int, float, str, bool, dict (with str keys), list, their parametrized forms `list[T]` and
`dict[str, T]` at any depth, `T | None` (`Optional[T]`), and `Any` for "any JSON value". As in
TFX, a bool is not an int (although Python says `isinstance(True, int)`), and an int is
accepted where a float is declared (it becomes a float).
"""

from __future__ import annotations

import types
import typing
from typing import Any

JSON_TYPES: tuple[type, ...] = (int, float, str, bool, dict, list)


def unwrap_optional(hint: Any) -> tuple[Any, bool]:
    """(inner hint, True) for `T | None` / `Optional[T]`; (hint, False) otherwise."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        args = typing.get_args(hint)
        rest = [a for a in args if a is not type(None)]
        if len(rest) == 1 and len(args) == 2:
            return rest[0], True
    return hint, False


def hint_name(hint: Any) -> str:
    """How a hint reads in messages: `list[int]`, `dict[str, float]`, `int | None`."""
    inner, optional = unwrap_optional(hint)
    if optional:
        return f"{hint_name(inner)} | None"
    if hint is Any:
        return "Any"
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (list, dict) and args:
        return f"{origin.__name__}[{', '.join(hint_name(a) for a in args)}]"
    return getattr(hint, "__name__", repr(hint))


def unsupported_part(hint: Any) -> str | None:
    """The part of `hint` a JSON parameter cannot carry (e.g. `set`, `dict[int, str]`,
    `tuple[int, int]`), or None when the whole hint is supported."""
    inner, _ = unwrap_optional(hint)
    if inner is Any:
        return None
    if inner in JSON_TYPES:
        return None
    origin, args = typing.get_origin(inner), typing.get_args(inner)
    if origin is list and len(args) == 1:
        return unsupported_part(args[0])
    if origin is dict and len(args) == 2:
        if args[0] is not str:
            return f"{hint_name(inner)} (JSON object keys are str: use dict[str, ...])"
        return unsupported_part(args[1])
    return hint_name(inner)


def top_type(hint: Any) -> type:
    """The plain JSON type a hint checks at its top level (`list[int]` -> list)."""
    inner, _ = unwrap_optional(hint)
    origin = typing.get_origin(inner)
    if origin in (list, dict):
        return typing.cast(type, origin)
    return typing.cast(type, inner)


def _describe(value: Any) -> str:
    text = repr(value)
    if len(text) > 80:
        text = text[:77] + "..."
    return f"{type(value).__name__} {text}"


def _step(path: tuple[Any, ...]) -> str:
    first, rest = path[0], path[1:]
    head = f"element {first}" if isinstance(first, int) else f"the value of key {first!r}"
    return head + "".join(f"[{p!r}]" for p in rest)


def check_value(value: Any, hint: Any) -> tuple[Any, str | None]:
    """Check `value` against `hint` at every depth.

    Returns (value, None) when it fits (ints where floats are declared become floats), or
    (value, problem), the problem naming the first offending element, e.g.
    "element 0 is str 'x'", "the value of key 'a'[1] is bool True", or "found str 'ten'".
    """
    converted, problem = _check(value, hint, ())
    return (converted, None) if problem is None else (value, problem)


def _check(value: Any, hint: Any, path: tuple[Any, ...]) -> tuple[Any, str | None]:
    def fail(expected: str) -> tuple[Any, str]:
        if not path:
            return value, f"found {_describe(value)}"
        return value, f"{_step(path)} is {_describe(value)} (expected {expected})"

    inner, optional = unwrap_optional(hint)
    if value is None:
        return (None, None) if optional or inner is Any else fail(hint_name(hint))
    if inner is Any:
        return value, None
    origin, args = typing.get_origin(inner), typing.get_args(inner)
    plain = origin if origin in (list, dict) else inner
    if plain is bool:
        return (value, None) if isinstance(value, bool) else fail("bool")
    if plain is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
        return (value, None) if ok else fail("int")
    if plain is float:
        if isinstance(value, bool):
            return fail("float")
        if isinstance(value, int):
            return float(value), None
        return (value, None) if isinstance(value, float) else fail("float")
    if plain is str:
        return (value, None) if isinstance(value, str) else fail("str")
    if plain is list:
        if not isinstance(value, list):
            return fail(hint_name(inner))
        if not args:
            return value, None
        items = []
        for index, item in enumerate(value):
            new, problem = _check(item, args[0], (*path, index))
            if problem is not None:
                return value, problem
            items.append(new)
        return items, None
    if plain is dict:
        if not isinstance(value, dict):
            return fail(hint_name(inner))
        for key in value:
            if not isinstance(key, str):
                where = f"{_step(path)} has" if path else "has"
                return value, f"{where} key {_describe(key)} (JSON object keys are str)"
        if not args:
            return value, None
        mapping = {}
        for key, item in value.items():
            new, problem = _check(item, args[1], (*path, key))
            if problem is not None:
                return value, problem
            mapping[key] = new
        return mapping, None
    return fail(hint_name(inner))


def describe_default(default: Any, problem: str) -> str:
    """Phrase `problem` (from `check_value`) about a default: "default is str 'ten'" or
    "default [1, 'x'] does not fit: element 1 is str 'x' (expected int)"."""
    if problem.startswith("found "):
        return f"default is {problem.removeprefix('found ')}"
    return f"default {_describe(default).split(' ', 1)[1]} does not fit: {problem}"


__all__ = ["JSON_TYPES", "check_value", "describe_default", "hint_name", "top_type",
           "unsupported_part", "unwrap_optional"]
