"""SchemaGen executor: statistics of the selected splits -> `{schema.uri}/schema.pbtxt`.

TensorFlow is never imported: schema inference runs TFDV's native validation extension through
`tfxkit.components._shared.validation`, which produces what `tfdv.infer_schema` /
`tfdv.update_schema` produce.
"""

from __future__ import annotations

import os
from typing import Any

from tfxkit.components._shared import validation
from tfxkit.components._shared.schema import SCHEMA_FILE
from tfxkit.components._shared.statistics import load_split_statistics, selected_splits
from tfxkit.dsl.base_executor import BaseExecutor
from tfxkit.errors import DataError
from tfxkit.types.artifact import Artifact


def check_not_empty(stats: Any, artifact: Artifact, split: str) -> None:
    """DataError when split `split` of the statistics has no examples: TFDV would infer every
    feature DEPRECATED from it, and ExampleValidator would then check nothing."""
    examples = sum(dataset.num_examples for dataset in stats.datasets)
    if examples == 0:
        raise DataError(
            f"ExampleStatistics split {split!r} ({artifact.uri}) has 0 examples; SchemaGen "
            f"needs data to infer a schema (from no data every feature would be DEPRECATED). "
            f"Fix the input so that every split has rows (more data, other split ratios in the "
            f"ExampleGen's output_config), or leave the split out with "
            f"exclude_splits=[{split!r}].")


class Executor(BaseExecutor):
    """SchemaGen's executor.

    input_dict: {"statistics": [ExampleStatistics]}. exec_properties: `infer_feature_shape`
    (bool, default True), `exclude_splits`. output_dict: {"schema": [Schema]}; writes
    `{uri}/schema.pbtxt`.
    """

    def Do(
        self,
        input_dict: dict[str, list[Artifact]],
        output_dict: dict[str, list[Artifact]],
        exec_properties: dict[str, Any],
    ) -> None:
        """Infer the schema from the first split, then widen it with the others. A split with
        0 examples is a DataError (see `check_not_empty`)."""
        statistics = input_dict["statistics"][0]
        infer_shape = exec_properties.get("infer_feature_shape")
        infer_shape = True if infer_shape is None else bool(infer_shape)
        schema = None
        for split in selected_splits(statistics, exec_properties.get("exclude_splits"),
                                     "SchemaGen"):
            stats = load_split_statistics(statistics, split)
            check_not_empty(stats, statistics, split)
            if schema is None:
                schema = validation.infer_schema(stats, infer_feature_shape=infer_shape)
            else:  # tfdv.update_schema ignores infer_feature_shape (deprecated there)
                schema = validation.update_schema(schema, stats)
        out = output_dict["schema"][0]
        os.makedirs(out.uri, exist_ok=True)
        validation.write_schema_text(schema, os.path.join(out.uri, SCHEMA_FILE))
