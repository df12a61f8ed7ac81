"""Shared test helpers: the project's sample data as a small in-memory batch, and each step run
alone on its golden inputs.

Golden inputs are a small sample of a step's upstream artifacts from a real pipeline run, kept in
tests/fixtures/<step>/ and committed, so that a step's test runs its real code (Transform's
preprocessing_fn, the Trainer's run_fn, ...) in seconds, in CI and in a fresh clone, without the
pipeline. Make or refresh them after a pipeline run (and whenever an upstream step changes what
it writes):

    make run          # the pipeline, once
    make fixtures     # tfxkit snapshot <step> for each step tested here -> tests/fixtures/
    git add tests/fixtures

Until they exist, the step tests are skipped with that instruction; set TFXKIT_REQUIRE_FIXTURES=1
(e.g. in CI once they are committed) to make a missing snapshot a failure instead.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from tfxkit.testing import StepResult, has_fixtures

from pipeline.config import PROJECT_ROOT, PipelineConfig

# `step_runner`: tfxkit.testing.run_step with outputs in the test's tmp_path (docs/testing.md).
pytest_plugins = ["tfxkit.testing.pytest_plugin"]
FIXTURES = PROJECT_ROOT / "tests" / "fixtures"


@pytest.fixture(scope="session")
def config() -> PipelineConfig:
    """The pipeline configuration with its defaults."""
    return PipelineConfig()


def read_rows(config: PipelineConfig, limit: int | None = None) -> list[dict[str, str]]:
    """Rows of the first CSV under `data_root`, as text ("" where a value is missing)."""
    [first, *_] = sorted(Path(config.path(config.data_root)).glob("*.csv"))
    with open(first, newline="") as handle:
        rows = list(csv.DictReader(handle))
    return rows[:limit] if limit else rows


def column_types(rows: list[dict[str, str]]) -> dict[str, type]:
    """Each column's type as ExampleGen infers it: int when every present value is an integer,
    float when every present value is a number, else str."""
    types: dict[str, type] = {}
    for key in rows[0]:
        values = [r[key] for r in rows if r[key] not in ("", "NA")]
        try:
            [int(v) for v in values]
            types[key] = int
            continue
        except ValueError:
            pass
        try:
            [float(v) for v in values]
            types[key] = float
        except ValueError:
            types[key] = str
    return types


@pytest.fixture(scope="session")
def sample_rows(config: PipelineConfig) -> list[dict[str, str]]:
    """All rows of the sample data."""
    return read_rows(config)


def as_instances(rows: list[dict[str, str]], types: dict[str, type]) -> list[dict[str, Any]]:
    """Rows as tf.Transform instance dicts of variable-length lists ([] = missing)."""
    instances = []
    for row in rows:
        instance: dict[str, Any] = {}
        for key, kind in types.items():
            value = row[key]
            missing = value in ("", "NA")
            instance[key] = [] if missing else [kind(value) if kind is not str else value.encode()]
        instances.append(instance)
    return instances


def serialized_example(row: dict[str, str], types: dict[str, type]) -> bytes:
    """A row as a serialized tf.Example with the column types ExampleGen would use."""
    import tensorflow as tf

    feature = {}
    for key, value in row.items():
        if value in ("", "NA"):
            continue
        if types[key] is int:
            feature[key] = tf.train.Feature(int64_list=tf.train.Int64List(value=[int(value)]))
        elif types[key] is float:
            feature[key] = tf.train.Feature(float_list=tf.train.FloatList(value=[float(value)]))
        else:
            feature[key] = tf.train.Feature(bytes_list=tf.train.BytesList(value=[value.encode()]))
    return tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString()


@pytest.fixture
def run_on_fixtures(step_runner: Callable[..., StepResult]) -> Callable[..., StepResult]:
    """`run(step, **overrides)`: the step's real executor on its golden inputs
    (tests/fixtures/<step>/), outputs in the test's tmp_path; the pipeline's outputs and ML
    Metadata are not read or written. Overrides are the component's parameters for this run
    (`train_steps=5`, `custom_config={...}`); `pipeline_params={...}` changes settings as `-p`
    does. Skips with what to run when the step has no golden inputs yet."""

    def run(step: str, **overrides: Any) -> StepResult:
        if not has_fixtures(step, FIXTURES):
            message = (f"no golden inputs for {step} in tests/fixtures/{step}/: run the "
                       f"pipeline once (`make run`), then `make fixtures`, and commit "
                       f"tests/fixtures/")
            if os.environ.get("TFXKIT_REQUIRE_FIXTURES", "") not in ("", "0"):
                pytest.fail(message)
            pytest.skip(message)
        return step_runner(step, pipeline=PROJECT_ROOT, inputs="fixtures", fixtures=FIXTURES,
                           **overrides)

    return run


def read_records(folder: str | Path) -> list[bytes]:
    """The records of the gzipped TFRecord files in `folder` (e.g. a `Split-eval` folder)."""
    import tensorflow as tf

    files = sorted(str(p) for p in Path(folder).iterdir() if p.is_file())
    return [r.numpy() for r in tf.data.TFRecordDataset(files, compression_type="GZIP")]


__all__ = ["FIXTURES", "PROJECT_ROOT", "as_instances", "column_types", "read_records",
           "read_rows", "serialized_example"]
