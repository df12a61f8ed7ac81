"""LocalDagRunner on tiny function-component pipelines with a real ML Metadata store."""

from __future__ import annotations

import importlib
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from ml_metadata.proto import metadata_store_pb2 as pb

from tests.resources import tiny_pipelines
from tests.resources.tiny_pipelines import UserCodeComponent, create_pipeline, make_examples
from tfxkit import Pipeline
from tfxkit.errors import ExecutionError, PipelineDefinitionError
from tfxkit.metadata import connect
from tfxkit.metadata.record import custom
from tfxkit.runners import LocalDagRunner
from tfxkit.runners.local import SilentReporter

REPO = Path(__file__).resolve().parents[2]


def runner(workers: int = 2) -> LocalDagRunner:
    return LocalDagRunner(workers=workers, hooks=SilentReporter())


def events(root: Path) -> list[tuple[float, str]]:
    lines = (root / "events.log").read_text().splitlines()
    return [(float(t), text) for t, text in (line.split(" ", 1) for line in lines)]


def executions(root: Path) -> list[pb.Execution]:
    return connect(str(root / "metadata.sqlite")).get_executions()


def test_runs_in_topological_order_and_publishes_outputs(tmp_path: Path) -> None:
    result = runner().run(create_pipeline(str(tmp_path), rows=4))
    assert {n: r.outcome for n, r in result.nodes.items()} == {
        "make_examples": "ran", "count_rows": "ran", "measure": "ran", "combine": "ran"}
    order = [text for _, text in events(tmp_path)]
    assert order[0] == "start make_examples" and order[-1] == "end combine"
    assert order.index("end make_examples") < order.index("start count_rows")
    assert order.index("end count_rows") < order.index("start combine")
    [combined] = result.outputs("combine", "result")
    assert Path(combined.uri) == tmp_path / "combine" / "result" / str(
        result.nodes["combine"].execution_id)
    assert (Path(combined.uri) / "result.txt").read_text() == "4,20"
    [examples] = result.outputs("make_examples", "examples")
    assert examples.split_names == ["train"] and examples.span == 7
    assert not list(tmp_path.glob("*/.staging/*")), "staging directories must be cleaned up"
    states = {custom(e, "node_id"): e.last_known_state for e in executions(tmp_path)}
    assert set(states.values()) == {pb.Execution.COMPLETE}


def test_independent_nodes_run_concurrently(tmp_path: Path) -> None:
    # 3 s per node: longer than a worker process takes to start even on a loaded machine.
    runner(workers=2).run(create_pipeline(str(tmp_path), sleep=3.0))
    times = dict((text, t) for t, text in events(tmp_path))
    # count_rows and measure are independent: each starts before the other ends.
    assert times["start measure"] < times["end count_rows"]
    assert times["start count_rows"] < times["end measure"]


def test_one_worker_runs_nodes_one_at_a_time(tmp_path: Path) -> None:
    runner(workers=1).run(create_pipeline(str(tmp_path), sleep=0.3))
    texts = [text for _, text in events(tmp_path)]
    for i in range(0, len(texts), 2):
        assert texts[i].startswith("start") and texts[i + 1].startswith("end")


def test_in_process_mode_gives_the_same_result(tmp_path: Path) -> None:
    result = LocalDagRunner(workers=0, hooks=SilentReporter()).run(create_pipeline(str(tmp_path)))
    [combined] = result.outputs("combine", "result")
    assert (Path(combined.uri) / "result.txt").read_text() == "3,15"


def test_unchanged_rerun_is_all_cache_hits_reusing_the_same_artifacts(tmp_path: Path) -> None:
    first = runner().run(create_pipeline(str(tmp_path)))
    second = runner().run(create_pipeline(str(tmp_path)))
    assert {r.outcome for r in second.nodes.values()} == {"cached"}
    assert first.outputs("combine", "result")[0].id == second.outputs("combine", "result")[0].id
    cached = [e for e in executions(tmp_path) if e.last_known_state == pb.Execution.CACHED]
    assert len(cached) == 4


