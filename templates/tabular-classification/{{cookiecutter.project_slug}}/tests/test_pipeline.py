"""The pipeline's wiring: which steps exist for which settings, and what they are given."""

from __future__ import annotations

import pytest
from tfxkit.errors import ComponentArgumentError

from pipeline.pipeline import create_pipeline


def test_default_pipeline_has_the_eight_standard_steps() -> None:
    pipeline = create_pipeline()
    assert [c.id for c in pipeline.components] == [
        "CsvExampleGen", "StatisticsGen", "SchemaGen", "ExampleValidator", "Transform",
        "Trainer", "Evaluator", "Pusher"]
    evaluator = next(c for c in pipeline.components if c.id == "Evaluator")
    assert evaluator.exec_properties["baseline"] == "latest"


def test_bulk_inference_adds_a_bulk_inferrer_on_the_blessed_model() -> None:
    pipeline = create_pipeline(bulk_inference=True, bulk_inference_splits=["eval", "train"])
    assert [c.id for c in pipeline.components][-1] == "BulkInferrer"
    bulk_inferrer = pipeline.components[-1]
    sources = {key: (channel.producer.id, channel.output_key)
               for key, channel in bulk_inferrer.inputs.items()
               if channel is not None and channel.producer is not None}
    assert sources == {"examples": ("CsvExampleGen", "examples"),
                       "model": ("Trainer", "model"),
                       "model_blessing": ("Evaluator", "blessing")}
    assert bulk_inferrer.exec_properties["data_spec"] == {"example_splits": ["eval", "train"]}


def test_baseline_alias_reaches_the_evaluator() -> None:
    pipeline = create_pipeline(baseline="production")
    evaluator = next(c for c in pipeline.components if c.id == "Evaluator")
    assert evaluator.exec_properties["baseline"] == "production"


def test_bad_baseline_is_refused_when_the_pipeline_is_built() -> None:
    with pytest.raises(ComponentArgumentError,
                       match=r"baseline: expected an alias name .* found 'not an alias!'"):
        create_pipeline(baseline="not an alias!")
