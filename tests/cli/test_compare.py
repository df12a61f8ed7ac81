"""Experiments: `tfxkit runs --compare / --diff`, `tfxkit report --compare` and the query API
(`tfxkit.metadata.query`) on a real SQLite ML Metadata store, with three runs of a small
no-TensorFlow pipeline (data -> train -> evaluate -> the real Pusher) that differ in their
hyperparameters, code and data."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.resources.experiment_pipeline import experiment, write_inputs
from tfxkit.cli.main import main
from tfxkit.errors import DataError
from tfxkit.metadata import connect, query
from tfxkit.runners import LocalDagRunner
from tfxkit.runners.local import SilentReporter


@pytest.fixture(scope="module")
def three_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """Runs: (lr 0.01, 100 steps), (lr 0.05, 200 steps: the best), (lr 0.2, 300 steps, new
    data and code); run 1's accuracy 0.56 is NOT_BLESSED."""
    root = write_inputs(tmp_path_factory.mktemp("exp"))
    runner = LocalDagRunner(workers=0, hooks=SilentReporter())
    ids = [runner.run(experiment(root, 0.01, 100)).run_id,
           runner.run(experiment(root, 0.05, 200)).run_id,
           runner.run(experiment(root, 0.2, 300, "data2.csv", "module2.py")).run_id]
    return root, ids


def _store(root: Path) -> Any:
    return connect(str(root / "out" / "metadata.sqlite"), read_only=True)


def test_query_compare_sorted_by_accuracy_names_the_best_run(three_runs) -> None:  # type: ignore[no-untyped-def]
    root, ids = three_runs
    table = query.compare_runs(_store(root), sort="accuracy")
    assert [r.run_id for r in table.runs] == [ids[1], ids[2], ids[0]]
    best = table.runs[0]
    assert best.parameters["Train.train_args.learning_rate"] == 0.05
    assert best.parameters["Train.train_args.num_steps"] == 200
    assert best.metrics["Overall"]["accuracy"] == 0.7
    assert best.metric("accuracy", "island=Biscoe") == 0.6
    assert (best.blessed, best.pushed_version) == (True, 1)
    assert best.pushed_destination == str(root / "serving" / "1")
    worst = table.runs[-1]
    assert (worst.blessed, worst.pushed_version) == (False, None)
    assert "Train.train_args.learning_rate" in table.changed
    assert "Train.train_args.num_steps" in table.changed
    assert "DataGen.data_file" in table.changed and "Train.module_file" in table.changed
    assert "Pusher.push_destination" not in table.changed
    assert table.metric_names == ["accuracy", "loss", "accuracy@island=Biscoe"]
    # losses sort lowest first; a slice metric by METRIC@SLICE
    assert query.compare_runs(_store(root), sort="loss").runs[0].run_id == ids[1]
    assert query.compare_runs(_store(root), sort="accuracy@island=Biscoe").runs[0].run_id == ids[1]
    # explicit runs, in the order given; latest~N names runs back from the newest
    chosen = query.compare_runs(_store(root), ["latest", ids[0]])
    assert [r.run_id for r in chosen.runs] == [ids[2], ids[0]]
    assert query.load_run_record(_store(root), "latest~2").run_id == ids[0]


def test_query_errors_name_the_choices(three_runs) -> None:  # type: ignore[no-untyped-def]
    root, ids = three_runs
    with pytest.raises(DataError, match=r"--sort 'acc': no compared run has that metric. "
                                        r"Metrics \(Overall slice\): accuracy, loss"):
        query.compare_runs(_store(root), sort="acc")
    with pytest.raises(DataError, match=r"No run 'nope' .* Recent runs: " + ids[2]):
        query.compare_runs(_store(root), ["nope"])
    with pytest.raises(DataError, match=r"'latest~9': only 3 run\(s\)"):
        query.load_run_record(_store(root), "latest~9")


def test_query_diff_names_parameters_code_and_data(three_runs) -> None:  # type: ignore[no-untyped-def]
    root, ids = three_runs
    result = query.diff_runs(_store(root), ids[1], ids[2])
    found = {(c.node_id, c.kind, c.name): (c.a, c.b) for c in result.changes}
    assert found[("Train", "parameter", "train_args.learning_rate")] == (0.05, 0.2)
    assert found[("Train", "parameter", "train_args.num_steps")] == (200, 300)
    old_code, new_code = found[("Train", "code", "module_file")]
    assert old_code != new_code and len(new_code) == 64
    old_data, new_data = found[("DataGen", "input data", "input_data")]
    assert new_data == hashlib.sha256((root / "data2.csv").read_bytes()).hexdigest()
    assert old_data == hashlib.sha256((root / "data.csv").read_bytes()).hexdigest()
    assert found[("", "metric", "accuracy")] == (0.7, 0.65)
    assert found[("", "outcome", "pushed_version")] == (1, 2)
    assert result.changed_nodes == ["DataGen", "Train", "evaluate", "Pusher"]
    # the same run against itself: nothing differs
    assert query.diff_runs(_store(root), ids[0], ids[0]).changes == []


