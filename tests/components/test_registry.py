"""Model registry at the push destination: aliases, their history, `--at`, concurrent promotes,
the Evaluator's alias baseline, and the record of alias changes in ML Metadata."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.resources.s3_server import s3_endpoint  # noqa: F401
from tfxkit.components.evaluator.component import Evaluator, check_baseline_choice
from tfxkit.components.evaluator.executor import Executor as EvaluatorExecutor
from tfxkit.components.pusher.registry import (
    REGISTRY_DIR,
    RegistryError,
    UnknownAliasError,
    alias_events,
    aliases,
    parse_time,
    promote,
    record_alias_event,
    remove_alias,
    resolve_alias,
    versions_at,
)
from tfxkit.errors import ComponentArgumentError, ExecutionError


def make_versions(base: Path, count: int, incomplete: tuple[int, ...] = ()) -> Path:
    """`base/1 .. base/count` in TF Serving's layout; versions in `incomplete` are empty."""
    for version in range(1, count + 1):
        folder = base / str(version)
        folder.mkdir(parents=True)
        if version not in incomplete:
            (folder / "saved_model.pb").write_bytes(b"pb")
    return base


def test_promote_move_remove_and_history(tmp_path: Path) -> None:
    base = make_versions(tmp_path / "serving", 3)
    first = promote(str(base), 1, "production", note="first")
    assert (first.seq, first.version, first.previous, first.action) == (1, 1, None, "promote")
    promote(str(base), 2, "canary")
    moved = promote({"filesystem": {"base_directory": str(base)}}, 3, "production")
    assert (moved.seq, moved.version, moved.previous) == (3, 3, 1)
    assert aliases(str(base)) == {"canary": 2, "production": 3}
    assert resolve_alias(str(base), "production") == 3
    removed = remove_alias(str(base), "canary")
    assert (removed.version, removed.previous, removed.action) == (None, 2, "remove")
    assert aliases(str(base)) == {"production": 3}
    history = alias_events(str(base))
    assert [(e.seq, e.alias, e.version) for e in history] == [
        (1, "production", 1), (2, "canary", 2), (3, "production", 3), (4, "canary", None)]
    assert history[0].note == "first" and history[0].host
    # the log is plain JSON files at the destination, readable without tfxkit
    files = sorted((base / REGISTRY_DIR / "events").iterdir())
    assert [f.name for f in files] == [f"{i:08d}.json" for i in range(1, 5)]
    assert json.loads(files[2].read_text())["version"] == 3
    # TF Serving and tfxkit see only the integer version folders
    assert sorted(p.name for p in base.iterdir() if p.name.isdigit()) == ["1", "2", "3"]


def test_aliases_at_a_past_moment(tmp_path: Path) -> None:
    base = make_versions(tmp_path / "serving", 2)
    promote(str(base), 1, "production")
    time.sleep(0.05)
    between = time.time()
    time.sleep(0.05)
    promote(str(base), 2, "production")
    assert aliases(str(base), at=between) == {"production": 1}
    assert resolve_alias(str(base), "production", at=between) == 1
    assert aliases(str(base)) == {"production": 2}
    assert aliases(str(base), at=alias_events(str(base))[0].time - 1) == {}
    with pytest.raises(UnknownAliasError, match=r"no version has alias 'production' at .* at "):
        resolve_alias(str(base), "production", at=0.0)
    os.utime(base / "2", (between + 10, between + 10))
    os.utime(base / "1", (between - 10, between - 10))
    assert [v["version"] for v in versions_at(str(base), between)] == [1]


def test_parse_time_forms() -> None:
    assert parse_time("2026-11-01T12:00Z") == 1793534400.0
    assert parse_time("2026-11-01T14:00+02:00") == 1793534400.0
    assert parse_time("2026-11-01") == parse_time("2026-11-01T00:00")
    assert parse_time("2026-11-01 12:00:30") - parse_time("2026-11-01T12:00") == 30
    with pytest.raises(RegistryError, match=r"--at: expected a date and time such as "
                                            r"2026-11-01T12:00.*found 'yesterday'"):
        parse_time("yesterday")


@pytest.mark.parametrize("alias", ["", "3", "1abc", "prod uction", "prod/x", "a" * 65, None,
                                   "../x", "prod\n"])
def test_bad_alias_names_are_refused(tmp_path: Path, alias: object) -> None:
    base = make_versions(tmp_path / "serving", 1)
    with pytest.raises(RegistryError, match=r"expected an alias name such as 'production'"):
        promote(str(base), 1, alias)  # type: ignore[arg-type]
    assert not (base / REGISTRY_DIR).exists()


def test_unknown_and_incomplete_versions_are_refused(tmp_path: Path) -> None:
    base = make_versions(tmp_path / "serving", 2, incomplete=(2,))
    with pytest.raises(RegistryError, match=r"version 7 does not exist at .*serving "
                                            r"\(versions: 1, 2\)"):
        promote(str(base), 7, "production")
    with pytest.raises(RegistryError, match=r"version 2 at .*/2 has no saved_model.pb"):
        promote(str(base), 2, "production")
    with pytest.raises(RegistryError, match=r"expected a pushed version number"):
        promote(str(base), 0, "production")
    with pytest.raises(RegistryError, match=r"versions: none \(nothing pushed yet\)"):
        promote(str(tmp_path / "empty"), 1, "production")
    assert alias_events(str(base)) == []


