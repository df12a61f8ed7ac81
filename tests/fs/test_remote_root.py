"""The local runner with its pipeline_root on s3:// (a real S3-protocol server on 127.0.0.1,
moto's): outputs staged locally and published to the store (files, then the marker object), ML
Metadata recording store URIs, inputs read from local copies cached by URI and publication, a
rerun all cached (without TensorFlow), and an interrupted or damaged publication never taken
for a cache hit. Tiny function-component pipelines only; the penguin run on s3 is in
test_s3_pipeline.py. Bad roots and metadata locations are in tests/hostile/store.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest

from tests.resources.s3_server import make_bucket, s3_endpoint  # noqa: F401
from tests.resources.tiny_pipelines import combine, count_rows, make_examples, measure
from tfxkit import Input, Output, Parameter, Pipeline, component, fs
from tfxkit.errors import DataError
from tfxkit.runners import LocalDagRunner
from tfxkit.runners.local import SilentReporter
from tfxkit.runners.local.remote_root import STAGING_ENV, RemoteRoot
from tfxkit.types.standard_artifacts import Examples, Model

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]


@component
def describe(examples: Input[Examples], model: Output[Model], note: Parameter[str] = "") -> None:
    """Record where the executor saw its input and output (local paths) as custom properties."""
    (Path(model.uri) / "rows.txt").write_text(
        (Path(examples.uri) / "Split-train" / "data.txt").read_text())
    model.set_custom_property("read_from", examples.uri + "/Split-train")
    model.set_custom_property("written_to", model.uri)
    model.set_custom_property("note", note)


@pytest.fixture
def root(s3_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:  # noqa: F811
    """A fresh bucket's pipeline root; the local staging folder under tmp_path."""
    bucket = f"r-{uuid.uuid4().hex[:12]}"
    make_bucket(s3_endpoint, bucket)
    monkeypatch.setenv(STAGING_ENV, str(tmp_path / "staging"))
    return f"s3://{bucket}/pipelines/tiny"


def two_nodes(root: str, tmp_path: Path, note: str = "") -> Pipeline:
    events = str(tmp_path / "events")
    gen = make_examples(root=events)
    described = describe(examples=gen.outputs["examples"], note=note)
    return Pipeline("tiny", root, [gen, described], metadata=str(tmp_path / "metadata.sqlite"))


def run(pipeline: Pipeline, workers: int = 0) -> dict[str, str]:
    result = LocalDagRunner(workers=workers, hooks=SilentReporter()).run(pipeline)
    return {node: r.outcome for node, r in result.nodes.items()}


def local_folder(tmp_path: Path, root: str) -> Path:
    return tmp_path / "staging" / "s3" / root[len("s3://"):]


def test_outputs_are_published_to_the_store_and_a_rerun_is_cached_without_tensorflow(
        root: str, tmp_path: Path) -> None:
    events = str(tmp_path / "events")
    gen = make_examples(root=events)
    counted = count_rows(examples=gen.outputs["examples"], root=events)
    measured = measure(examples=gen.outputs["examples"], root=events)
    combined = combine(schema=counted.outputs["schema"], model=measured.outputs["model"],
                       root=events)
    metadata = tmp_path / "metadata.sqlite"
    pipeline = Pipeline("diamond", root, [gen, counted, measured, combined],
                        metadata=str(metadata))
    # workers: spawned (pyarrow is loaded), so each executor runs in its own process
    result = LocalDagRunner(workers=2, hooks=SilentReporter()).run(pipeline)
    assert {n: r.outcome for n, r in result.nodes.items()} == dict.fromkeys(
        ["make_examples", "count_rows", "measure", "combine"], "ran")
    [examples] = result.outputs("make_examples", "examples")
    assert examples.uri == f"{root}/make_examples/examples/{result.nodes['make_examples'].execution_id}"
    assert fs.is_published(examples.uri)
    assert json.loads(fs.read_bytes(f"{examples.uri}/{fs.PUBLISHED_MARKER}"))["files"] == 1
    assert fs.read_bytes(f"{examples.uri}/Split-train/data.txt") == b"row0\nrow1\nrow2\n"
    [out] = result.outputs("combine", "result")
    assert fs.read_bytes(f"{out.uri}/result.txt") == b"3,15"  # inputs read from the store

    from ml_metadata.proto import metadata_store_pb2 as pb

    from tfxkit.metadata import connect

    artifacts = connect(str(metadata)).get_artifacts()
    assert len(artifacts) == 4
    assert all(a.uri.startswith(f"{root}/") and a.state == pb.Artifact.LIVE for a in artifacts)
    local = local_folder(tmp_path, root)
    assert not list(local.glob("*/.staging/*"))  # staging emptied on publication
    # outputs moved into the input cache on publication: nothing was downloaded back
    assert len(list((local / ".inputs").iterdir())) == 4

    script = textwrap.dedent(f"""
        import json, sys
        from tests.resources.tiny_pipelines import combine, count_rows, make_examples, measure
        from tfxkit import Pipeline
        from tfxkit.runners import LocalDagRunner
        from tfxkit.runners.local import SilentReporter
        gen = make_examples(root={events!r})
        counted = count_rows(examples=gen.outputs["examples"], root={events!r})
        measured = measure(examples=gen.outputs["examples"], root={events!r})
        combined = combine(schema=counted.outputs["schema"], model=measured.outputs["model"],
                           root={events!r})
        result = LocalDagRunner(workers=2, hooks=SilentReporter()).run(Pipeline(
            "diamond", {root!r}, [gen, counted, measured, combined], metadata={str(metadata)!r}))
        heavy = [m for m in ("tensorflow", "tensorflow_data_validation", "apache_beam")
                 if m in sys.modules]
        print(json.dumps([{{n: r.outcome for n, r in result.nodes.items()}}, heavy]))
    """)
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    outcomes, heavy = json.loads(done.stdout.strip().splitlines()[-1])
    assert outcomes == dict.fromkeys(["make_examples", "count_rows", "measure", "combine"],
                                     "cached")
    assert heavy == []


