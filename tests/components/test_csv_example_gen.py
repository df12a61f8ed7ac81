"""CsvExampleGen: types, splits, bad input, fingerprint. Real pyarrow and tfx-bsl; no TF."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

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
