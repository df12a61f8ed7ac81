"""tfxkit.fs reaches local paths (and launcher mounts) through the standard library alone.

pyarrow is imported for object stores only, so the local runner, which fingerprints
ExampleGen's input through `tfxkit.fs` before its first worker starts, stays free of
fork-unsafe libraries and forks its workers (`runners.local.workers.default_start_method`); a
fully cached run loads no pyarrow either. The same operations give the same answers on a local
folder as on a real S3-protocol server (moto), as they did when local paths went through
`pyarrow.fs.LocalFileSystem`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.resources.s3_server import make_bucket, s3_endpoint  # noqa: F401
from tfxkit import fs
from tfxkit.errors import DataError

REPO = Path(__file__).resolve().parents[2]
CSV = "a,b\n" + "".join(f"{i},x{i}\n" for i in range(30))  # enough rows for train and eval


def run_python(code: str, *args: str, cwd: Path = REPO) -> Any:
    """Run `code` in a fresh interpreter (repo importable); return the JSON its last line
    prints."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])])}
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


LOADED = "[m for m in ('pyarrow', 'tensorflow', 'apache_beam', 'tfx_bsl') if m in sys.modules]"

# Runs a one-node pipeline (CsvExampleGen on a local folder) and reports, for every worker the
# runner starts, its start method and the fork-unsafe modules the runner had loaded by then.
RUN_CSV_PIPELINE = f"""
import json, sys
from tfxkit import Pipeline
from tfxkit.components import CsvExampleGen
from tfxkit.runners import LocalDagRunner
from tfxkit.runners.local import SilentReporter, workers

starts = []
start_worker = workers.WorkerPool._start_worker

def recording_start(self):
    starts.append([self.start_method,
                   [m for m in workers.FORK_UNSAFE_MODULES if m in sys.modules]])
    return start_worker(self)

workers.WorkerPool._start_worker = recording_start
pipeline = Pipeline(pipeline_name="tiny_csv", pipeline_root=sys.argv[1],
                    components=[CsvExampleGen(input_base=sys.argv[2])], enable_cache=True)
result = LocalDagRunner(workers=1, hooks=SilentReporter()).run(pipeline)
print(json.dumps({{"outcome": result.outcome("CsvExampleGen"), "starts": starts,
                  "loaded": {LOADED}}}))
"""


def csv_folder(root: Path) -> Path:
    data = root / "data"
    data.mkdir(parents=True)
    (data / "rows.csv").write_text(CSV)
    return data


@pytest.mark.integration
def test_cold_local_run_forks_and_cached_run_loads_no_pyarrow_or_tensorflow(
        tmp_path: Path) -> None:
    data = csv_folder(tmp_path)
    root = str(tmp_path / "root")
    cold = run_python(RUN_CSV_PIPELINE, root, str(data), cwd=tmp_path)
    assert cold["outcome"] == "ran"
    # the runner fingerprinted the CSV input (cache key) before starting its worker: still fork
    assert cold["starts"] == [["fork", []]]
    assert cold["loaded"] == []
    cached = run_python(RUN_CSV_PIPELINE, root, str(data), cwd=tmp_path)
    assert cached == {"outcome": "cached", "starts": [], "loaded": []}


def test_fingerprinting_a_local_csv_input_imports_no_pyarrow(tmp_path: Path) -> None:
    data = csv_folder(tmp_path)
    code = ("import json, sys\n"
            "from tfxkit.components import CsvExampleGen\n"
            "gen = CsvExampleGen(input_base=sys.argv[1])\n"
            "key = gen.cache_fingerprint(gen.exec_properties)\n"
            f"print(json.dumps([key, {LOADED}]))")
    key, loaded = run_python(code, str(data))
    assert loaded == []
    assert len(key) == 64
    from tfxkit.components.example_gen.config import content_fingerprint
    assert key == content_fingerprint(str(data), None)  # the same key in this process


def test_fingerprinting_a_local_schema_file_imports_no_pyarrow(tmp_path: Path) -> None:
    (tmp_path / "schema").mkdir()
    (tmp_path / "schema" / "schema.pbtxt").write_text('feature { name: "a" type: INT }\n')
    code = ("import json, sys\n"
            "from tfxkit.components import ImportSchemaGen\n"
            "gen = ImportSchemaGen(schema_file=sys.argv[1])\n"
            "key = gen.cache_fingerprint(gen.exec_properties)\n"
            f"print(json.dumps([key, {LOADED}]))")
    key, loaded = run_python(code, str(tmp_path / "schema" / "schema.pbtxt"))
    assert loaded == [] and len(key) == 64


