"""InteractiveContext: one component at a time through the local runner, recorded in ML
Metadata; channels resolve to the latest outputs; views of every standard artifact."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PenguinSession
from tests.resources.tiny_pipelines import count_rows, make_examples
from tfxkit.errors import ExecutionError, PipelineDefinitionError
from tfxkit.notebook import InteractiveContext
from tfxkit.runners.local import SilentReporter

REPO = Path(__file__).resolve().parents[2]


def _context(tmp_path: Path, **kwargs: object) -> InteractiveContext:
    return InteractiveContext(pipeline_name="tiny", pipeline_root=tmp_path / "out",
                              hooks=SilentReporter(), **kwargs)  # type: ignore[arg-type]


def test_import_loads_nothing_heavy() -> None:
    code = ("import sys, tfxkit.notebook, tfxkit.reports\n"
            "heavy = ('tensorflow', 'tensorflow_model_analysis', 'tensorflow_data_validation', "
            "'apache_beam', 'ml_metadata', 'IPython')\n"
            "print([m for m in heavy if m in sys.modules])")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, cwd=REPO)
    assert done.stdout.strip() == "[]"


def test_runs_one_component_at_a_time_and_records_each_run(tmp_path: Path) -> None:
    from tfxkit.metadata.lineage import list_runs

    context = _context(tmp_path)
    gen = make_examples(root=str(tmp_path), rows=4)
    first = context.run(gen)
    assert first.outcome == "ran" and first.execution_id is not None
    [examples] = first.outputs["examples"]
    assert Path(examples.uri).is_dir()
    assert examples.uri.startswith(str(tmp_path / "out" / gen.id / "examples"))
    counted = count_rows(examples=gen.outputs["examples"], root=str(tmp_path))
    second = context.run(counted)
    assert second.outcome == "ran"
    assert context.artifacts(gen.outputs["examples"]) == [examples]
    runs = list_runs(context.store, "tiny")
    assert [[n.node_id for n in run.nodes] for run in runs] == [[counted.id], [gen.id]]
    assert "<table" in second._repr_html_() and counted.id in second._repr_html_()
    assert [n.id for n in context.pipeline.components] == [gen.id, counted.id]
    # Running again hits the cache; a new object with the same id replaces the old one and
    # drops what was built on the old one.
    assert context.run(make_examples(root=str(tmp_path), rows=4)).outcome == "cached"
    assert [n.id for n in context.pipeline.components] == [gen.id]


def test_downstream_before_upstream_says_what_to_run(tmp_path: Path) -> None:
    context = _context(tmp_path)
    gen = make_examples(root=str(tmp_path))
    counted = count_rows(examples=gen.outputs["examples"], root=str(tmp_path))
    with pytest.raises(PipelineDefinitionError, match=r"has not run in this context.*context\.run"):
        context.run(counted)
    with pytest.raises(PipelineDefinitionError, match="call context.run"):
        context.artifacts(gen.outputs["examples"])
    with pytest.raises(TypeError, match="component instance"):
        context.run(make_examples)  # type: ignore[arg-type]


def test_failure_raises_and_is_recorded(tmp_path: Path) -> None:
    from tfxkit.metadata.lineage import list_runs

    context = _context(tmp_path)
    gen = make_examples(root=str(tmp_path))
    context.run(gen)
    marker = tmp_path / "fail"
    marker.touch()
    failing = count_rows(examples=gen.outputs["examples"], root=str(tmp_path),
                         fail_if_exists=str(marker))
    with pytest.raises(ExecutionError, match="asked to fail"):
        context.run(failing)
    assert list_runs(context.store, "tiny")[0].nodes[0].state == "FAILED"


def test_a_new_context_on_the_same_root_continues_from_metadata(tmp_path: Path) -> None:
    gen = make_examples(root=str(tmp_path))
    _context(tmp_path).run(gen)
    later = _context(tmp_path)
    [examples] = later.artifacts(gen.outputs["examples"])
    assert examples.id is not None
    assert later.run(count_rows(examples=gen.outputs["examples"], root=str(tmp_path))).outcome \
        == "ran"


@pytest.mark.integration
def test_penguin_outputs_show_inline(penguin_context: PenguinSession) -> None:
    context, c = penguin_context.context, penguin_context.components
    expected = {
        ("CsvExampleGen", "examples"): ["train: first 10 rows", "culmen_length_mm"],
        ("StatisticsGen", "statistics"): ["class='hist-bar'", "train vs eval"],
        ("SchemaGen", "schema"): ["body_mass_g", "Features"],
        ("ExampleValidator", "anomalies"): ["No anomalies found"],
        ("Transform", "transformed_examples"): ["flipper_length_mm"],
        ("Transform", "transform_graph"): ["Transformed features"],
        ("Trainer", "model"): ["serving_default", "examples"],
        ("Trainer", "model_run"): ["<svg", "sparse_categorical_accuracy", "validation"],
        ("Evaluator", "evaluation"): ["Metrics by slice", "species = 2", "Confusion matrix"],
        ("Evaluator", "blessing"): ["BLESSED", "blessing_reason"],
        ("Pusher", "pushed_model"): ["Pushed as version", "serving_default"],
    }
    for (node, key), markers in expected.items():
        page = context.html(c[node].outputs[key])
        for marker in markers:
            assert marker in page, (node, key, marker)
    lineage = context.lineage_html(c["Pusher"].outputs["pushed_model"])
    for node in ("CsvExampleGen", "Transform", "Trainer", "Evaluator", "Pusher", "<svg"):
        assert node in lineage
    report = context.report_html(penguin_context.full_run_id)
    assert report.count(">cached · ") == 8
    [record] = context.evaluations()
    assert record.blessed is True and record.metrics["sparse_categorical_accuracy"] > 0.5
    assert record.trainer_parameters["train_args"] == {"num_steps": 60}
