"""`CsvExampleGenSpec`: the shared ExampleGen parameters plus CSV's reading options."""

from __future__ import annotations

from tfxkit.components.example_gen.spec import FileBasedExampleGenSpec
from tfxkit.dsl.component_spec import ExecutionParameter


class CsvExampleGenSpec(FileBasedExampleGenSpec):
    """input_base, input_config, output_config, bad_rows, delimiter, null_values,
    mixed_columns, skip_initial_space, strip_header_names -> examples."""

    PARAMETERS = {
        **FileBasedExampleGenSpec.PARAMETERS,
        "bad_rows": ExecutionParameter(
            type=str, optional=True, default="error",
            description="'error' stops at the first bad row; 'skip' skips and counts them"),
        "delimiter": ExecutionParameter(
            type=str, optional=True, default=",", description="field separator"),
        "null_values": ExecutionParameter(
            type=list, optional=True, hint=list[str],
            description="cell values read as missing, like an empty cell (default NA, N/A, "
                        "n/a, NULL, null; [] reads them as values, as TFX does)"),
        "mixed_columns": ExecutionParameter(
            type=str, optional=True, default="error",
            description="a mostly numeric column with some text: 'error' stops (or skips the "
                        "rows with bad_rows='skip'); 'string' reads it as text, as TFX does"),
        "skip_initial_space": ExecutionParameter(
            type=bool, optional=True, default=False,
            description="drop spaces after each delimiter (`a, b`), in values and header"),
        "strip_header_names": ExecutionParameter(
            type=bool, optional=True, default=True,
            description="read the header as a CSV row and strip spaces around each name "
                        "(False: TFX's names, the line split at the delimiter as it is)"),
    }
