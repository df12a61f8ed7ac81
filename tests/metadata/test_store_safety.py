"""Lost, wrong and full metadata stores (issue 12, item 5): query commands never create or
modify anything and fail at once on a missing or wrong store; a new store over a pipeline root
with earlier outputs never overwrites them; a full disk is one line naming the store and the
space left, with nothing half-published and no partial store file.

Cases: ../shared/cases/trust/{readonly_commands_create_stores,store_deleted,disk_full_store}.
The disk-full tests mount a real 5 MB tmpfs (root only; skipped, saying why, elsewhere).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.metadata.cli_pipeline import run_tfxkit, write_tiny
from tfxkit.cli.main import main
from tfxkit.errors import MetadataError
from tfxkit.metadata import connect, record

FRESH_STORE_MESSAGE = ("no ML Metadata store at typo_dir/sub/metadata.sqlite (pass the pipeline "
                       "file or the store of an existing run)")


def snapshot(folder: Path) -> dict[str, str]:
    """Every file and folder under `folder`: relative path -> content hash ("dir" for folders)."""
    found = {}
    for path in sorted(folder.rglob("*")):
        key = str(path.relative_to(folder))
        found[key] = "dir" if path.is_dir() else hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def cli(*argv: str) -> int:
    return main(list(argv))


# -- read-only commands ------------------------------------------------------------------------
@pytest.mark.parametrize("argv", [
    ["runs", "--metadata", "typo_dir/sub/metadata.sqlite"],
    ["lineage", "1", "--metadata", "typo_dir/sub/metadata.sqlite"],
    ["report", "latest", "--metadata", "typo_dir/sub/metadata.sqlite"],
    ["show", "1", "--metadata", "typo_dir/sub/metadata.sqlite"],
    ["models", "dest", "--metadata", "typo_dir/sub/metadata.sqlite"],
], ids=lambda argv: argv[0])
def test_query_command_on_a_missing_store_fails_at_once_and_creates_nothing(
        argv: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "dest" / "1").mkdir(parents=True)  # a pushed version, so `models` asks the store
    (tmp_path / "dest" / "1" / "saved_model.pb").write_bytes(b"")
    before = snapshot(tmp_path)
    began = time.monotonic()
    assert cli(*argv) == 1
    assert time.monotonic() - began < 5
    printed = capsys.readouterr()
    assert printed.err.strip() == f"tfxkit: error: {FRESH_STORE_MESSAGE}"
    assert snapshot(tmp_path) == before, "a query command created files"


def test_lineage_on_a_second_missing_store_creates_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    assert cli("lineage", "1", "--metadata", "other.sqlite") == 1
    assert "no ML Metadata store at other.sqlite" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_store_path_that_is_a_directory_fails_at_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "metadata.sqlite").mkdir()
    began = time.monotonic()
    assert cli("runs", "--metadata", "out/metadata.sqlite") == 1
    assert time.monotonic() - began < 5, "a directory is not worth retrying"
    err = capsys.readouterr().err
    assert "out/metadata.sqlite is a directory" in err and len(err.strip().splitlines()) == 1
    with pytest.raises(MetadataError, match="is a directory"):
        connect(str(tmp_path / "out" / "metadata.sqlite"))  # a run does not retry it either


def test_directory_holding_a_store_suggests_the_store_file(tmp_path: Path) -> None:
    connect(str(tmp_path / "out" / "metadata.sqlite"))
    with pytest.raises(MetadataError, match=r"did you mean .*out/metadata\.sqlite"):
        connect(str(tmp_path / "out"), read_only=True)


def test_file_that_is_not_a_store_is_refused_and_left_alone(tmp_path: Path) -> None:
    text = tmp_path / "notes.sqlite"
    text.write_text("my notes\n")
    for read_only in (True, False):
        with pytest.raises(MetadataError, match="not an ML Metadata SQLite database"):
            connect(str(text), read_only=read_only)
    assert text.read_text() == "my notes\n"


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with `tiny.py` run once into `out/` (exit 0)."""
    folder = tmp_path_factory.mktemp("finished")
    tiny = write_tiny(folder)
    done = run_tfxkit("run", str(tiny), "-p", "pipeline_root=out", cwd=folder)
    assert done.returncode == 0, done.stderr
    return folder


