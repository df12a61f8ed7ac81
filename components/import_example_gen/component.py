"""`ImportExampleGen`: TFRecord files of tf.Example in, split gzipped tf.Examples out."""

from __future__ import annotations

from typing import Any

from tfxkit.components.example_gen.component import FileBasedExampleGen
from tfxkit.components.import_example_gen.spec import ImportExampleGenSpec


class ImportExampleGen(FileBasedExampleGen):
    """Reads the TFRecord files of serialized tf.Example (gzipped or not) under `input_base`
    and writes them as split, gzipped tf.Examples.

    Inputs: none.

    Outputs:
        examples (Examples): `{uri}/Split-<name>/data_tfrecord-<i>-of-<n>.gz`, gzipped TFRecord
            of tf.Example, one folder per split; properties split_names, span=0, version=0;
            custom property `example_counts` (JSON split -> rows).

    Parameters:
        input_base: folder holding the input files.
        input_config: input splits as in CsvExampleGen, e.g. `{"splits": [{"name": "train",
            "pattern": "train/*"}, {"name": "eval", "pattern": "eval/*"}]}`.
        output_config: hash split as in CsvExampleGen, e.g. `{"split_config": {"splits":
            [{"name": "train", "hash_buckets": 2}, {"name": "eval", "hash_buckets": 1}]}}`
            (the default for a single input split).
        follow_symlinks: read input files that a symlink leads out of `input_base` (default
            False: such a file is refused with an error naming the link and its target). The
            real paths read are recorded on the Examples artifact (`followed_symlinks`).

    The input files' content is part of the cache key (see FileBasedExampleGen).
    """

    SPEC_CLASS = ImportExampleGenSpec
    EXECUTOR = "tfxkit.components.import_example_gen.executor.Executor"

    def __init__(
        self,
        input_base: str | Any,
        input_config: dict[str, Any] | None = None,
        output_config: dict[str, Any] | None = None,
        follow_symlinks: bool | None = None,
    ) -> None:
        super().__init__(input_base=input_base, input_config=input_config,
                         output_config=output_config, follow_symlinks=follow_symlinks)