def test_custom_properties_name_store_uris_not_local_copies(root: str, tmp_path: Path) -> None:
    result = LocalDagRunner(workers=0, hooks=SilentReporter()).run(two_nodes(root, tmp_path))
    [examples] = result.outputs("make_examples", "examples")
    [model] = result.outputs("describe", "model")
    assert model.get_custom_property("read_from") == f"{examples.uri}/Split-train"
    assert model.get_custom_property("written_to") == model.uri
    assert model.uri.startswith(f"{root}/describe/model/")


def test_a_publication_without_its_marker_is_never_a_cache_hit(root: str,
                                                              tmp_path: Path) -> None:
    first = LocalDagRunner(workers=0, hooks=SilentReporter()).run(two_nodes(root, tmp_path))
    [examples] = first.outputs("make_examples", "examples")
    # as a publication interrupted after its files and before its marker leaves it
    fs.delete_tree(f"{examples.uri}/{fs.PUBLISHED_MARKER}")
    assert fs.exists(f"{examples.uri}/Split-train/data.txt")
    assert not fs.is_published(examples.uri) and fs.published(examples.uri) is None
    second = LocalDagRunner(workers=0, hooks=SilentReporter()).run(two_nodes(root, tmp_path))
    assert {n: r.outcome for n, r in second.nodes.items()} == {"make_examples": "ran",
                                                              "describe": "ran"}
    [again] = second.outputs("make_examples", "examples")
    assert again.uri != examples.uri and fs.is_published(again.uri)
    # nor is an unmarked folder ever read as an input
    remote = RemoteRoot(root, tmp_path / "other-staging")
    with pytest.raises(DataError, match=r"expected a published folder \(its \.tfxkit-published "
                                        r"marker object\), found none.*rerun its producer"):
        remote.local_inputs({"examples": [examples]})
    assert run(two_nodes(root, tmp_path)) == {"make_examples": "cached", "describe": "cached"}


def test_a_damaged_publication_reruns_its_node(root: str, tmp_path: Path) -> None:
    first = LocalDagRunner(workers=0, hooks=SilentReporter()).run(two_nodes(root, tmp_path))
    [examples] = first.outputs("make_examples", "examples")
    fs.write_bytes(f"{examples.uri}/Split-train/data.txt", b"row0\n")  # marker kept, size not
    second = LocalDagRunner(workers=0, hooks=SilentReporter()).run(two_nodes(root, tmp_path))
    assert second.outcome("make_examples") == "ran" and second.outcome("describe") == "ran"
    [model] = second.outputs("describe", "model")
    fs.delete_tree(f"{model.uri}/rows.txt")  # a file gone from a published output
    assert run(two_nodes(root, tmp_path)) == {"make_examples": "cached", "describe": "ran"}


