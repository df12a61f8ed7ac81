"""@component: the function signature is the spec, checked when the decorator runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from tfxkit import Input, Output, Parameter, component
from tfxkit.dsl.function_component import FunctionExecutor
from tfxkit.errors import ComponentDefinitionError, ExecutionError
from tfxkit.types.standard_artifacts import Examples, Model


@component
def train(examples: Input[Examples], model: Output[Model], steps: Parameter[int] = 10,
          rate: float = 0.1, schema: Input[Examples] | None = None) -> None:
    """Writes the step count and the split names it saw."""
    (Path(model.uri) / "out.txt").write_text(f"{steps} {examples.split_names} {schema}")


def test_signature_becomes_the_spec() -> None:
    spec = train.SPEC_CLASS
    assert set(spec.INPUTS) == {"examples", "schema"} and spec.INPUTS["schema"].optional
    assert spec.OUTPUTS["model"].type is Model
    assert spec.PARAMETERS["steps"].type is int and spec.PARAMETERS["steps"].default == 10
    assert spec.PARAMETERS["rate"].type is float
    assert train.__doc__ == "Writes the step count and the split names it saw."


def test_function_sees_artifacts_and_plain_values(tmp_path: Path) -> None:
    examples = Examples(uri=str(tmp_path / "ex"))
    examples.split_names = ["train", "eval"]
    model = Model(uri=str(tmp_path))
    FunctionExecutor(train.FUNCTION).Do({"examples": [examples]}, {"model": [model]},
                                        {"steps": 3})
    assert (tmp_path / "out.txt").read_text() == "3 ['train', 'eval'] None"


def test_missing_type_hint_names_the_parameter_and_the_fix() -> None:
    def bad(examples: Input[Examples], steps) -> None:  # type: ignore[no-untyped-def]
        pass

    with pytest.raises(ComponentDefinitionError, match=r"is expecting steps: <type>, but found "
                                                       r"steps without a type hint"):
        component(bad)


@pytest.mark.parametrize("annotation", ["set", "Input[int]", "Output[str]"])
def test_unsupported_annotations_are_rejected(annotation: str) -> None:
    namespace: dict = {"Input": Input, "Output": Output}
    exec(f"def bad(x: {annotation}) -> None: pass", namespace)
    with pytest.raises(ComponentDefinitionError, match="bad"):
        component(namespace["bad"])


def test_return_values_and_optional_outputs_are_rejected() -> None:
    def returns(model: Output[Model]) -> int:
        return 1

    with pytest.raises(ComponentDefinitionError, match="returns"):
        component(returns)

    def optional_output(model: Output[Model] | None = None) -> None:
        pass

    with pytest.raises(ComponentDefinitionError, match="cannot be optional"):
        component(optional_output)


def test_returning_a_value_at_run_time_fails_clearly(tmp_path: Path) -> None:
    def sneaky(model: Output[Model]):  # type: ignore[no-untyped-def]
        return 5

    sneaky.__annotations__["return"] = None
    comp = component(sneaky)
    with pytest.raises(ExecutionError, match="must return None"):
        FunctionExecutor(comp.FUNCTION).Do({}, {"model": [Model(uri=str(tmp_path))]}, {})
