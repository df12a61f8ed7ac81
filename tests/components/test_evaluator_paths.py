"""The Evaluator's faster TFMA run (TFMA and tf_keras traced as written, not AutoGraph-rewritten;
each model loaded once while an in-process Beam pipeline runs, instead of once per stage and
metric combiner) writes exactly the metrics and plots of the plain run on the penguin model."""

from __future__ import annotations

import contextlib
import types
from pathlib import Path
from typing import Any

import pytest

from tfxkit.components.evaluator import executor as evaluator_executor
from tfxkit.dsl.base_executor import ExecutorContext
from tfxkit.types.standard_artifacts import ModelBlessing, ModelEvaluation


@pytest.mark.integration
def test_metrics_and_plots_identical_to_the_plain_tfma_run(
        penguin_context, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """penguin_context evaluated the model (no baseline yet) the faster way; the same
    evaluation the way it ran before (AutoGraph converting the libraries, loads per stage)."""
    results = penguin_context.context.results
    properties = dict(penguin_context.components["Evaluator"].exec_properties)
    properties.pop("push_destination")  # as on that first evaluation: no pushed baseline
    monkeypatch.setattr(evaluator_executor, "libraries_not_autographed", contextlib.nullcontext)
    monkeypatch.setattr(evaluator_executor, "_one_thread_here", lambda args: False)
    evaluation = ModelEvaluation(uri=str(tmp_path / "evaluation"))
    blessing = ModelBlessing(uri=str(tmp_path / "blessing"))
    evaluator_executor.Executor(ExecutorContext(tmp_dir=str(tmp_path / "tmp"))).Do(
        {"examples": results["CsvExampleGen"].outputs["examples"],
         "model": results["Trainer"].outputs["model"]},
        {"evaluation": [evaluation], "blessing": [blessing]}, properties)
    faster = results["Evaluator"].outputs["evaluation"][0]
    metrics, plots = _written(evaluation.uri)
    assert len(metrics) >= 6 and plots  # overall and per-species slices, confusion matrices
    assert (metrics, plots) == _written(faster.uri)
    assert (evaluation.get_custom_property("slice_metrics")
            == faster.get_custom_property("slice_metrics"))
    assert (blessing.get_custom_property("blessing_reason") == results["Evaluator"].outputs[
        "blessing"][0].get_custom_property("blessing_reason"))


def test_models_loaded_once_only_when_beam_runs_one_dofn_at_a_time_here() -> None:
    once = evaluator_executor._one_thread_here
    assert once([]) and once(["--direct_running_mode=in_memory", "--direct_num_workers=1"])
    assert once(["--runner=DirectRunner", "--direct_running_mode", "in_memory"])
    assert not once(["--direct_running_mode", "multi_threading"])  # DoFns in parallel threads
    assert not once(["--direct_running_mode=multi_processing"])
    assert not once(["--runner=PortableRunner", "--job_endpoint=embed"])


def test_loaded_once_while_the_block_runs_then_restored() -> None:
    from apache_beam.internal import pickler

    calls = []

    def construct() -> object:
        calls.append(1)
        return object()

    loader = types.SimpleNamespace(construct_fn=construct)
    model = types.SimpleNamespace(model_loader=loader)
    with evaluator_executor._models_loaded_once([model]):
        copy = pickler.loads(pickler.dumps(loader.construct_fn))  # as Beam ships it to a stage
        assert loader.construct_fn() is copy() is loader.construct_fn()
    assert len(calls) == 1
    assert loader.construct_fn is construct and not evaluator_executor._LOADED


def _written(output_path: str) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """TFMA's metrics and plots under `output_path`, serialized, by slice and key."""
    import tensorflow_model_analysis as tfma

    def by_key(records: Any, values: str) -> dict[str, bytes]:
        found = {}
        for record in records:
            for item in getattr(record, values):
                found[f"{record.slice_key} {item.key}"] = item.value.SerializeToString(
                    deterministic=True)
        return found

    return (by_key(tfma.load_metrics(output_path), "metric_keys_and_values"),
            by_key(tfma.load_plots(output_path), "plot_keys_and_values"))
