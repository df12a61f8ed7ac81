"""SchemaGen and ImportSchemaGen with real TFDV on the penguins CSV."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.components.data_helpers import (
    PENGUINS_CSV,
    input_dir,
    run_csv_example_gen,
    run_schema_gen,
    run_statistics_gen,
)
from tfxkit.components import ImportSchemaGen
from tfxkit.errors import DataError
from tfxkit.types.standard_artifacts import ExampleStatistics, Schema

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def penguin_statistics(tmp_path_factory: pytest.TempPathFactory) -> ExampleStatistics:
    tmp = tmp_path_factory.mktemp("penguins")
    examples = run_csv_example_gen(input_dir(tmp, PENGUINS_CSV), tmp / "examples")
    return run_statistics_gen(examples, tmp / "stats")


def _schema(uri: str):
    import tensorflow_data_validation as tfdv

    return tfdv.load_schema_text(f"{uri}/schema.pbtxt")


def test_schema_has_every_column_with_its_type(penguin_statistics: ExampleStatistics,
                                               tmp_path: Path) -> None:
    from tensorflow_metadata.proto.v0 import schema_pb2

    schema = _schema(run_schema_gen(penguin_statistics, tmp_path / "schema").uri)
    types = {f.name: schema_pb2.FeatureType.Name(f.type) for f in schema.feature}
    assert types == {"species": "BYTES", "island": "BYTES", "sex": "BYTES",
                     "bill_length_mm": "FLOAT", "bill_depth_mm": "FLOAT",
                     "flipper_length_mm": "INT", "body_mass_g": "INT", "year": "INT"}
    species = next(f for f in schema.feature if f.name == "species")
    assert species.HasField("shape")  # always present with one value: fixed shape
    sex = next(f for f in schema.feature if f.name == "sex")
    assert not sex.HasField("shape")  # sometimes missing
    domain = {d.name: sorted(d.value) for d in schema.string_domain}
    assert domain["species"] == ["Adelie", "Chinstrap", "Gentoo"]


def test_infer_feature_shape_off_and_exclude(penguin_statistics: ExampleStatistics,
                                             tmp_path: Path) -> None:
    schema = _schema(run_schema_gen(penguin_statistics, tmp_path / "s", infer_feature_shape=False,
                                    exclude_splits=["eval"]).uri)
    assert not any(f.HasField("shape") for f in schema.feature)


def test_import_schema_gen(penguin_statistics: ExampleStatistics, tmp_path: Path) -> None:
    from tfxkit.components.import_schema_gen.executor import Executor

    inferred = run_schema_gen(penguin_statistics, tmp_path / "schema")
    source = Path(inferred.uri) / "schema.pbtxt"
    out = Schema(uri=str(tmp_path / "imported"))
    Executor().Do({}, {"schema": [out]}, {"schema_file": str(source)})
    assert _schema(out.uri) == _schema(inferred.uri)
    component = ImportSchemaGen(schema_file=str(source))
    before = component.cache_fingerprint(component.exec_properties)
    source.write_text(source.read_text() + "\n# edited\n")
    assert component.cache_fingerprint(component.exec_properties) != before
    broken = tmp_path / "broken.pbtxt"
    broken.write_text('feature {\n  name: "x"\n  typo: INT\n}\n')
    with pytest.raises(DataError, match=r"broken\.pbtxt: not a valid Schema text proto at 3:"):
        Executor().Do({}, {"schema": [out]}, {"schema_file": str(broken)})
    with pytest.raises(DataError, match="does not exist"):
        Executor().Do({}, {"schema": [out]}, {"schema_file": str(tmp_path / "none.pbtxt")})


def test_split_with_no_examples_is_refused(penguin_statistics: ExampleStatistics,
                                           tmp_path: Path) -> None:
    """Issue 11 (one_row): no data must not become a schema of DEPRECATED features."""
    import shutil

    from tensorflow_metadata.proto.v0 import statistics_pb2

    stats = ExampleStatistics(uri=str(tmp_path / "stats"))
    stats.split_names = ["train", "eval"]
    shutil.copytree(f"{penguin_statistics.uri}/Split-train", tmp_path / "stats" / "Split-train")
    empty = statistics_pb2.DatasetFeatureStatisticsList(
        datasets=[statistics_pb2.DatasetFeatureStatistics(num_examples=0)])
    (tmp_path / "stats" / "Split-eval").mkdir()
    (tmp_path / "stats" / "Split-eval" / "FeatureStats.pb").write_bytes(
        empty.SerializeToString())
    with pytest.raises(DataError, match=r"split 'eval' .* has 0 examples.*"
                                        r"exclude_splits=\['eval'\]"):
        run_schema_gen(stats, tmp_path / "schema")
    schema = run_schema_gen(stats, tmp_path / "kept", exclude_splits=["eval"])
    assert (Path(schema.uri) / "schema.pbtxt").exists()
