"""SchemaGen: ExampleStatistics -> inferred Schema (`schema.pbtxt`)."""

from tfxkit.components.schema_gen.component import SchemaGen

__all__ = ["SchemaGen"]
