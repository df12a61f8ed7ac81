"""Run reports from ML Metadata: DAG with outcomes and timings, reused upstream nodes, failures,
and errors naming the runs that exist."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.resources.tiny_pipelines import create_pipeline
from tfxkit.errors import DataError, ExecutionError
from tfxkit.metadata import connect
from tfxkit.reports import load_run, run_report_html
from tfxkit.runners import LocalDagRunner
from tfxkit.runners.local import SilentReporter


def _runner() -> LocalDagRunner:
    return LocalDagRunner(workers=0, hooks=SilentReporter())


def test_full_run_has_every_node_edge_and_time(tmp_path: Path) -> None:
    result = _runner().run(create_pipeline(str(tmp_path)))
    store = connect(str(tmp_path / "metadata.sqlite"))
    report = load_run(store, result.run_id)
    by_id = {n.node_id: n for n in report.nodes}
    assert set(by_id) == set(result.nodes)
    assert {n.outcome for n in report.nodes} == {"ran"}
    assert by_id["combine"].upstream == ["count_rows", "measure"]
    assert by_id["count_rows"].upstream == ["make_examples"]
    assert all(n.seconds >= 0 and n.outputs for n in report.nodes)
    page = run_report_html(store, "latest")
    assert page.startswith("<!DOCTYPE html>") and f"run <code>{result.run_id}" in page
    assert page.count("marker-end") == 4  # the diamond's four edges


def test_partial_run_shows_reused_upstream_and_failures(tmp_path: Path) -> None:
    _runner().run(create_pipeline(str(tmp_path)))
    marker = tmp_path / "fail"
    marker.touch()
    with pytest.raises(ExecutionError):
        _runner().run(create_pipeline(str(tmp_path), fail_if_exists=str(marker)),
                      only_node="count_rows", enable_cache=False)
    report = load_run(connect(str(tmp_path / "metadata.sqlite")), "latest")
    by_id = {n.node_id: n for n in report.nodes}
    assert by_id["make_examples"].outcome == "reused"
    assert by_id["make_examples"].execution_id is None
    assert by_id["count_rows"].outcome == "failed"
    assert "asked to fail" in by_id["count_rows"].error
    assert by_id["count_rows"].upstream == ["make_examples"]


def test_unknown_run_lists_the_recent_ones(tmp_path: Path) -> None:
    store = connect(str(tmp_path / "metadata.sqlite"))
    with pytest.raises(DataError, match="No runs are recorded"):
        load_run(store, "latest")
    result = _runner().run(create_pipeline(str(tmp_path)))
    with pytest.raises(DataError, match=f"Recent runs: {result.run_id}"):
        load_run(store, "20000101T000000Z")
    with pytest.raises(DataError, match="No runs of pipeline 'other'"):
        load_run(store, "latest", pipeline_name="other")
