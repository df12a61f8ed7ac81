"""`FileBasedExampleGen`: the base of the ExampleGens that read files under `input_base`."""

from __future__ import annotations

from typing import Any

from tfxkit.components.example_gen.config import content_fingerprint
from tfxkit.dsl.base_component import BaseComponent


class FileBasedExampleGen(BaseComponent):
    """Base of CsvExampleGen, ParquetExampleGen and ImportExampleGen.

    Adds the input files' content to the cache key: `cache_fingerprint` is a sha256 over every
    matched file's relative name and bytes, so editing a file re-runs the component and touching
    its mtime does not. It uses hashlib only (no heavy imports) and raises DataError when
    `input_base` is missing or a pattern matches no file, before anything runs.
    """

    def cache_fingerprint(self, exec_properties: dict[str, Any]) -> str:
        """sha256 of the input files' names and contents (see the class docstring)."""
        return content_fingerprint(str(exec_properties.get("input_base", "")),
                                   exec_properties.get("input_config"))
