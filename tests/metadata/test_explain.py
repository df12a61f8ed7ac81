"""`explain_execution` (`tfxkit runs --why NODE RUN`): why a past execution ran or was cached,
compared with the execution it could have reused; executions recorded before the key's parts
were are explained from what they did record."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.resources.explain_pipeline import create_pipeline, write_project
from tfxkit.errors import DataError
from tfxkit.metadata import connect, record
from tfxkit.metadata.cache import CACHE_KEY_PARTS
from tfxkit.metadata.explain import explain_execution, explanation_lines, recorded_key
from tfxkit.runners import LocalDagRunner
from tfxkit.runners.local import SilentReporter


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Runs r1 (first), r2 (rows=5), r3 (rows=5 again: cached), r4 (the imported helper
    changed), r5 (--no-cache), r6 (only trainer), r7 (trainer's outputs deleted)."""
    base = tmp_path_factory.mktemp("history")
    project = write_project(base / "project")
    root = base / "root"

    def run(run_id: str, **options: Any) -> None:
        rows = options.pop("rows", 3)
        LocalDagRunner(workers=0, hooks=SilentReporter()).run(
            create_pipeline(str(root), str(project), rows=rows), run_id=run_id, **options)

    run("r1")
    run("r2", rows=5)
    run("r3", rows=5)
    (project / "steps" / "helper.py").write_text("SCALE = 2.0\n")
    run("r4", rows=5)
    run("r5", rows=5, enable_cache=False)
    run("r6", rows=5, only_node="trainer")
    for folder in (root / "trainer" / "model").iterdir():
        shutil.rmtree(folder)
    run("r7", rows=5)
    return base


def why(base: Path, node_id: str, run: str) -> tuple[str, list[str]]:
    store = connect(str(base / "root" / "metadata.sqlite"), read_only=True)
    explanation = explain_execution(store, "explained", node_id, run)
    return explanation.verdict, [r.text for r in explanation.reasons]


def test_first_execution_has_nothing_to_compare_with(history: Path) -> None:
    assert why(history, "make_examples", "r1") == (
        "ran", ["no earlier execution of make_examples completed"])


def test_parameter_change_names_old_and_new_value(history: Path) -> None:
    assert why(history, "make_examples", "r2") == ("ran", ["parameter rows: 3 -> 5"])


def test_input_change_names_the_artifacts_and_where_the_new_one_came_from(history: Path
                                                                         ) -> None:
    verdict, [text] = why(history, "count_rows", "r2")
    assert verdict == "ran"
    assert text == ("input examples (make_examples.examples): artifact 1 -> 5 (made by "
                    "make_examples in run r2)")


def test_cached_names_the_execution_it_reused(history: Path) -> None:
    verdict, [text] = why(history, "trainer", "r3")
    assert verdict == "cached"
    assert text == ("same cache key as execution 7 (run r2), whose outputs were intact; they "
                    "were reused")


def test_code_change_names_the_imported_helper(history: Path) -> None:
    helper = history / "project" / "steps" / "helper.py"
    assert why(history, "trainer", "r4") == (
        "ran", [f"code module_file: {helper} (imported) changed"])
    assert why(history, "summarize", "r4")[1][0].startswith("input model (trainer.model): ")


def test_no_cache_run_says_caching_was_off(history: Path) -> None:
    assert why(history, "make_examples", "r5") == (
        "ran", ["caching was off for this run (--no-cache, or enable_cache=False)"])


def test_deleted_outputs_are_why_an_unchanged_node_ran(history: Path) -> None:
    verdict, [text] = why(history, "trainer", "r7")
    assert verdict == "ran"
    assert text.startswith("same cache key as execution ")
    assert "its outputs cannot be reused" in text


def test_a_node_a_partial_run_did_not_execute(history: Path) -> None:
    with pytest.raises(DataError, match="Node 'make_examples' did not execute in run r6.*"
                                        "Nodes of that run: trainer"):
        why(history, "make_examples", "r6")
    with pytest.raises(DataError, match="No run 'r99'"):
        why(history, "trainer", "r99")


def test_a_mistyped_node_is_named_as_unknown_with_a_suggestion(history: Path) -> None:
    with pytest.raises(DataError, match=r"No node 'trainr' has ever executed in pipeline '[^']+'\. "
                                        r"Did you mean 'trainer'\? Nodes of run r6: trainer\."):
        why(history, "trainr", "r6")


def test_explanation_lines_and_json(history: Path) -> None:
    store = connect(str(history / "root" / "metadata.sqlite"), read_only=True)
    explanation = explain_execution(store, "explained", "make_examples", "r2")
    assert explanation_lines(explanation) == [
        "make_examples in run r2: ran (execution 5)",
        "  compared with execution 1 (run r1), the newest earlier execution of make_examples "
        "that completed:",
        "  - parameter rows: 3 -> 5"]
    data = json.loads(json.dumps(explanation.to_dict()))
    assert data["reasons"] == [{"kind": "parameter", "name": "rows", "old": "3", "new": "5",
                                "text": "parameter rows: 3 -> 5"}]
    assert (data["compared_with"], data["compared_run"]) == (1, "r1")


