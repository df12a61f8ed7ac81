"""`CsvExampleGen`: CSV files in, split gzipped tf.Examples out."""

from __future__ import annotations

from typing import Any

from tfxkit.components.csv_example_gen.decoding import CsvOptions
from tfxkit.components.csv_example_gen.spec import CsvExampleGenSpec
from tfxkit.components.example_gen.component import FileBasedExampleGen
from tfxkit.errors import ComponentArgumentError, DataError


class CsvExampleGen(FileBasedExampleGen):
    """Reads the CSV files under `input_base` and writes them as split, gzipped tf.Examples.

    Every file needs the same header line. Values and types are TFX's (`tfx_bsl.coders.
    csv_decoder`, proven by a differential test): a column is int if every value is a Python
    `int()` within int64, else float if every value is a Python `float()` (so surrounding spaces,
    `1_000`, `+5`, `nan`, `inf` are numbers; floats are Python's double rounded to float32), else
    string (an integer beyond int64 makes a string column); an empty cell is missing (the
    feature has no value). Rows go to splits by a deterministic hash (train:eval = 2:1 by
    default).

    Where tfxkit differs from TFX on purpose, an option says so (TFX's behaviour in brackets):

    - null_values (default "NA", "N/A", "n/a", "NULL", "null") are missing too [values; `[]`];
    - the header is read as a CSV row (quotes removed, a UTF-8 byte-order mark dropped) and names
      are stripped of surrounding spaces [line split at the delimiter as it is;
      `strip_header_names=False`];
    - a column whose values are mostly (over half) numbers but has some text stops with a
      DataError naming file, line, column and value, or skips those rows with
      `bad_rows="skip"` [the column silently becomes text; `mixed_columns="string"`, which
      still prints and records it];
    - a header that is one column containing ';', a tab or '|' stops with a DataError naming
      the likely delimiter [one text column];
    - a split with no rows stops with a DataError [an empty split];
    - a '"' inside an unquoted value is a character [TFX's line reader counts quotes and fails
      or joins lines].

    What the data looks like is printed (the custom property `note`) and recorded: ISO date and
    timestamp columns (`date_columns`, JSON name -> "date" | "timestamp"), numbers with a
    decimal comma, values that all start with a space, text columns with many numbers.

    Inputs: none.

    Outputs:
        examples (Examples): `{uri}/Split-<name>/data_tfrecord-<i>-of-<n>.gz`, gzipped TFRecord
            of tf.Example, one folder per split. Properties split_names (e.g. ["train",
            "eval"]), span=0, version=0; custom properties `example_counts` (JSON split -> rows),
            `bad_rows_skipped`, `feature_types` (JSON name -> int/float/bytes), `note` (one
            line, printed by the runner), and when they apply `date_columns`,
            `mixed_columns` (JSON name -> counts and first text value) and
            `null_values_replaced` (JSON name -> cells read as missing).

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
        bad_rows: "error" (default) stops at a row with the wrong number of fields, bytes that
            are not UTF-8, or text in a numeric column, naming file and line; "skip" skips
            such rows and counts them.
        delimiter: field separator, default ",".
        null_values: cell values read as missing (default ["NA", "N/A", "n/a", "NULL",
            "null"]); `[]` keeps them as values, as TFX does. `nan` is a float, as in TFX.
        mixed_columns: "error" (default) or "string" (read a mostly numeric column with some
            text as text, as TFX does; still printed and recorded).
        skip_initial_space: drop the spaces after each delimiter (`20, Private`), in the header
            and in values (default False: values keep them, as TFX does; numbers parse either
            way). A quoted value after the space then loses its quotes.
        strip_header_names: True (default) reads the header as a CSV row and strips each name;
            False gives TFX's names exactly (the line split at the delimiter).
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
        null_values: list[str] | None = None,
        mixed_columns: str | None = None,
        skip_initial_space: bool | None = None,
        strip_header_names: bool | None = None,
    ) -> None:
        super().__init__(input_base=input_base, input_config=input_config,
                         output_config=output_config, bad_rows=bad_rows, delimiter=delimiter,
                         follow_symlinks=follow_symlinks, null_values=null_values,
                         mixed_columns=mixed_columns, skip_initial_space=skip_initial_space,
                         strip_header_names=strip_header_names)
        # Bad option values fail when the pipeline is built (runtime parameters are checked
        # when they are resolved, by the executor).
        plain = {k: v for k, v in self.exec_properties.items()
                 if v is None or isinstance(v, str | bool | list)}
        try:
            CsvOptions.from_exec_properties(plain)
        except DataError as exc:
            raise ComponentArgumentError(str(exc)) from None

    def known_feature_names(self, output_key: str) -> list[str] | None:
        """The header of the input files (their columns are the features of `examples`), when
        knowable at construction: a local `input_base` holding only `.csv` regular files (no
        symlinks, no other files), the default input_config, first lines that agree. None
        otherwise; never raises."""
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
                files = [e for e in entries if not e.name.startswith(".")]
            if not files or not all(e.is_file(follow_symlinks=False)
                                    and e.name.lower().endswith(".csv") for e in files):
                return None
            for entry in files:
                with open(entry.path, encoding="utf-8-sig", newline="") as handle:
                    headers.add(tuple(next(csv.reader([handle.readline(1 << 20)],
                                                      delimiter=delimiter), [])))
        except (OSError, UnicodeDecodeError, csv.Error, ValueError):
            return None
        if len(headers) != 1:
            return None
        names = [name.strip() for name in headers.pop()]
        return names if names and all(names) else None
