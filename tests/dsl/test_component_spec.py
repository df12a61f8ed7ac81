"""ComponentSpec: checked at class definition; arguments checked when a component is built."""

from __future__ import annotations

import pytest

from tests.resources.tiny_pipelines import count_rows, make_examples
from tfxkit import RuntimeParameter
from tfxkit.dsl.base_component import BaseComponent
from tfxkit.dsl.component_spec import ChannelParameter, ComponentSpec, ExecutionParameter
from tfxkit.errors import ComponentArgumentError, ComponentDefinitionError
from tfxkit.types import Channel
from tfxkit.types.standard_artifacts import Examples, Model, Schema


class TrainSpec(ComponentSpec):
    PARAMETERS = {
        "train_steps": ExecutionParameter(type=int),
        "learning_rate": ExecutionParameter(type=float, optional=True, default=0.01),
        "eval_config": ExecutionParameter(type=dict, optional=True),
    }
    INPUTS = {"examples": ChannelParameter(type=Examples),
              "schema": ChannelParameter(type=Schema, optional=True)}
    OUTPUTS = {"model": ChannelParameter(type=Model)}


class Train(BaseComponent):
    SPEC_CLASS = TrainSpec
    EXECUTOR = "somewhere.Executor"


def examples_channel() -> Channel:
    return make_examples(root="/tmp").outputs["examples"]


def test_duplicate_names_across_tables_fail_at_class_definition() -> None:
    with pytest.raises(ComponentDefinitionError, match="declared in both PARAMETERS and INPUTS"):
        class Bad(ComponentSpec):
            PARAMETERS = {"examples": ExecutionParameter(type=int)}
            INPUTS = {"examples": ChannelParameter(type=Examples)}


@pytest.mark.parametrize(("tables", "message"), [
    ({"PARAMETERS": {"not valid": ExecutionParameter(type=int)}}, "not a valid Python identifier"),
    ({"PARAMETERS": {"class": ExecutionParameter(type=int)}}, "not a valid Python identifier"),
    ({"INPUTS": {"x": ExecutionParameter(type=int)}}, "must be a ChannelParameter"),
    ({"INPUTS": {"x": ChannelParameter(type=int)}}, "must be an Artifact subclass"),  # type: ignore[arg-type]
    ({"PARAMETERS": {"x": ExecutionParameter(type=set)}}, "must be one of int, float"),
    ({"OUTPUTS": ["model"]}, "must be a dict"),
])
def test_malformed_specs_fail_at_class_definition(tables: dict, message: str) -> None:
    with pytest.raises(ComponentDefinitionError, match=message):
        type("Bad", (ComponentSpec,), tables)


def test_component_class_must_name_executor_by_dotted_path() -> None:
    with pytest.raises(ComponentDefinitionError, match="dotted path"):
        type("Bad", (BaseComponent,), {"SPEC_CLASS": TrainSpec, "EXECUTOR": object})


def test_valid_arguments_bind_with_defaults() -> None:
    node = Train(examples=examples_channel(), train_steps=10)
    assert node.exec_properties == {"train_steps": 10, "learning_rate": 0.01}
    assert set(node.inputs) == {"examples"}
    assert node.outputs["model"].type is Model and node.outputs["model"].producer is node


def test_unknown_argument_suggests_the_close_name() -> None:
    with pytest.raises(ComponentArgumentError, match="unknown argument 'train_step'.*Did you mean "
                                                     "'train_steps'"):
        Train(examples=examples_channel(), train_step=10)


def test_missing_required_parameter_and_input() -> None:
    with pytest.raises(ComponentArgumentError, match="missing required parameter 'train_steps'"):
        Train(examples=examples_channel())
    with pytest.raises(ComponentArgumentError, match="missing required input 'examples'"):
        Train(train_steps=3)


def test_mistyped_parameter_and_int_to_float_widening() -> None:
    with pytest.raises(ComponentArgumentError, match="'train_steps' expects int, found str"):
        Train(examples=examples_channel(), train_steps="10")
    with pytest.raises(ComponentArgumentError, match="expects int, found bool"):
        Train(examples=examples_channel(), train_steps=True)
    assert Train(examples=examples_channel(), train_steps=1,
                 learning_rate=1).exec_properties["learning_rate"] == 1.0


def test_wrong_artifact_type_on_an_input() -> None:
    schema = count_rows(examples=examples_channel(), root="/tmp").outputs["schema"]
    with pytest.raises(ComponentArgumentError, match="'examples' expects Examples, found Schema"):
        Train(examples=schema, train_steps=1)
    with pytest.raises(ComponentArgumentError, match="expects a channel of Examples"):
        Train(examples="gs://bucket/examples", train_steps=1)


def test_outputs_cannot_be_passed() -> None:
    with pytest.raises(ComponentArgumentError, match="'model' is an output"):
        Train(examples=examples_channel(), train_steps=1, model=None)


def test_proto_values_become_their_json_mapping() -> None:
    from google.protobuf import struct_pb2

    value = struct_pb2.Struct()
    value.update({"lower_bound": 0.6})
    node = Train(examples=examples_channel(), train_steps=1, eval_config=value)
    assert node.exec_properties["eval_config"] == {"lower_bound": 0.6}


def test_non_json_values_are_rejected() -> None:
    with pytest.raises(ComponentArgumentError, match="plain JSON data"):
        Train(examples=examples_channel(), train_steps=1, eval_config={"x": object()})


def test_runtime_parameter_type_is_checked() -> None:
    node = Train(examples=examples_channel(), train_steps=RuntimeParameter("steps", int, 5))
    assert isinstance(node.exec_properties["train_steps"], RuntimeParameter)
    with pytest.raises(ComponentArgumentError, match="RuntimeParameter 'steps' of type str"):
        Train(examples=examples_channel(), train_steps=RuntimeParameter("steps", str, "5"))
