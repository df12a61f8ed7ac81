"""Artifacts: typed properties, custom properties, plain-data round trip."""

from __future__ import annotations

import pytest

from tfxkit.types import Artifact, ArtifactState
from tfxkit.types.standard_artifacts import (
    STANDARD_TYPES,
    Examples,
    ModelBlessing,
    artifact_class,
)


def test_standard_types_use_tfx_names_and_properties() -> None:
    names = {cls.TYPE_NAME for cls in STANDARD_TYPES}
    assert names == {"Examples", "ExampleStatistics", "Schema", "ExampleAnomalies",
                     "TransformGraph", "TransformCache", "Model", "ModelRun", "ModelEvaluation",
                     "ModelBlessing", "PushedModel", "HyperParameters", "InferenceResult"}
    assert set(Examples.PROPERTIES) == {"span", "version", "split_names"}


def test_properties_read_as_attributes_and_are_typed() -> None:
    examples = Examples(uri="/data/ex")
    examples.split_names = ["train", "eval"]
    examples.span = 3
    assert examples.split_names == ["train", "eval"] and examples.span == 3
    assert examples.properties["split_names"] == '["train", "eval"]'  # TFX's storage
    assert examples.split_uri("eval") == "/data/ex/Split-eval"
    with pytest.raises(TypeError, match="'span' expects int, found str"):
        examples.span = "3"
    with pytest.raises(AttributeError, match="has no property 'colour'"):
        examples.set_property("colour", "red")


def test_custom_properties_accept_scalars_only() -> None:
    blessing = ModelBlessing()
    blessing.set_custom_property("blessed", True)
    assert blessing.get_custom_property("blessed") == 1
    with pytest.raises(TypeError, match="json.dumps"):
        blessing.set_custom_property("details", {"a": 1})


def test_round_trip_through_plain_data() -> None:
    examples = Examples(uri="/x", properties={"span": 1}, custom_properties={"rows": 10})
    examples.id = 4
    examples.state = ArtifactState.LIVE
    again = Artifact.from_dict(examples.to_dict())
    assert isinstance(again, Examples) and again == examples


def test_unknown_type_names_get_a_generic_class() -> None:
    cls = artifact_class("Embeddings")
    assert cls.TYPE_NAME == "Embeddings" and issubclass(cls, Artifact)
    assert artifact_class("Embeddings") is cls
