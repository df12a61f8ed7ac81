"""`ImportExampleGenSpec`: the shared ExampleGen parameters (input_base, input_config, output_config)."""

from __future__ import annotations

from tfxkit.components.example_gen.spec import FileBasedExampleGenSpec


class ImportExampleGenSpec(FileBasedExampleGenSpec):
    """input_base, input_config, output_config -> examples."""
