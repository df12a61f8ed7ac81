"""Golden inputs: `snapshot_inputs` / `tfxkit snapshot` sample a step's upstream artifacts from
the recorded penguin run into a fixtures folder, and `run_step` runs the step on that copy in a
folder with no store (a fresh clone)."""

from __future__ import annotations

import gzip
import json
import re
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from tfxkit.testing import FixturesNotFoundError, StepInputsError, read_manifest, run_step
from tfxkit.testing.fixtures import sample_split, snapshot_inputs

from .conftest import files_state, store_state


def records(path: Path) -> list[bytes]:
    """The data of each record of a gzipped TFRecord file (framing read by hand)."""
    found, data = [], gzip.decompress(path.read_bytes())
    at = 0
    while at < len(data):
        (length,) = struct.unpack("<Q", data[at:at + 8])
        found.append(data[at + 12:at + 12 + length])
        at += 16 + length
    return found


def write_records(path: Path, items: list[bytes]) -> None:
    """A gzipped TFRecord file of `items`, framed by TensorFlow's writer."""
    import tensorflow as tf

    with tf.io.TFRecordWriter(str(path), options="GZIP") as writer:
        for item in items:
            writer.write(item)


@pytest.mark.integration
def test_sample_split_keeps_whole_records_spread_over_the_files(tmp_path: Path) -> None:
    import tensorflow as tf

    source = tmp_path / "Split-train"
    source.mkdir()
    write_records(source / "data_tfrecord-00000-of-00002.gz", [b"a%d" % i for i in range(30)])
    write_records(source / "data_tfrecord-00001-of-00002.gz", [b"b%d" % i for i in range(30)])
    assert sample_split(source, tmp_path / "out", 6) == 6
    [written] = list((tmp_path / "out").iterdir())
    assert written.name == "data_tfrecord-00000-of-00001.gz"
    read = [r.numpy() for r in tf.data.TFRecordDataset(str(written), compression_type="GZIP")]
    assert read == [b"a0", b"a10", b"a20", b"b0", b"b10", b"b20"], "checksums intact, evenly spread"
    assert sample_split(source, tmp_path / "all", 100) == 60, "fewer rows than asked: all of them"


