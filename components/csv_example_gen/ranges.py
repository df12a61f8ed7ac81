"""Split a big CSV file into byte ranges that start on true row boundaries.

A row boundary is the byte after a newline that is not inside a quoted value. Beam's text
readers (and TFX's CsvExampleGen on them) split at any newline, which cuts a quoted value that
holds a newline in two; Beam's `ReadFromCsv` refuses to split for that reason. Whether a newline
is quoted depends on everything before it, so `row_ranges` makes one sequential pre-pass over the
file (numpy over memory-mapped chunks, about as long as reading the file) that tracks the quoting state the
way pyarrow's and Python's CSV parsers do (double quote `"`, quotes doubled inside a quoted value,
no escape character):

- a quote opens a quoted value only at the start of a field (after the delimiter, a line end or
  the start of the file); elsewhere outside quotes it is a literal character (`5'10"`);
- inside a quoted value, a run of k quotes holds k // 2 escaped quotes and closes the value when
  k is odd; the rest of that field is then unquoted (its quotes literal).

So the state flips at each run of an odd number of quotes, except at a literal run. The pre-pass
counts the flips of a whole chunk at once and walks run by run in Python only from the first
literal run of a chunk on (rare in real data). Only `\\n` ends a range (CRLF lines end in `\\n`;
a file using bare `\\r` line ends stays one range), so a range never starts inside a multi-byte
UTF-8 character: those bytes are all >= 0x80.

A range is (start, end) in bytes; the first starts at 0 and holds the header. Ranges cover the
file without gaps, each at least `range_bytes` long except the last.
"""

from __future__ import annotations

import os
from typing import Any

RANGE_BYTES = 64 << 20  # a range per 64 MB (Beam's text sources aim at 64 MB bundles too)
_CHUNK = 16 << 20
_WINDOW = 1 << 16  # bytes looked at first for a newline after a target
_QUOTE = ord('"')
_NEWLINE = ord("\n")
_CARRIAGE_RETURN = ord("\r")


def row_ranges(path: str, range_bytes: int = RANGE_BYTES, delimiter: str = ",",
               chunk_bytes: int = _CHUNK) -> list[tuple[int, int]]:
    """Byte ranges of the CSV file at `path`, each `range_bytes` or more, cut only at row
    boundaries (see the module docstring). One range when the file is no bigger than
    `range_bytes`. `chunk_bytes` bounds the memory of the pre-pass (tests make it tiny)."""
    import numpy as np

    size = os.path.getsize(path)
    if size <= range_bytes:
        return [(0, size)]
    separators = np.array([ord(delimiter), _NEWLINE, _CARRIAGE_RETURN], dtype=np.uint8)
    data = np.memmap(path, dtype=np.uint8, mode="r")
    boundaries = [0]
    in_quotes = False
    target = range_bytes
    chunk_start = 0
    while chunk_start < size and target < size:
        chunk_end = min(size, chunk_start + max(chunk_bytes, 1))
        # A run of quotes must not straddle two chunks: this chunk takes all of it.
        while 0 < chunk_end < size and data[chunk_end - 1] == _QUOTE and data[chunk_end] == _QUOTE:
            chunk_end += 1
        chunk = np.asarray(data[chunk_start:chunk_end])
        runs, states_after, in_quotes_end = _quote_runs(chunk, chunk_start, in_quotes, separators,
                                                        data)
        while target < chunk_end:
            cut = _first_unquoted_newline(chunk, chunk_start, max(target, chunk_start),
                                          runs, states_after, in_quotes)
            if cut is None:
                break
            boundaries.append(cut + 1)
            target = cut + 1 + range_bytes
        in_quotes = in_quotes_end
        chunk_start = chunk_end
    del data
    boundaries = [b for b in boundaries if b < size]
    return [(start, end) for start, end in zip(boundaries, [*boundaries[1:], size], strict=True)]


def _quote_runs(chunk: Any, offset: int, in_quotes: bool, separators: Any, data: Any
                ) -> tuple[Any, Any, bool]:
    """(run start positions relative to the chunk, quoting state after each run, state at the
    chunk's end), starting from `in_quotes`."""
    import numpy as np

    quotes = np.flatnonzero(chunk == _QUOTE)
    if not len(quotes):
        return quotes, np.zeros(0, dtype=bool), in_quotes
    first = np.ones(len(quotes), dtype=bool)
    first[1:] = quotes[1:] != quotes[:-1] + 1
    starts = quotes[first]
    lengths = np.diff(np.append(np.flatnonzero(first), len(quotes)))
    odd = (lengths % 2).astype(bool)
    previous = np.empty(len(starts), dtype=np.uint8)
    inside = starts > 0
    previous[inside] = chunk[starts[inside] - 1]
    if not inside[0]:  # the run opens the chunk: its previous byte ends the last chunk
        previous[0] = data[offset - 1] if offset else _NEWLINE
    field_start = np.isin(previous, separators)
    # Assume every run flips the state when odd; exact up to the first run that is outside
    # quotes and not at a field start (a literal quote), from where we walk run by run.
    after = np.logical_xor(in_quotes, np.cumsum(odd) % 2 == 1)
    before = np.empty(len(starts), dtype=bool)
    before[0] = in_quotes
    before[1:] = after[:-1]
    literal = np.flatnonzero(~before & ~field_start)
    if len(literal):
        state = bool(before[literal[0]])
        for j in range(int(literal[0]), len(starts)):
            if state:
                state = not odd[j]
            elif field_start[j]:
                state = bool(odd[j])
            after[j] = state
    return starts, after, bool(after[-1])


def _first_unquoted_newline(chunk: Any, offset: int, target: int, runs: Any, states_after: Any,
                            in_quotes: bool) -> int | None:
    """File position of the first newline at or after `target` in the chunk that is outside
    quotes; None if the chunk has none."""
    import numpy as np

    begin, window = target - offset, _WINDOW
    while begin < len(chunk):  # look near the target first: rows are short
        newlines = np.flatnonzero(chunk[begin:begin + window] == _NEWLINE) + begin
        begin, window = begin + window, window * 2
        if not len(newlines):
            continue
        if not len(runs):
            if in_quotes:
                return None
            return int(newlines[0]) + offset
        index = np.searchsorted(runs, newlines, side="right") - 1
        quoted = np.where(index >= 0, states_after[np.maximum(index, 0)], in_quotes)
        free = np.flatnonzero(~quoted)
        if len(free):
            return int(newlines[free[0]]) + offset
    return None


__all__ = ["RANGE_BYTES", "row_ranges"]
