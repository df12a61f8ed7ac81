"""Plumbing shared by tabular step modules: missing values, feature selection by type, date
features, datasets and the serving signatures that take raw serialized tf.Examples.

Names are derived so that any column name works: a transformed feature is `<column>_xf`, a date
part `<column>_xf_<part>`, a feature's vocabulary asset `feature_<column>_<hash>` and the class
label's `label_<column>_<hash>` (`vocabulary_name`, `label_vocabulary_name`); no column name can
produce another column's name, or a name the recipe reserves (`LABEL_PRESENT`).

Every function imports TensorFlow / tf.Transform when called.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from typing import Any

from tfxkit.errors import DataError

# Projects generated before derived vocabulary names passed this to `vocab_filename` for the
# class labels; kept so their steps still import. New code: `label_vocabulary_name(label_key)`.
LABEL_VOCABULARY = "label"
# Transformed feature present only with `drop_rows_without_label`: 1.0 where the row has a
# label. Training drops the other rows and evaluation gives them zero weight. No transformed
# name can equal it (those end in `_xf` or `_xf_<date part>`).
LABEL_PRESENT = "__label_present"
DATE_PARTS = ("year", "month", "day", "day_of_week", "hour", "days_since_epoch")
DEFAULT_DATE_PARTS = ("year", "month", "day_of_week", "hour")
# ISO 8601 dates and timestamps: 2024-04-08, 2024-06-01T20:22:50Z, 2024-06-01 20:22:50.123+02:00
ISO_DATE_PATTERN = (r"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?"
                    r"(Z|[+-]\d{2}:?\d{2})?)?")


def transformed_name(key: str) -> str:
    """Name of the transformed feature made from raw feature `key` (`key_xf`)."""
    return f"{key}_xf"


def transformed_date_name(key: str, part: str) -> str:
    """Name of the transformed feature holding `part` (e.g. "year") of date column `key`:
    `key_xf_part`. Never equal to a `transformed_name` (those end in `_xf`)."""
    return f"{transformed_name(key)}_{part}"


def _asset_name(kind: str, key: str) -> str:
    # tf.Transform rewrites asset names to [\w-]; the hash of the exact column name keeps two
    # columns that rewrite alike ("a b", "a-b") apart, the kind keeps features and labels apart.
    safe = re.sub(r"[^A-Za-z0-9_]", "_", key)[:40]
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:8]
    return f"{kind}_{safe}_{digest}"


def vocabulary_name(key: str) -> str:
    """Vocabulary asset name (tf.Transform `vocab_filename`) of categorical feature `key`:
    `feature_<key>_<hash>`, distinct for every column name and from `label_vocabulary_name`."""
    return _asset_name("feature", key)


def label_vocabulary_name(label_key: str) -> str:
    """Vocabulary asset name of the class labels of column `label_key`: `label_<key>_<hash>`.
    `run_fn` reads the number of classes from it (`n_classes`)."""
    return _asset_name("label", label_key)


def n_classes(tf_transform_output: Any, label_key: str) -> int:
    """Number of label classes: the size of the label vocabulary the transform wrote."""
    return int(tf_transform_output.vocabulary_size_by_name(label_vocabulary_name(label_key)))


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
                    categorical: Iterable[str] | None = None, *,
                    dates: Iterable[str] = (),
                    excluded: Iterable[str] = ()) -> tuple[list[str], list[str]]:
    """(numeric, categorical) raw feature names: the configured lists, or, where a list is None,
    every other input by its type (numbers numeric, strings categorical), leaving out the
    label, `dates` (turned into numbers by `date_parts`) and `excluded`.

    Raises DataError naming the column and the available ones when a configured feature is not
    in the data, is the label, or is configured twice.
    """
    import tensorflow as tf

    numeric = None if numeric is None else list(numeric)
    categorical = None if categorical is None else list(categorical)
    dates, excluded = list(dates), list(excluded)
    available = sorted(k for k in inputs if k != label_key)
    lists = {"numeric_features": numeric or [], "categorical_features": categorical or [],
             "date_features": dates, "excluded_features": excluded}
    seen: dict[str, str] = {}
    for setting, keys in lists.items():
        for key in keys:
            if key not in inputs:
                raise DataError(f"{setting}: column {key!r} is not in the data; columns are: "
                                f"{', '.join(available)}. Fix {setting} (in a tfxkit project: "
                                f"PreprocessingSettings in steps/preprocessing.py).")
            if key == label_key:
                raise DataError(f"{setting}: {key!r} is the label (label_key); a label cannot "
                                f"also be a feature. Remove it from {setting}.")
            if key in seen:
                raise DataError(f"Column {key!r} is in both {seen[key]} and {setting}; list it "
                                f"in one of them.")
            seen[key] = setting
    others = [k for k in available if k not in dates and k not in excluded]
    chosen_categorical = categorical if categorical is not None else [
        k for k in others if inputs[k].dtype == tf.string and k not in (numeric or [])]
    chosen_numeric = numeric if numeric is not None else [
        k for k in others if inputs[k].dtype != tf.string and k not in chosen_categorical]
    return sorted(chosen_numeric), sorted(chosen_categorical)


def _days_from_civil(year: Any, month: Any, day: Any) -> Any:
    """Days since 1970-01-01 of proleptic Gregorian dates (int64 tensors); H. Hinnant's
    `days_from_civil`."""
    import tensorflow as tf

    year = year - tf.cast(month <= 2, tf.int64)
    era = tf.math.floordiv(year, 400)
    year_of_era = year - era * 400
    day_of_year = tf.math.floordiv(153 * tf.math.floormod(month + 9, 12) + 2, 5) + day - 1
    day_of_era = (year_of_era * 365 + tf.math.floordiv(year_of_era, 4)
                  - tf.math.floordiv(year_of_era, 100) + day_of_year)
    return era * 146097 + day_of_era - 719468


def parse_dates(tensor: Any) -> dict[str, Any]:
    """ISO 8601 dates / timestamps (strings such as `2024-04-08` or `2024-06-01T20:22:50Z`) as
    float32 `[batch]` tensors for each of `DATE_PARTS` (day_of_week: Monday = 0; hour: the
    clock hour as written, 0 for a plain date; a time zone offset is ignored), plus `valid`
    (1.0 where the value parsed). Missing or unparseable values are NaN."""
    import tensorflow as tf

    text = tf.strings.strip(string_column(tensor))
    valid = tf.strings.regex_full_match(text, ISO_DATE_PATTERN)
    safe = tf.where(valid, text, "1970-01-01T00")

    def number(start: int, length: int) -> Any:
        return tf.strings.to_number(tf.strings.substr(safe, start, length), tf.int64)

    year, month, day = number(0, 4), number(5, 2), number(8, 2)
    # A plain date reads as midnight: "2024-04-08" + "T00" puts "00" where the hour goes.
    hour = tf.strings.to_number(tf.strings.substr(tf.strings.join([safe, "T00"]), 11, 2),
                                tf.int64)
    days = _days_from_civil(year, month, day)
    parts = {"year": year, "month": month, "day": day,
             "day_of_week": tf.math.floormod(days + 3, 7), "hour": hour,
             "days_since_epoch": days}
    nan = tf.fill(tf.shape(text), float("nan"))
    result = {name: tf.where(valid, tf.cast(value, tf.float32), nan)
              for name, value in parts.items()}
    result["valid"] = tf.cast(valid, tf.float32)
    return result


def date_parts(tensor: Any, key: str, parts: Iterable[str] | None = None) -> dict[str, Any]:
    """Numeric features of date column `key`: {transformed_date_name(key, part): float32
    [batch]} for each of `parts` (default `DEFAULT_DATE_PARTS`: year, month, day_of_week,
    hour), missing or unparseable values filled with the mean of the parsed ones. A date is
    a point on a scale, not a category: a vocabulary of dates would hold one word per row.

    Raises DataError for an unknown part.
    """
    import tensorflow as tf
    import tensorflow_transform as tft

    chosen = list(DEFAULT_DATE_PARTS if parts is None else parts)
    unknown = [p for p in chosen if p not in DATE_PARTS]
    if unknown or not chosen:
        raise DataError(f"date_parts: expected some of {list(DATE_PARTS)}, found {chosen}. "
                        f"Fix date_parts (in a tfxkit project: steps/preprocessing.py).")
    parsed = parse_dates(tensor)
    result = {}
    for part in chosen:
        values = parsed[part]
        present = tf.boolean_mask(values, tf.math.logical_not(tf.math.is_nan(values)))
        mean = tft.mean(present)
        result[transformed_date_name(key, part)] = tf.where(tf.math.is_nan(values), mean,
                                                            values)
    return result


def label_present(tensor: Any) -> Any:
    """float32 `[batch]`: 1.0 where the label column has a value (a non-empty string, or a
    number), 0.0 where it is missing."""
    import tensorflow as tf

    return tf.cast(tf.strings.length(string_column(tensor)) > 0, tf.float32)


def dataset(file_pattern: Any, data_accessor: Any, tf_transform_output: Any, label_key: str,
            batch_size: int) -> Any:
    """Endless batches of (transformed features, transformed label) for Keras `fit`. When the
    transform marks rows without a label (`LABEL_PRESENT`, from `drop_rows_without_label`),
    those rows are dropped and the marker is not passed to the model."""
    import tensorflow as tf
    from tfx_bsl.public import tfxio

    options = tfxio.TensorFlowDatasetOptions(batch_size=batch_size,
                                             label_key=transformed_name(label_key))
    batches = data_accessor.tf_dataset_factory(
        file_pattern, options, tf_transform_output.transformed_metadata.schema)
    if LABEL_PRESENT in tf_transform_output.transformed_feature_spec():
        def labelled(features: dict[str, Any], label: Any) -> Any:
            features = dict(features)
            keep = tf.reshape(features.pop(LABEL_PRESENT), [-1]) > 0
            return ({k: tf.boolean_mask(v, keep) for k, v in features.items()},
                    tf.boolean_mask(label, keep))

        batches = batches.map(labelled)
    return batches.repeat()


def serving_signatures(model: Any, tf_transform_output: Any, label_key: str) -> dict[str, Any]:
    """`serving_default` (raw serialized tf.Examples in, `outputs` out, the transform graph
    inside) and `transform_features` (raw examples in, transformed features and label out; TFMA
    uses it to read the transformed label and, with `drop_rows_without_label`, the example
    weight `LABEL_PRESENT`)."""
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
        transformed = dict(model.tft_layer(tf.io.parse_example(serialized, spec)))
        label = transformed_name(label_key)
        if LABEL_PRESENT in transformed and label in transformed \
                and transformed[label].dtype.is_integer:
            # A row without a label weighs 0 in evaluation (example_weight_key); class 0 in
            # place of -1 keeps the losses TFMA computes from the model defined.
            transformed[label] = tf.where(transformed[LABEL_PRESENT] > 0, transformed[label],
                                          tf.zeros_like(transformed[label]))
        return transformed

    return {"serving_default": serve, "transform_features": transform_features}


def model_inputs(tf_transform_output: Any, label_key: str) -> tuple[list[str], dict[str, int]]:
    """(numeric, categorical) transformed feature names, the label left out; categorical
    features (integer ids) map to their number of ids, out-of-vocabulary bucket included."""
    import tensorflow as tf

    spec = tf_transform_output.transformed_feature_spec()
    features = [name for name in spec
                if name not in (transformed_name(label_key), LABEL_PRESENT)]
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
