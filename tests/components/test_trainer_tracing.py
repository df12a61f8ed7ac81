"""The Trainer runs `run_fn` with tf_keras, TFT and tfx-bsl traced as written, not rewritten by
AutoGraph (components/_shared/tf_env.py `libraries_not_autographed`): user code is still
converted, and a SavedModel exported that way serves exactly what the AutoGraph-converted
export serves.

(The full penguin run_fn, 100 steps, both ways: bit-identical variables, predictions and
signatures, 39.5 s -> 3.0 s of Do on our loaded 2-core machine; a converted `fit` alone costs
15-25 s, too slow to repeat here.)
"""

from __future__ import annotations

import glob
import importlib.util
import os
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import NOTEBOOKS
from tfxkit.components._shared.tf_env import (
    GRAPH_MODE_LIBRARIES,
    libraries_not_autographed,
    set_tf_environment,
)


def test_library_code_is_called_as_written_and_user_code_still_converted() -> None:
    set_tf_environment()
    import tensorflow as tf
    from tensorflow.python.autograph.impl import conversion
    from tf_keras.src.engine import training

    rules_before = _rules()
    assert not conversion.is_allowlisted(training.Model.train_step)  # TF 2.16's default
    with libraries_not_autographed():
        assert conversion.is_allowlisted(training.Model.train_step)
        assert conversion.is_allowlisted(_tft_function())

        @tf.function
        def user_code(x: tf.Tensor) -> tf.Tensor:
            if x > 0:  # a tensor condition: works only when AutoGraph converts this function
                return x
            return -x

        assert float(user_code(tf.constant(-2.0))) == 2.0
    assert _rules() == rules_before
    assert "tf_keras" in GRAPH_MODE_LIBRARIES


@pytest.mark.integration
def test_serving_export_identical_to_the_autograph_converted_one(penguin_context,
                                                                 tmp_path: Path) -> None:
    """The notebooks' penguin model and serving function (TFT layer inside): exported the
    Trainer's way (libraries traced as written), its serving signature takes and returns what
    the same function traced with the libraries AutoGraph-converted does, value for value."""
    set_tf_environment()
    import numpy as np
    import tensorflow as tf
    import tensorflow_transform as tft

    module = _notebook_module()
    results = penguin_context.context.results
    transform_output = tft.TFTransformOutput(
        results["Transform"].outputs["transform_graph"][0].uri)
    examples = results["CsvExampleGen"].outputs["examples"][0].uri
    files = sorted(glob.glob(os.path.join(examples, "Split-eval", "*")))
    records = tf.constant([r.numpy() for r in tf.data.TFRecordDataset(
        files, compression_type="GZIP")])
    tf.keras.utils.set_random_seed(0)
    model = module._build_model(1e-2, 8)
    converted = module._serving_fn(model, transform_output).get_concrete_function()
    with libraries_not_autographed():  # as the Trainer runs run_fn
        model.save(str(tmp_path / "model"), save_format="tf",
                   signatures={"serving_default": module._serving_fn(model, transform_output)})
    exported = tf.saved_model.load(str(tmp_path / "model")).signatures["serving_default"]
    assert _specs(exported.structured_input_signature) == _specs(
        converted.structured_input_signature) == [("examples", tf.string, [None])]
    assert _specs(exported.structured_outputs) == _specs(converted.structured_outputs) == [
        ("outputs", tf.float32, [None, 3])]
    values = exported(examples=records)["outputs"].numpy()
    assert values.shape == (len(records), 3)
    np.testing.assert_array_equal(values, converted(examples=records)["outputs"].numpy())


def _specs(structure: Any) -> list[tuple[str, Any, list[int | None]]]:
    """(name, dtype, shape) of each tensor or TensorSpec in `structure`, by dict key where
    there is one (a SavedModel signature names its outputs by key)."""
    import tensorflow as tf

    if isinstance(structure, dict):
        return [(key, value.dtype, value.shape.as_list())
                for key, value in sorted(structure.items())]
    return [(spec.name, spec.dtype, spec.shape.as_list()) for spec in tf.nest.flatten(structure)]


def _rules() -> tuple[str, ...]:
    from tensorflow.python.autograph.core import config

    return tuple(str(rule) for rule in config.CONVERSION_RULES)


def _tft_function() -> Any:
    from tensorflow_transform import mappers

    return mappers.scale_to_z_score


def _notebook_module() -> Any:
    spec = importlib.util.spec_from_file_location("tfxkit_test_notebook_penguin_module",
                                                  NOTEBOOKS / "penguin_module.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
