"""Data ingestion settings: the data exists, has the label and the configured features; and the
data checks (ExampleValidator with this step's settings) pass on the golden inputs
(tests/fixtures/ExampleValidator/: the statistics and schema of the last run, `make fixtures`)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from tfxkit.testing import StepResult

from pipeline.config import PipelineConfig
from steps import data
from tests.conftest import read_rows


def test_data_root_holds_csv_with_the_label(config: PipelineConfig) -> None:
    files = sorted(Path(config.path(config.data_root)).glob("*.csv"))
    assert files, f"no CSV under {config.data_root}"
    header = read_rows(config, limit=1)[0].keys()
    assert config.label_key in header
    configured = [*(config.numeric_features or []), *(config.categorical_features or []),
                  *config.date_features, *config.excluded_features]
    for key in configured:
        assert key in header, f"configured feature {key} is not a column"
    assert config.label_key not in configured, "the label cannot also be a feature"


def test_split_ratio(config: PipelineConfig) -> None:
    splits = data.output_config(config)["split_config"]["splits"]
    assert [s["name"] for s in splits] == ["train", "eval"]
    assert [s["hash_buckets"] for s in splits] == config.train_eval_ratio


@pytest.mark.integration
def test_data_checks_pass_on_golden_inputs(config: PipelineConfig,
                                           run_on_fixtures: Callable[..., StepResult]) -> None:
    result = run_on_fixtures("ExampleValidator")
    anomalies = result.output("anomalies")
    assert anomalies.split_names == ["train", "eval"]
    found = json.loads(anomalies.get_custom_property("anomalies_summary"))
    assert anomalies.get_custom_property("anomaly_count") == 0, found
    assert result.exec_properties["required_features"] == [config.label_key]
