"""Helpers for the data-component tests: run executors on real CSVs and read outputs back.

Plain functions (no fixtures), so each test module builds what it needs; heavy libraries are
imported inside the functions that use them.
"""

from __future__ import annotations

import glob
import shutil
from pathlib import Path
from typing import Any

from tfxkit.types.standard_artifacts import (
    ExampleAnomalies,
    Examples,
    ExampleStatistics,
    Schema,
)

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
PENGUINS_CSV = DATA / "penguins.csv"
TAXI_CSV = DATA / "chicago_taxi_15k.csv"


def input_dir(tmp: Path, *sources: Path | tuple[str, str]) -> Path:
    """A fresh folder holding copies of `sources` (paths, or (name, text) pairs)."""
    folder = tmp / "input"
    folder.mkdir(parents=True, exist_ok=True)
    for source in sources:
        if isinstance(source, tuple):
            (folder / source[0]).parent.mkdir(parents=True, exist_ok=True)
            (folder / source[0]).write_text(source[1])
        else:
            shutil.copy(source, folder / source.name)
    return folder


def run_csv_example_gen(input_base: Path, out: Path, **props: Any) -> Examples:
    """Run CsvExampleGen's executor; return the output Examples artifact."""
    from tfxkit.components.csv_example_gen.executor import Executor

    examples = Examples(uri=str(out))
    Executor().Do({}, {"examples": [examples]}, {"input_base": str(input_base), **props})
    return examples


def read_split(examples: Examples, split: str) -> Any:
    """All rows of one split as a pyarrow Table (decoded by tfx-bsl, no TensorFlow)."""
    import pyarrow as pa
    from tfx_bsl.coders import example_coder

    from tfxkit.components._shared import tfrecord

    records = [r for path in sorted(glob.glob(f"{examples.uri}/Split-{split}/*.gz"))
               for chunk in tfrecord.read_records(path, verify=False) for r in chunk]
    if not records:
        return pa.table({})
    return pa.Table.from_batches(
        [example_coder.ExamplesToRecordBatchDecoder().DecodeBatch(records)])


def run_statistics_gen(examples: Examples, out: Path, **props: Any) -> ExampleStatistics:
    """Run StatisticsGen's executor."""
    from tfxkit.components.statistics_gen.executor import Executor

    statistics = ExampleStatistics(uri=str(out))
    Executor().Do({"examples": [examples]}, {"statistics": [statistics]}, props)
    return statistics


def run_schema_gen(statistics: ExampleStatistics, out: Path, **props: Any) -> Schema:
    """Run SchemaGen's executor."""
    from tfxkit.components.schema_gen.executor import Executor

    schema = Schema(uri=str(out))
    Executor().Do({"statistics": [statistics]}, {"schema": [schema]}, props)
    return schema


def run_example_validator(statistics: ExampleStatistics, schema: Schema, out: Path,
                          baseline: ExampleStatistics | None = None,
                          **props: Any) -> ExampleAnomalies:
    """Run ExampleValidator's executor."""
    from tfxkit.components.example_validator.executor import Executor

    anomalies = ExampleAnomalies(uri=str(out))
    inputs: dict[str, list[Any]] = {"statistics": [statistics], "schema": [schema]}
    if baseline is not None:
        inputs["baseline_statistics"] = [baseline]
    Executor().Do(inputs, {"anomalies": [anomalies]}, props)
    return anomalies
