"""`tfxkit update`: bring a template's later changes into a generated project, as a three-way merge.

The three versions are all git commits of the project's own repository:

- base: the template's output the project was last generated or updated from — the newest commit
  in the project's history made by the template identity (`tfxkit new` makes the first commit so);
- theirs: the template's current output for the project's recorded answers, rendered now and
  committed (not on any branch) with the base as parent;
- ours: the project as the team has it (HEAD).

`git merge --no-commit` then brings in every template change: files the team has not touched
take the template's version, files both changed are merged hunk by hunk, and changes that cannot
be merged are left with conflict markers and reported by file — nothing is skipped silently. The
merge is left staged for review; committing it records the template commit as a parent, so the
next update merges against it. The answers are read back from `.tfxkit/answers.json` as data
and checked like `tfxkit new` checks them; they are never rendered as templates.
"""

from __future__ import annotations

import dataclasses
import json
import os
import stat
import tempfile
from pathlib import Path
from typing import Any

from tfxkit.project.answers import (
    ANSWERS_FILE,
    load_template_config,
    public_keys,
    read_project_answers,
    resolve_answers,
)
from tfxkit.project.errors import TemplateError
from tfxkit.project.templates import (
    SOURCE_FILE,
    TEMPLATE_COMMITTER,
    find_template,
    git,
    render_project,
    template_identity,
)

LEGACY_SOURCE_FILE = ".cruft.json"
_LEGACY_FIRST_COMMIT = "Generate from tfxkit template"
_CONFLICT_KINDS = {
    "UU": "changed by the template and in the project on the same lines; resolve the marked "
          "hunks",
    "AA": "added by the template and in the project with different content; resolve the marked "
          "hunks",
    "UD": "changed in the project, deleted by the template; keep it (git add) or delete it "
          "(git rm)",
    "DU": "deleted in the project, changed by the template; restore it (git add) or confirm the "
          "deletion (git rm)",
    "AU": "added in the project, conflicting with a template change; resolve it",
    "UA": "added by the template, conflicting with a project change; resolve it",
    "DD": "deleted on both sides after a rename; confirm with git rm",
}


@dataclasses.dataclass
class UpdateReport:
    """What `update_project` did.

    Attributes:
        updated: template changes were merged into the working tree (staged, not committed).
        up_to_date: the template's output for the project's answers has not changed.
        changed_files: every file the update changed, added or deleted (project-relative).
        conflicts: files that could not be merged (conflict markers or a kept side), each
            explained in `details`.
        details: for each conflicting file, what happened and how to resolve it.
        from_version, to_version: the template versions merged from and to.
        notes: anything else the user should know (answers the template no longer asks).
    """

    updated: bool
    up_to_date: bool
    changed_files: list[str]
    conflicts: list[str]
    details: dict[str, str] = dataclasses.field(default_factory=dict)
    from_version: str = ""
    to_version: str = ""
    notes: list[str] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class _Plan:
    project: Path
    base: str
    template_dir: Path
    context: dict[str, Any]
    from_version: str
    notes: list[str]


def is_up_to_date(project_dir: str | Path = ".", template_path: str | None = None) -> bool:
    """Whether the template's current output for the project's answers equals what the project
    was last generated or updated from (`tfxkit update --check`). Writes nothing in the project.

    Raises:
        TemplateError / AnswerError: as `update_project`.
    """
    plan = _plan(Path(project_dir).absolute(), template_path)
    with tempfile.TemporaryDirectory(prefix="tfxkit-update-") as scratch:
        rendered = render_project(plan.template_dir, plan.context, Path(scratch))
        return _dir_entries(plan.project, rendered) == _tree_entries(plan.project, plan.base)


