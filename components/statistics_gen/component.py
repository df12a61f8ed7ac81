"""`StatisticsGen`: per-split TFDV statistics of Examples."""

from __future__ import annotations

from typing import Any

from tfxkit.components.statistics_gen.spec import StatisticsGenSpec
from tfxkit.dsl.base_component import BaseComponent, check_splits_exist
from tfxkit.dsl.names import check_split_name
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
        for index, split in enumerate(exclude_splits if isinstance(exclude_splits, list) else []):
            check_split_name(split, f"StatisticsGen: exclude_splits[{index}]")
        check_splits_exist("StatisticsGen", "exclude_splits", exclude_splits, examples)
        super().__init__(examples=examples, schema=schema, stats_options=stats_options,
                         exclude_splits=exclude_splits)

    def known_split_names(self, output_key: str) -> list[str] | None:
        """Splits of `statistics`: the examples' splits (when known) minus exclude_splits."""
        channel = self.inputs.get("examples")
        producer = getattr(channel, "producer", None)
        known = producer.known_split_names(channel.output_key) if producer and channel else None
        if output_key != "statistics" or not known:
            return None
        excluded = self.exec_properties.get("exclude_splits") or []
        return [split for split in known if split not in excluded]
