"""ParquetExampleGen and ImportExampleGen: same outputs as CsvExampleGen (real pyarrow)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.components.data_helpers import PENGUINS_CSV, input_dir, read_split, run_csv_example_gen
from tfxkit.components import ImportExampleGen, ParquetExampleGen
from tfxkit.errors import DataError
from tfxkit.types.standard_artifacts import Examples


def _run(executor_path: str, input_base: Path, out: Path, **props) -> Examples:
    from tfxkit.dsl.base_component import import_object

    examples = Examples(uri=str(out))
    import_object(executor_path)().Do({}, {"examples": [examples]},
                                      {"input_base": str(input_base), **props})
    return examples


def _rows(examples: Examples) -> list[str]:
    return sorted(repr(sorted(r.items())) for split in examples.split_names
                  for r in read_split(examples, split).to_pylist())


def test_parquet_matches_csv(tmp_path: Path) -> None:
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    table = pacsv.read_csv(PENGUINS_CSV, convert_options=pacsv.ConvertOptions(
        strings_can_be_null=True))
    folder = tmp_path / "parquet"
    folder.mkdir()
    pq.write_table(table.slice(0, 200), folder / "a.parquet")
    pq.write_table(table.slice(200), folder / "b.parquet")
    component = ParquetExampleGen(input_base=str(folder))
    parquet = _run(component.EXECUTOR, folder, tmp_path / "out")
    csv = run_csv_example_gen(input_dir(tmp_path, PENGUINS_CSV), tmp_path / "csv")
    assert _rows(parquet) == _rows(csv)
    assert json.loads(parquet.get_custom_property("feature_types"))["species"] == "bytes"
    (folder / "c.parquet").write_text("not parquet")
    with pytest.raises(DataError, match=r"c\.parquet: cannot be read as Parquet"):
        _run(component.EXECUTOR, folder, tmp_path / "bad")


def test_import_tfrecords_resplits(tmp_path: Path) -> None:
    csv = run_csv_example_gen(input_dir(tmp_path, PENGUINS_CSV), tmp_path / "csv")
    component = ImportExampleGen(input_base=f"{csv.uri}/Split-train")
    imported = _run(component.EXECUTOR, Path(csv.uri, "Split-train"), tmp_path / "out",
                    output_config={"split_config": {"splits": [
                        {"name": "a", "hash_buckets": 1}, {"name": "b", "hash_buckets": 1}],
                        "partition_feature_name": "island"}})
    assert imported.split_names == ["a", "b"]
    islands = [{v[0] for v in read_split(imported, s).column("island").to_pylist()}
               for s in ("a", "b")]
    assert not islands[0] & islands[1]
    assert sum(len(read_split(imported, s)) for s in ("a", "b")) == len(read_split(csv, "train"))
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "x.gz").write_bytes(b"\x1f\x8bnot gzip")
    with pytest.raises(DataError, match=r"x\.gz: the first record is not a readable tf.Example"):
        _run(component.EXECUTOR, tmp_path / "junk", tmp_path / "bad")
