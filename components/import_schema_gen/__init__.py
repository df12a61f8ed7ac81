"""ImportSchemaGen: a curated schema.pbtxt -> Schema artifact."""

from tfxkit.components.import_schema_gen.component import ImportSchemaGen

__all__ = ["ImportSchemaGen"]
