"""`tfxkit update`: a template release merged into a generated project as a three-way git merge
(issue 19 item 6, case fail-early/update_conflict): clean on an untouched project, team edits
kept, step files merged, conflicts reported by file and never dropped, answers read back as data
(issue 12 item 1)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tfxkit.project import AnswerError, TemplateError, is_up_to_date, new_project, update_project

REPO = Path(__file__).resolve().parents[2]
SLUG = "{{cookiecutter.project_slug}}"
MODEL_LINE = "TEMPLATE_MODEL_REVISION = 2"


def git(*args: str, cwd: Path) -> str:
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
                          cwd=cwd, capture_output=True, text=True, check=True).stdout


def tfxkit(*argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tfxkit", *argv], cwd=cwd, capture_output=True,
                          text=True, timeout=300)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


@pytest.fixture
def tpl(tmp_path: Path) -> Path:
    """The shipped classification template copied to TPL/ and committed (version 1.0.0)."""
    folder = tmp_path / "TPL"
    shutil.copytree(REPO / "templates" / "tabular-classification", folder)
    git("init", "-q", cwd=folder)
    release(folder, "1.0.0")  # the shipped version renamed, so releases here count from 1.0.0
    return folder


@pytest.fixture
def project(tpl: Path, tmp_path: Path) -> Path:
    return new_project(str(tpl), tmp_path / "OUT", {"project_slug": "upd"})


def release(tpl: Path, version: str) -> None:
    """Commit the template's current edits as `version`."""
    config = tpl / "cookiecutter.json"
    data = json.loads(config.read_text())
    data["_tfxkit_template_version"] = version
    config.write_text(json.dumps(data, indent=2) + "\n")
    git("add", "-A", cwd=tpl)
    git("commit", "-qm", version, cwd=tpl)


def release_1_1(tpl: Path) -> None:
    """The case's template_1_1.patch: a new config field, a new last line in steps/model.py."""
    edit(tpl / SLUG / "pipeline" / "config.py", "    enable_cache: bool = True\n",
         "    enable_cache: bool = True\n    # 1.1.0: rows StatisticsGen samples (None: all)\n"
         "    stats_sample_rows: int | None = None\n")
    model = tpl / SLUG / "steps" / "model.py"
    model.write_text(model.read_text() + f"\n\n# Added in template 1.1.0.\n{MODEL_LINE}\n")
    release(tpl, "1.1.0")