def test_unknown_alias_names_the_known_ones(tmp_path: Path) -> None:
    base = make_versions(tmp_path / "serving", 1)
    promote(str(base), 1, "canary")
    with pytest.raises(UnknownAliasError) as caught:
        resolve_alias(str(base), "production")
    assert caught.value.alias == "production" and caught.value.known == ("canary",)
    assert "aliases set: canary -> 1" in str(caught.value)
    assert "tfxkit models promote" in str(caught.value)
    with pytest.raises(UnknownAliasError, match=r"alias 'production' is not set .* nothing to "
                                                r"remove"):
        remove_alias(str(base), "production")
    with pytest.raises(RegistryError, match=r"points to version 1, not 2; not removed"):
        remove_alias(str(base), "canary", version=2)
    assert aliases(str(base)) == {"canary": 1}


def test_malformed_event_file_is_named(tmp_path: Path) -> None:
    base = make_versions(tmp_path / "serving", 1)
    promote(str(base), 1, "production")
    bad = base / REGISTRY_DIR / "events" / "00000002.json"
    bad.write_text("{not json")
    with pytest.raises(RegistryError, match=r"alias history file .*00000002.json is not a "
                                            r"tfxkit alias event"):
        aliases(str(base))
    # stray files that are not events (editor backups, temporary files) are ignored
    bad.unlink()
    (base / REGISTRY_DIR / "events" / "notes.txt").write_text("x")
    (base / REGISTRY_DIR / "events" / ".tmp-123").write_text("x")
    assert aliases(str(base)) == {"production": 1}


PROMOTER = """
import sys
from tfxkit.components.pusher.registry import promote
base, worker, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for i in range(count):
    promote(base, (worker + i) % 3 + 1, "production" if i % 2 == 0 else f"w{worker}",
            note=f"{worker}:{i}")
"""


def test_concurrent_promotes_never_lose_an_update(tmp_path: Path) -> None:
    """Real processes promote at once: every change lands exactly once, numbered without gaps,
    and each event's `previous` is what the alias held just before it (compare-and-swap)."""
    base = make_versions(tmp_path / "serving", 3)
    workers, count = 6, 8
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    procs = [subprocess.Popen([sys.executable, "-c", PROMOTER, str(base), str(w), str(count)],
                              env=env, stderr=subprocess.PIPE, text=True)
             for w in range(workers)]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    events = alias_events(str(base))
    assert [e.seq for e in events] == list(range(1, workers * count + 1))
    assert sorted(e.note for e in events) == sorted(
        f"{w}:{i}" for w in range(workers) for i in range(count))
    held: dict[str, int] = {}
    for event in events:
        assert event.previous == held.get(event.alias), event
        assert event.version is not None
        held[event.alias] = event.version
    assert aliases(str(base)) == dict(sorted(held.items()))
    leftovers = [p.name for p in (base / REGISTRY_DIR / "events").iterdir()
                 if not p.name.endswith(".json")]
    assert leftovers == []


# -- the Evaluator's baseline as an alias ---------------------------------------------------
def test_evaluator_baseline_alias(tmp_path: Path) -> None:
    base = make_versions(tmp_path / "serving", 3)
    properties = {"push_destination": str(base), "baseline": "production"}
    missing = EvaluatorExecutor._baseline({}, properties)
    assert missing.path is None
    assert missing.source.startswith("no version has alias 'production' at ")
    promote(str(base), 2, "production")
    chosen = EvaluatorExecutor._baseline({}, properties)
    assert (chosen.path, chosen.version) == (str(base / "2"), 2)
    assert chosen.source == f"{base / '2'} (alias production)"
    latest = EvaluatorExecutor._baseline({}, {"push_destination": str(base)})
    assert latest.version == 3
    assert EvaluatorExecutor._baseline(
        {}, {"push_destination": str(base), "baseline": "latest"}).version == 3
    (base / "2" / "saved_model.pb").unlink()
    with pytest.raises(ExecutionError, match=r"baseline = alias 'production' -> version 2 at "
                                             r".*/2, which has no saved_model.pb. Fix: point"):
        EvaluatorExecutor._baseline({}, properties)


def test_evaluator_baseline_parameter_is_checked_at_construction() -> None:
    check_baseline_choice("latest", "/models/x", None)
    check_baseline_choice("production", "/models/x", None)
    with pytest.raises(ComponentArgumentError, match=r"Evaluator: baseline: expected an alias "
                                                     r"name .* Use 'latest'"):
        check_baseline_choice("prod uction", "/models/x", None)
    with pytest.raises(ComponentArgumentError, match=r"push_destination is not set"):
        check_baseline_choice("production", None, None)
    with pytest.raises(ComponentArgumentError, match=r"only one of them"):
        check_baseline_choice("production", "/models/x", object())
    assert "baseline" in Evaluator.SPEC_CLASS.PARAMETERS


