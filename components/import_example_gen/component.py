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
        input_base (str): the folder of input files, as `FileBasedExampleGen` documents it.
        input_config (dict | None): input splits by file pattern. Splits already made in
            folders are kept with one input split each: `ImportExampleGen(input_base="data/",
            input_config={"splits": [{"name": "train", "pattern": "train/*"}, {"name": "eval",
            "pattern": "eval/*"}]})`.
        output_config (dict | None): output splits by hash buckets (`FileBasedExampleGen`).
        follow_symlinks (bool): read links that leave `input_base` (`FileBasedExampleGen`).

    The input files' content is part of the cache key (see FileBasedExampleGen).
    """

    SPEC_CLASS = ImportExampleGenSpec
    EXECUTOR = "tfxkit.components.import_example_gen.executor.Executor"
