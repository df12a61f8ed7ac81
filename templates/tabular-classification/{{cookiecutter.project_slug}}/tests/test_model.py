"""build_model on a tiny random batch (no pipeline needed)."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.config import PipelineConfig
from steps.model import build_model


@pytest.mark.integration
def test_model_trains_and_predicts_class_probabilities(config: PipelineConfig) -> None:
    model = build_model(["a_xf", "b_xf"], {"c_xf": 4}, n_classes=3,
                        hidden_units=config.hidden_units, learning_rate=config.learning_rate)
    rng = np.random.default_rng(0)
    features = {"a_xf": rng.normal(size=64).astype("float32"),
                "b_xf": rng.normal(size=64).astype("float32"),
                "c_xf": rng.integers(0, 4, size=64)}
    labels = (features["a_xf"] > 0).astype("int64") + (features["b_xf"] > 0).astype("int64")
    history = model.fit(features, labels, epochs=30, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    probabilities = model.predict(features, verbose=0)
    assert probabilities.shape == (64, 3)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
