"""The ML Metadata layer against a real SQLite store."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.resources.tiny_pipelines import create_pipeline
from tfxkit.errors import MetadataError
from tfxkit.metadata import connect, parse
from tfxkit.metadata.lineage import find_artifact, latest_outputs, lineage, list_runs
from tfxkit.runners import LocalDagRunner
from tfxkit.runners.local import SilentReporter


def test_parse_locations(tmp_path: Path) -> None:
    assert parse(str(tmp_path / "m.sqlite")).path == str(tmp_path / "m.sqlite")
    assert parse(f"sqlite:///{tmp_path}/m.sqlite").path == f"{tmp_path}/m.sqlite"
    info = parse("mysql://ml@db.internal:3307/metadata")
    assert (info.host, info.port, info.database, info.user) == ("db.internal", 3307, "metadata",
                                                               "ml")
    assert info.display() == "mysql://ml@db.internal:3307/metadata"


@pytest.mark.parametrize(("location", "message"), [
    ("mysql://ml:secret@db/metadata", "carries a password"),
    ("mysql://ml@db", "incomplete"),
    ("postgres://x@y/z", "Unsupported metadata location"),
])
def test_bad_locations_are_explained(location: str, message: str) -> None:
    with pytest.raises(MetadataError, match=message):
        parse(location)


def test_unwritable_sqlite_location_fails_clearly(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises((MetadataError, OSError)):
        connect(str(blocker / "sub" / "metadata.sqlite"))


def test_lineage_runs_and_latest_outputs(tmp_path: Path) -> None:
    runner = LocalDagRunner(workers=2, hooks=SilentReporter())
    first = runner.run(create_pipeline(str(tmp_path), rows=2))
    runner.run(create_pipeline(str(tmp_path), rows=2))
    store = connect(str(tmp_path / "metadata.sqlite"))

    runs = list_runs(store, "tiny")
    assert len(runs) == 2
    assert {n.state for n in runs[0].nodes} == {"CACHED"}
    assert {n.state for n in runs[1].nodes} == {"COMPLETE"}

    result = first.outputs("combine", "result")[0]
    assert find_artifact(store, result.uri).id == result.id  # type: ignore[union-attr]
    assert find_artifact(store, str(result.id)).uri == result.uri  # type: ignore[union-attr]
    tree = lineage(store, result.id)  # type: ignore[arg-type]
    producer = tree["produced_by"]
    assert producer["node_id"] == "combine" and producer["run_id"] == first.run_id
    assert set(producer["inputs"]) == {"schema", "model"}
    counted = producer["inputs"]["schema"][0]["produced_by"]
    assert counted["node_id"] == "count_rows"
    gen = counted["inputs"]["examples"][0]["produced_by"]
    assert gen["node_id"] == "make_examples" and gen["parameters"]["rows"] == 2

    _execution_id, outputs = latest_outputs(store, "tiny", "combine")  # type: ignore[misc]
    assert outputs["result"][0].id == result.id
