"""Components' user-given locations on a real S3-protocol server (moto's, on 127.0.0.1):
ExampleGen's listing, split patterns, errors and cache fingerprint; the Pusher's versions
(published with saved_model.pb last; a half-copied version is never the baseline); the
Evaluator's baseline lookup; ImportSchemaGen's schema file."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from tests.resources.s3_server import make_bucket, s3_endpoint  # noqa: F401
from tfxkit import fs
from tfxkit.components.example_gen.config import (
    content_fingerprint,
    match_input_files,
    parse_input_config,
)
from tfxkit.components.pusher.registry import (
    latest_complete_version,
    list_pushed_versions,
    push_directory,
)
from tfxkit.errors import DataError

pytestmark = pytest.mark.integration


@pytest.fixture
def bucket(s3_endpoint: str) -> str:  # noqa: F811
    name = f"c-{uuid.uuid4().hex[:12]}"
    make_bucket(s3_endpoint, name)
    return name


def test_example_gen_lists_matches_and_stages_store_files(bucket: str, tmp_path: Path) -> None:
    base = f"s3://{bucket}/data"
    fs.write_bytes(f"{base}/train/a.csv", b"x\n1\n")
    fs.write_bytes(f"{base}/train/deep/b.csv", b"x\n2\n")
    fs.write_bytes(f"{base}/eval/c.csv", b"x\n3\n")
    fs.write_bytes(f"{base}/eval/.hidden.csv", b"x\n4\n")
    splits = parse_input_config({"splits": [{"name": "train", "pattern": "train/**/*.csv"},
                                            {"name": "eval", "pattern": "eval/*"}]})
    listed = match_input_files(base, splits)
    assert listed.files == {"train": [f"{base}/train/a.csv", f"{base}/train/deep/b.csv"],
                            "eval": [f"{base}/eval/c.csv"]}
    staged = match_input_files(base, splits, stage_dir=str(tmp_path))
    local = tmp_path / "s3" / bucket / "data"
    assert staged.files["train"] == [str(local / "train" / "a.csv"),
                                     str(local / "train" / "deep" / "b.csv")]
    assert Path(staged.files["eval"][0]).read_bytes() == b"x\n3\n"
    assert staged.real[str(local / "eval" / "c.csv")] == f"{base}/eval/c.csv"


def test_example_gen_store_errors_name_the_location(bucket: str) -> None:
    with pytest.raises(DataError, match=rf"input_base: 's3://{bucket}/nothing' holds no objects"):
        match_input_files(f"s3://{bucket}/nothing", parse_input_config(None))
    fs.write_bytes(f"s3://{bucket}/d/a.csv", b"x\n1\n")
    with pytest.raises(DataError, match=r"pattern 'train/\*' matches no file under "
                                        rf"'s3://{bucket}/d' \(it holds \['a.csv'\]\)"):
        match_input_files(f"s3://{bucket}/d", parse_input_config(
            {"splits": [{"name": "train", "pattern": "train/*"}]}))
    with pytest.raises(DataError, match=r"is matched by split 'b' and by split 'a'"):
        match_input_files(f"s3://{bucket}/d", parse_input_config(
            {"splits": [{"name": "a", "pattern": "*.csv"}, {"name": "b", "pattern": "a.*"}]}))
    with pytest.raises(DataError, match=r"leaves input_base"):
        match_input_files(f"s3://{bucket}/d", (parse_input_config(None)[0].__class__(
            "x", "../other/*"),))


def test_fingerprint_follows_object_content(bucket: str) -> None:
    base = f"s3://{bucket}/fp"
    fs.write_bytes(f"{base}/a.csv", b"x\n1\n")
    first = content_fingerprint(base, None)
    fs.write_bytes(f"{base}/a.csv", b"x\n1\n")  # rewritten, same bytes
    assert content_fingerprint(base, None) == first
    fs.write_bytes(f"{base}/a.csv", b"x\n2\n")
    assert content_fingerprint(base, None) != first


def _model(folder: Path, tag: bytes = b"m") -> Path:
    (folder / "variables").mkdir(parents=True)
    (folder / "variables" / "variables.index").write_bytes(tag)
    (folder / "saved_model.pb").write_bytes(tag)
    return folder


def test_pushes_to_a_store_claim_the_next_version(bucket: str, tmp_path: Path) -> None:
    destination = {"filesystem": {"base_directory": f"s3://{bucket}/serving"}}
    assert list_pushed_versions(destination) == []
    assert push_directory(str(_model(tmp_path / "m1")), destination) == (
        1, f"s3://{bucket}/serving/1")
    assert push_directory(str(_model(tmp_path / "m2", b"second")), destination) == (
        2, f"s3://{bucket}/serving/2")
    versions = list_pushed_versions(destination)
    assert [(v["version"], v["complete"]) for v in versions] == [(1, True), (2, True)]
    assert fs.read_bytes(f"s3://{bucket}/serving/2/saved_model.pb") == b"second"
    assert all(isinstance(v["time"], float) for v in versions)


def test_half_copied_version_on_the_store_is_never_the_baseline(bucket: str,
                                                                tmp_path: Path) -> None:
    base = f"s3://{bucket}/serving"
    push_directory(str(_model(tmp_path / "m1")), base)
    # a push that died mid-copy: variables there, saved_model.pb (written last) missing
    fs.write_bytes(f"{base}/2/variables/variables.index", b"half")
    latest, skipped = latest_complete_version(base)
    assert latest is not None and latest["version"] == 1
    assert [v["version"] for v in skipped] == [2]
    # the next push does not reuse the half-copied number
    assert push_directory(str(_model(tmp_path / "m3")), base)[0] == 3


def test_evaluator_baseline_lookup_reads_the_store(bucket: str, tmp_path: Path) -> None:
    from tfxkit.components.evaluator.executor import Executor

    base = f"s3://{bucket}/serving"
    push_directory(str(_model(tmp_path / "m1")), base)
    baseline = Executor._baseline({}, {"push_destination": base})
    assert (baseline.path, baseline.version) == (f"{base}/1", 1)


def test_import_schema_gen_reads_a_schema_file_on_the_store(bucket: str, tmp_path: Path) -> None:
    from tfxkit.components import ImportSchemaGen
    from tfxkit.components.import_schema_gen.executor import Executor
    from tfxkit.types.standard_artifacts import Schema

    text = b'feature { name: "a" type: INT }\n'
    uri = f"s3://{bucket}/schema/schema.pbtxt"
    fs.write_bytes(uri, text)
    component = ImportSchemaGen(schema_file=uri)
    fingerprint = component.cache_fingerprint(component.exec_properties)
    assert len(fingerprint) == 64
    out = Schema(uri=str(tmp_path / "schema"))
    Executor().Do({}, {"schema": [out]}, {"schema_file": uri})
    assert (tmp_path / "schema" / "schema.pbtxt").read_bytes() == text
    fs.write_bytes(uri, text + b'feature { name: "b" type: FLOAT }\n')
    assert component.cache_fingerprint(component.exec_properties) != fingerprint


def test_module_file_on_the_store_is_loaded_from_a_fresh_local_copy(bucket: str) -> None:
    from tfxkit.components._shared.user_code import user_function
    from tfxkit.dsl.user_code import locate_user_code, user_code_hash
    from tfxkit.errors import ComponentArgumentError

    uri = f"s3://{bucket}/code/model.py"
    fs.write_bytes(uri, b"def run_fn(fn_args):\n    return 1\n")
    first = user_code_hash(uri)
    assert locate_user_code(uri).read_bytes() == b"def run_fn(fn_args):\n    return 1\n"
    with user_function(component="Trainer", fn_name="run_fn", module_file=uri) as fn:
        assert fn(None) == 1
    fs.write_bytes(uri, b"def run_fn(fn_args):\n    return 2\n")
    assert user_code_hash(uri) != first  # the cache sees the new code
    with user_function(component="Trainer", fn_name="run_fn", module_file=uri) as fn:
        assert fn(None) == 2
    with pytest.raises(ComponentArgumentError, match=r"User code file 's3://.*/code/none.py' "
                                                     r"does not exist on the store"):
        locate_user_code(f"s3://{bucket}/code/none.py")


def test_push_through_a_launcher_mount_records_the_uri(tmp_path: Path) -> None:
    import json

    from tests.resources.s3_server import environment
    from tfxkit.components.pusher.executor import Executor
    from tfxkit.types.standard_artifacts import Model, PushedModel

    _model(tmp_path / "model" / "Format-Serving")
    mount = tmp_path / "gcs"
    mount.mkdir()
    pushed = PushedModel(uri=str(tmp_path / "pushed"))
    with environment({fs.MOUNTS_ENV: json.dumps({"gs://": str(mount)})}):
        Executor().Do({"model": [Model(uri=str(tmp_path / "model"))]},
                      {"pushed_model": [pushed]},
                      {"push_destination": "gs://bucket/serving"})
        assert list_pushed_versions("gs://bucket/serving")[0]["complete"]
    assert pushed.get_custom_property("pushed_destination") == "gs://bucket/serving/1"
    assert (mount / "bucket" / "serving" / "1" / "saved_model.pb").is_file()