@pytest.fixture(scope="module")
def trainer_fixtures(penguin_context, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Golden inputs of the penguin Trainer, 16 rows per split, with the store proven unchanged."""
    pipeline = penguin_context.context.pipeline
    before_store = store_state(penguin_context.metadata)
    before_files = files_state(Path(pipeline.pipeline_root))
    folder = tmp_path_factory.mktemp("project") / "tests" / "fixtures"
    written = snapshot_inputs("Trainer", rows=16, to=folder, pipeline=pipeline)
    assert written == folder / "Trainer"
    assert store_state(penguin_context.metadata) == before_store
    assert files_state(Path(pipeline.pipeline_root)) == before_files
    return folder


@pytest.mark.integration
def test_snapshot_samples_examples_and_copies_small_artifacts(penguin_context,
                                                              trainer_fixtures: Path) -> None:
    manifest = read_manifest(trainer_fixtures, "Trainer")
    assert manifest["node_id"] == "Trainer" and manifest["component"] == "Trainer"
    assert manifest["pipeline_name"] == "penguin"
    assert manifest["source_run_id"] == penguin_context.full_run_id
    assert set(manifest["inputs"]) == {"examples", "transform_graph"}
    [examples] = manifest["inputs"]["examples"]
    assert examples["type"] == "Examples"
    assert examples["split_names"] == ["train", "eval"]
    assert examples["sampled_rows"] == {"train": 16, "eval": 16}
    transform = penguin_context.context.results["Transform"].outputs
    assert examples["source_id"] == transform["transformed_examples"][0].id
    assert "tfxkit_file_count" not in examples["custom_properties"]
    for split in ("train", "eval"):
        [file] = (trainer_fixtures / "Trainer" / examples["path"] / f"Split-{split}").iterdir()
        assert len(records(file)) == 16
    [graph] = manifest["inputs"]["transform_graph"]
    assert graph["type"] == "TransformGraph" and "sampled_rows" not in graph
    source = Path(transform["transform_graph"][0].uri)
    copied = trainer_fixtures / "Trainer" / graph["path"]
    assert files_state(copied) == files_state(source), "copied whole, byte for byte"
    assert json.loads((trainer_fixtures / "Trainer" / "manifest.json").read_text()) == manifest


@pytest.mark.integration
def test_run_step_on_the_snapshot_in_a_clone_without_store(penguin_context, trainer_fixtures,
                                                           tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    shutil.copytree(trainer_fixtures, clone / "tests" / "fixtures")
    no_store = clone / "pipeline_output" / "metadata.sqlite"
    result = run_step("Trainer", pipeline=penguin_context.context.pipeline,
                      metadata=str(no_store), fixtures=clone / "tests" / "fixtures",
                      output_dir=tmp_path / "out", train_steps=3, custom_config={"epochs": 1})
    assert result.source == "fixtures", "no store: the golden inputs (inputs='auto')"
    assert result.source_run_id == penguin_context.full_run_id
    assert (Path(result.uri("model")) / "Format-Serving" / "saved_model.pb").is_file()
    assert result.inputs["examples"][0].uri.startswith(str(clone))
    assert not no_store.exists() and not (clone / "pipeline_output").exists()


def test_missing_snapshot_says_what_to_run(tmp_path: Path) -> None:
    with pytest.raises(FixturesNotFoundError, match=(
            r"No golden inputs for Trainer: .*Trainer/manifest\.json does not exist\. Make them "
            r"where the pipeline has run: `tfxkit run` \(once\), then `tfxkit snapshot Trainer` "
            r"\(in a generated project: `make fixtures`\), and commit")):
        read_manifest(tmp_path / "fixtures", "Trainer")


@pytest.mark.integration
def test_stale_snapshot_is_refused(penguin_context, trainer_fixtures, tmp_path: Path) -> None:
    stale = tmp_path / "fixtures"
    shutil.copytree(trainer_fixtures, stale)
    manifest_file = stale / "Trainer" / "manifest.json"
    manifest = json.loads(manifest_file.read_text())
    del manifest["inputs"]["transform_graph"]
    manifest_file.write_text(json.dumps(manifest))
    with pytest.raises(StepInputsError, match=(
            r"The golden inputs of Trainer \(.*\) have no 'transform_graph' input, which the "
            r"step now reads\. Re-make it: `tfxkit snapshot Trainer`")):
        run_step("Trainer", pipeline=penguin_context.context.pipeline, inputs="fixtures",
                 fixtures=stale, output_dir=tmp_path / "out")
    manifest["inputs"]["transform_graph"] = [{"type": "Schema", "path": "transform_graph/0"}]
    manifest_file.write_text(json.dumps(manifest))
    with pytest.raises(StepInputsError, match=r"hold a Schema for 'transform_graph', the step "
                                              r"expects TransformGraph"):
        run_step("Trainer", pipeline=penguin_context.context.pipeline, inputs="fixtures",
                 fixtures=stale, output_dir=tmp_path / "out")
    outside = tmp_path / "elsewhere"
    shutil.copytree(stale / "Trainer" / "transform_graph" / "0", outside)
    for path in ("../../elsewhere", str(outside), ""):
        manifest["inputs"]["transform_graph"] = [{"type": "TransformGraph", "path": path}]
        manifest_file.write_text(json.dumps(manifest))
        with pytest.raises(StepInputsError, match=(
                rf"input 'transform_graph' lies at '{re.escape(path)}', outside the step's "
                r"golden inputs folder .*Trainer \(expected a path such as 'transform_graph/0' "
                r"inside it\)")):
            run_step("Trainer", pipeline=penguin_context.context.pipeline, inputs="fixtures",
                     fixtures=stale, output_dir=tmp_path / "out")


# -- the command ------------------------------------------------------------------------------
PIPELINE_FILE = '''
from tfxkit import Pipeline
from tfxkit.components import CsvExampleGen, SchemaGen, StatisticsGen


def create_pipeline():
    """The first three steps of the session's penguin pipeline, on its recorded store."""
    gen = CsvExampleGen(input_base={data!r})
    stats = StatisticsGen(examples=gen.outputs["examples"])
    schema = SchemaGen(statistics=stats.outputs["statistics"])
    return Pipeline("penguin", {root!r}, [gen, stats, schema], metadata={metadata!r})
'''


def tfxkit(*argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tfxkit", *argv], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


@pytest.mark.integration
def test_snapshot_command(penguin_context, tmp_path: Path) -> None:
    from tests.conftest import NOTEBOOKS

    pipeline = penguin_context.context.pipeline
    file = tmp_path / "penguin_pipeline.py"
    file.write_text(PIPELINE_FILE.format(data=str(NOTEBOOKS / "data"),
                                         root=pipeline.pipeline_root,
                                         metadata=penguin_context.metadata))
    before = store_state(penguin_context.metadata)
    done = tfxkit("snapshot", "SchemaGen", str(file), "--rows", "8", "--to", "fixtures",
                  cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert f"Golden inputs of SchemaGen (run {penguin_context.full_run_id})" in done.stdout
    assert "statistics           ExampleStatistics    copied whole" in done.stdout
    manifest = read_manifest(tmp_path / "fixtures", "SchemaGen")
    assert manifest["inputs"]["statistics"][0]["split_names"] == ["train", "eval"]
    assert store_state(penguin_context.metadata) == before
    unknown = tfxkit("snapshot", "Trainer", str(file), "--to", "fixtures", cwd=tmp_path)
    assert unknown.returncode == 1
    assert unknown.stderr.strip() == (
        "tfxkit: error: Pipeline 'penguin' has no step 'Trainer'. Steps: CsvExampleGen, "
        "StatisticsGen, SchemaGen.")
    too_big = tfxkit("snapshot", "SchemaGen", str(file), "--to", "big", "--max-mb", "0.000001",
                     cwd=tmp_path)
    assert too_big.returncode == 1
    assert "over the 0 MB copied whole into golden inputs" in too_big.stderr
    assert not (tmp_path / "big" / "SchemaGen").exists(), "nothing half-written"
    bad_rows = tfxkit("snapshot", "SchemaGen", str(file), "--rows", "0", cwd=tmp_path)
    assert bad_rows.returncode == 1 and "--rows 0: expected a positive number" in bad_rows.stderr