def test_alias_change_recorded_in_ml_metadata(tmp_path: Path) -> None:
    from ml_metadata.proto import metadata_store_pb2 as pb

    from tfxkit.metadata import connect
    from tfxkit.metadata.record import custom

    base = make_versions(tmp_path / "serving", 2)
    store = connect(str(tmp_path / "metadata.sqlite"))
    event = promote(str(base), 2, "production", note="release")
    execution_id = record_alias_event(store, str(base), event)
    [execution] = store.get_executions_by_id([execution_id])
    assert execution.last_known_state == pb.Execution.COMPLETE
    assert custom(execution, "alias") == "production" and custom(execution, "version") == 2
    assert custom(execution, "destination") == str(base)
    context = store.get_context_by_type_and_name("model_registry", str(base))
    assert [e.id for e in store.get_executions_by_context(context.id)] == [execution_id]


@pytest.mark.integration
def test_evaluator_runs_against_the_aliased_version(
        tmp_path: Path, penguin_examples: Any, penguin_model: Any, penguin_schema: Any) -> None:
    """Real TFMA: versions 1 and 2 are pushed, `production` points at 1, so the Evaluator with
    baseline="production" compares against version 1 (not the latest, 2) and records the
    metrics per slice."""
    import shutil

    from tfxkit.types.standard_artifacts import ModelBlessing, ModelEvaluation

    serving = tmp_path / "serving"
    for version in ("1", "2"):
        shutil.copytree(Path(penguin_model.uri, "Format-Serving"), serving / version)
    promote(str(serving), 1, "production")
    config = {"model_specs": [{"label_key": "species"}],
              "slicing_specs": [{}, {"feature_keys": ["species"]}],
              "metrics_specs": [{"metrics": [{
                  "class_name": "SparseCategoricalAccuracy",
                  "threshold": {"change_threshold": {"direction": "HIGHER_IS_BETTER",
                                                     "absolute": -1e-10}}}]}]}
    evaluation = ModelEvaluation(uri=str(tmp_path / "evaluation"))
    blessing = ModelBlessing(uri=str(tmp_path / "blessing"))
    EvaluatorExecutor().Do(
        {"examples": [penguin_examples], "model": [penguin_model], "schema": [penguin_schema]},
        {"evaluation": [evaluation], "blessing": [blessing]},
        {"eval_config": config, "push_destination": str(serving), "baseline": "production"})
    assert blessing.custom_properties["baseline_version"] == 1
    assert blessing.custom_properties["baseline_model"] == f"{serving / '1'} (alias production)"
    assert blessing.custom_properties["blessed"] == 1
    per_slice = json.loads(evaluation.custom_properties["slice_metrics"])
    assert set(per_slice) == {"Overall", "species=0", "species=1", "species=2"}
    overall = json.loads(evaluation.custom_properties["overall_metrics"])
    assert overall == per_slice["Overall"] and 0 < overall["sparse_categorical_accuracy"] <= 1


@pytest.mark.integration
def test_aliases_on_an_object_store(s3_endpoint: str) -> None:  # noqa: F811
    """Aliases live at an s3:// destination (a real S3-protocol server): promote, move,
    resolve, history; concurrent writers of one number both keep their event there."""
    import uuid

    from tests.resources.s3_server import make_bucket
    from tfxkit import fs
    from tfxkit.components._shared.model_registry import _change

    bucket = f"r-{uuid.uuid4().hex[:12]}"
    make_bucket(s3_endpoint, bucket)
    base = f"s3://{bucket}/serving"
    for version in (1, 2):
        fs.write_bytes(f"{base}/{version}/saved_model.pb", b"pb")
    promote(base, 1, "production")
    moved = promote(base, 2, "production")
    assert (moved.seq, moved.previous) == (2, 1)
    assert resolve_alias(base, "production") == 2
    assert [e.version for e in alias_events(base)] == [1, 2]
    names = [n for n, _ in fs.listdir(f"{base}/{REGISTRY_DIR}/events")]
    assert len(names) == 2 and all(n.startswith(("00000001-", "00000002-")) for n in names)
    # a second writer that also claimed number 2 (no create-if-absent on a store): kept too
    fs.write_bytes(f"{base}/{REGISTRY_DIR}/events/00000002-aaaaaaaaaaaa.json", json.dumps(
        {"seq": 2, "time": time.time(), "alias": "canary", "version": 1,
         "previous": None}).encode())
    assert [(e.seq, e.alias) for e in alias_events(base)] == [
        (1, "production"), (2, "production"), (2, "canary")]
    assert aliases(base) == {"canary": 1, "production": 2}
    late = _change(base, "canary", 2, "", lambda state: None, 1)
    assert late.seq == 3 and late.previous == 1
    assert aliases(base) == {"canary": 2, "production": 2}
