"""The shipped cookiecutter templates: generation with several answer sets (tfxkit new and plain
cookiecutter), rejected answers, and the generated project's own tests, pipeline and Kubeflow
compile, run with nothing installed beyond tfxkit."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tfxkit.project import TemplateError, list_templates, new_project

REPO = Path(__file__).resolve().parents[2]
SECOND_ANSWERS = {
    "project_name": "Churn Radar", "project_slug": "churn_radar", "pipeline_name": "churn-radar",
    "author_name": "Ada", "author_email": "ada@example.org", "owner_data": "@acme/data",
    "owner_transform": "ft@example.org", "owner_model": "@bob", "owner_evaluation": "@acme/leads",
    "kubeflow_image": "registry.acme.io/ml/churn:1.2", "include_ci": "no",
}


def test_templates_are_listed_with_descriptions() -> None:
    names = {t.name: t for t in list_templates()}
    assert set(names) == {"tabular-classification", "tabular-regression"}
    assert all(t.description and t.version for t in names.values())


@pytest.mark.parametrize("template", ["tabular-classification", "tabular-regression"])
def test_default_answers_generate_a_complete_project(template: str, tmp_path: Path) -> None:
    project = new_project(template, tmp_path)
    expected = ["pipeline/pipeline.py", "pipeline/config.py", "steps/preprocessing.py",
                "steps/model.py", "steps/evaluation.py", "steps/data.py", "tests/test_model.py",
                "tests/test_preprocessing.py", "tests/test_evaluation.py", "tests/test_data.py",
                "tests/test_pipeline_e2e.py", "tests/test_kubeflow_compile.py",
                "tests/test_pipeline.py", "README.md",
                "Makefile", "Dockerfile", "CODEOWNERS", ".github/workflows/ci.yml",
                ".gitignore", ".tfxkit/answers.json", ".tfxkit/template.json", "pyproject.toml"]
    for name in expected:
        assert (project / name).is_file(), name
    assert not any(p.is_symlink() for p in project.rglob("*")), "symlinks are resolved"
    assert list((project / "data").glob("*.csv"))
    ci = (project / ".github" / "workflows" / "ci.yml").read_text()
    assert "${{ github.sha }}" in ci and "{%" not in ci
    owners = (project / "CODEOWNERS").read_text()
    assert "/steps/model.py           @model-team" in owners
    assert json.loads((project / ".tfxkit" / "template.json").read_text()) == {
        "template": template}, "a shipped template is recorded by name, not by a machine path"
    answers = json.loads((project / ".tfxkit" / "answers.json").read_text())
    config = json.loads((REPO / "templates" / template / "cookiecutter.json").read_text())
    questions = {key for key in config if not key.startswith("_")}
    assert set(answers) == questions | {"_tfxkit_template", "_tfxkit_template_version"}
    assert answers["_tfxkit_template_version"] == config["_tfxkit_template_version"]
    assert str(tmp_path) not in json.dumps(answers), "no machine paths in the answers"
    assert not (project / ".cruft.json").exists()
    assert not list(project.rglob(".ruff_cache")), "no tool caches copied from the template"
    for text_file in project.rglob("*.py"):
        assert "{{" not in text_file.read_text() or "cookiecutter" not in text_file.read_text()
    log = subprocess.run(["git", "log", "--oneline"], cwd=project, capture_output=True,
                         text=True, check=True)
    assert "Generate from tfxkit template" in log.stdout


def test_second_answer_set(tmp_path: Path) -> None:
    project = new_project("tabular-classification", tmp_path, SECOND_ANSWERS)
    assert project.name == "churn_radar"
    assert not (project / ".github").exists(), "include_ci=no drops the workflow"
    owners = (project / "CODEOWNERS").read_text()
    assert "/steps/preprocessing.py   ft@example.org" in owners
    assert "/data/                    @acme/data" in owners
    assert 'pipeline_name: str = "churn-radar"' in (project / "pipeline" / "config.py").read_text()
    assert "registry.acme.io/ml/churn:1.2" in (project / "Makefile").read_text()


@pytest.mark.parametrize(("answers", "message"), [
    ({"project_name": "My Project!"}, "project_slug='my_project!'"),
    ({"project_slug": "9lives"}, "project_slug='9lives'"),
    ({"pipeline_name": "Has_Underscore"}, "pipeline_name='Has_Underscore'"),
    ({"owner_model": "bob"}, "owner_model='bob'"),
    ({"author_email": "not-an-email"}, "author_email='not-an-email'"),
    ({"python_version": "3.9"}, "python_version='3.9'"),
    ({"kubeflow_host": "kubeflow.local"}, "kubeflow_host='kubeflow.local'"),
])
def test_bad_answers_are_rejected_and_nothing_is_written(
        answers: dict[str, str], message: str, tmp_path: Path,
        capfd: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(TemplateError, match="nothing was generated") as caught:
        new_project("tabular-classification", tmp_path, answers)
    assert message in str(caught.value), "the error names the field, its value and the rule"
    assert "Traceback" not in capfd.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_plain_cookiecutter_generates_the_same_project(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "cookiecutter", str(REPO), "--directory",
         "templates/tabular-regression", "--no-input", "-o", str(tmp_path),
         "project_name=Fare Watch"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    project = tmp_path / "fare_watch"
    assert (project / "steps" / "model.py").is_file()
    answers = json.loads((project / ".tfxkit" / "answers.json").read_text())
    assert answers["project_name"] == "Fare Watch"
    assert answers["_tfxkit_template"] == "tabular-regression"


MARKER_ANSWER = ("description={{ cycler.__init__.__globals__.os.popen('mkdir -p OUT && "
                 "touch OUT/MARKER_FROM_ANSWER').read() }}")


def tfxkit_new(cwd: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    """`tfxkit new ...` as a user runs it, from `cwd`."""
    return subprocess.run([sys.executable, "-m", "tfxkit", "new", *argv], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def test_case_template_answer_jinja_never_runs(tmp_path: Path) -> None:
    """trust/template_answer_jinja: answers holding Jinja are refused before any rendering."""
    done = tfxkit_new(tmp_path, "tabular-classification", MARKER_ANSWER, "project_name=Safe",
                      "-o", "OUT")
    assert done.returncode == 1
    assert "answer 'description' contains template syntax" in done.stderr
    assert not (tmp_path / "OUT" / "MARKER_FROM_ANSWER").exists()
    assert not (tmp_path / "OUT" / "safe").exists()
    done = tfxkit_new(tmp_path, "tabular-classification", "project_name=Calc {{ 7*7 }}",
                      "-o", "OUT2")
    assert done.returncode == 1
    assert "answer 'project_name' contains template syntax" in done.stderr
    assert not (tmp_path / "OUT2" / "calc_49").exists()
    assert "Traceback" not in done.stderr


def test_case_quotes_and_newlines(tmp_path: Path) -> None:
    """trust/template_answer_quotes_newlines: quotes are kept (escaped where embedded), a newline
    and a code-like project name are refused in one line each, never a JSONDecodeError."""
    import tomllib

    description = 'Penguins "Adelie" and friends'
    done = tfxkit_new(tmp_path, "tabular-classification", f"description={description}",
                      "project_name=Qt", "-o", "OUT")
    assert done.returncode == 0, done.stderr
    project = tmp_path / "OUT" / "qt"
    assert description in (project / "README.md").read_text()
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    assert pyproject["project"]["description"] == description
    answers = json.loads((project / ".tfxkit" / "answers.json").read_text())
    assert answers["description"] == description

    for answers, message in [
            (["description=ok\nversion = 1", "project_name=Qt2"],
             "description must be a single line of text"),
            (["""project_name="; import os; os.system('true') #"""],
             "project_name=.*: expected text up to 80 characters")]:
        done = tfxkit_new(tmp_path, "tabular-classification", *answers, "-o", "BAD")
        assert done.returncode == 1
        assert "JSONDecodeError" not in done.stderr and "Traceback" not in done.stderr
        assert len(done.stderr.strip().splitlines()) <= 4, done.stderr
        assert re.search(message, done.stderr), done.stderr
        assert not (tmp_path / "BAD").exists() or not any((tmp_path / "BAD").iterdir())


