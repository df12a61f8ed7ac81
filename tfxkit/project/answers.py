"""Template answers: data, never code.

Every answer a user gives (`tfxkit new key=value`, a prompt, or `.tfxkit/answers.json` read back
by `tfxkit update`) is checked before anything is rendered, and is then used literally: it is
never evaluated as a Jinja template. Only the template author's own defaults (such as
`project_slug` derived from `project_name`) are rendered, with the answers given so far as
plain values. The rules come from the template (`_tfxkit_rules` in cookiecutter.json: a regular
expression the whole answer must match, and what it expects in words); on top of them every
answer must be one line of text without template syntax (`{{`, `{%`, `{#`), so that no tool
that renders answers later (plain cookiecutter, cruft) can be made to run code either.

This is where tfxkit differs from cookiecutter, whose `prompt_for_config` renders every value,
including values given as `extra_context`, as a template.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from tfxkit.dsl.names import did_you_mean
from tfxkit.project.errors import TemplateError

TEMPLATE_SYNTAX = ("{{", "{%", "{#")
MAX_ANSWER_CHARS = 1000
# Private keys recorded in a project's answers file besides the answers themselves.
RECORDED_PRIVATE = ("_tfxkit_template", "_tfxkit_template_version")
ANSWERS_FILE = Path(".tfxkit") / "answers.json"
_DERIVED_NOTE = " (derived from another answer; pass it explicitly as key=value)"


class AnswerError(TemplateError, ValueError):
    """One or more template answers break the template's rules; nothing was rendered."""


def load_template_config(template_dir: Path) -> dict[str, Any]:
    """The template's cookiecutter.json, in file order.

    Raises:
        TemplateError: the file is missing or not a JSON object.
    """
    path = template_dir / "cookiecutter.json"
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise TemplateError(f"{path} could not be read as JSON ({exc}); a template needs a "
                            f"cookiecutter.json object of questions and defaults.") from None
    if not isinstance(config, dict):
        raise TemplateError(f"{path} holds {type(config).__name__}; expected a JSON object of "
                            f"questions and defaults.")
    return config


def public_keys(config: Mapping[str, Any]) -> list[str]:
    """The questions a template asks, in order (keys not starting with '_')."""
    return [key for key in config if not key.startswith("_")]


def check_answer(key: str, value: Any, config: Mapping[str, Any], derived: bool = False) -> str | None:
    """What is wrong with answer `key=value` for this template, or None when it is fine.

    Checks, in order: text (or a choice of a choice question), one line, no template syntax,
    length, then the template's rule for `key`.
    """
    default = config.get(key)
    if isinstance(default, list):
        choices = [str(choice) for choice in default]
        if value not in choices:
            return f"{key}={value!r}: expected one of {', '.join(choices)}."
        return None
    if isinstance(default, bool):
        if isinstance(value, bool):
            return None
        return f"{key}={value!r}: expected true or false."
    if not isinstance(value, str):
        return f"{key}: expected text, found {type(value).__name__} {value!r}."
    found = [mark for mark in TEMPLATE_SYNTAX if mark in value]
    if found:
        return (f"answer {key!r} contains template syntax ({found[0]!r}); answers are taken "
                f"literally and may not contain '{{{{', '{{%' or '{{#'.")
    if any(ord(char) < 32 or ord(char) == 127 for char in value):
        kind = "a line break" if ("\n" in value or "\r" in value) else "a control character"
        return f"{key} must be a single line of text (found {kind} in {value!r})."
    if len(value) > MAX_ANSWER_CHARS:
        return f"{key}: expected at most {MAX_ANSWER_CHARS} characters, found {len(value)}."
    rules = config.get("_tfxkit_rules") or {}
    if key in rules:
        pattern, expected = rules[key]
        if not re.fullmatch(pattern, value):
            note = _DERIVED_NOTE if derived else ""
            return f"{key}={value!r}{note}: expected {expected}."
    return None


