"""User code of the serving tests: a small penguin classifier with string class names, built on
`tfxkit.recipes.tabular` as the tabular-classification template's steps are, so its SavedModel
carries the class vocabulary (`label_vocabulary_name("species")`) among its assets."""

from __future__ import annotations

from typing import Any

import tensorflow as tf
import tensorflow_transform as tft

from tfxkit.recipes.tabular import (
    input_layers,
    label_vocabulary_name,
    model_inputs,
    n_classes,
    numeric_column,
    string_column,
    train_and_export,
    transformed_name,
    vocabulary_name,
)

LABEL = "species"
NUMERIC = ["culmen_length_mm", "culmen_depth_mm", "flipper_length_mm", "body_mass_g"]
CATEGORICAL = ["island"]


def preprocessing_fn(inputs: dict[str, Any]) -> dict[str, Any]:
    """Numbers z-scored, `island` and the label through vocabularies."""
    outputs = {transformed_name(k): tft.scale_to_z_score(numeric_column(inputs[k]))
               for k in NUMERIC}
    for key in CATEGORICAL:
        outputs[transformed_name(key)] = tft.compute_and_apply_vocabulary(
            string_column(inputs[key]), num_oov_buckets=1, vocab_filename=vocabulary_name(key))
    outputs[transformed_name(LABEL)] = tft.compute_and_apply_vocabulary(
        string_column(inputs[LABEL]), vocab_filename=label_vocabulary_name(LABEL))
    return outputs


def run_fn(fn_args: Any) -> None:
    """A softmax classifier trained for `fn_args.train_steps` batches of 16, seeded."""
    tf.keras.utils.set_random_seed(0)
    output = tft.TFTransformOutput(fn_args.transform_output)
    numeric, categorical = model_inputs(output, LABEL)
    inputs, hidden = input_layers(numeric, categorical)
    hidden = tf.keras.layers.Dense(8, activation="relu")(hidden)
    probabilities = tf.keras.layers.Dense(n_classes(output, LABEL), activation="softmax")(hidden)
    model = tf.keras.Model(inputs=inputs, outputs=probabilities)
    model.compile(optimizer=tf.keras.optimizers.Adam(0.05),
                  loss=tf.keras.losses.SparseCategoricalCrossentropy(),
                  metrics=[tf.keras.metrics.SparseCategoricalAccuracy()])
    train_and_export(model, fn_args, output, LABEL, 16)
