"""`tfxkit update`: a template change (version A -> B) merged into a project the team edited,
through cruft: template changes arrive, team edits survive, conflicts are reported."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tfxkit.cli.main import main
from tfxkit.project import TemplateError, is_up_to_date, new_project, update_project

REPO = Path(__file__).resolve().parents[2]
SLUG = "{{cookiecutter.project_slug}}"


def git(*args: str, cwd: Path) -> str:
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
                          cwd=cwd, capture_output=True, text=True, check=True).stdout


@pytest.fixture
def template_repo(tmp_path: Path) -> Path:
    """A git repository holding the shipped templates at version A."""
    repo = tmp_path / "template-repo"
    shutil.copytree(REPO / "templates", repo / "templates", symlinks=True)
    git("init", "-q", cwd=repo)
    git("add", "-A", cwd=repo)
    git("commit", "-qm", "version A", cwd=repo)
    return repo / "templates" / "tabular-classification"


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


@pytest.mark.integration
def test_update_merges_template_changes_and_keeps_team_edits(template_repo: Path,
                                                             tmp_path: Path) -> None:
    project = new_project(str(template_repo), tmp_path / "projects")
    assert is_up_to_date(project)
    # The team edits a step module and a config value, and commits.
    edit(project / "steps" / "model.py", "def run_fn(", "# team: tuned\ndef run_fn(")
    edit(project / "pipeline" / "config.py", "train_steps: int = 100", "train_steps: int = 250")
    git("commit", "-qam", "team edits", cwd=project)

    # Version B of the template: a new Makefile target (file untouched by the team), the same
    # config line changed differently (a true conflict), a step module change (skipped).
    root = template_repo / SLUG
    edit(root / "Makefile", "clean:", "lint:           ## check style\n\truff check .\n\nclean:")
    edit(root / "pipeline" / "config.py", "train_steps: int = 100", "train_steps: int = 120")
    edit(root / "steps" / "model.py", "def run_fn(", "# template B\ndef run_fn(")
    (root / "docs.md").write_text("New in version B.\n")
    git("add", "-A", cwd=template_repo.parents[1])
    git("commit", "-qm", "version B", cwd=template_repo.parents[1])

    assert not is_up_to_date(project)
    assert main(["update", str(project), "--check"]) == 1

    report = update_project(project)
    assert report.updated
    assert "Makefile" in report.changed_files
    assert "lint:" in (project / "Makefile").read_text(), "template change arrived"
    assert (project / "docs.md").read_text() == "New in version B.\n"
    model = (project / "steps" / "model.py").read_text()
    assert "# team: tuned" in model and "# template B" not in model, "owned step skipped"
    config = (project / "pipeline" / "config.py").read_text()
    assert "250" in config, "team edit kept"
    assert report.conflicts, "the config line changed on both sides is a conflict"
    assert any("config.py" in name for name in report.conflicts)


def test_update_refuses_a_dirty_tree(template_repo: Path, tmp_path: Path) -> None:
    project = new_project(str(template_repo), tmp_path / "projects")
    (project / "README.md").write_text("uncommitted")
    with pytest.raises(TemplateError, match="uncommitted changes"):
        update_project(project)
    assert (project / "README.md").read_text() == "uncommitted"


def test_update_needs_a_recorded_template(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match="no .cruft.json"):
        update_project(tmp_path)
