"""ParquetExampleGen: Parquet files -> split, gzipped tf.Example TFRecords."""

from tfxkit.components.parquet_example_gen.component import ParquetExampleGen

__all__ = ["ParquetExampleGen"]
