"""`tfxkit show` on artifacts of a real data pipeline (penguins through the four data
components with the local runner)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tfxkit import Pipeline
from tfxkit.cli.main import main
from tfxkit.components import CsvExampleGen, ExampleValidator, SchemaGen, StatisticsGen
from tfxkit.runners import LocalDagRunner
from tfxkit.runners.local import SilentReporter

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "penguins.csv"


def data_pipeline(root: Path, data_dir: Path) -> Pipeline:
    gen = CsvExampleGen(input_base=str(data_dir))
    stats = StatisticsGen(examples=gen.outputs["examples"])
    schema = SchemaGen(statistics=stats.outputs["statistics"])
    validator = ExampleValidator(statistics=stats.outputs["statistics"],
                                 schema=schema.outputs["schema"])
    return Pipeline("penguin-data", str(root), [gen, stats, schema, validator])


@pytest.mark.integration
def test_data_pipeline_runs_caches_and_shows(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    shutil.copy(DATA, data_dir / "penguins.csv")
    runner = LocalDagRunner(workers=1, hooks=SilentReporter())
    first = runner.run(data_pipeline(tmp_path / "out", data_dir))
    assert {r.outcome for r in first.nodes.values()} == {"ran"}
    [examples] = first.outputs("CsvExampleGen", "examples")
    assert examples.split_names == ["train", "eval"]
    assert examples.get_custom_property("feature_types"), "typed examples reach consumers"
    again = runner.run(data_pipeline(tmp_path / "out", data_dir))
    assert {r.outcome for r in again.nodes.values()} == {"cached"}

    # The statistics view is drawn offline; with the store found next to the artifact it
    # counts the features the ExampleValidator's anomalies name (issue 14).
    for node, key, marker in (("StatisticsGen", "statistics", "with anomalies"),
                              ("SchemaGen", "schema", "bill_length_mm"),
                              ("ExampleValidator", "anomalies", "anomal")):
        [artifact] = first.outputs(node, key)
        output = tmp_path / f"{key}.html"
        assert main(["show", artifact.uri, "-o", str(output)]) == 0
        assert capsys.readouterr().out.strip() == str(output)
        assert marker in output.read_text().lower()
        assert "https://" not in output.read_text()
    # By id, through the store.
    [schema] = first.outputs("SchemaGen", "schema")
    assert main(["show", str(schema.id), "--metadata", str(tmp_path / "out" / "metadata.sqlite"),
                 "-o", str(tmp_path / "by-id.html")]) == 0
    assert "<table" in (tmp_path / "by-id.html").read_text()


def test_show_explains_what_it_cannot_render(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["show", str(tmp_path)]) == 1
    assert "Cannot tell what kind of artifact" in capsys.readouterr().err
