"""The Evaluator's faster TFMA run (TFMA, tf_keras traced as written; the models held while an
in-process Beam pipeline runs, so that Beam's Shared cache does not reload them per stage)
writes exactly the metrics and plots of the plain run on the penguin model."""

from __future__ import annotations

import contextlib
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
    evaluation the way it ran before (AutoGraph converting the libraries, no model held)."""
    results = penguin_context.context.results
    properties = dict(penguin_context.components["Evaluator"].exec_properties)
    properties.pop("push_destination")  # as on that first evaluation: no pushed baseline
    monkeypatch.setattr(evaluator_executor, "libraries_not_autographed", contextlib.nullcontext)
    monkeypatch.setattr(evaluator_executor, "_runs_in_this_process", lambda args: False)
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


def test_models_held_only_when_beam_runs_them_in_this_process() -> None:
    held = evaluator_executor._runs_in_this_process
    assert held([]) and held(["--direct_running_mode=in_memory", "--direct_num_workers=1"])
    assert held(["--runner=DirectRunner", "--direct_running_mode", "multi_threading"])
    assert not held(["--direct_running_mode=multi_processing"])
    assert not held(["--runner=PortableRunner", "--job_endpoint=embed"])


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
