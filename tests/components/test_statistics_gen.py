"""StatisticsGen on real data with real TFDV: layout, counts, options, both decoding paths."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.components.data_helpers import (
    PENGUINS_CSV,
    input_dir,
    run_csv_example_gen,
    run_statistics_gen,
)
from tfxkit.components import CsvExampleGen, StatisticsGen
from tfxkit.errors import ComponentArgumentError, DataError
from tfxkit.types.standard_artifacts import Examples

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def penguin_examples(tmp_path_factory: pytest.TempPathFactory) -> Examples:
    tmp = tmp_path_factory.mktemp("penguins")
    return run_csv_example_gen(input_dir(tmp, PENGUINS_CSV), tmp / "examples")


def _load(uri: str, split: str):
    import tensorflow_data_validation as tfdv

    return tfdv.load_stats_binary(f"{uri}/Split-{split}/FeatureStats.pb")


def test_penguin_statistics_per_split(penguin_examples: Examples, tmp_path: Path) -> None:
    statistics = run_statistics_gen(penguin_examples, tmp_path / "stats")
    assert statistics.split_names == ["train", "eval"]
    counts = json.loads(penguin_examples.get_custom_property("example_counts"))
    for split in ("train", "eval"):
        dataset = _load(statistics.uri, split).datasets[0]
        assert dataset.num_examples == counts[split]
        features = {f.path.step[0]: f for f in dataset.features}
        assert set(features) == {"species", "island", "bill_length_mm", "bill_depth_mm",
                                 "flipper_length_mm", "body_mass_g", "sex", "year"}
        sex = features["sex"].string_stats.common_stats
        assert sex.num_missing > 0  # "NA" is missing, not a category


def test_fast_path_matches_tfx_bsl_decoder(penguin_examples: Examples, tmp_path: Path) -> None:
    """The tf.io.parse_example path (feature_types known) gives the same statistics as
    tfx-bsl's generic decoder."""
    fast = run_statistics_gen(penguin_examples, tmp_path / "fast")
    generic_input = Examples(uri=penguin_examples.uri)
    generic_input.split_names = penguin_examples.split_names
    generic = run_statistics_gen(generic_input, tmp_path / "generic")
    for split in ("train", "eval"):
        assert _load(fast.uri, split) == _load(generic.uri, split)


def test_options_and_exclude_splits(penguin_examples: Examples, tmp_path: Path) -> None:
    statistics = run_statistics_gen(
        penguin_examples, tmp_path / "stats", exclude_splits=["eval"],
        stats_options={"feature_allowlist": ["species", "year"], "num_top_values": 2})
    assert statistics.split_names == ["train"]
    assert not (tmp_path / "stats" / "Split-eval").exists()
    dataset = _load(statistics.uri, "train").datasets[0]
    assert {f.path.step[0] for f in dataset.features} == {"species", "year"}
    species = next(f for f in dataset.features if f.path.step[0] == "species")
    assert len(species.string_stats.top_values) == 2


def test_bad_options_and_splits(penguin_examples: Examples, tmp_path: Path) -> None:
    with pytest.raises(DataError, match="unknown option.*sample_ratio"):
        run_statistics_gen(penguin_examples, tmp_path / "a", stats_options={"sample_ratio": 1})
    with pytest.raises(DataError, match=r"\['test'\] are not splits of the input"):
        run_statistics_gen(penguin_examples, tmp_path / "b", exclude_splits=["test"])


def test_beam_path_runs_with_beam_args(penguin_examples: Examples, tmp_path: Path) -> None:
    from tfxkit.components.statistics_gen.executor import Executor
    from tfxkit.dsl.base_executor import ExecutorContext
    from tfxkit.types.standard_artifacts import ExampleStatistics

    statistics = ExampleStatistics(uri=str(tmp_path / "beam"))
    context = ExecutorContext(beam_pipeline_args=["--tfxkit_use_beam", "--runner=DirectRunner"])
    Executor(context).Do({"examples": [penguin_examples]}, {"statistics": [statistics]},
                         {"exclude_splits": ["train"]})
    counts = json.loads(penguin_examples.get_custom_property("example_counts"))
    assert _load(statistics.uri, "eval").datasets[0].num_examples == counts["eval"]


def test_component_construction() -> None:
    gen = CsvExampleGen(input_base="data")
    stats = StatisticsGen(examples=gen.outputs["examples"], exclude_splits=["eval"])
    assert stats.inputs["examples"].producer is gen
    with pytest.raises(ComponentArgumentError, match="expects Examples"):
        StatisticsGen(examples=stats.outputs["statistics"])
