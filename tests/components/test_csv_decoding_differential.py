"""Differential test: CsvExampleGen's pyarrow path against TFX's own CSV decoder.

A seeded generator writes tricky CSV files (quoting, embedded delimiters and newlines, doubled
quotes, surrounding whitespace, `_` and `+` in numbers, hex, integers at and beyond the int64
bounds, long mantissas and float32 rounding midpoints, nan/inf spellings, null-like words,
unicode, empty cells, mixed int/float columns, all-empty columns, blank lines, a UTF-8 BOM,
CRLF line ends, no final newline). Each file goes through

- TFX: CsvExampleGen's reading (`tfx/components/example_gen/csv_example_gen/executor.py`: the
  header is `readline().strip().split(',')`, records are physical lines joined while their
  quote count is odd) and `tfx_bsl.coders.csv_decoder` (ParseCSVLine, ColumnTypeInferrer,
  BatchedCSVRowsToRecordBatch: the real classes, called as Beam calls them), then tfx-bsl's
  tf.Example encoder;
- ours: the real CsvExampleGen executor with TFX's settings (`null_values=[]`,
  `mixed_columns="string"`, `strip_header_names=False`) writing its TFRecords.

Both sets of tf.Examples are decoded by tfx-bsl and compared value by value (floats by their
float32 bits; any NaN equals any NaN): same feature types, same rows, same missing cells. When
TFX fails on a file, ours must fail too (DataError). `test_harness_equals_beam_pipeline` checks
that the direct calls equal `csv_decoder.CSVToRecordBatch` run on Beam.

CI runs `CASES` files from `SEED`; `TFXKIT_CSV_DIFF_CASES=5000` (and `TFXKIT_CSV_DIFF_SEED`)
run more locally. Seeds that once failed stay in `REGRESSION_SEEDS` with what they found; a
seed means a file only with this `make_csv`, so extend the generator by adding draws after the
existing ones, and re-check the regression seeds still hold their fault when it changes.
"""

from __future__ import annotations

import glob
import math
import os
import random
import struct
from pathlib import Path
from typing import Any

import pytest

from tfxkit.errors import DataError

pytestmark = pytest.mark.integration

SEED = int(os.environ.get("TFXKIT_CSV_DIFF_SEED", "20261130"))
CASES = int(os.environ.get("TFXKIT_CSV_DIFF_CASES", "150"))
# Seeds that once failed, and what they found (against the decoder before issue 11, which
# typed cells with pyarrow's parser and its null words; run with TFX's settings):
REGRESSION_SEEDS: dict[int, str] = {
    2026173783391: "a UTF-8 BOM stays in the first header name in TFX's header mode",
    2026173783393: "'NA' in a text column was erased (pyarrow's null words)",
    2026173783396: "'#N/A' in a text column was erased",
    2026173783400: "'nan' in a text column was erased",
    2026173783403: "ints with surrounding whitespace and '+' were typed string",
    2026173783405: "floats and ints with whitespace or '_' were typed string",
    2026173783426: "integers beyond int64 were typed float instead of string",
    2026173783425: "'1.#IND' in a text column was erased",
}

TFX_SETTINGS = {"null_values": [], "mixed_columns": "string", "strip_header_names": False,
                "output_config": {"split_config": {"splits": [{"name": "train",
                                                               "hash_buckets": 1}]}}}

_WORDS = ["NA", "N/A", "n/a", "null", "NULL", "None", "nan", "NaN", "-nan", "#N/A", "1.#IND",
          "true", "False", "Köln", "日本語", "naïve café", "x y", "-", "?", "", " ", "0x1A", "1,5",
          "1e", "e5", ".", "+", "inf", "Infinity", "-INF", "+nan", "1_000", "1__0", "_1", "\uff11\uff12"]
_FLOATS = ["0.1", "-0.0", "1e5", "1E-5", ".5", "5.", "3.4028235677973366e38", "1e500",
           "-1e-50", "1.00000005960464477539062501", "1.0000000596046447753906249",
           "16777217", "0.15254237288135594", "123456789.123456789", "2.5e-45", "1_0.2_5",
           "1e1_0", "+2.5", "9223372036854775807.0"]
_INTS = ["0", "-0", "+7", "0007", "42", "-17", "9223372036854775807", "-9223372036854775808",
         "9223372036854775808", "-9223372036854775809", "123456789012345678901234", "1_000",
         "1000000"]


def case_seed(index: int) -> int:
    """The seed of the `index`-th generated case."""
    return SEED * 100_003 + index


