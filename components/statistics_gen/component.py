"""`StatisticsGen`: per-split TFDV statistics of Examples."""

from __future__ import annotations

from typing import Any

from tfxkit.components.statistics_gen.spec import StatisticsGenSpec
from tfxkit.dsl.base_component import BaseComponent
from tfxkit.types.channel import Channel


class StatisticsGen(BaseComponent):
    """Computes TFDV statistics of each split of `examples`.

    Inputs:
        examples (Examples): the rows, e.g. `example_gen.outputs["examples"]`.
        schema (Schema, optional): passed to TFDV (`StatsOptions.schema`), e.g. so categorical
            int features get string statistics.

    Outputs:
        statistics (ExampleStatistics): `{uri}/Split-<name>/FeatureStats.pb`, a serialized
            DatasetFeatureStatisticsList per split (`tfdv.load_stats_binary` reads it);
            properties split_names and span.

    Parameters:
        stats_options: plain-data arguments of `tfdv.StatsOptions`, e.g. `{"sample_rate": 0.1,
            "num_top_values": 50, "feature_allowlist": ["fare"]}`.
        exclude_splits: names of splits to skip, e.g. `["eval"]`.

    Runs TFDV's in-memory generators in-process, streaming batches; with beam pipeline args
    naming a non-Direct runner it runs `tfdv.GenerateStatistics` on Beam.
    """

    SPEC_CLASS = StatisticsGenSpec
    EXECUTOR = "tfxkit.components.statistics_gen.executor.Executor"

    def __init__(
        self,
        examples: Channel,
        schema: Channel | None = None,
        stats_options: dict[str, Any] | None = None,
        exclude_splits: list[str] | None = None,
    ) -> None:
        super().__init__(examples=examples, schema=schema, stats_options=stats_options,
                         exclude_splits=exclude_splits)