def test_partial_run_record_follows_reused_upstream(three_runs, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    root, _ = three_runs
    copy = tmp_path / "exp"
    shutil.copytree(root, copy)
    # the artifacts' uris point into `root`; read the copy's store, which is the same record
    runner = LocalDagRunner(workers=0, hooks=SilentReporter())
    result = runner.run(experiment(copy, 0.05, 200), from_node="evaluate")
    run = query.load_run_record(connect(str(copy / "out" / "metadata.sqlite"), read_only=True),
                                result.run_id)
    assert run.nodes["Train"].reused and not run.nodes["evaluate"].reused
    assert run.parameters["Train.train_args.num_steps"] == 300  # the latest Train's outputs
    assert run.metrics["Overall"]["accuracy"] == 0.65


def test_cli_runs_compare_table_csv_json(three_runs, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    root, ids = three_runs
    metadata = str(root / "out" / "metadata.sqlite")
    assert main(["runs", "--metadata", metadata, "--compare", "--sort", "accuracy"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["run_id", "pipeline", "started"]
    assert lines[1].startswith(ids[1]) and "0.05" in lines[1] and "200" in lines[1]
    assert "changed parameters: " in out and "Train.train_args.num_steps" in out
    assert "accuracy@island=Biscoe" not in lines[0]  # the table shows the Overall slice
    assert "per slice (island=Biscoe) with --format csv or json" in out
    assert main(["runs", "--metadata", metadata, "--compare", ids[0], ids[2],
                 "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["run_id"] for r in rows] == [ids[0], ids[2]]
    assert rows[0]["accuracy"] == "0.56" and rows[0]["blessed"] == "False"
    assert rows[1]["pushed_version"] == "2"
    assert main(["runs", "--metadata", metadata, "--compare", "--sort", "loss",
                 "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data[0]["run_id"] == ids[1] and data[0]["Train.train_args.learning_rate"] == 0.05
    assert main(["runs", "--metadata", metadata, "--compare", "--sort", "nope"]) == 1
    assert "--sort 'nope': no compared run has that metric" in capsys.readouterr().err
    assert main(["runs", "--metadata", metadata, "--sort", "accuracy"]) == 1
    assert "--sort and --format go with --compare" in capsys.readouterr().err


def test_cli_runs_diff(three_runs, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    root, ids = three_runs
    metadata = str(root / "out" / "metadata.sqlite")
    assert main(["runs", "--metadata", metadata, "--diff", ids[1], ids[2]]) == 0
    out = capsys.readouterr().out
    assert "nodes that differ: DataGen, Train, evaluate, Pusher" in out
    assert "  parameter train_args.learning_rate: 0.05 -> 0.2" in out
    assert "  code module_file: " in out and "  input data input_data: " in out
    assert "  metric accuracy: 0.7 -> 0.65" in out
    assert "  inputs model: artifact #" in out
    assert "state" not in out  # ran in one run, cached in the other: not a difference
    assert main(["runs", "--metadata", metadata, "--diff", ids[0], ids[0]]) == 0
    assert "No difference" in capsys.readouterr().out
    assert main(["runs", "--metadata", metadata, "--diff", ids[0], "latest", "--format",
                 "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["run_b"] == ids[2] and "Train" in data["changed_nodes"]


def test_cli_report_compare_is_offline_html(three_runs, tmp_path: Path,  # type: ignore[no-untyped-def]
                                            capsys: pytest.CaptureFixture[str]) -> None:
    root, ids = three_runs
    output = tmp_path / "compare.html"
    assert main(["report", "--compare", "--metadata", str(root / "out" / "metadata.sqlite"),
                 "--sort", "accuracy", "-o", str(output)]) == 0
    assert capsys.readouterr().out.strip() == str(output)
    page = output.read_text()
    assert page.index(ids[1]) < page.index(ids[0])
    assert "accuracy vs Train.train_args.num_steps" in page
    assert "accuracy vs Train.train_args.learning_rate" in page
    assert page.count("<svg") >= 4
    assert "<h3>Metrics per slice</h3>" in page and "island=Biscoe" in page
    assert "http://" not in page.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in page and "<script" not in page
    assert main(["report", "--metadata", str(root / "out" / "metadata.sqlite")]) == 1
    assert "Which run?" in capsys.readouterr().err


def test_cli_compare_through_a_pipeline_file_takes_its_runs_only(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    root = write_inputs(tmp_path)
    runner = LocalDagRunner(workers=0, hooks=SilentReporter())
    mine = [runner.run(experiment(root, lr, 100)).run_id for lr in (0.01, 0.05)]
    other = runner.run(experiment(root, 0.05, 300, pipeline_name="other")).run_id
    (root / "pipeline.py").write_text(
        "from pathlib import Path\n"
        "from tests.resources.experiment_pipeline import experiment\n\n"
        "def create_pipeline(learning_rate: float = 0.05):\n"
        "    return experiment(Path(__file__).parent, learning_rate, 100)\n")
    monkeypatch.chdir(root)
    assert main(["runs", "pipeline.py", "--compare", "--format", "json"]) == 0
    assert {r["run_id"] for r in json.loads(capsys.readouterr().out)} == set(mine)
    assert main(["runs", "--compare", "--format", "json", "--metadata",
                 str(root / "out" / "metadata.sqlite")]) == 0
    assert {r["run_id"] for r in json.loads(capsys.readouterr().out)} == {*mine, other}
    # the pipeline file may also follow the run ids
    assert main(["runs", "--compare", mine[0], "latest", "pipeline.py"]) == 0
    out = capsys.readouterr().out
    assert mine[0] in out and mine[1] in out and other not in out
