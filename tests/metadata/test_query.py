"""`tfxkit.metadata.query`, the one query API: evaluated models (what the notebook and
`tfxkit.reports.compare` show), run comparison on MariaDB as on SQLite, alias changes."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.resources.experiment_pipeline import experiment, write_inputs
from tfxkit.metadata import connect, query
from tfxkit.runners import LocalDagRunner
from tfxkit.runners.local import SilentReporter


def _three_runs(root: Path, metadata: str | None = None) -> list[str]:
    runner = LocalDagRunner(workers=0, hooks=SilentReporter())
    return [runner.run(experiment(root, lr, steps, metadata=metadata)).run_id
            for lr, steps in ((0.01, 100), (0.05, 200), (0.2, 300))]


def test_evaluated_models_feed_the_report_and_notebook_comparison(tmp_path: Path) -> None:
    from tfxkit.reports import comparison_fragment, model_evaluations

    root = write_inputs(tmp_path)
    ids = _three_runs(root)
    store = connect(str(root / "out" / "metadata.sqlite"), read_only=True)
    models = query.evaluated_models(store)
    assert [m.run_id for m in models] == ids
    assert [m.metrics["Overall"]["accuracy"] for m in models] == [0.56, 0.7, 0.65]
    assert [m.blessed for m in models] == [False, True, True]
    assert models[1].trainer_parameters["train_args"] == {"learning_rate": 0.05,
                                                          "num_steps": 200}
    assert models[1].model_uri.startswith(str(root / "out" / "Train" / "model"))
    assert query.evaluated_models(store, "other") == []
    # tfxkit.reports.compare reads the same records (no second copy of the logic)
    records = model_evaluations(store, "exp")
    assert [(r.model_id, r.run_id, r.metrics, r.blessed) for r in records] == [
        (m.model_id, m.run_id, m.metrics["Overall"], m.blessed) for m in models]
    html = comparison_fragment(records)
    assert "learning_rate" in html and "NOT BLESSED" in html


def test_a_store_without_evaluations_or_alias_changes(tmp_path: Path) -> None:
    from tests.resources.tiny_pipelines import create_pipeline

    LocalDagRunner(workers=0, hooks=SilentReporter()).run(create_pipeline(str(tmp_path)))
    store = connect(str(tmp_path / "metadata.sqlite"), read_only=True)
    assert query.evaluated_models(store) == []
    assert query.alias_changes(store) == []
    record = query.load_run_record(store, "latest")
    assert record.metrics == {} and record.blessed is None and record.pushed_version is None
    assert set(record.nodes) == {"make_examples", "count_rows", "measure", "combine"}
    assert record.parameters["make_examples.rows"] == 3
    # no run evaluated a model: nothing to compare, said plainly
    assert query.compare_runs(store).runs == []


def test_compare_on_mariadb_names_the_best_run(mysql_url: str, tmp_path: Path) -> None:
    """The same questions on the MariaDB server CI starts (skipped without one)."""
    root = write_inputs(tmp_path)
    ids = _three_runs(root, metadata=mysql_url)
    store = connect(mysql_url, read_only=True)
    table = query.compare_runs(store, sort="accuracy")
    assert [r.run_id for r in table.runs] == [ids[1], ids[2], ids[0]]
    assert table.runs[0].parameters["Train.train_args.num_steps"] == 200
    diff = query.diff_runs(store, ids[0], ids[1])
    assert {(c.node_id, c.name) for c in diff.changes if c.kind == "parameter"} == {
        ("Train", "train_args.learning_rate"), ("Train", "train_args.num_steps")}


@pytest.mark.parametrize("text", ["latest~", "latest~x", "~1"])
def test_bad_run_references_name_the_recent_runs(tmp_path: Path, text: str) -> None:
    from tfxkit.errors import DataError

    root = write_inputs(tmp_path)
    runner = LocalDagRunner(workers=0, hooks=SilentReporter())
    run_id = runner.run(experiment(root, 0.05, 200)).run_id
    store = connect(str(root / "out" / "metadata.sqlite"), read_only=True)
    with pytest.raises(DataError, match=rf"No run '{text}' .* Recent runs: {run_id}"):
        query.load_run_record(store, text)
