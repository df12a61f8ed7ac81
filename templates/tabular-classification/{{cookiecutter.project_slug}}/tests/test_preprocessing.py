"""preprocessing_fn on a tiny in-memory batch with tf.Transform (no pipeline needed), and through
the real Transform step on the golden inputs (tests/fixtures/Transform/: a sample of the last
run's examples and its schema, `make fixtures`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_transform.beam as tft_beam
from tensorflow_transform.tf_metadata import dataset_metadata, schema_utils
from tfxkit.recipes.tabular import transformed_name
from tfxkit.testing import StepResult

from pipeline.config import PipelineConfig
from steps.preprocessing import preprocessing_fn
from tests.conftest import as_instances, column_types, read_records, read_rows


@pytest.mark.integration
def test_preprocessing_on_a_small_batch(config: PipelineConfig, tmp_path) -> None:
    all_rows = read_rows(config)
    rows = all_rows[:: max(1, len(all_rows) // 40)]  # ~40 rows spread over the whole file
    types = column_types(all_rows)
    dtypes = {int: tf.int64, float: tf.float32, str: tf.string}
    spec = {key: tf.io.VarLenFeature(dtypes[kind]) for key, kind in types.items()}
    metadata = dataset_metadata.DatasetMetadata(schema_utils.schema_from_feature_spec(spec))
    with tft_beam.Context(temp_dir=str(tmp_path)):
        (transformed, _), _ = (as_instances(rows, types), metadata) | \
            tft_beam.AnalyzeAndTransformDataset(
                lambda inputs: preprocessing_fn(inputs, config.model_config()))
    label = transformed_name(config.label_key)
    assert all(label in row for row in transformed)
    if config.task == "classification":
        labels = {int(row[label]) for row in transformed}
        assert labels <= set(range(len(labels))), "labels become class indices 0..n-1"
    else:
        assert not np.isnan([float(row[label]) for row in transformed]).any()
    numeric = config.numeric_features if config.numeric_features is not None else [
        k for k, kind in types.items() if kind is not str and k != config.label_key]
    for key in numeric:
        values = np.array([row[transformed_name(key)] for row in transformed], dtype=float)
        assert not np.isnan(values).any(), f"{key}: missing values must be filled"
        assert abs(values.mean()) < 1e-4 and abs(values.std() - 1) < 0.1
    strings = config.categorical_features if config.categorical_features is not None else [
        k for k, kind in types.items() if kind is str and k != config.label_key]
    for key in strings:
        assert all(int(row[transformed_name(key)]) >= 0 for row in transformed)


@pytest.mark.integration
def test_transform_step_on_golden_inputs(config: PipelineConfig,
                                         run_on_fixtures: Callable[..., StepResult]) -> None:
    result = run_on_fixtures("Transform")
    graph = Path(result.uri("transform_graph"))
    assert (graph / "transform_fn" / "saved_model.pb").is_file()
    assert (graph / "transformed_metadata" / "schema.pbtxt").is_file()
    examples = result.output("transformed_examples")
    assert examples.split_names == ["train", "eval"]
    label = transformed_name(config.label_key)
    for split in examples.split_names:
        records = [tf.train.Example.FromString(r)
                   for r in read_records(Path(examples.uri) / f"Split-{split}")]
        sampled = len(read_records(Path(result.inputs["examples"][0].uri) / f"Split-{split}"))
        # one transformed row per input row, or fewer when rows without a label are dropped
        assert 0 < len(records) <= sampled
        assert all(label in r.features.feature for r in records), f"{label} in every row"
        if config.task == "classification":
            ids = {r.features.feature[label].int64_list.value[0] for r in records}
            assert min(ids) >= 0, "labels become class indices 0..n-1"
