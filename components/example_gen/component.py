"""`FileBasedExampleGen`: the base of the ExampleGens that read files under `input_base`."""

from __future__ import annotations

from typing import Any

from tfxkit.components.example_gen.config import content_fingerprint, parse_input_config
from tfxkit.dsl.base_component import BaseComponent


class FileBasedExampleGen(BaseComponent):
    """Base of CsvExampleGen, ParquetExampleGen and ImportExampleGen: what they share.

    Outputs:
        examples (Examples): `{uri}/Split-<name>/data_tfrecord-<i>-of-<n>.gz`, gzipped TFRecord
            of tf.Example, one folder per split; properties split_names, span=0, version=0;
            custom property `example_counts` (JSON split -> rows).

    Parameters (of every file-based ExampleGen):
        input_base: folder holding the input files.
        input_config: input splits, TFX's example_gen_pb2.Input as a dict; default every file.
            One entry per folder when the input is already split: `{"splits": [{"name":
            "train", "pattern": "train/*"}, {"name": "eval", "pattern": "eval/*"}]}`.
        output_config: hash split, TFX's example_gen_pb2.Output as a dict, e.g.
            `{"split_config": {"splits": [{"name": "train", "hash_buckets": 2}, {"name":
            "eval", "hash_buckets": 1}]}}` (the default for a single input split).
        follow_symlinks: read input files that a symlink leads out of `input_base` (default
            False: such a file is refused with an error naming the link and its target). The
            real paths read are recorded on the Examples artifact (`followed_symlinks`).
        **format_options: the subclass's own parameters (CsvExampleGen's `delimiter`, ...);
            a name its spec does not declare is a ComponentArgumentError.

    Adds the input files' content to the cache key: `cache_fingerprint` is a sha256 over every
    matched file's relative name and bytes, so editing a file re-runs the component and touching
    its mtime does not. It uses hashlib only (no heavy imports) and raises DataError when
    `input_base` is missing or a pattern matches no file, before anything runs.

    Every matched file is checked on its real path: one that a symlink leads out of
    `input_base` is refused (DataError naming link and target) unless `follow_symlinks=True`,
    and a pattern that leaves `input_base` (`../x`, absolute) is refused at construction.
    """

    def __init__(
        self,
        input_base: str | Any,
        input_config: dict[str, Any] | None = None,
        output_config: dict[str, Any] | None = None,
        follow_symlinks: bool | None = None,
        **format_options: Any,
    ) -> None:
        super().__init__(input_base=input_base, input_config=input_config,
                         output_config=output_config, follow_symlinks=follow_symlinks,
                         **format_options)
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
