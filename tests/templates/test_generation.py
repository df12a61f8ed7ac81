"""The shipped cookiecutter templates: generation with several answer sets (tfxkit new and plain
cookiecutter), rejected answers, and the generated project's own tests, pipeline and Kubeflow
compile, run with nothing installed beyond tfxkit."""

from __future__ import annotations

import json
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
                "tests/test_pipeline_e2e.py", "tests/test_kubeflow_compile.py", "README.md",
                "Makefile", "Dockerfile", "CODEOWNERS", ".github/workflows/ci.yml",
                ".gitignore", ".cruft.json", "pyproject.toml"]
    for name in expected:
        assert (project / name).is_file(), name
    assert not any(p.is_symlink() for p in project.rglob("*")), "symlinks are resolved"
    assert list((project / "data").glob("*.csv"))
    ci = (project / ".github" / "workflows" / "ci.yml").read_text()
    assert "${{ github.sha }}" in ci and "{%" not in ci
    owners = (project / "CODEOWNERS").read_text()
    assert "/steps/model.py           @model-team" in owners
    cruft = json.loads((project / ".cruft.json").read_text())
    assert cruft["directory"] == f"templates/{template}"
    assert cruft["context"]["cookiecutter"]["_tfxkit_template_version"]
    assert "steps/model.py" in cruft["skip"]
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
    with pytest.raises(TemplateError, match="nothing was generated"):
        new_project("tabular-classification", tmp_path, answers)
    assert message in capfd.readouterr().err
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
    assert " passed" in done.stdout and "skipped" not in done.stdout
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
