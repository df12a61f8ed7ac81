"""Shared pieces of the file-based ExampleGens (CSV, Parquet, TFRecord import).

`config.py` parses split configs and fingerprints input files (pure Python), `spec.py` and
`component.py` hold the common spec and base class, `executor.py` the engine that encodes,
splits and writes gzipped tf.Example TFRecords (TFRecord framing is `_shared/tfrecord.py`).
"""

from tfxkit.components.example_gen.component import FileBasedExampleGen
from tfxkit.components.example_gen.spec import FileBasedExampleGenSpec

__all__ = ["FileBasedExampleGen", "FileBasedExampleGenSpec"]
