"""Node settings are never silently ignored by the local runner (issue 19, item 7).

`with_env` and `with_retries` are applied as on Kubeflow; `with_resources`, accelerators and
`with_secret` (when its variable is not set here) are named once per run as not applied.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tfxkit import Output, Parameter, Pipeline, component
from tfxkit.errors import ExecutionError
from tfxkit.runners import LocalDagRunner
from tfxkit.runners.local import SilentReporter
from tfxkit.types.standard_artifacts import Examples


class Recorder(SilentReporter):
    """Keeps the run notes and node notes instead of printing them."""

    def __init__(self) -> None:
        super().__init__()
        self.run_notes: list[str] = []
        self.node_notes: list[tuple[str, str]] = []

    def on_run_note(self, note: str) -> None:
        self.run_notes.append(note)

    def on_node_note(self, node_id: str, note: str) -> None:
        self.node_notes.append((node_id, note))


@component
def env_reader(examples: Output[Examples], names: Parameter[str]) -> None:
    """Write the values of the comma-separated environment variables `names` as JSON."""
    values = {name: os.environ.get(name) for name in names.split(",")}
    Path(examples.uri, "env.json").write_text(json.dumps(values))


@component
def flaky(examples: Output[Examples], counter: Parameter[str], failures: Parameter[int]) -> None:
    """Fail the first `failures` times (counted in the file `counter`), then succeed."""
    path = Path(counter)
    attempt = int(path.read_text()) + 1 if path.exists() else 1
    path.write_text(str(attempt))
    Path(examples.uri, "partial.txt").write_text(f"attempt {attempt}")
    assert not Path(examples.uri, "left_over.txt").exists(), "staging not cleaned between tries"
    Path(examples.uri, "left_over.txt").write_text("x")
    if attempt <= failures:
        raise RuntimeError(f"transient failure {attempt}")


def run(root: Path, nodes: list, workers: int = 1) -> tuple[object, Recorder]:
    hooks = Recorder()
    result = LocalDagRunner(workers=workers, hooks=hooks).run(
        Pipeline("settings", str(root), nodes, enable_cache=False))
    return result, hooks


@pytest.mark.parametrize("workers", [0, 1])
def test_with_env_is_set_while_the_node_runs(workers: int, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TFXKIT_TEST_KEEP", "runner")
    monkeypatch.delenv("TFXKIT_TEST_NEW", raising=False)
    node = env_reader(names="TFXKIT_TEST_NEW,TFXKIT_TEST_KEEP,TFXKIT_TEST_OTHER").with_env(
        TFXKIT_TEST_NEW="from-with-env", TFXKIT_TEST_KEEP="overridden")
    result, hooks = run(tmp_path, [node], workers)
    [examples] = result.outputs("env_reader", "examples")  # type: ignore[attr-defined]
    values = json.loads(Path(examples.uri, "env.json").read_text())
    assert values == {"TFXKIT_TEST_NEW": "from-with-env", "TFXKIT_TEST_KEEP": "overridden",
                      "TFXKIT_TEST_OTHER": None}
    assert os.environ["TFXKIT_TEST_KEEP"] == "runner" and "TFXKIT_TEST_NEW" not in os.environ
    assert hooks.run_notes == []  # everything applied: nothing to say


@pytest.mark.parametrize("workers", [0, 1])
def test_with_retries_runs_a_failed_node_again(workers: int, tmp_path: Path) -> None:
    node = flaky(counter=str(tmp_path / "count"), failures=2).with_retries(2)
    result, hooks = run(tmp_path / "root", [node], workers)
    assert result.outcome("flaky") == "ran"  # type: ignore[attr-defined]
    assert (tmp_path / "count").read_text() == "3"
    [examples] = result.outputs("flaky", "examples")  # type: ignore[attr-defined]
    assert Path(examples.uri, "partial.txt").read_text() == "attempt 3"
    notes = [note for node_id, note in hooks.node_notes if node_id == "flaky"]
    assert len(notes) == 2 and "attempt 1 failed (RuntimeError: transient failure 1" in notes[0]
    assert "retrying (attempt 3 of 3)" in notes[1]


def test_retries_exhausted_fail_with_the_last_error(tmp_path: Path) -> None:
    node = flaky(counter=str(tmp_path / "count"), failures=5).with_retries(1)
    with pytest.raises(ExecutionError, match="transient failure 2"):
        run(tmp_path / "root", [node])
    assert (tmp_path / "count").read_text() == "2"  # one run, one retry, no more
    from tests.hostile.harness import store_trace

    assert store_trace(tmp_path / "root") == (0, 0)


def test_without_retries_a_failure_is_not_repeated(tmp_path: Path) -> None:
    with pytest.raises(ExecutionError, match="transient failure 1"):
        run(tmp_path / "root", [flaky(counter=str(tmp_path / "count"), failures=1)])
    assert (tmp_path / "count").read_text() == "1"


def test_settings_that_cannot_apply_locally_are_named_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TFXKIT_TEST_DB_PASSWORD", raising=False)
    monkeypatch.setenv("TFXKIT_TEST_TOKEN", "here")
    heavy = env_reader(names="A").with_id("heavy").with_resources(cpu="2", memory="4G", gpu=1)
    secret = env_reader(names="A").with_id("secret").with_secret(
        "db", {"password": "TFXKIT_TEST_DB_PASSWORD"})
    present = env_reader(names="A").with_id("present").with_secret(
        "api", {"token": "TFXKIT_TEST_TOKEN"})  # set locally: applied, nothing to say
    _, hooks = run(tmp_path, [heavy, secret, present])
    assert hooks.run_notes == [
        "node settings that apply on Kubeflow only, ignored here: heavy with_resources(cpu=2, "
        "memory=4G), accelerator 1 x nvidia.com/gpu; secret with_secret('db'): "
        "TFXKIT_TEST_DB_PASSWORD is not set here (set it to run with the secret locally)"]


def test_console_shows_the_note_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import io

    from tfxkit.runners.local import ConsoleReporter

    stream = io.StringIO()
    node = env_reader(names="A").with_resources(memory="1G")
    LocalDagRunner(workers=0, hooks=ConsoleReporter(stream)).run(
        Pipeline("settings", str(tmp_path), [node]))
    text = stream.getvalue()
    assert text.count("ignored here: env_reader with_resources(memory=1G)") == 1
