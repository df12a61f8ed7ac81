"""ExampleValidator: statistics + schema (+ baseline) -> per-split anomalies (`SchemaDiff.pb`)."""

from tfxkit.components.example_validator.component import ExampleValidator

__all__ = ["ExampleValidator"]
