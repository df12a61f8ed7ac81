"""CsvExampleGen executor: CSV files -> split, gzipped tf.Example TFRecords.

Two streaming passes with pyarrow's CSV reader (bounded memory, C++ parsing):

1. `prepare` checks every file: same header everywhere, the right number of fields per row,
   valid UTF-8, and infers each column's type over ALL rows (int, then float, then string; a
   column whose values are ints then floats becomes float, so types never flip mid-file).
2. `read` parses again with those types fixed and hands RecordBatches to the shared engine
   (`tfxkit.components.example_gen.executor`), which encodes, splits and writes them.

Missing values (empty, "NA", "NaN", "null", ...) stay missing: the feature has no value.
Bad input raises `DataError` naming file and line; with `bad_rows="skip"` bad rows are skipped
and counted (custom property `bad_rows_skipped` on the Examples artifact).
Heavy libraries (pyarrow, numpy) are imported inside functions only.
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import io
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from tfxkit.components.example_gen.executor import BaseExampleGenExecutor, _Item
from tfxkit.errors import DataError

if TYPE_CHECKING:
    import pyarrow as pa

BLOCK_SIZE = 8 << 20
_INT, _FLOAT, _STRING = "int", "float", "string"
_SKIP, _ERROR = "skip", "error"


@dataclasses.dataclass
class CsvPlan:
    """What the checking pass learned: column names and types over all files, and which rows
    `read` must drop (undecodable rows, by index among the well-formed rows of their file)."""

    column_names: list[str]
    column_types: dict[str, str]
    drop_rows: dict[str, list[int]]
    skipped: int = 0


def _fix_hint(bad_rows: str) -> str:
    return "" if bad_rows == _SKIP else " Or pass bad_rows='skip' to skip such rows and count them."


def read_header(path: str, delimiter: str) -> list[str]:
    """The column names on the first line of `path`; DataError if it is empty or unreadable."""
    with open(path, "rb") as f:
        first = f.readline()
    if not first.strip():
        raise DataError(f"CSV file {path}: line 1 is empty; expected a header line naming the "
                        f"columns (e.g. 'species,island,bill_length_mm'). Add a header or remove "
                        f"the empty file.")
    try:
        text = first.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(f"CSV file {path}, line 1 (header): bytes {first[exc.start:exc.end]!r} "
                        f"are not valid UTF-8. Re-save the file as UTF-8.") from None
    names = next(csv.reader(io.StringIO(text), delimiter=delimiter))
    blank = [i + 1 for i, n in enumerate(names) if not n.strip()]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if blank or dupes:
        raise DataError(f"CSV file {path}, line 1 (header): every column needs a unique, "
                        f"non-empty name; found empty names at positions {blank} and repeated "
                        f"names {dupes}. Fix the header.")
    return names


def locate_field_count_error(path: str, delimiter: str, expected: int) -> tuple[int, int, str]:
    """(line, fields, row text) of the first row of `path` without `expected` fields."""
    with open(path, encoding="utf-8", errors="replace", newline="") as f:
        reader = csv.reader(f, delimiter=delimiter)
        for row in reader:
            if row and len(row) != expected:
                return reader.line_num, len(row), delimiter.join(row)
    return 0, 0, ""


def locate_undecodable(path: str) -> tuple[int, bytes]:
    """(line, offending bytes) of the first line of `path` that is not valid UTF-8."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    with open(path, "rb") as f:
        for number, line in enumerate(f, start=1):
            try:
                decoder.decode(line)
            except UnicodeDecodeError as exc:
                return number, line[exc.start: exc.end + 4]
    return 0, b""