def _cell(rng: random.Random, flavor: str, delimiter: str) -> str:
    """One cell's text as it appears in the file (quoted when it must be)."""
    roll = rng.random()
    if roll < 0.08:
        value = ""
    elif flavor == "int" or (flavor == "mixed" and roll < 0.5):
        value = rng.choice(_INTS) if rng.random() < 0.3 else str(rng.randint(-10**6, 10**6))
    elif flavor == "float" or flavor == "mixed":
        value = rng.choice(_FLOATS) if rng.random() < 0.3 else repr(rng.uniform(-1e4, 1e4))
    elif flavor == "bigint":
        value = str(rng.randint(-2**70, 2**70))
    elif flavor == "rare_text":
        value = rng.choice(_WORDS) if rng.random() < 0.1 else str(rng.randint(0, 99))
    else:
        value = rng.choice(_WORDS) if rng.random() < 0.6 else "".join(
            rng.choice("abcXYZ éü0123456789.-") for _ in range(rng.randint(1, 8)))
    if value and rng.random() < 0.15:
        value = rng.choice([" ", "  ", "\t", " \t"]) + value
    if value and rng.random() < 0.1:
        value = value + rng.choice([" ", "\t", "  "])
    needs_quotes = any(c in value for c in (delimiter, '"', "\n", "\r"))
    if rng.random() < 0.05:  # embedded delimiter, quote or newline inside a quoted value
        value = value + rng.choice([delimiter, '""', "\n", " x\ny", '"'])
        needs_quotes = True
    if needs_quotes or (value and rng.random() < 0.1):
        quoted = '"' + value.replace('"', '""') + '"'
        if not needs_quotes and rng.random() < 0.3:  # quotes not where a quote opens a field
            return rng.choice([" " + quoted, quoted + " ", quoted + "x", '"' + quoted + '"'])
        return quoted
    return value


def make_csv(seed: int) -> tuple[str, bytes]:
    """(delimiter, file bytes) of one generated case."""
    rng = random.Random(seed)
    delimiter = rng.choice([",", ",", ",", ";", "\t", "|"])
    ncols = rng.randint(1, 5)
    flavors = [rng.choice(["int", "float", "mixed", "text", "bigint", "rare_text", "empty"])
               for _ in range(ncols)]
    pool = ["a", "b", "price", "Köln_temp", "x y", "名前", "id", "label", "N", "v1"]
    names = rng.sample(pool, ncols)
    newline = rng.choice(["\n", "\r\n"])
    rows = []
    for _ in range(rng.randint(1, 40)):
        cells = ["" if f == "empty" else _cell(rng, f, delimiter) for f in flavors]
        if ncols == 1 and cells[0] == "":
            cells[0] = '""'  # a lone empty cell would be a blank line, skipped by both
        if rng.random() < 0.01:  # a row with a field too many or too few: both refuse
            cells = cells[:-1] if len(cells) > 1 and rng.random() < 0.5 else [*cells, "1"]
        rows.append(delimiter.join(cells))
        if rng.random() < 0.05:
            rows.append("")  # blank line: skipped by both
    text = delimiter.join(names) + newline + newline.join(rows)
    if rng.random() < 0.8:
        text += newline
    data = text.encode()
    if rng.random() < 0.02:  # bytes that are not UTF-8: both refuse
        data = data + b"\xff\xfe" + delimiter.encode() * (ncols - 1) + newline.encode()
    if rng.random() < 0.15:
        data = b"\xef\xbb\xbf" + data
    return delimiter, data


# -- TFX's side ------------------------------------------------------------------------------

def tfx_records(path: Path, delimiter: str) -> list[bytes]:
    """tf.Examples as TFX's CsvExampleGen reading + tfx-bsl's csv_decoder make them."""
    import pyarrow as pa
    from tfx_bsl.coders import csv_decoder, example_coder

    with open(path, "rb") as f:
        # io_utils.load_csv_column_names (TFX always splits at ','; we pass the delimiter).
        column_names = f.readline().decode("utf-8").strip().split(delimiter)
        lines, buffer, quotes = [], [], 0  # _CsvLineBuffer
        for line in f:
            text = line.decode("utf-8")
            buffer.append(text)
            quotes += text.count('"')
            if quotes % 2 == 0:
                lines.append("".join(buffer))
                buffer, quotes = [], 0
        if buffer:
            raise ValueError(f"Csv record had unbalanced quotes. File: {path}")
    parser = csv_decoder.ParseCSVLine(delimiter)
    parser.setup()
    parsed = [next(iter(parser.process(line))) for line in lines]
    inferrer = csv_decoder.ColumnTypeInferrer(column_names, skip_blank_lines=True)
    accumulator = inferrer.create_accumulator()
    for cells, _ in parsed:
        accumulator = inferrer.add_input(accumulator, cells)
    infos = inferrer.extract_output(accumulator)
    to_batch = csv_decoder.BatchedCSVRowsToRecordBatch(skip_blank_lines=True)
    batch = next(iter(to_batch.process(parsed, infos)))
    return _encode(batch, pa, example_coder)


