"""build_model on a tiny random batch (no pipeline needed)."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.config import PipelineConfig
from steps.model import build_model


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
