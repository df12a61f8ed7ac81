"""`ParquetExampleGen`: Parquet files in, split gzipped tf.Examples out."""

from __future__ import annotations

from tfxkit.components.example_gen.component import FileBasedExampleGen
from tfxkit.components.parquet_example_gen.spec import ParquetExampleGenSpec


class ParquetExampleGen(FileBasedExampleGen):
    """Reads the Parquet files under `input_base` with pyarrow, a row group at a time, and
    writes their rows as split, gzipped tf.Examples: integers, booleans, dates and timestamps
    become int64 features; floats and decimals float; strings and binary bytes; lists of those
    multi-valued features. Nulls stay missing.

    Inputs: none.

    Outputs:
        examples (Examples): one tf.Example per Parquet row, hash-split, in the layout
            `FileBasedExampleGen` describes; when no column is a list, the custom property
            `feature_types` records each column's kind.

    Parameters:
        input_base (str): the folder of Parquet files, as `FileBasedExampleGen` documents it.
        input_config (dict | None): input splits by file pattern (`FileBasedExampleGen`).
        output_config (dict | None): output splits by hash buckets; for example a 4:1
            train/eval split of one folder: `ParquetExampleGen(input_base="data/",
            output_config={"split_config": {"splits": [{"name": "train", "hash_buckets": 4},
            {"name": "eval", "hash_buckets": 1}]}})`.
        follow_symlinks (bool): read links that leave `input_base` (`FileBasedExampleGen`).

    The input files' content is part of the cache key (see FileBasedExampleGen).
    """

    SPEC_CLASS = ParquetExampleGenSpec
    EXECUTOR = "tfxkit.components.parquet_example_gen.executor.Executor"
