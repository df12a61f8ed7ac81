"""Project templates: list them, generate a project (`tfxkit new`), bring template changes into a
project (`tfxkit update`).

Templates are plain cookiecutter templates shipped as package data (`templates/<name>/`). A new
project records its template source, commit and answers in `.cruft.json`, so that cruft, the
cookiecutter ecosystem's update tool, can three-way merge later template changes into it.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import shutil
import subprocess
from pathlib import Path
from typing import Any

from tfxkit._version import __version__
from tfxkit.errors import TfxkitError

DEFAULT_TEMPLATE = "tabular-classification"
CANONICAL_REPO = "https://github.com/tfxkit/tfxkit.git"
CRUFT_FILE = ".cruft.json"
# Step modules that their owners edit: updates never touch them unless asked.
DEFAULT_SKIP = ["steps/preprocessing.py", "steps/model.py", "steps/evaluation.py", "steps/data.py",
                "data/"]
_PRIVATE_RUNTIME_KEYS = ("_output_dir", "_repo_dir", "_checkout")


class TemplateError(TfxkitError):
    """A template could not be found, rendered or applied; the message says what to do."""


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
            data = json.loads(config.read_text())
            found.append(TemplateInfo(folder.name, data.get("_tfxkit_description", ""),
                                      data.get("_tfxkit_template_version", "0"), folder))
    return found


def find_template(name_or_path: str) -> Path:
    """The folder of template `name_or_path`: a shipped template's name or a folder path."""
    path = Path(name_or_path)
    if (path / "cookiecutter.json").is_file():
        return path.absolute()
    for info in list_templates():
        if info.name == name_or_path:
            return info.path
    names = ", ".join(t.name for t in list_templates())
    raise TemplateError(f"No template {name_or_path!r}. Shipped templates: {names}; or pass the "
                        f"path of a folder holding cookiecutter.json.")


def _git(args: list[str], cwd: Path, check: bool = True) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    if check and done.returncode != 0:
        raise TemplateError(f"git {' '.join(args)} failed in {cwd}: {done.stderr.strip()}")
    return done.stdout.strip()


def template_source(template_dir: Path) -> dict[str, str]:
    """Where cruft can find this template again: the git repository holding it and its commit,
    or tfxkit's public repository at this version's tag when it is installed from a wheel."""
    if shutil.which("git"):
        top = _git(["rev-parse", "--show-toplevel"], template_dir, check=False)
        if top:
            return {"template": top, "commit": _git(["rev-parse", "HEAD"], template_dir),
                    "directory": str(template_dir.resolve().relative_to(Path(top).resolve()))}
    return {"template": CANONICAL_REPO, "commit": f"v{__version__}",
            "directory": f"templates/{template_dir.name}"}


def new_project(template: str = DEFAULT_TEMPLATE, output_dir: str | Path = ".",
                answers: dict[str, Any] | None = None, no_input: bool = True,
                init_git: bool = True) -> Path:
    """Generate a project from `template` into `output_dir` and return its folder.

    Args:
        template: a shipped template's name or a template folder.
        output_dir: where the project folder is created.
        answers: template answers (`{"project_name": "Churn"}`); unanswered ones use defaults.
        no_input: never prompt (default); False asks for each answer on the terminal.
        init_git: make the project a git repository with one commit (needed by `update`).

    The project records its template in `.cruft.json`. Bad answers raise TemplateError and leave
    nothing behind.
    """
    from cookiecutter.exceptions import CookiecutterException, FailedHookException
    from cookiecutter.main import cookiecutter

    template_dir = find_template(template)
    output = Path(output_dir).absolute()
    output.mkdir(parents=True, exist_ok=True)
    # cookiecutter logs a traceback for a failing hook; the hook's own message says it better.
    logging.getLogger("cookiecutter").setLevel(logging.CRITICAL)
    existing = set(output.iterdir())
    try:
        project = Path(cookiecutter(str(template_dir), no_input=no_input,
                                    extra_context=dict(answers or {}), output_dir=str(output)))
    except FailedHookException as exc:
        _remove_new_entries(output, existing)
        raise TemplateError(f"The template rejected the answers (see the messages above); "
                            f"nothing was generated. {exc}") from None
    except CookiecutterException as exc:
        _remove_new_entries(output, existing)
        raise TemplateError(f"Generating from {template_dir.name} failed: {exc}; nothing was "
                            f"left behind in {output}.") from exc
    except BaseException:
        _remove_new_entries(output, existing)  # never leave a half-generated project
        raise
    context = json.loads((project / ".tfxkit" / "answers.json").read_text())
    for key in _PRIVATE_RUNTIME_KEYS:
        context.pop(key, None)
    source = template_source(template_dir)
    context["_template"] = source["template"]
    cruft_state = {**source, "checkout": None, "context": {"cookiecutter": context},
                   "skip": list(DEFAULT_SKIP)}
    (project / CRUFT_FILE).write_text(json.dumps(cruft_state, indent=2) + "\n")
    if init_git and shutil.which("git"):
        _git(["init", "-q"], project)
        _git(["add", "-A"], project)
        author = f"{context.get('author_name', 'tfxkit')} <{context.get('author_email', 'x@y')}>"
        _git(["-c", f"user.name={context.get('author_name', 'tfxkit')}",
              "-c", f"user.email={context.get('author_email', 'tfxkit@example.com')}",
              "commit", "-q", "--author", author, "-m",
              f"Generate from tfxkit template {template_dir.name}"], project)
    return project