def test_every_local_operation_and_launcher_mounts_import_no_pyarrow(tmp_path: Path) -> None:
    mount = tmp_path / "gcs"
    (mount / "bucket").mkdir(parents=True)
    code = f"""
import json, os, sys
os.environ["TFXKIT_LAUNCHER_MOUNTS"] = json.dumps({{"gs://": {str(mount)!r}}})
from tfxkit import fs
base = sys.argv[1]
for root in (base, "gs://bucket/x", "file://" + base + "/f"):
    fs.write_bytes(root + "/d/a.txt", b"abc")
    fs.copy_file(root + "/d/a.txt", root + "/e/b.txt")
    fs.copy_tree(root + "/d", root + "/g", last=("a.txt",))
    got = [fs.list_files(root), fs.listdir(root), fs.exists(root + "/d"), fs.is_dir(root + "/d"),
           fs.is_file(root + "/d/a.txt"), fs.read_bytes(root + "/g/a.txt").decode(),
           fs.mtime(root + "/d/a.txt") is not None]
    fs.makedirs(root + "/h")
    fs.delete_tree(root + "/d")
    assert not fs.exists(root + "/d")
print(json.dumps([got, {LOADED}]))
"""
    got, loaded = run_python(code, str(tmp_path / "local"))
    assert loaded == []
    assert got == [[["d/a.txt", 3], ["e/b.txt", 3], ["g/a.txt", 3]],
                   [["d", True], ["e", True], ["g", True]], True, True, True, "abc", True]
    assert (mount / "bucket" / "x" / "g" / "a.txt").read_bytes() == b"abc"  # through the mount


# -- the same answers locally as on a store ------------------------------------------------------
@pytest.fixture
def bucket(s3_endpoint: str) -> str:  # noqa: F811
    name = f"b-{uuid.uuid4().hex[:12]}"
    make_bucket(s3_endpoint, name)
    return name


def exercise(base: str, scratch: Path) -> dict[str, Any]:
    """Every tfxkit.fs operation on folder `base` (local or on a store); what each answered."""
    fs.write_bytes(f"{base}/train/a.csv", b"x,y\n1,2\n")
    fs.write_bytes(f"{base}/b.csv", b"x,y\n3,4\n")
    fs.write_bytes(f"{base}/.hidden", b"no")
    fs.write_bytes(f"{base}/deep/er/c.bin", bytes(range(256)) * 9000)  # > one 1 MiB chunk
    fs.copy_file(f"{base}/b.csv", f"{base}/copies/b.csv")
    fs.write_bytes(f"{base}/b.csv", b"x,y\n5,6\n")  # overwrite
    source = scratch / f"model-{uuid.uuid4().hex[:6]}"
    (source / "variables").mkdir(parents=True)
    (source / "variables" / "variables.index").write_bytes(b"i" * 10)
    (source / "saved_model.pb").write_bytes(b"pb")
    (source / ".keep").write_bytes(b"")
    copied = fs.copy_tree(str(source), f"{base}/model", last=("saved_model.pb",))
    back = scratch / f"back-{uuid.uuid4().hex[:6]}"
    fs.copy_tree(f"{base}/model", str(back))
    errors = {}
    for name, call in {
        "read_missing": lambda: fs.read_bytes(f"{base}/missing.csv"),
        "copy_missing_file": lambda: fs.copy_file(f"{base}/missing.csv", f"{base}/x.csv"),
        "copy_missing_tree": lambda: fs.copy_tree(f"{base}/nothing", str(scratch / "n")),
    }.items():
        with pytest.raises(DataError, match=r"Could not reach .*missing|Could not reach .*nothing"):
            call()
        errors[name] = "DataError"
    answers = {
        "list_files": fs.list_files(base),
        "listdir": fs.listdir(base),
        "listdir_train": fs.listdir(f"{base}/train"),
        "list_missing": fs.list_files(f"{base}/nothing"),
        "listdir_missing": fs.listdir(f"{base}/nothing"),
        "read": fs.read_bytes(f"{base}/b.csv"),
        "read_copy": fs.read_bytes(f"{base}/copies/b.csv"),
        "big": fs.read_bytes(f"{base}/deep/er/c.bin") == bytes(range(256)) * 9000,
        "chunks": [len(c) for c in fs.iter_chunks(f"{base}/b.csv", size=3)],
        "kinds": [(fs.exists(p), fs.is_dir(p), fs.is_file(p)) for p in
                  (base, f"{base}/train", f"{base}/b.csv", f"{base}/missing", f"{base}/trai")],
        "mtime": [fs.mtime(f"{base}/b.csv") is not None, fs.mtime(f"{base}/missing")],
        "copied": copied,
        "back": sorted(str(p.relative_to(back)) for p in back.rglob("*") if p.is_file()),
        "errors": errors,
    }
    fs.delete_tree(f"{base}/train")
    fs.delete_tree(f"{base}/nothing")  # a missing folder is fine
    answers["after_delete"] = [relative for relative, _ in fs.list_files(base)]
    return answers