def _csv_reader(path: str, delimiter: str, column_types: dict[str, Any], handler: Any) -> Any:
    import pyarrow.csv as pacsv

    return pacsv.open_csv(
        path,
        read_options=pacsv.ReadOptions(block_size=BLOCK_SIZE),
        parse_options=pacsv.ParseOptions(delimiter=delimiter, invalid_row_handler=handler,
                                         newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(column_types=column_types,
                                             strings_can_be_null=True),
    )


def _arrow_type(kind: str) -> pa.DataType:
    import pyarrow as pa

    return {_INT: pa.int64(), _FLOAT: pa.float32(), _STRING: pa.binary()}[kind]


class Executor(BaseExampleGenExecutor):
    """CsvExampleGen's executor.

    exec_properties: `input_base`, `input_config`, `output_config` (see CsvExampleGen),
    `bad_rows` ("error" or "skip"), `delimiter` (default ","). output_dict: {"examples":
    [Examples]}; writes `{uri}/Split-<name>/data_tfrecord-*.gz`.
    """

    INPUT_FORMAT = "csv"

    def prepare(self, files: list[str], exec_properties: dict[str, Any]) -> CsvPlan:
        """Check headers, field counts and UTF-8 in every file; infer column types."""
        import pyarrow as pa
        import pyarrow.compute as pc

        bad_rows = exec_properties.get("bad_rows") or _ERROR
        if bad_rows not in (_ERROR, _SKIP):
            raise DataError(f"CsvExampleGen bad_rows: expected 'error' or 'skip', found "
                            f"{bad_rows!r}.")
        delimiter = exec_properties.get("delimiter") or ","
        names = read_header(files[0], delimiter)
        for path in files[1:]:
            other = read_header(path, delimiter)
            if other != names and len(other) != len(names):
                # Not quoted: a first line with another field count may be no header at all
                # (a non-CSV file), and file content never goes into errors or the store.
                raise DataError(
                    f"CSV header mismatch: {path}, line 1 has {len(other)} field(s), but the "
                    f"header of {files[0]} has {len(names)} ({names}). Every file of an "
                    f"ExampleGen must be a CSV file with the same columns in the same order: "
                    f"remove the file from input_base, or move it to its own input split.")
            if other != names:
                raise DataError(
                    f"CSV header mismatch: {path}, line 1 has columns {other}, but {files[0]} "
                    f"has {names}. Every file of an ExampleGen must have the same columns in the "
                    f"same order: fix the header, or move the file to its own input split.")
        kinds = dict.fromkeys(names, _INT)
        seen_values = dict.fromkeys(names, False)
        plan = CsvPlan(names, {}, {})
        as_binary = {name: pa.binary() for name in names}
        for path in files:
            invalid: list[Any] = []

            def handler(row: Any, invalid: list[Any] = invalid) -> str:
                invalid.append(row)
                return _SKIP if bad_rows == _SKIP else _ERROR

            drop: list[int] = []
            offset = 0
            try:
                for batch in _csv_reader(path, delimiter, as_binary, handler):
                    bad = self._undecodable_rows(batch)
                    if bad:
                        if bad_rows == _ERROR:
                            self._raise_undecodable(path, bad_rows)
                        drop.extend(offset + i for i in bad)
                        keep = pa.array([i not in bad for i in range(batch.num_rows)])
                        batch = batch.filter(keep)
                    offset += batch.num_rows + len(bad)
                    for name, column in zip(names, batch.columns, strict=True):
                        if column.null_count < len(column):
                            seen_values[name] = True
                            kinds[name] = self._widen(kinds[name], column, pc)
            except pa.ArrowInvalid as exc:
                if invalid and bad_rows == _ERROR:
                    line, found, text = locate_field_count_error(path, delimiter, len(names))
                    where = f"line {line}" if line else "a row"
                    raise DataError(
                        f"CSV file {path}, {where}: expected {len(names)} fields as in the "
                        f"header, found {found or invalid[0].actual_columns}: "
                        f"{(text or invalid[0].text)[:200]!r}. Fix the row (quote values that "
                        f"contain {delimiter!r}).{_fix_hint(bad_rows)}") from None
                raise DataError(f"CSV file {path}: could not be parsed: {exc}. Check that it "
                                f"is a {delimiter!r}-delimited CSV file with a header line."
                                f"{_fix_hint(bad_rows)}") from None
            plan.skipped += len(invalid) + len(drop)
            if drop:
                plan.drop_rows[path] = drop
        plan.column_types = {n: kinds[n] if seen_values[n] else _STRING for n in names}
        return plan

    @staticmethod
    def _widen(kind: str, column: pa.Array, pc: Any) -> str:
        """The narrowest of int, float, string that holds `column` and everything seen before."""
        import pyarrow as pa

        for candidate, arrow_type in ((_INT, pa.int64()), (_FLOAT, pa.float64())):
            if kind not in (candidate, _INT):
                continue
            try:
                pc.cast(column, arrow_type)
                return candidate
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                continue
        return _STRING

    @staticmethod
    def _undecodable_rows(batch: pa.RecordBatch) -> set[int]:
        import pyarrow as pa

        bad: set[int] = set()
        for column in batch.columns:
            try:
                column.cast(pa.string())
            except pa.ArrowInvalid:
                for i, value in enumerate(column.to_pylist()):
                    if value is not None:
                        try:
                            value.decode("utf-8")
                        except UnicodeDecodeError:
                            bad.add(i)
        return bad

    @staticmethod
    def _raise_undecodable(path: str, bad_rows: str) -> None:
        line, excerpt = locate_undecodable(path)
        raise DataError(
            f"CSV file {path}, line {line}: bytes {excerpt!r} are not valid UTF-8 (expected "
            f"UTF-8 text). Re-save the file as UTF-8 (e.g. `iconv -f latin1 -t utf-8`)."
            f"{_fix_hint(bad_rows)}")

    def read(self, path: str, prepared: CsvPlan, exec_properties: dict[str, Any]
             ) -> Iterator[_Item]:
        """Stream `path` as RecordBatches typed as `prepare` inferred, bad rows dropped."""
        import numpy as np
        import pyarrow as pa

        delimiter = exec_properties.get("delimiter") or ","
        types = {n: _arrow_type(k) for n, k in prepared.column_types.items()}
        drop = prepared.drop_rows.get(path)
        if not drop:
            for batch in _csv_reader(path, delimiter, types, lambda row: _SKIP):
                yield _Item(batch=batch)
            return
        # Undecodable rows may hold anything in numeric columns: read text, drop, then cast.
        as_binary = {name: pa.binary() for name in types}
        drop_array = np.array(drop, dtype=np.int64)
        offset = 0
        for batch in _csv_reader(path, delimiter, as_binary, lambda row: _SKIP):
            rows = np.arange(offset, offset + batch.num_rows)
            offset += batch.num_rows
            batch = batch.filter(pa.array(~np.isin(rows, drop_array)))
            columns = [column.cast(pa.string()).cast(types[name]) if types[name] != pa.binary()
                       else column for name, column in zip(batch.schema.names, batch.columns,
                                                           strict=True)]
            yield _Item(batch=pa.RecordBatch.from_arrays(columns, batch.schema.names))

    def feature_types(self, prepared: CsvPlan) -> dict[str, str]:
        """Every CSV row yields every column with at most one value: the types are exact."""
        names = {_INT: "int", _FLOAT: "float", _STRING: "bytes"}
        return {n: names[k] for n, k in prepared.column_types.items()}

    def bad_rows_skipped(self, prepared: CsvPlan) -> int:
        """Rows skipped under bad_rows='skip': wrong field count plus undecodable bytes."""
        return prepared.skipped


__all__ = ["CsvPlan", "Executor"]
