"""The model and its training: the model owner's settings and code.

Owner: {{ cookiecutter.owner_model }} (CODEOWNERS).

`run_fn(fn_args)` is called by the Trainer with TFX's FnArgs (train_files, eval_files,
train_steps, eval_steps, transform_output, serving_model_dir, model_run_dir, custom_config...).
It must save a SavedModel to `fn_args.serving_model_dir` whose default signature takes raw
serialized tf.Examples.

Change a setting of `ModelSettings` here (its default) for good, or for one run by its name
without editing this file: `tfxkit run pipeline/pipeline.py -p hidden_units=[32,16]`. The
Trainer gets `train_steps` / `eval_steps` as its train_args / eval_args and the other settings
in `custom_config` (with the label's settings from steps/data.py), and records the values it ran
with. A new field here reaches `run_fn` the same way, with no change elsewhere.

Test this step alone: `python -m pytest tests/test_model.py`.
Rerun only this step on the latest transform: `tfxkit run pipeline/pipeline.py --only Trainer`.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from tfxkit.recipes.tabular import input_layers, model_inputs, train_and_export

if TYPE_CHECKING:
    import tensorflow as tf

# TensorFlow is imported inside the functions that use it: the pipeline reads ModelSettings from
# this module when it is built, compiled or served from cache, and that must not load TF.


@dataclasses.dataclass(frozen=True)
class ModelSettings:
    """The model owner's settings."""

    train_steps: int = 300  # training batches (the Trainer's train_args.num_steps)
    eval_steps: int = 20  # validation batches (eval_args.num_steps)
    batch_size: int = 64
    learning_rate: float = 0.01
    hidden_units: list[int] = dataclasses.field(default_factory=lambda: [16, 8])


def build_model(numeric: list[str], categorical: dict[str, int], hidden_units: list[int],
                learning_rate: float) -> tf.keras.Model:
    """A small dense regressor predicting one number (trained on mean squared error).

    Args:
        numeric: transformed names of numeric (z-scored) features.
        categorical: transformed names of categorical features -> number of ids (incl. OOV).
        hidden_units: width of each hidden layer.
        learning_rate: Adam's learning rate.
    """
    import tensorflow as tf

    inputs, hidden = input_layers(numeric, categorical)
    for units in hidden_units:
        hidden = tf.keras.layers.Dense(units, activation="relu")(hidden)
    outputs = tf.keras.layers.Dense(1)(hidden)
    model = tf.keras.Model(inputs=inputs, outputs=outputs)
    model.compile(optimizer=tf.keras.optimizers.Adam(learning_rate),
                  loss=tf.keras.losses.MeanSquaredError(),
                  metrics=[tf.keras.metrics.MeanAbsoluteError()])
    return model


def run_fn(fn_args: Any) -> None:
    """Train on the transformed examples and save the serving model."""
    import tensorflow_transform as tft

    config = fn_args.custom_config  # ModelSettings' values as run, label_key, task
    tf_transform_output = tft.TFTransformOutput(fn_args.transform_output)
    numeric, categorical = model_inputs(tf_transform_output, config["label_key"])
    model = build_model(numeric, categorical, config["hidden_units"], config["learning_rate"])
    train_and_export(model, fn_args, tf_transform_output, config["label_key"],
                     config["batch_size"])
