"""Every file of the project has an owner in CODEOWNERS, by a rule written for it (no
catch-all), and each step's files belong to the owner the template answers name for it.

A new file fails `test_every_file_has_its_own_codeowners_rule` until CODEOWNERS has a line for
it (or its folder). Owners are read back from `.tfxkit/answers.json`: after a change of owner
there, `tfxkit update` regenerates CODEOWNERS.
"""

from __future__ import annotations

import fnmatch
import json
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Who owns what: a file or a folder (ending in /), and the template answer naming its owner.
INTENDED = {
    "pipeline/": "owner_lead",
    "steps/__init__.py": "owner_lead",
    "tests/": "owner_lead",
    "CODEOWNERS": "owner_lead",
    "README.md": "owner_lead",
    "Makefile": "owner_lead",
    "Dockerfile": "owner_lead",
    "pyproject.toml": "owner_lead",
    ".github/": "owner_lead",
    ".tfxkit/": "owner_lead",
    "data/": "owner_data",
    "schema/": "owner_data",
    "steps/data.py": "owner_data",
    "tests/test_data.py": "owner_data",
    "tests/fixtures/ExampleValidator/": "owner_data",
    "steps/preprocessing.py": "owner_transform",
    "tests/test_preprocessing.py": "owner_transform",
    "tests/fixtures/Transform/": "owner_transform",
    "steps/model.py": "owner_model",
    "tests/test_model.py": "owner_model",
    "tests/fixtures/Trainer/": "owner_model",
    "steps/evaluation.py": "owner_evaluation",
    "tests/test_evaluation.py": "owner_evaluation",
    "tests/fixtures/Evaluator/": "owner_evaluation",
}
CATCH_ALL = {"*", "/*", "**", "/**", "/"}
OWNER = re.compile(r"@[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)?|[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")


def codeowners_rules() -> list[tuple[int, str, list[str]]]:
    """(line number, pattern, owners) of every rule in CODEOWNERS, in file order."""
    rules = []
    for number, line in enumerate((ROOT / "CODEOWNERS").read_text().splitlines(), start=1):
        text = line.split("#", 1)[0].strip()
        if text:
            pattern, *owners = text.split()
            rules.append((number, pattern, owners))
    return rules


def matches(pattern: str, path: str) -> bool:
    """Whether a CODEOWNERS (gitignore-style) pattern matches the project-relative file `path`:
    `/x` is anchored at the root, `x/` is a folder and everything under it, a pattern without
    `/` matches a name at any depth; `*` and `?` are wildcards."""
    folder = pattern.endswith("/")
    body = pattern.strip("/")
    anchored = pattern.startswith("/") or "/" in body
    parts = path.split("/")
    candidates = ["/".join(parts[:n]) for n in range(1, len(parts) + (0 if folder else 1))]
    if not anchored:
        candidates = [c.rsplit("/", 1)[-1] for c in candidates]
    return any(fnmatch.fnmatchcase(candidate, body) for candidate in candidates)


def owning_rule(path: str, rules: list[tuple[int, str, list[str]]]
                ) -> tuple[int, str, list[str]] | None:
    """The rule that decides `path`'s owners: the last one matching it (GitHub's rule)."""
    found = None
    for rule in rules:
        if matches(rule[1], path):
            found = rule
    return found


def project_files() -> list[str]:
    """Files git tracks, plus new files not ignored (so a file not committed yet counts)."""
    done = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"],
                          cwd=ROOT, capture_output=True, text=True)
    if done.returncode == 0 and done.stdout.strip():
        return sorted(line for line in done.stdout.splitlines() if (ROOT / line).is_file())
    ignored = ("pipeline_output", "serving_model", "predictions", "reports", ".git", ".venv",
               "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache")
    return sorted(str(p.relative_to(ROOT)) for p in ROOT.rglob("*") if p.is_file()
                  and not set(p.relative_to(ROOT).parts) & set(ignored))


def intended_owner_key(path: str) -> str | None:
    """The answer naming `path`'s intended owner: the most specific INTENDED entry."""
    best = None
    for entry, key in INTENDED.items():
        if path == entry or (entry.endswith("/") and path.startswith(entry)):
            if best is None or len(entry) > len(best[0]):
                best = (entry, key)
    return best[1] if best else None


def test_every_rule_names_valid_owners() -> None:
    rules = codeowners_rules()
    assert rules, "CODEOWNERS has no rules"
    for number, pattern, owners in rules:
        assert owners, f"CODEOWNERS line {number}: {pattern} names no owner"
        for owner in owners:
            assert OWNER.fullmatch(owner), (
                f"CODEOWNERS line {number}: {owner!r} is not a GitHub @user, @org/team or email")


def test_every_file_has_its_own_codeowners_rule() -> None:
    rules = codeowners_rules()
    unowned = [path for path in project_files()
               if (rule := owning_rule(path, rules)) is None or rule[1] in CATCH_ALL]
    assert not unowned, (
        "These files have no CODEOWNERS rule of their own: " + ", ".join(unowned) + ". Add a "
        "line `/<path> <owner>` for each (or its folder) to CODEOWNERS.")


def test_each_file_belongs_to_its_intended_owner() -> None:
    answers = json.loads((ROOT / ".tfxkit" / "answers.json").read_text())
    rules = codeowners_rules()
    wrong = []
    for path in project_files():
        key = intended_owner_key(path)
        rule = owning_rule(path, rules)
        if key is None or rule is None:
            continue
        if rule[2] != [answers[key]]:
            wrong.append(f"{path}: CODEOWNERS line {rule[0]} ({rule[1]}) gives it to "
                         f"{' '.join(rule[2])}, expected {answers[key]} ({key})")
    assert not wrong, "Files owned by the wrong owner:\n" + "\n".join(wrong)

