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
        examples (Examples): split, gzipped tf.Examples, as every file-based ExampleGen writes
            them (see `FileBasedExampleGen`).

    Parameters:
        input_base, input_config, output_config, follow_symlinks: those of every file-based
            ExampleGen (see `FileBasedExampleGen`), e.g.
            `ParquetExampleGen(input_base="data/", output_config={"split_config": {"splits":
            [{"name": "train", "hash_buckets": 4}, {"name": "eval", "hash_buckets": 1}]}})`.

    The input files' content is part of the cache key (see FileBasedExampleGen).
    """

    SPEC_CLASS = ParquetExampleGenSpec
    EXECUTOR = "tfxkit.components.parquet_example_gen.executor.Executor"
