"""CsvExampleGen: types, splits, bad input, fingerprint. Real pyarrow and tfx-bsl; no TF."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.components.data_helpers import (
    PENGUINS_CSV,
    input_dir,
    read_split,
    run_csv_example_gen,
)
from tfxkit.components import CsvExampleGen
from tfxkit.components.example_gen.config import content_fingerprint
from tfxkit.errors import ComponentArgumentError, DataError

PENGUIN_ROWS = 344


def _rows(n: int, start: int = 0) -> str:
    return "".join(f"{i},{i * 1.5},name{i % 7}\n" for i in range(start, start + n))


def test_penguins_types_splits_and_missing_values(tmp_path: Path) -> None:
    examples = run_csv_example_gen(input_dir(tmp_path, PENGUINS_CSV), tmp_path / "out")
    assert examples.split_names == ["train", "eval"]
    assert (examples.span, examples.version) == (0, 0)
    train, eval_ = read_split(examples, "train"), read_split(examples, "eval")
    assert train.num_rows + eval_.num_rows == PENGUIN_ROWS
    assert 0.58 < train.num_rows / PENGUIN_ROWS < 0.75  # 2:1 within tolerance
    counts = json.loads(examples.get_custom_property("example_counts"))
    assert counts == {"train": train.num_rows, "eval": eval_.num_rows}
    assert examples.get_custom_property("bad_rows_skipped") == 0
    types = {f.name: str(f.type.value_type) for f in train.schema}
    assert types == {"species": "large_binary", "island": "large_binary", "sex": "large_binary",
                     "bill_length_mm": "float", "bill_depth_mm": "float",
                     "flipper_length_mm": "int64", "body_mass_g": "int64", "year": "int64"}
    both = read_split(examples, "train").to_pylist() + read_split(examples, "eval").to_pylist()
    missing = [r for r in both if r["bill_length_mm"] is None]
    assert len(missing) == 2  # the two "NA" rows stay missing: no value, not 0 or "NA"
    assert all(r["sex"] is None for r in missing)
    assert json.loads(examples.get_custom_property("feature_types"))["year"] == "int"


def test_output_layout_and_determinism(tmp_path: Path) -> None:
    base = input_dir(tmp_path, PENGUINS_CSV)
    first = run_csv_example_gen(base, tmp_path / "a")
    second = run_csv_example_gen(base, tmp_path / "b")
    for split in ("train", "eval"):
        files = sorted(os.listdir(f"{first.uri}/Split-{split}"))
        assert files and all(f.startswith("data_tfrecord-") and f.endswith(".gz") for f in files)
        # Same input, same rows in each split (bytes may differ: protobuf map order).
        rows_a = sorted(map(repr, read_split(first, split).to_pylist()))
        assert rows_a == sorted(map(repr, read_split(second, split).to_pylist()))


def test_int_then_float_column_becomes_float_across_blocks(tmp_path: Path, monkeypatch) -> None:
    from tfxkit.components.csv_example_gen import executor

    monkeypatch.setattr(executor, "BLOCK_SIZE", 1024)  # many blocks: ints first, floats last
    text = "a,b,c\n" + _rows(300) + "7,2.5,x\n" + "8.25,1,y\n"
    examples = run_csv_example_gen(input_dir(tmp_path, ("d.csv", text)), tmp_path / "out")
    table = read_split(examples, "train")
    assert str(table.schema.field("a").type.value_type) == "float"
    values = sorted(v[0] for v in read_split(examples, "eval").column("a").to_pylist()
                    + table.column("a").to_pylist())
    assert 8.25 in values and len(values) == 302


def test_custom_ratio_and_partition_feature(tmp_path: Path) -> None:
    text = "user,value\n" + "".join(f"u{i % 40},{i}\n" for i in range(2000))
    base = input_dir(tmp_path, ("d.csv", text))
    examples = run_csv_example_gen(base, tmp_path / "out", output_config={"split_config": {
        "splits": [{"name": "train", "hash_buckets": 3}, {"name": "test", "hash_buckets": 1}],
        "partition_feature_name": "user"}})
    assert examples.split_names == ["train", "test"]
    train_users = {v[0] for v in read_split(examples, "train").column("user").to_pylist()}
    test_users = {v[0] for v in read_split(examples, "test").column("user").to_pylist()}
    assert train_users and test_users and not train_users & test_users
    ratio = run_csv_example_gen(base, tmp_path / "ratio", output_config={"split_config": {
        "splits": [{"name": "a", "hashBuckets": 9}, {"name": "b", "hashBuckets": 1}]}})
    counts = json.loads(ratio.get_custom_property("example_counts"))
    assert 0.85 < counts["a"] / 2000 < 0.95


def test_input_already_split_into_folders(tmp_path: Path) -> None:
    base = input_dir(tmp_path, ("train/1.csv", "a,b,c\n" + _rows(30)),
                     ("train/2.csv", "a,b,c\n" + _rows(20, 30)),
                     ("eval/1.csv", "a,b,c\n" + _rows(10)))
    examples = run_csv_example_gen(base, tmp_path / "out", input_config={"splits": [
        {"name": "train", "pattern": "train/*.csv"}, {"name": "eval", "pattern": "eval/*"}]})
    assert examples.split_names == ["train", "eval"]
    assert (read_split(examples, "train").num_rows, read_split(examples, "eval").num_rows) == (
        50, 10)
    with pytest.raises(DataError, match="already split"):
        run_csv_example_gen(base, tmp_path / "x", input_config={"splits": [
            {"name": "train", "pattern": "train/*"}, {"name": "eval", "pattern": "eval/*"}]},
            output_config={"split_config": {"splits": [{"name": "a", "hash_buckets": 1}]}})


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({}, "matches no file"),
        ({"a.csv": ""}, r"a\.csv: line 1 is empty"),
        ({"a.csv": "a,b,c\n1,2,3\n", "b.csv": "a,c,b\n1,2,3\n"}, r"header mismatch: .*b\.csv"),
        ({"a.csv": "a,b,c\n1,2,3\n4,5\n6,7,8\n"}, r"a\.csv, line 3: expected 3 fields.*found 2"),
    ],
    ids=["empty-dir", "empty-file", "header-mismatch", "field-count"],
)
def test_bad_input_names_file_and_line(tmp_path: Path, files: dict[str, str],
                                       message: str) -> None:
    base = input_dir(tmp_path, *files.items())
    with pytest.raises(DataError, match=message) as info:
        run_csv_example_gen(base, tmp_path / "out")
    assert "input" in str(info.value) or "line" in str(info.value)


def test_missing_input_dir(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="does not exist. Pass input_base"):
        run_csv_example_gen(tmp_path / "nope", tmp_path / "out")


def test_undecodable_bytes_name_file_and_line(tmp_path: Path) -> None:
    base = input_dir(tmp_path)
    (base / "a.csv").write_bytes(b"a,b,c\n1,2,x\n3,4,caf\xe9\n5,6,z\n")
    with pytest.raises(DataError, match=r"a\.csv, line 3: bytes .* not valid UTF-8.*iconv"):
        run_csv_example_gen(base, tmp_path / "out")


def test_bad_rows_skip_counts(tmp_path: Path) -> None:
    base = input_dir(tmp_path)
    body = b"".join(f"{i},{i}.5,s{i}\n".encode() for i in range(100))
    (base / "a.csv").write_bytes(b"a,b,c\n" + body + b"1,2\n" + b"9,abc,caf\xe9\n"
                                 + b"1,2,3,4\n" + b"7,8.5,ok\n")
    examples = run_csv_example_gen(base, tmp_path / "out", bad_rows="skip")
    assert examples.get_custom_property("bad_rows_skipped") == 3
    rows = read_split(examples, "train").num_rows + read_split(examples, "eval").num_rows
    assert rows == 101
    # The undecodable row held "abc" in a float column: skipping it keeps b a float.
    assert str(read_split(examples, "train").schema.field("b").type.value_type) == "float"


def test_fingerprint_is_by_content(tmp_path: Path) -> None:
    base = input_dir(tmp_path, ("a.csv", "a,b\n1,2\n"))
    before = content_fingerprint(str(base), None)
    os.utime(base / "a.csv", (1, 1))
    assert content_fingerprint(str(base), None) == before
    (base / "a.csv").write_text("a,b\n1,3\n")
    assert content_fingerprint(str(base), None) != before
    component = CsvExampleGen(input_base=str(base))
    assert component.cache_fingerprint(component.exec_properties) == content_fingerprint(
        str(base), None)


def test_component_construction_errors() -> None:
    with pytest.raises(ComponentArgumentError, match="missing required parameter 'input_base'"):
        CsvExampleGen(input_base=None)  # type: ignore[arg-type]
    with pytest.raises(ComponentArgumentError, match="expects dict"):
        CsvExampleGen(input_base="x", output_config="train")  # type: ignore[arg-type]
    gen = CsvExampleGen(input_base="data", bad_rows="skip")
    assert gen.exec_properties["bad_rows"] == "skip"
    assert gen.EXECUTOR == "tfxkit.components.csv_example_gen.executor.Executor"
    assert set(gen.outputs) == {"examples"}


def test_bad_split_config_messages(tmp_path: Path) -> None:
    base = input_dir(tmp_path, ("a.csv", "a\n1\n"))
    with pytest.raises(DataError, match="hash_buckets' must be a positive int"):
        run_csv_example_gen(base, tmp_path / "o", output_config={"split_config": {
            "splits": [{"name": "train", "hash_buckets": 0}]}})
    with pytest.raises(DataError, match="unknown field"):
        run_csv_example_gen(base, tmp_path / "o", input_config={"splitz": []})
    with pytest.raises(DataError, match="partition_feature_name: column 'nope'"):
        run_csv_example_gen(base, tmp_path / "o", output_config={"split_config": {
            "partition_feature_name": "nope"}})


def test_importing_components_loads_no_heavy_library() -> None:
    code = ("import sys, tfxkit.components; heavy = [m for m in ('tensorflow', 'pyarrow', "
            "'tensorflow_data_validation', 'apache_beam', 'tfx_bsl', 'numpy') if m in "
            "sys.modules]; print(heavy)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "[]"


@pytest.mark.integration
def test_beam_path_gives_the_same_rows(tmp_path: Path) -> None:
    from tfxkit.components.csv_example_gen.executor import Executor
    from tfxkit.dsl.base_executor import ExecutorContext
    from tfxkit.types.standard_artifacts import Examples

    base = input_dir(tmp_path, ("a.csv", "a,b,c\n" + _rows(60)), ("b.csv", "a,b,c\n" + _rows(40)))
    local = run_csv_example_gen(base, tmp_path / "local")
    on_beam = Examples(uri=str(tmp_path / "beam"))
    context = ExecutorContext(beam_pipeline_args=["--tfxkit_use_beam", "--runner=DirectRunner"])
    Executor(context).Do({}, {"examples": [on_beam]}, {"input_base": str(base)})
    assert on_beam.get_custom_property("example_counts") == local.get_custom_property(
        "example_counts")
    for split in ("train", "eval"):
        assert sorted(os.listdir(f"{on_beam.uri}/Split-{split}")) == [
            "data_tfrecord-00000-of-00002.gz", "data_tfrecord-00001-of-00002.gz"]
        assert sorted(map(repr, read_split(on_beam, split).to_pylist())) == sorted(
            map(repr, read_split(local, split).to_pylist()))


# -- Issue 11: TFX-exact decoding, what the data looks like, empty splits -----------------------
# Case folders: ../shared/cases/data/<case>/CASE.md (Input, Do, Today, Right).

CASES = Path(__file__).resolve().parents[3] / "shared" / "cases" / "data"


def _all_rows(examples: Any) -> list[dict[str, Any]]:
    return [row for split in examples.split_names for row in read_split(examples, split).to_pylist()]


def _types(examples: Any) -> dict[str, str]:
    return json.loads(examples.get_custom_property("feature_types"))


@pytest.mark.parametrize(("delimiter", "shown"), [(";", ";"), ("\t", "\\t"), ("|", "|")])
def test_one_column_header_with_another_delimiter_names_it(
        tmp_path: Path, delimiter: str, shown: str) -> None:
    text = delimiter.join(["city", "temp_c", "rain_mm", "label"]) + "\n" + "Koeln;1;2;3\n"
    base = input_dir(tmp_path, ("weather.csv", text.replace(";", delimiter)))
    with pytest.raises(DataError) as info:
        run_csv_example_gen(base, tmp_path / "out")
    message = str(info.value)
    assert "weather.csv, line 1" in message and "ONE column" in message
    assert f'delimiter="{shown}"' in message, message


def test_case_semicolon(tmp_path: Path) -> None:
    for data in ("data", "data_decimal_comma"):  # both stop before writing examples
        with pytest.raises(DataError, match=r"weather\.csv, line 1 .*looks ';'-delimited.*"
                                            r"delimiter=\";\""):
            run_csv_example_gen(CASES / "semicolon" / data, tmp_path / data)
    examples = run_csv_example_gen(CASES / "semicolon" / "data", tmp_path / "ok", delimiter=";")
    assert _types(examples) == {"city": "bytes", "temp_c": "int", "rain_mm": "int",
                                "label": "int"}
    assert len(_all_rows(examples)) == 20
    # Decimal commas are not numbers in TFX either: the column is text, and the note says why.
    examples = run_csv_example_gen(CASES / "semicolon" / "data_decimal_comma",
                                   tmp_path / "comma", delimiter=";")
    assert _types(examples)["temp_c"] == "bytes"
    assert "['temp_c'] hold numbers with a decimal comma" in examples.get_custom_property("note")


def test_case_spaces_after_comma(tmp_path: Path) -> None:
    base = CASES / "spaces_after_comma" / "data"
    examples = run_csv_example_gen(base, tmp_path / "out")
    assert _types(examples) == {"age": "int", "workclass": "bytes", "hours_per_week": "int",
                                "capital_gain": "int", "income": "bytes"}
    rows = _all_rows(examples)
    assert len(rows) == 30
    assert {r["hours_per_week"][0] for r in rows} >= {30, 31}  # int(" 30") == 30, as in TFX
    # String values keep the space (as TFX does), consistently, and the run says so.
    assert all(r["workclass"][0].startswith(b" ") for r in rows)
    assert "every value of ['workclass', 'income'] starts with a space" in \
        examples.get_custom_property("note")
    # One option drops it.
    stripped = _all_rows(run_csv_example_gen(base, tmp_path / "s", skip_initial_space=True))
    assert {r["workclass"][0] for r in stripped} >= {b"Private", b"Self-emp"}
    assert {r["income"][0] for r in stripped} == {b">50K", b"<=50K"}
    assert {r["hours_per_week"][0] for r in stripped} == {r["hours_per_week"][0] for r in rows}


def test_header_names_tfx_mode_keeps_them_as_written(tmp_path: Path) -> None:
    base = input_dir(tmp_path, ("a.csv", "age, workclass\n20, Private\n21, Other\n" * 1))
    examples = run_csv_example_gen(base, tmp_path / "o", strip_header_names=False,
                                   output_config={"split_config": {"splits": [
                                       {"name": "train", "hash_buckets": 1}]}})
    assert set(_types(examples)) == {"age", " workclass"}


def test_case_text_in_numeric(tmp_path: Path) -> None:
    base = CASES / "text_in_numeric" / "data"
    with pytest.raises(DataError) as info:
        run_csv_example_gen(base, tmp_path / "out")
    message = str(info.value)
    assert "penguins.csv, line 301, column 'culmen_length_mm': value 'abc' is not a number" \
        in message
    assert "other 333 values are numbers" in message and "bad_rows='skip'" in message
    skipped = run_csv_example_gen(base, tmp_path / "skip", bad_rows="skip")
    assert skipped.get_custom_property("bad_rows_skipped") == 1
    assert _types(skipped)["culmen_length_mm"] == "float"
    assert len(_all_rows(skipped)) == 333
    assert "line 301" in skipped.get_custom_property("note")
    # TFX's behaviour on request: a text column, printed and recorded.
    text = run_csv_example_gen(base, tmp_path / "text", mixed_columns="string")
    assert _types(text)["culmen_length_mm"] == "bytes"
    recorded = json.loads(text.get_custom_property("mixed_columns"))["culmen_length_mm"]
    assert recorded["numbers"] == 333 and recorded["texts"] == 1
    assert recorded["first"]["line"] == 301 and recorded["first"]["value"] == "abc"


def test_null_token_in_numeric_column_stays_float(tmp_path: Path) -> None:
    lines = (CASES / "text_in_numeric" / "data" / "penguins.csv").read_text().splitlines()
    lines[300] = lines[300].replace("abc", "n/a")
    base = input_dir(tmp_path, ("penguins.csv", "\n".join(lines) + "\n"))
    examples = run_csv_example_gen(base, tmp_path / "out")
    assert _types(examples)["culmen_length_mm"] == "float"
    assert sum(r["culmen_length_mm"] is None for r in _all_rows(examples)) == 1
    assert json.loads(examples.get_custom_property("null_values_replaced")) == {
        "culmen_length_mm": 1}
    # null_values=[] is TFX's rule: "n/a" is a value, so a numeric column with it is mixed.
    with pytest.raises(DataError, match="value 'n/a' is not a number"):
        run_csv_example_gen(base, tmp_path / "tfx", null_values=[])


def test_case_one_row_empty_split(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"split 'eval' has 0 rows \(input has 1 row: train 1, "
                                        r"eval 0\).*add data.*hash_buckets.*"
                                        r"partition_feature_name"):
        run_csv_example_gen(CASES / "one_row" / "data", tmp_path / "out")


def test_empty_input_split_names_it(tmp_path: Path) -> None:
    base = input_dir(tmp_path, ("train/a.csv", "a,b\n" + "1,2\n" * 5), ("eval/a.csv", "a,b\n"))
    with pytest.raises(DataError, match=r"split 'eval' has 0 rows \(input has 5 rows: train 5, "
                                        r"eval 0\).*input split 'eval'"):
        run_csv_example_gen(base, tmp_path / "out", input_config={"splits": [
            {"name": "train", "pattern": "train/*"}, {"name": "eval", "pattern": "eval/*"}]})


def test_case_dates_are_reported_and_recorded(tmp_path: Path) -> None:
    examples = run_csv_example_gen(CASES / "dates" / "data", tmp_path / "out")
    assert json.loads(examples.get_custom_property("date_columns")) == {
        "signup_date": "date", "last_seen": "timestamp"}
    note = examples.get_custom_property("note")
    assert "['last_seen', 'signup_date']" in note and "year, month, day of week" in note
    types = _types(examples)
    assert types["signup_date"] == types["last_seen"] == types["is_premium"] == "bytes"
    assert (types["tenure_months"], types["monthly_spend"]) == ("int", "float")


def test_a_column_with_one_non_date_is_not_a_date_column(tmp_path: Path) -> None:
    text = "d,n\n" + "".join(f"2024-01-{i + 1:02d},{i}\n" for i in range(20)) + "soon,3\n"
    examples = run_csv_example_gen(input_dir(tmp_path, ("a.csv", text)), tmp_path / "out")
    assert examples.get_custom_property("date_columns") is None


def _one_split(tmp_path: Path, text: str | bytes, **props: Any) -> list[dict[str, Any]]:
    base = input_dir(tmp_path)
    (base / "a.csv").write_bytes(text.encode() if isinstance(text, str) else text)
    examples = run_csv_example_gen(base, tmp_path / "out", output_config={"split_config": {
        "splits": [{"name": "train", "hash_buckets": 1}]}}, **props)
    return read_split(examples, "train").to_pylist()


def test_numbers_as_python_reads_them(tmp_path: Path) -> None:
    """int() and float() semantics: whitespace, '_', '+', nan/inf, double then float32."""
    import math

    import numpy as np

    text = ("i,f,w\n"
            " 7 ,1.00000005960464477539062501, nan\n"
            "1_000,1e500,+inf\n"
            "+5,\t2.5 ,Infinity\n"
            "-0,-0.0,-NaN\n")
    rows = _one_split(tmp_path, text)
    assert sorted(r["i"][0] for r in rows) == [-0, 5, 7, 1000]
    floats = {r["i"][0]: r["f"][0] for r in rows}
    assert floats[7] == 1.0  # Python's double 1.0000000596046448 rounds to float32 1.0
    assert floats[7] == float(np.float32(float("1.00000005960464477539062501")))
    assert floats[1000] == math.inf and floats[5] == 2.5
    assert math.copysign(1, floats[0]) == -1  # -0.0 keeps its sign
    assert sum(math.isnan(r["w"][0]) for r in rows) == 2  # "nan" is a value, not missing


def test_integers_beyond_int64_make_a_text_column(tmp_path: Path) -> None:
    text = "id,n\n" + "".join(f"{2**64 + i},{i}\n" for i in range(5)) + "9223372036854775807,9\n"
    rows = _one_split(tmp_path, text)
    assert {r["id"][0] for r in rows} >= {str(2**64).encode(), b"9223372036854775807"}
    assert sorted(r["n"][0] for r in rows) == [0, 1, 2, 3, 4, 9]
    ints = _one_split(tmp_path / "b", "id\n9223372036854775807\n-9223372036854775808\n")
    assert sorted(r["id"][0] for r in ints) == [-2**63, 2**63 - 1]


def test_null_like_words_are_values_in_tfx_mode(tmp_path: Path) -> None:
    text = "s,f\nNA,NaN\nnull,1.5\nnan,\n,2\nword,3\n"
    rows = _one_split(tmp_path, text, null_values=[])
    assert sorted(r["s"][0] if r["s"] else b"" for r in rows) == [
        b"", b"NA", b"nan", b"null", b"word"]
    assert sum(r["f"] is None for r in rows) == 1  # only the empty cell is missing
    default = _one_split(tmp_path / "d", text)  # NA and null are missing; nan stays a value
    assert sorted(r["s"][0] if r["s"] else b"" for r in default) == [
        b"", b"", b"", b"nan", b"word"]


def test_a_text_column_with_a_few_numbers_is_text_without_error(tmp_path: Path) -> None:
    text = "code,n\n" + "".join(f"A{i},{i}\n" for i in range(20)) + "17,3\n"
    rows = _one_split(tmp_path, text)
    assert b"17" in {r["code"][0] for r in rows}


def test_quoting_bom_crlf_and_stray_quotes(tmp_path: Path) -> None:
    data = ('\ufeff"name","qty"\r\n"a, b",1\r\n"say ""hi""","2"\r\n"x\r\ny",3\r\n'
            '5" tall,4\r\n').encode()
    rows = _one_split(tmp_path, data)
    assert {r["name"][0]: r["qty"][0] for r in rows} == {
        b"a, b": 1, b'say "hi"': 2, b"x\r\ny": 3, b'5" tall': 4}


