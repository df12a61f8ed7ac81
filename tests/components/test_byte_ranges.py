"""CsvExampleGen's byte ranges: a big file is cut on row boundaries for Beam workers.

Proven three ways, on small files with a tiny range size forced by the parameter:
1. every cut `row_ranges` makes is the first true row boundary at or after its target, by a
   byte-by-byte reference parser with pyarrow's quoting rules (random files: quoted newlines and
   delimiters, doubled quotes, literal quotes inside unquoted fields, CRLF, empty lines, a last
   line without newline, 1- to 4-byte UTF-8 characters), for every range size and tiny chunks;
2. the rows of a file's ranges, read in order, are exactly the rows of the whole-file read
   (values and types, same order);
3. the Beam path (DirectRunner) with ranges writes the same examples in the same order per split
   (shards read in name order) as with one range per file, and the same multiset as the
   in-process path (TFX itself promises no order).
"""

from __future__ import annotations

import glob
import itertools
import json
import random
from pathlib import Path
from typing import Any

import pytest

from tests.components.data_helpers import input_dir, read_split
from tfxkit.components.csv_example_gen import ranges
from tfxkit.components.csv_example_gen.executor import Executor
from tfxkit.types.standard_artifacts import Examples

HEADER = "id,text,value\n"
# Each case: the data rows (the header is added), chosen so a tiny range size cuts through
# every hard spot.
CASES = {
    "quoted_newlines": ('1,"line one\nline two",1.5\n2,"a, b\nc",2\n3,"""quoted""\nnext",3\n'
                        '4,plain,4\n'),
    "crlf": '1,a,1\r\n2,"b\r\nc",2\r\n3,c,3\r\n',
    "no_final_newline": '1,a,1\n2,"two\nlines",2\n3,last,3',
    "empty_lines": '1,a,1\n\n\n2,b,2\n\r\n3,"c\n\nd",3\n\n',
    "utf8": ('1,é€😀ü,1\n2,"ü\n€",2\n3,😀😀😀😀,3\n4,ßßßßßßß,4\n5,"€,€\n€",5\n'),
    "literal_quotes": '1,5\'10",1\n2,"x""y",2\n3,"ab"c,3\n4,6"1,4\n5,"q\n"",r",5\n',
}


def reference_row_starts(data: bytes, delimiter: int = ord(",")) -> list[int]:
    """Offsets right after every newline that ends a row, by a byte-at-a-time parser with
    pyarrow's (and Python's csv module's) quoting: a quote opens a value only at a field start;
    inside, `""` is a quote and `"` followed by anything else closes it."""
    quote, newline, cr = ord('"'), ord("\n"), ord("\r")
    field_start, unquoted, quoted, closing = range(4)
    state, starts = field_start, []
    for i, c in enumerate(data):
        if state == quoted:
            state = closing if c == quote else quoted
            continue
        if state == closing:
            if c == quote:
                state = quoted
                continue
            state = unquoted
        if c == newline:
            starts.append(i + 1)
            state = field_start
        elif c in (cr, delimiter):
            state = field_start
        elif c == quote and state == field_start:
            state = quoted
        else:
            state = unquoted
    return starts


def expected_ranges(data: bytes, range_bytes: int) -> list[tuple[int, int]]:
    """What row_ranges must return: cut at the first row start after each target."""
    if len(data) <= range_bytes:
        return [(0, len(data))]
    starts = reference_row_starts(data)
    cuts, target = [0], range_bytes
    for start in starts:
        if start - 1 >= target and start < len(data):
            cuts.append(start)
            target = start + range_bytes
    return list(zip(cuts, [*cuts[1:], len(data)], strict=True))


