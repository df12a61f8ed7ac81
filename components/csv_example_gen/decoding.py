"""TFX's CSV value semantics, vectorized over pyarrow columns.

TFX (`tfx_bsl.coders.csv_decoder`) types every cell with Python: `int(cell)` within int64 is
INT, else `float(cell)` is FLOAT, else STRING (so an integer beyond int64 is a STRING); a column
takes the widest type of its cells; only an empty cell is missing. `int()` and `float()` accept
surrounding ASCII whitespace, `_` between digits, a `+` sign, and `float()` accepts `inf`,
`infinity` and `nan` in any case; a FLOAT value is Python's double rounded to float32.

pyarrow's typed CSV parsing differs (no whitespace, no `_`, no `+`, hex `0x..` accepted as int,
float32 parsed directly instead of double then float32, default null words such as `NaN` and
`NA` erased), so this module classifies cells with regular expressions that equal Python's
grammar (checked against `int()`/`float()` by the differential test) and converts only the cells
that need it. pyarrow's own typed parsing is kept where it gives Python's values (`plain`
columns), which is nearly always.

Heavy libraries (pyarrow, numpy) are imported inside functions only.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from tfxkit.errors import DataError

if TYPE_CHECKING:
    import pyarrow as pa

INT, FLOAT, STRING = "int", "float", "string"

# Python's int()/float() grammar on bytes: ASCII whitespace around, '_' between digits.
_WS = "[ \t\n\x0b\x0c\r]*"
_DIGITS = "[0-9](?:_?[0-9])*"
INT_PATTERN = f"^{_WS}[+-]?{_DIGITS}{_WS}$"
FLOAT_PATTERN = (f"^{_WS}[+-]?(?:(?:{_DIGITS}(?:\\.(?:{_DIGITS})?)?|\\.{_DIGITS})"
                 f"(?:[eE][+-]?{_DIGITS})?|(?i:inf(?:inity)?|nan)){_WS}$")
ISO_DATE_PATTERN = r"^[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])$"
ISO_TIMESTAMP_PATTERN = (r"^[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])[T ]"
                         r"[0-2][0-9]:[0-5][0-9](?::[0-6][0-9](?:[.,][0-9]+)?)?"
                         r"(?:Z|[+-][0-2][0-9](?::?[0-5][0-9])?)?$")
DECIMAL_COMMA_PATTERN = r"^[+-]?[0-9]+,[0-9]+$"
_INT64_MAX = (1 << 63) - 1
_LONG_DIGITS = 19  # a digit string shorter than this always fits int64
MIXED_MAJORITY = 0.5  # numbers above this share of a column's values: text cells are errors
MIXED_NOTE = 0.1  # a text column with more numbers than this share is reported
TRACK_LIMIT = 10_000  # text cells remembered per column (to skip their rows)
_SHOWN = 200  # bytes of a value shown in messages

DEFAULT_NULL_VALUES = ("NA", "N/A", "n/a", "NULL", "null")
ERROR, SKIP = "error", "skip"


@dataclasses.dataclass(frozen=True)
class CsvOptions:
    """CsvExampleGen's reading options, checked (see the component for their meaning)."""

    delimiter: str = ","
    bad_rows: str = ERROR
    null_values: tuple[str, ...] = DEFAULT_NULL_VALUES
    mixed_columns: str = ERROR
    skip_initial_space: bool = False
    strip_header_names: bool = True

    @classmethod
    def from_exec_properties(cls, props: dict[str, Any]) -> CsvOptions:
        """Read and check the options; DataError naming the bad one and its allowed values."""
        bad_rows = props.get("bad_rows") or ERROR
        if bad_rows not in (ERROR, SKIP):
            raise DataError(f"CsvExampleGen bad_rows: expected 'error' or 'skip', found "
                            f"{bad_rows!r}.")
        mixed = props.get("mixed_columns") or ERROR
        if mixed not in (ERROR, "string"):
            raise DataError(f"CsvExampleGen mixed_columns: expected 'error' or 'string', found "
                            f"{mixed!r}.")
        delimiter = props.get("delimiter") or ","
        if len(delimiter) != 1 or delimiter in "\"\r\n":
            raise DataError(f"CsvExampleGen delimiter: expected one character such as ',', ';', "
                            f"'\\t' or '|', found {delimiter!r}.")
        nulls = props.get("null_values")
        if nulls is None:
            nulls = DEFAULT_NULL_VALUES
        if isinstance(nulls, str) or not all(isinstance(v, str) and v for v in nulls):
            raise DataError(f"CsvExampleGen null_values: expected a list of non-empty strings "
                            f"such as ['NA', 'n/a'], found {nulls!r}.")
        strip = props.get("strip_header_names")
        return cls(delimiter, bad_rows, tuple(nulls), mixed,
                   bool(props.get("skip_initial_space")), True if strip is None else bool(strip))




