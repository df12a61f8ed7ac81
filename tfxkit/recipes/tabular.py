"""Plumbing shared by tabular step modules: missing values, feature selection by type, datasets
and the serving signatures that take raw serialized tf.Examples.

Every function imports TensorFlow / tf.Transform when called.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

LABEL_VOCABULARY = "label"


def transformed_name(key: str) -> str:
    """Name of the transformed feature made from raw feature `key` (`key_xf`)."""
    return f"{key}_xf"


def _column(tensor: Any, dtype: Any) -> Any:
    """(sparse [batch, 1] column or None, dense [batch] tensor or None) of `dtype`."""
    import tensorflow as tf

    if isinstance(tensor, tf.RaggedTensor):
        tensor = tensor.to_sparse()
    convert = tf.strings.as_string if dtype == tf.string and tensor.dtype != tf.string else (
        (lambda v: tf.cast(v, dtype)) if dtype != tf.string else (lambda v: v))
    if isinstance(tensor, tf.SparseTensor):  # a feature that may be missing (VarLen)
        return tf.SparseTensor(tensor.indices, convert(tensor.values),
                               [tensor.dense_shape[0], 1]), None
    return None, tf.reshape(convert(tensor), [-1])


def numeric_column(tensor: Any) -> Any:
    """A float32 `[batch]` tensor; missing values become the mean of the present values."""
    import tensorflow as tf
    import tensorflow_transform as tft

    sparse, dense = _column(tensor, tf.float32)
    if sparse is None:
        return dense
    mean = tft.mean(sparse.values)
    filled = tf.sparse.to_dense(sparse, default_value=float("nan"))
    return tf.squeeze(tf.where(tf.math.is_nan(filled), mean, filled), axis=1)


def string_column(tensor: Any) -> Any:
    """A string `[batch]` tensor (numbers as text); missing values become ""."""
    import tensorflow as tf

    sparse, dense = _column(tensor, tf.string)
    if sparse is None:
        return dense
    return tf.squeeze(tf.sparse.to_dense(sparse, default_value=""), axis=1)


def select_features(inputs: dict[str, Any], label_key: str,
                    numeric: Iterable[str] | None = None,
                    categorical: Iterable[str] | None = None) -> tuple[list[str], list[str]]:
    """(numeric, categorical) raw feature names: the configured lists, or, where a list is None,
    every other input by its type (numbers numeric, strings categorical). Raises a KeyError that
    lists the available columns when a configured feature does not exist."""
    import tensorflow as tf

    available = sorted(k for k in inputs if k != label_key)
    for key in [*(numeric or []), *(categorical or [])]:
        if key not in inputs:
            raise KeyError(f"Feature {key!r} from the pipeline config is not in the data; "
                           f"columns are: {', '.join(available)}.")
    chosen_categorical = list(categorical) if categorical is not None else [
        k for k in available if inputs[k].dtype == tf.string and k not in (numeric or [])]
    chosen_numeric = list(numeric) if numeric is not None else [
        k for k in available if inputs[k].dtype != tf.string and k not in chosen_categorical]
    return sorted(chosen_numeric), sorted(chosen_categorical)


def dataset(file_pattern: Any, data_accessor: Any, tf_transform_output: Any, label_key: str,
            batch_size: int) -> Any:
    """Endless batches of (transformed features, transformed label) for Keras `fit`."""
    from tfx_bsl.public import tfxio

    options = tfxio.TensorFlowDatasetOptions(batch_size=batch_size,
                                             label_key=transformed_name(label_key))
    return data_accessor.tf_dataset_factory(
        file_pattern, options, tf_transform_output.transformed_metadata.schema).repeat()


def serving_signatures(model: Any, tf_transform_output: Any, label_key: str) -> dict[str, Any]:
    """`serving_default` (raw serialized tf.Examples in, `outputs` out, the transform graph
    inside) and `transform_features` (raw examples in, transformed features and label out; TFMA
    uses it to read the transformed label)."""
    import tensorflow as tf

    model.tft_layer = tf_transform_output.transform_features_layer()
    feature_names = [i.name for i in model.inputs]

    @tf.function(input_signature=[tf.TensorSpec(shape=[None], dtype=tf.string, name="examples")])
    def serve(serialized: Any) -> dict[str, Any]:
        spec = tf_transform_output.raw_feature_spec()
        spec.pop(label_key, None)
        transformed = model.tft_layer(tf.io.parse_example(serialized, spec))
        return {"outputs": model({k: transformed[k] for k in feature_names})}

    @tf.function(input_signature=[tf.TensorSpec(shape=[None], dtype=tf.string, name="examples")])
    def transform_features(serialized: Any) -> dict[str, Any]:
        spec = tf_transform_output.raw_feature_spec()
        return dict(model.tft_layer(tf.io.parse_example(serialized, spec)))

    return {"serving_default": serve, "transform_features": transform_features}


def model_inputs(tf_transform_output: Any, label_key: str) -> tuple[list[str], dict[str, int]]:
    """(numeric, categorical) transformed feature names, the label left out; categorical
    features (integer ids) map to their number of ids, out-of-vocabulary bucket included."""
    import tensorflow as tf

    spec = tf_transform_output.transformed_feature_spec()
    features = [name for name in spec if name != transformed_name(label_key)]
    categorical = {name: tf_transform_output.num_buckets_for_transformed_feature(name)
                   for name in features if spec[name].dtype == tf.int64}
    return [name for name in features if name not in categorical], categorical


def input_layers(numeric: list[str], categorical: dict[str, int]) -> tuple[dict[str, Any], Any]:
    """Keras inputs for transformed features and the tensor joining them: numeric features as
    one column each, categorical ids (name -> number of ids) one-hot encoded. Returns
    (inputs by name, joined `[batch, width]` tensor) to build a model on."""
    import tensorflow as tf

    inputs = {name: tf.keras.layers.Input(shape=(), name=name, dtype=tf.float32)
              for name in numeric}
    inputs.update({name: tf.keras.layers.Input(shape=(), name=name, dtype=tf.int64)
                   for name in categorical})
    columns = [tf.keras.layers.Reshape((1,))(inputs[name]) for name in numeric]
    columns += [tf.keras.layers.CategoryEncoding(num_tokens=size, output_mode="one_hot")(
        tf.keras.layers.Reshape((1,))(inputs[name])) for name, size in categorical.items()]
    return inputs, tf.keras.layers.concatenate(columns) if len(columns) > 1 else columns[0]


def train_and_export(model: Any, fn_args: Any, tf_transform_output: Any, label_key: str,
                     batch_size: int) -> None:
    """Fit `model` for `fn_args.train_steps` batches (validating on `fn_args.eval_steps`),
    log to TensorBoard under `fn_args.model_run_dir`, and save it with `serving_signatures` to
    `fn_args.serving_model_dir`."""
    import tensorflow as tf

    def batches(files: Any) -> Any:
        return dataset(files, fn_args.data_accessor, tf_transform_output, label_key, batch_size)

    model.fit(batches(fn_args.train_files), steps_per_epoch=fn_args.train_steps,
              validation_data=batches(fn_args.eval_files), validation_steps=fn_args.eval_steps,
              verbose=2, callbacks=[tf.keras.callbacks.TensorBoard(log_dir=fn_args.model_run_dir)])
    model.save(fn_args.serving_model_dir, save_format="tf",
               signatures=serving_signatures(model, tf_transform_output, label_key))