def test_text_answers_are_embedded_escaped_and_kept_verbatim(tmp_path: Path) -> None:
    """Quotes, backslashes and unicode survive into Markdown, TOML and the answers file; the
    generated project's Python and TOML still parse."""
    import ast
    import tomllib

    answers = {"project_name": "Zoë's Ünïcode Radar", "project_slug": "zoe_radar",
               "description": 'Says "hi" \\ costs $5 & more: ✓ {not jinja}',
               "author_name": 'Zoë "Z" O\'Brien'}
    project = new_project("tabular-classification", tmp_path, answers, init_git=False)
    readme = (project / "README.md").read_text()
    assert readme.startswith(f"# {answers['project_name']}\n")
    assert answers["description"] in readme
    meta = tomllib.loads((project / "pyproject.toml").read_text())["project"]
    assert meta["description"] == answers["description"]
    assert meta["authors"][0]["name"] == answers["author_name"]
    recorded = json.loads((project / ".tfxkit" / "answers.json").read_text())
    assert {key: recorded[key] for key in answers} == answers
    for source in project.rglob("*.py"):
        ast.parse(source.read_text(), str(source))


def test_answers_reach_plain_cookiecutter_hooks_as_data(tmp_path: Path) -> None:
    """Plain cookiecutter: the hooks decode the answers from JSON (a quote is fine) and refuse a
    newline with the field's name instead of crashing."""
    def plain(*answers: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "cookiecutter", str(REPO), "--directory",
                               "templates/tabular-classification", "--no-input", "-o",
                               str(tmp_path), *answers], capture_output=True, text=True)

    done = plain("project_name=Quote Test", 'description=It "works"')
    assert done.returncode == 0, done.stderr
    answers = json.loads((tmp_path / "quote_test" / ".tfxkit" / "answers.json").read_text())
    assert answers["description"] == 'It "works"'
    assert not any(key.startswith("_") and key not in (
        "_tfxkit_template", "_tfxkit_template_version") for key in answers), answers
    done = plain("project_name=Newline Test", "description=a\nb")
    assert done.returncode != 0
    assert "description must be a single line of text" in done.stderr
    assert "JSONDecodeError" not in done.stderr
    assert not (tmp_path / "newline_test").exists()