def random_csv(rng: random.Random) -> bytes:
    pieces = ["a", "bc", "é", "€", "😀", "1.5", "", " ", "x y"]

    def field() -> str:
        kind = rng.random()
        if kind < 0.35:  # quoted: delimiters, newlines, doubled quotes inside
            inner = "".join(rng.choice([*pieces, ",", "\n", "\r\n", '""']) for _ in range(3))
            return f'"{inner}"'
        if kind < 0.45:  # a literal quote inside an unquoted value, or text after a close
            return rng.choice(['5"', '6\'1"', '"ab"c', 'x"y"'])
        return "".join(rng.choice(pieces) for _ in range(rng.randint(0, 3)))

    lines = [",".join(field() for _ in range(3)) for _ in range(rng.randint(1, 12))]
    out = "id,text,value"
    for line in lines:
        out += rng.choice(["\n", "\r\n", "\n\n"]) + line
    return (out + rng.choice(["", "\n", "\r\n"])).encode()


@pytest.mark.parametrize("window", [1, 4, 1 << 16])
def test_cuts_are_the_first_row_boundary_after_each_target(
        tmp_path: Path, window: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ranges, "_WINDOW", window)  # how far past a target it looks first
    rng = random.Random(17 + window)
    path = tmp_path / "f.csv"
    checked = 0
    for _ in range(15):
        data = random_csv(rng)
        path.write_bytes(data)
        for range_bytes in sorted({1, 2, 3, 5, 8, 13, rng.randint(1, len(data)), len(data)}):
            for chunk in (1, 5, 1 << 20):
                got = ranges.row_ranges(str(path), range_bytes, chunk_bytes=chunk)
                assert got == expected_ranges(data, range_bytes), (data, range_bytes, chunk)
                # Contiguous cover; no range starts inside a UTF-8 character.
                assert got[0][0] == 0 and got[-1][1] == len(data)
                assert all(a[1] == b[0] for a, b in itertools.pairwise(got))
                assert all(data[start] & 0xC0 != 0x80 for start, _ in got if start < len(data))
                checked += 1
    assert checked > 250


def test_one_range_for_a_small_file_and_none_from_the_executor(tmp_path: Path) -> None:
    path = tmp_path / "small.csv"
    path.write_text(HEADER + CASES["crlf"])
    assert ranges.row_ranges(str(path)) == [(0, path.stat().st_size)]
    executor = Executor()
    plan = executor.prepare([str(path)], {})
    assert executor.byte_ranges(str(path), plan) is None  # below RANGE_BYTES: the whole file


def _read(executor: Executor, path: str, plan: Any, byte_range: tuple[int, int] | None
          ) -> list[dict[str, Any]]:
    items = (executor.read(path, plan, {}) if byte_range is None
             else executor.read_range(path, byte_range, plan, {}))
    return [row for item in items for row in item.batch.to_pylist()]


@pytest.mark.parametrize("case", sorted(CASES))
def test_ranges_read_in_order_equal_the_whole_file(tmp_path: Path, case: str) -> None:
    path = tmp_path / f"{case}.csv"
    path.write_bytes((HEADER + CASES[case]).encode())
    executor = Executor()
    plan = executor.prepare([str(path)], {})
    whole = _read(executor, str(path), plan, None)
    assert len(whole) >= 3 and all(row["id"] is not None for row in whole)
    size = path.stat().st_size
    cut_counts = set()
    for range_bytes in range(1, size + 1):
        executor.RANGE_BYTES = range_bytes
        cuts = executor.byte_ranges(str(path), plan) or [(0, size)]
        cut_counts.add(len(cuts))
        rows = [row for cut in cuts for row in _read(executor, str(path), plan, cut)]
        assert rows == whole, (case, range_bytes, cuts)
    assert max(cut_counts) >= 3  # tiny ranges really cut the file


def test_quoted_newline_is_never_a_cut(tmp_path: Path) -> None:
    # A naive split at the first '\n' after byte 20 would start a range inside the quotes.
    data = (HEADER + '1,"first half\nsecond half",1\n2,b,2\n').encode()
    path = tmp_path / "q.csv"
    path.write_bytes(data)
    naive = data.index(b"\n", 20) + 1
    got = ranges.row_ranges(str(path), 20)
    assert naive not in [start for start, _ in got]
    assert got[1][0] == data.index(b",1\n") + 3


