"""Pipeline: checked when built (duplicate ids, cycles, missing upstream, names)."""

from __future__ import annotations

import pytest

from tests.resources.tiny_pipelines import count_rows, create_pipeline, make_examples, measure
from tfxkit import Pipeline, RuntimeParameter
from tfxkit.errors import PipelineDefinitionError
from tfxkit.types import Channel
from tfxkit.types.standard_artifacts import Examples


def test_components_are_sorted_topologically() -> None:
    pipeline = create_pipeline("/tmp/x")
    ids = [n.id for n in pipeline.components]
    assert ids[0] == "make_examples" and ids[-1] == "combine"
    assert pipeline.metadata.endswith("/tmp/x/metadata.sqlite")
    assert [n.id for n in pipeline.downstream("count_rows")] == ["count_rows", "combine"]
    assert [n.id for n in pipeline.upstream_closure("measure")] == ["make_examples", "measure"]


def test_duplicate_ids_are_listed_with_the_fix() -> None:
    gen = make_examples(root="/tmp")
    a = count_rows(examples=gen.outputs["examples"], root="/tmp")
    b = count_rows(examples=gen.outputs["examples"], root="/tmp")
    with pytest.raises(PipelineDefinitionError, match=r"appear more than once: count_rows.*"
                                                      r"with_id"):
        Pipeline("p", "/tmp/p", [gen, a, b])
    Pipeline("p", "/tmp/p", [gen, a, b.with_id("count_rows_2")])


def test_missing_upstream_component_is_named() -> None:
    gen = make_examples(root="/tmp")
    counted = count_rows(examples=gen.outputs["examples"], root="/tmp")
    with pytest.raises(PipelineDefinitionError, match="comes from make_examples, which is not in "
                                                      "the pipeline's components"):
        Pipeline("p", "/tmp/p", [counted])


def test_unbound_channel_is_rejected() -> None:
    node = count_rows(examples=Channel(type=Examples), root="/tmp")
    with pytest.raises(PipelineDefinitionError, match="no component produces"):
        Pipeline("p", "/tmp/p", [node])


def test_cycles_are_reported_with_their_path() -> None:
    gen = make_examples(root="/tmp")
    a = count_rows(examples=gen.outputs["examples"], root="/tmp")
    b = measure(examples=gen.outputs["examples"], root="/tmp")
    # Channels are normally acyclic by construction; rewire by hand to force a cycle.
    a.inputs["examples"] = Channel(type=Examples, producer=b, output_key="model")
    b.inputs["examples"] = Channel(type=Examples, producer=a, output_key="schema")
    with pytest.raises(PipelineDefinitionError, match="has a cycle: .*count_rows.*measure"):
        Pipeline("p", "/tmp/p", [gen, a, b])


@pytest.mark.parametrize("bad", ["../escape", "a/b", "", "has space", "x" * 101, ".hidden"])
def test_ids_and_names_that_could_escape_a_directory_are_rejected(bad: str) -> None:
    with pytest.raises(PipelineDefinitionError, match="not a valid id"):
        make_examples(root="/tmp").with_id(bad)
    with pytest.raises(PipelineDefinitionError, match="not a valid id"):
        Pipeline(bad, "/tmp/p", [])


def test_components_must_be_instances() -> None:
    with pytest.raises(PipelineDefinitionError, match="did you pass the class"):
        Pipeline("p", "/tmp/p", [make_examples])  # type: ignore[list-item]


def test_conflicting_runtime_parameters() -> None:
    a = make_examples(root="/tmp", rows=RuntimeParameter("rows", int, 3))
    b = make_examples(root="/tmp", rows=RuntimeParameter("rows", int, 4)).with_id("other")
    with pytest.raises(PipelineDefinitionError, match="declared twice"):
        Pipeline("p", "/tmp/p", [a, b]).runtime_parameters()


def test_runtime_parameter_coercion() -> None:
    param = RuntimeParameter("steps", int, 5)
    assert param.resolve({}) == 5 and param.resolve({"steps": "7"}) == 7
    with pytest.raises(ValueError, match="expects int"):
        param.resolve({"steps": "seven"})
    with pytest.raises(ValueError, match="has no default"):
        RuntimeParameter("x", float).resolve({})
    assert RuntimeParameter("flag", bool, False).resolve({"flag": "true"}) is True
