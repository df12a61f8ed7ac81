"""`ImportExampleGen`: TFRecord files of tf.Example in, split gzipped tf.Examples out."""

from __future__ import annotations

from tfxkit.components.example_gen.component import FileBasedExampleGen
from tfxkit.components.import_example_gen.spec import ImportExampleGenSpec


class ImportExampleGen(FileBasedExampleGen):
    """Reads the TFRecord files of serialized tf.Example (gzipped or not, told apart by their
    first bytes) under `input_base` and writes their records, unchanged, as split, gzipped
    tf.Examples. A file whose first record is not a tf.Example is refused before anything is
    written; a damaged file fails naming the file.

    Inputs: none.

    Outputs:
        examples (Examples): the input records, byte for byte, in the Examples layout of
            `FileBasedExampleGen` (`Split-<name>/data_tfrecord-*.gz`).

    Parameters:
        input_base, input_config, output_config, follow_symlinks: as `FileBasedExampleGen`
            documents them. Splits already made in folders are kept with one input split each:
            `ImportExampleGen(input_base="data/", input_config={"splits": [{"name": "train",
            "pattern": "train/*"}, {"name": "eval", "pattern": "eval/*"}]})`.

    The input files' content is part of the cache key (see FileBasedExampleGen).
    """

    SPEC_CLASS = ImportExampleGenSpec
    EXECUTOR = "tfxkit.components.import_example_gen.executor.Executor"
