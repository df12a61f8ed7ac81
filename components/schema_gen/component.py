"""`SchemaGen`: infer a schema from statistics."""

from __future__ import annotations

from tfxkit.components.schema_gen.spec import SchemaGenSpec
from tfxkit.dsl.base_component import BaseComponent, check_splits_exist
from tfxkit.dsl.names import check_split_name
from tfxkit.types.channel import Channel


class SchemaGen(BaseComponent):
    """Infers a TensorFlow Metadata schema from statistics with `tfdv.infer_schema`, merging
    every selected split (`tfdv.update_schema`).

    Inputs:
        statistics (ExampleStatistics): e.g. `statistics_gen.outputs["statistics"]`.

    Outputs:
        schema (Schema): `{uri}/schema.pbtxt` (text proto; `tfdv.load_schema_text` reads it).

    Parameters:
        infer_feature_shape: give features that are always present with exactly one value a
            fixed shape (default True, as in TFX).
        exclude_splits: split names to leave out, e.g. `["eval"]`.

    A selected split with 0 examples raises DataError naming it (TFDV would mark every
    feature DEPRECATED from no data, and ExampleValidator would then check nothing); leave it
    out with `exclude_splits` if that is really what you want.

    Pin the result once it looks right: copy schema.pbtxt into your project and use
    ImportSchemaGen, so later data is validated against a curated schema.
    """

    SPEC_CLASS = SchemaGenSpec
    EXECUTOR = "tfxkit.components.schema_gen.executor.Executor"

    def __init__(
        self,
        statistics: Channel,
        infer_feature_shape: bool | None = None,
        exclude_splits: list[str] | None = None,
    ) -> None:
        for index, split in enumerate(exclude_splits if isinstance(exclude_splits, list) else []):
            check_split_name(split, f"SchemaGen: exclude_splits[{index}]")
        check_splits_exist("SchemaGen", "exclude_splits", exclude_splits, statistics)
        super().__init__(statistics=statistics, infer_feature_shape=infer_feature_shape,
                         exclude_splits=exclude_splits)