def _encode(batch: Any, pa: Any, example_coder: Any) -> list[bytes]:
    # A column with no value at all is pa.null() in csv_decoder; TFX's CsvExampleGen writes
    # an empty tf.train.Feature() for it, which is what a null list encodes to.
    columns = [c if not pa.types.is_null(c.type)
               else pa.nulls(len(c), pa.large_list(pa.large_binary())) for c in batch.columns]
    batch = pa.RecordBatch.from_arrays(columns, batch.schema.names)
    return example_coder.RecordBatchToExamplesEncoder().encode(batch)


# -- our side and the comparison -------------------------------------------------------------

def our_records(folder: Path, out: Path, delimiter: str) -> list[bytes]:
    """tf.Examples CsvExampleGen writes for the files in `folder` with TFX's settings."""
    from tests.components.data_helpers import run_csv_example_gen
    from tfxkit.components._shared import tfrecord

    examples = run_csv_example_gen(folder, out, delimiter=delimiter, **TFX_SETTINGS)
    return [r for path in sorted(glob.glob(f"{examples.uri}/Split-train/*.gz"))
            for chunk in tfrecord.read_records(path, verify=False) for r in chunk]


def _canonical_value(value: Any) -> Any:
    if isinstance(value, float):
        return "nan" if math.isnan(value) else struct.pack("<f", value).hex()
    return value


def decoded(records: list[bytes]) -> tuple[dict[str, str], list[Any]]:
    """(feature -> arrow type, sorted canonical rows) of serialized tf.Examples."""
    from tfx_bsl.coders import example_coder

    batch = example_coder.ExamplesToRecordBatchDecoder().DecodeBatch(records)
    types = {f.name: str(f.type) for f in batch.schema}
    rows = []
    for row in batch.to_pylist():
        rows.append(repr(sorted(
            (name, None if v is None else [_canonical_value(x) for x in v])
            for name, v in row.items())))
    return types, sorted(rows)


def check_case(seed: int, tmp: Path) -> None:
    """Run one generated case through both decoders and compare."""
    delimiter, data = make_csv(seed)
    folder = tmp / f"case-{seed}"
    folder.mkdir()
    (folder / "data.csv").write_bytes(data)
    try:
        expected: Any = decoded(tfx_records(folder / "data.csv", delimiter))
    except Exception as exc:  # TFX refuses the file: so must we
        with pytest.raises(DataError):
            our_records(folder, tmp / f"out-{seed}", delimiter)
        del exc
        return
    found = decoded(our_records(folder, tmp / f"out-{seed}", delimiter))
    assert found[0] == expected[0], (seed, data)
    assert found[1] == expected[1], (seed, data)


@pytest.mark.parametrize("index", range(CASES))
def test_generated_csv_decodes_as_tfx_does(index: int, tmp_path: Path) -> None:
    check_case(case_seed(index), tmp_path)


@pytest.mark.parametrize("seed", sorted(REGRESSION_SEEDS))
def test_seeds_that_once_failed(seed: int, tmp_path: Path) -> None:
    check_case(seed, tmp_path)


def test_generator_covers_the_tricky_cases() -> None:
    """The CI cases do hold what the generator is for (guards against a silent narrowing)."""
    blob = b"".join(make_csv(case_seed(i))[1] for i in range(CASES))
    for needle in (b'""', b"\r\n", b"\xef\xbb\xbf", b" ", b"\t", b"9223372036854775808",
                   b"nan", b"Infinity", b"1_000", b"NA", "Köln".encode(), b"1e500"):
        assert needle in blob, needle


def test_harness_equals_beam_pipeline(tmp_path: Path) -> None:
    """The direct calls above equal tfx-bsl's CSVToRecordBatch PTransform run on Beam."""
    import apache_beam as beam
    import pyarrow as pa
    from apache_beam.testing.util import assert_that
    from tfx_bsl.coders import csv_decoder, example_coder

    compared = 0
    for index in range(200):
        if compared == 3:
            break
        seed = case_seed(index)
        delimiter, data = make_csv(seed)
        path = tmp_path / f"{seed}.csv"
        path.write_bytes(data)
        try:
            expected = decoded(tfx_records(path, delimiter))
        except Exception:
            continue
        with open(path, "rb") as f:
            names = f.readline().decode("utf-8").strip().split(delimiter)
            lines = [line.decode("utf-8") for line in f]
        if any('"' in line for line in lines):
            continue  # Beam's line reading here has no multi-line joining; the direct one does
        lines = [line.rstrip("\r\n") for line in lines]

        def check(batches: list[Any], expected: Any = expected) -> None:
            table = pa.Table.from_batches(batches).combine_chunks()
            batch = table.to_batches()[0] if table.num_rows else None
            assert batch is not None
            assert decoded(_encode(batch, pa, example_coder)) == expected

        with beam.Pipeline() as pipeline:
            result = (pipeline | beam.Create(lines)
                      | csv_decoder.CSVToRecordBatch(names, desired_batch_size=1000,
                                                     delimiter=delimiter))
            assert_that(result, check)
        compared += 1
    assert compared == 3
