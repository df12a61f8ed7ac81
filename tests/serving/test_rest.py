"""TF Serving's request and response shapes, without a model: `instances` / `inputs` into
rows, outputs into `predictions` / `outputs` (bare for one output, by name for several, classes
and scores for a classifier that carries its class names)."""

from __future__ import annotations

import base64

import numpy as np
import pytest

from tfxkit.components.bulk_inferrer.saved_model import Signature
from tfxkit.serving.repository import ServedVersion, ServingError
from tfxkit.serving.rest import format_outputs, parse_rows


def served(outputs: dict[str, tuple[int, ...]], class_names: list[str] | None = None
           ) -> ServedVersion:
    signature = Signature("/models/m/1", "serving_default", "examples", outputs, {}, class_names)
    return ServedVersion(1, "/models/m/1", "AVAILABLE", signature=signature)


def test_instances_and_inputs_become_rows() -> None:
    model = served({"outputs": (-1, 1)})
    rows, columnar = parse_rows({"instances": [{"a": 1.0, "b": "x"}, {"a": 2.0, "b": "y"}]},
                                model)
    assert (rows, columnar) == ([{"a": 1.0, "b": "x"}, {"a": 2.0, "b": "y"}], False)
    rows, columnar = parse_rows({"inputs": {"a": [1.0, 2.0], "b": ["x", "y"]}}, model)
    assert (rows, columnar) == ([{"a": 1.0, "b": "x"}, {"a": 2.0, "b": "y"}], True)
    blob = b"\n\x00"
    encoded = base64.b64encode(blob).decode()
    rows, _ = parse_rows({"instances": [{"b64": encoded}, {"examples": {"b64": encoded}}]},
                         model)
    assert rows == [blob, blob]
    # A feature that happens to be named "b64"-free and holds a dict is left to feature checks.
    rows, _ = parse_rows({"instances": [{"a": {"b64": encoded}, "b": "x"}]}, model)
    assert rows == [{"a": {"b64": encoded}, "b": "x"}]


@pytest.mark.parametrize(("body", "message"), [
    ("text", "expected a JSON object"),
    ({"instances": {"a": 1}}, "non-empty list"),
    ({"inputs": {"a": 1}}, "one per example"),
    ({"inputs": {}}, "one per example"),
    ({"instances": [{"b64": 3}]}, "expected a base64 string"),
])
def test_bad_shapes(body: object, message: str) -> None:
    with pytest.raises(ServingError, match=message) as caught:
        parse_rows(body, served({"outputs": (-1,)}))
    assert caught.value.status == 400


def test_one_output_is_returned_bare() -> None:
    model = served({"outputs": (-1, 2)})
    outputs = {"outputs": np.array([[0.5, 1.5], [2.0, 3.0]], dtype=np.float32)}
    assert format_outputs(outputs, model, False) == {"predictions": [[0.5, 1.5], [2.0, 3.0]]}
    assert format_outputs(outputs, model, True) == {"outputs": [[0.5, 1.5], [2.0, 3.0]]}


def test_several_outputs_by_name_and_bytes_as_text() -> None:
    model = served({"value": (-1,), "label": (-1,)})
    outputs = {"value": np.array([1.0, 2.0]), "label": np.array([b"a", b"b"], dtype=object)}
    assert format_outputs(outputs, model, False) == {
        "predictions": [{"value": 1.0, "label": "a"}, {"value": 2.0, "label": "b"}]}
    assert format_outputs(outputs, model, True) == {
        "outputs": {"value": [1.0, 2.0], "label": ["a", "b"]}}


def test_classifier_with_class_names() -> None:
    model = served({"outputs": (-1, 3)}, ["Adelie", "Gentoo", "Chinstrap"])
    outputs = {"outputs": np.array([[0.25, 0.5, 0.25]])}
    assert format_outputs(outputs, model, False) == {"predictions": [
        {"classes": ["Adelie", "Gentoo", "Chinstrap"], "scores": [0.25, 0.5, 0.25]}]}
    # Class names that do not match the output's width are not applied.
    narrow = {"outputs": np.array([[0.25, 0.75]])}
    assert format_outputs(narrow, model, False) == {"predictions": [[0.25, 0.75]]}
