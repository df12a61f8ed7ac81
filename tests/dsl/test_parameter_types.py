"""Parameter types are checked whole: `@component` defaults at decoration, element types of
`list[T]` / `dict[str, T]` / `T | None` at instantiation, RuntimeParameter defaults, and
ComponentSpec defaults at class definition (issue 19, cases component_default_wrong_type and
component_list_element_type)."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tfxkit import Output, Parameter, RuntimeParameter, component
from tfxkit.dsl import ComponentSpec, ExecutionParameter
from tfxkit.errors import ComponentArgumentError, ComponentDefinitionError, PipelineDefinitionError
from tfxkit.types.standard_artifacts import Examples

CASES = Path("/work/shared/cases/fail-early")
REPO = Path(__file__).resolve().parents[2]


def _define(annotation: str, default: str, folder: Path | None = None) -> Any:
    """Decorate `def f(examples: Output[Examples], p: <annotation> = <default>)`, written to
    `folder`/defs.py (when given) so the error can name its file and line."""
    namespace: dict[str, Any] = {"Output": Output, "Parameter": Parameter, "Examples": Examples,
                                 "RuntimeParameter": RuntimeParameter, "Any": Any}
    source = (f"def f(examples: Output[Examples],\n"
              f"      p: {annotation} = {default}) -> None:\n    pass\n")
    filename = "<defs>"
    if folder is not None:
        filename = str(folder / "defs.py")
        Path(filename).write_text(source)
    exec(compile(source, filename, "exec"), namespace)
    return component(namespace["f"])


def test_case_component_default_wrong_type_fails_at_import(tmp_path: Path) -> None:
    path = CASES / "component_default_wrong_type" / "pipeline.py"
    spec = importlib.util.spec_from_file_location("case_default_wrong_type", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    with pytest.raises(ComponentDefinitionError) as caught:
        spec.loader.exec_module(module)
    message = str(caught.value)
    assert message.startswith(
        "make_rows: parameter 'rows' is declared Parameter[int] but its default is str 'ten'")
    assert f"{path}:9" in message  # the line of the parameter, not tfxkit's
    assert not (tmp_path / "out").exists()


def test_case_component_list_element_type_exits_1_with_first_bad_element() -> None:
    done = subprocess.run([sys.executable, str(CASES / "component_list_element_type" / "check.py")],
                          capture_output=True, text=True, cwd=REPO, timeout=120)
    assert done.returncode == 1
    assert "parameter 'w' expects list[int]; element 0 is str 'x'" in done.stderr
    assert "accepted" not in done.stdout


@pytest.mark.parametrize(("annotation", "default", "found"), [
    ("Parameter[int]", "'ten'", "default is str 'ten'"),
    ("Parameter[int]", "True", "default is bool True"),  # bool is not int
    ("Parameter[int]", "2.5", "default is float 2.5"),
    ("Parameter[float]", "'0.5'", "default is str '0.5'"),
    ("Parameter[float]", "False", "default is bool False"),
    ("Parameter[bool]", "1", "default is int 1"),
    ("Parameter[str]", "3", "default is int 3"),
    ("Parameter[dict]", "[1]", "default is list [1]"),
    ("Parameter[list]", "{'a': 1}", "default is dict {'a': 1}"),
    ("int", "'ten'", "default is str 'ten'"),  # plain annotations too
    ("Parameter[list[int]]", "[1, 'x']", "element 1 is str 'x' (expected int)"),
    ("Parameter[list[float]]", "[1.0, 'a']", "element 1 is str 'a' (expected float)"),
    ("Parameter[list[str]]", "['a', 2]", "element 1 is int 2 (expected str)"),
    ("Parameter[list[bool]]", "[True, 1]", "element 1 is int 1 (expected bool)"),
    ("Parameter[list[int]]", "[1, None]", "element 1 is NoneType None (expected int)"),
    ("Parameter[dict[str, int]]", "{'a': 'b'}", "the value of key 'a' is str 'b'"),
    ("Parameter[dict[str, list[int]]]", "{'a': [1, 'x']}", "the value of key 'a'[1] is str 'x'"),
    ("Parameter[list[list[int]]]", "[[1], [2, 'x']]", "element 1[1] is str 'x'"),
    ("Parameter[list[dict[str, float]]]", "[{'w': 'heavy'}]", "element 0['w'] is str 'heavy'"),
    ("Parameter[int | None]", "'x'", "default is str 'x'"),
    ("Parameter[list[int] | None]", "['x']", "element 0 is str 'x'"),
    ("Parameter[dict]", "{1: 'a'}", "has key int 1 (JSON object keys are str)"),
    ("Parameter[int]", "RuntimeParameter('rows', str)", "RuntimeParameter 'rows' of type str"),
    ("Parameter[int]", "RuntimeParameter('rows', float, 1.5)", "of type float"),
    ("Parameter[list[int]]", "RuntimeParameter('rows', int, 3)", "of type int"),
    ("Parameter[float]", "RuntimeParameter('lr', int, 1)", "of type int"),  # declare float
    ("Parameter[dict]", "{'a': {1, 2}}", "default {'a': {1, 2}} is not plain JSON data"),
    ("Parameter[list[Any]]", "[object]", "is not plain JSON data"),
])
def test_defaults_of_the_wrong_type_fail_at_decoration(annotation: str, default: str,
                                                       found: str, tmp_path: Path) -> None:
    with pytest.raises(ComponentDefinitionError) as caught:
        _define(annotation, default, tmp_path)
    message = str(caught.value)
    assert message.startswith("f: parameter 'p' is declared "), message
    assert found in message
    assert f"(at {tmp_path / 'defs.py'}:2)" in message  # the parameter's line
    assert "Fix the default or the annotation" in message


@pytest.mark.parametrize(("annotation", "default"), [
    ("Parameter[int]", "3"), ("Parameter[float]", "3"), ("Parameter[float]", "0.5"),
    ("Parameter[bool]", "False"), ("Parameter[str]", "''"), ("Parameter[list[int]]", "[1]"),
    ("Parameter[list[float]]", "[1, 2.5]"), ("Parameter[dict[str, list[str]]]", "{'a': ['b']}"),
    ("Parameter[int | None]", "None"), ("Parameter[list[Any]]", "[1, 'a', None]"),
    ("Parameter[float]", "RuntimeParameter('lr', float, 0.1)"),
])
def test_defaults_of_the_right_type_are_accepted(annotation: str, default: str) -> None:
    assert _define(annotation, default) is not None


@pytest.mark.parametrize("annotation", ["Parameter[set]", "Parameter[tuple[int, int]]",
                                        "Parameter[dict[int, str]]", "Parameter[list[set]]",
                                        "Parameter[list[Examples]]", "Parameter[Any]"])
def test_hints_no_pipeline_spec_can_carry_are_refused(annotation: str) -> None:
    with pytest.raises(ComponentDefinitionError, match="not plain JSON data"):
        _define(annotation, "None")


@component
def widths(examples: Output[Examples], w: Parameter[list[int]] = [1],  # noqa: B006
           scale: Parameter[list[float] | None] = None,
           table: Parameter[dict[str, list[int]]] = {}) -> None:  # noqa: B006
    """A function component with element-typed parameters."""


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"w": ["x", None, {"a": 1}]}, "parameter 'w' expects list[int]; element 0 is str 'x'"),
    ({"w": [1, True]}, "parameter 'w' expects list[int]; element 1 is bool True"),
    ({"w": (1, 2)}, "parameter 'w' expects list[int], found tuple (1, 2)"),
    ({"scale": [0.5, "1"]}, "parameter 'scale' expects list[float] | None; element 1 is str '1'"),
    ({"table": {"a": [1], "b": [2, 2.5]}},
     "parameter 'table' expects dict[str, list[int]]; the value of key 'b'[1] is float 2.5"),
    ({"table": {3: [1]}}, "parameter 'table' expects dict[str, list[int]]; has key int 3"),
])
def test_element_types_are_checked_at_instantiation(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ComponentArgumentError) as caught:
        widths(**kwargs)
    assert str(caught.value).startswith(f"widths: {message}")


def test_right_element_types_pass_and_ints_widen_to_floats() -> None:
    node = widths(w=[1, 2], scale=[1, 2.5], table={"a": []})
    assert node.exec_properties["w"] == [1, 2]
    assert node.exec_properties["scale"] == [1.0, 2.5]
    assert all(isinstance(v, float) for v in node.exec_properties["scale"])
    assert widths().exec_properties["w"] == [1]


def test_runtime_parameters_are_checked_against_element_typed_parameters() -> None:
    with pytest.raises(ComponentArgumentError, match="expects list\\[int\\], found "
                                                     "RuntimeParameter 'w' of type int"):
        widths(w=RuntimeParameter("w", int, 1))


@pytest.mark.parametrize(("ptype", "default", "found"), [
    (int, "10", "str '10'"), (int, True, "bool True"), (int, 1.5, "float 1.5"),
    (float, "0.5", "str '0.5'"), (bool, 1, "int 1"), (str, 3, "int 3"),
])
def test_runtime_parameter_defaults_must_have_the_declared_type(ptype: type, default: Any,
                                                                found: str) -> None:
    with pytest.raises(PipelineDefinitionError) as caught:
        RuntimeParameter("steps", ptype, default)
    assert re.search(rf"'steps' is declared {ptype.__name__} but its default is {re.escape(found)}"
                     rf"\. Fix: give a {ptype.__name__} default", str(caught.value))


def test_runtime_parameter_int_default_for_float_becomes_float() -> None:
    param = RuntimeParameter("lr", float, 1)
    assert param.default == 1.0 and isinstance(param.default, float)


def test_runtime_parameter_type_is_checked_against_the_component_parameter() -> None:
    with pytest.raises(ComponentArgumentError,
                       match="'p' expects int, found RuntimeParameter 'p' of type float"):
        _define("Parameter[int]", "None")(p=RuntimeParameter("p", float, 1.5))


def test_spec_defaults_and_hints_are_checked_at_class_definition() -> None:
    with pytest.raises(ComponentDefinitionError,
                       match=r"PARAMETERS\['steps'\] is declared int but its default is str 'ten'"):
        type("BadDefault", (ComponentSpec,), {
            "PARAMETERS": {"steps": ExecutionParameter(type=int, optional=True, default="ten")}})
    with pytest.raises(ComponentDefinitionError, match=r"element 1 is int 2"):
        type("BadElement", (ComponentSpec,), {"PARAMETERS": {"splits": ExecutionParameter(
            type=list, optional=True, default=["a", 2], hint=list[str])}})
    with pytest.raises(ComponentDefinitionError, match=r"hint list\[int\] does not fit type dict"):
        type("BadHint", (ComponentSpec,), {"PARAMETERS": {"x": ExecutionParameter(
            type=dict, hint=list[int])}})
