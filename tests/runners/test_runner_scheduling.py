"""Scheduling of the local runner (`run_state.RunState`, on `graphlib.TopologicalSorter`):
ready nodes start in the pipeline's order while there is capacity; a failure skips what has
not started; a partial run schedules only its selection. In-process runs (workers=0): fast."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.resources.tiny_pipelines import create_pipeline
from tfxkit.errors import ExecutionError
from tfxkit.runners import LocalDagRunner
from tfxkit.runners.local import SilentReporter


def started(root: Path) -> list[str]:
    """Node names in the order their executors started (from `events.log`)."""
    lines = (root / "events.log").read_text().splitlines()
    return [line.split()[-1] for line in lines if line.split()[1] == "start"]


def test_one_at_a_time_nodes_start_in_pipeline_order(tmp_path: Path) -> None:
    pipeline = create_pipeline(str(tmp_path))
    result = LocalDagRunner(workers=0, hooks=SilentReporter()).run(pipeline)
    assert [n.id for n in pipeline.components] == [
        "make_examples", "measure", "count_rows", "combine"]
    assert started(tmp_path) == ["make_examples", "measure", "count_rows", "combine"]
    assert {n: r.outcome for n, r in result.nodes.items()} == dict.fromkeys(
        ["make_examples", "measure", "count_rows", "combine"], "ran")

    again = LocalDagRunner(workers=0, hooks=SilentReporter()).run(
        create_pipeline(str(tmp_path)), from_node="count_rows")
    assert {n: r.outcome for n, r in again.nodes.items()} == {
        "make_examples": "reused", "measure": "reused", "count_rows": "cached",
        "combine": "cached"}


def test_a_failure_skips_the_nodes_not_started(tmp_path: Path) -> None:
    marker = tmp_path / "fail-now"
    marker.write_text("")
    runner = LocalDagRunner(workers=0, hooks=SilentReporter())
    with pytest.raises(ExecutionError, match="component count_rows .* failed"):
        runner.run(create_pipeline(str(tmp_path), fail_if_exists=str(marker)))
    assert started(tmp_path) == ["make_examples", "measure", "count_rows"]
    assert not (tmp_path / "combine").exists(), "combine never started"
