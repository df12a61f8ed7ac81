"""The model and its training. Owner: {{ cookiecutter.owner_model }}.

`run_fn(fn_args)` is called by the Trainer with TFX's FnArgs (train_files, eval_files,
train_steps, eval_steps, transform_output, serving_model_dir, model_run_dir, custom_config...).
It must save a SavedModel to `fn_args.serving_model_dir` whose default signature takes raw
serialized tf.Examples.

Test this step alone: `python -m pytest tests/test_model.py`.
Rerun only this step on the latest transform: `tfxkit run pipeline/pipeline.py --only Trainer`.
"""

from __future__ import annotations

from typing import Any

import tensorflow as tf
import tensorflow_transform as tft
from tfxkit.recipes.tabular import input_layers, model_inputs, train_and_export


def build_model(numeric: list[str], categorical: dict[str, int], hidden_units: list[int],
                learning_rate: float) -> tf.keras.Model:
    """A small dense regressor predicting one number (trained on mean squared error).

    Args:
        numeric: transformed names of numeric (z-scored) features.
        categorical: transformed names of categorical features -> number of ids (incl. OOV).
        hidden_units: width of each hidden layer.
        learning_rate: Adam's learning rate.
    """
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
    config = fn_args.custom_config
    tf_transform_output = tft.TFTransformOutput(fn_args.transform_output)
    numeric, categorical = model_inputs(tf_transform_output, config["label_key"])
    model = build_model(numeric, categorical, config["hidden_units"], config["learning_rate"])
    train_and_export(model, fn_args, tf_transform_output, config["label_key"],
                     config["batch_size"])
