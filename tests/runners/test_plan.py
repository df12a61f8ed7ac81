"""`plan_run` (`tfxkit run --dry-run`): per node "would run" or "cached" with the reason, the
same verdicts the following real run reaches, over a series of edits, touching nothing.

Tiny no-TF pipeline (tests/resources/explain_pipeline.py): make_examples -> count_rows and
trainer (module_file steps/model.py importing steps/helper.py) -> summarize.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.resources.explain_pipeline import create_pipeline, write_project
from tfxkit.dsl.base_executor import BaseExecutor
from tfxkit.errors import ExecutionError, PipelineDefinitionError
from tfxkit.metadata.cache import CACHE_KEY_PARTS
from tfxkit.runners import LocalDagRunner
from tfxkit.runners.local import SilentReporter
from tfxkit.runners.local.plan import RunPlan, plan_run

NODES = ["make_examples", "count_rows", "trainer", "summarize"]


class Outcomes(SilentReporter):
    """Silent, and keeps the outcomes the run reports (also when a node fails)."""

    def __init__(self) -> None:
        super().__init__()
        self.outcomes: dict[str, str] = {}

    def on_run_end(self, outcomes: dict[str, str], seconds: float, hint: str) -> None:
        self.outcomes = dict(outcomes)


def snapshot(root: Path) -> dict[str, tuple[int, int, str]]:
    """Every file and folder under `root`: (size, mtime_ns, sha256 of the bytes)."""
    found: dict[str, tuple[int, int, str]] = {}
    if not root.exists():
        return found
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames:
            found[os.path.join(dirpath, name) + "/"] = (0, 0, "")
        for name in filenames:
            path = Path(dirpath, name)
            stat = path.stat()
            found[str(path)] = (stat.st_size, stat.st_mtime_ns,
                                hashlib.sha256(path.read_bytes()).hexdigest())
    return found


def plan_then_run(root: Path, project: Path, pipeline_args: dict[str, Any] | None = None,
                  **options: Any) -> tuple[RunPlan, dict[str, str]]:
    """Plan (checking it touched nothing), then run; return the plan and the run's outcomes,
    after asserting the plan predicted every node's outcome."""
    pipeline = create_pipeline(str(root), str(project), **(pipeline_args or {}))
    before = snapshot(root)
    plan = plan_run(pipeline, **options)
    assert snapshot(root) == before, "the dry run changed the pipeline root"
    hooks = Outcomes()
    with contextlib.suppress(ExecutionError):  # a failing node: its outcomes still count
        LocalDagRunner(workers=0, hooks=hooks).run(create_pipeline(
            str(root), str(project), **(pipeline_args or {})), **options)
    reused = {n: "reused" for n, v in plan.verdicts().items() if v == "reused"}
    assert plan.outcomes() == {**reused, **hooks.outcomes}, plan.text()
    return plan, hooks.outcomes


def reasons(plan: RunPlan, node_id: str) -> list[str]:
    [node] = [n for n in plan.nodes if n.node_id == node_id]
    return [r.text for r in node.reasons]


def kinds(plan: RunPlan, node_id: str) -> list[str]:
    [node] = [n for n in plan.nodes if n.node_id == node_id]
    return [r.kind for r in node.reasons]


