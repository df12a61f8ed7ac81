"""The whole pipeline, locally: it pushes a model that serves predictions from raw examples."""

from __future__ import annotations

from pathlib import Path

import pytest
from tfxkit.runners import LocalDagRunner

from pipeline.config import PipelineConfig
from pipeline.pipeline import create_pipeline
from tests.conftest import column_types, read_rows, serialized_example


@pytest.mark.e2e
def test_pipeline_pushes_a_model_that_predicts(tmp_path: Path, config: PipelineConfig) -> None:
    import tensorflow as tf

    serving = tmp_path / "serving_model"
    pipeline = create_pipeline(pipeline_root=str(tmp_path / "out"),
                               serving_model_dir=str(serving))
    result = LocalDagRunner().run(pipeline)
    assert {r.outcome for r in result.nodes.values()} == {"ran"}
    [pushed] = result.outputs("Pusher", "pushed_model")
    assert pushed.get_custom_property("pushed") == 1
    [version] = [p for p in serving.iterdir() if p.name.isdigit()]
    model = tf.saved_model.load(str(version))
    rows = read_rows(config)
    types = column_types(rows)
    examples = [serialized_example(row, types) for row in rows[:5]]
    outputs = model.signatures["serving_default"](examples=tf.constant(examples))["outputs"]
    assert outputs.shape[0] == 5

