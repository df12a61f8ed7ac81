"""Penguin user module for the notebooks: `preprocessing_fn` for Transform, `run_fn` for Trainer.

Transform z-scores the four measurements; the Trainer fits a small Keras classifier and saves a
SavedModel whose serving signature takes raw serialized tf.Examples (the transform graph is
inside it), plus TensorBoard logs in `fn_args.model_run_dir` for the training curves.
`custom_config={"learning_rate": ..., "hidden_units": ...}` varies the model between runs.
"""

from __future__ import annotations

from typing import Any

import tensorflow as tf
import tensorflow_transform as tft
from tfx_bsl.public import tfxio

FEATURES = ["culmen_length_mm", "culmen_depth_mm", "flipper_length_mm", "body_mass_g"]
LABEL = "species"
BATCH_SIZE = 20


def preprocessing_fn(inputs: dict[str, Any]) -> dict[str, Any]:
    """Z-score each measurement over the analyzed split; pass the label through."""
    outputs = {name: tft.scale_to_z_score(inputs[name]) for name in FEATURES}
    outputs[LABEL] = inputs[LABEL]
    return outputs


def _dataset(file_pattern: list[str], data_accessor: Any,
             tf_transform_output: tft.TFTransformOutput) -> tf.data.Dataset:
    options = tfxio.TensorFlowDatasetOptions(batch_size=BATCH_SIZE, label_key=LABEL)
    return data_accessor.tf_dataset_factory(
        file_pattern, options, tf_transform_output.transformed_metadata.schema).repeat()


def _build_model(learning_rate: float, hidden_units: int) -> tf.keras.Model:
    inputs = [tf.keras.layers.Input(shape=(1,), name=name) for name in FEATURES]
    hidden = tf.keras.layers.concatenate(inputs)
    for _ in range(2):
        hidden = tf.keras.layers.Dense(hidden_units, activation="relu")(hidden)
    outputs = tf.keras.layers.Dense(3)(hidden)
    model = tf.keras.Model(inputs=inputs, outputs=outputs)
    model.compile(
        optimizer=tf.keras.optimizers.Adam(learning_rate),
        loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=[tf.keras.metrics.SparseCategoricalAccuracy()],
    )
    return model


def _serving_fn(model: tf.keras.Model, tf_transform_output: tft.TFTransformOutput) -> Any:
    model.tft_layer = tf_transform_output.transform_features_layer()

    @tf.function(input_signature=[tf.TensorSpec(shape=[None], dtype=tf.string, name="examples")])
    def serve_tf_examples_fn(serialized_tf_examples: tf.Tensor) -> dict[str, tf.Tensor]:
        feature_spec = tf_transform_output.raw_feature_spec()
        feature_spec.pop(LABEL)
        parsed = tf.io.parse_example(serialized_tf_examples, feature_spec)
        return {"outputs": model(model.tft_layer(parsed))}

    return serve_tf_examples_fn


def run_fn(fn_args: Any) -> None:
    """Train on the transformed examples (a few epochs, so the curves have points); save a
    SavedModel serving raw tf.Examples to `fn_args.serving_model_dir`."""
    tf_transform_output = tft.TFTransformOutput(fn_args.transform_output)
    train = _dataset(fn_args.train_files, fn_args.data_accessor, tf_transform_output)
    evaluation = _dataset(fn_args.eval_files, fn_args.data_accessor, tf_transform_output)
    config = fn_args.custom_config or {}
    # Seeded (custom_config "seed", default 0): the same inputs train the same starting weights,
    # so reruns and the notebooks' comparisons differ only by what was changed.
    tf.keras.utils.set_random_seed(int(config.get("seed", 0)))
    model = _build_model(float(config.get("learning_rate", 1e-2)),
                         int(config.get("hidden_units", 8)))
    epochs = int(config.get("epochs", 5))
    model.fit(
        train,
        epochs=epochs,
        steps_per_epoch=max(1, fn_args.train_steps // epochs),
        validation_data=evaluation,
        validation_steps=fn_args.eval_steps,
        callbacks=[tf.keras.callbacks.TensorBoard(log_dir=fn_args.model_run_dir)],
        verbose=0,
    )
    model.save(fn_args.serving_model_dir, save_format="tf",
               signatures={"serving_default": _serving_fn(model, tf_transform_output)})