def test_recorded_parts(history: Path) -> None:
    store = connect(str(history / "root" / "metadata.sqlite"), read_only=True)
    [execution] = store.get_executions_by_id([7])
    key = recorded_key(store, execution)
    assert key.complete and key.node_id == "trainer" and key.cache_enabled is True
    assert key.parts["inputs"] == {"examples": {"from": "make_examples.examples", "ids": [5]}}
    files = key.parts["code"]["module_file"]["files"]
    assert sorted(files) == ["__init__.py", "helper.py", "model.py"]
    assert key.parts["code"]["module_file"]["main"] == "model.py"
    assert set(key.parts["libraries"]) >= {"tensorflow", "tfx-bsl"}


def _older_tfxkit_run(base: Path) -> tuple[Path, Any, LocalDagRunner]:
    """A run `old` whose executions look as an older tfxkit recorded them: no parts."""
    project = write_project(base / "project")
    runner = LocalDagRunner(workers=0, hooks=SilentReporter())
    runner.run(create_pipeline(str(base / "root"), str(project)), run_id="old")
    store = connect(str(base / "root" / "metadata.sqlite"))
    executions = store.get_executions()
    for execution in executions:
        del execution.custom_properties[CACHE_KEY_PARTS]
        del execution.custom_properties["cache_enabled"]
    store.put_executions(executions)
    assert not recorded_key(store, store.get_executions_by_id([1])[0]).complete
    return project, store, runner


def test_older_executions_without_parts(tmp_path: Path) -> None:
    """Executions an older tfxkit recorded (no cache_key_parts): parameters, inputs and code
    are still compared from their other records, and what they did not record is named."""
    project, _, runner = _older_tfxkit_run(tmp_path)
    (project / "steps" / "helper.py").write_text("SCALE = 9.0\n")
    runner.run(create_pipeline(str(tmp_path / "root"), str(project), rows=4), run_id="new")
    assert why(tmp_path, "make_examples", "new") == ("ran", ["parameter rows: 3 -> 4"])
    assert why(tmp_path, "count_rows", "new")[1] == [
        "input examples (make_examples.examples): artifact 1 -> 5 (made by make_examples in "
        "run new)"]
    model = project / "steps" / "model.py"
    assert why(tmp_path, "trainer", "new")[1] == [
        "input examples (make_examples.examples): artifact 1 -> 5 (made by make_examples in "
        "run new)",
        f"code module_file ({model} or a project module it imports) changed; which of its "
        f"files changed was not recorded by this older run"]


def test_older_execution_whose_key_differs_in_what_it_did_not_record(tmp_path: Path) -> None:
    project, store, runner = _older_tfxkit_run(tmp_path)
    [old] = [e for e in store.get_executions() if record.custom(e, "node_id") == "count_rows"]
    old.custom_properties["cache_key"].string_value = "made-with-other-libraries"
    store.put_executions([old])
    runner.run(create_pipeline(str(tmp_path / "root"), str(project)), run_id="new")
    assert why(tmp_path, "make_examples", "new")[0] == "cached"
    verdict, [text] = why(tmp_path, "count_rows", "new")
    assert verdict == "ran"
    assert text == ("cache key differs; parts not recorded by this older run (execution 2): "
                    "the difference is in what it did not record, tfxkit or library versions")


def test_a_dict_parameter_names_the_entries_that_changed() -> None:
    from tfxkit.metadata.explain import RecordedKey, compare, param_texts

    before = {"custom_config": {"hidden_units": [8, 8], "learning_rate": 0.01,
                                "label": {"key": "species"}}, "module_file": "m.py"}
    after = {"custom_config": {"hidden_units": [16, 8], "learning_rate": 0.01,
                               "label": {"key": "island"}, "dropout": 0.1},
             "module_file": "m.py"}
    old_values = param_texts(before)
    old = RecordedKey(1, "r1", "Trainer", "COMPLETE", "k", {"parameters": {
        k: hashlib.sha256(v.encode()).hexdigest() for k, v in old_values.items()}}, old_values,
        True)
    new_values = param_texts(after)
    new_parts = {"parameters": {k: hashlib.sha256(v.encode()).hexdigest()
                                for k, v in new_values.items()}}
    assert [r.text for r in compare(old, new_parts, new_values)] == [
        "parameter custom_config.dropout: (not set) -> 0.1",
        "parameter custom_config.hidden_units: [8, 8] -> [16, 8]",
        'parameter custom_config.label.key: "species" -> "island"']
    old.values["module_file"] = '"old.py"'  # a plain value: shown whole
    new_parts["parameters"]["module_file"] = "other"
    assert compare(old, new_parts, new_values)[-1].text == 'parameter module_file: "old.py" -> "m.py"'
