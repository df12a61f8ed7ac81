"""Everything about this pipeline that is a setting rather than code.

Each field can be overridden for one run without editing this file:
    tfxkit run pipeline/pipeline.py -p train_steps=300 -p data_root=/path/to/other/data

Pointing the project at other data is a configuration change: set `data_root`, `label_key`
and, if you want to choose, `numeric_features` / `categorical_features` (left as None, the
features come from the inferred schema: numbers are z-scored, strings get a vocabulary).
"""

from __future__ import annotations

import dataclasses
import difflib
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]


@dataclasses.dataclass
class PipelineConfig:
    """Settings of the pipeline; paths are relative to the project root unless absolute/URIs."""

    pipeline_name: str = "{{ cookiecutter.pipeline_name }}"
    # Where artifacts, ML Metadata and pushed models go.
    pipeline_root: str = "pipeline_output"
    metadata: str | None = None  # default: <pipeline_root>/metadata.sqlite
    serving_model_dir: str = "serving_model"
    enable_cache: bool = True
    beam_pipeline_args: list[str] = dataclasses.field(
        default_factory=lambda: ["--direct_running_mode=in_memory", "--direct_num_workers=1"])

{%- if cookiecutter._tfxkit_template == "tabular-regression" %}
    task: str = "regression"

    # Data (owner: {{ cookiecutter.owner_data }})
    data_root: str = "data"
    label_key: str = "fare"
    numeric_features: list[str] | None = dataclasses.field(
        default_factory=lambda: ["trip_miles", "trip_seconds"])  # None: every numeric column
    categorical_features: list[str] | None = dataclasses.field(
        default_factory=lambda: ["trip_start_hour", "payment_type", "pickup_community_area",
                                 "dropoff_community_area"])  # None: every string column
    train_eval_ratio: list[int] = dataclasses.field(default_factory=lambda: [2, 1])
    slice_features: list[str] = dataclasses.field(default_factory=lambda: ["payment_type"])
    schema_file: str | None = None  # a curated schema.pbtxt to pin instead of inferring one
    fail_on_anomalies: bool = False
    # The label is required: rows without one stop the run at ExampleValidator, before
    # Transform. True drops those rows instead (the count is shown in the run output).
    drop_rows_without_label: bool = False
    # ISO date / timestamp columns (2024-04-08, 2024-06-01T20:22:50Z) to turn into numbers,
    # the parts in date_parts (year, month, day, day_of_week, hour, days_since_epoch), instead
    # of one vocabulary word per date.
    date_features: list[str] = dataclasses.field(default_factory=list)
    date_parts: list[str] = dataclasses.field(
        default_factory=lambda: ["year", "month", "day_of_week", "hour"])
    excluded_features: list[str] = dataclasses.field(default_factory=list)  # columns left out

    # Model (owner: {{ cookiecutter.owner_model }})
    train_steps: int = 300
    eval_steps: int = 20
    batch_size: int = 64
    learning_rate: float = 0.01
    hidden_units: list[int] = dataclasses.field(default_factory=lambda: [16, 8])

    # Evaluation and push (owner: {{ cookiecutter.owner_evaluation }})
    mae_upper_bound: float = 5.0  # mean absolute error of the fare, in dollars
    # A new model may be at most this much worse (MAE, dollars) than the pushed one.
    mae_max_increase: float = 0.5
{%- else %}
    task: str = "classification"

    # Data (owner: {{ cookiecutter.owner_data }})
    data_root: str = "data"
    label_key: str = "species"
    numeric_features: list[str] | None = None      # None: every numeric column but the label
    categorical_features: list[str] | None = None  # None: every string column but the label
    train_eval_ratio: list[int] = dataclasses.field(default_factory=lambda: [2, 1])
    slice_features: list[str] = dataclasses.field(default_factory=lambda: ["island"])
    schema_file: str | None = None  # a curated schema.pbtxt to pin instead of inferring one
    fail_on_anomalies: bool = False
    # The label is required: rows without one stop the run at ExampleValidator, before
    # Transform. True drops those rows instead (the count is shown in the run output).
    drop_rows_without_label: bool = False
    # ISO date / timestamp columns (2024-04-08, 2024-06-01T20:22:50Z) to turn into numbers,
    # the parts in date_parts (year, month, day, day_of_week, hour, days_since_epoch), instead
    # of one vocabulary word per date.
    date_features: list[str] = dataclasses.field(default_factory=list)
    date_parts: list[str] = dataclasses.field(
        default_factory=lambda: ["year", "month", "day_of_week", "hour"])
    excluded_features: list[str] = dataclasses.field(default_factory=list)  # columns left out

    # Model (owner: {{ cookiecutter.owner_model }})
    train_steps: int = 100
    eval_steps: int = 5
    batch_size: int = 20
    learning_rate: float = 0.01
    hidden_units: list[int] = dataclasses.field(default_factory=lambda: [8, 8])

    # Evaluation and push (owner: {{ cookiecutter.owner_evaluation }})
    accuracy_lower_bound: float = 0.6
    # A new model may be at most this much less accurate than the pushed one (the baseline).
    accuracy_max_drop: float = 0.05
{%- endif %}
    # The pushed model new models are compared with: "latest" (the highest pushed version) or
    # an alias set with `tfxkit models promote <serving_model_dir> <version> --alias production`
    # (then "production"). An alias not set yet means no baseline, as on the first push.
    baseline: str = "latest"

    # Batch prediction (TFX's BulkInferrer): True adds a step after the Evaluator that predicts
    # with the new model, if blessed, on `bulk_inference_splits` of the examples and writes
    # PredictionLog records (its `inference_result`).
    bulk_inference: bool = False
    bulk_inference_splits: list[str] = dataclasses.field(default_factory=lambda: ["eval"])

    def path(self, value: str) -> str:
        """`value` as an absolute path under the project (URIs and absolute paths unchanged)."""
        if "://" in value or Path(value).is_absolute():
            return value
        return str(PROJECT_ROOT / value)

    def model_config(self) -> dict:
        """What preprocessing_fn and run_fn receive as `custom_config`."""
        return {
            "task": self.task,
            "label_key": self.label_key,
            "numeric_features": self.numeric_features,
            "categorical_features": self.categorical_features,
            "date_features": self.date_features,
            "date_parts": self.date_parts,
            "excluded_features": self.excluded_features,
            "drop_rows_without_label": self.drop_rows_without_label,
            "batch_size": self.batch_size,
            "learning_rate": self.learning_rate,
            "hidden_units": self.hidden_units,
        }


def load(**overrides: object) -> PipelineConfig:
    """The configuration with `overrides` applied; unknown names get a clear error."""
    fields = {f.name for f in dataclasses.fields(PipelineConfig)}
    unknown = sorted(set(overrides) - fields)
    if unknown:
        hints = [f"{name} (did you mean {close[0]}?)" if (close := difflib.get_close_matches(
            name, fields, n=1)) else name for name in unknown]
        raise ValueError(f"Unknown pipeline setting(s): {', '.join(hints)}. Settings are the "
                         f"fields of PipelineConfig in pipeline/config.py.")
    return PipelineConfig(**overrides)  # type: ignore[arg-type]