def test_query_commands_never_modify_an_existing_store(
        finished_run: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(finished_run)
    store = finished_run / "out" / "metadata.sqlite"
    before = snapshot(finished_run / "out")
    mtime = store.stat().st_mtime_ns
    assert cli("runs", "--metadata", "out/metadata.sqlite") == 0
    assert "make_data" in capsys.readouterr().out
    assert cli("lineage", "2", "--metadata", "out/metadata.sqlite") == 0
    assert "produced by train" in capsys.readouterr().out
    assert cli("report", "latest", "--metadata", "out/metadata.sqlite", "-o",
               str(finished_run / "report.html")) == 0
    assert cli("runs", "tiny.py", "-p", "pipeline_root=out") == 0  # via the pipeline file
    assert snapshot(finished_run / "out") == before, "a query command changed the store folder"
    assert store.stat().st_mtime_ns == mtime


def test_query_by_pipeline_file_before_its_first_run_says_so(
        finished_run: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(finished_run)
    before = snapshot(finished_run)
    for command in (["runs"], ["report", "latest"], ["lineage", "1"]):
        assert cli(*command, "tiny.py", "-p", "pipeline_root=nowhere") == 1
        assert capsys.readouterr().err.strip() == (
            "tfxkit: error: no ML Metadata store at nowhere/metadata.sqlite: pipeline 'tiny' has "
            "not run yet; run it first with `tfxkit run tiny.py`")
    assert {k: v for k, v in snapshot(finished_run).items() if "__pycache__" not in k} == {
        k: v for k, v in before.items() if "__pycache__" not in k}


def test_read_only_store_refuses_writes(finished_run: Path) -> None:
    store = connect(str(finished_run / "out" / "metadata.sqlite"), read_only=True)
    assert record.pipeline_context(store, "tiny").name == "tiny"  # reads work
    with pytest.raises(MetadataError, match="opened read-only"):
        record.pipeline_context(store, "another")


def test_concurrent_first_connects_make_one_whole_store(tmp_path: Path) -> None:
    path = tmp_path / "new" / "metadata.sqlite"
    errors: list[BaseException] = []

    def open_and_write(index: int) -> None:
        try:
            record.pipeline_context(connect(str(path)), f"p{index}")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=open_and_write, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    names = {c.name for c in connect(str(path), read_only=True).get_contexts()}
    assert names == {"p0", "p1", "p2", "p3"}
    assert [p.name for p in path.parent.iterdir()] == ["metadata.sqlite"], "temp files left"


# -- a store deleted, outputs kept ---------------------------------------------------------------
def _outputs(root: Path) -> dict[str, str]:
    return {k: v for k, v in snapshot(root).items()
            if "metadata.sqlite" not in k and "/.logs" not in k and not k.endswith(".logs")}


@pytest.mark.integration
def test_store_deleted_then_rerun_succeeds_and_overwrites_nothing(tmp_path: Path) -> None:
    tiny = write_tiny(tmp_path)
    first = run_tfxkit("run", str(tiny), "-p", "pipeline_root=out", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    old = _outputs(tmp_path / "out")
    old_mtimes = {p: p.stat().st_mtime_ns for p in (tmp_path / "out").rglob("*.txt")}
    (tmp_path / "out" / "metadata.sqlite").unlink()

    second = run_tfxkit("run", str(tiny), "-p", "pipeline_root=out", cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert re.search(r"make_data\s+ran", second.stderr) and re.search(r"train\s+ran",
                                                                       second.stderr)
    assert "did not record (was its store deleted or replaced?)" in second.stderr
    suffix = re.search(r"<execution id>-(\w+) folders", second.stderr)
    assert suffix, second.stderr
    now = _outputs(tmp_path / "out")
    assert {k: v for k, v in now.items() if k in old} == old, "an earlier output changed"
    assert all(p.stat().st_mtime_ns == t for p, t in old_mtimes.items())
    assert f"make_data/examples/1-{suffix[1]}/rows.txt" in now
    assert f"train/model/2-{suffix[1]}/mean.txt" in now

    third = run_tfxkit("run", str(tiny), "-p", "pipeline_root=out", "--from", "make_data",
                       cwd=tmp_path)
    assert third.returncode == 0, third.stderr
    assert re.search(r"make_data\s+cached", third.stderr), third.stderr
    assert "did not record" not in third.stderr

    (tmp_path / "out" / "metadata.sqlite").unlink()  # and once more: a third set, all kept
    fourth = run_tfxkit("run", str(tiny), "-p", "pipeline_root=out", cwd=tmp_path)
    assert fourth.returncode == 0, fourth.stderr
    assert len(list((tmp_path / "out" / "make_data" / "examples").iterdir())) == 3
    assert {k: v for k, v in _outputs(tmp_path / "out").items() if k in now} == now


@pytest.mark.integration
def test_another_stores_folders_are_never_overwritten(tmp_path: Path) -> None:
    """A store that already knows the pipeline (so no suffix) pointed at a root holding another
    store's folders with the same ids: the node stops with a clear message, nothing changes."""
    tiny = write_tiny(tmp_path)
    for _ in range(2):  # store A writes ids 1..4 into out/
        done = run_tfxkit("run", str(tiny), "-p", "pipeline_root=out", "--no-cache",
                          cwd=tmp_path)
        assert done.returncode == 0, done.stderr
    done = run_tfxkit("run", str(tiny), "-p", "pipeline_root=elsewhere", "-p",
                      "metadata=b.sqlite", cwd=tmp_path)  # store B: ids 1, 2
    assert done.returncode == 0, done.stderr
    before = _outputs(tmp_path / "out")
    clash = run_tfxkit("run", str(tiny), "-p", "pipeline_root=out", "-p", "metadata=b.sqlite",
                       "--no-cache", cwd=tmp_path)  # store B's ids 3, 4 meet store A's folders
    assert clash.returncode == 1
    assert re.search(r"output folder \S*out/make_data/\.staging/3 already exists, but this ML "
                     r"Metadata store .* did not write it", clash.stderr) or re.search(
        r"output folder \S*out/make_data/examples/3 already exists", clash.stderr), clash.stderr
    assert "Nothing was overwritten" in clash.stderr and "Traceback" not in clash.stderr
    assert _outputs(tmp_path / "out") == before


# -- a full disk ---------------------------------------------------------------------------------
@pytest.fixture
def small_device(tmp_path: Path) -> Iterator[Path]:
    """A real 5 MB tmpfs mounted at tmp_path/full (needs root; skipped, saying why, without)."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("needs root to mount a 5 MB tmpfs: a real full device, no fault injection")
    folder = tmp_path / "full"
    folder.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=5m", "tmpfs", str(folder)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def fill(device: Path, leave_kb: int) -> None:
    """Fill `device` with a filler file until about `leave_kb` KB are free."""
    free = shutil.disk_usage(device).free
    with open(device / "filler", "ab") as out:
        out.write(b"\0" * max(0, free - leave_kb * 1024))


def one_error_line(stderr: str) -> str:
    errors = [line for line in stderr.splitlines() if line.startswith("tfxkit: error")]
    assert len(errors) == 1 and "Traceback" not in stderr, stderr
    return errors[0]


DISK_FULL = (r"^tfxkit: error: no space left on the device holding {path} \(\d+ K?B free\)"
             r"(?: \(\w+ \w+\))?; free space and rerun")


@pytest.mark.integration
def test_disk_full_on_an_existing_store(small_device: Path) -> None:
    tiny = write_tiny(small_device.parent)
    cwd = small_device.parent
    assert run_tfxkit("run", str(tiny), "-p", "pipeline_root=full/r3", cwd=cwd).returncode == 0
    fill(small_device, leave_kb=4)
    done = run_tfxkit("run", str(tiny), "-p", "pipeline_root=full/r3", "-p", "rows=500", cwd=cwd)
    assert done.returncode == 1
    assert re.match(DISK_FULL.format(path=r"full/r3/metadata\.sqlite"), one_error_line(done.stderr))
    (small_device / "filler").unlink()
    again = run_tfxkit("run", str(tiny), "-p", "pipeline_root=full/r3", "-p", "rows=500",
                       cwd=cwd)
    assert again.returncode == 0, again.stderr  # the store stayed consistent


@pytest.mark.integration
def test_disk_full_when_a_store_is_created_leaves_no_partial_store(small_device: Path) -> None:
    tiny = write_tiny(small_device.parent)
    fill(small_device, leave_kb=60)
    done = run_tfxkit("run", str(tiny), "-p", "pipeline_root=full/r2", cwd=small_device.parent)
    assert done.returncode == 1
    assert re.match(DISK_FULL.format(path=r"full/r2/metadata\.sqlite"),
                    one_error_line(done.stderr))
    assert not (small_device / "r2").exists() or list((small_device / "r2").iterdir()) == []


@pytest.mark.integration
def test_disk_full_while_publishing_publishes_nothing(small_device: Path) -> None:
    """make_data's executor succeeds but leaves the device full: recording its outputs fails;
    its files are removed (which frees the space) and the next run publishes it."""
    tiny = write_tiny(small_device.parent)
    cwd = small_device.parent
    done = run_tfxkit("run", str(tiny), "-p", "pipeline_root=full/r", "-p", "fill_device=1",
                      cwd=cwd)
    assert done.returncode == 1
    line = one_error_line(done.stderr)
    assert re.match(DISK_FULL.format(path=r"full/r/\S+"), line), line
    assert "make_data stopped and published nothing" in line
    assert not (small_device / "r" / "make_data" / "examples").exists() or not list(
        (small_device / "r" / "make_data" / "examples").iterdir())
    assert not list((small_device / "r").glob("*/.staging/*"))
    store = connect(str(small_device / "r" / "metadata.sqlite"), read_only=True)
    assert not store.get_artifacts(), "an artifact was recorded"
    again = run_tfxkit("run", str(tiny), "-p", "pipeline_root=full/r", cwd=cwd)
    assert again.returncode == 0, again.stderr


@pytest.mark.integration
def test_disk_full_inside_an_executor_names_the_device(small_device: Path) -> None:
    tiny = write_tiny(small_device.parent)
    done = run_tfxkit("run", str(tiny), "-p", "pipeline_root=full/r", "-p",
                      f"write_bytes={8 << 20}", cwd=small_device.parent)
    assert done.returncode == 1
    assert re.search(r"no space left on the device holding \S*full/r/make_data/\.staging/1\S* "
                     r"\(\d+ (B|KB) free\) \(writing make_data's outputs\); free space and rerun",
                     done.stderr), done.stderr
    assert not list((small_device / "r").glob("*/.staging/*"))
