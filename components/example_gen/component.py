"""`FileBasedExampleGen`: the base of the ExampleGens that read files under `input_base`."""

from __future__ import annotations

from typing import Any

from tfxkit.components.example_gen.config import content_fingerprint, parse_input_config
from tfxkit.dsl.base_component import BaseComponent


class FileBasedExampleGen(BaseComponent):
    """Base of CsvExampleGen, ParquetExampleGen and ImportExampleGen.

    Adds the input files' content to the cache key: `cache_fingerprint` is a sha256 over every
    matched file's relative name and bytes, so editing a file re-runs the component and touching
    its mtime does not. It uses hashlib only (no heavy imports) and raises DataError when
    `input_base` is missing or a pattern matches no file, before anything runs.

    Every matched file is checked on its real path: one that a symlink leads out of
    `input_base` is refused (DataError naming link and target) unless `follow_symlinks=True`,
    and a pattern that leaves `input_base` (`../x`, absolute) is refused at construction.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # A pattern that leaves input_base is refused when the pipeline is built (the files
        # it matches are checked on their real paths again when they are read).
        if isinstance(self.exec_properties.get("input_config"), dict | str):
            parse_input_config(self.exec_properties["input_config"])

    def known_split_names(self, output_key: str) -> list[str] | None:
        """The output split names its input_config / output_config give (default train,
        eval); None when a config is a RuntimeParameter or malformed (reported elsewhere)."""
        from tfxkit.components.example_gen.config import parse_output_config
        from tfxkit.errors import TfxkitError

        try:
            plan = parse_output_config(self.exec_properties.get("output_config"),
                                       parse_input_config(self.exec_properties.get("input_config")))
        except (TfxkitError, TypeError, ValueError, AttributeError):
            return None
        return plan.split_names if output_key == "examples" else None

    def check_before_run(self, exec_properties: dict[str, Any]) -> None:
        """Called by LocalDagRunner before any node runs: raise DataError when `input_base`
        (its value for this run) is a local path that is missing or not a directory."""
        from tfxkit.components.example_gen.config import check_input_base

        if isinstance(exec_properties.get("input_base"), str):
            check_input_base(exec_properties["input_base"])

    def cache_fingerprint(self, exec_properties: dict[str, Any]) -> str:
        """sha256 of the input files' names and contents (see the class docstring)."""
        return content_fingerprint(str(exec_properties.get("input_base", "")),
                                   exec_properties.get("input_config"),
                                   bool(exec_properties.get("follow_symlinks")))