def test_skipped_rows_with_ranges(tmp_path: Path) -> None:
    # Rows with the wrong field count are skipped by the parser: ranges read them alike.
    path = tmp_path / "short.csv"
    path.write_text(HEADER + "1,a,1\n2,b\n3,c,3\n" * 5)
    executor = Executor()
    executor.RANGE_BYTES = 4
    plan = executor.prepare([str(path)], {"bad_rows": "skip"})
    assert plan.skipped == 5 and not plan.drop_rows
    cuts = executor.byte_ranges(str(path), plan)
    assert cuts is not None and len(cuts) > 5
    rows = [row for cut in cuts for row in _read(executor, str(path), plan, cut)]
    assert rows == _read(executor, str(path), plan, None) and len(rows) == 10
    # Text in a numeric column: rows dropped by index from the file's start, so no ranges.
    path.write_text(HEADER + "".join(f"{i},a,{i}\n" for i in range(20)) + "20,a,oops\n")
    plan = executor.prepare([str(path)], {"bad_rows": "skip"})
    assert plan.drop_rows
    assert executor.byte_ranges(str(path), plan) is None


def _beam_examples(tmp_path: Path, name: str, range_bytes: int) -> Examples:
    examples = Examples(uri=str(tmp_path / name))
    executor = Executor(Executor.Context(beam_pipeline_args=["--tfxkit_use_beam"]))
    executor.RANGE_BYTES = range_bytes  # the parameter, forced tiny
    executor.Do({}, {"examples": [examples]}, {"input_base": str(tmp_path / "input")})
    return examples


@pytest.mark.integration
def test_beam_path_with_ranges_writes_the_single_range_output(tmp_path: Path) -> None:
    rows = "".join(f'{i},"row {i}\nwith ü, a ""quote""",{i * 0.5}\r\n' for i in range(60))
    input_dir(tmp_path, ("big.csv", HEADER + rows + "\n\n"), ("small.csv", HEADER + CASES["utf8"]))
    single = _beam_examples(tmp_path, "single", 1 << 30)
    ranged = _beam_examples(tmp_path, "ranged", 200)
    local = Examples(uri=str(tmp_path / "local"))
    Executor().Do({}, {"examples": [local]}, {"input_base": str(tmp_path / "input")})
    assert ranged.get_custom_property("engine") == "beam:DirectRunner"
    assert local.get_custom_property("engine") == "in-process"
    for split in ("train", "eval"):
        shards = glob.glob(f"{ranged.uri}/Split-{split}/*.gz")
        assert len(shards) > len(glob.glob(f"{single.uri}/Split-{split}/*.gz")) == 2
        ours = read_split(ranged, split).to_pylist()
        assert ours == read_split(single, split).to_pylist()  # same rows, same order
        assert sorted(map(repr, ours)) == sorted(map(repr, read_split(local, split).to_pylist()))
    counts = json.loads(ranged.get_custom_property("example_counts"))
    assert counts == json.loads(single.get_custom_property("example_counts"))
    assert sum(counts.values()) == 65


def test_runner_name_and_which_path_runs() -> None:
    from tfxkit.components._shared.beam import beam_runner_name, use_beam

    portable = ["--runner=PortableRunner", "--job_endpoint=embed"]
    assert beam_runner_name(portable) == "PortableRunner" and use_beam(portable)
    assert beam_runner_name(["--runner", "FlinkRunner"]) == "FlinkRunner"
    assert use_beam(["--runner", "FlinkRunner"])
    assert beam_runner_name([]) == "DirectRunner" and not use_beam([])
    assert not use_beam(["--direct_num_workers=2"])  # DirectRunner: the in-process fast path
    assert use_beam(["--tfxkit_use_beam"])
