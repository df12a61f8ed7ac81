"""CsvExampleGen executor: CSV files -> split, gzipped tf.Example TFRecords.

Values and types are TFX's (`tfx_bsl.coders.csv_decoder`, see `decoding.py`): a column is int
if every value is a Python int within int64, else float if every value is a Python float, else
string; only an empty cell is missing. Our deliberate differences are options (see
CsvExampleGen): null tokens (default NA, N/A, n/a, NULL, null) are missing too, the header is read
as a CSV row with names stripped, a mostly numeric column with a few text cells stops the run,
and `skip_initial_space` drops spaces after delimiters.

Two streaming passes with pyarrow's CSV reader (bounded memory, C++ parsing):

1. `prepare` checks every file (same header everywhere, the right number of fields per row,
   valid UTF-8, a header that looks like another delimiter) and classifies every cell, so the
   types hold over ALL rows; it also finds text in numeric columns, date/timestamp columns and
   other shapes worth a note.
2. `read` parses again with those types fixed (pyarrow's typed parser where it reads numbers as
   Python does, our conversion where not) and hands RecordBatches to the shared engine
   (`tfxkit.components.example_gen.executor`), which encodes, splits and writes them. On
   Beam, a file bigger than `RANGE_BYTES` is read in byte ranges cut on row boundaries
   (`ranges.py`), one Beam element each, so one big file spreads over the workers.

Bad input raises `DataError` naming file and line; with `bad_rows="skip"` bad rows are skipped
and counted (custom property `bad_rows_skipped` on the Examples artifact).
Heavy libraries (pyarrow, numpy) are imported inside functions only.
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import io
import json
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from tfxkit.components.csv_example_gen import decoding, ranges
from tfxkit.components.csv_example_gen.decoding import (
    FLOAT,
    INT,
    STRING,
    ColumnState,
    CsvOptions,
)
from tfxkit.components.example_gen.executor import BaseExampleGenExecutor, _Item
from tfxkit.errors import DataError

if TYPE_CHECKING:
    import pyarrow as pa

BLOCK_SIZE = 8 << 20
_SKIP, _ERROR = decoding.SKIP, decoding.ERROR
_OTHER_DELIMITERS = {";": "semicolon", "\t": "tab", "|": "pipe", ",": "comma"}


@dataclasses.dataclass
class CsvPlan:
    """What the checking pass learned: column names and types over all files, which rows
    `read` must drop (undecodable rows and, under bad_rows='skip', rows with text in a numeric
    column; by index among the well-formed rows of their file), and what to report."""

    column_names: list[str]
    column_types: dict[str, str]
    drop_rows: dict[str, list[int]]
    skipped: int = 0
    options: CsvOptions = dataclasses.field(default_factory=CsvOptions)
    plain: dict[str, bool] = dataclasses.field(default_factory=dict)
    notes: list[str] = dataclasses.field(default_factory=list)
    properties: dict[str, str] = dataclasses.field(default_factory=dict)


def _fix_hint(bad_rows: str) -> str:
    return "" if bad_rows == _SKIP else " Or pass bad_rows='skip' to skip such rows and count them."


def read_header(path: str, options: CsvOptions | str = ",") -> list[str]:
    """The column names on the first line of `path`; DataError if it is empty, unreadable,
    has empty or repeated names, or is one column that looks like another delimiter.

    With `strip_header_names` (default) the line is read as a CSV row (quotes removed, a UTF-8
    byte-order mark dropped) and each name is stripped of surrounding whitespace; without it
    the names are TFX's: the line stripped, then split at the delimiter as it is.
    """
    if isinstance(options, str):
        options = CsvOptions(delimiter=options)
    delimiter = options.delimiter
    with open(path, "rb") as f:
        first = f.readline()
    if not first.strip():
        raise DataError(f"CSV file {path}: line 1 is empty; expected a header line naming the "
                        f"columns (e.g. 'species,island,bill_length_mm'). Add a header or remove "
                        f"the empty file.")
    try:
        text = first.decode("utf-8-sig" if options.strip_header_names else "utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(f"CSV file {path}, line 1 (header): bytes {first[exc.start:exc.end]!r} "
                        f"are not valid UTF-8. Re-save the file as UTF-8.") from None
    if options.strip_header_names:
        names = next(csv.reader(io.StringIO(text), delimiter=delimiter,
                                skipinitialspace=options.skip_initial_space), [])
        names = [n.strip() for n in names]
    else:
        names = text.strip().split(delimiter)
        if options.skip_initial_space:
            names = [n.lstrip(" ") for n in names]
    if len(names) == 1:
        _check_delimiter(path, text, delimiter)
    blank = [i + 1 for i, n in enumerate(names) if not n.strip()]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if blank or dupes:
        raise DataError(f"CSV file {path}, line 1 (header): every column needs a unique, "
                        f"non-empty name; found empty names at positions {blank} and repeated "
                        f"names {dupes}. Fix the header.")
    return names


def _check_delimiter(path: str, header: str, delimiter: str) -> None:
    """A one-column header holding `;`, a tab or `|` is a file with another delimiter."""
    counts = {d: header.count(d) for d in _OTHER_DELIMITERS if d != delimiter}
    likely = max(counts, key=lambda d: counts[d]) if counts else ""
    if likely and counts[likely]:
        raise DataError(
            f"CSV file {path}, line 1 (header): read with delimiter={delimiter!r} it is ONE "
            f"column, but it contains {counts[likely]} {_OTHER_DELIMITERS[likely]}(s) "
            f"({likely!r}): the file looks {likely!r}-delimited. Pass delimiter={json.dumps(likely)} "
            f"to CsvExampleGen (e.g. CsvExampleGen(input_base=..., "
            f"delimiter={json.dumps(likely)})).")


def locate_field_count_error(path: str, delimiter: str, expected: int) -> tuple[int, int, str]:
    """(line, fields, row text) of the first row of `path` without `expected` fields; (0, 0,
    "") if there is none or the csv module cannot read the file (e.g. a huge field)."""
    with open(path, encoding="utf-8", errors="replace", newline="") as f:
        reader = csv.reader(f, delimiter=delimiter)
        try:
            for row in reader:
                if row and len(row) != expected:
                    return reader.line_num, len(row), delimiter.join(row)
        except csv.Error:
            pass
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


def locate_row(path: str, delimiter: str, expected: int, index: int) -> int:
    """File line where data row `index` of `path` starts (counting, as pyarrow does, only
    non-empty rows with `expected` fields after the header); 0 if there is no such row."""
    with open(path, encoding="utf-8", errors="replace", newline="") as f:
        reader = csv.reader(f, delimiter=delimiter)
        try:
            next(reader, None)
            row_index = -1
            start = reader.line_num + 1
            for row in reader:
                if row and len(row) == expected:
                    row_index += 1
                    if row_index == index:
                        return start
                start = reader.line_num + 1
        except csv.Error:
            pass
    return 0


def _csv_reader(path: str, names: list[str], options: CsvOptions, column_types: dict[str, Any],
                handler: Any, null_values: list[str],
                byte_range: tuple[int, int] | None = None) -> Any:
    """pyarrow's streaming CSV reader over `path`, or over the bytes `byte_range` of it (a
    range starting at 0 holds the header, which is skipped; the others start on a row)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    source: Any = path
    skip = 1
    if byte_range is not None:
        start, end = byte_range
        with pa.memory_map(path) as mapped:
            source = pa.BufferReader(mapped.read_at(end - start, start))
        skip = 1 if start == 0 else 0
    return pacsv.open_csv(
        source,
        read_options=pacsv.ReadOptions(block_size=BLOCK_SIZE, skip_rows=skip, column_names=names),
        parse_options=pacsv.ParseOptions(delimiter=options.delimiter,
                                         invalid_row_handler=handler, newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(column_types=column_types, null_values=null_values,
                                             strings_can_be_null=True,
                                             quoted_strings_can_be_null=True),
    )


def _arrow_type(kind: str, plain: bool) -> pa.DataType:
    """What pyarrow parses a column as in `read`: numbers directly only where its parser reads
    them as Python does (floats as float64: TFX rounds Python's double to float32)."""
    import pyarrow as pa

    if plain and kind == INT:
        return pa.int64()
    if plain and kind == FLOAT:
        return pa.float64()
    return pa.binary()


class Executor(BaseExampleGenExecutor):
    """CsvExampleGen's executor.

    exec_properties: `input_base`, `input_config`, `output_config` (see CsvExampleGen),
    `bad_rows`, `delimiter`, `null_values`, `mixed_columns`, `skip_initial_space`,
    `strip_header_names`. output_dict: {"examples": [Examples]}; writes
    `{uri}/Split-<name>/data_tfrecord-*.gz`.
    """

    INPUT_FORMAT = "csv"
    RANGE_BYTES = ranges.RANGE_BYTES  # on Beam, a file bigger than this is read in ranges

    def prepare(self, files: list[str], exec_properties: dict[str, Any]) -> CsvPlan:
        """Check headers, field counts and UTF-8 in every file; classify every cell."""
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        options = CsvOptions.from_exec_properties(exec_properties)
        bad_rows, delimiter = options.bad_rows, options.delimiter
        names = read_header(files[0], options)
        for path in files[1:]:
            other = read_header(path, options)
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
        states = {name: ColumnState() for name in names}
        plan = CsvPlan(names, {}, {}, options=options)
        as_binary = {name: pa.binary() for name in names}
        # Raw cells try pyarrow's numeric parse first: it can only accept a null token that
        # is itself a number (then tokens must be cleared before classifying).
        numeric_tokens = any(decoding.classify_fast(pa.array([v.encode()], pa.binary()),
                                                    ColumnState()) for v in options.null_values)
        for path in files:
            invalid: list[Any] = []

            def handler(row: Any, invalid: list[Any] = invalid) -> str:
                invalid.append(row)
                return _SKIP if bad_rows == _SKIP else _ERROR

            drop: list[int] = []
            offset = 0
            try:
                for batch in _csv_reader(path, names, options, as_binary, handler, [""]):
                    bad = self._undecodable_rows(batch)
                    columns = list(batch.columns)
                    if bad:
                        if bad_rows == _ERROR:
                            self._raise_undecodable(path, bad_rows)
                        drop.extend(offset + i for i in sorted(bad))
                        mask = np.zeros(batch.num_rows, dtype=bool)
                        mask[sorted(bad)] = True
                        columns = [pc.if_else(pa.array(mask), pa.scalar(None, pa.binary()), c)
                                   for c in columns]
                    for name, column in zip(names, columns, strict=True):
                        state = states[name]
                        if not numeric_tokens and not options.skip_initial_space \
                                and decoding.classify_fast(column, state):
                            continue
                        column, replaced = decoding.clean_cells(
                            column, options.null_values, options.skip_initial_space)
                        state.nulls_replaced += replaced
                        decoding.classify(column, state, path, offset)
                    offset += batch.num_rows
            except pa.ArrowInvalid as exc:
                line, found, text = locate_field_count_error(path, delimiter, len(names))
                # pyarrow cannot hand a row that is also not UTF-8 to the handler: no skipping.
                undecodable = bool(line) and not invalid
                if (invalid and bad_rows == _ERROR) or undecodable:
                    where = f"line {line}" if line else "a row"
                    hint = (" The row is also not valid UTF-8, so bad_rows='skip' cannot skip "
                            "it: fix or remove it." if undecodable else _fix_hint(bad_rows))
                    raise DataError(
                        f"CSV file {path}, {where}: expected {len(names)} fields as in the "
                        f"header, found {found or invalid[0].actual_columns}: "
                        f"{(text or invalid[0].text)[:200]!r}. Fix the row (quote values that "
                        f"contain {delimiter!r}).{hint}") from None
                raise DataError(f"CSV file {path}: could not be parsed: {exc}. Check that it "
                                f"is a {delimiter!r}-delimited CSV file with a header line."
                                f"{_fix_hint(bad_rows)}") from None
            plan.skipped += len(invalid) + len(drop)
            if drop:
                plan.drop_rows[path] = drop
        self._decide(plan, states)
        return plan

    def _decide(self, plan: CsvPlan, states: dict[str, ColumnState]) -> None:
        """Column types from the counts; text in numeric columns stops the run (or its rows
        are skipped, or the column is text, per the options); notes for the rest."""
        options = plan.options
        mixed: dict[str, Any] = {}
        drops: dict[str, set[int]] = {}
        for name, state in states.items():
            kind = state.kind
            total = state.numbers + state.texts
            share = state.numbers / total if total else 0.0
            if state.texts and share > decoding.MIXED_MAJORITY:
                path, index, value = state.first_text or ("", 0, "")
                line = locate_row(path, options.delimiter, len(plan.column_names), index)
                where = f"CSV file {path}, line {line}, column {name!r}"
                if options.mixed_columns == "string":
                    mixed[name] = {"numbers": state.numbers, "texts": state.texts,
                                   "first": {"file": path, "line": line, "value": value}}
                    plan.notes.append(
                        f"column {name!r} read as text (mixed_columns='string'): "
                        f"{state.texts} value(s) are not numbers, first {value!r} at {path} "
                        f"line {line}; the other {state.numbers} are numbers")
                elif options.bad_rows == _SKIP:
                    if state.tracked < state.texts:
                        raise DataError(
                            f"{where}: {state.texts} values are not numbers (first {value!r}) "
                            f"while {state.numbers} are: too many rows to skip (at most "
                            f"{decoding.TRACK_LIMIT}). Fix the data, or pass "
                            f"mixed_columns='string' to read the column as text.")
                    for row_path, rows in state.text_rows.items():
                        drops.setdefault(row_path, set()).update(rows)
                    kind = state.numeric_kind
                    plan.notes.append(f"skipped {state.texts} row(s) whose {name!r} is not a "
                                      f"number (first {value!r} at {path} line {line})")
                else:
                    others = "value is" if state.texts == 1 else "values are"
                    raise DataError(
                        f"{where}: value {value!r} is not a number, but the column's other "
                        f"{state.numbers} values are numbers ({state.texts} {others} not). "
                        f"Expected a numeric column. Fix the value; if it marks a missing "
                        f"value, add it to null_values (e.g. null_values=['NA', {value!r}]); "
                        f"pass bad_rows='skip' to skip such rows (counted), or "
                        f"mixed_columns='string' to read the column as text (as TFX does).")
            elif state.texts and share > decoding.MIXED_NOTE:
                plan.notes.append(f"column {name!r} is text: {state.texts} value(s) are not "
                                  f"numbers, {state.numbers} are")
            plan.column_types[name] = kind
            plan.plain[name] = state.plain
        self._report_shapes(plan, states, mixed)
        for path, dropped in drops.items():
            known = set(plan.drop_rows.get(path, []))
            plan.skipped += len(dropped - known)
            plan.drop_rows[path] = sorted(known | dropped)

    @staticmethod
    def _report_shapes(plan: CsvPlan, states: dict[str, ColumnState],
                       mixed: dict[str, Any]) -> None:
        """Notes and artifact properties for string columns that hold dates, decimal-comma
        numbers or values that all start with a space, and for replaced null tokens."""
        strings = [n for n in plan.column_names if plan.column_types[n] == STRING]
        dates = {n: date for n in strings if (date := states[n].date)}
        if dates:
            plan.properties["date_columns"] = json.dumps(dates, sort_keys=True)
            kinds = " and ".join(f"{kind}s" for kind in sorted(set(dates.values())))
            plan.notes.append(
                f"date/timestamp column(s) {sorted(dates)} hold ISO {kinds} as text: as words "
                f"every value is its own category; turn them into numbers (year, month, day of "
                f"week, hour) or exclude them (recorded in date_columns)")
        comma = [n for n in strings if states[n].decimal_comma and states[n].texts]
        if comma:
            plan.notes.append(f"column(s) {comma} hold numbers with a decimal comma (e.g. "
                              f"'10,5') and are read as text; write them with '.' decimals")
        spaced = [n for n in strings if states[n].leading_space and states[n].texts]
        if spaced and not plan.options.skip_initial_space:
            plan.notes.append(f"every value of {spaced} starts with a space (kept, as TFX "
                              f"does); pass skip_initial_space=True to drop spaces after the "
                              f"delimiter")
        if mixed:
            plan.properties["mixed_columns"] = json.dumps(mixed, sort_keys=True)
        replaced = {n: s.nulls_replaced for n, s in states.items() if s.nulls_replaced}
        if replaced:
            plan.properties["null_values_replaced"] = json.dumps(replaced, sort_keys=True)

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

    def byte_ranges(self, path: str, prepared: CsvPlan) -> list[tuple[int, int]] | None:
        """Byte ranges of `path` starting on row boundaries (quoted newlines respected, see
        `ranges.py`), one per RANGE_BYTES, for Beam workers to convert side by side; None (the
        file is one unit) when it is small, or when `prepare` marked rows to drop: their
        indices count from the file's first row, which a range does not know."""
        if os.path.getsize(path) <= self.RANGE_BYTES or prepared.drop_rows.get(path):
            return None
        found = ranges.row_ranges(path, self.RANGE_BYTES, prepared.options.delimiter)
        return found if len(found) > 1 else None

    def read_range(self, path: str, byte_range: tuple[int, int], prepared: CsvPlan,
                   exec_properties: dict[str, Any]) -> Iterator[_Item]:
        """The rows of bytes `byte_range` of `path` (one of `byte_ranges`), as `read` makes
        them: the ranges of a file, read in order, yield exactly the rows of `read`."""
        return self.read(path, prepared, exec_properties, byte_range)

    def read(self, path: str, prepared: CsvPlan, exec_properties: dict[str, Any],
             byte_range: tuple[int, int] | None = None) -> Iterator[_Item]:
        """Stream `path` (or bytes `byte_range` of it) as RecordBatches typed as `prepare`
        decided, bad rows dropped."""
        import numpy as np
        import pyarrow as pa

        if byte_range is not None and byte_range[1] <= byte_range[0]:
            return

        options, names = prepared.options, prepared.column_names
        kinds = prepared.column_types
        drop = prepared.drop_rows.get(path)
        if drop and byte_range is not None:
            raise ValueError(f"{path}: rows to drop are counted from the file's start; read the "
                             f"whole file, not the range {byte_range}")
        manual = bool(drop) or options.skip_initial_space
        if manual:  # everything as text: drop rows, apply our cleaning, then convert
            types = {name: pa.binary() for name in names}
            nulls = [""]
        else:
            types = {n: _arrow_type(kinds[n], prepared.plain[n]) for n in names}
            nulls = ["", *options.null_values]
        convert = [i for i, n in enumerate(names)
                   if kinds[n] != STRING and types[n] == pa.binary()]
        drop_array = np.array(drop or [], dtype=np.int64)
        offset = 0  # rows of the file read so far (before dropping)
        for batch in _csv_reader(path, names, options, types, lambda row: _SKIP, nulls,
                                 byte_range):
            if drop:
                rows = np.arange(offset, offset + batch.num_rows)
                offset += batch.num_rows
                batch = batch.filter(pa.array(~np.isin(rows, drop_array)))
            if not manual and not convert:
                yield _Item(batch=batch)
                continue
            columns = list(batch.columns)
            for i, name in enumerate(names):
                if manual:
                    columns[i], _ = decoding.clean_cells(columns[i], options.null_values,
                                                         options.skip_initial_space)
                if i in convert:
                    columns[i] = decoding.to_number(columns[i], kinds[name])
            yield _Item(batch=pa.RecordBatch.from_arrays(columns, names))

    def feature_types(self, prepared: CsvPlan) -> dict[str, str]:
        """Every CSV row yields every column with at most one value: the types are exact."""
        kinds = {INT: "int", FLOAT: "float", STRING: "bytes"}
        return {n: kinds[k] for n, k in prepared.column_types.items()}

    def bad_rows_skipped(self, prepared: CsvPlan) -> int:
        """Rows skipped under bad_rows='skip': wrong field count, undecodable bytes, text in a
        numeric column."""
        return prepared.skipped

    def report(self, prepared: CsvPlan) -> tuple[list[str], dict[str, str]]:
        """Notes to print and custom properties to record on the Examples artifact."""
        return prepared.notes, prepared.properties


__all__ = ["CsvOptions", "CsvPlan", "Executor"]