def test_dry_run_agrees_with_the_run_over_a_series_of_edits(tmp_path: Path) -> None:
    project = write_project(tmp_path / "project")
    root = tmp_path / "root"

    plan, _ = plan_then_run(root, project)  # first run: no store yet
    assert plan.verdicts() == dict.fromkeys(NODES, "would run")
    assert not plan.store_exists
    assert reasons(plan, "trainer") == ["no earlier execution of trainer (no run recorded yet)"]

    plan, _ = plan_then_run(root, project)  # nothing changed
    assert plan.verdicts() == dict.fromkeys(NODES, "cached")
    assert reasons(plan, "trainer")[0].startswith("same cache key as execution 3 (run ")

    (project / "steps" / "helper.py").write_text("SCALE = 2.0\n")  # only the imported helper
    plan, _ = plan_then_run(root, project)
    assert plan.verdicts() == {"make_examples": "cached", "count_rows": "cached",
                               "trainer": "would run", "summarize": "would run"}
    helper = str(project / "steps" / "helper.py")
    assert reasons(plan, "trainer") == [f"code module_file: {helper} (imported) changed"]
    assert reasons(plan, "summarize") == [
        "input model (trainer.model): trainer will run again (a new artifact)"]

    (project / "steps" / "model.py").write_text("from steps.helper import SCALE\n\n"
                                                "def run_fn(fn_args):\n    return 2 * SCALE\n")
    plan, _ = plan_then_run(root, project)
    assert reasons(plan, "trainer") == [
        f"code module_file: {project / 'steps' / 'model.py'} changed"]

    plan, _ = plan_then_run(root, project, {"rows": 5})  # a parameter at the top
    assert plan.verdicts() == dict.fromkeys(NODES, "would run")
    assert reasons(plan, "make_examples") == ["parameter rows: 3 -> 5"]
    assert reasons(plan, "count_rows") == [
        "input examples (make_examples.examples): make_examples will run again (a new artifact)"]

    plan, _ = plan_then_run(root, project)  # back to 3 rows: the earlier executions are hits
    assert plan.verdicts() == dict.fromkeys(NODES, "cached")

    (project / "steps" / "helper.py").write_text("SCALE = 3.0\n")
    plan, _ = plan_then_run(root, project, only_node="trainer")  # a partial run
    assert plan.verdicts() == {"make_examples": "reused", "trainer": "would run"}
    assert reasons(plan, "make_examples")[0].startswith("not selected: its latest outputs (")

    plan, _ = plan_then_run(root, project)  # summarize: its input model changed (no re-run)
    assert plan.verdicts()["trainer"] == "cached"
    assert plan.verdicts()["summarize"] == "would run"
    [text] = reasons(plan, "summarize")
    assert text.startswith("input model (trainer.model): artifact ")
    assert "(made by trainer in run " in text

    for folder in (root / "trainer" / "model").iterdir():  # the cached outputs go
        shutil.rmtree(folder)
    plan, _ = plan_then_run(root, project)
    assert plan.verdicts()["trainer"] == "would run"
    assert kinds(plan, "trainer") == ["outputs"]
    assert "is missing; its outputs cannot be reused" in reasons(plan, "trainer")[0]

    plan, _ = plan_then_run(root, project, enable_cache=False)  # --no-cache
    assert plan.verdicts() == dict.fromkeys(NODES, "would run")
    assert reasons(plan, "make_examples") == [
        "caching is off (--no-cache, or enable_cache=False)"]


def test_a_new_node_has_no_earlier_execution(tmp_path: Path) -> None:
    from tests.resources.tiny_pipelines import make_examples
    from tfxkit import Pipeline

    project = write_project(tmp_path / "project")
    root = tmp_path / "root"
    full = create_pipeline(str(root), str(project))
    alone = Pipeline("explained", str(root), [make_examples(root=str(root))])
    LocalDagRunner(workers=0, hooks=SilentReporter()).run(alone)
    plan = plan_run(full)
    assert plan.verdicts() == {"make_examples": "cached", "count_rows": "would run",
                               "trainer": "would run", "summarize": "would run"}
    assert reasons(plan, "count_rows") == ["no earlier execution of count_rows completed"]


def test_a_missing_module_file_would_fail_and_skip_what_follows(tmp_path: Path) -> None:
    project = write_project(tmp_path / "project")
    root = tmp_path / "root"
    plan, outcomes = plan_then_run(root, project, {"module": "steps/gone.py"})
    assert plan.verdicts() == {"make_examples": "would run", "count_rows": "would run",
                               "trainer": "would fail", "summarize": "skipped"}
    assert "User code file" in reasons(plan, "trainer")[0]
    assert outcomes["trainer"] == "failed"


def _rewrite(store_path: Path, node_id: str, change: Any) -> None:
    """Apply `change(execution)` to every execution of `node_id` (as an older or otherwise
    different tfxkit would have recorded them), in the store itself."""
    from tfxkit.metadata import connect, record

    store = connect(str(store_path))
    context = store.get_context_by_type_and_name(record.NODE_CONTEXT, f"explained.{node_id}")
    executions = store.get_executions_by_context(context.id)
    for execution in executions:
        change(execution)
    store.put_executions(executions)


