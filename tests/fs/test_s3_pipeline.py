"""The penguin pipeline run by the local runner with its data, push destination and
pipeline_root on s3://, against a real S3-protocol server on 127.0.0.1 (moto's standalone
server): it reads the CSV from the store, publishes every artifact to the store (ML Metadata,
a local SQLite file, records their s3:// URIs), pushes version 1 to the store, a second run
(changed data) judges its model against that pushed baseline, read back from the store, and a
third run is all cached."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.resources.s3_server import make_bucket, s3_endpoint  # noqa: F401
from tfxkit import fs
from tfxkit.components.pusher.registry import list_pushed_versions
from tfxkit.runners import LocalDagRunner
from tfxkit.runners.local import SilentReporter

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "penguin"


def _load() -> object:
    import importlib.util

    spec = importlib.util.spec_from_file_location("penguin_s3_pipeline", EXAMPLE / "pipeline.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.e2e
def test_penguin_pipeline_reads_and_pushes_on_s3(s3_endpoint: str,  # noqa: F811
                                                 tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    make_bucket(s3_endpoint, "team")
    monkeypatch.setenv("TFXKIT_STAGING_DIR", str(tmp_path / "staging"))
    lines = (EXAMPLE / "data" / "penguins_processed.csv").read_text().splitlines(keepends=True)
    fs.write_bytes("s3://team/data/penguins.csv", "".join(lines[:181]).encode())
    example = _load()

    def pipeline() -> object:
        return example.create_pipeline(  # type: ignore[attr-defined]
            pipeline_root="s3://team/pipelines/penguin", data_root="s3://team/data",
            serving_model_dir="s3://team/serving", module_file=str(EXAMPLE / "penguin_module.py"),
            train_steps=20, accuracy_lower_bound=0.0, accuracy_max_drop=1.0,
            metadata=str(tmp_path / "metadata.sqlite"))

    runner = LocalDagRunner(workers=0, hooks=SilentReporter())
    first = runner.run(pipeline())
    [examples] = first.outputs("CsvExampleGen", "examples")
    assert examples.get_custom_property("example_counts") is not None
    assert examples.uri.startswith("s3://team/pipelines/penguin/CsvExampleGen/examples/")
    assert fs.is_published(examples.uri)
    names = [name for name, _ in fs.list_files(examples.uri)]
    assert {name.split("/")[0] for name in names} == {"Split-train", "Split-eval"}
    assert all(name.split("/")[1].startswith("data_tfrecord-") for name in names)
    [model] = first.outputs("Trainer", "model")
    assert fs.is_file(f"{model.uri}/Format-Serving/saved_model.pb")
    [pushed] = first.outputs("Pusher", "pushed_model")
    assert pushed.get_custom_property("pushed") == 1
    assert pushed.get_custom_property("pushed_destination") == "s3://team/serving/1"
    [version] = list_pushed_versions("s3://team/serving")
    assert version["version"] == 1 and version["complete"] and version["path"] == \
        "s3://team/serving/1"
    names = {name for name, _ in fs.list_files(version["path"])}
    assert {"saved_model.pb", "variables/variables.index"} <= names

    # New data on the store: the fingerprint changes, everything re-runs, and the Evaluator
    # takes version 1 on the store as its baseline.
    fs.write_bytes("s3://team/data/more.csv", "".join(lines[:1] + lines[181:241]).encode())
    second = runner.run(pipeline())
    assert second.nodes["CsvExampleGen"].outcome == "ran"
    [blessing] = second.outputs("Evaluator", "blessing")
    assert blessing.get_custom_property("baseline_version") == 1
    assert blessing.get_custom_property("baseline_model") == "s3://team/serving/1"
    [pushed] = second.outputs("Pusher", "pushed_model")
    assert pushed.get_custom_property("pushed_destination") == "s3://team/serving/2"
    assert [v["version"] for v in list_pushed_versions("s3://team/serving")] == [1, 2]

    # Every artifact ML Metadata holds lives on the store; the same inputs again: all cached.
    from tfxkit.metadata import connect

    uris = [a.uri for a in connect(str(tmp_path / "metadata.sqlite")).get_artifacts()]
    assert uris and all(uri.startswith("s3://team/") for uri in uris)
    third = runner.run(pipeline())
    assert {r.outcome for r in third.nodes.values()} == {"cached"}
    assert [v["version"] for v in list_pushed_versions("s3://team/serving")] == [1, 2]
