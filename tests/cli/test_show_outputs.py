"""`tfxkit show` / `tfxkit report` inside a project (QA walkthrough): pages go to `reports/`
under the project root (ignored by the templates' .gitignore), not into the working directory;
`-o` still chooses; the hint for an unknown id does not ask for --metadata where none is needed.
Runs the tiny no-TF pipeline once (real SQLite store)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import PenguinSession
from tests.metadata.cli_pipeline import run_tfxkit, write_tiny
from tfxkit.cli.main import main

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project folder (`[tool.tfxkit] pipeline = "tiny.py"`) whose pipeline ran once."""
    folder = tmp_path_factory.mktemp("project")
    write_tiny(folder)
    (folder / "pyproject.toml").write_text('[tool.tfxkit]\npipeline = "tiny.py"\n')
    done = run_tfxkit("run", cwd=folder)
    assert done.returncode == 0, done.stderr
    return folder


def _html_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob("*.html"))


def test_show_unknown_id_in_a_project_does_not_ask_for_metadata(
        project: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(project)
    assert main(["show", "latest"]) == 1
    err = capsys.readouterr().err
    assert "'latest' is neither an artifact folder nor an artifact id in this project's " \
           "metadata store; expected an artifact id such as 3" in err, err
    assert "--metadata" not in err
    assert main(["show", "999"]) == 1
    assert "in this project's metadata store" in capsys.readouterr().err


def test_show_hint_outside_a_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str], project: Path) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["show", "latest"]) == 1
    assert "pass --metadata LOCATION for ids" in capsys.readouterr().err
    store = str(project / "tiny_output" / "metadata.sqlite")
    assert main(["show", "latest", "--metadata", store]) == 1
    err = capsys.readouterr().err
    assert f"in the metadata store {store};" in err and "pass --metadata" not in err


def test_pages_go_to_reports_under_the_project_root(
        project: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(project)
    assert main(["report", "latest"]) == 0
    page = Path(capsys.readouterr().out.strip())
    assert page.parent == project / "reports" and page.name.startswith("run-"), page
    text = page.read_text()
    assert "<svg" in text
    # One measure per label: the page's span of node times is not called the run's time,
    # which `tfxkit run` prints as the whole run (also loading the pipeline and the store).
    assert re.search(r": 2 ran; nodes' time \d+\.\d\d s <small>\(first node's start to last "
                     r"node's end", text), text[:2000]
    assert " ran in " not in text
    schema = project / "tiny_output" / "SchemaGen" / "schema" / "3"
    schema.mkdir(parents=True, exist_ok=True)
    (schema / "schema.pbtxt").write_text('feature {\n  name: "a"\n  type: INT\n}\n')
    assert main(["show", str(schema)]) == 0
    shown = Path(capsys.readouterr().out.strip())
    assert shown == project / "reports" / "Schema-3.html" and shown.is_file(), shown
    assert _html_in(project) == []
    chosen = project / "elsewhere.html"
    assert main(["report", "latest", "-o", str(chosen)]) == 0
    assert capsys.readouterr().out.strip() == str(chosen) and chosen.is_file()
    chosen.unlink()


@pytest.mark.parametrize("template", ["tabular-classification", "tabular-regression"])
def test_templates_ignore_the_reports_folder(template: str) -> None:
    ignore = REPO / "templates" / template / "{{cookiecutter.project_slug}}" / ".gitignore"
    assert "reports/" in ignore.read_text().split()


@pytest.mark.integration
def test_show_evaluation_prints_only_its_path(penguin_context: PenguinSession,
                                              tmp_path: Path) -> None:
    """QA walkthrough: `tfxkit show <evaluation>` printed TF's 4-line `tf_record_iterator is
    deprecated` notice (TFMA reads its records with it); the command is quiet now."""
    import subprocess
    import sys

    context, c = penguin_context.context, penguin_context.components
    [evaluation] = context.artifacts(c["Evaluator"].outputs["evaluation"])
    output = tmp_path / "evaluation.html"
    done = subprocess.run([sys.executable, "-m", "tfxkit", "show", evaluation.uri, "-o",
                           str(output)], capture_output=True, text=True, timeout=600,
                          cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(output) and "Metrics by slice" in output.read_text()
    assert done.stderr == "", done.stderr
