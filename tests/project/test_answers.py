"""Template answers are data: checked against the template's rules before anything is rendered,
used literally, never evaluated as Jinja (tfxkit.project.answers; issue 12 item 1)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tfxkit.project import AnswerError
from tfxkit.project.answers import check_answer, load_template_config, resolve_answers
from tfxkit.project.templates import find_template

MARKER_COMMAND = "cycler.__init__.__globals__.os.popen('touch {marker}').read()"


@pytest.fixture(scope="module")
def config() -> dict[str, Any]:
    return load_template_config(find_template("tabular-classification"))


def test_both_templates_share_the_same_rules() -> None:
    rules = [load_template_config(find_template(name))["_tfxkit_rules"]
             for name in ("tabular-classification", "tabular-regression")]
    assert rules[0] == rules[1]
    config = load_template_config(find_template("tabular-classification"))
    asked = [key for key, value in config.items()
             if not key.startswith("_") and not isinstance(value, list)]
    assert set(asked) <= set(rules[0]), "every free-text question has a rule"


def test_defaults_are_valid_and_derived_from_the_answers(config: dict[str, Any]) -> None:
    values = resolve_answers(config, {"project_name": "Churn Radar"})
    assert values["project_slug"] == "churn_radar"
    assert values["package_name"] == values["pipeline_name"] == "churn-radar"
    assert values["kubeflow_image"] == "ghcr.io/example/churn-radar:latest"
    assert values["include_ci"] == "yes"
    assert values["_tfxkit_template_version"] == config["_tfxkit_template_version"]


@pytest.mark.parametrize("answer", [
    "{{ 7*7 }}", "Calc {{ 7*7 }}", "{% for x in range(3) %}x{% endfor %}", "{# note #}",
    "{{ " + MARKER_COMMAND.format(marker="MARKER") + " }}",
])
@pytest.mark.parametrize("key", ["project_name", "description", "author_name", "owner_model"])
def test_template_syntax_is_refused_in_every_field(key: str, answer: str,
                                                   config: dict[str, Any]) -> None:
    with pytest.raises(AnswerError, match=f"answer '{key}' contains template syntax"):
        resolve_answers(config, {key: answer})


def test_a_refused_answer_is_never_rendered(config: dict[str, Any], tmp_path: Path) -> None:
    marker = tmp_path / "MARKER"
    answer = "{{ " + MARKER_COMMAND.format(marker=marker) + " }}"
    for key in ("description", "project_name", "project_slug"):
        with pytest.raises(AnswerError):
            resolve_answers(config, {key: answer})
    assert not marker.exists()


def test_quotes_backslashes_and_unicode_are_kept_literally(config: dict[str, Any]) -> None:
    given = {"description": 'Penguins "Adelie" and friends \\ ünïcode ✓ \'quoted\'',
             "author_name": "Zoë O'Brien \"Z\""}
    values = resolve_answers(config, given)
    assert values["description"] == given["description"]
    assert values["author_name"] == given["author_name"]


@pytest.mark.parametrize(("key", "value", "message"), [
    ("description", "ok\nversion = 1", "description must be a single line of text"),
    ("description", "ok\r", "description must be a single line of text"),
    ("author_name", "Ada\tLovelace", "author_name must be a single line of text"),
    ("project_slug", "my_project\n", "project_slug must be a single line"),
    ("project_name", "\"; import os; os.system('true') #",
     "project_name=.*: expected text up to 80 characters starting with a letter"),
    ("kubeflow_host", "https://kf.example.com/$(shell touch MARKER)", "kubeflow_host=.*: expected"),
    ("author_email", 'a"""@example.com', "author_email=.*: expected an email address"),
    ("owner_model", "x'''@example.com", "owner_model=.*: expected a GitHub @user"),
    ("author_name", "Ada <ada@example.com>", "author_name=.*: expected a name without"),
    ("include_ci", "maybe", "include_ci='maybe': expected one of yes, no"),
    ("description", ["a", "list"], "description: expected text, found list"),
    ("description", 42, "description: expected text, found int"),
    ("description", "x" * 301, "description=.*: expected one line of text, up to 300"),
])
def test_bad_answers_name_the_field_and_the_rule(key: str, value: Any, message: str,
                                                 config: dict[str, Any]) -> None:
    with pytest.raises(AnswerError, match=message):
        resolve_answers(config, {key: value})