@pytest.mark.integration
def test_local_folder_answers_like_the_object_store(bucket: str, tmp_path: Path) -> None:
    local = exercise(str(tmp_path / "local"), tmp_path)
    store = exercise(f"s3://{bucket}/data", tmp_path)
    assert local == store
    assert local["list_files"] == [
        ("b.csv", 8), ("copies/b.csv", 8), ("deep/er/c.bin", 256 * 9000),
        ("model/saved_model.pb", 2), ("model/variables/variables.index", 10),
        ("train/a.csv", 8)]
    assert local["listdir"] == [(".hidden", False), ("b.csv", False), ("copies", True),
                                ("deep", True), ("model", True), ("train", True)]
    assert local["read"] == b"x,y\n5,6\n" and local["read_copy"] == b"x,y\n3,4\n"
    assert local["chunks"] == [3, 3, 2]
    assert local["kinds"] == [(True, True, False), (True, True, False), (True, False, True),
                              (False, False, False), (False, False, False)]
    assert local["copied"] == 3
    assert local["back"] == [".keep", "saved_model.pb", "variables/variables.index"]


def test_local_copy_tree_writes_the_last_files_last(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    source = tmp_path / "model"
    (source / "variables").mkdir(parents=True)
    (source / "saved_model.pb").write_bytes(b"pb")
    (source / "variables" / "variables.data").write_bytes(b"d")
    (source / "z.txt").write_bytes(b"z")
    order: list[str] = []
    real_copy = fs._copy

    def recording_copy(src: Any, dst: Any) -> None:  # observes the order, copies for real
        order.append(os.path.relpath(dst[1], tmp_path / "out"))
        real_copy(src, dst)

    monkeypatch.setattr(fs, "_copy", recording_copy)
    assert fs.copy_tree(str(source), str(tmp_path / "out"), last=("saved_model.pb",)) == 3
    assert order == ["variables/variables.data", "z.txt", "saved_model.pb"]
    assert (tmp_path / "out" / "variables" / "variables.data").read_bytes() == b"d"


# -- local specifics pyarrow's LocalFileSystem had: symlinks followed, errors named ----------
def test_local_symlinks_are_followed_and_broken_ones_are_absent(tmp_path: Path) -> None:
    (tmp_path / "out" / "o").mkdir(parents=True)
    (tmp_path / "out" / "o" / "f.csv").write_bytes(b"12345")
    base = tmp_path / "d"
    base.mkdir()
    (base / "a.csv").write_bytes(b"abc")
    (base / "link").symlink_to(tmp_path / "out")
    (base / "flink.csv").symlink_to(tmp_path / "out" / "o" / "f.csv")
    (base / "broken").symlink_to(tmp_path / "nowhere")
    (base / "loop").symlink_to(base)  # a cycle must not recurse forever
    listed = fs.list_files(str(base))
    assert ("a.csv", 3) in listed and ("flink.csv", 5) in listed
    assert ("link/o/f.csv", 5) in listed
    assert not any(name.startswith("broken") for name, _ in listed)
    assert ("broken", False) not in fs.listdir(str(base))
    assert ("link", True) in fs.listdir(str(base)) and ("flink.csv", False) in fs.listdir(str(base))
    assert fs.is_dir(str(base / "link")) and fs.is_file(str(base / "flink.csv"))
    assert not fs.exists(str(base / "broken"))
    assert fs.mtime(str(base / "broken")) is None


@pytest.mark.parametrize("operation", ["list_files", "listdir"])
def test_listing_a_local_file_is_a_named_error(tmp_path: Path, operation: str) -> None:
    (tmp_path / "a.csv").write_text("a\n1\n")
    with pytest.raises(DataError, match=rf"Could not reach {tmp_path}/a\.csv: .*Not a directory"):
        getattr(fs, operation)(str(tmp_path / "a.csv"))


def test_local_paths_below_a_file_are_missing_not_errors(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("a\n1\n")
    below = str(tmp_path / "a.csv" / "x")
    assert (fs.exists(below), fs.is_dir(below), fs.is_file(below)) == (False, False, False)
    assert fs.mtime(below) is None


def test_writing_below_a_local_file_is_a_named_error(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("a\n1\n")
    with pytest.raises(DataError, match=rf"Could not reach {tmp_path}/a\.csv/x\.csv"):
        fs.write_bytes(str(tmp_path / "a.csv" / "x.csv"), b"1")
