"""Project templates: list them, and generate a project from one (`tfxkit new`).

Templates are plain cookiecutter templates shipped as package data (`templates/<name>/`).
tfxkit drives cookiecutter's file generation itself: the answers are checked first
(`tfxkit.project.answers`) and handed to cookiecutter as finished values, so that no answer is
ever rendered as a template (cookiecutter's own prompting renders every answer it is given).

A new project records its answers and template version in `.tfxkit/answers.json` (written by the
template's post-generation hook) and where its template lives in `.tfxkit/template.json`, and is
committed as the template's pristine output by the identity `tfxkit template
<template@tfxkit.invalid>`; `tfxkit update` merges later template versions against that commit.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tfxkit.project.answers import (
    ANSWERS_FILE,
    load_template_config,
    prompt_answer,
    recorded_answers,
    resolve_answers,
)
from tfxkit.project.errors import TemplateError

DEFAULT_TEMPLATE = "tabular-classification"
SOURCE_FILE = Path(".tfxkit") / "template.json"
TEMPLATE_COMMITTER = ("tfxkit template", "template@tfxkit.invalid")


@dataclasses.dataclass(frozen=True)
class TemplateInfo:
    """A template: its name, one-line description, version and folder."""

    name: str
    description: str
    version: str
    path: Path


def templates_root() -> Path:
    """Folder holding the shipped templates: package data `tfxkit/templates` in an installed
    wheel, or `templates/` beside the `tfxkit/` folder in a checkout (editable install)."""
    package = Path(__file__).resolve().parents[1]
    for candidate in (package / "templates", package.parent / "templates"):
        if candidate.is_dir():
            return candidate
    raise TemplateError(f"tfxkit's templates are missing (looked in {package / 'templates'}); "
                        f"reinstall tfxkit.")


def list_templates() -> list[TemplateInfo]:
    """Every shipped template, by name."""
    found = []
    for folder in sorted(templates_root().iterdir()):
        config = folder / "cookiecutter.json"
        if config.is_file():
            data = json.loads(config.read_text(encoding="utf-8"))
            found.append(TemplateInfo(folder.name, data.get("_tfxkit_description", ""),
                                      data.get("_tfxkit_template_version", "0"), folder))
    return found


def find_template(name_or_path: str) -> Path:
    """The folder of template `name_or_path`: a shipped template's name or a local folder
    holding cookiecutter.json (never a URL: nothing is downloaded).

    Raises:
        TemplateError: no such template, naming the shipped ones.
    """
    for info in list_templates():
        if info.name == name_or_path:
            return info.path
    path = Path(name_or_path).expanduser()
    if (path / "cookiecutter.json").is_file():
        return path.absolute()
    names = ", ".join(t.name for t in list_templates())
    raise TemplateError(f"No template {name_or_path!r}: expected a shipped template's name "
                        f"({names}) or the path of a local folder holding cookiecutter.json.")


def template_reference(template_dir: Path) -> str:
    """How a project names its template: a shipped template by name (the same on every machine),
    any other by its absolute folder."""
    root = templates_root().resolve()
    if template_dir.resolve().parent == root:
        return template_dir.name
    return str(template_dir.absolute())


# Folders that tools write inside a template checkout (linting or testing the template itself):
# never part of a generated project, which would otherwise commit another machine's caches.
TOOL_CACHES = frozenset({"__pycache__", ".ruff_cache", ".mypy_cache", ".pytest_cache"})


def _remove_tool_caches(project: Path) -> None:
    for folder in sorted(project.rglob("*"), reverse=True):
        if folder.name in TOOL_CACHES and folder.is_dir() and not folder.is_symlink():
            shutil.rmtree(folder)


def render_project(template_dir: Path, context: Mapping[str, Any], output_dir: Path) -> Path:
    """Render `template_dir` with finished values `context` into a new folder under
    `output_dir` (cookiecutter's file generation and the template's hooks), record the template
    in `.tfxkit/template.json`, and return the project folder. Values are inserted as they are;
    none is rendered as a template.

    Raises:
        TemplateError: the project folder exists, a hook refused the answers, or the template
            failed to render; nothing is left behind in `output_dir`.
    """
    from cookiecutter.exceptions import (
        CookiecutterException,
        FailedHookException,
        OutputDirExistsException,
    )
    from cookiecutter.generate import generate_files
    from jinja2 import TemplateError as JinjaError

    # cookiecutter logs a traceback for a failing hook; the hook's own message says it better.
    logging.getLogger("cookiecutter").setLevel(logging.CRITICAL)
    output_dir.mkdir(parents=True, exist_ok=True)
    existing = set(output_dir.iterdir())
    try:
        project = Path(generate_files(repo_dir=str(template_dir),
                                      context={"cookiecutter": dict(context)},
                                      output_dir=str(output_dir), accept_hooks=True))
        _remove_tool_caches(project)
        (project / SOURCE_FILE).parent.mkdir(exist_ok=True)
        if not (project / ANSWERS_FILE).exists():  # a template without tfxkit's hook
            (project / ANSWERS_FILE).write_text(
                json.dumps(recorded_answers(context), indent=2, ensure_ascii=False) + "\n",
                encoding="utf-8")
        (project / SOURCE_FILE).write_text(
            json.dumps({"template": template_reference(template_dir)}, indent=2) + "\n",
            encoding="utf-8")
    except OutputDirExistsException:
        raise TemplateError(f"{output_dir / str(context.get('project_slug', ''))} already "
                            f"exists; choose another project_slug or output folder (-o), or "
                            f"move the existing folder away.") from None
    except FailedHookException as exc:
        _remove_new_entries(output_dir, existing)
        raise TemplateError(f"The template rejected the answers (see the messages above); "
                            f"nothing was generated. {exc}") from None
    except (CookiecutterException, JinjaError, OSError) as exc:
        _remove_new_entries(output_dir, existing)
        raise TemplateError(f"Generating from {template_dir} failed: {exc}; nothing was left "
                            f"behind in {output_dir}. Fix the template, or report it if it is "
                            f"a shipped one.") from exc
    except BaseException:
        _remove_new_entries(output_dir, existing)  # never leave a half-generated project
        raise
    return project


def new_project(template: str = DEFAULT_TEMPLATE, output_dir: str | Path = ".",
                answers: Mapping[str, Any] | None = None, no_input: bool = True,
                init_git: bool = True) -> Path:
    """Generate a project from `template` into `output_dir` and return its folder.

    Args:
        template: a shipped template's name or a template folder.
        output_dir: where the project folder is created.
        answers: template answers (`{"project_name": "Churn"}`); unanswered ones use defaults
            (derived ones such as `project_slug` from the answers given).
        no_input: never prompt (default); False asks for each unanswered question.
        init_git: make the project a git repository whose first commit is the template's
            output (`tfxkit update` merges against it).

    Every answer is checked against the template's rules before anything is rendered and is
    used literally, never rendered as a template.

    Raises:
        AnswerError: a bad answer, naming the field and the rule; nothing is written.
        TemplateError: the template is missing or failed; nothing is left behind.
    """
    template_dir = find_template(template)
    config = load_template_config(template_dir)
    context = resolve_answers(config, answers, ask=None if no_input else prompt_answer)
    output = Path(output_dir).absolute()
    project = render_project(template_dir, context, output)
    if init_git and shutil.which("git"):
        git(["init", "-q"], project)
        git(["add", "-A"], project)
        commit_as_template(project, f"Generate from tfxkit template {template_dir.name} "
                                    f"{context.get('_tfxkit_template_version', '')}".rstrip(),
                           author=(str(context.get("author_name") or "tfxkit"),
                                   str(context.get("author_email") or "tfxkit@example.com")))
    return project


def git(args: list[str], cwd: Path, check: bool = True, env: Mapping[str, str] | None = None,
        input_text: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run git in `cwd` (output captured); a failure raises TemplateError with git's message."""
    done = subprocess.run(["git", "-c", "commit.gpgsign=false", *args], cwd=cwd,
                          capture_output=True, text=True, input=input_text,
                          env={**os.environ, **env} if env else None)
    if check and done.returncode != 0:
        raise TemplateError(f"git {' '.join(args)} failed in {cwd}: "
                            f"{(done.stderr or done.stdout).strip()}")
    return done


def template_identity(author: tuple[str, str] | None = None) -> dict[str, str]:
    """Environment naming the template as committer (how `tfxkit update` finds its commits)."""
    name, email = author or TEMPLATE_COMMITTER
    return {"GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email,
            "GIT_COMMITTER_NAME": TEMPLATE_COMMITTER[0],
            "GIT_COMMITTER_EMAIL": TEMPLATE_COMMITTER[1]}


def commit_as_template(project: Path, message: str,
                       author: tuple[str, str] | None = None) -> None:
    """Commit the staged template output in `project`, committed by the template identity."""
    git(["commit", "-q", "--no-verify", "-m", message], project, env=template_identity(author))


def _remove_new_entries(folder: Path, existing: set[Path]) -> None:
    for entry in set(folder.iterdir()) - existing:
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