def test_a_derived_answer_that_breaks_its_rule_says_so(config: dict[str, Any]) -> None:
    with pytest.raises(AnswerError, match=r"project_slug='my_project!' \(derived from another"):
        resolve_answers(config, {"project_name": "My Project!"})


@pytest.mark.parametrize(("answers", "message"), [
    ({"projectname": "X"}, r"Unknown template answer: projectname\. Did you mean 'project_name'\? "
                           r"This template asks: project_name, "),
    ({"_tfxkit_template_version": "9.9.9"}, "Unknown template answer.*_tfxkit_template_version"),
    ({"_copy_without_render": "*"}, "Unknown template answer"),
])
def test_unknown_and_private_keys_are_refused(answers: dict[str, Any], message: str,
                                              config: dict[str, Any]) -> None:
    with pytest.raises(AnswerError, match=message):
        resolve_answers(config, answers)


def test_every_error_is_listed_at_once(config: dict[str, Any]) -> None:
    with pytest.raises(AnswerError) as caught:
        resolve_answers(config, {"description": "a\nb", "owner_data": "bob",
                                 "python_version": "3.9"})
    text = str(caught.value)
    assert "description must be a single line" in text
    assert "owner_data='bob'" in text and "python_version='3.9'" in text


def test_answers_read_back_name_their_file(config: dict[str, Any]) -> None:
    with pytest.raises(AnswerError, match=r"answers in x/.tfxkit/answers.json are not valid; "
                                          r"nothing was rendered(.|\n)*Fix: correct the answer"):
        resolve_answers(config, {"description": "{{ 7*7 }}"}, where="x/.tfxkit/answers.json")


def test_check_answer_accepts_the_documented_forms(config: dict[str, Any]) -> None:
    for key, value in [("owner_data", "@acme/data-eng"), ("owner_data", "ft@example.org"),
                       ("kubeflow_host", "http://localhost:8080/pipeline"),
                       ("kubeflow_image", "registry.acme.io/ml/churn:1.2"),
                       ("project_name", "Ünïcode Näme (v2) & co."), ("description", ""),
                       ("include_ci", "no")]:
        assert check_answer(key, value, config) is None, (key, value)


def test_prompted_answers_are_checked_and_asked_again(config: dict[str, Any],
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    typed = {"project_name": ["{{ 7*7 }}", "Churn"], "description": ["two\nlines", "One line"]}
    asked: list[tuple[str, Any]] = []

    def ask(key: str, default: Any, _config: Any) -> Any:
        asked.append((key, default))
        return typed[key].pop(0) if typed.get(key) else default

    values = resolve_answers(config, {"owner_model": "@ml"}, ask=ask)
    assert values["project_name"] == "Churn" and values["description"] == "One line"
    assert values["project_slug"] == "churn", "derived defaults use the answers so far"
    assert ("project_slug", "churn") in asked and "owner_model" not in dict(asked)
    out = capsys.readouterr().out
    assert "contains template syntax" in out and "must be a single line" in out


def test_a_bad_answer_gets_an_example_for_its_own_key() -> None:
    """The fix line shows the failing key with the template's default, not another key."""
    from tfxkit.project import new_project

    with pytest.raises(AnswerError, match=r"e\.g\. `tfxkit new owner_model=@[\w-]+` \(the "
                                          r"template's default\)"):
        new_project("tabular-classification", "/nonexistent-never-created",
                    {"owner_model": "model-team"}, no_input=True)
