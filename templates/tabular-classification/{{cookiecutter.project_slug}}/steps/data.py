"""Data ingestion and validation: the data owner's settings and code.

Owner: {{ cookiecutter.owner_data }} (CODEOWNERS).

The CSV files under `data_root` are read by CsvExampleGen, split train/eval by a deterministic
hash of each row, and checked against the schema by ExampleValidator. To pin the schema after a
good first run, copy the inferred `schema.pbtxt` (path printed by `tfxkit runs` / `tfxkit
lineage`) to `schema/schema.pbtxt`, curate it, and set `schema_file = "schema/schema.pbtxt"`
below.

Change a setting here (its default) for good, or for one run by its name without editing this
file: `tfxkit run pipeline/pipeline.py -p data_root=/path/to/other/data`. What a step ran with is
recorded with its execution (`tfxkit runs`, `tfxkit lineage`).
"""

from __future__ import annotations

import dataclasses
from typing import Any


@dataclasses.dataclass(frozen=True)
class DataSettings:
    """The data owner's settings: where the data is, its label, the split and the checks.
    Paths are relative to the project root unless absolute or URIs (gs://, s3://)."""

    data_root: str = "data"  # a folder of CSV files
{%- if cookiecutter._tfxkit_template == "tabular-regression" %}
    label_key: str = "fare"
    # The label is a number to predict ("regression") or a class ("classification").
    task: str = "regression"
{%- else %}
    label_key: str = "species"
    # The label is a class ("classification") or a number to predict ("regression").
    task: str = "classification"
{%- endif %}
    train_eval_ratio: list[int] = dataclasses.field(default_factory=lambda: [2, 1])
    schema_file: str | None = None  # a curated schema.pbtxt to pin instead of inferring one
    fail_on_anomalies: bool = False
    # The label is required: rows without one stop the run at ExampleValidator, before
    # Transform. True drops those rows instead (the count is shown in the run output).
    drop_rows_without_label: bool = False


def output_config(settings: DataSettings) -> dict[str, Any]:
    """CsvExampleGen's split configuration: hash buckets in the configured train:eval ratio."""
    train, evaluation = settings.train_eval_ratio
    return {"split_config": {"splits": [{"name": "train", "hash_buckets": train},
                                        {"name": "eval", "hash_buckets": evaluation}]}}
