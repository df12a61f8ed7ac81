"""`CsvExampleGen`: CSV files in, split gzipped tf.Examples out."""

from __future__ import annotations

from typing import Any

from tfxkit.components.csv_example_gen.spec import CsvExampleGenSpec
from tfxkit.components.example_gen.component import FileBasedExampleGen


class CsvExampleGen(FileBasedExampleGen):
    """Reads the CSV files under `input_base` and writes them as split, gzipped tf.Examples.

    Every file needs the same header line. Column types are inferred over all rows: int, else
    float, else string; missing values (empty, "NA", "NaN", "null") stay missing (the feature has
    no value). Rows go to splits by a deterministic hash (train:eval = 2:1 by default).

    Inputs: none.

    Outputs:
        examples (Examples): `{uri}/Split-<name>/data_tfrecord-<i>-of-<n>.gz`, gzipped TFRecord
            of tf.Example, one folder per split. Properties split_names (e.g. ["train",
            "eval"]), span=0, version=0; custom properties `example_counts` (JSON split -> rows)
            and `bad_rows_skipped`.

    Parameters:
        input_base: folder holding the CSV files.
        input_config: input splits, TFX's example_gen_pb2.Input as a dict; default every file
            (`{"splits": [{"name": "single_split", "pattern": "*"}]}`). Use one entry per folder
            when the input is already split: `{"splits": [{"name": "train", "pattern":
            "train/*"}, {"name": "eval", "pattern": "eval/*"}]}`.
        output_config: output splits, TFX's example_gen_pb2.Output as a dict, e.g.
            `{"split_config": {"splits": [{"name": "train", "hash_buckets": 8}, {"name": "eval",
            "hash_buckets": 2}]}}`; add `"partition_feature_name": "user_id"` to hash that
            column's value instead of the whole row (all rows of one user in one split).
        bad_rows: "error" (default) stops at a row with the wrong number of fields or bytes that
            are not UTF-8, naming file and line; "skip" skips such rows and counts them.
        delimiter: field separator, default ",".
        follow_symlinks: read input files that a symlink leads out of `input_base` (default
            False: such a file is refused with an error naming the link and its target). The
            real paths read are recorded on the Examples artifact (`followed_symlinks`).

    Runs in-process with worker threads; with beam pipeline args naming a non-Direct runner,
    one Beam element per input file (the output folder must then be visible to the workers).
    """

    SPEC_CLASS = CsvExampleGenSpec
    EXECUTOR = "tfxkit.components.csv_example_gen.executor.Executor"

    def __init__(
        self,
        input_base: str | Any,
        input_config: dict[str, Any] | None = None,
        output_config: dict[str, Any] | None = None,
        bad_rows: str | None = None,
        delimiter: str | None = None,
        follow_symlinks: bool | None = None,
    ) -> None:
        super().__init__(input_base=input_base, input_config=input_config,
                         output_config=output_config, bad_rows=bad_rows, delimiter=delimiter,
                         follow_symlinks=follow_symlinks)

    def known_feature_names(self, output_key: str) -> list[str] | None:
        """The header of the input files (their columns are the features of `examples`), when
        knowable at construction: a local `input_base`, the default input_config, regular files
        (no symlinks) whose first lines agree. None otherwise; never raises."""
        base = self.exec_properties.get("input_base")
        delimiter = self.exec_properties.get("delimiter") or ","
        if output_key != "examples" or self.exec_properties.get("input_config") is not None \
                or not isinstance(base, str) or "://" in base or not isinstance(delimiter, str):
            return None
        import csv
        import os

        headers = set()
        try:
            with os.scandir(base) as entries:
                files = [e.path for e in entries if not e.name.startswith(".")
                         and e.is_file(follow_symlinks=False)]
            for path in files:
                with open(path, encoding="utf-8-sig", newline="") as handle:
                    headers.add(tuple(next(csv.reader([handle.readline(1 << 20)],
                                                      delimiter=delimiter), [])))
        except (OSError, UnicodeDecodeError, csv.Error, ValueError):
            return None
        if len(headers) != 1:
            return None
        names = [name.strip() for name in headers.pop()]
        return names if names and all(names) else None
