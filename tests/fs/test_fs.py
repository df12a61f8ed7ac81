"""tfxkit.fs against a real S3-protocol server on 127.0.0.1 (moto's standalone server) and the
local file system: listing, reading, writing, copying trees in order, launcher mounts."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from tests.resources.s3_server import environment, make_bucket, s3_endpoint  # noqa: F401
from tfxkit import fs
from tfxkit.errors import DataError

pytestmark = pytest.mark.integration


@pytest.fixture
def bucket(s3_endpoint: str) -> str:  # noqa: F811
    name = f"b-{uuid.uuid4().hex[:12]}"
    make_bucket(s3_endpoint, name)
    return name


def test_write_list_read_on_s3(bucket: str) -> None:
    base = f"s3://{bucket}/data"
    fs.write_bytes(f"{base}/train/a.csv", b"x,y\n1,2\n")
    fs.write_bytes(f"{base}/b.csv", b"x,y\n3,4\n")
    fs.write_bytes(f"{base}/.hidden", b"no")
    assert fs.list_files(base) == [("b.csv", 8), ("train/a.csv", 8)]
    assert fs.listdir(base) == [(".hidden", False), ("b.csv", False), ("train", True)]
    assert fs.read_bytes(f"{base}/train/a.csv") == b"x,y\n1,2\n"
    assert fs.is_dir(base) and fs.is_dir(f"{base}/train") and not fs.is_file(base)
    assert fs.is_file(f"{base}/b.csv") and fs.exists(f"{base}/b.csv")
    assert not fs.exists(f"{base}/missing") and fs.list_files(f"s3://{bucket}/nothing") == []


def test_copy_tree_local_to_store_and_back_writes_marker_last(bucket: str,
                                                              tmp_path: Path) -> None:
    source = tmp_path / "model"
    (source / "variables").mkdir(parents=True)
    (source / "variables" / "variables.index").write_bytes(b"i" * 10)
    (source / "saved_model.pb").write_bytes(b"pb")
    (source / "assets.txt").write_bytes(b"a")
    target = f"s3://{bucket}/serving/1"
    assert fs.copy_tree(str(source), target, last=("saved_model.pb",)) == 3
    assert fs.list_files(target) == [("assets.txt", 1), ("saved_model.pb", 2),
                                     ("variables/variables.index", 10)]
    back = tmp_path / "back"
    fs.copy_tree(target, str(back))
    assert (back / "variables" / "variables.index").read_bytes() == b"i" * 10
    written = {p.name: p.stat().st_mtime_ns for p in back.rglob("*") if p.is_file()}
    fs.copy_tree(str(source), str(tmp_path / "again"), last=("saved_model.pb",))
    written = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "again").rglob("*")
               if p.is_file()}
    assert written["saved_model.pb"] == max(written.values())
    fs.delete_tree(f"s3://{bucket}/serving")
    assert fs.list_files(f"s3://{bucket}/serving") == []


def test_local_paths_and_file_uris(tmp_path: Path) -> None:
    fs.write_bytes(str(tmp_path / "d" / "x.txt"), b"hi")
    assert fs.list_files(str(tmp_path / "d")) == [("x.txt", 2)]
    assert fs.read_bytes(f"file://{tmp_path}/d/x.txt") == b"hi"
    assert fs.local_path(str(tmp_path)) == str(tmp_path)


def test_launcher_mount_is_used_when_present(tmp_path: Path) -> None:
    mount = tmp_path / "gcs"
    (mount / "bucket" / "data").mkdir(parents=True)
    (mount / "bucket" / "data" / "a.csv").write_text("x\n1\n")
    with environment({fs.MOUNTS_ENV: json.dumps({"gs://": str(mount)})}):
        assert fs.local_path("gs://bucket/data") == f"{mount}/bucket/data"
        assert fs.list_files("gs://bucket/data") == [("a.csv", 4)]
        assert fs.local_path("s3://bucket/data") is None  # no mount configured for s3
    with environment({fs.MOUNTS_ENV: json.dumps({"gs://": str(tmp_path / "absent")})}):
        assert fs.local_path("gs://bucket/data") is None  # not in a container: read directly


@pytest.mark.parametrize(("location", "message"), [
    ("hdfs://x/y", r"unsupported scheme; expected a local path, gs://, s3:// or minio://"),
    ("s3://", r"expected s3://<bucket>/<path>"),
])
def test_bad_locations_are_named(location: str, message: str) -> None:
    with pytest.raises(DataError, match=message):
        fs.list_files(location)


def test_bad_mount_setting_is_named() -> None:
    with environment({fs.MOUNTS_ENV: "/gcs"}), pytest.raises(
            DataError, match=r"TFXKIT_LAUNCHER_MOUNTS: expected a JSON object"):
        fs.launcher_mounts()


def test_unreachable_store_names_endpoint_and_fix(s3_endpoint: str) -> None:  # noqa: F811
    with environment({"AWS_ENDPOINT_URL": "http://127.0.0.1:9"}), pytest.raises(
            DataError, match=r"Could not reach s3://b/x \(S3 endpoint http://127.0.0.1:9; set "
                             r"AWS_ENDPOINT_URL"):
        fs.list_files("s3://b/x")


def test_local_runner_on_an_object_store_root_needs_metadata_given_and_writes_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.resources.tiny_pipelines import create_pipeline
    from tfxkit.errors import PipelineDefinitionError
    from tfxkit.runners import LocalDagRunner

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TFXKIT_STAGING_DIR", str(tmp_path / "staging"))
    pipeline = create_pipeline("s3://bucket/root")
    with pytest.raises(PipelineDefinitionError, match=(
            r"pipeline_root 's3://bucket/root' is on an object store, where ML Metadata cannot "
            r"live .* Expected an explicit metadata location: a local SQLite file or mysql://"
            r"user@host:port/db; found no metadata location .* Fix: `tfxkit run \.\.\. "
            r"--metadata pipeline_output/metadata.sqlite`, or Pipeline\(\.\.\., metadata=")):
        LocalDagRunner(workers=0).run(pipeline)
    assert list(tmp_path.iterdir()) == []  # no "s3:" folder, no metadata.sqlite, no staging


def test_a_store_that_times_out_is_asked_again_and_other_errors_are_not() -> None:
    calls: list[int] = []

    def slow_then_fine() -> str:
        calls.append(1)
        if len(calls) < 2:
            raise OSError("AWS Error NETWORK_CONNECTION during HeadObject operation: "
                          "curlCode: 28, Timeout was reached")
        return "answered"

    assert fs._patiently(slow_then_fine) == "answered" and len(calls) == 2

    def refused() -> None:
        calls.append(1)
        raise OSError("curlCode: 7, Couldn't connect to server")

    calls.clear()
    with pytest.raises(OSError, match="curlCode: 7"):
        fs._patiently(refused)
    assert len(calls) == 1
