"""`RunOptions` (the typed options of one local run) and per-run state: one runner object
shared by concurrent `run()` calls keeps each call's selection apart (the resume hint of a
failed run repeats its own `--only`/`--to`, never another call's)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from tests.resources.tiny_pipelines import create_pipeline
from tfxkit.errors import ExecutionError, PipelineDefinitionError
from tfxkit.runners import LocalDagRunner
from tfxkit.runners.local import SilentReporter
from tfxkit.runners.local.options import RunOptions


def test_run_options_select_and_resume(tmp_path: Path) -> None:
    pipeline = create_pipeline(str(tmp_path))
    assert [n.id for n in RunOptions().select(pipeline)] == [
        "make_examples", "measure", "count_rows", "combine"]
    assert [n.id for n in RunOptions(from_node="measure").select(pipeline)] == [
        "measure", "combine"]
    assert [n.id for n in RunOptions(to_node="count_rows").select(pipeline)] == [
        "make_examples", "count_rows"]
    assert [n.id for n in RunOptions(only_node="measure").select(pipeline)] == ["measure"]
    with pytest.raises(PipelineDefinitionError, match="either only_node or from_node/to_node"):
        RunOptions(only_node="measure", to_node="combine").select(pipeline)
    with pytest.raises(PipelineDefinitionError, match="No node is both downstream of 'combine' "
                                                      "and upstream of 'count_rows'"):
        RunOptions(from_node="combine", to_node="count_rows").select(pipeline)
    assert RunOptions(only_node="measure").resume("measure", None) == (
        "LocalDagRunner().run(pipeline, only_node='measure')")
    assert RunOptions(to_node="combine").resume("measure", None) == (
        "LocalDagRunner().run(pipeline, from_node='measure', to_node='combine')")
    assert RunOptions().resume("measure", "run --from {node} '{0}'") == (
        "run --from measure '{0}'")
    assert RunOptions().resume("measure", lambda node: f"again {node}") == "again measure"
    with pytest.raises(PipelineDefinitionError, match=r"Unknown runtime parameter\(s\) nope"):
        RunOptions(run_params={"nope": 1}).resolve_parameters(pipeline)
    assert RunOptions(enable_cache=False).cache_enabled(pipeline) is False
    assert RunOptions().cache_enabled(pipeline) is True
    assert RunOptions(run_id="r1").new_run_id() == "r1"


class _BothStarted(SilentReporter):
    """Holds each run at its start until both runs have started (both selections are set)."""

    def __init__(self) -> None:
        super().__init__()
        self.barrier = threading.Barrier(2, timeout=60)

    def on_run_start(self, pipeline_name: str, run_id: str, nodes: list[str], workers: int,
                     store: str) -> None:
        super().on_run_start(pipeline_name, run_id, nodes, workers, store)
        self.barrier.wait()


def test_concurrent_runs_on_one_runner_keep_their_own_selection(tmp_path: Path) -> None:
    marker = tmp_path / "fail-now"
    marker.write_text("")
    runner = LocalDagRunner(workers=0, hooks=_BothStarted())
    selections = {"ranged": {"to_node": "count_rows"}, "whole": {}}
    errors: dict[str, str] = {}

    def run(name: str) -> None:
        pipeline = create_pipeline(str(tmp_path / name), fail_if_exists=str(marker))
        try:
            runner.run(pipeline, run_id=f"run-{name}", **selections[name])
        except ExecutionError as exc:
            errors[name] = str(exc)

    threads = [threading.Thread(target=run, args=(name,)) for name in selections]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(errors) == ["ranged", "whole"]
    assert errors["ranged"].endswith(
        "LocalDagRunner().run(pipeline, from_node='count_rows', to_node='count_rows')\n"
        "  (completed nodes are reused from the cache)")
    assert errors["whole"].endswith(
        "LocalDagRunner().run(pipeline, from_node='count_rows')\n"
        "  (completed nodes are reused from the cache)")
