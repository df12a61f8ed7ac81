"""ImportSchemaGen executor: check `schema_file` parses as a Schema, copy it to
`{schema.uri}/schema.pbtxt`. Heavy libraries are imported inside functions only."""

from __future__ import annotations

import os
from typing import Any

from tfxkit import fs
from tfxkit.components.import_schema_gen.component import checked_schema_file
from tfxkit.dsl.base_executor import BaseExecutor
from tfxkit.errors import DataError
from tfxkit.types.artifact import Artifact

SCHEMA_FILE = "schema.pbtxt"


class Executor(BaseExecutor):
    """ImportSchemaGen's executor.

    exec_properties: `schema_file` (path of a text Schema proto), `follow_symlinks`.
    output_dict: {"schema": [Schema]}; writes `{uri}/schema.pbtxt`. A schema file that a
    symlink leads out of its folder is refused unless `follow_symlinks` (see
    `checked_schema_file`); its real path is then the custom property `schema_file_real_path`.
    """

    def Do(
        self,
        input_dict: dict[str, list[Artifact]],
        output_dict: dict[str, list[Artifact]],
        exec_properties: dict[str, Any],
    ) -> None:
        """Validate and copy the schema file."""
        from google.protobuf import text_format
        from tensorflow_metadata.proto.v0 import schema_pb2

        given = str(exec_properties.get("schema_file", ""))
        path = checked_schema_file(given, bool(exec_properties.get("follow_symlinks")))
        if not fs.is_file(path):
            raise DataError(f"ImportSchemaGen schema_file: {given!r} does not exist or is not a "
                            f"file. Pass the path of a schema.pbtxt, e.g. one SchemaGen wrote.")
        data = fs.read_bytes(path)
        text = data.decode("utf-8")
        try:
            schema = text_format.Parse(text, schema_pb2.Schema())
        except text_format.ParseError as exc:
            raise DataError(f"ImportSchemaGen schema_file {path}: not a valid Schema text proto "
                            f"at {exc}. Fix the file (line:column above).") from None
        if not schema.feature and not schema.sparse_feature:
            raise DataError(f"ImportSchemaGen schema_file {path}: the schema declares no "
                            f"features. Expected 'feature {{ name: ... type: ... }}' entries.")
        out = output_dict["schema"][0]
        os.makedirs(out.uri, exist_ok=True)
        with open(os.path.join(out.uri, SCHEMA_FILE), "wb") as f:
            f.write(data)
        if path != os.path.abspath(given):  # lineage shows which file was really imported
            out.set_custom_property("schema_file_real_path", path)

