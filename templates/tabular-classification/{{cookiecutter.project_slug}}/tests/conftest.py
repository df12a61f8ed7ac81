"""Shared test helpers: the project's sample data as a small in-memory batch."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from pipeline.config import PROJECT_ROOT, PipelineConfig


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


__all__ = ["PROJECT_ROOT", "as_instances", "column_types", "read_rows", "serialized_example"]