def resolve_answers(config: Mapping[str, Any], given: Mapping[str, Any] | None = None,
                    ask: Callable[[str, Any, Mapping[str, Any]], Any] | None = None,
                    where: str = "") -> dict[str, Any]:
    """Every template value for a project: the given answers, checked and kept literally, then
    the remaining questions answered by `ask` (prompting) or by their defaults.

    Args:
        config: the template's cookiecutter.json.
        given: answers by key (`{"project_name": "Churn"}`); private keys ('_...') and keys the
            template does not ask are refused.
        ask: called as `ask(key, default, config)` for each question not in `given` (prompting);
            None takes the defaults.
        where: where the answers came from, for messages (e.g. a file path).

    Returns:
        The full cookiecutter context: the template's private keys as they are, and one value
        per question. Only the template's own default texts are rendered as Jinja.

    Raises:
        AnswerError: listing every bad answer with the field and the rule, before anything is
            rendered from a bad answer.
    """
    given = dict(given or {})
    source = f" in {where}" if where else ""
    questions = public_keys(config)
    unknown = sorted(key for key in given if key not in questions)
    if unknown:
        hints = "".join(did_you_mean(key, list(questions)) for key in unknown)
        raise AnswerError(f"Unknown template answer{'s' if len(unknown) > 1 else ''}{source}: "
                          f"{', '.join(unknown)}.{hints} This template asks: "
                          f"{', '.join(questions)}. Fix: use one of these names as key=value.")
    bad = {key: error for key, value in given.items()
           if (error := check_answer(key, value, config)) is not None}
    if bad:
        raise _answer_error(list(bad.values()), source, next(iter(bad)), config)

    from cookiecutter.environment import StrictEnvironment

    env = StrictEnvironment(context={"cookiecutter": dict(config)}, keep_trailing_newline=True,
                            **(config.get("_jinja2_env_vars") or {}))
    values: dict[str, Any] = {}
    derived: set[str] = set()
    for key, raw in config.items():
        if key.startswith("_"):
            values[key] = raw
            continue
        if key in given:
            values[key] = given[key]
            continue
        default = _render_default(env, key, raw, values)
        if ask is not None:
            values[key] = _ask_until_valid(ask, key, default, config)
            continue
        values[key] = default
        if isinstance(raw, str) and "{{" in raw:
            derived.add(key)
    bad = {key: error for key in questions
           if (error := check_answer(key, values[key], config, key in derived)) is not None}
    if bad:
        raise _answer_error(list(bad.values()), source, next(iter(bad)), config)
    return values


def _render_default(env: Any, key: str, raw: Any, values: Mapping[str, Any]) -> Any:
    """The template author's default for `key`: a choice list's first entry, or its text rendered
    with the answers so far as plain values (Jinja never re-renders a value it outputs)."""
    from jinja2 import TemplateError as JinjaError

    if isinstance(raw, list):
        return str(raw[0]) if raw else ""
    if raw is None or isinstance(raw, (bool, dict)):
        return raw
    try:
        return env.from_string(str(raw)).render(cookiecutter=dict(values))
    except JinjaError as exc:
        raise TemplateError(f"The template's default for {key!r} ({raw!r}) could not be "
                            f"rendered: {exc}. Fix the template's cookiecutter.json, or pass "
                            f"{key}=... explicitly.") from None


def _ask_until_valid(ask: Callable[[str, Any, Mapping[str, Any]], Any], key: str, default: Any,
                     config: Mapping[str, Any]) -> Any:
    while True:
        value = ask(key, default, config)
        error = check_answer(key, value, config)
        if error is None:
            return value
        print(f"  {error} Please answer again.")


def _answer_error(errors: list[str], source: str, first_key: str,
                  config: Mapping[str, Any]) -> AnswerError:
    lines = "\n".join(f"  {error}" for error in errors)
    if source:
        fix = f"Fix: correct the answer{source} (plain text, used literally) and commit it."
    else:
        example = config.get(first_key)
        if not isinstance(example, str) or "{{" in example or not example:
            example = "..."
        fix = ("Fix: answer again, or pass the answer as key=value, e.g. "
               f"`tfxkit new {first_key}={example}` (the template's default).")
    done = "nothing was rendered" if source else "nothing was generated"
    return AnswerError(f"The template answers{source} are not valid; {done}:\n{lines}\n{fix}")


def prompt_answer(key: str, default: Any, config: Mapping[str, Any]) -> Any:
    """Ask for one answer on the terminal (cookiecutter's prompts; the typed text is used
    literally)."""
    from cookiecutter.prompt import read_user_choice, read_user_variable, read_user_yes_no

    prompts = config.get("__prompts__") or {}
    raw = config.get(key)
    if isinstance(raw, list):
        return str(read_user_choice(key, [str(choice) for choice in raw], prompts))
    if isinstance(raw, bool):
        return read_user_yes_no(key, default, prompts)
    return read_user_variable(key, default, prompts)


def recorded_answers(context: Mapping[str, Any]) -> dict[str, Any]:
    """What a project records in `.tfxkit/answers.json`: the answers and the template's name and
    version, nothing machine-specific (the post-generation hook writes the same)."""
    return {key: value for key, value in context.items()
            if not key.startswith("_") or key in RECORDED_PRIVATE}


def read_project_answers(project: Path) -> dict[str, Any]:
    """The answers file of a generated project, as data (parsed JSON, never rendered).

    Raises:
        TemplateError: the file is missing or is not a JSON object.
    """
    path = project / ANSWERS_FILE
    if not path.is_file():
        raise TemplateError(f"{path} is missing: {project} was not generated by `tfxkit new` "
                            f"(or the file was deleted). `tfxkit update` needs the answers the "
                            f"project was generated with; restore the file from git.")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise TemplateError(f"{path} is not valid JSON ({exc}); restore it from git "
                            f"(`git checkout -- {ANSWERS_FILE}`).") from None
    if not isinstance(data, dict):
        raise TemplateError(f"{path} holds {type(data).__name__}; expected a JSON object of "
                            f"answers. Restore it from git.")
    return data