def test_a_library_version_change_is_named(tmp_path: Path) -> None:
    from tfxkit.dsl.user_code import library_versions

    project = write_project(tmp_path / "project")
    root = tmp_path / "root"
    plan_then_run(root, project)

    def older_tensorflow(execution: Any) -> None:
        parts = json.loads(execution.custom_properties[CACHE_KEY_PARTS].string_value)
        parts["libraries"]["tensorflow"] = "2.15.0"
        execution.custom_properties[CACHE_KEY_PARTS].string_value = json.dumps(parts)
        execution.custom_properties["cache_key"].string_value = "made-with-tensorflow-2.15"

    _rewrite(root / "metadata.sqlite", "count_rows", older_tensorflow)
    plan, _ = plan_then_run(root, project)
    now = library_versions()["tensorflow"] or "not installed"
    assert plan.verdicts() == {"make_examples": "cached", "count_rows": "would run",
                               "trainer": "cached", "summarize": "would run"}
    assert reasons(plan, "count_rows") == [f"library tensorflow 2.15.0 -> {now}"]


def test_executions_recorded_before_parts_are_explained_as_far_as_they_can(
        tmp_path: Path) -> None:
    project = write_project(tmp_path / "project")
    root = tmp_path / "root"
    plan_then_run(root, project)

    def older_tfxkit(execution: Any) -> None:
        for name in (CACHE_KEY_PARTS, "cache_enabled"):
            del execution.custom_properties[name]

    for node_id in NODES:
        _rewrite(root / "metadata.sqlite", node_id, older_tfxkit)
    (project / "steps" / "helper.py").write_text("SCALE = 5.0\n")
    plan = plan_run(create_pipeline(str(root), str(project), rows=4))
    assert reasons(plan, "make_examples") == ["parameter rows: 3 -> 4"]  # from param.rows
    plan = plan_run(create_pipeline(str(root), str(project)))
    assert plan.verdicts()["make_examples"] == "cached"  # same key: still a hit
    [text] = reasons(plan, "trainer")
    assert text == (f"code module_file ({project / 'steps' / 'model.py'} or a project module it "
                    f"imports) changed; which of its files changed was not recorded by this "
                    f"older run")

    def other_libraries(execution: Any) -> None:  # a key that differs in unrecorded parts
        execution.custom_properties["cache_key"].string_value = "older-libraries"

    _rewrite(root / "metadata.sqlite", "count_rows", other_libraries)
    plan, _ = plan_then_run(root, project)
    assert plan.verdicts()["count_rows"] == "would run"
    [text] = reasons(plan, "count_rows")
    assert text.startswith("cache key differs; parts not recorded by this older run (execution 2)")


def test_first_dry_run_creates_no_store_and_no_folder(tmp_path: Path) -> None:
    project = write_project(tmp_path / "project")
    root = tmp_path / "root"
    plan = plan_run(create_pipeline(str(root), str(project)))
    assert plan.verdicts() == dict.fromkeys(NODES, "would run")
    assert not root.exists()


def test_partial_dry_run_without_upstream_outputs_says_what_the_run_says(tmp_path: Path) -> None:
    project = write_project(tmp_path / "project")
    root = tmp_path / "root"
    with pytest.raises(PipelineDefinitionError, match="trainer needs the outputs of "
                                                      "make_examples.*--to make_examples"):
        plan_run(create_pipeline(str(root), str(project)), only_node="trainer")
    assert not root.exists()
    with pytest.raises(PipelineDefinitionError, match="has no component 'nope'"):
        plan_run(create_pipeline(str(root), str(project)), only_node="nope")


CSV_DRY_RUN = """
import sys
from tfxkit import Pipeline
from tfxkit.components import CsvExampleGen, StatisticsGen
from tfxkit.runners.local.plan import plan_run
gen = CsvExampleGen(input_base=sys.argv[2])
pipeline = Pipeline(pipeline_name='tiny_csv', pipeline_root=sys.argv[1],
                    components=[gen, StatisticsGen(examples=gen.outputs['examples'])])
print(plan_run(pipeline).verdicts())
"""