def update_project(project_dir: str | Path = ".", template_path: str | None = None) -> UpdateReport:
    """Three-way merge the template's changes into the project (see the module docstring).

    Args:
        project_dir: the generated project (a git repository with a clean working tree).
        template_path: the template to update from; default: the one recorded in
            `.tfxkit/template.json` (a shipped template's name or a local folder).

    Returns:
        An UpdateReport; `conflicts` is empty unless a change could not be merged.

    Raises:
        AnswerError: an answer in `.tfxkit/answers.json` breaks the template's rules (nothing is
            rendered from it).
        TemplateError: not a generated project, not a git repository, uncommitted changes, an
            unfinished merge, or no template commit in the history.
    """
    project = Path(project_dir).absolute()
    _require_clean_repository(project)
    plan = _plan(project, template_path)
    with tempfile.TemporaryDirectory(prefix="tfxkit-update-") as scratch:
        rendered = render_project(plan.template_dir, plan.context, Path(scratch))
        to_version = str(plan.context.get("_tfxkit_template_version", ""))
        if _dir_entries(project, rendered) == _tree_entries(project, plan.base):
            return UpdateReport(False, True, [], [], from_version=plan.from_version,
                                to_version=to_version, notes=plan.notes)
        tree = _write_tree(project, rendered)
    name = plan.context.get("_tfxkit_template", plan.template_dir.name)
    message = (f"tfxkit template {name} {to_version}\n\nThe template's output for this "
               f"project's answers; `tfxkit update` merges it into the project.\n")
    commit = git(["commit-tree", tree, "-p", plan.base, "-m", message], project,
                 env=template_identity()).stdout.strip()
    merged = git(["merge", "--no-ff", "--no-commit", "--no-edit", commit], project, check=False,
                 env=template_identity())
    status = _status(project)
    conflicts = {path: _CONFLICT_KINDS.get(code, f"could not be merged ({code})")
                 for path, code in status.items() if code in _CONFLICT_KINDS or "U" in code}
    if merged.returncode != 0 and not conflicts:
        git(["merge", "--abort"], project, check=False)
        raise TemplateError(f"The template changes could not be merged into {project}; nothing "
                            f"was changed. git said: {(merged.stderr or merged.stdout).strip()}")
    merge_msg = project / git(["rev-parse", "--git-path", "MERGE_MSG"], project).stdout.strip()
    merge_msg.write_text(
        f"Update from tfxkit template {name} {plan.from_version} -> {to_version}\n",
        encoding="utf-8")
    return UpdateReport(True, False, sorted(status), sorted(conflicts), details=conflicts,
                        from_version=plan.from_version, to_version=to_version, notes=plan.notes)


def _require_clean_repository(project: Path) -> None:
    if not project.is_dir():
        raise TemplateError(f"{project} is not a folder; pass the generated project's folder.")
    read_project_answers(project)  # a clear message when this is not a generated project
    if not (project / ".git").exists():
        raise TemplateError(f"{project} is not a git repository; `tfxkit update` needs git to "
                            f"merge safely. Run `git init && git add -A && git commit` first.")
    merge_head = git(["rev-parse", "--git-path", "MERGE_HEAD"], project).stdout.strip()
    if (project / merge_head).exists():
        raise TemplateError(f"{project} has an unfinished merge (an earlier `tfxkit update`?). "
                            f"Finish it with `git commit`, or undo it with `git merge --abort`, "
                            f"then run `tfxkit update` again.")
    dirty = git(["status", "--porcelain"], project).stdout.rstrip()
    if dirty:
        raise TemplateError(f"{project} has uncommitted changes; commit or stash them first so "
                            f"the update cannot lose anything:\n{dirty}")


def _plan(project: Path, template_path: str | None) -> _Plan:
    answers = read_project_answers(project)
    try:
        template_dir = find_template(template_path or _recorded_template(project))
    except TemplateError as exc:
        if template_path:
            raise
        raise TemplateError(f"{exc} (recorded in {project / SOURCE_FILE}). If the template "
                            f"lives elsewhere on this machine, pass it: `tfxkit update "
                            f"--template PATH`.") from None
    config = load_template_config(template_dir)
    questions = public_keys(config)
    given = {key: value for key, value in answers.items()
             if not key.startswith("_") and key in questions}
    notes = [f"answer {key!r} in {ANSWERS_FILE} is no longer asked by the template; dropped."
             for key in answers if not key.startswith("_") and key not in questions]
    context = resolve_answers(config, given, where=str(project / ANSWERS_FILE))
    notes += [f"answer {key!r} is new in this template version: took {context[key]!r} (its "
              f"default); to change it, set it in {ANSWERS_FILE}, commit, and run `tfxkit "
              f"update` again." for key in questions if key not in answers]
    return _Plan(project, _template_base(project), template_dir, context,
                 str(answers.get("_tfxkit_template_version", "")), notes)