@pytest.mark.integration
def test_case_update_conflict(tpl: Path, tmp_path: Path) -> None:
    """The case as a user runs it: clean update of an untouched project, step file merged."""
    done = tfxkit("new", "-o", "OUT", "--no-input", str(tpl), "project_slug=upd", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    project = tmp_path / "OUT" / "upd"
    done = tfxkit("update", cwd=project)
    assert done.returncode == 0, done.stderr
    assert "up to date" in done.stdout

    release_1_1(tpl)
    assert tfxkit("update", "--check", cwd=project).returncode == 1
    done = tfxkit("update", cwd=project)
    assert done.returncode == 0, done.stdout + done.stderr
    assert not list(project.rglob("*.rej"))
    model = (project / "steps" / "model.py").read_text()
    assert model.rstrip().endswith(MODEL_LINE)
    assert "stats_sample_rows: int | None = None" in (project / "pipeline" / "config.py").read_text()
    answers = json.loads((project / ".tfxkit" / "answers.json").read_text())
    assert answers["_tfxkit_template_version"] == "1.1.0"
    assert not {"_output_dir", "_repo_dir", "_template", "_checkout"} & set(answers)
    assert str(tmp_path) not in json.dumps(answers)
    output = done.stdout + done.stderr
    assert "steps/model.py" in output and "cruft" not in output.lower()
    assert "CONFLICT" not in output
    status = git("status", "--porcelain", cwd=project)
    assert "M  steps/model.py" in status and "U" not in status.split()
    git("commit", "-qm", "Update to template 1.1.0", cwd=project)
    done = tfxkit("update", cwd=project)
    assert done.returncode == 0 and "up to date" in done.stdout, done.stdout + done.stderr


def test_untouched_project_is_up_to_date(project: Path) -> None:
    assert is_up_to_date(project)
    report = update_project(project)
    assert report.up_to_date and not report.updated and not report.conflicts
    assert git("status", "--porcelain", cwd=project) == ""


def test_check_writes_nothing(project: Path, tpl: Path) -> None:
    release_1_1(tpl)
    before = git("count-objects", "-v", cwd=project)
    assert not is_up_to_date(project)
    assert git("count-objects", "-v", cwd=project) == before
    assert git("status", "--porcelain", cwd=project) == ""


def test_team_edits_and_template_changes_merge_three_way(project: Path, tpl: Path) -> None:
    model = project / "steps" / "model.py"
    edit(model, "def run_fn(", "# team: tuned\ndef run_fn(")
    edit(project / "pipeline" / "config.py", 'pipeline_root: str = "pipeline_output"',
         'pipeline_root: str = "gs://team-bucket/root"')
    git("commit", "-qam", "team edits", cwd=project)
    edit(tpl / SLUG / "Makefile", "clean:", "lint:           ## check style\n\truff check .\n\nclean:")
    (tpl / SLUG / "docs.md").write_text("New in 1.1.0.\n")
    release_1_1(tpl)

    report = update_project(project)
    assert report.updated and not report.conflicts, report
    assert (report.from_version, report.to_version) == ("1.0.0", "1.1.0")
    assert {"Makefile", "docs.md", "steps/model.py", "pipeline/config.py"} <= set(
        report.changed_files)
    text = model.read_text()
    assert "# team: tuned" in text and text.rstrip().endswith(MODEL_LINE), "both changes kept"
    config = (project / "pipeline" / "config.py").read_text()
    assert "gs://team-bucket/root" in config and "stats_sample_rows" in config
    assert (project / "docs.md").read_text() == "New in 1.1.0.\n"


def test_a_conflict_is_reported_by_file_and_never_dropped(project: Path, tpl: Path) -> None:
    edit(project / "pipeline" / "config.py", "enable_cache: bool = True",
         "enable_cache: bool = False  # team")
    (project / "steps" / "evaluation.py").unlink()
    git("commit", "-qam", "team edits", cwd=project)
    edit(tpl / SLUG / "pipeline" / "config.py", "enable_cache: bool = True",
         "enable_cache: bool = True  # template 1.1.0")
    edit(tpl / SLUG / "steps" / "evaluation.py", '"""', '"""Changed in 1.1.0. ', )
    edit(tpl / SLUG / "Makefile", "clean:", "lint:\n\truff check .\n\nclean:")
    release(tpl, "1.1.0")

    report = update_project(project)
    assert report.conflicts == ["pipeline/config.py", "steps/evaluation.py"]
    assert "same lines" in report.details["pipeline/config.py"]
    assert "deleted in the project, changed by the template" in report.details[
        "steps/evaluation.py"]
    config = (project / "pipeline" / "config.py").read_text()
    assert "<<<<<<<" in config and "# team" in config and "# template 1.1.0" in config
    assert "lint:" in (project / "Makefile").read_text(), "mergeable changes still arrive"
    assert not list(project.rglob("*.rej"))


@pytest.mark.integration
def test_cli_exits_non_zero_only_for_real_conflicts(project: Path, tpl: Path) -> None:
    edit(project / "pipeline" / "config.py", "enable_cache: bool = True",
         "enable_cache: bool = False  # team")
    git("commit", "-qam", "team edits", cwd=project)
    edit(tpl / SLUG / "pipeline" / "config.py", "enable_cache: bool = True",
         "enable_cache: bool = True  # template 1.1.0")
    release(tpl, "1.1.0")
    done = tfxkit("update", cwd=project)
    assert done.returncode == 1
    assert "CONFLICT pipeline/config.py: changed by the template and in the project on the " \
           "same lines" in done.stderr
    assert "updated  Makefile" not in done.stdout and "Template 1.0.0 -> 1.1.0:" in done.stdout
    assert "Traceback" not in done.stderr and "cruft" not in done.stderr.lower()


def test_next_update_merges_against_the_committed_template(project: Path, tpl: Path) -> None:
    release_1_1(tpl)
    update_project(project)
    git("commit", "-qm", "update to 1.1.0", cwd=project)
    model = tpl / SLUG / "steps" / "model.py"
    edit(model, MODEL_LINE, "TEMPLATE_MODEL_REVISION = 3")
    release(tpl, "1.2.0")
    report = update_project(project)
    # Against the 1.0.0 output this line would be added differently on both sides (a conflict);
    # against the 1.1.0 output it is a plain template change.
    assert not report.conflicts, report
    assert report.from_version == "1.1.0"
    assert (project / "steps" / "model.py").read_text().rstrip().endswith(
        "TEMPLATE_MODEL_REVISION = 3")


def test_template_removals_apply_to_untouched_files_only(project: Path, tpl: Path) -> None:
    edit(project / "steps" / "data.py", '"""', '"""Team notes. ')
    git("commit", "-qam", "team edits", cwd=project)
    (tpl / SLUG / "schema" / "README.md").unlink()
    (tpl / SLUG / "steps" / "data.py").unlink()
    release(tpl, "1.1.0")
    report = update_project(project)
    assert not (project / "schema" / "README.md").exists(), "untouched file removed"
    assert report.conflicts == ["steps/data.py"]
    assert "changed in the project, deleted by the template" in report.details["steps/data.py"]
    assert "Team notes." in (project / "steps" / "data.py").read_text(), "team's file kept"


def test_changed_answers_are_applied_by_update(project: Path) -> None:
    answers_file = project / ".tfxkit" / "answers.json"
    answers = json.loads(answers_file.read_text())
    answers["owner_model"] = "@new-model-team"
    answers_file.write_text(json.dumps(answers, indent=2))
    git("commit", "-qam", "new model owner", cwd=project)
    report = update_project(project)
    assert "CODEOWNERS" in report.changed_files and not report.conflicts
    assert "/steps/model.py           @new-model-team" in (project / "CODEOWNERS").read_text()


@pytest.mark.parametrize("answer", [
    "{{ cycler.__init__.__globals__.os.popen('touch MARKER').read() }}",
    "{% if cycler.__init__.__globals__.os.popen('touch MARKER').read() %}{% endif %}",
])
def test_answers_read_back_are_data_never_code(project: Path, tpl: Path, answer: str) -> None:
    answers_file = project / ".tfxkit" / "answers.json"
    answers = json.loads(answers_file.read_text())
    answers["description"] = answer.replace("MARKER", str(project / "MARKER"))
    answers_file.write_text(json.dumps(answers, indent=2))
    git("commit", "-qam", "a teammate's answers", cwd=project)
    release_1_1(tpl)
    for attempt in (update_project, is_up_to_date):
        with pytest.raises(AnswerError, match=r"answers.json are not valid(.|\n)*answer "
                                              r"'description' contains template syntax"):
            attempt(project)
    assert not (project / "MARKER").exists()
    assert git("status", "--porcelain", cwd=project) == ""


def test_update_refuses_a_dirty_tree(project: Path) -> None:
    (project / "README.md").write_text("uncommitted")
    with pytest.raises(TemplateError, match="uncommitted changes"):
        update_project(project)
    assert (project / "README.md").read_text() == "uncommitted"


def test_update_refuses_an_unfinished_update(project: Path, tpl: Path) -> None:
    release_1_1(tpl)
    update_project(project)
    with pytest.raises(TemplateError, match="unfinished merge.*git merge --abort"):
        update_project(project)


def test_update_needs_a_generated_project(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match=r"answers.json is missing: .* was not generated by "
                                            r"`tfxkit new`"):
        update_project(tmp_path)


def test_update_needs_the_template_commit(project: Path) -> None:
    shutil.rmtree(project / ".git")
    git("init", "-q", cwd=project)
    git("add", "-A", cwd=project)
    git("commit", "-qm", "copied without history", cwd=project)
    with pytest.raises(TemplateError, match="No commit of the template's output"):
        update_project(project)


def test_a_shipped_template_is_found_by_name(tmp_path: Path) -> None:
    project = new_project("tabular-regression", tmp_path)
    assert json.loads((project / ".tfxkit" / "template.json").read_text()) == {
        "template": "tabular-regression"}
    assert update_project(project).up_to_date


def test_any_cookiecutter_template_updates(tmp_path: Path) -> None:
    """A minimal template without tfxkit's hooks or rules: answers still data, update merges."""
    tpl = tmp_path / "mini"
    (tpl / SLUG).mkdir(parents=True)
    (tpl / "cookiecutter.json").write_text(json.dumps(
        {"project_slug": "mini", "greeting": "hello", "shout": "{{ cookiecutter.greeting.upper() }}"}))
    (tpl / SLUG / "hello.txt").write_text("{{ cookiecutter.greeting }} / {{ cookiecutter.shout }}\n")
    git("init", "-q", cwd=tpl)
    git("add", "-A", cwd=tpl)
    git("commit", "-qm", "1", cwd=tpl)
    with pytest.raises(AnswerError, match="answer 'greeting' contains template syntax"):
        new_project(str(tpl), tmp_path / "out", {"greeting": "{{ 7*7 }}"})
    project = new_project(str(tpl), tmp_path / "out", {"greeting": 'hi "you"'})
    assert (project / "hello.txt").read_text() == 'hi "you" / HI "YOU"\n'
    answers = json.loads((project / ".tfxkit" / "answers.json").read_text())
    assert answers == {"project_slug": "mini", "greeting": 'hi "you"', "shout": 'HI "YOU"'}
    (tpl / SLUG / "bye.txt").write_text("bye\n")
    git("add", "-A", cwd=tpl)
    git("commit", "-qm", "2", cwd=tpl)
    report = update_project(project)
    assert report.changed_files == ["bye.txt"] and not report.conflicts


def test_a_template_moved_away_is_named_with_the_fix(project: Path, tpl: Path,
                                                     tmp_path: Path) -> None:
    moved = tmp_path / "elsewhere"
    tpl.rename(moved)
    with pytest.raises(TemplateError, match=r"No template .*TPL.*--template PATH"):
        update_project(project)
    release_1_1(moved)
    report = update_project(project, str(moved))
    assert report.updated and not report.conflicts
    assert json.loads((project / ".tfxkit" / "template.json").read_text()) == {
        "template": str(moved)}, "the new location is recorded"


def test_private_keys_planted_in_the_answers_file_are_ignored(project: Path) -> None:
    """Only the answers are read back; template settings such as Jinja extensions come from the
    template alone."""
    answers_file = project / ".tfxkit" / "answers.json"
    answers = json.loads(answers_file.read_text())
    answers.update({"_extensions": ["os.system"], "_jinja2_env_vars": {"block_start_string": "<"},
                    "_copy_without_render": ["*"], "_tfxkit_template_version": "0.0.1"})
    answers_file.write_text(json.dumps(answers, indent=2))
    git("commit", "-qam", "planted keys", cwd=project)
    assert update_project(project).up_to_date, "the template's output is unchanged by them"
    assert git("status", "--porcelain", cwd=project) == ""
