"""preprocessing_fn on a tiny in-memory batch with tf.Transform (no pipeline needed)."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_transform.beam as tft_beam
from tensorflow_transform.tf_metadata import dataset_metadata, schema_utils
from tfxkit.recipes.tabular import transformed_name

from pipeline.config import PipelineConfig
from steps.preprocessing import preprocessing_fn
from tests.conftest import as_instances, column_types, read_rows


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
