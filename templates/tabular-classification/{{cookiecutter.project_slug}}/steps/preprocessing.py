"""Feature engineering with tf.Transform: the transform owner's settings and code.

Owner: {{ cookiecutter.owner_transform }} (CODEOWNERS).

`preprocessing_fn` runs twice: once over the whole training split to compute statistics (means,
vocabularies), then per row to transform every split; the same graph is saved inside the
serving model, so training and serving transform identically.

Change a setting here (its default) for good, or for one run by its name without editing this
file: `tfxkit run pipeline/pipeline.py -p 'excluded_features=["a_column"]'`. Transform receives
the values as `custom_config` (with the label's settings from steps/data.py) and records them.

Test this step alone: `python -m pytest tests/test_preprocessing.py` (seconds, no pipeline).
Rerun only this step on the latest data: `tfxkit run pipeline/pipeline.py --only Transform`.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from tfxkit.recipes.tabular import (
    LABEL_PRESENT,
    date_parts,
    label_present,
    label_vocabulary_name,
    numeric_column,
    select_features,
    string_column,
    transformed_name,
    vocabulary_name,
)

# tf.Transform is imported inside preprocessing_fn: the pipeline reads PreprocessingSettings
# from this module when it is built, compiled or served from cache, without TensorFlow.


@dataclasses.dataclass(frozen=True)
class PreprocessingSettings:
    """The transform owner's settings: which columns become which features."""

{%- if cookiecutter._tfxkit_template == "tabular-regression" %}
    numeric_features: list[str] | None = dataclasses.field(
        default_factory=lambda: ["trip_miles", "trip_seconds"])  # None: every numeric column
    categorical_features: list[str] | None = dataclasses.field(
        default_factory=lambda: ["trip_start_hour", "payment_type", "pickup_community_area",
                                 "dropoff_community_area"])  # None: every string column
{%- else %}
    numeric_features: list[str] | None = None      # None: every numeric column but the label
    categorical_features: list[str] | None = None  # None: every string column but the label
{%- endif %}
    # ISO date / timestamp columns (2024-04-08, 2024-06-01T20:22:50Z) to turn into numbers,
    # the parts in date_parts (year, month, day, day_of_week, hour, days_since_epoch), instead
    # of one vocabulary word per date.
    date_features: list[str] = dataclasses.field(default_factory=list)
    date_parts: list[str] = dataclasses.field(
        default_factory=lambda: ["year", "month", "day_of_week", "hour"])
    excluded_features: list[str] = dataclasses.field(default_factory=list)  # columns left out


def preprocessing_fn(inputs: dict[str, Any], custom_config: dict[str, Any]) -> dict[str, Any]:
    """Raw features in, model-ready features out (named `<feature>_xf`).

    Numbers are z-scored (missing values filled with the mean), strings are mapped to integer
    ids by a vocabulary (missing and unseen values share one extra id), ISO dates and
    timestamps listed in `date_features` become z-scored numbers (`<feature>_xf_year`,
    `_month`, `_day_of_week`, `_hour`, as `date_parts` says), `excluded_features` are left
    out. For classification the label becomes a class index (most frequent class first); for
    regression it stays a number (missing values filled with the mean). Vocabulary names are
    derived from the column names (`vocabulary_name`), so any column name works, even `label`.
    With `drop_rows_without_label`, `LABEL_PRESENT` marks the rows that have a label; the
    others are dropped in training and weigh nothing in evaluation.
    """
    import tensorflow_transform as tft

    label_key = custom_config["label_key"]
    dates = custom_config.get("date_features") or []
    numeric, categorical = select_features(inputs, label_key,
                                           custom_config.get("numeric_features"),
                                           custom_config.get("categorical_features"),
                                           dates=dates,
                                           excluded=custom_config.get("excluded_features") or [])
    outputs: dict[str, Any] = {}
    for key in numeric:
        outputs[transformed_name(key)] = tft.scale_to_z_score(numeric_column(inputs[key]))
    for key in categorical:
        outputs[transformed_name(key)] = tft.compute_and_apply_vocabulary(
            string_column(inputs[key]), num_oov_buckets=1, vocab_filename=vocabulary_name(key))
    for key in dates:
        for name, values in date_parts(inputs[key], key, custom_config.get("date_parts")).items():
            outputs[name] = tft.scale_to_z_score(values)
    if custom_config.get("task", "classification") == "regression":
        outputs[transformed_name(label_key)] = numeric_column(inputs[label_key])
    else:
        outputs[transformed_name(label_key)] = tft.compute_and_apply_vocabulary(
            string_column(inputs[label_key]), vocab_filename=label_vocabulary_name(label_key))
    if custom_config.get("drop_rows_without_label"):
        outputs[LABEL_PRESENT] = label_present(inputs[label_key])
    return outputs
