"""`ImportSchemaGen`: bring a curated schema file into the pipeline."""

from __future__ import annotations

import hashlib
import os
from typing import Any

from tfxkit import fs
from tfxkit.components.import_schema_gen.spec import ImportSchemaGenSpec
from tfxkit.dsl.base_component import BaseComponent
from tfxkit.paths import refuse_outside


class ImportSchemaGen(BaseComponent):
    """Imports a curated schema (the usual way a team pins its schema after the first run:
    copy SchemaGen's schema.pbtxt into the project, edit it, and import it here).

    Inputs: none.

    Outputs:
        schema (Schema): `{uri}/schema.pbtxt`, a copy of `schema_file` once it parses as a
            TensorFlow Metadata Schema text proto.

    Parameters:
        schema_file: path of the schema text proto, e.g. "schema/schema.pbtxt".
        follow_symlinks: import a schema file that is a symlink to a file outside its folder
            (default False: refused, naming the link and its target); the real path is then
            recorded on the Schema artifact (`schema_file_real_path`).

    The file's content is part of the cache key: editing it re-runs the component.
    """

    SPEC_CLASS = ImportSchemaGenSpec
    EXECUTOR = "tfxkit.components.import_schema_gen.executor.Executor"

    def __init__(self, schema_file: str | Any, follow_symlinks: bool | None = None) -> None:
        super().__init__(schema_file=schema_file, follow_symlinks=follow_symlinks)

    def cache_fingerprint(self, exec_properties: dict[str, Any]) -> str:
        """sha256 of the schema file's bytes ("" when it is missing: the executor says so).

        Raises DataError for a schema file that a symlink leads out of its folder (unless
        `follow_symlinks`), before it is read.
        """
        path = checked_schema_file(str(exec_properties.get("schema_file", "")),
                                   bool(exec_properties.get("follow_symlinks")))
        if not fs.is_file(path):
            return ""
        return hashlib.sha256(fs.read_bytes(path)).hexdigest()


def checked_schema_file(schema_file: str, follow_symlinks: bool = False) -> str:
    """The real path of `schema_file` (symlinks resolved).

    Raises DataError when it is a symlink whose target is outside the folder the path names
    (`schema/schema.pbtxt -> ../../elsewhere/schema.pbtxt`) and `follow_symlinks` is False.
    An object-store URI (`gs://`, `s3://`) is returned as is, or as its launcher mount path
    inside a KFP container (`tfxkit.fs`).
    """
    if fs.is_object_store(schema_file):
        return fs.local_path(schema_file) or schema_file
    return refuse_outside(
        schema_file, os.path.dirname(os.path.abspath(schema_file)), "ImportSchemaGen schema_file",
        "its folder",
        "copy the schema file into the project, or opt in with follow_symlinks=True (the real "
        "path is then recorded on the Schema artifact).", follow_symlinks)