def test_bad_options_fail_when_the_pipeline_is_built() -> None:
    for kwargs, message in [({"mixed_columns": "maybe"}, "mixed_columns: expected 'error' or "
                             "'string'"), ({"delimiter": ";;"}, "delimiter: expected one "
                             "character"), ({"null_values": [""]}, "null_values: expected a "
                             "list of non-empty strings")]:
        with pytest.raises(ComponentArgumentError, match=message):
            CsvExampleGen(input_base="data", **kwargs)


def test_skip_initial_space_reads_as_python_csv_does(tmp_path: Path) -> None:
    import csv
    import io

    text = 'name, city, n\nx, "Koeln", 1\ny, "Bonn ""old""",  2\nz, , 3\nw, NA, 4\n'
    rows = _one_split(tmp_path, text, skip_initial_space=True)
    expected = list(csv.DictReader(io.StringIO(text), skipinitialspace=True))
    by_name = {r["name"][0].decode(): r for r in rows}
    for row in expected:
        ours = by_name[row["name"]]
        assert (ours["city"][0].decode() if ours["city"] else None) == (
            row["city"] if row["city"] not in ("", "NA") else None)
        assert ours["n"] == [int(row["n"])]


def test_text_in_numeric_names_the_right_file_and_line(tmp_path: Path) -> None:
    base = input_dir(tmp_path, ("a.csv", "x,y\n" + "1,2\n" * 10),
                     ("b.csv", 'x,y\n3,4\n"5\n",6\n7,oops\n8,9\n'))
    with pytest.raises(DataError, match=r"b\.csv, line 5, column 'y': value 'oops' is not a "
                                        r"number, but the column's other 13 values"):
        run_csv_example_gen(base, tmp_path / "out")
    examples = run_csv_example_gen(base, tmp_path / "skip", bad_rows="skip")
    assert examples.get_custom_property("bad_rows_skipped") == 1
    assert sorted(r["x"][0] for r in _all_rows(examples)) == [1] * 10 + [3, 5, 8]