def test_parameter_change_misses_for_that_node_and_downstream(tmp_path: Path) -> None:
    runner().run(create_pipeline(str(tmp_path), rows=3))
    result = runner().run(create_pipeline(str(tmp_path), rows=5))
    assert {n: r.outcome for n, r in result.nodes.items()} == {
        "make_examples": "ran", "count_rows": "ran", "measure": "ran", "combine": "ran"}
    assert (Path(result.outputs("combine", "result")[0].uri) / "result.txt").read_text() == "5,25"


def test_input_change_misses_downstream(tmp_path: Path) -> None:
    runner().run(create_pipeline(str(tmp_path)))
    # Rerunning the source without cache gives new input artifacts: consumers must rerun.
    runner().run(create_pipeline(str(tmp_path)), only_node="make_examples", enable_cache=False)
    result = runner().run(create_pipeline(str(tmp_path)))
    assert result.outcome("make_examples") == "cached"
    assert result.outcome("count_rows") == "ran" and result.outcome("combine") == "ran"


def test_disabled_cache_reruns_everything(tmp_path: Path) -> None:
    runner().run(create_pipeline(str(tmp_path)))
    result = runner().run(create_pipeline(str(tmp_path), enable_cache=False))
    assert {r.outcome for r in result.nodes.values()} == {"ran"}


def test_deleted_or_truncated_output_is_never_served_from_cache(tmp_path: Path) -> None:
    first = runner().run(create_pipeline(str(tmp_path)))
    data = Path(first.outputs("make_examples", "examples")[0].uri) / "Split-train" / "data.txt"
    data.write_text("row0\n")  # truncated
    result = runner().run(create_pipeline(str(tmp_path)))
    assert result.outcome("make_examples") == "ran"
    shutil_target = Path(result.outputs("combine", "result")[0].uri)
    for child in shutil_target.iterdir():
        child.unlink()
    shutil_target.rmdir()
    again = runner().run(create_pipeline(str(tmp_path)))
    assert again.outcome("make_examples") == "cached" and again.outcome("combine") == "ran"


