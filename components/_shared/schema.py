"""Schema artifacts: `{uri}/schema.pbtxt`, a text-format TensorFlow Metadata Schema (TFX's
layout; `tfdv.load_schema_text` reads it). The one loader every component uses."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from tfxkit.errors import DataError
from tfxkit.types.artifact import Artifact

if TYPE_CHECKING:
    from tensorflow_metadata.proto.v0 import schema_pb2

SCHEMA_FILE = "schema.pbtxt"


def schema_path(schema: Artifact | str) -> str:
    """Path of the schema file of a Schema artifact (or its uri): `{uri}/schema.pbtxt`."""
    return os.path.join(schema if isinstance(schema, str) else schema.uri, SCHEMA_FILE)


def load_schema(schema: Artifact | str, component: str) -> schema_pb2.Schema:
    """Parse `{uri}/schema.pbtxt` of a Schema artifact (or its uri) as `tfdv.load_schema_text`
    does, without TensorFlow.

    Raises DataError naming `component` (who reads it) and the path when the file is missing
    or is not a valid text-format Schema (the parser's message names the line and column).
    """
    from google.protobuf import text_format
    from tensorflow_metadata.proto.v0 import schema_pb2

    path = schema_path(schema)
    if not os.path.isfile(path):
        raise DataError(
            f"{component}: expected the schema at {path}, which is missing. Produce it with "
            f"SchemaGen or ImportSchemaGen and connect its outputs['schema'].")
    try:
        with open(path, encoding="utf-8") as handle:
            return text_format.Parse(handle.read(), schema_pb2.Schema())
    except (text_format.ParseError, UnicodeDecodeError) as exc:
        raise DataError(
            f"{component}: {path} is not a text-format Schema proto: {exc}. Fix the line "
            f"named, or let SchemaGen write it again.") from None


def load_optional_schema(artifacts: list[Artifact] | None, component: str
                         ) -> schema_pb2.Schema | None:
    """`load_schema` of the first of `artifacts` (an optional `schema` input), or None."""
    return load_schema(artifacts[0], component) if artifacts else None
