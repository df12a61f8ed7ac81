"""`ImportSchemaGen`: bring a curated schema file into the pipeline."""

from __future__ import annotations

import hashlib
import os
from typing import Any

from tfxkit.components.import_schema_gen.spec import ImportSchemaGenSpec
from tfxkit.dsl.base_component import BaseComponent


class ImportSchemaGen(BaseComponent):
    """Imports a curated schema (the usual way a team pins its schema after the first run:
    copy SchemaGen's schema.pbtxt into the project, edit it, and import it here).

    Inputs: none.

    Outputs:
        schema (Schema): `{uri}/schema.pbtxt`, a copy of `schema_file` once it parses as a
            TensorFlow Metadata Schema text proto.

    Parameters:
        schema_file: path of the schema text proto, e.g. "schema/schema.pbtxt".

    The file's content is part of the cache key: editing it re-runs the component.
    """

    SPEC_CLASS = ImportSchemaGenSpec
    EXECUTOR = "tfxkit.components.import_schema_gen.executor.Executor"

    def __init__(self, schema_file: str | Any) -> None:
        super().__init__(schema_file=schema_file)

    def cache_fingerprint(self, exec_properties: dict[str, Any]) -> str:
        """sha256 of the schema file's bytes ("" when it is missing: the executor says so)."""
        path = str(exec_properties.get("schema_file", ""))
        if not os.path.isfile(path):
            return ""
        with open(path, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()
