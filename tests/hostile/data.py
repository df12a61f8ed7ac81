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
    ("one data row: the eval split is empty",
     lambda r: csv_pipeline(r, PENGUIN_HEADER + PENGUIN_ROW),
     r"split 'eval' has 0 rows \(input has 1 row: train 1, eval 0\).*hash_buckets"),
]