def test_too_many_text_cells_to_skip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tfxkit.components.csv_example_gen import decoding

    monkeypatch.setattr(decoding, "TRACK_LIMIT", 3)
    base = input_dir(tmp_path, ("a.csv", "x\n" + "1\n" * 10 + "a\nb\nc\nd\n"))
    with pytest.raises(DataError, match=r"4 values are not numbers .* too many rows to skip.*"
                                        r"mixed_columns='string'"):
        run_csv_example_gen(base, tmp_path / "out", bad_rows="skip")


def test_number_grammar_equals_python_int_and_float() -> None:
    """decoding's patterns accept exactly what Python's int()/float() accept on bytes, and
    to_number gives Python's values (random tokens over the characters that matter)."""
    import math
    import random

    import pyarrow as pa
    import pyarrow.compute as pc

    from tfxkit.components.csv_example_gen import decoding

    rng = random.Random(11)
    alphabet = [*"0123456789" * 3, *"+-._eE xX\t\n\x0b\x0c\r\x1c",
                "inf", "nan", "infinity", "INF", "NaN", "0x", "\u00a0"]
    tokens = sorted({"".join(rng.choice(alphabet) for _ in range(rng.randint(1, 7)))
                     for _ in range(20000)})
    cells = pa.array([t.encode() for t in tokens], pa.binary())
    as_int = pc.match_substring_regex(cells, decoding.INT_PATTERN).to_pylist()
    as_float = pc.match_substring_regex(cells, decoding.FLOAT_PATTERN).to_pylist()
    for token, int_ok, float_ok in zip(tokens, as_int, as_float, strict=True):
        for parse, matched in ((int, int_ok), (float, float_ok)):
            try:
                parse(token.encode())
                accepted = True
            except ValueError:
                accepted = False
            assert matched == accepted, (token, parse.__name__)
    floats = [t for t, ok in zip(tokens, as_float, strict=True) if ok]
    values = decoding.to_number(pa.array([t.encode() for t in floats], pa.binary()),
                                decoding.FLOAT).to_pylist()
    for token, value in zip(floats, values, strict=True):
        expected = float(token.encode())
        assert value == expected or (math.isnan(value) and math.isnan(expected)), token
    ints = [t for t, ok in zip(tokens, as_int, strict=True) if ok]
    values = decoding.to_number(pa.array([t.encode() for t in ints], pa.binary()),
                                decoding.INT).to_pylist()
    assert values == [int(t.encode()) for t in ints]
