"""Hostile-input cases: template answers and project updates (issues 12, 19): answers are data,
never code (in `tfxkit new` and read back by `tfxkit update`); quotes, newlines, shell and
code-breaking text refused by field and rule; broken update inputs."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.hostile.harness import bad_template_answers

MARKER = "cycler.__init__.__globals__.os.popen('touch {root}/MARKER').read()"


def never_rendered(root: Path, key: str, template: str) -> Callable[[], None]:
    """`tfxkit new` with an answer that would create root/MARKER if it were rendered."""
    answer = template.format(call=MARKER.format(root=root))
    call = bad_template_answers(root, {key: answer})

    def check() -> None:
        try:
            call()
        finally:
            assert not (root / "MARKER").exists(), "an answer was rendered as a template"
    return check


def generated_project(root: Path) -> Path:
    """A project generated from the shipped template, outside root/projects."""
    from tfxkit.project import new_project

    return new_project("tabular-classification", root / "work", {"project_slug": "victim"})


def commit_all(project: Path, message: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "commit",
                    "-qam", message], cwd=project, check=True, capture_output=True)


def update_with_answer(root: Path, key: str, value: Any) -> Callable[[], None]:
    """`tfxkit update` on a project whose committed answers file holds `key=value`."""
    def run() -> None:
        from tfxkit.project import update_project

        project = generated_project(root)
        path = project / ".tfxkit" / "answers.json"
        answers = json.loads(path.read_text())
        answers[key] = value
        path.write_text(json.dumps(answers))
        commit_all(project, "a teammate's answers")
        try:
            update_project(project)
        finally:
            assert not (root / "MARKER").exists(), "an answer read back was rendered"
    return run


def update_with_broken_answers_file(root: Path) -> Callable[[], None]:
    def run() -> None:
        from tfxkit.project import update_project

        project = generated_project(root)
        (project / ".tfxkit" / "answers.json").write_text('{"project_name": "x",')
        commit_all(project, "truncated answers")
        update_project(project)
    return run


def update_outside_git(root: Path) -> Callable[[], None]:
    def run() -> None:
        from tfxkit.project import new_project, update_project

        update_project(new_project("tabular-classification", root / "work", init_git=False))
    return run


CASES: list[Any] = [
    # trust/template_answer_jinja
    ("template_answer_jinja_command", lambda root: never_rendered(
        root, "description", "{{{{ {call} }}}}"),
     r"answer 'description' contains template syntax"),
    ("template_answer_jinja_expression",
     lambda root: bad_template_answers(root, {"project_name": "Calc {{ 7*7 }}"}),
     r"answer 'project_name' contains template syntax"),
    ("template_answer_jinja_statement", lambda root: never_rendered(
        root, "author_name", "{{% if {call} %}}x{{% endif %}}"),
     r"answer 'author_name' contains template syntax \('\{%'\)"),
    ("template_answer_jinja_comment",
     lambda root: bad_template_answers(root, {"owner_model": "{# hidden #}@bob"}),
     r"answer 'owner_model' contains template syntax \('\{#'\)"),
    ("template_answer_jinja_in_derived_field", lambda root: never_rendered(
        root, "project_slug", "{{{{ {call} }}}}"),
     r"answer 'project_slug' contains template syntax"),
    # trust/template_answer_quotes_newlines
    ("template_answer_code_like_name",
     lambda root: bad_template_answers(root, {"project_name": "\"; import os; os.system('true') #"}),
     r"project_name=.*: expected text up to 80 characters"),
    ("template_answer_newline",
     lambda root: bad_template_answers(root, {"description": "ok\nversion = 1",
                                              "project_name": "Qt"}),
     r"description must be a single line of text \(found a line break"),
    ("template_answer_carriage_return_in_slug",
     lambda root: bad_template_answers(root, {"project_slug": "ok\r"}),
     r"project_slug must be a single line of text"),
    ("template_answer_trailing_newline_passes_no_regex",
     lambda root: bad_template_answers(root, {"pipeline_name": "ok-name\n"}),
     r"pipeline_name must be a single line of text"),
    ("template_answer_makefile_shell",
     lambda root: bad_template_answers(root, {"kubeflow_host":
                                              "https://kf.example.com/$(shell touch MARKER)"}),
     r"kubeflow_host=.*: expected an http\(s\) URL"),
    ("template_answer_docstring_breaking_email",
     lambda root: bad_template_answers(root, {"owner_data": 'a"""@example.com'}),
     r"owner_data=.*: expected a GitHub @user, @org/team or an email address"),
    ("template_answer_git_ident_breaking_name",
     lambda root: bad_template_answers(root, {"author_name": "Eve <eve@example.com>"}),
     r"author_name=.*: expected a name without '<' or '>'"),
    ("template_answer_not_text",
     lambda root: bad_template_answers(root, {"description": ["not", "text"]}),
     r"description: expected text, found list"),
    ("template_answer_unknown_key",
     lambda root: bad_template_answers(root, {"projectname": "Typo"}),
     r"Unknown template answer: projectname\. Did you mean 'project_name'\? This template asks: "
     r"project_name"),
    ("template_answer_private_key",
     lambda root: bad_template_answers(root, {"_copy_without_render": ["*"]}),
     r"Unknown template answer: _copy_without_render"),
    ("template_answer_bad_choice",
     lambda root: bad_template_answers(root, {"include_ci": "sometimes"}),
     r"include_ci='sometimes': expected one of yes, no"),
    # tfxkit update reads the answers back: data, never code
    pytest.param("update_answer_jinja_command", lambda root: update_with_answer(
        root, "description", "{{ " + MARKER.format(root=root) + " }}"),
        r"answers\.json are not valid; nothing was rendered(.|\n)*answer 'description' contains "
        r"template syntax", marks=pytest.mark.integration),
    pytest.param("update_answer_newline", lambda root: update_with_answer(
        root, "project_name", "Line one\nline two"),
        r"project_name must be a single line of text", marks=pytest.mark.integration),
    pytest.param("update_answer_not_text", lambda root: update_with_answer(
        root, "owner_model", {"team": "@x"}),
        r"owner_model: expected text, found dict", marks=pytest.mark.integration),
    pytest.param("update_answers_file_not_json", update_with_broken_answers_file,
                 r"answers\.json is not valid JSON .*restore it from git",
                 marks=pytest.mark.integration),
    pytest.param("update_not_a_git_repository", update_outside_git,
                 r"is not a git repository; `tfxkit update` needs git",
                 marks=pytest.mark.integration),
]
