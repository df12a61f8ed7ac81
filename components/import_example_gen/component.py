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
        examples (Examples): split, gzipped tf.Examples, as every file-based ExampleGen writes
            them (see `FileBasedExampleGen`).

    Parameters:
        input_base, input_config, output_config, follow_symlinks: those of every file-based
            ExampleGen (see `FileBasedExampleGen`), e.g.
            `ImportExampleGen(input_base="data/", input_config={"splits": [{"name": "train",
            "pattern": "train/*"}, {"name": "eval", "pattern": "eval/*"}]})`.

    The input files' content is part of the cache key (see FileBasedExampleGen).
    """

    SPEC_CLASS = ImportExampleGenSpec
    EXECUTOR = "tfxkit.components.import_example_gen.executor.Executor"
