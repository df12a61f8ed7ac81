"""Pusher: versioned, atomic, concurrent-safe pushes; NOT_BLESSED models are skipped."""

from __future__ import annotations

import multiprocessing
import os
import threading
from pathlib import Path

import pytest

from tfxkit.components import Pusher
from tfxkit.components.pusher.executor import Executor
from tfxkit.components.pusher.registry import (
    STAGING_PREFIX,
    latest_complete_version,
    latest_pushed_version,
    list_pushed_versions,
    push_directory,
)
from tfxkit.errors import ComponentArgumentError, ExecutionError
from tfxkit.types.channel import Channel
from tfxkit.types.standard_artifacts import Model, ModelBlessing, PushedModel


def _fake_model(root: Path, name: str = "model", files: int = 3) -> Model:
    """A Model artifact whose Format-Serving folder looks like a SavedModel."""
    serving = root / name / "Format-Serving"
    (serving / "variables").mkdir(parents=True)
    (serving / "saved_model.pb").write_bytes(b"pb" * 1000)
    for i in range(files):
        (serving / "variables" / f"variables.data-{i:05d}").write_bytes(os.urandom(2000))
    return Model(uri=str(root / name))


def _blessing(root: Path, blessed: bool) -> ModelBlessing:
    uri = root / "blessing"
    uri.mkdir(parents=True, exist_ok=True)
    (uri / ("BLESSED" if blessed else "NOT_BLESSED")).touch()
    blessing = ModelBlessing(uri=str(uri))
    blessing.set_custom_property("blessed", int(blessed))
    if not blessed:
        blessing.set_custom_property("blessing_reason", "accuracy 0.5 < lower bound 0.999")
    return blessing


def _push(tmp_path: Path, model: Model, destination: object,
          blessing: ModelBlessing | None = None, name: str = "pushed") -> PushedModel:
    pushed = PushedModel(uri=str(tmp_path / name))
    inputs: dict = {"model": [model]}
    if blessing is not None:
        inputs["model_blessing"] = [blessing]
    Executor().Do(inputs, {"pushed_model": [pushed]}, {"push_destination": destination})
    return pushed


def test_pushes_increasing_versions(tmp_path: Path) -> None:
    model = _fake_model(tmp_path)
    base = tmp_path / "serving"
    destination = {"filesystem": {"base_directory": str(base)}}

    first = _push(tmp_path, model, destination, _blessing(tmp_path, True), "p1")
    second = _push(tmp_path, model, str(base), None, "p2")

    assert first.custom_properties["pushed"] == 1
    assert first.custom_properties["pushed_version"] == 1
    assert first.custom_properties["pushed_destination"] == str(base / "1")
    assert second.custom_properties["pushed_version"] == 2
    assert (base / "2" / "saved_model.pb").read_bytes() == b"pb" * 1000
    assert (tmp_path / "p2" / "saved_model.pb").exists()
    assert [v["version"] for v in list_pushed_versions(destination)] == [1, 2]
    assert latest_pushed_version(str(base))["path"] == str(base / "2")  # type: ignore[index]


def test_next_version_follows_highest_existing(tmp_path: Path) -> None:
    base = tmp_path / "serving"
    (base / "7").mkdir(parents=True)
    (base / "7" / "saved_model.pb").touch()
    (base / "not-a-version").mkdir()
    version, path = push_directory(str(_fake_model(tmp_path).uri) + "/Format-Serving", str(base))
    assert (version, path) == (8, str(base / "8"))


def test_incomplete_version_folders_are_listed_and_skipped_as_baseline(tmp_path: Path) -> None:
    # cases/fail-early/baseline_empty_version: version 1 pushed, then `mkdir serving_model/2`.
    base = tmp_path / "serving"
    first = _push(tmp_path, _fake_model(tmp_path), str(base), name="p1")
    assert first.custom_properties["pushed_version"] == 1
    (base / "2").mkdir()
    assert [(v["version"], v["complete"]) for v in list_pushed_versions(str(base))] == [
        (1, True), (2, False)]
    baseline, skipped = latest_complete_version(str(base))
    assert baseline is not None and baseline["version"] == 1
    assert [v["path"] for v in skipped] == [str(base / "2")]
    # The next push never reuses an existing folder name: version 3.
    third = _push(tmp_path, _fake_model(tmp_path, "m2"), str(base), name="p3")
    assert third.custom_properties["pushed_version"] == 3
    assert latest_complete_version(str(base)) == (list_pushed_versions(str(base))[-1], [])
    (base / "4" / "variables").mkdir(parents=True)  # a half-finished copy by hand
    (base / "5").mkdir()
    (base / "5" / "saved_model.pbtxt").write_text("")  # a text SavedModel counts
    assert latest_complete_version(str(base))[0]["version"] == 5  # type: ignore[index]
    assert latest_complete_version(str(tmp_path / "nothing")) == (None, [])


def test_not_blessed_is_skipped_and_succeeds(tmp_path: Path) -> None:
    base = tmp_path / "serving"
    pushed = _push(tmp_path, _fake_model(tmp_path), str(base), _blessing(tmp_path, False))
    assert pushed.custom_properties["pushed"] == 0
    assert "NOT_BLESSED" in pushed.custom_properties["pushed_reason"]
    assert "0.999" in pushed.custom_properties["pushed_reason"]
    assert list_pushed_versions(str(base)) == []


def test_missing_serving_model_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "empty_model").mkdir()
    with pytest.raises(ExecutionError, match="Format-Serving"):
        _push(tmp_path, Model(uri=str(tmp_path / "empty_model")), str(tmp_path / "serving"))


def test_bad_destination_fails_at_construction() -> None:
    with pytest.raises(ComponentArgumentError, match="base_directory"):
        Pusher(model=Channel(Model), push_destination={"gcs": "x"})
    component = Pusher(model=Channel(Model), push_destination="/tmp/models")
    assert component.exec_properties["push_destination"] == "/tmp/models"


def test_concurrent_thread_pushes_get_distinct_versions(tmp_path: Path) -> None:
    model = _fake_model(tmp_path)
    base = str(tmp_path / "serving")
    results: list[tuple[int, str]] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(6)

    def push() -> None:
        barrier.wait()
        try:
            results.append(push_directory(f"{model.uri}/Format-Serving", base))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=push) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not errors
    assert sorted(v for v, _ in results) == [1, 2, 3, 4, 5, 6]
    assert not [p for p in os.listdir(base) if p.startswith(STAGING_PREFIX)]


def _push_in_process(source: str, base: str, queue: multiprocessing.Queue) -> None:
    queue.put(push_directory(source, base)[0])


def test_concurrent_process_pushes_never_show_partial_versions(tmp_path: Path) -> None:
    model = _fake_model(tmp_path, files=40)
    source = f"{model.uri}/Format-Serving"
    expected = sorted(p.relative_to(source) for p in Path(source).rglob("*"))
    base = str(tmp_path / "serving")
    context = multiprocessing.get_context("spawn")
    queue: multiprocessing.Queue = context.Queue()
    processes = [context.Process(target=_push_in_process, args=(source, base, queue))
                 for _ in range(3)]
    for process in processes:
        process.start()
    # Watch the destination while the pushes run: every visible version is complete.
    while any(p.is_alive() for p in processes):
        for entry in list_pushed_versions(base):
            found = sorted(p.relative_to(entry["path"]) for p in Path(entry["path"]).rglob("*"))
            assert found == expected, f"version {entry['version']} visible before complete"
    for process in processes:
        process.join()
        assert process.exitcode == 0
    assert sorted(queue.get(timeout=5) for _ in processes) == [1, 2, 3]
