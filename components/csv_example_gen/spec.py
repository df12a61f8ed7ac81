"""`CsvExampleGenSpec`: the shared ExampleGen parameters plus CSV's bad_rows and delimiter."""

from __future__ import annotations

from tfxkit.components.example_gen.spec import FileBasedExampleGenSpec
from tfxkit.dsl.component_spec import ExecutionParameter


class CsvExampleGenSpec(FileBasedExampleGenSpec):
    """input_base, input_config, output_config, bad_rows, delimiter -> examples."""

    PARAMETERS = {
        **FileBasedExampleGenSpec.PARAMETERS,
        "bad_rows": ExecutionParameter(
            type=str, optional=True, default="error",
            description="'error' stops at the first bad row; 'skip' skips and counts them"),
        "delimiter": ExecutionParameter(
            type=str, optional=True, default=",", description="field separator"),
    }
