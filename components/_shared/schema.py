"""Read a Schema artifact's `schema.pbtxt` into a TensorFlow Metadata Schema proto."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from tfxkit.errors import ExecutionError
from tfxkit.types.artifact import Artifact

if TYPE_CHECKING:
    from tensorflow_metadata.proto.v0 import schema_pb2

SCHEMA_FILE = "schema.pbtxt"


def schema_path(schema: Artifact) -> str:
    """Path of the schema file of a Schema artifact: `{uri}/schema.pbtxt`."""
    return os.path.join(schema.uri, SCHEMA_FILE)


def load_schema(schema: Artifact, component: str) -> schema_pb2.Schema:
    """Parse `{uri}/schema.pbtxt`; raise ExecutionError naming the path when absent or invalid."""
    from google.protobuf import text_format
    from tensorflow_metadata.proto.v0 import schema_pb2

    path = schema_path(schema)
    if not os.path.isfile(path):
        raise ExecutionError(
            f"{component}: expected the schema at {path}, found no such file. Connect "
            f"schema_gen.outputs['schema'] (SchemaGen or ImportSchemaGen writes schema.pbtxt)."
        )
    try:
        with open(path) as handle:
            return text_format.Parse(handle.read(), schema_pb2.Schema())
    except text_format.ParseError as exc:
        raise ExecutionError(
            f"{component}: {path} is not a valid text-format tensorflow_metadata Schema: {exc}. "
            f"Regenerate it with SchemaGen or fix the line named."
        ) from exc
