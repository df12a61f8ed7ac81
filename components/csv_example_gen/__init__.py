"""CsvExampleGen: CSV files -> split, gzipped tf.Example TFRecords."""

from tfxkit.components.csv_example_gen.component import CsvExampleGen

__all__ = ["CsvExampleGen"]
