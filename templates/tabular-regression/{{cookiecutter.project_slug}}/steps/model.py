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

from tfxkit.recipes.tabular import dataset, serving_signatures, transformed_name


def build_model(numeric: list[str], categorical: dict[str, int], hidden_units: list[int],
                learning_rate: float) -> tf.keras.Model:
    """A small dense regressor predicting one number (trained on mean squared error).

    Args:
        numeric: transformed names of numeric (z-scored) features.
        categorical: transformed names of categorical features -> number of ids (incl. OOV).
        hidden_units: width of each hidden layer.
        learning_rate: Adam's learning rate.
    """
    inputs = {name: tf.keras.layers.Input(shape=(), name=name, dtype=tf.float32)
              for name in numeric}
    inputs.update({name: tf.keras.layers.Input(shape=(), name=name, dtype=tf.int64)
                   for name in categorical})
    columns = [tf.keras.layers.Reshape((1,))(inputs[name]) for name in numeric]
    columns += [tf.keras.layers.CategoryEncoding(num_tokens=size, output_mode="one_hot")(
        tf.keras.layers.Reshape((1,))(inputs[name])) for name, size in categorical.items()]
    hidden = tf.keras.layers.concatenate(columns) if len(columns) > 1 else columns[0]
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
    label_key = config["label_key"]
    tf_transform_output = tft.TFTransformOutput(fn_args.transform_output)
    feature_spec = tf_transform_output.transformed_feature_spec()
    features = [name for name in feature_spec if name != transformed_name(label_key)]
    categorical = {name: tf_transform_output.num_buckets_for_transformed_feature(name)
                   for name in features if feature_spec[name].dtype == tf.int64}
    numeric = [name for name in features if name not in categorical]
    model = build_model(numeric, categorical, config["hidden_units"], config["learning_rate"])
    train = dataset(fn_args.train_files, fn_args.data_accessor, tf_transform_output, label_key,
                    config["batch_size"])
    evaluation = dataset(fn_args.eval_files, fn_args.data_accessor, tf_transform_output,
                         label_key, config["batch_size"])
    model.fit(train, steps_per_epoch=fn_args.train_steps, validation_data=evaluation,
              validation_steps=fn_args.eval_steps, verbose=2,
              callbacks=[tf.keras.callbacks.TensorBoard(log_dir=fn_args.model_run_dir)])
    model.save(fn_args.serving_model_dir, save_format="tf",
               signatures=serving_signatures(model, tf_transform_output, label_key))