def test_an_unchanged_input_is_downloaded_once(root: str, tmp_path: Path) -> None:
    assert run(two_nodes(root, tmp_path)) == {"make_examples": "ran", "describe": "ran"}
    inputs = local_folder(tmp_path, root) / ".inputs"
    import shutil

    shutil.rmtree(inputs)  # another machine: nothing local yet
    assert run(two_nodes(root, tmp_path, note="b")) == {"make_examples": "cached",
                                                        "describe": "ran"}
    # the examples, downloaded, and describe's new output, moved in on publication
    assert len(list(inputs.iterdir())) == 2
    downloaded = {p.name: p.stat().st_ino for p in inputs.iterdir()}
    assert run(two_nodes(root, tmp_path, note="c")) == {"make_examples": "cached",
                                                        "describe": "ran"}
    again = {p.name: p.stat().st_ino for p in inputs.iterdir()}
    assert {k: again[k] for k in downloaded} == downloaded  # the same copies, not re-fetched
    assert len(again) == 3  # only describe's new output joined


def test_object_keys_that_leave_their_folder_are_refused(root: str, tmp_path: Path) -> None:
    import boto3

    bucket = root[len("s3://"):].split("/")[0]
    client = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
    client.put_object(Bucket=bucket, Key="evil/ok.txt", Body=b"x")
    client.put_object(Bucket=bucket, Key="evil/a/../../../escape", Body=b"x")
    target = tmp_path / "a" / "b" / "c"
    with pytest.raises(DataError, match=r"the object s3://.*/evil/a/\.\./\.\./\.\./escape has a "
                                        r"name that would leave the target folder.*nothing was "
                                        r"copied"):
        fs.copy_tree(f"s3://{bucket}/evil", str(target))
    assert not (tmp_path / "escape").exists() and not target.exists()


def test_tfxkit_run_takes_the_metadata_location_apart_from_an_s3_root(
        root: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.metadata.cli_pipeline import write_tiny
    from tfxkit.cli.main import main
    from tfxkit.metadata import connect

    tiny = write_tiny(tmp_path / "project")
    metadata = tmp_path / "meta" / "metadata.sqlite"
    argv = ["run", str(tiny), "-p", f"pipeline_root={root}", "--metadata", str(metadata),
            "--workers", "0"]
    assert main(argv) == 0
    uris = sorted(a.uri for a in connect(str(metadata)).get_artifacts())
    assert [u.rsplit("/", 1)[0] for u in uris] == [f"{root}/make_data/examples",
                                                  f"{root}/train/model"]
    assert fs.read_bytes(f"{uris[1]}/mean.txt") == b"4.5"
    assert main(argv) == 0
    assert "cached" in capsys.readouterr().err


def test_schema_checks_read_a_schema_on_the_store_from_its_local_copy(
        root: str, tmp_path: Path) -> None:
    from tfxkit.types.standard_artifacts import Schema

    folder = tmp_path / "schema"
    folder.mkdir()
    (folder / "schema.pbtxt").write_text('feature { name: "x" type: INT }\n')
    uri = f"{root}/SchemaGen/schema/4"
    fs.publish_tree(str(folder), uri)
    schema, examples = Schema(uri=uri), Examples(uri=f"{root}/Gen/examples/1")
    remote = RemoteRoot(root, tmp_path / "local")
    outputs, latest = remote.schema_copies({"SchemaGen": {"schema": [schema]},
                                            "Gen": {"examples": [examples]}},
                                           lambda node: {"schema": [schema]})
    [copy] = outputs.get("SchemaGen")["schema"]
    assert (Path(copy.uri) / "schema.pbtxt").read_text().startswith('feature { name: "x"')
    assert outputs.get("Gen")["examples"][0].uri == examples.uri  # not a schema: not fetched
    assert latest("SchemaGen")["schema"][0].uri == copy.uri  # the same copy
    assert outputs.get("Other") is None


def test_a_new_metadata_store_never_overwrites_outputs_on_the_store(root: str,
                                                                   tmp_path: Path) -> None:
    first = LocalDagRunner(workers=0, hooks=SilentReporter()).run(two_nodes(root, tmp_path))
    [old] = first.outputs("make_examples", "examples")
    (tmp_path / "metadata.sqlite").unlink()  # the store was deleted; its outputs stay
    second = LocalDagRunner(workers=0, hooks=SilentReporter()).run(two_nodes(root, tmp_path))
    [new] = second.outputs("make_examples", "examples")
    assert second.outcome("make_examples") == "ran" and new.uri != old.uri
    assert new.uri.rsplit("/", 1)[1].startswith(f"{second.nodes['make_examples'].execution_id}-")
    assert fs.is_published(old.uri) and fs.is_published(new.uri)