def test_tfxkit_version_is_part_of_the_key(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    runner().run(create_pipeline(str(tmp_path)))
    monkeypatch.setattr("tfxkit.metadata.cache.__version__", "999.0")
    result = runner().run(create_pipeline(str(tmp_path)))
    assert {r.outcome for r in result.nodes.values()} == {"ran"}


def test_module_file_source_is_part_of_the_key(tmp_path: Path) -> None:
    module = tmp_path / "user_module.py"
    module.write_text("VALUE = 1\n")

    def build() -> Pipeline:
        gen = make_examples(root=str(tmp_path))
        user = UserCodeComponent(examples=gen.outputs["examples"], module_file=str(module))
        return Pipeline("usercode", str(tmp_path / "out"), [gen, user])

    runner().run(build())
    assert runner().run(build()).outcome("UserCodeComponent") == "cached"
    os.utime(module, (time.time() + 10, time.time() + 10))
    assert runner().run(build()).outcome("UserCodeComponent") == "cached"
    module.write_text("VALUE = 2\n")
    result = runner().run(build())
    assert result.outcome("UserCodeComponent") == "ran"
    model = Path(result.outputs("UserCodeComponent", "model")[0].uri)
    assert (model / "module.txt").read_text() == "VALUE = 2\n"


def test_function_source_is_part_of_the_key(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "userpkg"
    package.mkdir()
    source = textwrap.dedent('''
        from pathlib import Path
        from tfxkit import Output, component
        from tfxkit.types.standard_artifacts import Model

        @component
        def write(model: Output[Model]) -> None:
            (Path(model.uri) / "v.txt").write_text("{v}")
    ''')
    (package / "__init__.py").write_text("")
    (package / "steps.py").write_text(source.format(v=1))
    monkeypatch.syspath_prepend(str(tmp_path))
    import userpkg.steps as steps

    root = str(tmp_path / "out")
    assert runner().run(Pipeline("fn", root, [steps.write()])).outcome("write") == "ran"
    assert runner().run(Pipeline("fn", root, [steps.write()])).outcome("write") == "cached"
    (package / "steps.py").write_text(source.format(v=2))
    steps = importlib.reload(steps)
    result = runner().run(Pipeline("fn", root, [steps.write()]))
    assert result.outcome("write") == "ran"
    assert (Path(result.outputs("write", "model")[0].uri) / "v.txt").read_text() == "2"


def test_failure_stops_the_run_records_it_and_rerun_resumes(tmp_path: Path) -> None:
    marker = tmp_path / "fail-now"
    marker.write_text("")
    resume = "tfxkit run pipeline.py --from {node}"
    failing = LocalDagRunner(workers=2, hooks=SilentReporter(), resume_command=resume)
    with pytest.raises(ExecutionError) as caught:
        failing.run(create_pipeline(str(tmp_path), fail_if_exists=str(marker)))
    message = str(caught.value)
    assert "count_rows" in message and "asked to fail" in message
    assert "tiny_pipelines.py" in message, "the error names the user's file and line"
    assert "tfxkit run pipeline.py --from count_rows" in message
    by_node = {custom(e, "node_id"): e for e in executions(tmp_path)}
    assert by_node["count_rows"].last_known_state == pb.Execution.FAILED
    assert "asked to fail" in custom(by_node["count_rows"], "error")
    assert "combine" not in by_node, "a node downstream of a failure never starts"
    store = connect(str(tmp_path / "metadata.sqlite"))
    events_of_failed = store.get_events_by_execution_ids([by_node["count_rows"].id])
    assert all(e.type == pb.Event.INPUT for e in events_of_failed), "failed node published nothing"
    assert not (tmp_path / "count_rows" / "schema").exists()

    marker.unlink()
    result = runner().run(create_pipeline(str(tmp_path), fail_if_exists=str(marker)))
    assert result.outcome("make_examples") == "cached"
    assert result.outcome("count_rows") == "ran" and result.outcome("combine") == "ran"


def test_user_code_that_exits_or_crashes_fails_only_its_node(tmp_path: Path) -> None:
    crash = tmp_path / "crash.py"
    crash.write_text(textwrap.dedent('''
        import ctypes, os, sys
        from tfxkit import Output, Parameter, component
        from tfxkit.types.standard_artifacts import Model

        @component
        def crash(model: Output[Model], how: Parameter[str]) -> None:
            if how == "exit":
                sys.exit(3)
            if how == "hard_exit":
                os._exit(4)
            ctypes.string_at(0)
    '''))
    sys.path.insert(0, str(tmp_path))
    try:
        module = importlib.import_module("crash")
        for how, expected in (("exit", "exit(3)"), ("hard_exit", "exited with code 4"),
                              ("segfault", "SIGSEGV (a crash in native code, e.g. a segfault) "
                                           f"(at {crash}:12 in crash)")):
            pipeline = Pipeline(f"crash-{how.replace('_', '-')}", str(tmp_path / how),
                                [module.crash(how=how)])
            with pytest.raises(ExecutionError, match=re.escape(expected)):
                runner().run(pipeline)
    finally:
        sys.path.remove(str(tmp_path))


def test_partial_runs_reuse_latest_upstream_outputs(tmp_path: Path) -> None:
    with pytest.raises(PipelineDefinitionError, match="has no completed execution"):
        runner().run(create_pipeline(str(tmp_path)), only_node="combine")
    first = runner().run(create_pipeline(str(tmp_path)), to_node="count_rows")
    assert set(first.nodes) == {"make_examples", "count_rows"}
    assert not (tmp_path / "measure").exists()
    only = runner().run(create_pipeline(str(tmp_path)), only_node="measure")
    assert only.outcome("measure") == "ran" and only.outcome("make_examples") == "reused"
    tail = runner().run(create_pipeline(str(tmp_path)), from_node="combine", enable_cache=False)
    assert tail.outcome("combine") == "ran"
    assert {tail.outcome(n) for n in ("count_rows", "measure")} == {"reused"}
    assert (Path(tail.outputs("combine", "result")[0].uri) / "result.txt").read_text() == "3,15"
    with pytest.raises(PipelineDefinitionError, match="has no component 'nope'"):
        runner().run(create_pipeline(str(tmp_path)), only_node="nope")


def test_runtime_parameters_resolve_per_run(tmp_path: Path) -> None:
    result = runner().run(create_pipeline(str(tmp_path), rows_param=True), run_params={"rows": 6})
    assert (Path(result.outputs("count_rows", "schema")[0].uri) / "count.txt").read_text() == "6"
    with pytest.raises(PipelineDefinitionError, match="Unknown runtime parameter"):
        runner().run(create_pipeline(str(tmp_path), rows_param=True), run_params={"cols": 1})


def _run_script(root: Path, kill_marker: str) -> str:
    return textwrap.dedent(f'''
        import sys
        sys.path.insert(0, {str(REPO)!r})
        from tests.resources.tiny_pipelines import create_pipeline
        from tfxkit.runners import LocalDagRunner
        LocalDagRunner(workers=2).run(create_pipeline({str(root)!r}, kill_marker={kill_marker!r}))
    ''')


def test_sigkill_mid_node_then_rerun_reuses_no_partial_artifact(tmp_path: Path) -> None:
    marker = tmp_path / "combine-started"
    process = subprocess.Popen([sys.executable, "-c", _run_script(tmp_path, str(marker))],
                               start_new_session=True)
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert process.poll() is None, "runner ended before reaching the node"
        assert time.monotonic() < deadline, "node never started"
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    worker_pid = int(marker.read_text())
    for _ in range(100):  # the worker dies with its runner
        try:
            os.kill(worker_pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        pytest.fail("worker outlived the killed runner")
    running = [e for e in executions(tmp_path) if e.last_known_state == pb.Execution.RUNNING]
    assert [custom(e, "node_id") for e in running] == ["combine"]

    result = runner().run(create_pipeline(str(tmp_path)))
    assert result.outcome("combine") == "ran"
    assert {result.outcome(n) for n in ("make_examples", "count_rows", "measure")} == {"cached"}
    assert (Path(result.outputs("combine", "result")[0].uri) / "result.txt").read_text() == "3,15"
    stale = next(e for e in executions(tmp_path) if e.id == running[0].id)
    assert stale.last_known_state == pb.Execution.CANCELED and custom(stale, "abandoned") == 1
    assert not (tmp_path / "combine" / ".staging" / str(stale.id)).exists()


@pytest.mark.integration
def test_fully_cached_run_imports_no_tensorflow(tmp_path: Path) -> None:
    script = textwrap.dedent(f'''
        import sys
        sys.path.insert(0, {str(REPO)!r})
        from tfxkit import Pipeline
        from tfxkit.runners import LocalDagRunner
        from tests.resources.tiny_pipelines import HeavyComponent
        result = LocalDagRunner(workers=1).run(
            Pipeline("heavy", {str(tmp_path)!r}, [HeavyComponent()]))
        heavy = [m for m in ("tensorflow", "tensorflow_data_validation", "tensorflow_transform",
                             "tensorflow_model_analysis", "apache_beam") if m in sys.modules]
        print(result.outcome("HeavyComponent"), heavy)
    ''')
    first = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                           check=True, timeout=300)
    assert first.stdout.strip() == "ran []", first.stderr  # TF was imported in the worker only
    second = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            check=True, timeout=300)
    assert second.stdout.strip() == "cached []", second.stderr
    assert tiny_pipelines.HeavyComponent.EXECUTOR.endswith("heavy_executor.Executor")


def test_spawned_workers_give_the_same_result(tmp_path: Path) -> None:
    result = LocalDagRunner(workers=2, hooks=SilentReporter(), start_method="spawn").run(
        create_pipeline(str(tmp_path)))
    assert (Path(result.outputs("combine", "result")[0].uri) / "result.txt").read_text() == "3,15"


def test_workers_are_spawned_once_a_fork_unsafe_library_is_loaded(tmp_path: Path) -> None:
    script = textwrap.dedent(f'''
        import sys
        sys.path.insert(0, {str(REPO)!r})
        from tfxkit.runners.local.workers import default_start_method
        before = default_start_method()
        import pyarrow  # starts native thread pools: forking now could deadlock a worker
        from tests.resources.tiny_pipelines import create_pipeline
        from tfxkit.runners import LocalDagRunner
        result = LocalDagRunner(workers=2).run(create_pipeline({str(tmp_path)!r}))
        print(before, default_start_method(), result.outcome("combine"))
    ''')
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=300)
    assert done.stdout.split() == ["fork", "spawn", "ran"], done.stderr
