"""`tfxkit report RUN` and `tfxkit show` for model artifacts (with their lineage graph)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import PenguinSession
from tests.resources.tiny_pipelines import create_pipeline
from tfxkit.cli.main import main
from tfxkit.runners import LocalDagRunner
from tfxkit.runners.local import SilentReporter


def test_report_writes_the_run_page(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = LocalDagRunner(workers=0, hooks=SilentReporter()).run(create_pipeline(str(tmp_path)))
    metadata = str(tmp_path / "metadata.sqlite")
    output = tmp_path / "report.html"
    assert main(["report", "latest", "--metadata", metadata, "-o", str(output)]) == 0
    assert capsys.readouterr().out.strip() == str(output)
    page = output.read_text()
    for node in result.nodes:
        assert node in page
    assert "<svg" in page and "Timeline" in page
    # Default file name: run-<id>.html in the working directory.
    assert main(["report", result.run_id, "--metadata", metadata]) == 0
    assert Path(capsys.readouterr().out.strip()).name == f"run-{result.run_id}.html"


def test_report_errors_name_the_fix(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    LocalDagRunner(workers=0, hooks=SilentReporter()).run(create_pipeline(str(tmp_path)))
    assert main(["report", "nope", "--metadata", str(tmp_path / "metadata.sqlite")]) == 1
    assert "Recent runs:" in capsys.readouterr().err
    assert main(["report", "latest"]) == 1
    assert "--metadata" in capsys.readouterr().err


@pytest.mark.integration
def test_show_model_artifacts_with_lineage(penguin_context: PenguinSession, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    context, c = penguin_context.context, penguin_context.components
    [evaluation] = context.artifacts(c["Evaluator"].outputs["evaluation"])
    output = tmp_path / "evaluation.html"
    assert main(["show", evaluation.uri, "-o", str(output)]) == 0  # store found from the uri
    page = output.read_text()
    assert "Metrics by slice" in page and f"Lineage of ModelEvaluation #{evaluation.id}" in page
    [model] = context.artifacts(c["Trainer"].outputs["model"])
    assert main(["show", str(model.id), "--metadata", penguin_context.metadata,
                 "-o", str(tmp_path / "model.html")]) == 0
    assert "serving_default" in (tmp_path / "model.html").read_text()
    capsys.readouterr()
    assert main(["report", penguin_context.full_run_id, "--metadata", penguin_context.metadata,
                 "-o", str(tmp_path / "run.html")]) == 0
    assert (tmp_path / "run.html").read_text().count(">cached · ") == 8
