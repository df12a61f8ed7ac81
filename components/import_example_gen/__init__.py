"""ImportExampleGen: TFRecord files of tf.Example -> split, gzipped tf.Example TFRecords."""

from tfxkit.components.import_example_gen.component import ImportExampleGen

__all__ = ["ImportExampleGen"]
