"""`ImportSchemaGenSpec`: a curated schema file -> Schema."""

from __future__ import annotations

from tfxkit.dsl.component_spec import ChannelParameter, ComponentSpec, ExecutionParameter
from tfxkit.types.standard_artifacts import Schema


class ImportSchemaGenSpec(ComponentSpec):
    """schema_file -> schema."""

    PARAMETERS = {
        "schema_file": ExecutionParameter(
            type=str, description="path of a schema.pbtxt (text Schema proto) to import"),
        "follow_symlinks": ExecutionParameter(
            type=bool, optional=True,
            description="import a schema file that a symlink leads out of its folder"),
    }
    INPUTS = {}
    OUTPUTS = {"schema": ChannelParameter(type=Schema)}