def test_a_dry_run_imports_no_tensorflow(tmp_path: Path) -> None:
    """Standard components (CsvExampleGen fingerprints its files): the plan loads no TF,
    TFDV, Beam or pyarrow (ML Metadata only)."""
    import subprocess
    import sys

    from tests.resources.heavy_imports import HEAVY, REPO

    data = tmp_path / "data"
    data.mkdir()
    (data / "rows.csv").write_text("a,b\n1,x\n2,y\n")
    script = (CSV_DRY_RUN + f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules and "
                            f"m != 'ml_metadata'))\n")
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path / "root"), str(data)],
                          capture_output=True, text=True, cwd=REPO, timeout=120)
    assert done.returncode == 0, done.stderr
    verdicts, loaded = done.stdout.splitlines()
    assert verdicts == "{'CsvExampleGen': 'would run', 'StatisticsGen': 'would run'}"
    assert loaded == ""


def test_an_object_store_root_without_its_own_metadata_is_refused_as_the_run_refuses_it(
        tmp_path: Path) -> None:
    project = write_project(tmp_path / "project")
    pipeline = create_pipeline("s3://bucket/explained", str(project))
    with pytest.raises(PipelineDefinitionError) as planned:
        plan_run(pipeline)
    with pytest.raises(PipelineDefinitionError) as ran:
        LocalDagRunner(workers=0, hooks=SilentReporter()).run(pipeline)
    assert str(planned.value) == str(ran.value)
    assert "Expected an explicit metadata location" in str(planned.value)


def test_input_data_and_function_source_changes_are_named(tmp_path: Path) -> None:
    """A component's own fingerprint (as ExampleGen's of its input files) and a @component
    function's source (its executor identity)."""
    from tfxkit import Pipeline
    from tfxkit.dsl.base_component import BaseComponent
    from tfxkit.dsl.component_spec import ChannelParameter, ComponentSpec, ExecutionParameter
    from tfxkit.types.standard_artifacts import Examples

    class ReadSpec(ComponentSpec):
        PARAMETERS = {"path": ExecutionParameter(type=str)}
        OUTPUTS = {"examples": ChannelParameter(type=Examples)}

    class ReadFile(BaseComponent):
        SPEC_CLASS = ReadSpec
        EXECUTOR = "tests.runners.test_plan.CopyExecutor"

        def cache_fingerprint(self, exec_properties: dict[str, Any]) -> str:
            return hashlib.sha256(Path(exec_properties["path"]).read_bytes()).hexdigest()

    data = tmp_path / "data.txt"
    data.write_text("a\n")
    root = str(tmp_path / "root")
    pipeline = Pipeline("files", root, [ReadFile(path=str(data))])
    LocalDagRunner(workers=0, hooks=SilentReporter()).run(pipeline)
    data.write_text("b\n")
    plan = plan_run(pipeline)
    [text] = reasons(plan, "ReadFile")
    assert text.startswith("input data changed (content fingerprint ")
    assert [r.old[:12] for r in plan.nodes[0].reasons] == [hashlib.sha256(b"a\n").hexdigest()[:12]]

    from tfxkit.metadata.explain import RecordedKey, compare

    old = RecordedKey(1, "r", "fit", "COMPLETE", "k", {"executor": "steps.fit@aaaa"}, {}, True)
    [reason] = compare(old, {"executor": "steps.fit@bbbb"}, {})
    assert reason.text == "code: the source of component function steps.fit changed"
    [reason] = compare(old, {"executor": "other.Executor"}, {})
    assert reason.text == "executor changed: steps.fit@aaaa -> other.Executor"


class CopyExecutor(BaseExecutor):
    """Executor of the ReadFile test component: copies the file into its examples folder."""

    def Do(self, input_dict: Any, output_dict: Any, exec_properties: Any) -> None:
        shutil.copy(exec_properties["path"], output_dict["examples"][0].uri)
