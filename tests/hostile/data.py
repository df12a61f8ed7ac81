"""Hostile-input cases: CSV and data inputs read or typed wrongly (issue 11): delimiters, whitespace,
mixed types, empty splits, wide tables, dates, labels.
"""

from __future__ import annotations

from typing import Any

from tests.hostile.harness import csv_pipeline

PENGUIN_HEADER = b"culmen_length_mm,culmen_depth_mm,flipper_length_mm,body_mass_g,species\n"
PENGUIN_ROW = b"39.1,18.7,181,3750,0\n"
WEATHER = [b"Koeln", b"10", b"0", b"1"]


def _weather(delimiter: bytes) -> bytes:
    header = delimiter.join([b"city", b"temp_c", b"rain_mm", b"label"]) + b"\n"
    return header + (delimiter.join(WEATHER) + b"\n") * 20


CASES: list[Any] = [
    # H1 (CsvExampleGen decoding): a wrong delimiter, text in numbers, an empty split.
    ("';'-delimited CSV read with ','", lambda r: csv_pipeline(r, _weather(b";")),
     r"data\.csv, line 1 .*ONE column.*looks ';'-delimited.*delimiter=\";\""),
    ("tab-delimited CSV read with ','", lambda r: csv_pipeline(r, _weather(b"\t")),
     r"data\.csv, line 1 .*looks '\\t'-delimited.*delimiter=\"\\t\""),
    ("'|'-delimited CSV read with ','", lambda r: csv_pipeline(r, _weather(b"|")),
     r"looks '\|'-delimited.*delimiter=\"\|\""),
    ("text in a numeric column",
     lambda r: csv_pipeline(r, PENGUIN_HEADER + PENGUIN_ROW * 30 + b"abc,18.7,181,3750,0\n"
                            + PENGUIN_ROW * 5),
     r"data\.csv, line 32, column 'culmen_length_mm': value 'abc' is not a number, but the "
     r"column's other 35 values are numbers.*bad_rows='skip'"),
    ("integer beyond int64 in an int column",
     lambda r: csv_pipeline(r, PENGUIN_HEADER + PENGUIN_ROW * 30
                            + b"39.1,18.7,99999999999999999999,3750,0\n"),
     r"line 32, column 'flipper_length_mm': value '99999999999999999999' is not a number"),
    ("hex in an int column",
     lambda r: csv_pipeline(r, PENGUIN_HEADER + PENGUIN_ROW * 30 + b"39.1,18.7,0x1F,3750,0\n"),
     r"line 32, column 'flipper_length_mm': value '0x1F' is not a number"),
    # The hash decides which split gets the row; the other must be named with both counts.
    ("one data row: one split is empty",
     lambda r: csv_pipeline(r, PENGUIN_HEADER + PENGUIN_ROW),
     r"split '(eval|train)' has 0 rows \(input has 1 row: "
     r"(train 1, eval 0|train 0, eval 1)\).*hash_buckets"),
]


# H2 (labels and the tabular recipe): rows without a label, a required feature that is not in
# the data, a recipe setting naming a missing column. Executors run directly (no store).
def _validated(root: Any, text: bytes, required: list[str]) -> Any:
    def build_and_validate() -> None:
        from tests.components.data_helpers import (
            run_csv_example_gen,
            run_example_validator,
            run_schema_gen,
            run_statistics_gen,
        )

        data = root / "data"
        data.mkdir(parents=True, exist_ok=True)
        (data / "data.csv").write_bytes(text)
        statistics = run_statistics_gen(run_csv_example_gen(data, root / "examples"),
                                        root / "statistics")
        run_example_validator(statistics, run_schema_gen(statistics, root / "schema"),
                              root / "anomalies", required_features=required)
    return build_and_validate


def _recipe_columns(**settings: Any) -> Any:
    def select() -> None:
        import tensorflow as tf

        from tfxkit.recipes.tabular import select_features

        inputs = {"amount": tf.constant([1.0]), "plan": tf.constant(["a"]),
                  "churned": tf.constant(["no"])}
        select_features(inputs, "churned", **settings)
    return lambda root: select


_PENGUINS = PENGUIN_HEADER + b"".join(
    b"39.1,18.7,%d,3750,%s\n" % (170 + i, b"" if i % 10 == 3 else b"%d" % (i % 3))
    for i in range(40))  # 4 rows without a label
CASES += [
    ("label empty in some rows", lambda r: _validated(r, _PENGUINS, ["species"]),
     r"required feature 'species' is missing in 4 of 40 rows \(train: \d+ of \d+, eval: \d+ of "
     r"\d+\).*drop_rows_without_label = True"),
    ("required feature named wrong",
     lambda r: _validated(r, _PENGUINS, ["Species"]),
     r"required_features: 'Species' is not in the schema.*schema features: body_mass_g, "
     r".*species"),
    ("date_features names a column not in the data",
     _recipe_columns(dates=["signup"]),
     r"date_features: column 'signup' is not in the data; columns are: amount, plan"),
    ("the label listed as a feature",
     _recipe_columns(excluded=["churned"]),
     r"excluded_features: 'churned' is the label \(label_key\)"),
]
