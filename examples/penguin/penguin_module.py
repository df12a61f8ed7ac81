"""User code of the penguin example: `preprocessing_fn` z-scores the 4 numeric features and
`run_fn` trains a Keras classifier (2 dense layers of 8, Adam 1e-2) whose serving signature
takes raw serialized tf.Examples with the transform graph inside.

Written as a TFX penguin module is, so it ports both ways; only the imports name tfxkit.
Training is seeded and uses deterministic ops, so two runs on the same data push bit-identical
models (the fault-injection tests rely on that).
"""

from __future__ import annotations

from typing import Any

import tensorflow as tf
import tensorflow_transform as tft
from tfx_bsl.public import tfxio

FEATURES = ["culmen_length_mm", "culmen_depth_mm", "flipper_length_mm", "body_mass_g"]
LABEL = "species"


def preprocessing_fn(inputs: dict[str, Any]) -> dict[str, Any]:
    """Z-score each feature over the training split; pass the integer label through."""
    outputs = {name: tft.scale_to_z_score(inputs[name]) for name in FEATURES}
    outputs[LABEL] = inputs[LABEL]
    return outputs


def _dataset(file_pattern: list[str], data_accessor: Any, transform_output: Any,
             batch_size: int) -> tf.data.Dataset:
    options = tfxio.TensorFlowDatasetOptions(batch_size=batch_size, label_key=LABEL)
    return data_accessor.tf_dataset_factory(
        file_pattern, options, transform_output.transformed_metadata.schema).repeat()


def _build_model(learning_rate: float) -> tf.keras.Model:
    inputs = [tf.keras.layers.Input(shape=(1,), name=name) for name in FEATURES]
    hidden = tf.keras.layers.concatenate(inputs)
    for _ in range(2):
        hidden = tf.keras.layers.Dense(8, activation="relu")(hidden)
    outputs = tf.keras.layers.Dense(3)(hidden)
    model = tf.keras.Model(inputs=inputs, outputs=outputs)
    model.compile(optimizer=tf.keras.optimizers.Adam(learning_rate),
                  loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=[tf.keras.metrics.SparseCategoricalAccuracy()])
    return model


def run_fn(fn_args: Any) -> None:
    """Train for `fn_args.train_steps` batches of 20 with fixed seeds and deterministic ops;
    save the serving model."""
    tf.keras.utils.set_random_seed(0)
    tf.config.experimental.enable_op_determinism()
    transform_output = tft.TFTransformOutput(fn_args.transform_output)
    config = fn_args.custom_config or {}
    batch_size = int(config.get("batch_size", 20))
    model = _build_model(float(config.get("learning_rate", 1e-2)))
    model.fit(_dataset(fn_args.train_files, fn_args.data_accessor, transform_output, batch_size),
              steps_per_epoch=fn_args.train_steps,
              validation_data=_dataset(fn_args.eval_files, fn_args.data_accessor,
                                       transform_output, batch_size),
              validation_steps=fn_args.eval_steps, verbose=2,
              callbacks=[tf.keras.callbacks.TensorBoard(log_dir=fn_args.model_run_dir)])
    model.tft_layer = transform_output.transform_features_layer()

    @tf.function(input_signature=[tf.TensorSpec(shape=[None], dtype=tf.string, name="examples")])
    def serve(serialized: tf.Tensor) -> dict[str, tf.Tensor]:
        spec = transform_output.raw_feature_spec()
        spec.pop(LABEL)
        transformed = model.tft_layer(tf.io.parse_example(serialized, spec))
        return {"outputs": model([transformed[name] for name in FEATURES])}

    model.save(fn_args.serving_model_dir, save_format="tf",
               signatures={"serving_default": serve})
