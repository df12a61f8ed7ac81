"""Data ingestion and validation settings. Owner: {{ cookiecutter.owner_data }}.

The CSV files under `config.data_root` are read by CsvExampleGen, split train/eval by a
deterministic hash of each row, and checked against the schema by ExampleValidator. To pin the
schema after a good first run, copy the inferred `schema.pbtxt` (path printed by
`tfxkit runs` / `tfxkit lineage`) to `schema/schema.pbtxt`, curate it, and set
`schema_file = "schema/schema.pbtxt"` in pipeline/config.py.
"""

from __future__ import annotations

from typing import Any

from pipeline.config import PipelineConfig


def output_config(config: PipelineConfig) -> dict[str, Any]:
    """CsvExampleGen's split configuration: hash buckets in the configured train:eval ratio."""
    train, evaluation = config.train_eval_ratio
    return {"split_config": {"splits": [{"name": "train", "hash_buckets": train},
                                        {"name": "eval", "hash_buckets": evaluation}]}}
