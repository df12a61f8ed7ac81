"""build_model on a tiny random batch (no pipeline needed), and run_fn through the real Trainer
on the golden inputs (tests/fixtures/Trainer/: a sample of the last Transform output and its
transform graph, `make fixtures`): the saved model serves raw examples."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from tfxkit.testing import StepResult

from pipeline.config import PipelineConfig
from steps.model import build_model
from tests.conftest import column_types, serialized_example


@pytest.mark.integration
def test_model_learns_a_linear_target(config: PipelineConfig) -> None:
    model = build_model(["a_xf", "b_xf"], {"c_xf": 4}, hidden_units=config.hidden_units,
                        learning_rate=config.learning_rate)
    rng = np.random.default_rng(0)
    features = {"a_xf": rng.normal(size=256).astype("float32"),
                "b_xf": rng.normal(size=256).astype("float32"),
                "c_xf": rng.integers(0, 4, size=256)}
    target = 3 * features["a_xf"] - features["b_xf"] + features["c_xf"]
    history = model.fit(features, target, epochs=40, batch_size=32, verbose=0)
    assert history.history["loss"][-1] < 0.2 * history.history["loss"][0]
    assert model.predict(features, verbose=0).shape == (256, 1)


@pytest.mark.integration
def test_trainer_on_golden_inputs_serves_predictions(
        config: PipelineConfig, run_on_fixtures: Callable[..., StepResult],
        sample_rows: list[dict[str, str]]) -> None:
    import tensorflow as tf

    result = run_on_fixtures("Trainer", train_steps=5, eval_steps=1)
    assert result.exec_properties["custom_config"]["hidden_units"] == config.hidden_units
    serving = Path(result.uri("model")) / "Format-Serving"
    model = tf.saved_model.load(str(serving))
    types = column_types(sample_rows)
    examples = [serialized_example(row, types) for row in sample_rows[:5]]
    outputs = model.signatures["serving_default"](examples=tf.constant(examples))["outputs"]
    assert outputs.shape == (5, 1)
    assert np.isfinite(outputs.numpy()).all()