def _recorded_template(project: Path) -> str:
    source = project / SOURCE_FILE
    legacy = project / LEGACY_SOURCE_FILE
    try:
        if source.is_file():
            return str(json.loads(source.read_text(encoding="utf-8"))["template"])
        if legacy.is_file():
            state = json.loads(legacy.read_text(encoding="utf-8"))
            return str(Path(state["template"]) / state.get("directory", ""))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise TemplateError(f"{source} does not name a template ({exc}); restore it from git, "
                            f"or pass the template: `tfxkit update --template PATH`.") from None
    raise TemplateError(f"{source} is missing: {project} does not say which template it came "
                        f"from. Pass it: `tfxkit update --template NAME_OR_PATH`.")


def _template_base(project: Path) -> str:
    """The newest commit in HEAD's history holding the template's pristine output."""
    log = git(["log", "--topo-order", "--format=%H%x00%ce%x00%s", "HEAD"], project,
              check=False)
    if log.returncode != 0:
        raise TemplateError(f"{project} has no commits; `tfxkit update` merges against the "
                            f"commit `tfxkit new` made. Commit the project first.")
    legacy = None
    for line in log.stdout.splitlines():
        sha, email, subject = line.split("\x00", 2)
        if email == TEMPLATE_COMMITTER[1]:
            return sha
        if legacy is None and subject.startswith(_LEGACY_FIRST_COMMIT):
            legacy = sha
    if legacy:
        return legacy
    raise TemplateError(
        f"No commit of the template's output in {project}'s history: `tfxkit update` merges "
        f"against the commit `tfxkit new` made (committer {TEMPLATE_COMMITTER[0]} "
        f"<{TEMPLATE_COMMITTER[1]}>), and none is reachable from HEAD (was the history "
        f"rewritten or the project copied without it?). Fix: generate the project again with "
        f"`tfxkit new` (same answers) and move your changes onto it.")


def _tree_entries(project: Path, commit: str) -> dict[str, tuple[str, str]]:
    out = git(["ls-tree", "-r", "-z", commit], project).stdout
    entries = {}
    for item in out.split("\x00"):
        if item:
            meta, path = item.split("\t", 1)
            mode, _kind, sha = meta.split()
            entries[path] = (mode, sha)
    return entries


def _dir_entries(project: Path, folder: Path) -> dict[str, tuple[str, str]]:
    """What `git add -A` of `folder` would record (mode, blob id), computed without writing."""
    with tempfile.TemporaryDirectory(prefix="tfxkit-index-") as scratch:
        env = {"GIT_INDEX_FILE": str(Path(scratch) / "index"),
               "GIT_DIR": git(["rev-parse", "--absolute-git-dir"], project).stdout.strip(),
               "GIT_WORK_TREE": str(folder)}
        listed = git(["ls-files", "-z", "--others", "--exclude-standard"], folder, env=env)
        paths = [path for path in listed.stdout.split("\x00") if path]
        entries = {}
        files = []
        for path in paths:
            info = (folder / path).lstat()
            if stat.S_ISLNK(info.st_mode):
                target = os.readlink(folder / path)
                link = git(["hash-object", "--stdin"], folder, env=env, input_text=target)
                entries[path] = ("120000", link.stdout.strip())
            else:
                files.append(path)
                entries[path] = ("100755" if info.st_mode & stat.S_IXUSR else "100644", "")
        if files:
            hashed = git(["hash-object", "--stdin-paths"], folder, env=env,
                         input_text="\n".join(files) + "\n").stdout.split()
            for path, sha in zip(files, hashed, strict=True):
                entries[path] = (entries[path][0], sha)
        return entries


def _write_tree(project: Path, folder: Path) -> str:
    """Store `folder` (as `git add -A` sees it) in the project's repository; its tree id."""
    with tempfile.TemporaryDirectory(prefix="tfxkit-index-") as scratch:
        env = {"GIT_INDEX_FILE": str(Path(scratch) / "index"),
               "GIT_DIR": git(["rev-parse", "--absolute-git-dir"], project).stdout.strip(),
               "GIT_WORK_TREE": str(folder)}
        git(["add", "-A", "."], folder, env=env)
        return git(["write-tree"], folder, env=env).stdout.strip()


def _status(project: Path) -> dict[str, str]:
    out = git(["status", "--porcelain=v1", "-z", "--untracked-files=no"], project).stdout
    items = out.split("\x00")
    status: dict[str, str] = {}
    index = 0
    while index < len(items):
        item = items[index]
        index += 1
        if not item:
            continue
        code, path = item[:2], item[3:]
        if code[0] in "RC":
            index += 1  # the original path of a rename follows
        status[path] = code
    return status