def run_project_tests(project: Path, *pytest_args: str) -> subprocess.CompletedProcess[str]:
    """The generated project's own test suite, with this interpreter (tfxkit installed)."""
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           *pytest_args], cwd=project, capture_output=True, text=True,
                          timeout=1800)


@pytest.mark.e2e
@pytest.mark.parametrize("template", ["tabular-classification", "tabular-regression"])
def test_generated_project_passes_its_own_tests(template: str, tmp_path: Path) -> None:
    project = new_project(template, tmp_path)
    done = run_project_tests(project)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    # A fresh project has no golden inputs yet (made by `make fixtures` after its first run):
    # its four step tests on them skip, saying what to run; nothing else may skip. With golden
    # inputs they pass, none skipped (tests/templates/test_step_tests.py).
    skips = re.findall(r"^SKIPPED \[1\] \S+ (.*)$", done.stdout, re.MULTILINE)
    assert " passed" in done.stdout and "4 skipped" in done.stdout, done.stdout[-2000:]
    assert len(skips) == 4 and all(s.startswith("no golden inputs for ") and "`make fixtures`"
                                   in s for s in skips), skips
    assert "failed" not in done.stdout


def write_binary_taxi_csv(folder: Path, rows: int = 3000) -> None:
    """Real taxi trips with a derived yes/no label (did the rider tip?) and other columns."""
    import csv

    folder.mkdir(parents=True)
    source = REPO.parent / "shared" / "data" / "chicago_taxi_15k.csv"
    with open(source, newline="") as handle, open(folder / "trips.csv", "w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["trip_miles", "trip_seconds", "fare", "payment_type", "company",
                         "tipped"])
        for i, row in enumerate(csv.DictReader(handle)):
            if i == rows:
                break
            tipped = "yes" if row["tips"] and float(row["tips"]) > 0 else "no"
            writer.writerow([row["trip_miles"], row["trip_seconds"], row["fare"],
                             row["payment_type"], row["company"], tipped])


@pytest.mark.e2e
@pytest.mark.parametrize("dataset", ["numeric-multiclass", "string-binary"])
def test_own_data_is_a_configuration_change(dataset: str, tmp_path: Path) -> None:
    project = new_project("tabular-classification", tmp_path / "projects")
    data = tmp_path / "data"
    if dataset == "numeric-multiclass":  # integer label 0-2, only numeric features
        data.mkdir()
        (data / "penguins.csv").write_text(
            (REPO.parent / "shared" / "data" / "penguins_processed.csv").read_text())
        params = ["label_key=species"]
    else:
        write_binary_taxi_csv(data)
        params = ["label_key=tipped"]
    command = [sys.executable, "-m", "tfxkit", "run", "pipeline/pipeline.py",
               "-p", f"data_root={data}", "-p", "slice_features=[]"]
    for param in params:
        command += ["-p", param]
    done = subprocess.run(command, cwd=project, capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, done.stderr[-4000:]
    assert "BLESSED: all thresholds passed" in done.stderr, done.stderr[-3000:]
    assert "pushed version 1" in done.stderr


def test_tool_caches_in_the_template_folder_never_reach_a_project(tmp_path: Path) -> None:
    """A template checkout that was linted or tested holds .ruff_cache/, __pycache__/ ...:
    generation leaves them out, so no project commits another machine's caches."""
    import shutil

    template = tmp_path / "template"
    shutil.copytree(next(t.path for t in list_templates() if t.name == "tabular-classification"),
                    template, symlinks=False)
    inner = next(template.glob("{{*"))
    for cache in (".ruff_cache", "steps/__pycache__", ".mypy_cache", ".pytest_cache"):
        (inner / cache).mkdir(parents=True, exist_ok=True)
        (inner / cache / "planted").write_text("from another machine")
    project = new_project(str(template), tmp_path / "out", answers={"project_name": "Cache Check"},
                          init_git=False)
    assert not list(project.rglob("planted"))
    assert (project / "steps" / "model.py").is_file()
