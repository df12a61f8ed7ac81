"""Every user-given name is validated as a whole string (issue 12 item 3): control characters
(newline, NUL, tab, invisible format characters) and path separators are refused wherever they
occur, and the error names the character, its position, the rule and a fix."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from tests.resources.tiny_pipelines import make_examples
from tfxkit import Output, Pipeline, RuntimeParameter, component
from tfxkit.components import Evaluator, Trainer, Transform
from tfxkit.dsl.names import check_id, first_bad_character
from tfxkit.errors import TfxkitError
from tfxkit.types import Channel
from tfxkit.types.standard_artifacts import Examples, Model, Schema

# (bad name, what the error must say about it)
BAD = [
    ("Trainer\n", r"'\\n' \(control character U\+000A\) at position 7"),
    ("Train\x00er", r"'\\x00' \(control character U\+0000\) at position 5"),
    ("\tTrainer", r"'\\t' \(control character U\+0009\) at position 0"),
    ("Trainer\r", r"'\\r' \(control character U\+000D\) at position 7"),
    ("Train\u202eer", r"RIGHT-TO-LEFT OVERRIDE\) at position 5"),
    ("Train\u200ber", r"ZERO WIDTH SPACE\) at position 5"),
    ("a/b", r"'/' \(a path separator\) at position 1"),
    ("a\\b", r"'\\\\' \(a path separator\) at position 1"),
    ("../escape", r"'/' \(a path separator\) at position 2"),
]

NAMED: dict[str, Callable[[str], Any]] = {
    "component id": lambda name: make_examples(root="/tmp").with_id(name),
    "pipeline name": lambda name: Pipeline(name, "/tmp/p", []),
    "component_name": lambda name: component(component_name=name)(_fn),
    "RuntimeParameter name": lambda name: RuntimeParameter(name, int, 1),
    "with_env variable": lambda name: make_examples(root="/tmp").with_env(**{name: "1"}),
    "with_secret variable": lambda name: make_examples(root="/tmp").with_secret(
        "db-credentials", {"password": name}),
    "with_secret name": lambda name: make_examples(root="/tmp").with_secret(name, {"p": "P"}),
    "Evaluator example_splits": lambda name: Evaluator(
        examples=Channel(Examples), model=Channel(Model), eval_config={},
        example_splits=[name]),
    "Transform splits_config": lambda name: Transform(
        examples=Channel(Examples), schema=Channel(Schema), module_file=_module(),
        splits_config={"analyze": [name]}),
    "Trainer train_args splits": lambda name: Trainer(
        examples=Channel(Examples), module_file=_module(), train_args={"splits": [name]}),
}


def _fn(examples: Output[Examples]) -> None:
    """A function to decorate under a bad name."""


def _module() -> str:
    from tests.components.conftest import PENGUIN_MODULE

    return str(PENGUIN_MODULE)


@pytest.mark.parametrize("where", sorted(NAMED))
@pytest.mark.parametrize(("name", "found"), BAD, ids=[repr(b[0]) for b in BAD])
def test_control_characters_and_separators_are_refused_anywhere(where: str, name: str,
                                                                found: str) -> None:
    with pytest.raises(TfxkitError) as caught:
        NAMED[where](name)
    message = str(caught.value)
    assert "expected" in message and "Fix" in message, message
    if where != "with_secret name":  # the secret rule has no room for any of them
        assert re.search(found, message), message


@pytest.mark.parametrize("where", ["component id", "pipeline name", "component_name"])
def test_fix_suggests_a_valid_id(where: str) -> None:
    with pytest.raises(TfxkitError, match=r"Fix: use an id such as 'Trainer'"):
        NAMED[where]("Trainer\n")
    with pytest.raises(TfxkitError, match=r"Fix: use an id such as 'my_pipe'"):
        NAMED[where]("my pipe")


def test_a_trailing_newline_no_longer_slips_past_the_pattern() -> None:
    assert check_id("Trainer", "id") == "Trainer"
    with pytest.raises(TfxkitError, match="not a valid id"):
        check_id("Trainer\n", "id")


@pytest.mark.parametrize("bad", ["2\n", "500m\n", "2 ", "4G\x00"])
def test_resource_quantities_are_matched_whole(bad: str) -> None:
    with pytest.raises(TfxkitError, match="not a Kubernetes quantity"):
        make_examples(root="/tmp").with_resources(cpu=bad)


def test_env_values_with_nul_are_refused() -> None:
    with pytest.raises(TfxkitError, match="without NUL"):
        make_examples(root="/tmp").with_env(MODE="a\x00b")


def test_good_names_pass() -> None:
    node = make_examples(root="/tmp").with_id("Trainer_v2-b")
    assert Pipeline("pipe-1", "/tmp/p", [node]).pipeline_name == "pipe-1"
    assert RuntimeParameter("train_steps", int, 1).name == "train_steps"
    assert first_bad_character("plain_name") is None


def test_too_long_and_leading_digit_say_why() -> None:
    with pytest.raises(TfxkitError, match=r"too long \(101 characters\)"):
        check_id("x" * 101, "id")
    with pytest.raises(TfxkitError, match=r"has '1' at position 0.*such as 'n1abc'"):
        check_id("1abc", "id")