@dataclasses.dataclass
class ColumnState:
    """What the checking pass learned about one column (summed over all files and batches).

    `numbers` counts cells that are Python ints within int64 or Python floats; `texts` the
    others (non-empty, not a null token). `plain` stays True while pyarrow's typed parser reads
    every number as Python does (no whitespace, `_`, `+`). `date` is "" (undecided), "date",
    "timestamp" or None (not every value is an ISO date/timestamp).
    """

    numbers: int = 0
    has_float: bool = False
    texts: int = 0
    plain: bool = True
    nulls_replaced: int = 0
    first_text: tuple[str, int, str] | None = None
    text_rows: dict[str, list[int]] = dataclasses.field(default_factory=dict)
    tracked: int = 0
    date: str | None = ""
    decimal_comma: bool | None = None
    leading_space: bool | None = None

    @property
    def kind(self) -> str:
        """TFX's type of the column: string if any text, float if any float, else int."""
        if self.texts:
            return STRING
        if self.has_float:
            return FLOAT
        return INT if self.numbers else STRING

    @property
    def numeric_kind(self) -> str:
        """The column's type if its text cells were dropped."""
        return FLOAT if self.has_float else INT


def _bool_numpy(mask: Any) -> Any:
    return mask.fill_null(False).to_numpy(zero_copy_only=False)


def clean_cells(column: pa.Array, null_values: tuple[str, ...], skip_initial_space: bool
                ) -> tuple[pa.Array, int]:
    """`column` (binary, empty cells null) with our deliberate differences from TFX applied:
    null tokens become missing and, with `skip_initial_space`, spaces after the delimiter go
    (a value then quoted, `a, "b"`, loses its quotes, as Python's csv module reads it).
    Returns the column and how many cells became missing because of a null token."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    if skip_initial_space and len(column) - column.null_count:
        text = pc.utf8_ltrim(column.cast(pa.string()), characters=" ")
        quoted = _bool_numpy(pc.match_substring_regex(text, r'^".*"$'))
        if quoted.any():
            unquoted = pc.replace_substring(pc.utf8_slice_codeunits(text, 1, -1), '""', '"')
            text = pc.if_else(pa.array(quoted), unquoted, text)
        column = text.cast(pa.binary())
        empty = _bool_numpy(pc.equal(pc.binary_length(column), 0))
        if empty.any():
            column = pc.if_else(pa.array(empty), pa.scalar(None, pa.binary()), column)
    if not null_values or column.null_count == len(column):
        return column, 0
    longest = max(len(v.encode()) for v in null_values)
    short = _bool_numpy(pc.less_equal(pc.binary_length(column), longest))
    if not short.any():
        return column, 0
    rows = np.flatnonzero(short)
    hits = _bool_numpy(pc.is_in(column.take(pa.array(rows)),
                                value_set=pa.array([v.encode() for v in null_values],
                                                   pa.binary())))
    if not hits.any():
        return column, 0
    mask = np.zeros(len(column), dtype=bool)
    mask[rows[hits]] = True
    return pc.if_else(pa.array(mask), pa.scalar(None, pa.binary()), column), int(hits.sum())


def _out_of_int64(column: pa.Array, int_syntax: Any | None = None) -> Any:
    """Mask of the cells with int syntax (plain digit strings when `int_syntax` is None) whose
    value is beyond int64: TFX types those STRING. Only long cells are looked at."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    result = np.zeros(len(column), dtype=bool)
    long = _bool_numpy(pc.greater_equal(pc.binary_length(column), _LONG_DIGITS))
    if int_syntax is not None:
        long &= int_syntax
    rows = np.flatnonzero(long)
    if not len(rows):
        return result
    if int_syntax is None:
        cells = column.take(pa.array(rows))
        rows = rows[_bool_numpy(pc.match_substring_regex(cells, "^[+-]?[0-9]+$"))]
    cells = column.take(pa.array(rows))
    if not len(rows) or pc.all(pc.match_substring_regex(cells, "^[+-]?[0-9]+$")).as_py():
        try:
            pc.cast(cells, pa.int64())
            return result
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            pass
    for i, cell in zip(rows, cells.to_pylist(), strict=True):
        result[i] = not -_INT64_MAX - 1 <= int(cell) <= _INT64_MAX
    return result