def _remove_new_entries(folder: Path, existing: set[Path]) -> None:
    for entry in set(folder.iterdir()) - existing:
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)


@dataclasses.dataclass
class UpdateReport:
    """What `update_project` did: whether it changed anything and which files conflict."""

    updated: bool
    up_to_date: bool
    changed_files: list[str]
    conflicts: list[str]


def _cruft_state(project: Path) -> dict[str, Any]:
    path = project / CRUFT_FILE
    if not path.is_file():
        raise TemplateError(f"{project} has no {CRUFT_FILE}: it was not generated by `tfxkit new` "
                            f"(or the file was deleted). Link it with `cruft link <template>`.")
    return dict(json.loads(path.read_text()))


def is_up_to_date(project_dir: str | Path = ".", template_path: str | None = None) -> bool:
    """Whether the project already has its template's latest commit (`tfxkit update --check`)."""
    import cruft

    project = Path(project_dir).absolute()
    state = _cruft_state(project)
    if template_path:
        state_path = project / CRUFT_FILE
        original = state_path.read_text()
        try:
            state_path.write_text(json.dumps({**state, "template": template_path}))
            return bool(cruft.check(project, strict=False))
        finally:
            state_path.write_text(original)
    return bool(cruft.check(project, strict=False))


def update_project(project_dir: str | Path = ".", template_path: str | None = None) -> UpdateReport:
    """Three-way merge the template's changes into the project (with cruft).

    Untouched files take the template's new version, files the team changed keep their changes,
    and hunks that collide are left with conflict markers (or `.rej` files) and listed. Refuses
    to run on a dirty git tree, so nothing the team has not committed can be lost.
    """
    import cruft

    project = Path(project_dir).absolute()
    _cruft_state(project)
    if not (project / ".git").exists():
        raise TemplateError(f"{project} is not a git repository; `tfxkit update` needs git to "
                            f"merge safely. Run `git init && git add -A && git commit` first.")
    dirty = _git(["status", "--porcelain"], project)
    if dirty:
        raise TemplateError(f"{project} has uncommitted changes; commit or stash them first so "
                            f"the update cannot lose anything:\n{dirty}")
    if is_up_to_date(project, template_path):
        return UpdateReport(False, True, [], [])
    ok = cruft.update(project, template_path=Path(template_path) if template_path else None,
                      skip_apply_ask=True, allow_untracked_files=False, strict=False)
    if not ok:
        raise TemplateError("cruft could not update the project (see its message above).")
    status = _git(["status", "--porcelain"], project).splitlines()
    changed = sorted({line[3:] for line in status})
    conflicts = sorted({name for name in changed if name.endswith(".rej") or _has_markers(
        project / name)})
    unmerged = _git(["diff", "--name-only", "--diff-filter=U"], project).splitlines()
    conflicts = sorted(set(conflicts) | set(unmerged))
    return UpdateReport(True, False, changed, conflicts)


def _has_markers(path: Path) -> bool:
    if not path.is_file():
        return False
    try:
        text = path.read_text()
    except UnicodeDecodeError:
        return False
    return "<<<<<<< " in text and ">>>>>>> " in text

