"""Fixtures for the model components: penguin Examples and Schema built from the shared CSV.

Built once per test session with real TensorFlow and TFDV (imported inside the fixtures, so the
fast tests of this folder never load them): gzipped tf.Example TFRecords in TFX's layout
`{uri}/Split-{train,eval}/data_tfrecord-00000-of-00001.gz` and a TFDV-inferred `schema.pbtxt`.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tfxkit.types.artifact import Artifact
from tfxkit.types.standard_artifacts import (
    Examples,
    Model,
    ModelRun,
    Schema,
    TransformCache,
    TransformGraph,
)

PENGUIN_CSV = Path(__file__).resolve().parents[3] / "shared" / "data" / "penguins_processed.csv"
RESOURCES = Path(__file__).resolve().parents[1] / "resources"
PENGUIN_MODULE = RESOURCES / "penguin_module.py"
FEATURES = ["culmen_length_mm", "culmen_depth_mm", "flipper_length_mm", "body_mass_g"]
LABEL = "species"


def penguin_rows() -> list[dict[str, float | int]]:
    """Rows of penguins_processed.csv: `species` as int, the 4 features as float."""
    with PENGUIN_CSV.open() as handle:
        return [{LABEL: int(row[LABEL]), **{f: float(row[f]) for f in FEATURES}}
                for row in csv.DictReader(handle)]


def serialize_examples(rows: list[dict[str, float | int]]) -> list[bytes]:
    """Rows as serialized tf.Examples (int64 label when present, float features)."""
    import tensorflow as tf

    serialized = []
    for row in rows:
        feature = {}
        if LABEL in row:
            feature[LABEL] = tf.train.Feature(int64_list=tf.train.Int64List(value=[row[LABEL]]))
        for name in FEATURES:
            feature[name] = tf.train.Feature(float_list=tf.train.FloatList(value=[row[name]]))
        serialized.append(
            tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString())
    return serialized


@pytest.fixture(scope="session")
def penguin_examples(tmp_path_factory: pytest.TempPathFactory) -> Examples:
    """Penguin Examples: every third row in `eval`, the rest in `train` (222 / 112 rows)."""
    import tensorflow as tf

    uri = tmp_path_factory.mktemp("penguin_examples")
    rows = penguin_rows()
    splits = {"train": [r for i, r in enumerate(rows) if i % 3],
              "eval": [r for i, r in enumerate(rows) if not i % 3]}
    for split, split_rows in splits.items():
        folder = uri / f"Split-{split}"
        folder.mkdir()
        path = str(folder / "data_tfrecord-00000-of-00001.gz")
        with tf.io.TFRecordWriter(path, options="GZIP") as writer:
            for record in serialize_examples(split_rows):
                writer.write(record)
    examples = Examples(uri=str(uri))
    examples.split_names = list(splits)
    return examples


@pytest.fixture(scope="session")
def penguin_schema(tmp_path_factory: pytest.TempPathFactory) -> Schema:
    """Schema inferred by TFDV from the penguin CSV, at `{uri}/schema.pbtxt`."""
    import pandas as pd
    import tensorflow_data_validation as tfdv

    uri = tmp_path_factory.mktemp("penguin_schema")
    stats = tfdv.generate_statistics_from_dataframe(pd.read_csv(PENGUIN_CSV))
    schema = tfdv.infer_schema(stats)
    tfdv.write_schema_text(schema, str(uri / "schema.pbtxt"))
    return Schema(uri=str(uri))


@pytest.fixture(scope="session")
def penguin_transform(
    tmp_path_factory: pytest.TempPathFactory, penguin_examples: Examples, penguin_schema: Schema
) -> dict[str, Artifact]:
    """Transform run once on the penguin data with penguin_module.preprocessing_fn: its
    `transform_graph`, `transformed_examples` and `updated_analyzer_cache` artifacts."""
    from tfxkit.components.transform.executor import Executor

    outputs: dict[str, Artifact] = {
        "transform_graph": TransformGraph(uri=str(tmp_path_factory.mktemp("transform_graph"))),
        "transformed_examples": Examples(uri=str(tmp_path_factory.mktemp("transformed"))),
        "updated_analyzer_cache": TransformCache(uri=str(tmp_path_factory.mktemp("cache"))),
    }
    Executor().Do({"examples": [penguin_examples], "schema": [penguin_schema]},
                  {key: [artifact] for key, artifact in outputs.items()},
                  {"module_file": str(PENGUIN_MODULE)})
    return outputs


@pytest.fixture(scope="session")
def penguin_model(
    tmp_path_factory: pytest.TempPathFactory,
    penguin_transform: dict[str, Artifact],
    penguin_schema: Schema,
) -> Model:
    """A Model trained once by the Trainer executor with penguin_module.run_fn (100 steps)."""
    from tfxkit.components.trainer.executor import Executor

    model = Model(uri=str(tmp_path_factory.mktemp("model")))
    model_run = ModelRun(uri=str(tmp_path_factory.mktemp("model_run")))
    Executor().Do(
        {"examples": [penguin_transform["transformed_examples"]],
         "transform_graph": [penguin_transform["transform_graph"]],
         "schema": [penguin_schema]},
        {"model": [model], "model_run": [model_run]},
        {"module_file": str(PENGUIN_MODULE), "train_args": {"num_steps": 100},
         "eval_args": {"num_steps": 5}},
    )
    return model