def classify_fast(column: pa.Array, state: ColumnState) -> bool:
    """Add a batch of a column to `state` if pyarrow's parser accepts every cell as a number
    and Python agrees with it (the common case, no regular expressions); else False."""
    import pyarrow as pa
    import pyarrow.compute as pc

    present = len(column) - column.null_count
    if not present:
        return True
    if state.texts:
        return False
    if not state.has_float:  # a failing cast costs as much as a parse: try int only while int
        try:
            pc.cast(column, pa.int64())
            if not pc.any(pc.starts_with(column, "0x", ignore_case=True)).as_py():
                state.numbers += present
                return True
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            pass
    try:
        pc.cast(column, pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return False
    # The int cast failed on a float cell or on an integer beyond int64 (a STRING).
    if _out_of_int64(column).any():
        return False
    state.numbers += present
    state.has_float = True
    return True


def classify(column: pa.Array, state: ColumnState, path: str, offset: int) -> None:
    """Add the cells of one batch of a column (binary, missing cells null) to `state`.
    `offset` is the index of the batch's first row among the rows of `path`."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    if classify_fast(column, state):
        return
    valid = _bool_numpy(pc.is_valid(column))
    float_syntax = _bool_numpy(pc.match_substring_regex(column, FLOAT_PATTERN))
    int_syntax = np.zeros(len(column), dtype=bool)
    if float_syntax.any():  # int syntax is a subset: only look there
        rows = np.flatnonzero(float_syntax)
        int_syntax[rows] = _bool_numpy(pc.match_substring_regex(
            column.take(pa.array(rows)), INT_PATTERN))
    too_big = _out_of_int64(column, int_syntax)
    numbers = float_syntax & ~too_big
    text = valid & ~numbers
    state.numbers += int(numbers.sum())
    state.has_float = state.has_float or bool((float_syntax & ~int_syntax).any())
    if state.plain and numbers.any():
        try:
            pc.cast(column.filter(pa.array(numbers)),
                    pa.int64() if not (float_syntax & ~int_syntax).any() else pa.float64())
            if pc.any(pc.starts_with(column.filter(pa.array(numbers)), "0x",
                                     ignore_case=True)).as_py():
                state.plain = False
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            state.plain = False
    if not text.any():
        return
    rows = np.flatnonzero(text)
    state.texts += len(rows)
    if state.first_text is None:
        value = column[int(rows[0])].as_py()[:_SHOWN].decode("utf-8", errors="replace")
        state.first_text = (path, offset + int(rows[0]), value)
    if state.tracked < TRACK_LIMIT:
        take = rows[: TRACK_LIMIT - state.tracked]
        state.text_rows.setdefault(path, []).extend(int(offset + r) for r in take)
        state.tracked += len(take)
    _track_shapes(column, valid, text, state)


def _track_shapes(column: pa.Array, valid: Any, text: Any, state: ColumnState) -> None:
    """Follow whether every value is an ISO date/timestamp, every text value a number with a
    decimal comma, every value starts with a space (each stops at its first counter-example)."""
    import pyarrow.compute as pc

    def share(pattern: str) -> bool:
        return bool(_bool_numpy(pc.match_substring_regex(column, pattern))[valid].all())

    if state.date is not None:
        if share(ISO_DATE_PATTERN):
            state.date = state.date or "date"
        elif share(f"(?:{ISO_DATE_PATTERN})|(?:{ISO_TIMESTAMP_PATTERN})"):
            state.date = "timestamp"
        else:
            state.date = None
    if state.decimal_comma is not False:
        state.decimal_comma = bool(
            _bool_numpy(pc.match_substring_regex(column, DECIMAL_COMMA_PATTERN))[text].all())
    if state.leading_space is not False:
        state.leading_space = bool(
            _bool_numpy(pc.starts_with(column, " "))[valid].all())


def to_number(column: pa.Array, kind: str) -> pa.Array:
    """Python's int()/float() of every cell of `column` (binary; every non-null cell a
    number of `kind`), as int64 or float64 (float32 rounding happens when encoding, after the
    double, as in TFX)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    target = pa.int64() if kind == INT else pa.float64()
    try:
        if not pc.any(pc.starts_with(column, "0x", ignore_case=True)).as_py():
            return pc.cast(column, target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    text = pc.utf8_trim(column.cast(pa.string()), characters=" \t\n\x0b\x0c\r")
    text = pc.utf8_ltrim(pc.replace_substring(text, "_", ""), characters="+")
    return pc.cast(text, target)


__all__ = ["DEFAULT_NULL_VALUES", "FLOAT", "INT", "STRING", "ColumnState", "CsvOptions", "classify",
           "classify_fast", "clean_cells", "to_number"]
