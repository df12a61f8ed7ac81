"""The standard components (installed as `tfxkit.components`).

Each lives in its own folder with the same shape: `spec.py` (the ComponentSpec), `executor.py`
(the Executor, the only place heavy libraries are imported) and `component.py` (the class users
construct). Importing this package imports no TensorFlow.
"""

from tfxkit.components.bulk_inferrer import BulkInferrer
from tfxkit.components.csv_example_gen import CsvExampleGen
from tfxkit.components.evaluator import Evaluator
from tfxkit.components.example_gen import FileBasedExampleGen
from tfxkit.components.example_validator import ExampleValidator
from tfxkit.components.import_example_gen import ImportExampleGen
from tfxkit.components.import_schema_gen import ImportSchemaGen
from tfxkit.components.parquet_example_gen import ParquetExampleGen
from tfxkit.components.pusher import Pusher
from tfxkit.components.schema_gen import SchemaGen
from tfxkit.components.statistics_gen import StatisticsGen
from tfxkit.components.trainer import Trainer
from tfxkit.components.transform import Transform

__all__ = [
    "BulkInferrer",
    "CsvExampleGen",
    "Evaluator",
    "ExampleValidator",
    "FileBasedExampleGen",
    "ImportExampleGen",
    "ImportSchemaGen",
    "ParquetExampleGen",
    "Pusher",
    "SchemaGen",
    "StatisticsGen",
    "Trainer",
    "Transform",
]
