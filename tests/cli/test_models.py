"""`tfxkit models`: promote / remove aliases, the listing with aliases, `--history`, `--at`, and
the record of a promote in ML Metadata (real SQLite store of a real run)."""

from __future__ import annotations

import datetime
import json
import time
from pathlib import Path

import pytest

from tests.resources.experiment_pipeline import experiment, write_inputs
from tfxkit.cli.main import main
from tfxkit.components.pusher.registry import REGISTRY_DIR, alias_events, aliases
from tfxkit.metadata import connect, query
from tfxkit.runners import LocalDagRunner
from tfxkit.runners.local import SilentReporter


def _versions(base: Path, count: int) -> Path:
    for version in range(1, count + 1):
        (base / str(version)).mkdir(parents=True)
        (base / str(version) / "saved_model.pb").write_bytes(b"pb")
    return base


def test_promote_list_move_remove(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no project here: no metadata store is looked for
    base = _versions(tmp_path / "serving", 3)
    assert main(["models", "promote", str(base), "2", "--alias", "production",
                 "--note", "passed review"]) == 0
    assert capsys.readouterr().out.strip() == f"alias 'production' -> version 2 at {base}"
    assert main(["models", "promote", str(base), "3", "--alias", "canary"]) == 0
    assert main(["models", "promote", str(base), "3", "--alias", "production"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == (
        f"alias 'production' -> version 3 at {base} (was version 2)")
    assert main(["models", str(base)]) == 0
    listing = capsys.readouterr().out.splitlines()
    assert listing[2].startswith("version 3") and listing[2].endswith("  [canary, production]")
    assert not listing[1].endswith("]")
    assert main(["models", "promote", str(base), "--alias", "canary", "--remove"]) == 0
    assert capsys.readouterr().out.strip() == (
        f"alias 'canary' removed at {base} (was version 3)")
    assert aliases(str(base)) == {"production": 3}
    assert main(["models", str(base), "--history"]) == 0
    history = capsys.readouterr().out.splitlines()
    assert len(history) == 4
    assert history[0].startswith("#1 ") and "production -> version 2  by " in history[0]
    assert history[0].endswith('"passed review"')
    assert "production -> version 3 (was 2)" in history[2]
    assert "canary removed (was 3)" in history[3]


def test_models_at_a_past_moment(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    base = _versions(tmp_path / "serving", 2)
    assert main(["models", "promote", str(base), "1", "--alias", "production"]) == 0
    time.sleep(1.1)  # --at has minute/second precision
    between = datetime.datetime.now()
    time.sleep(1.1)
    assert main(["models", "promote", str(base), "2", "--alias", "production"]) == 0
    capsys.readouterr()
    assert main(["models", str(base), "--at", between.isoformat(timespec="seconds")]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"At {between.strftime('%Y-%m-%d %H:%M:%S')}:"
    assert out[1].split() == ["production", "->", "version", "1"]
    assert main(["models", str(base), "--at", "2001-01-01"]) == 0
    out = capsys.readouterr().out
    assert "no aliases were set" in out and "versions pushed by then: none" in out
    assert main(["models", str(base), "--at", "last tuesday"]) == 1
    assert "--at: expected a date and time such as 2026-11-01T12:00" in capsys.readouterr().err


@pytest.mark.parametrize(("argv", "message"), [
    (["models", "promote", "{base}", "7", "--alias", "production"],
     r"version 7 does not exist at .*serving \(versions: 1, 2\)"),
    (["models", "promote", "{base}", "1"], r"which alias\? Add --alias NAME"),
    (["models", "promote", "{base}", "--alias", "production"], r"which version\?"),
    (["models", "promote", "{base}", "one", "--alias", "production"],
     r"VERSION: expected a pushed version number such as 3, found 'one'"),
    (["models", "promote", "{base}", "1", "--alias", "9lives"],
     r"expected an alias name such as 'production'"),
    (["models", "promote", "{base}", "--alias", "production", "--remove"],
     r"alias 'production' is not set .* nothing to remove"),
    (["models", "{base}", "--alias", "production"], r"--alias, --remove and --note belong to"),
    (["models", "{base}", "pipeline.py", "3"], r"unexpected argument\(s\) 3"),
])
def test_models_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                             monkeypatch: pytest.MonkeyPatch, argv: list[str],
                             message: str) -> None:
    import re

    monkeypatch.chdir(tmp_path)
    base = _versions(tmp_path / "serving", 2)
    assert main([a.replace("{base}", str(base)) for a in argv]) == 1
    err = capsys.readouterr().err
    assert re.search(message, err), err
    assert "Traceback" not in err
    assert alias_events(str(base)) == []


def test_promote_is_recorded_in_the_pipeline_store(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    root = write_inputs(tmp_path)
    runner = LocalDagRunner(workers=0, hooks=SilentReporter())
    run_id = runner.run(experiment(root, 0.05, 200)).run_id
    metadata = str(root / "out" / "metadata.sqlite")
    serving = root / "serving"
    assert main(["models", "promote", str(serving), "1", "--alias", "production",
                 "--metadata", metadata]) == 0
    out = capsys.readouterr().out
    assert f"recorded in ML Metadata (sqlite:///{metadata})" in out
    store = connect(metadata, read_only=True)
    [change] = query.alias_changes(store, str(serving))
    assert (change["alias"], change["version"], change["action"]) == ("production", 1,
                                                                       "promote")
    # linked to the push: the PushedModel artifact is the alias change's input
    from ml_metadata.proto import metadata_store_pb2 as pb

    [execution] = store.get_executions_by_type("ModelAliasChange")
    [event] = [e for e in store.get_events_by_execution_ids([execution.id])
               if e.type == pb.Event.INPUT]
    [pushed] = store.get_artifacts_by_id([event.artifact_id])
    assert pushed.custom_properties["pushed_version"].int_value == 1
    # the listing with the store shows the run behind the aliased version
    assert main(["models", str(serving), "--metadata", metadata]) == 0
    listing = capsys.readouterr().out
    assert "[production]" in listing and f"run {run_id}" in listing
    # no store there: the promote still works from the destination alone, creating nothing
    missing = tmp_path / "nowhere" / "metadata.sqlite"
    assert main(["models", "promote", str(serving), "1", "--alias", "canary", "--metadata",
                 str(missing)]) == 0
    assert "recorded in ML Metadata" not in capsys.readouterr().out
    assert not missing.parent.exists()
    events = sorted((serving / REGISTRY_DIR / "events").iterdir())
    assert json.loads(events[-1].read_text())["alias"] == "canary"


def test_models_without_destination_names_only_destination(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """QA walkthrough: `tfxkit models --metadata z.sqlite` said "required: destination,
    VERSION"; VERSION belongs to `promote` only."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_info:
        main(["models", "--metadata", "z.sqlite"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "the following arguments are required: DESTINATION\n" in err, err
    assert "VERSION\n" not in err.splitlines()[-1]


@pytest.mark.parametrize("flags", [[], ["--history"], ["--at", "2026-11-01T12:00"]])
def test_models_mistyped_destination_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch,
                                           flags: list[str]) -> None:
    """A destination that does not exist (or is a file) exits 1 with one line; an existing but
    empty folder still says there are no versions, exit 0."""
    monkeypatch.chdir(tmp_path)
    assert main(["models", "nothere", *flags]) == 1
    err = capsys.readouterr().err
    assert err.startswith("tfxkit: error: no push destination at nothere:"), err
    assert len(err.strip().splitlines()) == 1
    (tmp_path / "afile").write_text("x")
    assert main(["models", "afile", *flags]) == 1
    assert "found a file" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    if not flags:
        assert main(["models", "empty"]) == 0
        assert "No model versions under empty." in capsys.readouterr().out
